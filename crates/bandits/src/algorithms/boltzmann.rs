//! Boltzmann (softmax) exploration: pull arm i with probability proportional
//! to exp(mean_i / T). T -> 0 is greedy, T -> infinity uniform. With annealing
//! T_t = T / ln(e + t). Sutton & Barto, "Reinforcement Learning: An
//! Introduction", 2nd ed., 2018, section 2.3; on why a fixed schedule can fail,
//! Cesa-Bianchi, Gentile, Lugosi & Neu, "Boltzmann Exploration Done Right", NeurIPS 2017.

use thermolab_core::math::log_softmax;

use crate::draws::Draws;
use crate::params::BanditsParams;
use crate::policy::{Algorithm, ArmStats, Distributions, Round, Setup};

pub struct Boltzmann {
    stats: ArmStats,
    policy: Distributions,
}

impl Boltzmann {
    pub fn new(setup: &Setup) -> Self {
        Self {
            stats: ArmStats::new(setup),
            policy: Distributions::new(setup),
        }
    }
}

/// The temperature at step `t`.
pub fn temperature_at(params: &BanditsParams, t: u64) -> f64 {
    if params.anneal {
        params.temperature / (std::f64::consts::E + t as f64).ln()
    } else {
        params.temperature
    }
}

impl Algorithm for Boltzmann {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        let means: Vec<f64> = (0..self.stats.arms)
            .map(|a| self.stats.mean(run, a))
            .collect();
        let log_probs = log_softmax(&means, temperature_at(round.params, round.t));
        self.policy.sample(run, &log_probs, draws)
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        self.stats.record(run, arm, reward);
    }

    fn log_policy(&self, run: usize) -> Option<&[f64]> {
        Some(self.policy.row(run))
    }
}

#[cfg(test)]
mod tests {
    use thermolab_core::math::entropy;
    use thermolab_core::rng::CounterRng;

    use super::*;
    use crate::algorithms::epsilon_greedy::EpsilonGreedy;

    #[test]
    fn cold_softmax_pulls_what_greedy_pulls() {
        let setup = Setup {
            runs: 1,
            arms: 4,
            horizon: 100,
            dim: 4,
            ridge_lambda: 1.0,
            binary_rewards: false,
        };
        let params = BanditsParams {
            temperature: 1e-3,
            epsilon: 0.0,
            ..BanditsParams::default()
        };
        let mut softmax = Boltzmann::new(&setup);
        let mut greedy = EpsilonGreedy::new(&setup);
        let rng = CounterRng::new(9);
        // The leader changes; at the end arms 2 and 1 differ by only 0.05.
        let rewards = [(0, 0.2), (1, 0.9), (2, 0.5), (3, 0.4), (1, 0.3), (2, 0.8)];
        let mut leaders = Vec::new();
        for (step, (arm, reward)) in rewards.into_iter().enumerate() {
            let t = step as u64;
            let round = Round {
                t,
                dim: 0,
                contexts: &[],
                params: &params,
            };
            softmax.update(0, &round, arm, reward);
            greedy.update(0, &round, arm, reward);
            let leader = greedy.choose(0, &round, &mut Draws::new(rng, 0, t as u32, 0));
            for stream in 0..50 {
                let mut draws = Draws::new(rng, 0, t as u32, stream);
                assert_eq!(softmax.choose(0, &round, &mut draws), leader, "step {step}");
            }
            assert!(entropy(softmax.log_policy(0).unwrap()) < 1e-6);
            leaders.push(leader);
        }
        assert_eq!(leaders, [0, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn annealing_cools_as_ln_t() {
        let params = BanditsParams {
            temperature: 2.0,
            anneal: true,
            ..BanditsParams::default()
        };
        assert!((temperature_at(&params, 0) - 2.0).abs() < 1e-12);
        let t = 1000;
        let expected = 2.0 / (std::f64::consts::E + t as f64).ln();
        assert!((temperature_at(&params, t) - expected).abs() < 1e-12);
    }
}
