//! KL-UCB: pull the arm with the largest q such that n_i kl(mean_i, q) <= ln t.
//! Garivier & Cappé, "The KL-UCB Algorithm for Bounded Stochastic Bandits and
//! Beyond", COLT 2011. Bernoulli kl for {0, 1} rewards (solved by bisection);
//! for unit-variance Gaussians kl = (p - q)^2 / 2 gives q in closed form.

use crate::draws::Draws;
use crate::env::bernoulli_kl;
use crate::policy::{Algorithm, ArmStats, Round, Setup, argmax};

pub struct KlUcb {
    stats: ArmStats,
    binary: bool,
}

impl KlUcb {
    pub fn new(setup: &Setup) -> Self {
        Self {
            stats: ArmStats::new(setup),
            binary: setup.binary_rewards,
        }
    }
}

/// The largest q in [p, 1] with kl(p, q) <= bound, to 1e-6.
pub fn bernoulli_upper(p: f64, bound: f64) -> f64 {
    let (mut lo, mut hi) = (p.clamp(0.0, 1.0), 1.0);
    for _ in 0..25 {
        let mid = 0.5 * (lo + hi);
        if bernoulli_kl(p, mid) > bound {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

impl Algorithm for KlUcb {
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize {
        if let Some(arm) = self.stats.unpulled(run) {
            return arm;
        }
        let log_t = ((round.t + 1) as f64).ln();
        argmax(
            (0..self.stats.arms).map(|a| {
                let (mean, bound) = (self.stats.mean(run, a), log_t / self.stats.count(run, a));
                if self.binary {
                    bernoulli_upper(mean, bound)
                } else {
                    mean + (2.0 * bound).sqrt()
                }
            }),
            draws,
        )
    }

    fn update(&mut self, run: usize, _round: &Round, arm: usize, reward: f64) {
        self.stats.record(run, arm, reward);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_solves_the_kl_equation() {
        for (p, bound) in [(0.3, 0.1), (0.0, 0.5), (0.9, 0.01)] {
            let q = bernoulli_upper(p, bound);
            assert!(q >= p && q <= 1.0);
            assert!(
                (bernoulli_kl(p, q) - bound).abs() < 1e-4,
                "p {p}: kl {}",
                bernoulli_kl(p, q)
            );
        }
        // A mean of 1 has nothing above it.
        assert!((bernoulli_upper(1.0, 0.3) - 1.0).abs() < 1e-6);
    }
}
