//! KL-Cov (Cui et al. 2025, "The Entropy Mechanism of Reinforcement
//! Learning for Reasoning Language Models", eq. 11): the k = ceil(r N)
//! tokens of highest covariance (see [`super::clip_cov::covariance`]) get a
//! KL penalty toward the sampling policy, beta |log pi - log pi_old| (the
//! paper's implementation), which holds back the updates that drive the
//! entropy down most.

use burn::tensor::{Tensor, TensorData};
use thermolab_gpu::TensorDevice;

/// Each seed's k-th largest covariance [S, 1], from the covariances read
/// back [S x M] (the device has no sort that runs in a browser).
pub fn thresholds(
    covariance: &[f32],
    seeds: usize,
    ratio: f64,
    device: &TensorDevice,
) -> Tensor<2> {
    let m = covariance.len() / seeds.max(1);
    let k = ((ratio * m as f64).ceil() as usize).clamp(1, m);
    let values: Vec<f32> = covariance
        .chunks_exact(m)
        .map(|row| {
            let mut row = row.to_vec();
            let (_, kth, _) = row.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
            *kth
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [seeds, 1]), device)
}

/// The penalty per seed [S, 1] on the tokens at or above the threshold.
pub fn loss(
    log_probs: Tensor<2>,
    old_log_probs: Tensor<2>,
    covariance: Tensor<2>,
    thresholds: Tensor<2>,
    weight: f64,
) -> Tensor<2> {
    let shape = covariance.dims();
    let chosen = covariance.greater_equal(thresholds.expand(shape)).float();
    ((log_probs - old_log_probs).abs() * chosen).mean_dim(1) * weight
}
