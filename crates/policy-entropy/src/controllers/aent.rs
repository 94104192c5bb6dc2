//! AEnt (Shen 2025, "On Entropy Control in LLM-RL Algorithms", eqs. 5-7):
//! the bonus is on the clamped entropy, the entropy of the policy
//! renormalized over its ceil((1 - p) V) most likely tokens (the long tail
//! of unlikely tokens, which a plain bonus inflates, is left out), and its
//! coefficient moves only when the entropy leaves the band [H_low, H_high]:
//! beta <- clip(beta - lr (min(0, H - H_low) + max(0, H - H_high)),
//! [0, beta_max]). Here H is the policy's own entropy, the one the page
//! shows and the target names.

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Tensor, TensorData};
use thermolab_gpu::TensorDevice;

/// Logits below a row's threshold count as absent.
const ABSENT: f32 = -1e9;

/// The next coefficient.
pub fn update(coefficient: f64, entropy: f64, (low, high): (f64, f64), lr: f64, max: f64) -> f64 {
    let outside = (entropy - low).min(0.0) + (entropy - high).max(0.0);
    (coefficient - lr * outside).clamp(0.0, max)
}

/// Tokens a row keeps: ceil((1 - p) V), at least one.
pub fn kept(vocab: usize, clamp: f64) -> usize {
    (((1.0 - clamp) * vocab as f64).ceil() as usize).clamp(1, vocab)
}

/// Each row's `keep`-th largest logit, [S, R, 1], from the rows of
/// `logits` read back (the device has no sort that runs in a browser).
pub fn thresholds(
    logits: &[f32],
    shape: [usize; 3],
    keep: usize,
    device: &TensorDevice,
) -> Tensor<3> {
    let [s, r, v] = shape;
    let values: Vec<f32> = logits
        .chunks_exact(v)
        .map(|row| {
            let mut row = row.to_vec();
            let (_, kth, _) = row.select_nth_unstable_by(keep - 1, |a, b| b.total_cmp(a));
            *kth
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [s, r, 1]), device)
}

/// The clamped entropy [S, R] of each row of `logits` [S, R, V]: the
/// entropy of softmax over the logits at or above the row's threshold.
pub fn clamped_entropy(logits: Tensor<3>, thresholds: Tensor<3>) -> Tensor<2> {
    let [s, m, v] = logits.dims();
    let absent = logits.clone().lower(thresholds.expand([s, m, v]));
    let kept = logits.mask_fill(absent, ABSENT);
    let p = softmax(kept.clone(), 2);
    -(p * log_softmax(kept, 2)).sum_dim(2).reshape([s, m])
}
