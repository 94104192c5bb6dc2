//! Thompson sampling: draw a mean for each arm from its posterior and pull
//! the largest. Thompson, "On the likelihood that one unknown probability
//! exceeds another", Biometrika 25, 1933; analysed by Agrawal & Goyal,
//! "Analysis of Thompson Sampling for the Multi-armed Bandit Problem", COLT 2012.
//! {0, 1} rewards: Beta(1 + successes, 1 + failures). Unit-variance Gaussian
//! rewards with a flat prior: Normal(mean_i, 1 / n_i), after one pull of each.

use crate::draws::Draws;
use crate::policy::{Algorithm, ArmStats, Round, Setup, argmax};

pub struct Thompson {
    stats: ArmStats,
    binary: bool,
}

impl Thompson {
    pub fn new(setup: &Setup) -> Self {
        Self {
            stats: ArmStats::new(setup),
            binary: setup.binary_rewards,
        }
    }
}

impl Algorithm for Thompson {
    fn choose(&mut self, run: usize, _round: &Round, draws: &mut Draws) -> usize {
        let samples: Vec<f64> = if self.binary {
            (0..self.stats.arms)
                .map(|a| {
                    let successes = self.stats.sum(run, a);
                    let failures = self.stats.count(run, a) - successes;
                    draws.beta(1.0 + successes, 1.0 + failures)
                })
                .collect()
        } else {
            if let Some(arm) = self.stats.unpulled(run) {
                return arm;
            }
            (0..self.stats.arms)
                .map(|a| self.stats.mean(run, a) + draws.normal() / self.stats.count(run, a).sqrt())
                .collect()
        };
        argmax(samples.into_iter(), draws)
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        self.stats.record(run, arm, reward);
    }
}
