//! The Forward-forward lab's parameters, declared once: the page's
//! controls, the URL, the CLI and the typed values the rules read come from
//! [`FfParams`].

use thermolab_core::params::{Condition, ParamError};
use thermolab_kit::params::{any_is, choice, float, int, optional_choice, points};
use thermolab_kit::{ComputePath, Start, choices, params};

use crate::rules::RuleId;

/// Rules trained side by side on the same data, architecture and seed.
pub const SLOTS: usize = 4;
/// The keys of the [`SLOTS`] rule selects.
pub const RULE_SLOTS: [&str; SLOTS] = ["rule_1", "rule_2", "rule_3", "rule_4"];
/// Points a drawn digit may hold (the drawing travels in the URL).
pub const MAX_DRAWN_POINTS: usize = 200;
/// The chart the digit is drawn on.
pub const DRAWING_CHART: &str = "drawing";

choices! {
    /// How a layer's goodness is read from its activities y.
    pub enum Goodness {
        SumOfSquares = ("sum_of_squares", "Sum of squares"),
        NegativeSumOfSquares = ("negative_sum_of_squares", "Minus the sum of squares"),
        MeanOfSquares = ("mean_of_squares", "Mean of squares"),
    }
}

choices! {
    /// What the forward-forward rules see as negative data.
    pub enum Negatives {
        /// The image with a uniformly random wrong label.
        Random = ("random", "Random wrong label"),
        /// The image with the wrong label the network now finds best.
        Hard = ("hard", "Hard wrong label"),
        /// A hybrid of the image and a digit of another class (a blurred random mask), with the image's label.
        Mixed = ("mixed", "Mixed images"),
    }
}

choices! {
    /// Whose confusion matrix and receptive fields the page shows.
    pub enum ViewOf {
        Rule1 = ("rule_1", "Rule 1"),
        Rule2 = ("rule_2", "Rule 2"),
        Rule3 = ("rule_3", "Rule 3"),
        Rule4 = ("rule_4", "Rule 4"),
    }
}

params! {
    /// Everything a run is set up with; the live ones act on the next step.
    pub struct FfParams {
        #[section("Network")]
        /// Units per hidden layer (every rule trains the same MLP: 196 inputs, ReLU).
        pub width: usize = int("Width", 50..=2000, 500).log().unit("units"),
        /// Hidden layers.
        pub depth: usize = int("Depth", 1..=4, 2).unit("layers"),
        #[section("Rules")]
        /// A learning rule to train on the same data, network and seed.
        pub rule_1: RuleId = choice("Rule 1", RuleId::ForwardForward),
        /// A learning rule to train on the same data, network and seed.
        pub rule_2: Option<RuleId> = optional_choice("Rule 2", Some(RuleId::Backprop)),
        /// A learning rule to train on the same data, network and seed.
        pub rule_3: Option<RuleId> = optional_choice("Rule 3", Some(RuleId::MonoForward)),
        /// A learning rule to train on the same data, network and seed.
        pub rule_4: Option<RuleId> = optional_choice("Rule 4", None),
        #[section("Training")]
        /// The shipped networks (trained at the defaults; each rule loads its own where width, depth and goodness fit), or fresh ones trained live.
        pub start: Start = choice("Start from", Start::Checkpoint),
        /// Adam's step size, for every rule.
        pub learning_rate: f64 = float("Learning rate", 1e-5..=1.0, 1e-3).log().live().unit("Adam"),
        /// Training digits per step (drawn from the 8,000 training digits by the seed).
        pub batch: usize = int("Batch size", 8..=1024, 64).log().live(),
        /// Steps of training; each trains every rule on one batch.
        pub steps: u64 = int("Steps", 10..=100_000, 3000).log(),
        /// Steps between two accuracy measurements.
        pub eval_every: u64 = int("Evaluate every", 1..=1000, 100).log().live().unit("steps"),
        /// Held-out digits each measurement scores (spread over the classes), and half as many training digits.
        pub eval_digits: usize = int("Digits scored", 100..=2000, 2000).log().live().unit("digits"),
        /// WebGPU trains every rule through burn on the GPU; the CPU reference runs burn's CPU backend.
        pub compute: ComputePath = choice("Compute on", ComputePath::Auto),
        #[section("Forward-forward")]
        /// theta in p(positive) = sigmoid((G - theta) / T); collaborative FF compares the whole network's goodness with depth x theta.
        pub theta: f64 = float("Threshold", -100.0..=100.0, 2.0).live().unit("theta").when(goodness_rules()),
        /// T in p(positive) = sigmoid((G - theta) / T).
        pub ff_temperature: f64 = float("Goodness temperature", 1e-2..=100.0, 0.3).log().live().unit("T").when(goodness_rules()),
        /// G of a layer's activities y: sum of y^2 (Hinton's), its negative (positive data should be quiet), or the mean of y^2.
        pub goodness: Goodness = choice("Goodness", Goodness::SumOfSquares).when(goodness_rules()),
        /// Negative data: the image with a wrong label (random, or the one the network finds best), or a hybrid of two digits.
        pub negatives: Negatives = choice("Negative data", Negatives::Random).live().when(goodness_rules()),
        #[section("Draw")]
        /// Your digit: drag on the digit chart with the mouse or a finger; every rule reads it as it trains.
        pub drawing: Vec<[f64; 2]> = points("Your digit", 1.0, MAX_DRAWN_POINTS, DRAWING_CHART).live(),
        #[section("View")]
        /// The rule whose confusion matrix and first-layer receptive fields are shown.
        pub view_of: ViewOf = choice("Confusion and fields of", ViewOf::Rule1).live(),
    }
    limits: work_limit
}

/// Most weights (with Adam's two moments, three floats each) all rules together may hold.
pub const MAX_WEIGHTS: usize = 25_000_000;
/// Most arithmetic one training step of all rules may take.
pub const MAX_STEP_FLOPS: f64 = 4e10;

impl FfParams {
    /// The rules chosen, in slot order ("none" slots skipped).
    pub fn rules(&self) -> Vec<RuleId> {
        [Some(self.rule_1), self.rule_2, self.rule_3, self.rule_4]
            .into_iter()
            .flatten()
            .collect()
    }
}

fn goodness_rules() -> Condition {
    any_is(&RULE_SLOTS, &RuleId::GOODNESS)
}

/// The weights and one step's arithmetic stay bounded: every rule's MLP
/// (its heads included) and, per step, about 2 flops per weight per
/// example for each forward and backward pass it makes.
fn work_limit(params: &FfParams) -> Result<(), ParamError> {
    let rules = params.rules();
    let weights: usize = rules
        .iter()
        .map(|r| r.weights(params.width, params.depth))
        .sum();
    if weights > MAX_WEIGHTS {
        return Err(ParamError {
            key: "width".to_string(),
            message: format!(
                "{weights} weights across the rules, more than {MAX_WEIGHTS}: \
                 a narrower or shallower network, or fewer rules"
            ),
        });
    }
    let flops: f64 = rules
        .iter()
        .map(|r| {
            2.0 * r.passes_per_example() as f64
                * r.weights(params.width, params.depth) as f64
                * params.batch as f64
        })
        .sum();
    if flops > MAX_STEP_FLOPS {
        return Err(ParamError {
            key: "batch".to_string(),
            message: format!(
                "{flops:.1e} flops a step, more than {MAX_STEP_FLOPS:.0e}: a smaller batch or network"
            ),
        });
    }
    Ok(())
}
