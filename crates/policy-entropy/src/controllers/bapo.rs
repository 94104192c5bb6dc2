//! BAPO (Xi et al. 2025, "BAPO: Stabilizing Off-Policy Reinforcement
//! Learning for LLMs via Balanced Policy Optimization with Adaptive
//! Clipping", Algorithm 1): fixed clip bounds stop entropy-raising updates
//! of negative-advantage tokens from being balanced by positive ones.
//! Before each update the bounds start at [a_-, a_+] = [0.6, 1.2] and, while
//! the positive-advantage tokens carry less than the target share rho_0 of
//! the update, c_high grows by 0.05 (up to b_+ = 2.0) and c_low by 0.05 (up
//! to b_- = 0.8, clipping more of the negative tokens); a token's share is
//! |A rho| if the clip leaves its gradient, nothing otherwise.
//!
//! The loop runs on the device, unrolled: the share under every pair of
//! bounds the loop can reach, and the first pair that reaches the target
//! (the last when none does), for every seed at once, with no readback.

use burn::tensor::{Int, Tensor, TensorData};
use thermolab_gpu::TensorDevice;

/// Where each update starts, the limits and the step (the paper's values).
pub const START: (f64, f64) = (0.6, 1.2);
pub const LIMITS: (f64, f64) = (0.8, 2.0);
pub const STEP: f64 = 0.05;

/// The bounds (low, high) the loop tries, in its order: both raised by
/// [`STEP`] each round, each held at its limit once there.
pub fn candidates() -> Vec<(f64, f64)> {
    let rounds = |from: f64, to: f64| ((to - from) / STEP).round() as usize;
    let last = rounds(START.0, LIMITS.0).max(rounds(START.1, LIMITS.1));
    (0..=last)
        .map(|k| {
            let raised = k as f64 * STEP;
            (
                (START.0 + raised).min(LIMITS.0),
                (START.1 + raised).min(LIMITS.1),
            )
        })
        .collect()
}

/// A row [1, K] of `value(i, candidate i)` over the candidates.
fn per_candidate(value: impl Fn(usize, (f64, f64)) -> f32, device: &TensorDevice) -> Tensor<2> {
    let values: Vec<f32> = candidates()
        .into_iter()
        .enumerate()
        .map(|(i, pair)| value(i, pair))
        .collect();
    let k = values.len();
    Tensor::from_data(TensorData::new(values, [1, k]), device)
}

/// The share of the update that positive-advantage tokens carry under each
/// candidate: ratios and advantages [S, M] give [S, K].
pub fn positive_shares(ratio: Tensor<2>, advantages: Tensor<2>) -> Tensor<2> {
    let [s, m] = ratio.dims();
    let k = candidates().len();
    let device = ratio.device();
    let bound = |pick: fn((f64, f64)) -> f64| {
        per_candidate(|_, pair| pick(pair) as f32, &device)
            .reshape([1, 1, k])
            .expand([s, m, k])
    };
    let rho = ratio.unsqueeze_dim::<3>(2).expand([s, m, k]);
    let a = advantages.unsqueeze_dim::<3>(2).expand([s, m, k]);
    let stopped = a
        .clone()
        .greater_elem(0.0)
        .bool_and(rho.clone().greater(bound(|(_, high)| high)))
        .bool_or(
            a.clone()
                .lower_elem(0.0)
                .bool_and(rho.clone().lower(bound(|(low, _)| low))),
        );
    let contribution = (a.clone() * rho).abs().mask_fill(stopped, 0.0);
    let positive = contribution
        .clone()
        .mask_fill(a.lower_equal_elem(0.0), 0.0)
        .sum_dim(1);
    let total = contribution.sum_dim(1);
    // No token left: nothing for positive tokens to balance.
    let nothing = total.clone().equal_elem(0.0);
    (positive / total.clamp_min(f32::MIN_POSITIVE))
        .mask_fill(nothing, 1.0)
        .reshape([s, k])
}

/// Every seed's choice [S, 1] for this update, an index into
/// [`candidates`], from its tokens' ratios and advantages [S, M].
pub fn choice(ratio: Tensor<2>, advantages: Tensor<2>, target: f64) -> Tensor<2, Int> {
    let [s, _] = ratio.dims();
    let device = ratio.device();
    let k = candidates().len();
    let row =
        |value: fn(usize, usize) -> f32| per_candidate(|i, _| value(i, k), &device).expand([s, k]);
    // Weight K - i on candidate i where it reaches the target (the last
    // always "reaches": the loop ends there), so the argmax is the first.
    let order = row(|i, k| (k - i) as f32);
    let last = row(|i, k| if i + 1 == k { 1.0 } else { 0.0 });
    let reached = (positive_shares(ratio, advantages)
        .greater_equal_elem(target)
        .float()
        + last)
        .clamp_max(1.0);
    (reached * order).argmax(1)
}

/// The bounds (low, high) [S, 1] of every seed's choice.
pub fn bounds(choice: Tensor<2, Int>) -> (Tensor<2>, Tensor<2>) {
    let [s, _] = choice.dims();
    let device = choice.device();
    let pick = |pick: fn((f64, f64)) -> f64| {
        per_candidate(|_, pair| pick(pair) as f32, &device)
            .repeat_dim(0, s)
            .gather(1, choice.clone())
    };
    (pick(|(low, _)| low), pick(|(_, high)| high))
}
