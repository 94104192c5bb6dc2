//! What every bandit algorithm implements, and the per-arm statistics most of
//! them keep. State is stored for all runs at once (run-major arrays), so
//! 100,000 independent runs cost flat arrays, not 100,000 allocations.

use crate::draws::Draws;

/// Controls that act on a running experiment, read on every step.
#[derive(Clone, Debug, PartialEq)]
pub struct Live {
    /// Softmax temperature of Boltzmann exploration.
    pub temperature: f64,
    /// Boltzmann temperature T0 / ln(e + t) instead of a constant.
    pub anneal: bool,
    /// epsilon-greedy: exploration probability (or its scale when decaying).
    pub epsilon: f64,
    pub decay_epsilon: bool,
    /// UCB1's width c.
    pub ucb_width: f64,
    /// Gradient bandit: its policy's temperature and step size alpha. Its
    /// own temperature, because preferences are not reward means: the
    /// gradient scales as 1/T and a Boltzmann-sized T of 0.1 makes it collapse.
    pub gradient_temperature: f64,
    pub step_size: f64,
    /// Entropy bonus coefficient beta (its start value when a target is held).
    pub entropy_coef: f64,
    /// Policy entropy (nats) the dual update holds the gradient bandit to.
    pub entropy_target: Option<f64>,
    /// Step size of the dual update of beta.
    pub dual_step: f64,
    /// Exp3's eta as a multiple of the tuned sqrt(2 ln K / (n K)).
    pub exp3_eta_scale: f64,
    /// Exp3's uniform exploration gamma.
    pub exp3_gamma: f64,
    /// LinUCB's confidence width alpha.
    pub linear_width: f64,
    /// LinTS: the posterior's scale v.
    pub posterior_scale: f64,
    /// The threshold rule: least ||x||_{A^-1} for an observation to be used.
    pub selection_threshold: f64,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            temperature: 0.1,
            anneal: false,
            epsilon: 0.1,
            decay_epsilon: false,
            ucb_width: 1.0,
            gradient_temperature: 1.0,
            step_size: 0.1,
            entropy_coef: 0.0,
            entropy_target: None,
            dual_step: 0.05,
            exp3_eta_scale: 1.0,
            exp3_gamma: 0.0,
            linear_width: 1.0,
            posterior_scale: 0.5,
            selection_threshold: 0.1,
        }
    }
}

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

/// One round of one run: the step and each arm's feature vector. K-armed
/// environments give one-hot features, so linear algorithms run there too.
pub struct Round<'a> {
    /// 0-based step.
    pub t: u64,
    pub dim: usize,
    /// `arms * dim` features, arm-major.
    pub contexts: &'a [f64],
}

impl Round<'_> {
    pub fn context(&self, arm: usize) -> &[f64] {
        &self.contexts[arm * self.dim..(arm + 1) * self.dim]
    }
}

pub trait Algorithm {
    /// Picks the arm of `run` in this round.
    fn choose(&mut self, run: usize, round: &Round, live: &Live, draws: &mut Draws) -> usize;

    /// Learns from the reward of the chosen arm.
    fn update(&mut self, run: usize, round: &Round, arm: usize, reward: f64, live: &Live);

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
