//! The Bandits lab's parameters, declared once: the page's controls, the
//! URL, the CLI, the typed values the algorithms read and the kernel's
//! `params` uniform all come from [`BanditsParams`].

use thermolab_core::params::Condition;
use thermolab_core::params::ParamError;
use thermolab_kit::params::{
    any_is, choice, float, float_list, int, is, is_not, on, optional_choice, toggle,
};
use thermolab_kit::{ComputePath, choices, params};

use crate::algorithms::AlgorithmId;
use crate::env::{ContextDesign, Kind};
use crate::policy::Setup;

/// Algorithms run side by side on the same environment.
pub const SLOTS: usize = 4;
/// The keys of the [`SLOTS`] algorithm selects: a knob applies when any holds its algorithm.
pub const ALGORITHM_SLOTS: [&str; SLOTS] = ["algo_1", "algo_2", "algo_3", "algo_4"];
/// A new arm's mean when the hand-set list is shorter than the arms.
pub const MEAN_PAD: f64 = 0.5;

choices! {
    /// Where the arm means come from.
    pub enum Instance {
        /// 0.5 + gap/2 for arm 1, 0.5 - gap/2 for the rest.
        OneGood = ("one_good", "One good arm"),
        /// 0.9, 0.9 - gap, ...
        Staircase = ("staircase", "Staircase"),
        /// The `means` list, dragged by hand.
        Custom = ("custom", "Set by hand"),
    }
}

params! {
    /// Everything a Bandits run is set up with; the live ones act on the next round.
    pub struct BanditsParams {
        #[section("Environment")]
        /// How arms pay. Piecewise: the means reverse at the switch step. Linear: K feature vectors per round.
        pub env: Kind = choice("Environment", Kind::Bernoulli),
        /// One good arm: 0.5 + gap/2 against 0.5 - gap/2. Staircase: 0.9, 0.9 - gap, ... Set by hand: drag the bars below.
        pub instance: Instance = choice("Arm means", Instance::OneGood).when(k_armed_env()),
        /// With 'Set by hand': drag a bar to set that arm's mean (one bar per arm; new arms start at 0.5).
        pub means: Vec<f64> = float_list(
            "Arm means by hand",
            0.0..=1.0,
            &[0.7, 0.6, 0.5, 0.4, 0.3],
            MEAN_PAD,
            ("arms", 16),
        )
        .when(Condition::All(vec![
            is("instance", &[Instance::Custom]),
            k_armed_env(),
        ])),
        /// Number of arms K (per round, when linear).
        pub arms: usize = int("Arms", 2..=16, 5),
        /// Difference between neighbouring arm means.
        pub gap: f64 = float("Gap", 0.01..=0.5, 0.2).when(Condition::Any(vec![
            linear_env(),
            is_not("instance", &[Instance::Custom]),
        ])),
        /// Piecewise stationary: the step at which the means reverse.
        pub switch_step: u64 = int("Switch step", 1..=100_000, 1000).log().unit("step").when(is("env", &[Kind::Piecewise])),
        /// Linear: dimension of the features and of theta.
        pub dim: usize = int("Dimension", 2..=8, 2).unit("d").when(linear_env()),
        /// Linear: standard deviation of the Gaussian reward noise.
        pub noise: f64 = float("Noise", 0.0..=1.0, 0.1).unit("sigma").when(linear_env()),
        /// Linear: random unit features with the gap; or the best arm near theta nudged +-0.1 along w and decoys along +-w, where least squares turns zeta into a steep slope.
        pub contexts: ContextDesign = choice("Contexts", ContextDesign::Random).when(linear_env()),
        /// Linear: rewards depart from linear by up to zeta.
        pub zeta: f64 = float("Misspecification", 0.0..=0.5, 0.0).unit("zeta").when(linear_env()),
        #[section("Algorithms")]
        /// Linear algorithms: regularization of the ridge estimate.
        pub ridge_lambda: f64 = float("Ridge lambda", 1e-3..=100.0, 1.0).log().when(uses(&[AlgorithmId::LinUcb, AlgorithmId::LinTs, AlgorithmId::Threshold])),
        /// An algorithm to run on the same environment.
        pub algo_1: AlgorithmId = choice("Algorithm 1", AlgorithmId::Ucb1),
        /// An algorithm to run on the same environment.
        pub algo_2: Option<AlgorithmId> = optional_choice("Algorithm 2", Some(AlgorithmId::Thompson)),
        /// An algorithm to run on the same environment.
        pub algo_3: Option<AlgorithmId> = optional_choice("Algorithm 3", Some(AlgorithmId::Boltzmann)),
        /// An algorithm to run on the same environment.
        pub algo_4: Option<AlgorithmId> = optional_choice("Algorithm 4", None),
        #[section("Runs")]
        /// WebGPU kernels run every environment and algorithm, except the linear algorithms on K-armed arms, which run on the CPU.
        pub compute: ComputePath = choice("Compute on", ComputePath::Auto),
        /// Independent runs N; the band is the 95% interval of the mean over them.
        pub runs: usize = int("Runs", 1..=100_000, 200).log(),
        /// Rounds n per run; Exp3's learning rate is tuned to it.
        pub horizon: u64 = int("Horizon", 10..=100_000, 2000).log().unit("steps"),
        #[section("Algorithm settings")]
        /// Boltzmann exploration: pull arm i with probability proportional to exp(mean_i / T).
        pub temperature: f64 = float("Temperature", 1e-3..=1e3, 0.1).log().live().unit("T").when(uses(&[AlgorithmId::Boltzmann])),
        /// Boltzmann: T / ln(e + t) instead of T.
        pub anneal: bool = toggle("Anneal temperature", false).live().when(uses(&[AlgorithmId::Boltzmann])),
        /// epsilon-greedy: probability of a uniformly random arm.
        pub epsilon: f64 = float("Epsilon", 0.0..=1.0, 0.1).live().when(uses(&[AlgorithmId::EpsilonGreedy])),
        /// epsilon-greedy: min(1, epsilon K / t) instead of epsilon.
        pub decay_epsilon: bool = toggle("Decay epsilon", false).live().when(uses(&[AlgorithmId::EpsilonGreedy])),
        /// UCB1: mean + c sqrt(2 ln t / n).
        pub ucb_width: f64 = float("UCB width", 0.0..=4.0, 1.0).live().unit("c").when(uses(&[AlgorithmId::Ucb1])),
        /// Gradient bandit: its policy is softmax(H / T) of the preferences H.
        pub gradient_temperature: f64 = float("Gradient temperature", 1e-3..=1e3, 1.0).log().live().unit("T").when(uses(&[AlgorithmId::Gradient])),
        /// Gradient bandit: step size of the preference update.
        pub step_size: f64 = float("Gradient step size", 1e-3..=10.0, 0.1).log().live().unit("alpha").when(uses(&[AlgorithmId::Gradient])),
        /// Gradient bandit: weight of the policy-entropy bonus (start value when a target is held).
        pub entropy_coef: f64 = float("Entropy bonus", 0.0..=1.0, 0.0).live().unit("beta").when(uses(&[AlgorithmId::Gradient])),
        /// Gradient bandit: adjust the bonus by dual ascent to hold the entropy target.
        pub hold_entropy: bool = toggle("Hold entropy target", false).live().when(uses(&[AlgorithmId::Gradient])),
        /// Policy entropy to hold; at most ln K (uniform).
        pub entropy_target: f64 = float("Entropy target", 0.0..=2.77, 0.5).live().unit("nats").when(holds_entropy()),
        /// Step size of the entropy bonus's dual update.
        pub dual_step: f64 = float("Dual step size", 1e-3..=1.0, 0.05).log().live().when(holds_entropy()),
        /// Exp3's learning rate as a multiple of the tuned sqrt(2 ln K / (n K)).
        pub exp3_eta_scale: f64 = float("Exp3 eta scale", 0.01..=100.0, 1.0).log().live().unit("x tuned").when(uses(&[AlgorithmId::Exp3])),
        /// Exp3: share of uniform exploration mixed into the policy.
        pub exp3_gamma: f64 = float("Exp3 gamma", 0.0..=1.0, 0.0).live().when(uses(&[AlgorithmId::Exp3])),
        /// LinUCB and the threshold rule: estimate + alpha ||x||_{A^-1}.
        pub linear_width: f64 = float("LinUCB width", 0.0..=4.0, 1.0).live().unit("alpha").when(uses(&[AlgorithmId::LinUcb, AlgorithmId::Threshold])),
        /// LinTS: theta is drawn from N(theta_hat, v^2 A^-1).
        pub posterior_scale: f64 = float("LinTS scale", 0.0..=4.0, 0.5).live().unit("v").when(uses(&[AlgorithmId::LinTs])),
        /// Threshold rule: a round enters the regression only if ||x||_{A^-1} >= Gamma.
        pub selection_threshold: f64 = float("Selection threshold", 0.0..=1.0, 0.1).live().unit("Gamma").when(uses(&[AlgorithmId::Threshold])),
        #[section("View")]
        /// Draw regret against ln t: logarithmic regret becomes a straight line.
        pub log_time: bool = toggle("Log time axis", false).live(),
    }
    limits: memory_limit
}

/// Most memory the runs' state may take (the CPU path's, which is the larger).
pub const MAX_STATE_BYTES: usize = 256 << 20;

/// The runs' state stays under [`MAX_STATE_BYTES`]: per run and algorithm a
/// count, a sum and a probability per arm, and for a linear algorithm A^-1
/// and b (d^2 + d numbers, d = K on one-hot features); per run the arms'
/// totals against an adversary.
fn memory_limit(params: &BanditsParams) -> Result<(), ParamError> {
    let setup = Setup::of(params);
    let per_run: usize = params
        .algorithms()
        .iter()
        .map(|algorithm| {
            let ridge = if algorithm.linear() {
                setup.dim * setup.dim + setup.dim
            } else {
                0
            };
            8 * (3 * setup.arms + ridge + 2)
        })
        .sum::<usize>()
        + 8 * setup.arms;
    let bytes = per_run.saturating_mul(setup.runs);
    if bytes <= MAX_STATE_BYTES {
        return Ok(());
    }
    Err(ParamError {
        key: "runs".to_string(),
        message: format!(
            "{} runs of these algorithms would keep about {} MB, more than the {} MB a run may take: \
             fewer runs, fewer arms or fewer linear algorithms",
            setup.runs,
            bytes >> 20,
            MAX_STATE_BYTES >> 20
        ),
    })
}

/// A knob of `algorithms`: it applies when a slot runs one of them.
fn uses(algorithms: &[AlgorithmId]) -> Condition {
    any_is(&ALGORITHM_SLOTS, algorithms)
}

fn linear_env() -> Condition {
    is("env", &[Kind::Linear])
}

/// The environments whose arms have means of their own (not features).
fn k_armed_env() -> Condition {
    is_not("env", &[Kind::Linear])
}

/// The gradient bandit runs and holds an entropy target.
fn holds_entropy() -> Condition {
    Condition::All(vec![uses(&[AlgorithmId::Gradient]), on("hold_entropy")])
}

impl BanditsParams {
    /// The algorithms chosen, in slot order ("none" slots skipped).
    pub fn algorithms(&self) -> Vec<AlgorithmId> {
        [Some(self.algo_1), self.algo_2, self.algo_3, self.algo_4]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The entropy the gradient bandit's dual update holds, if one is held:
    /// the target, at most ln K (the uniform policy's).
    pub fn held_entropy(&self, arms: usize) -> Option<f64> {
        self.hold_entropy
            .then(|| self.entropy_target.min((arms as f64).ln()))
    }
}
