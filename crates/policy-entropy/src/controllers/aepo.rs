//! AEPO ("Arbitrary Entropy Policy Optimization: Entropy Is Controllable in
//! Reinforcement Fine-tuning", eqs. 6-8): the GRPO gradient plus
//! alpha E_{o ~ pi^T}[grad log pi(o) R(o)], a REINFORCE term on extra
//! answers sampled at temperature T, where T = T_high while the entropy is
//! below the target and T_low above it. Rewarded answers from a hotter law
//! pull probability toward unlikely tokens (entropy rises); from a colder
//! law, toward likely ones (it falls): the entropy settles at the target.

use burn::tensor::Tensor;

/// The temperature of the next step's extra answers.
pub fn temperature(entropy: f64, target: f64, (low, high): (f64, f64)) -> f64 {
    if entropy < target { high } else { low }
}

/// The REINFORCE term per seed [S, 1]: -alpha mean_t(log pi(o_t) R(o)),
/// from the extra answers' token log-probabilities [S, M] and the
/// rewards of their answers spread over their tokens [S, M].
pub fn loss(log_probs: Tensor<2>, token_rewards: Tensor<2>, alpha: f64) -> Tensor<2> {
    (log_probs * token_rewards).mean_dim(1) * -alpha
}
