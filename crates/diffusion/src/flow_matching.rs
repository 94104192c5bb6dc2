//! Flow matching with straight paths: "Flow Matching for Generative
//! Modeling" (Lipman et al. 2023) with the linear interpolant of "Flow
//! Straight and Fast" (rectified flow, Liu et al. 2023).
//!
//! x_t = (1 - t) x_0 + t eps; the network regresses the velocity
//! dx_t/dt = eps - x_0. Sampling integrates dx/dt = v(x, t) from noise at
//! t = 1 to data at t = 0 with Euler steps. The same solver integrates any
//! Gaussian path's probability-flow ODE, dx/dt = alpha'(t) x_0 + sigma'(t) eps
//! (so DDPM models can be sampled with it too).

use crate::path::NoisePath;

/// (x_t, target) for one coordinate; `gamma xi` perturbs the input only, as
/// the DDPM objective does.
pub fn training_example(x0: f64, eps: f64, xi: f64, gamma: f64, t: f64) -> (f64, f64) {
    ((1.0 - t) * x0 + t * (eps + gamma * xi), eps - x0)
}

/// One Euler step of the probability-flow ODE from `t` to `s` for one coordinate.
pub fn euler_step(path: &NoisePath, x: f64, x0: f64, eps: f64, t: f64, s: f64) -> f64 {
    let (d_alpha, d_sigma) = path.derivatives(t);
    x + (s - t) * (d_alpha * x0 + d_sigma * eps)
}
