//! ERA for discrete policies ("Entropy Regularizing Activation: Boosting
//! Continuous Control, Large Language Models, and Image Classification with
//! Activation as Entropy Constraints", section 4.2): the loss sees the
//! logits of positive-advantage tokens scaled, z' = k z while the entropy
//! is below the band and z' = z / k above it (k > 1), within it unchanged.
//! A sharper law in the loss makes a rewarded token look already likely, so
//! its update pushes less (the collapse slows); a flatter one pushes more.

use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

use crate::grpo;
use crate::policy::StateLogits;

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

/// log pi of each sampled token [S, M] as the loss sees it: at a
/// positive-advantage token from the logits scaled by the seed's `scales`
/// [S, 1], elsewhere from the logits as they are.
pub fn token_log_probs(
    logits: &StateLogits,
    advantages: Tensor<2>,
    scales: Tensor<2>,
) -> Tensor<2> {
    let [s, r, v] = logits.rows.dims();
    let scaled = logits.rows.clone() * scales.reshape([s, 1, 1]).expand([s, r, v]);
    let positive = advantages.greater_elem(0.0).float();
    let plain = grpo::token_log_probs(logits);
    let sharper = logits.at_tokens(log_softmax(scaled, 2));
    plain.clone() + (sharper - plain) * positive
}
