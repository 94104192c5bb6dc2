//! The entropy coefficient by dual ascent (Haarnoja et al. 2018, "Soft
//! Actor-Critic Algorithms and Applications", eq. 18, for a discrete
//! policy): maximize the reward subject to H(pi) >= H_target; the
//! Lagrange multiplier c >= 0 is the bonus's coefficient and follows
//! c <- max(0, c + lr (H_target - H)). "Rediscovering Entropy
//! Regularization: Adaptive Coefficient Unlocks Its Potential for LLM
//! Reinforcement Learning" applies it to RL fine-tuning.

/// The next coefficient.
pub fn update(coefficient: f64, entropy: f64, target: f64, lr: f64) -> f64 {
    (coefficient + lr * (target - entropy)).max(0.0)
}
