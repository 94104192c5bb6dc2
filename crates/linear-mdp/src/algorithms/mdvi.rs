//! Mirror-descent value iteration, regularized by KL(pi || pi_k) with
//! weight tau and by the entropy with weight kappa (Vieillard, Kozuno,
//! Scherrer, Pietquin, Munos & Geist 2020, "Leverage the Average: an
//! Analysis of KL Regularization in Reinforcement Learning", eq. 4 and
//! Theorem 1; Kozuno, Yang, Vieillard, Kitamura, Tang, Mei, Ménard, Azar,
//! Valko, Munos, Pietquin, Geist & Szepesvári 2022, "KL-Entropy-Regularized
//! RL with a Generative Model is Minimax Optimal"; Kitamura, Kozuno, Tang,
//! Vieillard, Valko, Yang, Mei, Ménard, Azar, Munos, Pietquin, Geist &
//! Szepesvári 2023, "Regularization and Variance-Weighted Regression
//! Achieves Minimax Optimality in Linear MDPs", §3):
//!
//!   pi_{k+1} ∝ pi_k^{tau / (tau + kappa)} exp(q_k / (tau + kappa)).
//!
//! With kappa = 0 this unrolls to pi_{k+1} ∝ exp(sum_{j <= k} q_j / tau):
//! the policy follows the sum of the q's, so the sampling errors of the
//! iterations average out instead of adding up. Here finite-horizon: each
//! iteration backs q_{k,h} = r + P_hat V_{k,h+1} up (the samples of
//! `value_iteration::sampled_backup`, shared with value iteration), updates
//! pi at h and evaluates V_{k,h}(s) = sum_a pi_{k+1,h}(a|s) q_{k,h}(s, a).
//! Policies are kept as logarithms, normalized by a shifted log-sum-exp.

use thermolab_core::math::log_sum_exp;

use super::value_iteration::sampled_backup;
use super::{Context, Plan};
use crate::mdp::Mdp;
use crate::params::LinearMdpParams;

pub struct Mdvi {
    horizon: usize,
    pairs: usize,
    /// ln pi_k(a | s) per (seed, h), uniform at k = 0.
    log_policy: Vec<f64>,
}

impl Mdvi {
    pub fn new(seeds: usize, mdp: &Mdp) -> Self {
        let pairs = mdp.states * mdp.actions;
        Self {
            horizon: mdp.horizon,
            pairs,
            log_policy: vec![-(mdp.actions as f64).ln(); seeds * mdp.horizon * pairs],
        }
    }

    /// ln pi_k at (seed, h).
    pub fn log_policy(&self, seed: usize, h: usize) -> &[f64] {
        let at = (seed * self.horizon + h) * self.pairs;
        &self.log_policy[at..at + self.pairs]
    }

    /// One iteration; returns its q_{k,h} for every h (what the tests sum)
    /// and V_{k,0}.
    pub fn iterate(
        &mut self,
        seed: usize,
        context: &Context,
        params: &LinearMdpParams,
    ) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mdp = context.mdp;
        let a = mdp.actions;
        let (tau, kappa) = (params.kl_weight, params.entropy_weight);
        let keep = tau / (tau + kappa);
        let mut v_next = vec![0.0; mdp.states];
        let mut qs = vec![Vec::new(); mdp.horizon];
        for h in (0..mdp.horizon).rev() {
            let q = sampled_backup(seed, h, &v_next, context, params);
            let at = (seed * self.horizon + h) * self.pairs;
            let log_pi = &mut self.log_policy[at..at + self.pairs];
            for (row, q_row) in log_pi.chunks_exact_mut(a).zip(q.chunks_exact(a)) {
                row.iter_mut()
                    .zip(q_row)
                    .for_each(|(lp, q)| *lp = keep * *lp + q / (tau + kappa));
                let norm = log_sum_exp(row);
                row.iter_mut().for_each(|lp| *lp -= norm);
            }
            v_next = log_pi
                .chunks_exact(a)
                .zip(q.chunks_exact(a))
                .map(|(lp, q)| lp.iter().zip(q).map(|(lp, q)| lp.exp() * q).sum())
                .collect();
            qs[h] = q;
        }
        (qs, v_next)
    }

    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let (_, values) = self.iterate(seed, context, params);
        let policy = (0..self.horizon)
            .map(|h| self.log_policy(seed, h).iter().map(|lp| lp.exp()).collect())
            .collect();
        Plan { policy, values }
    }
}
