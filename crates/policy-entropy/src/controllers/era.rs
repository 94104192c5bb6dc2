//! ERA for discrete policies ("Entropy Regularizing Activation: Boosting
//! Continuous Control, Large Language Models, and Image Classification with
//! Activation as Entropy Constraints", section 4.2): the loss sees the
//! logits of positive-advantage tokens scaled, z' = k z while the entropy
//! is below the band and z' = z / k above it (k > 1), within it unchanged.
//! A sharper law in the loss makes a rewarded token look already likely, so
//! its update pushes less (the collapse slows); a flatter one pushes more.

use burn::tensor::Tensor;

/// The scale of the next step.
pub fn scale(entropy: f64, (low, high): (f64, f64), k: f64) -> f64 {
    if entropy < low {
        k
    } else if entropy > high {
        1.0 / k
    } else {
        1.0
    }
}

/// `logits` [S, M, V] with the rows of positive-advantage tokens scaled by
/// the seed's `scales` [S, 1].
pub fn scaled_logits(logits: Tensor<3>, advantages: Tensor<2>, scales: Tensor<2>) -> Tensor<3> {
    let [s, m, v] = logits.dims();
    let positive = advantages.greater_elem(0.0).float();
    let factor = (positive * (scales.expand([s, m]) - 1.0)) + 1.0;
    logits * factor.reshape([s, m, 1]).expand([s, m, v])
}
