//! Clip-Cov (Cui et al. 2025, "The Entropy Mechanism of Reinforcement
//! Learning for Reasoning Language Models", eq. 10 and Algorithm 1): the
//! entropy falls in proportion to the covariance between a token's
//! log-probability and its advantage, Cov_i = (log pi_i - mean log pi)
//! (A_i - mean A) over the batch. Of the tokens whose covariance lies in
//! the band [omega_low, omega_high], a random r N (N the batch's tokens)
//! lose their gradient. The paper's r = 2e-4 suits batches of millions of
//! tokens; ours hold thousands, so r defaults to 0.02.

use burn::tensor::Tensor;

/// The centred covariance [S, M] of each token, per seed.
pub fn covariance(log_probs: Tensor<2>, advantages: Tensor<2>) -> Tensor<2> {
    let lp = log_probs.clone() - log_probs.mean_dim(1);
    let a = advantages.clone() - advantages.mean_dim(1);
    lp * a
}

/// 0/1 [S, M]: the tokens whose gradient is stopped. Each in-band token is
/// picked with probability min(1, r N / n_band), by `uniforms` [S, M].
pub fn mask(
    covariance: Tensor<2>,
    (low, high): (f64, f64),
    ratio: f64,
    uniforms: Tensor<2>,
) -> Tensor<2> {
    let [s, m] = covariance.dims();
    let in_band = covariance
        .clone()
        .greater_equal_elem(low)
        .bool_and(covariance.lower_equal_elem(high))
        .float();
    let count = in_band.clone().sum_dim(1).clamp_min(1.0);
    let chance = (count.recip() * (ratio * m as f64)).clamp_max(1.0);
    in_band * uniforms.lower(chance.expand([s, m])).float()
}
