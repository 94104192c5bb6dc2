//! What the samplers ask of a model: at (x_t, t), its estimates of x_0 and of
//! the noise eps. A network predicts one of them (DDPM: eps, or x_0 itself;
//! flow matching: the velocity eps - x_0) and x_t = alpha x_0 + sigma eps
//! gives the other.

use thermolab_core::experiment::RunError;
use thermolab_kit::choices;

use crate::ddpm;
use crate::flow_matching;
use crate::path::NoisePath;

choices! {
    /// What the network regresses onto along the noising path.
    pub enum Objective {
        /// eps-prediction ("Denoising Diffusion Probabilistic Models").
        Ddpm = ("ddpm", "DDPM (predict the noise)"),
        /// The same path and sampler, the network regressed onto x_0 (Ho et
        /// al. 2020, section 3.2; see [`ddpm`]).
        DdpmX0 = ("x0", "DDPM (predict the clean data)"),
        /// Velocity regression on straight paths (rectified flow).
        FlowMatching = ("flow", "Flow matching (predict the velocity)"),
    }
}

impl Objective {
    pub fn path(self, schedule: crate::path::Schedule, steps: usize) -> NoisePath {
        match self {
            Objective::Ddpm | Objective::DdpmX0 => NoisePath::ddpm(schedule, steps),
            Objective::FlowMatching => NoisePath::FlowMatching,
        }
    }

    /// The network's input x_t and regression target for one coordinate of
    /// one training example; `xi` is the input perturbation's extra noise.
    pub fn training_example(
        self,
        path: &NoisePath,
        x0: f64,
        eps: f64,
        xi: f64,
        gamma: f64,
        t: f64,
    ) -> (f64, f64) {
        match self {
            Objective::Ddpm => ddpm::training_example(path, x0, eps, xi, gamma, t),
            Objective::DdpmX0 => ddpm::training_example_x0(path, x0, eps, xi, gamma, t),
            Objective::FlowMatching => flow_matching::training_example(x0, eps, xi, gamma, t),
        }
    }

    /// (x_0, eps) estimates from the network's raw output at x_t.
    pub fn denoised(self, path: &NoisePath, x: &[f64], output: &[f64], t: f64) -> Denoised {
        let (alpha, sigma) = path.alpha_sigma(t);
        let (x0, eps) = match self {
            Objective::Ddpm => x
                .iter()
                .zip(output)
                .map(|(x, eps)| ((x - sigma * eps) / alpha, *eps))
                .unzip(),
            Objective::DdpmX0 => return Denoised::from_x0(x, output.to_vec(), alpha, sigma),
            // v = eps - x_0 and x_t = (1 - t) x_0 + t eps.
            Objective::FlowMatching => x
                .iter()
                .zip(output)
                .map(|(x, v)| (x - sigma * v, x + alpha * v))
                .unzip(),
        };
        Denoised { x0, eps }
    }
}

/// A model's estimates of x_0 and eps at every coordinate of x_t.
#[derive(Clone, Debug, PartialEq)]
pub struct Denoised {
    pub x0: Vec<f64>,
    pub eps: Vec<f64>,
}

impl Denoised {
    /// The estimates at `x` = alpha x_0 + sigma eps, given x_0:
    /// eps = (x - alpha x_0) / sigma.
    pub fn from_x0(x: &[f64], x0: Vec<f64>, alpha: f64, sigma: f64) -> Self {
        let eps = x
            .iter()
            .zip(&x0)
            .map(|(x, x0)| (x - alpha * x0) / sigma)
            .collect();
        Self { x0, eps }
    }
}

#[async_trait::async_trait(?Send)]
pub trait Denoiser {
    /// Estimates at each row of `x` (all at time `t`).
    async fn denoise(&self, x: &[f64], t: f64) -> Result<Denoised, RunError>;
}
