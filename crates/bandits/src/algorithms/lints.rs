//! Linear Thompson sampling: draw theta_tilde ~ N(theta_hat, v^2 A^-1) and
//! pull argmax_a <theta_tilde, x_a>. Agrawal & Goyal, "Thompson Sampling for
//! Contextual Bandits with Linear Payoffs", ICML 2013; v is a live control.

use crate::draws::Draws;
use crate::policy::{Algorithm, Round, Setup, argmax};
use thermolab_core::ridge::Ridge;

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

impl LinTs {
    /// theta_tilde = theta_hat + v L z with L L^T = A^-1 and z standard normal.
    pub fn sample_theta(&self, run: usize, scale: f64, draws: &mut Draws) -> Vec<f64> {
        let d = self.ridge.dim;
        let l = self.ridge.cholesky(run);
        let z: Vec<f64> = (0..d).map(|_| draws.normal()).collect();
        self.ridge
            .theta(run)
            .iter()
            .enumerate()
            .map(|(i, t)| t + scale * (0..=i).map(|k| l[i * d + k] * z[k]).sum::<f64>())
            .collect()
    }
}

impl Algorithm for LinTs {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let sample = self.sample_theta(run, round.params.posterior_scale, draws);
        let arms = round.contexts.len() / round.dim;
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

    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64) {
        self.ridge.observe(run, round.context(arm), reward);
    }

    fn confidence_set(&self, run: usize) -> Option<(Vec<f64>, &[f64])> {
        Some((self.ridge.theta(run), self.ridge.a_inv(run)))
    }
}

#[cfg(test)]
mod tests {
    use thermolab_core::rng::CounterRng;

    use super::*;
    use crate::params::BanditsParams;

    #[test]
    fn samples_have_the_posterior_mean_and_covariance() {
        let setup = Setup {
            runs: 1,
            arms: 2,
            horizon: 10,
            dim: 2,
            ridge_lambda: 1.0,
            binary_rewards: false,
        };
        let mut lints = LinTs::new(&setup);
        let contexts = [1.0, 0.0, 0.6, 0.8];
        let params = BanditsParams::default();
        let round = Round {
            t: 0,
            dim: 2,
            contexts: &contexts,
            params: &params,
        };
        for (arm, reward) in [(0, 0.5), (1, 0.9), (1, 0.7), (0, 0.4)] {
            lints.update(0, &round, arm, reward);
        }
        let (theta, a_inv) = lints.confidence_set(0).unwrap();
        let a_inv = a_inv.to_vec();
        let (scale, n) = (0.5, 40_000);
        let samples: Vec<Vec<f64>> = (0..n)
            .map(|i| lints.sample_theta(0, scale, &mut Draws::new(CounterRng::new(2), i, 0, 0)))
            .collect();
        for i in 0..2 {
            let mean = samples.iter().map(|s| s[i]).sum::<f64>() / f64::from(n);
            assert!(
                (mean - theta[i]).abs() < 0.01,
                "mean {i}: {mean} vs {}",
                theta[i]
            );
            for j in 0..2 {
                let cov = samples
                    .iter()
                    .map(|s| (s[i] - theta[i]) * (s[j] - theta[j]))
                    .sum::<f64>()
                    / f64::from(n);
                let want = scale * scale * a_inv[i * 2 + j];
                assert!(
                    (cov - want).abs() < 0.05 * scale * scale * a_inv[0],
                    "cov {i}{j}: {cov} vs {want}"
                );
            }
        }
    }
}
