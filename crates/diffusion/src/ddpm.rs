//! DDPM: "Denoising Diffusion Probabilistic Models" (Ho, Jain & Abbeel 2020).
//!
//! Training (Algorithm 1, the simple loss of eq. 14) regresses the network
//! onto the noise eps that made x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
//! With input perturbation ("Input Perturbation Reduces Exposure Bias in
//! Diffusion Models", Ning et al. 2023, eq. 9) the input is made with
//! eps + gamma xi while the target stays eps, so the network learns to
//! correct inputs a little off the forward process, as its own samples are.
//!
//! Sampling (Algorithm 2) steps from x_t to x_s with the Gaussian posterior
//! q(x_s | x_t, x_0) of eqs. 6-7, x_0 replaced by the model's (clipped)
//! estimate, as Ho et al.'s code does. On a grid s < t of any spacing:
//! alpha_{t|s} = alpha_t / alpha_s, sigma_{t|s}^2 = sigma_t^2 - alpha_{t|s}^2 sigma_s^2,
//! mean = alpha_s sigma_{t|s}^2 / sigma_t^2 x_0 + alpha_{t|s} sigma_s^2 / sigma_t^2 x_t,
//! variance = sigma_{t|s}^2 sigma_s^2 / sigma_t^2 (beta tilde of eq. 7).

use crate::path::NoisePath;

/// (x_t, target) for one coordinate.
pub fn training_example(
    path: &NoisePath,
    x0: f64,
    eps: f64,
    xi: f64,
    gamma: f64,
    t: f64,
) -> (f64, f64) {
    (path.noised(x0, eps + gamma * xi, t), eps)
}

/// The Gaussian posterior q(x_s | x_t, x_0) (eqs. 6-7) on any grid s < t:
/// mean = `x0_weight` x_0 + `xt_weight` x_t, and its variance.
pub struct Posterior {
    pub x0_weight: f64,
    pub xt_weight: f64,
    pub variance: f64,
}

pub fn posterior(path: &NoisePath, t: f64, s: f64) -> Posterior {
    let (alpha_t, sigma_t) = path.alpha_sigma(t);
    let (alpha_s, sigma_s) = path.alpha_sigma(s);
    let alpha_ts = alpha_t / alpha_s;
    let sigma_ts2 = (sigma_t * sigma_t - alpha_ts * alpha_ts * sigma_s * sigma_s).max(0.0);
    Posterior {
        x0_weight: alpha_s * sigma_ts2 / (sigma_t * sigma_t),
        xt_weight: alpha_ts * sigma_s * sigma_s / (sigma_t * sigma_t),
        variance: sigma_ts2 * sigma_s * sigma_s / (sigma_t * sigma_t),
    }
}

/// One ancestral step from time `t` to `s` for one coordinate: `x0` is the
/// model's estimate, `z` a standard normal, `temperature` scales the noise.
pub fn ancestral_step(
    path: &NoisePath,
    x: f64,
    x0: f64,
    t: f64,
    s: f64,
    z: f64,
    temperature: f64,
) -> f64 {
    let q = posterior(path, t, s);
    q.x0_weight * x0 + q.xt_weight * x + temperature * q.variance.sqrt() * z
}
