//! The Linear MDP lab's parameters, declared once: the page's controls, the
//! URL, the CLI and the typed values the learners read come from
//! [`LinearMdpParams`].

use thermolab_core::params::{Condition, ParamError};
use thermolab_kit::params::{any_is, choice, float, int, is, optional_choice, points};
use thermolab_kit::{ComputePath, choices, params};

use crate::algorithms::AlgorithmId;
use crate::env::{EnvKind, LINEAR_ACTIONS};
use crate::features::FeatureKind;

/// The longest episode (the kernel's private path arrays hold this many steps).
pub const MAX_HORIZON: usize = 50;
/// Algorithms run side by side on the same MDP and seeds.
pub const SLOTS: usize = 4;
/// The keys of the [`SLOTS`] algorithm selects.
pub const ALGORITHM_SLOTS: [&str; SLOTS] = ["algo_1", "algo_2", "algo_3", "algo_4"];
/// Painted cells of one kind a link may carry.
pub const MAX_PAINTED: usize = 64;
/// The chart the cells are painted on.
pub const VALUE_MAP: &str = "value_map";

choices! {
    /// What a click on the value map paints.
    pub enum Brush {
        Walls = ("walls", "Walls"),
        Rewards = ("rewards", "Reward cells (+1)"),
        Penalties = ("penalties", "Penalty cells (-1)"),
    }
}

choices! {
    /// How MDVI and value iteration see the model.
    pub enum ModelAccess {
        /// The true law P.
        Planning = ("planning", "Planning (model known)"),
        /// M next states drawn from P per state-action, fresh each iteration.
        Learning = ("learning", "Learning (sampled transitions)"),
    }
}

choices! {
    /// Whose values and policy the value map shows.
    pub enum MapOf {
        Optimal = ("optimal", "Optimal"),
        Slot1 = ("algo_1", "Algorithm 1"),
        Slot2 = ("algo_2", "Algorithm 2"),
        Slot3 = ("algo_3", "Algorithm 3"),
        Slot4 = ("algo_4", "Algorithm 4"),
    }
}

params! {
    /// Everything a Linear MDP run is set up with; the live ones act on the next episode.
    pub struct LinearMdpParams {
        #[section("Environment")]
        /// The MDP the agents face: a gridworld you paint, the RiverSwim chain, or a random low-rank linear MDP.
        pub env: EnvKind = choice("Environment", EnvKind::Gridworld),
        /// Gridworld: cells per side; the start is bottom-left, a goal paying 1 top-right.
        pub size: usize = int("Grid size", 4..=16, 5).when(grid()),
        /// Gridworld: probability that a move goes in a uniformly random direction instead.
        pub slip: f64 = float("Slip", 0.0..=0.5, 0.1).when(grid()),
        /// Gridworld: what a click on the value map paints.
        pub brush: Brush = choice("Paint", Brush::Walls).live().when(grid()),
        /// Gridworld: walls, painted on the value map (moving into one stays put).
        pub walls: Vec<[f64; 2]> = points("Walls", 1.0, MAX_PAINTED, VALUE_MAP).brush("brush", Brush::Walls).when(grid()),
        /// Gridworld: cells paying +1 for each step spent in them.
        pub rewards: Vec<[f64; 2]> = points("Reward cells", 1.0, MAX_PAINTED, VALUE_MAP).brush("brush", Brush::Rewards).when(grid()),
        /// Gridworld: cells costing 1 for each step spent in them.
        pub penalties: Vec<[f64; 2]> = points("Penalty cells", 1.0, MAX_PAINTED, VALUE_MAP).brush("brush", Brush::Penalties).when(grid()),
        /// RiverSwim: states of the chain.
        pub river_states: usize = int("River length", 3..=20, 6).unit("states").when(is("env", &[EnvKind::RiverSwim])),
        /// Random linear MDP: number of states.
        pub linear_states: usize = int("States", 4..=64, 20).when(linear()),
        /// Random linear MDP: rank d of the model (P = phi^T mu, r = phi^T theta).
        pub linear_dim: usize = int("Model rank", 2..=16, 4).unit("d").when(linear()),
        /// Steps per episode H.
        pub horizon: usize = int("Horizon", 2..=MAX_HORIZON as i64, 10).unit("steps"),
        #[section("Features")]
        /// What the learners regress on: exact (one-hot, or the linear MDP's own phi), RBF bumps on the state's coordinates, or random projections.
        pub features: FeatureKind = choice("Features", FeatureKind::Exact).when(uses(&AlgorithmId::FEATURED)),
        /// RBF: centres per axis (d = A x centres^2 on the grid, A x centres on a chain).
        pub rbf_centers: usize = int("RBF centres", 2..=8, 3).when(Condition::All(vec![is("features", &[FeatureKind::Rbf]), uses(&AlgorithmId::FEATURED)])),
        /// RBF: width of each bump, as a share of the grid's side.
        pub rbf_width: f64 = float("RBF width", 0.05..=2.0, 0.3).log().when(Condition::All(vec![is("features", &[FeatureKind::Rbf]), uses(&AlgorithmId::FEATURED)])),
        /// Random projections: dimension d of the features.
        pub feature_dim: usize = int("Feature dimension", 2..=256, 32).log().unit("d").when(Condition::All(vec![is("features", &[FeatureKind::Random]), uses(&AlgorithmId::FEATURED)])),
        #[section("Algorithms")]
        /// An algorithm to run on the same MDP and seeds.
        pub algo_1: AlgorithmId = choice("Algorithm 1", AlgorithmId::LsviUcb),
        /// An algorithm to run on the same MDP and seeds.
        pub algo_2: Option<AlgorithmId> = optional_choice("Algorithm 2", Some(AlgorithmId::LsviGreedy)),
        /// An algorithm to run on the same MDP and seeds.
        pub algo_3: Option<AlgorithmId> = optional_choice("Algorithm 3", Some(AlgorithmId::SoftVi)),
        /// An algorithm to run on the same MDP and seeds.
        pub algo_4: Option<AlgorithmId> = optional_choice("Algorithm 4", None),
        #[section("Runs")]
        /// A WebGPU kernel runs LSVI-UCB, epsilon-greedy LSVI and soft VI, a workgroup per seed; MDVI, value iteration and SARSA run on the CPU.
        pub compute: ComputePath = choice("Compute on", ComputePath::Auto),
        /// Independent seeds; the bands are 95% intervals of the mean over them.
        pub seeds: usize = int("Seeds", 1..=1024, 16).log(),
        /// Episodes K per seed: one episode of every seed per step.
        pub episodes: u64 = int("Episodes", 10..=20_000, 300).log(),
        #[section("Algorithm settings")]
        /// LSVI-UCB: scale of the bonus beta sqrt(phi^T Lambda^-1 phi).
        pub beta: f64 = float("Bonus scale", 0.0..=10.0, 2.0).live().unit("beta").when(uses(&[AlgorithmId::LsviUcb])),
        /// Least-squares learners: ridge penalty of Lambda = lambda I + sum phi phi^T.
        pub ridge_lambda: f64 = float("Ridge lambda", 1e-3..=100.0, 1.0).log().live().unit("lambda").when(uses(&AlgorithmId::LEAST_SQUARES)),
        /// LSVI with epsilon-greedy: probability of a uniformly random action.
        pub epsilon: f64 = float("Epsilon", 0.0..=1.0, 0.1).live().when(uses(&[AlgorithmId::LsviGreedy])),
        /// Soft VI: V = T log sum exp(Q / T), policy softmax(Q / T).
        pub temperature: f64 = float("Temperature", 1e-3..=1e3, 0.1).log().live().unit("T").when(uses(&[AlgorithmId::SoftVi])),
        /// MDVI and value iteration: the true model, or sampled next states.
        pub model: ModelAccess = choice("Model", ModelAccess::Learning).when(uses(&AlgorithmId::GENERATIVE)),
        /// Learning mode: next states drawn per state-action and iteration.
        pub samples: usize = int("Samples", 1..=64, 1).log().unit("M").when(Condition::All(vec![is("model", &[ModelAccess::Learning]), uses(&AlgorithmId::GENERATIVE)])),
        /// MDVI: weight tau of KL(pi || pi_k).
        pub kl_weight: f64 = float("KL weight", 1e-3..=100.0, 0.1).log().live().unit("tau").when(uses(&[AlgorithmId::Mdvi])),
        /// MDVI: weight kappa of the entropy bonus.
        pub entropy_weight: f64 = float("Entropy weight", 0.0..=10.0, 0.0).live().unit("kappa").when(uses(&[AlgorithmId::Mdvi])),
        /// Linear SARSA: softmax temperature of its policy.
        pub sarsa_temperature: f64 = float("SARSA temperature", 1e-3..=1e3, 0.1).log().live().unit("T").when(uses(&[AlgorithmId::Sarsa])),
        /// Linear SARSA: radius R of the ball its weights are projected onto.
        pub radius: f64 = float("Projection radius", 0.1..=1000.0, 10.0).log().live().unit("R").when(uses(&[AlgorithmId::Sarsa])),
        /// Linear SARSA: step size of the TD update.
        pub step_size: f64 = float("SARSA step size", 1e-3..=1.0, 0.1).log().live().unit("alpha").when(uses(&[AlgorithmId::Sarsa])),
        #[section("View")]
        /// The value map shows the optimal values and policy, or a learner's own estimate and policy (first seed).
        pub map_of: MapOf = choice("Value map of", MapOf::Optimal).live(),
    }
    limits: work_limit
}

/// Most memory the learners' state may take.
pub const MAX_STATE_BYTES: usize = 256 << 20;
/// Most arithmetic one step (an episode of every seed) may take.
pub const MAX_STEP_FLOPS: f64 = 4e9;
/// Largest feature dimension.
pub const MAX_FEATURE_DIM: usize = 256;

/// The sizes a run's cost depends on.
pub struct Sizes {
    pub states: usize,
    pub actions: usize,
    pub dim: usize,
}

impl LinearMdpParams {
    /// The algorithms chosen, in slot order ("none" slots skipped).
    pub fn algorithms(&self) -> Vec<AlgorithmId> {
        [Some(self.algo_1), self.algo_2, self.algo_3, self.algo_4]
            .into_iter()
            .flatten()
            .collect()
    }

    /// States, actions and feature dimension, without building the MDP.
    pub fn sizes(&self) -> Sizes {
        let (states, actions, rows) = match self.env {
            EnvKind::Gridworld => (self.size * self.size, 4, self.size),
            EnvKind::RiverSwim => (self.river_states, 2, 1),
            EnvKind::LinearMdp => (self.linear_states, LINEAR_ACTIONS, 1),
        };
        let dim = match self.features {
            FeatureKind::Exact if self.env == EnvKind::LinearMdp => self.linear_dim,
            FeatureKind::Exact => states * actions,
            FeatureKind::Rbf => actions * self.rbf_centers.pow(if rows > 1 { 2 } else { 1 }),
            FeatureKind::Random => self.feature_dim,
        };
        Sizes {
            states,
            actions,
            dim,
        }
    }
}

/// The learners' state and one episode's arithmetic stay bounded: d at most
/// 256, per seed and least-squares learner H (d^2 + S d) numbers kept and
/// about H (2 S A d + S d + d^2) operations an episode; per seed and
/// generative learner H S A M draws.
fn work_limit(params: &LinearMdpParams) -> Result<(), ParamError> {
    let Sizes {
        states,
        actions,
        dim,
    } = params.sizes();
    let uses_features = params.algorithms().iter().any(|a| a.featured());
    if uses_features && dim > MAX_FEATURE_DIM {
        let lower = match params.features {
            FeatureKind::Exact => "size",
            FeatureKind::Rbf => "rbf_centers",
            FeatureKind::Random => "feature_dim",
        };
        return Err(ParamError {
            key: lower.to_string(),
            message: format!(
                "these features have d = {dim}, more than {MAX_FEATURE_DIM}: \
                 a smaller grid, fewer RBF centres, or RBF or random features"
            ),
        });
    }
    let (h, s, a, d) = (
        params.horizon as f64,
        states as f64,
        actions as f64,
        dim as f64,
    );
    let seeds = params.seeds as f64;
    let mut bytes = 0.0;
    let mut flops = 0.0;
    for algorithm in params.algorithms() {
        if algorithm.featured() {
            bytes += 8.0 * seeds * h * (d * d + s * d + d + s * a);
            flops += seeds * h * (2.0 * s * a * d + s * d + d * d);
        }
        if algorithm.generative() {
            let m = if params.model == ModelAccess::Learning {
                params.samples as f64
            } else {
                1.0
            };
            bytes += 8.0 * seeds * h * s * a;
            flops += seeds * h * s * a * (m * 40.0 + 8.0);
        }
        // The exact evaluation of the episode's policy.
        flops += seeds * h * s * a * 6.0;
    }
    if bytes > MAX_STATE_BYTES as f64 {
        return Err(ParamError {
            key: "seeds".to_string(),
            message: format!(
                "{} seeds of these learners would keep about {:.0} MB, more than the {} MB a run may take: \
                 fewer seeds, a smaller MDP or fewer features",
                params.seeds,
                bytes / 1e6,
                MAX_STATE_BYTES >> 20
            ),
        });
    }
    if flops > MAX_STEP_FLOPS {
        return Err(ParamError {
            key: "seeds".to_string(),
            message: format!(
                "an episode of {} seeds would take about {:.1} GFLOP, more than {:.0}: \
                 fewer seeds, a smaller MDP, fewer features or fewer samples",
                params.seeds,
                flops / 1e9,
                MAX_STEP_FLOPS / 1e9
            ),
        });
    }
    Ok(())
}

/// A knob of `algorithms`: it applies when a slot runs one of them.
fn uses(algorithms: &[AlgorithmId]) -> Condition {
    any_is(&ALGORITHM_SLOTS, algorithms)
}

fn grid() -> Condition {
    is("env", &[EnvKind::Gridworld])
}

fn linear() -> Condition {
    is("env", &[EnvKind::LinearMdp])
}
