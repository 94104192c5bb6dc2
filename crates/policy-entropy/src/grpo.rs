//! GRPO (Shao et al. 2024, "DeepSeekMath", eq. 3): G answers per prompt,
//! each answer's advantage its reward normalized within its group,
//! A_i = (r_i - mean(r)) / (std(r) + 1e-6), given to each of its tokens; the
//! PPO surrogate (Schulman et al. 2017, eq. 7) per token,
//! min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A) with rho =
//! pi(o_t) / pi_old(o_t), averaged over all tokens of the batch (DAPO's
//! token-level mean, Yu et al. 2025, which also sets eps_high above
//! eps_low: "clip-higher"); and an optional KL penalty to the initial policy
//! by the k3 estimator exp(q) - q - 1, q = log pi_ref - log pi (Schulman 2020).

use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};

use crate::policy::StateLogits;
use crate::task::Dims;

/// Added to a group's standard deviation: a group of equal rewards has A = 0.
const STD_EPSILON: f64 = 1e-6;

/// Advantages [S, P x G x L] of every token from rewards [S, P, G].
pub fn token_advantages(rewards: Tensor<3>, dims: Dims) -> Tensor<2> {
    let [s, p, g, l] = dims.batch_shape();
    let mean = rewards.clone().mean_dim(2);
    let centred = rewards - mean;
    let std = (centred.clone().powi_scalar(2).sum_dim(2) / (g.max(2) - 1) as f64).sqrt();
    let advantages = centred / (std + STD_EPSILON);
    advantages
        .unsqueeze_dim::<4>(3)
        .expand([s, p, g, l])
        .reshape([s, dims.tokens()])
}

/// log pi of each sampled token [S, M].
pub fn token_log_probs(logits: &StateLogits) -> Tensor<2> {
    logits.at_tokens(log_softmax(logits.rows.clone(), 2))
}

/// The entropy [S, R] of every row of logits [S, R, V], in nats.
pub fn row_entropy(logits: Tensor<3>) -> Tensor<2> {
    let [s, m, _] = logits.dims();
    let p = softmax(logits.clone(), 2);
    -(p * log_softmax(logits, 2)).sum_dim(2).reshape([s, m])
}

/// The clipped surrogate per token, min(rho A, clip(rho, low, high) A),
/// with seed s's bounds `low[s]`, `high[s]` ([S, 1]).
pub fn clipped_surrogate(
    ratio: Tensor<2>,
    advantages: Tensor<2>,
    low: Tensor<2>,
    high: Tensor<2>,
) -> Tensor<2> {
    let shape = ratio.dims();
    let clipped = ratio
        .clone()
        .max_pair(low.expand(shape))
        .min_pair(high.expand(shape));
    (ratio * advantages.clone()).min_pair(clipped * advantages)
}

/// Which tokens the clip stops (their gradient is zero): a positive
/// advantage with rho above the upper bound, a negative one with rho below
/// the lower bound. Returns the two masks as 0/1 floats [S, M].
pub fn clipped_tokens(
    ratio: Tensor<2>,
    advantages: Tensor<2>,
    low: Tensor<2>,
    high: Tensor<2>,
) -> (Tensor<2>, Tensor<2>) {
    let shape = ratio.dims();
    let positive = advantages
        .clone()
        .greater_elem(0.0)
        .bool_and(ratio.clone().greater(high.expand(shape)));
    let negative = advantages
        .lower_elem(0.0)
        .bool_and(ratio.lower(low.expand(shape)));
    (positive.float(), negative.float())
}

/// The k3 estimate of KL(pi || pi_ref) per token: exp(q) - q - 1, q = log pi_ref - log pi.
pub fn kl_k3(log_probs: Tensor<2>, reference: Tensor<2>) -> Tensor<2> {
    let q = reference - log_probs;
    q.clone().exp() - q - 1.0
}
