//! Tsallis-INF (alpha = 1/2): follow the regularized leader with the
//! 1/2-Tsallis entropy, p_i = 4 / (eta_t (L_i - x))^2 with x set so that the
//! p_i sum to 1, eta_t = 2 / sqrt(t), and importance-weighted loss estimates.
//! Zimmert & Seldin, "Tsallis-INF: An Optimal Algorithm for Stochastic and
//! Adversarial Bandits", JMLR 22, 2021: O(sqrt(K n)) regret against an
//! adversary and O(sum_i ln n / Delta_i) on stochastic arms, with no tuning.

use crate::draws::Draws;
use crate::policy::{Algorithm, Distributions, Round, Setup};

pub struct TsallisInf {
    arms: usize,
    /// Cumulative loss estimates L.
    losses: Vec<f64>,
    policy: Distributions,
}

impl TsallisInf {
    pub fn new(setup: &Setup) -> Self {
        Self {
            arms: setup.arms,
            losses: vec![0.0; setup.runs * setup.arms],
            policy: Distributions::new(setup),
        }
    }
}

/// The 1/2-Tsallis FTRL distribution for cumulative losses `l` and rate
/// `eta`, by Newton's method on the normalizer x (the paper's algorithm 2).
pub fn tsallis_weights(l: &[f64], eta: f64) -> Vec<f64> {
    let min = l.iter().copied().fold(f64::INFINITY, f64::min);
    // Start where the leader alone has p = 1: the sum is at least 1 there and
    // convex increasing in x, so Newton steps decrease x monotonically to the root.
    let mut x = min - 2.0 / eta;
    let weights =
        |x: f64| -> Vec<f64> { l.iter().map(|li| 4.0 / (eta * (li - x)).powi(2)).collect() };
    for _ in 0..50 {
        let w = weights(x);
        let sum: f64 = w.iter().sum();
        let slope: f64 = w.iter().map(|wi| wi.powf(1.5)).sum::<f64>() * eta;
        let next = x - (sum - 1.0) / slope;
        if (next - x).abs() < 1e-12 {
            break;
        }
        x = next;
    }
    let w = weights(x);
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|wi| wi / sum).collect()
}

impl Algorithm for TsallisInf {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let eta = 2.0 / ((round.t + 1) as f64).sqrt();
        let l = &self.losses[run * self.arms..(run + 1) * self.arms];
        let log_probs: Vec<f64> = tsallis_weights(l, eta).into_iter().map(f64::ln).collect();
        self.policy.sample(run, &log_probs, draws)
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        let p = self.policy.prob(run, arm);
        self.losses[run * self.arms + arm] += (1.0 - reward) / p;
    }

    fn log_policy(&self, run: usize) -> Option<&[f64]> {
        Some(self.policy.row(run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_losses_give_uniform_and_the_leader_gets_more() {
        let p = tsallis_weights(&[3.0; 4], 0.5);
        assert!(p.iter().all(|pi| (pi - 0.25).abs() < 1e-9), "{p:?}");
        let p = tsallis_weights(&[0.0, 10.0, 10.0], 1.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Before normalisation p_i = 4 / (eta (L_i - x))^2; check the ratio.
        let ratio = (p[0] / p[1]).sqrt();
        assert!(ratio > 1.0 && p[1] == p[2], "{p:?}");
    }

    #[test]
    fn weights_solve_the_ftrl_normalization_without_rescaling() {
        // p_i = 4 / (eta (L_i - x))^2 with one x for every arm: each p_i
        // implies x = L_i - 2 / (eta sqrt(p_i)), and all must agree.
        let (l, eta) = ([0.0, 1.0, 3.0, 3.5], 0.7);
        let p = tsallis_weights(&l, eta);
        let implied: Vec<f64> = l
            .iter()
            .zip(&p)
            .map(|(li, pi)| li - 2.0 / (eta * pi.sqrt()))
            .collect();
        for x in &implied {
            assert!((x - implied[0]).abs() < 1e-9, "{implied:?}");
        }
    }
}
