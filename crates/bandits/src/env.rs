//! Environments: what each arm pays at each step. Rewards are drawn from the
//! counter RNG on (run, step, arm), so every algorithm of a run faces the same
//! realized rewards (common random numbers): differences between curves are
//! the algorithms', not the luck of the draw.

use thermolab_core::rng::{CounterRng, normal_f32, unit_f32};

/// First RNG stream of the environment; arm `a` draws from stream `a`.
const ENV_STREAM: u32 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bernoulli,
    /// Unit-variance Gaussian rewards.
    Gaussian,
    /// Bernoulli arms whose means reverse at `switch_step`.
    Piecewise,
    /// An oblivious adversary: the good arm alternates over phases that
    /// double in length, so the leader in hindsight keeps changing.
    Adversarial,
}

impl Kind {
    pub fn parse(id: &str) -> Option<Self> {
        match id {
            "bernoulli" => Some(Self::Bernoulli),
            "gaussian" => Some(Self::Gaussian),
            "piecewise" => Some(Self::Piecewise),
            "adversarial" => Some(Self::Adversarial),
            _ => None,
        }
    }

    /// Rewards in {0, 1}: Beta posteriors and Bernoulli KL apply.
    pub fn is_binary(self) -> bool {
        self != Self::Gaussian
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub kind: Kind,
    /// Means at step 0.
    pub means: Vec<f64>,
    pub switch_step: u64,
    rng: CounterRng,
}

/// Means with one good arm: 0.5 + gap/2 for arm 0, 0.5 - gap/2 for the rest.
pub fn one_good_arm(arms: usize, gap: f64) -> Vec<f64> {
    (0..arms)
        .map(|a| {
            if a == 0 {
                0.5 + gap / 2.0
            } else {
                0.5 - gap / 2.0
            }
        })
        .collect()
}

/// Means falling by `gap` from 0.9, kept inside [0.05, 0.95].
pub fn staircase(arms: usize, gap: f64) -> Vec<f64> {
    (0..arms)
        .map(|a| (0.9 - gap * a as f64).clamp(0.05, 0.95))
        .collect()
}

impl Environment {
    pub fn new(kind: Kind, means: Vec<f64>, switch_step: u64, rng: CounterRng) -> Self {
        Self {
            kind,
            means,
            switch_step,
            rng,
        }
    }

    pub fn arms(&self) -> usize {
        self.means.len()
    }

    /// Each arm's mean at step `t` (0-based).
    pub fn means_at(&self, t: u64) -> Vec<f64> {
        let reversed = match self.kind {
            Kind::Bernoulli | Kind::Gaussian => false,
            Kind::Piecewise => t >= self.switch_step,
            // Phases [2^k - 1, 2^(k+1) - 1): odd k reverse the means.
            Kind::Adversarial => (t + 1).ilog2() % 2 == 1,
        };
        if reversed {
            self.means.iter().rev().copied().collect()
        } else {
            self.means.clone()
        }
    }

    /// What `arm` pays in `run` at step `t`, given the means at `t`.
    pub fn reward(&self, means: &[f64], run: u32, t: u64, arm: usize) -> f64 {
        let w = self.rng.words(run, t as u32, ENV_STREAM + arm as u32);
        match self.kind {
            Kind::Gaussian => means[arm] + f64::from(normal_f32(w[0], w[1])),
            _ => f64::from(u8::from(f64::from(unit_f32(w[0])) < means[arm])),
        }
    }

    /// Kullback-Leibler divergence between the reward laws of means p and q.
    pub fn kl(&self, p: f64, q: f64) -> f64 {
        match self.kind {
            Kind::Gaussian => (p - q).powi(2) / 2.0,
            _ => bernoulli_kl(p, q),
        }
    }

    /// The Lai-Robbins constant: regret grows at least as this times ln t for
    /// any consistent algorithm (Lai & Robbins, "Asymptotically efficient
    /// adaptive allocation rules", 1985). Only for stationary environments.
    pub fn lai_robbins_constant(&self) -> Option<f64> {
        if !matches!(self.kind, Kind::Bernoulli | Kind::Gaussian) {
            return None;
        }
        let best = self.means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(
            self.means
                .iter()
                .filter(|m| **m < best)
                .map(|m| (best - m) / self.kl(*m, best))
                .sum(),
        )
    }
}

/// kl(p, q) for Bernoulli laws, with the 0 log 0 = 0 convention.
pub fn bernoulli_kl(p: f64, q: f64) -> f64 {
    let q = q.clamp(1e-12, 1.0 - 1e-12);
    let term = |a: f64, b: f64| if a > 0.0 { a * (a / b).ln() } else { 0.0 };
    term(p, q) + term(1.0 - p, 1.0 - q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(kind: Kind) -> Environment {
        Environment::new(kind, vec![0.7, 0.4, 0.2], 10, CounterRng::new(5))
    }

    #[test]
    fn bernoulli_rewards_have_their_means() {
        let e = env(Kind::Bernoulli);
        let means = e.means_at(0);
        let n = 20_000;
        for arm in 0..3 {
            let avg = (0..n).map(|r| e.reward(&means, r, 0, arm)).sum::<f64>() / f64::from(n);
            assert!((avg - means[arm]).abs() < 0.015, "arm {arm}: {avg}");
        }
    }

    #[test]
    fn piecewise_reverses_at_the_switch_and_the_adversary_alternates_phases() {
        let e = env(Kind::Piecewise);
        assert_eq!(e.means_at(9), vec![0.7, 0.4, 0.2]);
        assert_eq!(e.means_at(10), vec![0.2, 0.4, 0.7]);
        let a = env(Kind::Adversarial);
        // Phases: [0,1) normal, [1,3) reversed, [3,7) normal, [7,15) reversed.
        let first: Vec<f64> = [0, 1, 2, 3, 6, 7, 14, 15]
            .iter()
            .map(|t| a.means_at(*t)[0])
            .collect();
        assert_eq!(first, vec![0.7, 0.2, 0.2, 0.7, 0.7, 0.2, 0.2, 0.7]);
    }

    #[test]
    fn kl_and_the_lai_robbins_constant_match_closed_forms() {
        assert!((bernoulli_kl(0.5, 0.5)).abs() < 1e-15);
        let exact = 0.2 * (0.2f64 / 0.5).ln() + 0.8 * (0.8f64 / 0.5).ln();
        assert!((bernoulli_kl(0.2, 0.5) - exact).abs() < 1e-12);
        let g = Environment::new(Kind::Gaussian, vec![1.0, 0.5], 0, CounterRng::new(1));
        // Gaussian, unit variance: gap / (gap^2 / 2) = 2 / gap = 4.
        assert!((g.lai_robbins_constant().unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(env(Kind::Adversarial).lai_robbins_constant(), None);
    }
}
