//! The parameters both diffusion labs share, declared once as groups: the
//! noising path and its objective, the training loop, and the sampler with
//! what it does to x_0 estimates. Each lab sets their defaults.

use thermolab_core::params::ParamError;
use thermolab_kit::params::{choice, float, int, is, is_not};
use thermolab_kit::{choices, params};

use crate::clipping::X0Clip;
use crate::denoise::Objective;
use crate::model::Shape;
use crate::path::{NoisePath, Schedule};
use crate::sampler::{Sampler, Settings};

choices! {
    /// What to do with the network's estimate of x_0 at each sampling step.
    pub enum Clip {
        None = ("none", "None"),
        Static = ("static", "Clip to [-c, c]"),
        Dynamic = ("dynamic", "Dynamic thresholding"),
    }
}

params! {
    /// The noising path and what the network regresses onto along it.
    pub struct PathParams {
        #[section("Model and noising path")]
        /// What the network regresses onto along the noising path.
        pub objective: Objective = choice("Objective", Objective::Ddpm),
        /// DDPM: how beta_t grows (linear, Ho et al.; cosine, Nichol & Dhariwal).
        pub schedule: Schedule = choice("Noise schedule", Schedule::Linear).when(ddpm()),
        /// DDPM: number of noise levels T of the forward process.
        pub diffusion_steps: usize = int("Training steps T", 10..=1000, 100).log().when(ddpm()),
        /// gamma: train on x_t made with eps + gamma xi, the target unchanged (Ning et al. 2023).
        pub gamma: f64 = float("Input perturbation", 0.0..=0.5, 0.0).live(),
    }
}

choices! {
    /// How the learning rate moves over the training budget.
    pub enum LrSchedule {
        Constant = ("constant", "Constant"),
        /// Loshchilov & Hutter, "SGDR" (2017): lr (1 + cos(pi step / budget)) / 2.
        Cosine = ("cosine", "Cosine decay to 0"),
    }
}

impl LrSchedule {
    /// The learning rate at step `trained` of `budget`, from the peak `lr`.
    pub fn at(self, lr: f64, trained: u64, budget: u64) -> f64 {
        match self {
            Self::Constant => lr,
            Self::Cosine => {
                let progress = (trained as f64 / budget.max(1) as f64).min(1.0);
                0.5 * lr * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }
}

params! {
    /// The network and its training.
    pub struct TrainingParams {
        #[section("Training")]
        /// Units per hidden layer of the MLP.
        pub width: usize = int("Hidden width", 8..=1024, 128).log(),
        /// Hidden layers of the MLP (SiLU).
        pub depth: usize = int("Hidden layers", 1..=6, 3),
        /// Examples per Adam step.
        pub batch: usize = int("Batch", 8..=4096, 512).log(),
        /// Adam's step size (the peak of the schedule).
        pub lr: f64 = float("Learning rate", 1e-5..=0.1, 2e-2).log().live(),
        /// Cosine: large steps first, small ones last, the samples settle onto the data.
        pub lr_schedule: LrSchedule = choice("Learning-rate schedule", LrSchedule::Cosine).live(),
        /// Samples come from an exponential moving average of the weights with this decay (0: the weights themselves).
        pub ema: f64 = float("Weight EMA decay", 0.0..=0.9999, 0.99),
        /// Adam steps in all (a checkpoint's count included); sampling controls still act afterwards.
        pub train_steps: u64 = int("Training budget", 1..=200_000, 4000).log().unit("steps"),
        /// Training steps between two samplings of the model.
        pub sample_every: u64 = int("Sample every", 1..=5000, 200).log().live().unit("steps"),
    }
}

params! {
    /// The sampler and what it does to x_0 estimates.
    pub struct SamplingParams {
        #[section("Sampling")]
        /// How to walk from noise to data.
        pub sampler: Sampler = choice("Sampler", Sampler::Ancestral).live(),
        /// Steps of the sampler, independent of T.
        pub sample_steps: usize = int("Sampling steps", 1..=1000, 50).log().live(),
        /// DDIM: 0 is deterministic, 1 is DDPM's ancestral noise.
        pub eta: f64 = float("DDIM eta", 0.0..=1.0, 0.0).live().when(is("sampler", &[Sampler::Ddim])),
        /// Scales the initial noise and the noise injected at each step.
        pub temperature: f64 = float("Temperature", 0.0..=2.0, 1.0).live(),
        /// What to do with the network's estimate of x_0 at each sampling step.
        pub clip: Clip = choice("x0 clipping", Clip::None).live(),
        /// x_0 estimates are kept inside [-c, c].
        pub clip_bound: f64 = float("Clip bound c", 0.1..=5.0, 2.0).live().when(is_not("clip", &[Clip::None])),
        /// Dynamic thresholding: the percentile p of |x_0| taken as the threshold s.
        pub percentile: f64 = float("Threshold percentile", 0.5..=1.0, 0.995).live().when(is("clip", &[Clip::Dynamic])),
    }
}

/// The DDPM objectives, whose path is a discrete beta schedule.
fn ddpm() -> thermolab_core::params::Condition {
    is_not("objective", &[Objective::FlowMatching])
}

impl PathParams {
    pub fn path(&self) -> NoisePath {
        self.objective.path(self.schedule, self.diffusion_steps)
    }
}

impl SamplingParams {
    /// What the sampling loop reads.
    pub fn settings(&self) -> Settings {
        let bound = self.clip_bound;
        Settings {
            sampler: self.sampler,
            steps: self.sample_steps,
            eta: self.eta,
            temperature: self.temperature,
            clip: match self.clip {
                Clip::None => X0Clip::None,
                Clip::Static => X0Clip::Static { bound },
                Clip::Dynamic => X0Clip::Dynamic {
                    bound,
                    percentile: self.percentile,
                },
            },
        }
    }
}

/// What the facts table says of the x_0 clipping in use.
pub fn clip_fact(clip: X0Clip) -> String {
    match clip {
        X0Clip::None => "none".to_string(),
        X0Clip::Static { bound } => format!("clip to [-{bound}, {bound}]"),
        X0Clip::Dynamic { bound, percentile } => {
            format!("dynamic, p = {percentile}, c = {bound}")
        }
    }
}

/// Most floating-point operations one training step may take (a forward and
/// a backward pass, about three forward passes).
pub const MAX_STEP_FLOPS: f64 = 1e10;
/// Most one sampling may take: every sampling step calls the network on
/// every particle.
pub const MAX_SAMPLING_FLOPS: f64 = 1e11;

/// A run's work bounded: one training step of `training.batch` examples of
/// the network `shape`, and one sampling of `particles` for the sampler's
/// steps, `calls` network calls each (2 with classifier-free guidance).
pub fn work_limits(
    shape: Shape,
    training: &TrainingParams,
    sampling: &SamplingParams,
    (particles, calls): (usize, usize),
) -> Result<(), ParamError> {
    let gflop = |flops: f64| flops / 1e9;
    let step = 3.0 * training.batch as f64 * shape.flops_per_example();
    if step > MAX_STEP_FLOPS {
        return Err(ParamError {
            key: "batch".to_string(),
            message: format!(
                "a training step would take {:.0} GFLOP, more than {:.0}: a smaller batch, width or depth",
                gflop(step),
                gflop(MAX_STEP_FLOPS)
            ),
        });
    }
    let sampling_flops =
        (particles * sampling.sample_steps * calls) as f64 * shape.flops_per_example();
    if sampling_flops > MAX_SAMPLING_FLOPS {
        return Err(ParamError {
            key: "sample_steps".to_string(),
            message: format!(
                "one sampling would take {:.0} GFLOP, more than {:.0}: fewer particles or sampling steps, or a smaller network",
                gflop(sampling_flops),
                gflop(MAX_SAMPLING_FLOPS)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cosine_learning_rate_falls_from_its_peak_to_zero_over_the_budget() {
        let at = |trained| LrSchedule::Cosine.at(0.02, trained, 1000);
        assert_eq!(at(0), 0.02);
        assert!((at(500) - 0.01).abs() < 1e-15);
        // cos(pi / 4): (1 + 0.7071) / 2 of the peak a quarter of the way in.
        assert!((at(250) - 0.02 * (1.0 + 0.5f64.sqrt()) / 2.0).abs() < 1e-15);
        assert!(at(1000).abs() < 1e-15 && at(5000).abs() < 1e-15);
        assert_eq!(LrSchedule::Constant.at(0.02, 900, 1000), 0.02);
    }
}
