//! Gaussian noising paths x_t = alpha_t x_0 + sigma_t eps, t in [0, 1].
//!
//! DDPM ("Denoising Diffusion Probabilistic Models", Ho et al. 2020): T
//! discrete steps with variances beta_1..beta_T, alpha_bar_k = prod (1 - beta_i),
//! alpha = sqrt(alpha_bar), sigma = sqrt(1 - alpha_bar) (eq. 4); the linear
//! schedule runs beta from 1e-4 to 0.02 at T = 1000 (scaled by 1000/T for
//! other T, as in "Improved DDPM"), the cosine schedule is eq. 17 of Nichol &
//! Dhariwal, "Improved Denoising Diffusion Probabilistic Models" (2021).
//!
//! Flow matching / rectified flow (Lipman et al. 2023; Liu et al. 2023): the
//! straight line x_t = (1 - t) x_0 + t eps, alpha = 1 - t, sigma = t.

use thermolab_kit::choices;

/// The largest beta the cosine schedule allows (Nichol & Dhariwal clip at 0.999).
const MAX_BETA: f64 = 0.999;

choices! {
    /// DDPM: how beta_t grows.
    pub enum Schedule {
        /// Ho et al.
        Linear = ("linear", "Linear"),
        /// Nichol & Dhariwal.
        Cosine = ("cosine", "Cosine"),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NoisePath {
    /// `alpha_bar[k]` for k = 0..=T, with `alpha_bar[0] = 1`.
    Ddpm {
        alpha_bar: Vec<f64>,
    },
    FlowMatching,
}

impl NoisePath {
    pub fn ddpm(schedule: Schedule, steps: usize) -> Self {
        let t_max = steps as f64;
        let betas: Vec<f64> = match schedule {
            Schedule::Linear => {
                let scale = 1000.0 / t_max;
                let (lo, hi) = (scale * 1e-4, (scale * 0.02).min(MAX_BETA));
                (0..steps)
                    .map(|i| lo + (hi - lo) * i as f64 / (t_max - 1.0).max(1.0))
                    .collect()
            }
            Schedule::Cosine => {
                let s = 0.008;
                let f = |k: f64| {
                    ((k / t_max + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2)
                        .cos()
                        .powi(2)
                };
                (1..=steps)
                    .map(|k| (1.0 - f(k as f64) / f(k as f64 - 1.0)).min(MAX_BETA))
                    .collect()
            }
        };
        let mut alpha_bar = Vec::with_capacity(steps + 1);
        alpha_bar.push(1.0);
        for beta in betas {
            let last = *alpha_bar.last().expect("starts with 1");
            alpha_bar.push(last * (1.0 - beta));
        }
        NoisePath::Ddpm { alpha_bar }
    }

    /// DDPM's beta_1..beta_T, recovered from alpha_bar; empty for flow matching.
    pub fn betas(&self) -> Vec<f64> {
        match self {
            NoisePath::Ddpm { alpha_bar } => {
                alpha_bar.windows(2).map(|w| 1.0 - w[1] / w[0]).collect()
            }
            NoisePath::FlowMatching => Vec::new(),
        }
    }

    /// Training steps T of a DDPM path; `None` for flow matching's continuous time.
    pub fn discrete_steps(&self) -> Option<usize> {
        match self {
            NoisePath::Ddpm { alpha_bar } => Some(alpha_bar.len() - 1),
            NoisePath::FlowMatching => None,
        }
    }

    /// (alpha_t, sigma_t). DDPM between grid points interpolates log alpha_bar.
    pub fn alpha_sigma(&self, t: f64) -> (f64, f64) {
        let t = t.clamp(0.0, 1.0);
        match self {
            NoisePath::Ddpm { alpha_bar } => {
                let pos = t * (alpha_bar.len() - 1) as f64;
                let lo = pos.floor() as usize;
                let hi = (lo + 1).min(alpha_bar.len() - 1);
                let w = pos - lo as f64;
                let ab = (alpha_bar[lo].ln() * (1.0 - w) + alpha_bar[hi].ln() * w).exp();
                (ab.sqrt(), (1.0 - ab).max(0.0).sqrt())
            }
            NoisePath::FlowMatching => (1.0 - t, t),
        }
    }

    /// d alpha / dt and d sigma / dt, for the Euler solver of the probability-flow ODE.
    pub fn derivatives(&self, t: f64) -> (f64, f64) {
        match self {
            NoisePath::FlowMatching => (-1.0, 1.0),
            NoisePath::Ddpm { alpha_bar } => {
                let h = 0.5 / (alpha_bar.len() - 1) as f64;
                let (lo, hi) = ((t - h).max(0.0), (t + h).min(1.0));
                let (a0, s0) = self.alpha_sigma(lo);
                let (a1, s1) = self.alpha_sigma(hi);
                ((a1 - a0) / (hi - lo), (s1 - s0) / (hi - lo))
            }
        }
    }

    /// A training time: DDPM draws k uniformly from 1..=T (t = k / T);
    /// flow matching draws t uniformly from (0, 1].
    pub fn training_time(&self, uniform01: f64) -> f64 {
        match self.discrete_steps() {
            Some(steps) => {
                let k = ((uniform01 * steps as f64).floor() as usize + 1).min(steps);
                k as f64 / steps as f64
            }
            None => uniform01.max(1e-4),
        }
    }

    /// The times a sampler visits, from t = 1 down to 0, `steps` of them
    /// after the first: on DDPM's grid the nearest training steps (no repeats),
    /// so sampling steps are independent of T.
    pub fn sampling_times(&self, steps: usize) -> Vec<f64> {
        let steps = steps.max(1);
        match self.discrete_steps() {
            Some(t_max) => {
                let mut ks: Vec<usize> = (0..=steps)
                    .rev()
                    .map(|i| ((i * t_max) as f64 / steps as f64).round() as usize)
                    .collect();
                ks.dedup();
                ks.into_iter().map(|k| k as f64 / t_max as f64).collect()
            }
            None => (0..=steps).rev().map(|i| i as f64 / steps as f64).collect(),
        }
    }

    /// x_t from x_0 and eps: the closed form of the forward process q(x_t | x_0).
    pub fn noised(&self, x0: f64, eps: f64, t: f64) -> f64 {
        let (alpha, sigma) = self.alpha_sigma(t);
        alpha * x0 + sigma * eps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddpm_linear_matches_the_paper_at_t_1000() {
        let path = NoisePath::ddpm(Schedule::Linear, 1000);
        let NoisePath::Ddpm { alpha_bar } = &path else {
            unreachable!()
        };
        assert!((alpha_bar[1] - (1.0 - 1e-4)).abs() < 1e-12);
        // prod(1 - beta) with beta linear in [1e-4, 0.02]: about 4e-5 at T.
        assert!(
            alpha_bar[1000] > 1e-5 && alpha_bar[1000] < 1e-4,
            "{}",
            alpha_bar[1000]
        );
        assert!(alpha_bar.windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn cosine_alpha_bar_follows_its_closed_form() {
        let path = NoisePath::ddpm(Schedule::Cosine, 100);
        let f = |t: f64| {
            ((t + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        for k in [10, 50, 90] {
            let (alpha, _) = path.alpha_sigma(k as f64 / 100.0);
            assert!((alpha * alpha - f(k as f64 / 100.0) / f(0.0)).abs() < 1e-9);
        }
    }

    #[test]
    fn sampling_times_descend_to_zero_on_the_training_grid() {
        let path = NoisePath::ddpm(Schedule::Linear, 100);
        let times = path.sampling_times(30);
        assert_eq!(times.first(), Some(&1.0));
        assert_eq!(times.last(), Some(&0.0));
        assert_eq!(times.len(), 31);
        assert!(times.windows(2).all(|w| w[1] < w[0]));
        assert!(
            times
                .iter()
                .all(|t| ((t * 100.0).round() - t * 100.0).abs() < 1e-9)
        );
        // More sampling steps than training steps: every training step once.
        assert_eq!(path.sampling_times(500).len(), 101);
        assert_eq!(
            NoisePath::FlowMatching.sampling_times(4),
            vec![1.0, 0.75, 0.5, 0.25, 0.0]
        );
    }

    #[test]
    fn euler_derivatives_match_the_path() {
        let path = NoisePath::ddpm(Schedule::Cosine, 200);
        let (t, h) = (0.4, 1e-3);
        let (da, ds) = path.derivatives(t);
        let (a0, s0) = path.alpha_sigma(t - h);
        let (a1, s1) = path.alpha_sigma(t + h);
        assert!((da - (a1 - a0) / (2.0 * h)).abs() < 0.02);
        assert!((ds - (s1 - s0) / (2.0 * h)).abs() < 0.02);
    }
}
