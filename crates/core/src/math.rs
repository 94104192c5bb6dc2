//! Shared numerics for every lab: temperature softmax through log-sum-exp,
//! entropy and KL from log-probabilities, and the clipping operators that the
//! labs expose as controls.
//!
//! Temperatures reach 1e-3 and 1e3 from a slider, so nothing here exponentiates
//! an unshifted logit, and `0 * log 0` is taken as 0.

/// `ln Σ exp(x_i)`, shifted by the maximum so it never overflows.
/// Empty input gives `-inf` (the log of an empty sum).
pub fn log_sum_exp(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || !max.is_finite() {
        return max;
    }
    max + xs.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

/// `log softmax(logits / temperature)`. The temperature must be positive and finite.
pub fn log_softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    debug_assert!(temperature > 0.0 && temperature.is_finite());
    let scaled: Vec<f64> = logits.iter().map(|x| x / temperature).collect();
    let lse = log_sum_exp(&scaled);
    scaled.iter().map(|x| x - lse).collect()
}

/// `softmax(logits / temperature)`: the Boltzmann distribution at that temperature.
pub fn softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    log_softmax(logits, temperature)
        .into_iter()
        .map(f64::exp)
        .collect()
}

/// Shannon entropy in nats, `-Σ p ln p`, from log-probabilities.
pub fn entropy(log_probs: &[f64]) -> f64 {
    -log_probs
        .iter()
        .filter(|lp| **lp > f64::NEG_INFINITY)
        .map(|lp| lp.exp() * lp)
        .sum::<f64>()
}

/// `KL(p || q) = Σ p (ln p - ln q)` in nats, from log-probabilities.
/// Infinite when p puts mass where q has none.
pub fn kl_divergence(log_p: &[f64], log_q: &[f64]) -> f64 {
    log_p
        .iter()
        .zip(log_q)
        .filter(|(lp, _)| **lp > f64::NEG_INFINITY)
        .map(|(lp, lq)| lp.exp() * (lp - lq))
        .sum()
}

/// Clamps into `[lo, hi]`; NaN stays NaN so a divergence is not hidden.
pub fn clip(x: f64, lo: f64, hi: f64) -> f64 {
    // f64::max would turn NaN into `lo` and hide the divergence.
    if x.is_nan() { x } else { x.max(lo).min(hi) }
}

/// PPO's clipped surrogate with asymmetric bounds `[1 - eps_low, 1 + eps_high]`
/// (Schulman et al. 2017, eq. 7; the asymmetric "clip-higher" form of DAPO):
/// `min(r A, clip(r, 1 - eps_low, 1 + eps_high) A)`.
pub fn ppo_clipped_objective(ratio: f64, advantage: f64, eps_low: f64, eps_high: f64) -> f64 {
    let clipped = clip(ratio, 1.0 - eps_low, 1.0 + eps_high);
    (ratio * advantage).min(clipped * advantage)
}

/// Scales `grads` in place so their joint L2 norm is at most `max_norm`
/// (Pascanu et al. 2013). Returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut [f64], max_norm: f64) -> f64 {
    let norm = grads.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm && norm > 0.0 {
        let scale = max_norm / norm;
        grads.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

/// The `p`-quantile (0..=1) of `xs` by linear interpolation between order
/// statistics. Used by dynamic thresholding. NaN for empty input.
pub fn quantile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = clip(p, 0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGITS: [f64; 4] = [1.0, 3.0, -2.0, 2.5];

    #[test]
    fn log_sum_exp_survives_huge_inputs() {
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log_sum_exp(&[-1000.0, -1000.0]) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY, 0.0]), 0.0);
    }

    #[test]
    fn cold_softmax_is_greedy_without_nan() {
        let p = softmax(&LOGITS, 1e-3);
        assert!(p.iter().all(|x| x.is_finite()));
        assert!((p[1] - 1.0).abs() < 1e-12, "{p:?}");
        assert!(p.iter().sum::<f64>() - 1.0 < 1e-12);
        // Gap 0.5 at T = 1e-3 is e^-500 ≈ 7e-218: tiny but representable, not NaN.
        assert!(p[3] > 0.0 && p[3] < 1e-200);
    }

    #[test]
    fn hot_softmax_is_uniform() {
        let p = softmax(&LOGITS, 1e3);
        for x in &p {
            assert!((x - 0.25).abs() < 2e-3, "{p:?}");
        }
        let h = entropy(&log_softmax(&LOGITS, 1e3));
        assert!((h - 4f64.ln()).abs() < 1e-4);
    }

    #[test]
    fn softmax_at_unit_temperature_matches_definition() {
        let z: f64 = LOGITS.iter().map(|x| x.exp()).sum();
        let p = softmax(&LOGITS, 1.0);
        for (pi, x) in p.iter().zip(LOGITS) {
            assert!((pi - x.exp() / z).abs() < 1e-12);
        }
    }

    #[test]
    fn entropy_of_uniform_is_ln_k_and_of_one_hot_is_zero() {
        for k in [1usize, 2, 10, 1000] {
            let lp = vec![-(k as f64).ln(); k];
            assert!((entropy(&lp) - (k as f64).ln()).abs() < 1e-9);
        }
        assert_eq!(entropy(&[0.0, f64::NEG_INFINITY, f64::NEG_INFINITY]), 0.0);
    }

    #[test]
    fn kl_is_zero_for_equal_and_matches_closed_form() {
        let lp = log_softmax(&LOGITS, 1.0);
        assert!(kl_divergence(&lp, &lp).abs() < 1e-12);
        // KL(Bern(0.5) || Bern(0.25)) = 0.5 ln 2 + 0.5 ln(2/3).
        let p = [0.5f64.ln(), 0.5f64.ln()];
        let q = [0.25f64.ln(), 0.75f64.ln()];
        let exact = 0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
        assert!((kl_divergence(&p, &q) - exact).abs() < 1e-12);
        assert_eq!(
            kl_divergence(&[0.0, f64::NEG_INFINITY], &[f64::NEG_INFINITY, 0.0]),
            f64::INFINITY
        );
    }

    #[test]
    fn ppo_clip_bounds_are_asymmetric() {
        // Positive advantage: the ratio counts up to 1 + eps_high.
        assert_eq!(ppo_clipped_objective(1.5, 1.0, 0.2, 0.28), 1.28);
        // Negative advantage: pessimistic, the unclipped larger penalty wins.
        assert_eq!(ppo_clipped_objective(1.5, -1.0, 0.2, 0.28), -1.5);
        assert_eq!(ppo_clipped_objective(0.5, -1.0, 0.2, 0.28), -0.8);
        assert_eq!(ppo_clipped_objective(1.0, 2.0, 0.2, 0.28), 2.0);
    }

    #[test]
    fn grad_norm_clipping_scales_to_the_bound() {
        let mut g = vec![3.0, 4.0];
        assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-12 && (g[1] - 0.8).abs() < 1e-12);
        let mut small = vec![0.1, 0.1];
        clip_grad_norm(&mut small, 1.0);
        assert_eq!(small, vec![0.1, 0.1]);
    }

    #[test]
    fn clip_keeps_nan_visible() {
        assert_eq!(clip(5.0, -1.0, 1.0), 1.0);
        assert_eq!(clip(-5.0, -1.0, 1.0), -1.0);
        assert!(clip(f64::NAN, -1.0, 1.0).is_nan());
    }

    #[test]
    fn quantile_interpolates() {
        let xs = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert_eq!(quantile(&xs, 1.0), 5.0);
        assert_eq!(quantile(&xs, 0.5), 3.0);
        assert_eq!(quantile(&xs, 0.875), 4.5);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
