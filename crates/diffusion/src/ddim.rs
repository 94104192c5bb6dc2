//! DDIM: "Denoising Diffusion Implicit Models" (Song, Meng & Ermon 2021).
//!
//! Eq. 12: x_s = alpha_s x_0 + sqrt(sigma_s^2 - c^2) eps + c z, where x_0 and eps
//! are the model's estimates at x_t and (eq. 16)
//! c = eta sqrt(sigma_s^2 / sigma_t^2) sqrt(1 - alpha_t^2 / alpha_s^2) on DDPM's
//! path, in general eta times the posterior standard deviation of DDPM's step.
//! eta = 0 is deterministic given x_1 (an ODE solver); eta = 1 is DDPM's
//! ancestral sampler.

use crate::ddpm;
use crate::path::NoisePath;

/// One DDIM step from `t` to `s` for one coordinate.
#[allow(clippy::too_many_arguments)]
pub fn step(
    path: &NoisePath,
    x0: f64,
    eps: f64,
    t: f64,
    s: f64,
    eta: f64,
    z: f64,
    temperature: f64,
) -> f64 {
    let (alpha_s, sigma_s) = path.alpha_sigma(s);
    let posterior_variance = ddpm::posterior(path, t, s).variance;
    let c = eta * posterior_variance.sqrt();
    alpha_s * x0 + (sigma_s * sigma_s - c * c).max(0.0).sqrt() * eps + temperature * c * z
}
