//! Exp3: exponential weights on importance-weighted reward estimates, mixed
//! with uniform exploration gamma. Auer, Cesa-Bianchi, Freund & Schapire, "The
//! Nonstochastic Multiarmed Bandit Problem", SIAM J. Computing 32(1), 2002.
//! The estimate is the loss-based one, S_a += 1 - 1[a = A] (1 - r) / p_A,
//! which with eta = sqrt(2 ln K / (n K)) and gamma = 0 keeps the expected
//! regret below sqrt(2 n K ln K) for rewards in [0, 1] (Lattimore &
//! Szepesvári, "Bandit Algorithms", 2020, theorem 11.1).

use thermolab_core::math::log_softmax;

use crate::draws::Draws;
use crate::params::BanditsParams;
use crate::policy::{Algorithm, Distributions, Round, Setup};

pub struct Exp3 {
    arms: usize,
    horizon: u64,
    /// Cumulative reward estimates S.
    estimates: Vec<f64>,
    policy: Distributions,
}

impl Exp3 {
    pub fn new(setup: &Setup) -> Self {
        Self {
            arms: setup.arms,
            horizon: setup.horizon,
            estimates: vec![0.0; setup.runs * setup.arms],
            policy: Distributions::new(setup),
        }
    }

    pub fn eta(&self, params: &BanditsParams) -> f64 {
        tuned_eta(self.arms, self.horizon, params.exp3_eta_scale)
    }
}

/// The tuned learning rate sqrt(2 ln K / (n K)), times `scale`.
pub fn tuned_eta(arms: usize, horizon: u64, scale: f64) -> f64 {
    let k = arms as f64;
    scale * (2.0 * k.ln() / (horizon as f64 * k)).sqrt()
}

impl Algorithm for Exp3 {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let s = &self.estimates[run * self.arms..(run + 1) * self.arms];
        let gamma = round.params.exp3_gamma;
        let uniform = 1.0 / self.arms as f64;
        let log_probs: Vec<f64> = log_softmax(s, 1.0 / self.eta(round.params))
            .into_iter()
            .map(|lp| ((1.0 - gamma) * lp.exp() + gamma * uniform).ln())
            .collect();
        self.policy.sample(run, &log_probs, draws)
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        let p = self.policy.prob(run, arm);
        let s = &mut self.estimates[run * self.arms..(run + 1) * self.arms];
        for (a, s_a) in s.iter_mut().enumerate() {
            *s_a += 1.0;
            if a == arm {
                *s_a -= (1.0 - reward) / p;
            }
        }
    }

    fn log_policy(&self, run: usize) -> Option<&[f64]> {
        Some(self.policy.row(run))
    }
}
