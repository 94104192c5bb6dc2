//! UCB1: pull argmax_i  mean_i + c sqrt(2 ln t / n_i), after one pull of each
//! arm. Auer, Cesa-Bianchi & Fischer, "Finite-time Analysis of the Multiarmed
//! Bandit Problem", Machine Learning 47, 2002. c = 1 is the paper's index; the
//! width c is a live control.

use crate::draws::Draws;
use crate::policy::{Algorithm, ArmStats, Round, Setup, argmax};

pub struct Ucb1 {
    stats: ArmStats,
}

impl Ucb1 {
    pub fn new(setup: &Setup) -> Self {
        Self {
            stats: ArmStats::new(setup),
        }
    }
}

impl Algorithm for Ucb1 {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        if let Some(arm) = self.stats.unpulled(run) {
            return arm;
        }
        let log_t = ((round.t + 1) as f64).ln();
        argmax(
            (0..self.stats.arms).map(|a| {
                self.stats.mean(run, a)
                    + round.params.ucb_width * (2.0 * log_t / self.stats.count(run, a)).sqrt()
            }),
            draws,
        )
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        self.stats.record(run, arm, reward);
    }
}
