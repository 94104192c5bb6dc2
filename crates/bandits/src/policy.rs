//! What every bandit algorithm implements, and the per-arm statistics most of
//! them keep. Algorithms read their live controls from the round's
//! [`BanditsParams`]. State is stored for all runs at once (run-major arrays), so
//! 100,000 independent runs cost flat arrays, not 100,000 allocations.

use crate::draws::Draws;
use crate::env::Kind;
use crate::params::BanditsParams;

/// Fixed for the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    pub runs: usize,
    pub arms: usize,
    pub horizon: u64,
    /// Feature dimension d (K for one-hot features).
    pub dim: usize,
    /// Ridge regularization lambda of the linear algorithms.
    pub ridge_lambda: f64,
    /// Rewards in {0, 1} (Beta posteriors, Bernoulli KL) or unit-variance Gaussian.
    pub binary_rewards: bool,
}

impl Setup {
    /// What `params` fix for the run. Linear algorithms see `dim` features
    /// in the linear environment and one-hot features (dimension K) elsewhere.
    pub fn of(params: &BanditsParams) -> Self {
        Self {
            runs: params.runs,
            arms: params.arms,
            horizon: params.horizon,
            dim: if params.env == Kind::Linear {
                params.dim
            } else {
                params.arms
            },
            ridge_lambda: params.ridge_lambda,
            binary_rewards: params.env.is_binary(),
        }
    }
}

/// One round of one run as an algorithm sees it: the step, each arm's
/// feature vector (K-armed environments give one-hot features, so linear
/// algorithms run there too) and the controls as they stand this round.
pub struct Round<'a> {
    /// 0-based step.
    pub t: u64,
    pub dim: usize,
    /// `arms * dim` features, arm-major.
    pub contexts: &'a [f64],
    pub params: &'a BanditsParams,
}

impl Round<'_> {
    pub fn context(&self, arm: usize) -> &[f64] {
        &self.contexts[arm * self.dim..(arm + 1) * self.dim]
    }
}

pub trait Algorithm {
    /// Picks the arm of `run` in this round.
    fn choose(&mut self, run: usize, round: &Round, draws: &mut Draws) -> usize;

    /// Learns from the reward of the chosen arm.
    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64);

    /// The last policy of `run` as log-probabilities, for algorithms that
    /// keep an explicit distribution over arms.
    fn log_policy(&self, _run: usize) -> Option<&[f64]> {
        None
    }

    /// For linear algorithms: theta_hat and A^-1, whose ellipsoid
    /// (theta - theta_hat)^T A (theta - theta_hat) <= alpha^2 is the confidence set.
    fn confidence_set(&self, _run: usize) -> Option<(Vec<f64>, &[f64])> {
        None
    }
}

/// Pull counts and reward sums per (run, arm).
pub struct ArmStats {
    pub arms: usize,
    pub counts: Vec<u32>,
    pub sums: Vec<f64>,
}

impl ArmStats {
    pub fn new(setup: &Setup) -> Self {
        Self {
            arms: setup.arms,
            counts: vec![0; setup.runs * setup.arms],
            sums: vec![0.0; setup.runs * setup.arms],
        }
    }

    pub fn count(&self, run: usize, arm: usize) -> f64 {
        f64::from(self.counts[run * self.arms + arm])
    }

    pub fn sum(&self, run: usize, arm: usize) -> f64 {
        self.sums[run * self.arms + arm]
    }

    pub fn mean(&self, run: usize, arm: usize) -> f64 {
        let i = run * self.arms + arm;
        self.sums[i] / f64::from(self.counts[i].max(1))
    }

    pub fn record(&mut self, run: usize, arm: usize, reward: f64) {
        let i = run * self.arms + arm;
        self.counts[i] += 1;
        self.sums[i] += reward;
    }

    /// The first arm not yet pulled: index policies pull each arm once first.
    pub fn unpulled(&self, run: usize) -> Option<usize> {
        self.counts[run * self.arms..(run + 1) * self.arms]
            .iter()
            .position(|c| *c == 0)
    }
}

/// Scores this close to the best (relative to max(1, |best|)) are ties:
/// equal in exact arithmetic, apart only by rounding. LinUCB's first round
/// is one (every width is 1/sqrt(lambda)); without a tolerance the rounding
/// of each machine would pick the arm, and the GPU's f32 could not replay it.
pub const TIE_TOLERANCE: f64 = 1e-5;

/// The index of the largest score, ties broken uniformly at random: a fixed
/// tie-break would favour whichever arm is listed first (greedy would look
/// perfect whenever the best arm is arm 0).
pub fn argmax(scores: impl Iterator<Item = f64>, draws: &mut Draws) -> usize {
    let scores: Vec<f64> = scores.collect();
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = best - TIE_TOLERANCE * best.abs().max(1.0);
    let tied: Vec<usize> = (0..scores.len()).filter(|i| scores[*i] >= floor).collect();
    match tied.len() {
        0 => 0,
        1 => tied[0],
        n => tied[((draws.uniform() * n as f64) as usize).min(n - 1)],
    }
}

/// The last distribution over arms of each run, as log-probabilities, for
/// algorithms that sample their arm from an explicit policy.
pub struct Distributions {
    arms: usize,
    log_probs: Vec<f64>,
}

impl Distributions {
    pub fn new(setup: &Setup) -> Self {
        let uniform = -(setup.arms as f64).ln();
        Self {
            arms: setup.arms,
            log_probs: vec![uniform; setup.runs * setup.arms],
        }
    }

    pub fn row(&self, run: usize) -> &[f64] {
        &self.log_probs[run * self.arms..(run + 1) * self.arms]
    }

    /// Stores `log_probs` as the policy of `run` and samples an arm from it.
    pub fn sample(&mut self, run: usize, log_probs: &[f64], draws: &mut Draws) -> usize {
        self.log_probs[run * self.arms..(run + 1) * self.arms].copy_from_slice(log_probs);
        let probs: Vec<f64> = log_probs.iter().map(|lp| lp.exp()).collect();
        draws.categorical(&probs)
    }

    pub fn prob(&self, run: usize, arm: usize) -> f64 {
        self.log_probs[run * self.arms + arm].exp()
    }
}
