//! The Policy entropy lab's parameters, declared once: the page's controls,
//! the URL, the CLI and the typed values the trainer reads come from
//! [`PeParams`].

use thermolab_core::params::{Condition, ParamError};
use thermolab_kit::params::{any_is, choice, float, int, is, optional_choice};
use thermolab_kit::{ComputePath, choices, params};

use crate::controllers::ControllerId;
use crate::task::Dims;

/// Controllers trained side by side on the same seeds.
pub const SLOTS: usize = 4;
/// The keys of the [`SLOTS`] controller selects.
pub const CONTROLLER_SLOTS: [&str; SLOTS] = [
    "controller_1",
    "controller_2",
    "controller_3",
    "controller_4",
];

choices! {
    /// What the verifiable 0/1 reward checks.
    pub enum Task {
        /// Token t stands for the digit t mod 10; the reward is 1 when the L digits sum to the prompt's target.
        DigitSum = ("digit_sum", "Digits sum to the prompt's target"),
        /// The reward is 1 when the sequence is one of the prompt's K hidden answers.
        Answers = ("answers", "One of a few hidden answers"),
    }
}

choices! {
    /// How the policy maps (prompt, position, previous token) to logits.
    pub enum PolicyKind {
        /// A free logit vector per prompt and position.
        Table = ("table", "Logits per prompt and position"),
        /// Embeddings of prompt, position and previous token, one ReLU layer, a softmax head.
        Mlp = ("mlp", "Tiny MLP on embeddings"),
    }
}

choices! {
    /// How the decoding panel trims the policy's next-token law.
    pub enum Decoding {
        Temperature = ("temperature", "Temperature only"),
        TopP = ("top_p", "Top-p (nucleus)"),
        MinP = ("min_p", "Min-p"),
        TopH = ("top_h", "Top-H (bounded entropy)"),
    }
}

params! {
    /// Everything a run is set up with; the live ones act on the next step.
    pub struct PeParams {
        #[section("Task")]
        /// What the 0/1 reward checks.
        pub task: Task = choice("Reward", Task::DigitSum),
        /// Tokens in the vocabulary.
        pub vocab: usize = int("Vocabulary V", 8..=256, 16).log().unit("tokens"),
        /// Tokens in every answer.
        pub length: usize = int("Answer length L", 1..=16, 4).unit("tokens"),
        /// Prompts, each with its own target or hidden answers.
        pub prompts: usize = int("Prompts P", 1..=256, 16).log(),
        /// Hidden correct answers per prompt.
        pub answers: usize = int("Hidden answers K", 1..=8, 4).when(is("task", &[Task::Answers])),
        #[section("Policy")]
        /// Free logits per prompt and position, or a tiny network that also sees the previous token.
        pub policy: PolicyKind = choice("Policy", PolicyKind::Table),
        /// Width of the MLP's embeddings and hidden layer.
        pub hidden: usize = int("Hidden width", 8..=256, 32).log().unit("units").when(is("policy", &[PolicyKind::Mlp])),
        /// Standard deviation of the initial logits (0: the uniform policy).
        pub init_spread: f64 = float("Initial logit spread", 0.0..=5.0, 1.0).unit("sd"),
        #[section("GRPO")]
        /// Answers sampled per prompt; advantages are normalized within each group.
        pub group: usize = int("Group size G", 2..=64, 8).log(),
        /// Passes of the clipped update over each batch of samples.
        pub epochs: usize = int("Epochs per batch", 1..=8, 4).live(),
        /// Adam's step size.
        pub learning_rate: f64 = float("Learning rate", 1e-4..=1.0, 0.02).log().live().unit("Adam"),
        /// The ratio's lower bound is 1 - eps_low (BAPO sets its own bounds).
        pub eps_low: f64 = float("Clip eps_low", 0.0..=0.9, 0.2).live().when(uses(&ControllerId::FIXED_CLIP)),
        /// The ratio's upper bound is 1 + eps_high (clip-higher: above eps_low).
        pub eps_high: f64 = float("Clip eps_high", 0.0..=5.0, 0.2).live().when(uses(&ControllerId::FIXED_CLIP)),
        /// Weight of the KL penalty to the initial policy (k3 estimator).
        pub kl_coef: f64 = float("KL to initial policy", 0.0..=1.0, 0.0).live().unit("beta"),
        /// The policy samples from softmax(logits / T) and is trained at the same T.
        pub temperature: f64 = float("Sampling temperature", 0.1..=10.0, 1.0).log().live().unit("T"),
        /// Independent runs of every controller, batched.
        pub seeds: usize = int("Seeds", 1..=256, 8).log(),
        /// Updates (each samples a fresh batch).
        pub steps: u64 = int("Steps", 10..=100_000, 300).log(),
        /// WebGPU runs the trainer through burn on the GPU; the CPU reference runs burn's CPU backend.
        pub compute: ComputePath = choice("Compute on", ComputePath::Auto),
        #[section("Entropy control")]
        /// A controller run on the same seeds; switched mid-run, it takes over the policy as trained so far.
        pub controller_1: ControllerId = choice("Controller 1", ControllerId::None).live(),
        /// A controller run on the same seeds.
        pub controller_2: Option<ControllerId> = optional_choice("Controller 2", Some(ControllerId::Dual)).live(),
        /// A controller run on the same seeds.
        pub controller_3: Option<ControllerId> = optional_choice("Controller 3", Some(ControllerId::Aepo)).live(),
        /// A controller run on the same seeds.
        pub controller_4: Option<ControllerId> = optional_choice("Controller 4", None).live(),
        /// The policy entropy (nats per token) the targeting controllers hold.
        pub entropy_target: f64 = float("Entropy target", 0.0..=5.5, 1.0).live().unit("nats").when(uses(&ControllerId::TARGETING)),
        /// Half-width of the band around the target (AEnt and ERA act outside it; drawn on the chart).
        pub entropy_band: f64 = float("Target band", 0.0..=2.0, 0.1).live().unit("nats").when(uses(&ControllerId::TARGETING)),
        /// The fixed bonus's coefficient on the entropy.
        pub bonus: f64 = float("Entropy bonus", 0.0..=1.0, 0.01).live().when(uses(&[ControllerId::Bonus])),
        /// Step size of the dual and AEnt coefficients.
        pub coef_lr: f64 = float("Coefficient step", 1e-4..=10.0, 0.05).log().live().when(uses(&[ControllerId::Dual, ControllerId::Aent])),
        /// AEnt: the share of least likely tokens left out of the clamped entropy.
        pub aent_clamp: f64 = float("AEnt clamp p", 0.0..=0.9, 0.3).live().when(uses(&[ControllerId::Aent])),
        /// AEnt: the coefficient's upper box (its lower is 0).
        pub aent_max: f64 = float("AEnt coefficient max", 0.0..=1.0, 0.5).live().when(uses(&[ControllerId::Aent])),
        /// AEPO: weight of the REINFORCE term on temperature-sampled answers.
        pub aepo_alpha: f64 = float("AEPO alpha", 0.0..=10.0, 5.0).live().when(uses(&[ControllerId::Aepo])),
        /// AEPO: the sampling temperature below the target.
        pub aepo_t_high: f64 = float("AEPO T high", 1.0..=5.0, 3.0).live().unit("T").when(uses(&[ControllerId::Aepo])),
        /// AEPO: the sampling temperature above the target.
        pub aepo_t_low: f64 = float("AEPO T low", 0.1..=1.0, 0.7).live().unit("T").when(uses(&[ControllerId::Aepo])),
        /// ERA: the logit scale k applied to positive-advantage tokens outside the band.
        pub era_k: f64 = float("ERA scale k", 1.0..=10.0, 4.0).live().when(uses(&[ControllerId::Era])),
        /// Clip-Cov and KL-Cov: the share of tokens they act on.
        pub cov_ratio: f64 = float("Cov token share", 1e-4..=0.5, 0.005).log().live().when(uses(&[ControllerId::ClipCov, ControllerId::KlCov])),
        /// Clip-Cov: the covariance band whose tokens may lose their gradient.
        pub cov_low: f64 = float("Clip-Cov band low", 0.0..=20.0, 1.0).live().when(uses(&[ControllerId::ClipCov])),
        /// Clip-Cov: the band's upper end.
        pub cov_high: f64 = float("Clip-Cov band high", 0.0..=50.0, 5.0).live().when(uses(&[ControllerId::ClipCov])),
        /// KL-Cov: the penalty's weight on the highest-covariance tokens.
        pub kl_cov_coef: f64 = float("KL-Cov weight", 0.0..=10.0, 1.0).live().when(uses(&[ControllerId::KlCov])),
        /// BAPO: the share of the update positive-advantage tokens should carry.
        pub bapo_share: f64 = float("BAPO positive share", 0.05..=0.95, 0.5).live().when(uses(&[ControllerId::Bapo])),
        #[section("View")]
        /// The prompt whose token probabilities and decoding are shown (seed 1).
        pub view_prompt: usize = int("Prompt shown", 0..=255, 0).live(),
        /// The position whose token probabilities and decoding are shown.
        pub view_position: usize = int("Position shown", 0..=15, 0).live(),
        /// k of pass@k (at most G).
        pub pass_k: usize = int("k of pass@k", 1..=64, 4).live(),
        #[section("Decoding")]
        /// How the decoding panel trims the shown next-token law.
        pub decoding: Decoding = choice("Decoding", Decoding::TopH).live(),
        /// Decoding temperature (applied before any trimming).
        pub decode_temperature: f64 = float("Decoding temperature", 1e-3..=1e3, 1.0).log().live().unit("T"),
        /// Top-p: the smallest set of most likely tokens with this much mass.
        pub top_p: f64 = float("Top-p", 0.01..=1.0, 0.9).live().when(is("decoding", &[Decoding::TopP])),
        /// Min-p: tokens at least this share of the most likely one's probability.
        pub min_p: f64 = float("Min-p", 0.0..=1.0, 0.1).live().when(is("decoding", &[Decoding::MinP])),
        /// Top-H: the kept set's entropy stays at most alpha times the law's.
        pub top_h: f64 = float("Top-H alpha", 0.0..=1.0, 0.4).live().when(is("decoding", &[Decoding::TopH])),
        /// EM-INF: the entropy its temperature bisection aims at.
        pub em_inf_target: f64 = float("EM-INF target entropy", 0.0..=5.5, 0.5).live().unit("nats"),
    }
    limits: work_limit
}

/// Most floats of logits all controllers' batches may hold at once.
pub const MAX_LOGITS: usize = 8_000_000;

impl PeParams {
    /// The controllers chosen, in slot order ("none" slots skipped).
    pub fn controllers(&self) -> Vec<ControllerId> {
        crate::lab::slot_choices(self)
            .into_iter()
            .flatten()
            .collect()
    }
}

fn uses(controllers: &[ControllerId]) -> Condition {
    any_is(&CONTROLLER_SLOTS, controllers)
}

/// The logits of a step stay bounded (AEPO samples a second batch), and
/// the shown prompt, position and k exist.
fn work_limit(params: &PeParams) -> Result<(), ParamError> {
    let error = |key: &str, message: String| {
        Err(ParamError {
            key: key.to_string(),
            message,
        })
    };
    let batches: usize = params
        .controllers()
        .iter()
        .map(|c| if *c == ControllerId::Aepo { 2 } else { 1 })
        .sum();
    let logits = batches * params.seeds * Dims::of(params).tokens() * params.vocab;
    if logits > MAX_LOGITS {
        return error(
            "seeds",
            format!(
                "{logits} logits a step, more than {MAX_LOGITS}: fewer seeds, prompts, \
                 group members, tokens or controllers"
            ),
        );
    }
    if params.view_prompt >= params.prompts {
        return error(
            "view_prompt",
            format!(
                "there are {} prompts (0 to {})",
                params.prompts,
                params.prompts - 1
            ),
        );
    }
    if params.view_position >= params.length {
        return error(
            "view_position",
            format!(
                "answers have {} positions (0 to {})",
                params.length,
                params.length - 1
            ),
        );
    }
    if params.pass_k > params.group {
        return error(
            "pass_k",
            format!("pass@k needs k at most the group size G = {}", params.group),
        );
    }
    Ok(())
}
