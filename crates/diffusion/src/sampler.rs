//! The sampling loop shared by the three samplers: from scaled noise at
//! t = 1 down the path's sampling times to t = 0, asking the denoiser at each
//! time, clipping its x_0 estimate, then taking the chosen sampler's step.

use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_kit::choices;

use crate::clipping::X0Clip;
use crate::ddim;
use crate::ddpm;
use crate::denoise::{Denoised, Denoiser};
use crate::flow_matching;
use crate::path::NoisePath;

choices! {
    /// How to walk from noise to data.
    pub enum Sampler {
        Ancestral = ("ancestral", "DDPM ancestral"),
        Ddim = ("ddim", "DDIM"),
        Euler = ("euler", "Euler ODE"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub sampler: Sampler,
    pub steps: usize,
    pub eta: f64,
    /// Scales the initial noise and the noise injected at each step.
    pub temperature: f64,
    pub clip: X0Clip,
}

/// Where a sampler's random numbers come from: the initial noise of particle
/// `i`, coordinate `d` is `rng.normal(i, 0, initial + d)`, the noise injected
/// at step `k` is `rng.normal(i, k, injected + d)`.
#[derive(Clone, Copy, Debug)]
pub struct NoiseSource {
    pub rng: CounterRng,
    pub initial: u32,
    pub injected: u32,
}

impl NoiseSource {
    fn normal(&self, stream: u32, particle: usize, step: usize, coordinate: usize) -> f64 {
        f64::from(
            self.rng
                .normal(particle as u32, step as u32, stream + coordinate as u32),
        )
    }
}

/// What a sampling run leaves behind.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// `particles` x `dims` values at t = 0.
    pub x: Vec<f64>,
    /// The first particles' positions after every step, start included.
    pub trajectories: Vec<Vec<f64>>,
    /// Largest |x_0 estimate| the steps used, after clipping.
    pub largest_x0: f64,
    /// Largest |x_0 estimate| the denoiser gave, before clipping.
    pub largest_raw_x0: f64,
}

fn largest_magnitude(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// How many samples to draw and what to keep of them.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub particles: usize,
    /// Coordinates per particle.
    pub dims: usize,
    /// The paths of the first `traced` particles are kept.
    pub traced: usize,
    /// How many values dynamic thresholding ranks together.
    pub clip_group: usize,
}

pub async fn sample(
    denoiser: &dyn Denoiser,
    path: &NoisePath,
    settings: &Settings,
    noise: NoiseSource,
    shape: Shape,
) -> Result<Samples, RunError> {
    let Shape {
        particles,
        dims,
        traced,
        clip_group,
    } = shape;
    let traced_values = traced.min(particles) * dims;
    let mut x: Vec<f64> = (0..particles * dims)
        .map(|j| settings.temperature * noise.normal(noise.initial, j / dims, 0, j % dims))
        .collect();
    let mut trajectories = vec![x[..traced_values].to_vec()];
    let (mut largest_x0, mut largest_raw_x0) = (0.0f64, 0.0f64);
    let times = path.sampling_times(settings.steps);
    for (k, pair) in times.windows(2).enumerate() {
        let (t, s) = (pair[0], pair[1]);
        let mut estimate = denoiser.denoise(&x, t).await?;
        largest_raw_x0 = largest_raw_x0.max(largest_magnitude(&estimate.x0));
        if settings.clip != X0Clip::None {
            settings.clip.apply(&mut estimate.x0, clip_group);
            // eps must agree with the clipped x_0 on x_t = alpha x_0 + sigma eps.
            let (alpha, sigma) = path.alpha_sigma(t);
            estimate = Denoised::from_x0(&x, estimate.x0, alpha, sigma);
        }
        largest_x0 = largest_x0.max(largest_magnitude(&estimate.x0));
        for (j, xj) in x.iter_mut().enumerate() {
            let (x0, eps) = (estimate.x0[j], estimate.eps[j]);
            let z = || noise.normal(noise.injected, j / dims, k + 1, j % dims);
            *xj = match settings.sampler {
                Sampler::Ancestral => {
                    ddpm::ancestral_step(path, *xj, x0, t, s, z(), settings.temperature)
                }
                Sampler::Ddim => {
                    ddim::step(path, x0, eps, t, s, settings.eta, z(), settings.temperature)
                }
                Sampler::Euler => flow_matching::euler_step(path, *xj, x0, eps, t, s),
            };
        }
        if let Some(bad) = x.iter().find(|v| !v.is_finite()) {
            return Err(RunError::Diverged(format!(
                "a sample became {bad} at t = {s:.3}"
            )));
        }
        trajectories.push(x[..traced_values].to_vec());
    }
    Ok(Samples {
        x,
        trajectories,
        largest_x0,
        largest_raw_x0,
    })
}
