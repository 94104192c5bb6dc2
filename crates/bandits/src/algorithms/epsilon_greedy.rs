//! epsilon-greedy. Constant: explore uniformly with probability epsilon.
//! Decaying: epsilon_t = min(1, epsilon K / t), the epsilon_n-greedy of Auer,
//! Cesa-Bianchi & Fischer, "Finite-time Analysis of the Multiarmed Bandit
//! Problem", Machine Learning 47, 2002 (their c / d^2 folded into epsilon).

use crate::draws::Draws;
use crate::policy::{Algorithm, ArmStats, Round, Setup, argmax};

pub struct EpsilonGreedy {
    stats: ArmStats,
}

impl EpsilonGreedy {
    pub fn new(setup: &Setup) -> Self {
        Self {
            stats: ArmStats::new(setup),
        }
    }
}

impl Algorithm for EpsilonGreedy {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let arms = self.stats.arms;
        let epsilon = if round.params.decay_epsilon {
            (round.params.epsilon * arms as f64 / (round.t + 1) as f64).min(1.0)
        } else {
            round.params.epsilon
        };
        let explore = draws.uniform() < epsilon;
        let random_arm = ((draws.uniform() * arms as f64) as usize).min(arms - 1);
        if explore {
            random_arm
        } else {
            argmax((0..arms).map(|a| self.stats.mean(run, a)), draws)
        }
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        self.stats.record(run, arm, reward);
    }
}
