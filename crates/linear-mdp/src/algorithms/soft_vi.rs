//! Soft value iteration: the entropy-regularized backup
//! V_h(s) = T log sum_a exp(Q_h(s, a) / T) and the policy softmax(Q_h / T)
//! (Ziebart 2010, "Modeling Purposeful Adaptive Behavior with the Principle
//! of Maximum Causal Entropy", eq. 6.4; Haarnoja, Tang, Abbeel & Levine
//! 2017, "Reinforcement Learning with Deep Energy-Based Policies", eqs. 2-4).
//! Here on the LSVI regression (Jin et al. 2020) instead of a known model;
//! `Mdp::soft_values` is the same backup on the model. The log-sum-exp is
//! shifted by the maximum, so T = 1e-3 gives the max without overflow.

use thermolab_core::math::softmax;

use super::lsvi::{Backup, Lsvi, start_values};
use super::{Context, Plan};
use crate::params::LinearMdpParams;

pub struct SoftVi(pub Lsvi);

/// softmax(Q / T), and V = T log sum exp(Q / T).
pub fn plan_from_q(q: &[Vec<f64>], actions: usize, params: &LinearMdpParams) -> Plan {
    Plan {
        policy: softmax_policy(q, actions, params.temperature),
        values: start_values(q, actions, Backup::Soft(params.temperature)),
    }
}

impl SoftVi {
    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let q = self.0.q_tables(
            seed,
            context.features,
            0.0,
            Backup::Soft(params.temperature),
        );
        plan_from_q(&q, context.mdp.actions, params)
    }
}

/// softmax(Q_h(s, .) / T) at every (h, s).
pub fn softmax_policy(q: &[Vec<f64>], actions: usize, temperature: f64) -> Vec<Vec<f64>> {
    q.iter()
        .map(|qh| {
            qh.chunks_exact(actions)
                .flat_map(|row| softmax(row, temperature))
                .collect()
        })
        .collect()
}
