//! DDPM: "Denoising Diffusion Probabilistic Models" (Ho, Jain & Abbeel 2020).
//!
//! Training (Algorithm 1, the simple loss of eq. 14) regresses the network
//! onto the noise eps that made x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
//! With input perturbation ("Input Perturbation Reduces Exposure Bias in
//! Diffusion Models", Ning et al. 2023, eq. 9) the input is made with
//! eps + gamma xi while the target stays eps, so the network learns to
//! correct inputs a little off the forward process, as its own samples are.
//!
//! The network may regress onto x_0 instead of eps (section 3.2 weighs the
//! two; with their U-Net eps was better, Table 2). The simple loss on x_0 is
//! eps's weighted by 1 / SNR, and the estimate needs no gain: from eps,
//! x_0 = (x_t - sigma eps) / alpha needs eps to a precision of sigma's
//! order at small t, which an MLP over a whole image does not reach (grain
//! on a digit's background), while a predicted x_0 of exactly -1 there is a
//! constant output.
//!
//! Sampling (Algorithm 2) steps from x_t to x_s with the Gaussian posterior
//! q(x_s | x_t, x_0) of eqs. 6-7, x_0 replaced by the model's (clipped)
//! estimate, as Ho et al.'s code does. On a grid s < t of any spacing:
//! alpha_{t|s} = alpha_t / alpha_s, sigma_{t|s}^2 = sigma_t^2 - alpha_{t|s}^2 sigma_s^2,
//! mean = alpha_s sigma_{t|s}^2 / sigma_t^2 x_0 + alpha_{t|s} sigma_s^2 / sigma_t^2 x_t,
//! variance = sigma_{t|s}^2 sigma_s^2 / sigma_t^2 (beta tilde of eq. 7).
//! A step over skipped training steps thus takes the variance of the whole
//! interval, not of one training step; the last step (s = 0, sigma_s = 0)
//! lands on the x_0 estimate with no noise, as Algorithm 2 does at t = 1.

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

/// (x_t, target) for one coordinate when the network predicts x_0: the
/// same input, the clean value as target.
pub fn training_example_x0(
    path: &NoisePath,
    x0: f64,
    eps: f64,
    xi: f64,
    gamma: f64,
    t: f64,
) -> (f64, f64) {
    (training_example(path, x0, eps, xi, gamma, t).0, x0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Schedule;

    #[test]
    fn a_step_over_skipped_training_steps_has_the_variance_of_the_whole_interval() {
        // From step k down to step j < k, with only the betas: the forward
        // process over the interval has variance beta_{k|j} = 1 - prod (1 - beta_i),
        // i = j+1..k, and the posterior's is (1 - abar_j) / (1 - abar_k) beta_{k|j}
        // (eq. 7 of Ho et al. for one step, the same algebra for many).
        let t_max = 100;
        for schedule in [Schedule::Linear, Schedule::Cosine] {
            let path = NoisePath::ddpm(schedule, t_max);
            let betas = path.betas();
            let abar = |k: usize| betas[..k].iter().map(|b| 1.0 - b).product::<f64>();
            for (k, j) in [(1, 0), (2, 1), (40, 38), (50, 10), (100, 60), (7, 0)] {
                let interval = 1.0 - betas[j..k].iter().map(|b| 1.0 - b).product::<f64>();
                let expected = (1.0 - abar(j)) / (1.0 - abar(k)) * interval;
                let q = posterior(&path, k as f64 / t_max as f64, j as f64 / t_max as f64);
                assert!(
                    (q.variance - expected).abs() < 1e-12,
                    "{schedule:?} {k} -> {j}: {} vs {expected}",
                    q.variance
                );
                if k == j + 1 {
                    assert!(
                        (q.variance - (1.0 - abar(j)) / (1.0 - abar(k)) * betas[j]).abs() < 1e-12
                    );
                }
            }
        }
    }

    #[test]
    fn the_last_step_returns_the_x0_estimate_without_noise() {
        let path = NoisePath::ddpm(Schedule::Linear, 100);
        for (t, z) in [(0.01, 3.0), (0.2, -2.0), (1.0, 5.0)] {
            assert_eq!(posterior(&path, t, 0.0).variance, 0.0);
            assert_eq!(ancestral_step(&path, 1.7, 0.25, t, 0.0, z, 2.0), 0.25);
        }
    }
}
