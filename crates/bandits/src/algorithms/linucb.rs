//! LinUCB / OFUL: ridge-regress rewards on features and pull
//! argmax_a <theta_hat, x_a> + alpha ||x_a||_{A^-1}. Li, Chu, Langford &
//! Schapire, "A Contextual-Bandit Approach to Personalized News Article
//! Recommendation", WWW 2010; Abbasi-Yadkori, Pál & Szepesvári, "Improved
//! Algorithms for Linear Stochastic Bandits", NeurIPS 2011.
//!
//! With a `threshold` it is the data-selection rule of Zhang, He, Fan & Gu,
//! "On the Interplay Between Misspecification and Sub-optimality Gap in Linear
//! Contextual Bandits", ICML 2023 (DS-OFUL): an observation enters the
//! regression only if ||x||_{A^-1} >= threshold, so under misspecification
//! zeta the bias of many low-information rounds does not pile up.

use crate::draws::Draws;
use crate::policy::{Algorithm, Round, Setup, argmax};
use thermolab_core::ridge::Ridge;

pub struct LinUcb {
    ridge: Ridge,
    /// Only the threshold rule skips low-uncertainty observations.
    selects_data: bool,
}

impl LinUcb {
    pub fn new(setup: &Setup, selects_data: bool) -> Self {
        Self {
            ridge: Ridge::new(setup.runs, setup.dim, setup.ridge_lambda),
            selects_data,
        }
    }

    pub fn ridge(&self) -> &Ridge {
        &self.ridge
    }
}

impl Algorithm for LinUcb {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let theta = self.ridge.theta(run);
        let arms = round.contexts.len() / round.dim;
        let scores: Vec<f64> = (0..arms)
            .map(|a| {
                let x = round.context(a);
                let estimate: f64 = theta.iter().zip(x).map(|(t, xi)| t * xi).sum();
                estimate + round.params.linear_width * self.ridge.width(run, x)
            })
            .collect();
        argmax(scores.into_iter(), draws)
    }

    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64) {
        let x = round.context(arm);
        if !self.selects_data || self.ridge.width(run, x) >= round.params.selection_threshold {
            self.ridge.observe(run, x, reward);
        }
    }

    fn confidence_set(&self, run: usize) -> Option<(Vec<f64>, &[f64])> {
        Some((self.ridge.theta(run), self.ridge.a_inv(run)))
    }
}
