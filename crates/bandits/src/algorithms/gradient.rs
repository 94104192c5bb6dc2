//! Gradient bandit with an entropy bonus held to a target. Preferences H,
//! policy pi = softmax(H / T); after reward r for arm A (Sutton & Barto,
//! "Reinforcement Learning: An Introduction", 2nd ed., 2018, section 2.8):
//!
//!   H_a += alpha [ (r - rbar) (1[a = A] - pi_a) / T  +  beta dEnt/dH_a ],
//!   dEnt/dH_a = -pi_a (ln pi_a + Ent(pi)) / T,
//!
//! with rbar the running mean reward. With an entropy target, beta is the
//! Lagrange multiplier of Ent(pi) >= target, updated by dual ascent:
//! beta <- max(0, beta + lr (target - Ent(pi))), the temperature update of
//! soft actor-critic (Haarnoja et al., "Soft Actor-Critic Algorithms and
//! Applications", 2018) applied to a bandit.

use thermolab_core::math::{entropy, log_softmax};

use crate::draws::Draws;
use crate::params::BanditsParams;
use crate::policy::{Algorithm, Distributions, Round, Setup};

pub struct GradientBandit {
    arms: usize,
    preferences: Vec<f64>,
    baseline: Vec<f64>,
    pulls: Vec<u64>,
    /// The entropy coefficient of each run; moves only when a target is held.
    beta: Vec<f64>,
    policy: Distributions,
}

impl GradientBandit {
    pub fn new(setup: &Setup, params: &BanditsParams) -> Self {
        Self {
            arms: setup.arms,
            preferences: vec![0.0; setup.runs * setup.arms],
            baseline: vec![0.0; setup.runs],
            pulls: vec![0; setup.runs],
            beta: vec![params.entropy_coef; setup.runs],
            policy: Distributions::new(setup),
        }
    }

    pub fn beta(&self, run: usize) -> f64 {
        self.beta[run]
    }
}

impl Algorithm for GradientBandit {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let h = &self.preferences[run * self.arms..(run + 1) * self.arms];
        let log_probs = log_softmax(h, round.params.gradient_temperature);
        self.policy.sample(run, &log_probs, draws)
    }

    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64) {
        let log_probs = self.policy.row(run).to_vec();
        let ent = entropy(&log_probs);
        let beta = match round.params.held_entropy(self.arms) {
            Some(target) => {
                let next = (self.beta[run] + round.params.dual_step * (target - ent)).max(0.0);
                self.beta[run] = next;
                next
            }
            None => {
                self.beta[run] = round.params.entropy_coef;
                round.params.entropy_coef
            }
        };
        let advantage = reward - self.baseline[run];
        let t = round.params.gradient_temperature;
        let h = &mut self.preferences[run * self.arms..(run + 1) * self.arms];
        for (a, (h_a, lp)) in h.iter_mut().zip(&log_probs).enumerate() {
            let pi = lp.exp();
            let chosen = if a == arm { 1.0 } else { 0.0 };
            let entropy_grad = if pi > 0.0 { -pi * (lp + ent) / t } else { 0.0 };
            *h_a += round.params.step_size * (advantage * (chosen - pi) / t + beta * entropy_grad);
        }
        self.pulls[run] += 1;
        self.baseline[run] += advantage / self.pulls[run] as f64;
    }

    fn log_policy(&self, run: usize) -> Option<&[f64]> {
        Some(self.policy.row(run))
    }
}
