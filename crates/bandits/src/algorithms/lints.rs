//! Linear Thompson sampling: draw theta_tilde ~ N(theta_hat, v^2 A^-1) and
//! pull argmax_a <theta_tilde, x_a>. Agrawal & Goyal, "Thompson Sampling for
//! Contextual Bandits with Linear Payoffs", ICML 2013; v is a live control.

use crate::draws::Draws;
use crate::policy::{Algorithm, Live, Round, Setup, argmax};
use crate::ridge::Ridge;

pub struct LinTs {
    ridge: Ridge,
}

impl LinTs {
    pub fn new(setup: &Setup) -> Self {
        Self {
            ridge: Ridge::new(setup.runs, setup.dim, setup.ridge_lambda),
        }
    }
}

impl Algorithm for LinTs {
    fn choose(&mut self, run: usize, round: &Round, live: &Live, draws: &mut Draws) -> usize {
        let d = round.dim;
        let l = self.ridge.cholesky(run);
        let z: Vec<f64> = (0..d).map(|_| draws.normal()).collect();
        let sample: Vec<f64> = self
            .ridge
            .theta(run)
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t + live.posterior_scale * (0..=i).map(|k| l[i * d + k] * z[k]).sum::<f64>()
            })
            .collect();
        let arms = round.contexts.len() / d;
        let scores: Vec<f64> = (0..arms)
            .map(|a| {
                sample
                    .iter()
                    .zip(round.context(a))
                    .map(|(s, x)| s * x)
                    .sum()
            })
            .collect();
        argmax(scores.into_iter(), draws)
    }

    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64, _live: &Live) {
        self.ridge.observe(run, round.context(arm), reward);
    }

    fn confidence_set(&self, run: usize) -> Option<(Vec<f64>, &[f64])> {
        Some((self.ridge.theta(run), self.ridge.a_inv(run)))
    }
}
