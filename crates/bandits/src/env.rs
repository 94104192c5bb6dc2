//! Environments: what each arm pays at each step. Rewards are drawn from the
//! counter RNG on (run, step, arm), so every algorithm of a run faces the same
//! realized rewards (common random numbers): differences between curves are
//! the algorithms', not the luck of the draw.

use thermolab_core::rng::{CounterRng, normal_f32, unit_f32};

use thermolab_kit::choices;

use crate::draws::Draws;
use crate::params::{BanditsParams, Instance, MEAN_PAD};

/// First RNG stream of the environment; arm `a` draws from stream `a`.
const ENV_STREAM: u32 = 0;
/// Streams of the linear environment's contexts, after the arms' streams.
pub const CONTEXT_STREAM: u32 = 256;
/// The run index that draws the linear environment's fixed vectors.
const SHARED_RUN: u32 = u32::MAX;

choices! {
    /// How the arms pay.
    pub enum Kind {
        Bernoulli = ("bernoulli", "Bernoulli arms"),
        /// Unit-variance Gaussian rewards.
        Gaussian = ("gaussian", "Gaussian arms (variance 1)"),
        /// Bernoulli arms whose means reverse at `switch_step`.
        Piecewise = ("piecewise", "Piecewise stationary"),
        /// An oblivious adversary: the good arm alternates over phases that
        /// double in length, so the leader in hindsight keeps changing.
        Adversarial = ("adversarial", "Adversarial"),
        /// Linear contextual: K feature vectors per round, reward linear in
        /// them up to the misspecification zeta, plus Gaussian noise.
        Linear = ("linear", "Linear contextual"),
    }
}

impl Kind {
    /// Rewards in {0, 1}: Beta posteriors and Bernoulli KL apply.
    pub fn is_binary(self) -> bool {
        !matches!(self, Self::Gaussian | Self::Linear)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub kind: Kind,
    /// Means at step 0.
    pub means: Vec<f64>,
    pub switch_step: u64,
    pub linear: Option<LinearModel>,
    rng: CounterRng,
}

/// The linear contextual model, after "On the Interplay Between
/// Misspecification and Sub-optimality Gap in Linear Contextual Bandits"
/// (Zhang, He, Fan & Gu, ICML 2023): each round, K unit feature vectors x_a
/// with linear means <theta, x_a>, the best exceeding every other by at least
/// `gap`; the reward is <theta, x> + eta(x) + noise, with the fixed
/// non-linearity eta(x) = zeta sign(<w, x>), w a unit vector orthogonal to theta.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub theta: Vec<f64>,
    pub w: Vec<f64>,
    pub gap: f64,
    pub zeta: f64,
    pub noise: f64,
    pub design: ContextDesign,
}

choices! {
    /// How each round's feature vectors are drawn.
    pub enum ContextDesign {
        /// Random unit vectors with the stated gap in <theta, x>.
        Random = ("random", "Random"),
        /// A design where misspecification misleads least squares: the best
        /// arm is sqrt(1 - NUDGE^2) theta + s NUDGE w with a random sign s,
        /// the others +w and -w in turn. On the best arm's many rounds the
        /// rewards' +-zeta looks like a slope zeta / NUDGE along w, which
        /// makes the +w arm look far better than it is to a regression that
        /// keeps every round.
        Aligned = ("aligned", "Aligned with the misspecification"),
    }
}

/// The best arm's step along w in the aligned design.
pub const NUDGE: f64 = 0.1;

/// What the arms of one run offer in one round.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundData {
    pub dim: usize,
    /// `arms * dim` features, arm-major.
    pub contexts: Vec<f64>,
    /// Each arm's expected reward.
    pub means: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A uniformly random unit vector orthogonal to the unit vector `normal`.
fn orthogonal_unit(draws: &mut Draws, normal: &[f64]) -> Vec<f64> {
    loop {
        let mut v: Vec<f64> = (0..normal.len()).map(|_| draws.normal()).collect();
        let along = dot(&v, normal);
        v.iter_mut().zip(normal).for_each(|(x, n)| *x -= along * n);
        let norm = dot(&v, &v).sqrt();
        if norm > 1e-6 {
            return v.into_iter().map(|x| x / norm).collect();
        }
    }
}

impl LinearModel {
    /// theta and w drawn from the seed, shared by every run.
    pub fn new(dim: usize, gap: f64, zeta: f64, noise: f64, rng: CounterRng) -> Self {
        let mut draws = Draws::new(rng, SHARED_RUN, 0, CONTEXT_STREAM);
        let mut theta: Vec<f64> = (0..dim).map(|_| draws.normal()).collect();
        let norm = dot(&theta, &theta).sqrt().max(1e-12);
        theta.iter_mut().for_each(|x| *x /= norm);
        let w = orthogonal_unit(&mut draws, &theta);
        Self {
            theta,
            w,
            gap,
            zeta,
            noise,
            design: ContextDesign::Random,
        }
    }

    pub fn with_design(self, design: ContextDesign) -> Self {
        Self { design, ..self }
    }

    pub fn mean(&self, x: &[f64]) -> f64 {
        let eta = if dot(&self.w, x) >= 0.0 {
            self.zeta
        } else {
            -self.zeta
        };
        dot(&self.theta, x) + eta
    }

    /// The K feature vectors of `run` at step `t`: a random best arm with
    /// linear mean in [gap, 1], the others in [-1, best - gap].
    pub fn round(&self, arms: usize, rng: CounterRng, run: u32, t: u64) -> RoundData {
        if self.design == ContextDesign::Aligned {
            return self.aligned_round(arms, rng, run, t);
        }
        let dim = self.theta.len();
        let mut draws = Draws::new(rng, run, t as u32, CONTEXT_STREAM);
        let best = ((draws.uniform() * arms as f64) as usize).min(arms - 1);
        let top = self.gap + (1.0 - self.gap) * draws.uniform();
        let mut contexts = Vec::with_capacity(arms * dim);
        for arm in 0..arms {
            let along = if arm == best {
                top
            } else {
                -1.0 + (top - self.gap + 1.0) * draws.uniform()
            };
            let across = orthogonal_unit(&mut draws, &self.theta);
            let side = (1.0 - along * along).max(0.0).sqrt();
            contexts.extend(
                self.theta
                    .iter()
                    .zip(&across)
                    .map(|(th, u)| along * th + side * u),
            );
        }
        let means = contexts.chunks_exact(dim).map(|x| self.mean(x)).collect();
        RoundData {
            dim,
            contexts,
            means,
        }
    }
}

impl LinearModel {
    /// The aligned design's round (see [`ContextDesign::Aligned`]).
    fn aligned_round(&self, arms: usize, rng: CounterRng, run: u32, t: u64) -> RoundData {
        let dim = self.theta.len();
        let mut draws = Draws::new(rng, run, t as u32, CONTEXT_STREAM);
        let best = ((draws.uniform() * arms as f64) as usize).min(arms - 1);
        let nudge = if draws.uniform() < 0.5 { -NUDGE } else { NUDGE };
        let along = (1.0 - NUDGE * NUDGE).sqrt();
        let mut contexts = Vec::with_capacity(arms * dim);
        for arm in 0..arms {
            let x: Vec<f64> = if arm == best {
                self.theta
                    .iter()
                    .zip(&self.w)
                    .map(|(th, w)| along * th + nudge * w)
                    .collect()
            } else {
                // The other arms take +w and -w in turn.
                let decoy = arm - usize::from(arm > best);
                let sign = if decoy % 2 == 0 { 1.0 } else { -1.0 };
                self.w.iter().map(|w| sign * w).collect()
            };
            contexts.extend(x);
        }
        let means = contexts.chunks_exact(dim).map(|x| self.mean(x)).collect();
        RoundData {
            dim,
            contexts,
            means,
        }
    }
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
    /// The environment `params` describe; its random draws come from `rng`.
    pub fn of(params: &BanditsParams, rng: CounterRng) -> Self {
        let (arms, gap) = (params.arms, params.gap);
        let means = match params.instance {
            Instance::Staircase => staircase(arms, gap),
            Instance::Custom => (0..arms)
                .map(|i| params.means.get(i).copied().unwrap_or(MEAN_PAD))
                .collect(),
            Instance::OneGood => one_good_arm(arms, gap),
        };
        let env = Self::new(params.env, means, params.switch_step, rng);
        if params.env != Kind::Linear {
            return env;
        }
        let model = LinearModel::new(params.dim, gap, params.zeta, params.noise, rng)
            .with_design(params.contexts);
        env.with_linear_model(model)
    }

    pub fn new(kind: Kind, means: Vec<f64>, switch_step: u64, rng: CounterRng) -> Self {
        Self {
            kind,
            means,
            switch_step,
            linear: None,
            rng,
        }
    }

    pub fn with_linear_model(self, model: LinearModel) -> Self {
        Self {
            linear: Some(model),
            ..self
        }
    }

    /// The arms of `run` at step `t`: one-hot features for K-armed
    /// environments, drawn ones for the linear environment.
    pub fn round(&self, run: u32, t: u64) -> RoundData {
        if let Some(model) = &self.linear {
            return model.round(self.arms(), self.rng, run, t);
        }
        let arms = self.arms();
        let mut contexts = vec![0.0; arms * arms];
        (0..arms).for_each(|a| contexts[a * arms + a] = 1.0);
        RoundData {
            dim: arms,
            contexts,
            means: self.means_at(t),
        }
    }

    pub fn arms(&self) -> usize {
        self.means.len()
    }

    /// Each arm's mean at step `t` (0-based).
    pub fn means_at(&self, t: u64) -> Vec<f64> {
        let reversed = match self.kind {
            Kind::Bernoulli | Kind::Gaussian | Kind::Linear => false,
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
            Kind::Linear => {
                let noise = self.linear.as_ref().map_or(0.0, |m| m.noise);
                means[arm] + noise * f64::from(normal_f32(w[0], w[1]))
            }
            _ => f64::from(u8::from(f64::from(unit_f32(w[0])) < means[arm])),
        }
    }

    /// Kullback-Leibler divergence between the reward laws of means p and q.
    pub fn kl(&self, p: f64, q: f64) -> f64 {
        match self.kind {
            Kind::Gaussian | Kind::Linear => (p - q).powi(2) / 2.0,
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
    fn linear_rounds_have_unit_features_and_the_stated_gap() {
        let rng = CounterRng::new(8);
        let model = LinearModel::new(3, 0.2, 0.0, 0.1, rng);
        assert!((dot(&model.theta, &model.theta) - 1.0).abs() < 1e-9);
        assert!(dot(&model.theta, &model.w).abs() < 1e-9);
        for t in 0..50 {
            let round = model.round(6, rng, 1, t);
            for x in round.contexts.chunks_exact(3) {
                assert!((dot(x, x) - 1.0).abs() < 1e-9);
            }
            let mut means = round.means.clone();
            means.sort_by(|a, b| b.total_cmp(a));
            assert!(means[0] - means[1] >= 0.2 - 1e-9, "{means:?}");
        }
        // Misspecification moves every mean by exactly zeta.
        let bent = LinearModel::new(3, 0.2, 0.3, 0.1, rng);
        let round = bent.round(6, rng, 1, 0);
        for (x, m) in round.contexts.chunks_exact(3).zip(&round.means) {
            assert!(((m - dot(&bent.theta, x)).abs() - 0.3).abs() < 1e-9);
        }
    }

    #[test]
    fn the_aligned_design_has_unit_features_and_its_stated_means() {
        let rng = CounterRng::new(4);
        let model = LinearModel::new(3, 0.2, 0.3, 0.1, rng).with_design(ContextDesign::Aligned);
        let best_linear = (1.0 - NUDGE * NUDGE).sqrt();
        for t in 0..40 {
            let round = model.round(4, rng, 2, t);
            let mut decoys = Vec::new();
            for (x, m) in round.contexts.chunks_exact(3).zip(&round.means) {
                assert!((dot(x, x) - 1.0).abs() < 1e-9);
                if (dot(x, &model.theta) - best_linear).abs() < 1e-9 {
                    // The best arm: +-NUDGE along w, and +-zeta with it.
                    let along_w = dot(x, &model.w);
                    assert!((along_w.abs() - NUDGE).abs() < 1e-9);
                    assert!((m - best_linear - 0.3 * along_w.signum()).abs() < 1e-9);
                } else {
                    decoys.push(dot(x, &model.w));
                    assert!((m - 0.3 * dot(x, &model.w)).abs() < 1e-9);
                }
            }
            // Three decoys: +w, -w, +w.
            assert_eq!(decoys.len(), 3, "{:?}", round.contexts);
            assert!(
                decoys
                    .iter()
                    .zip([1.0, -1.0, 1.0])
                    .all(|(d, s)| (d - s).abs() < 1e-9)
            );
        }
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
