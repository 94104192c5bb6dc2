//! A fixed entropy bonus (Williams & Peng 1991; Mnih et al. 2016, A3C, eq.
//! 7 of its supplement): the loss gains -c H(pi), H the mean entropy of the
//! policy over the batch's tokens, c fixed. It slows the collapse but holds
//! no particular entropy: too small and the entropy still falls, too large
//! and it climbs to log V ("Reasoning with Exploration: An Entropy
//! Perspective" and "Rethinking Entropy Regularization in Large Reasoning
//! Models" show both failure modes).

use burn::tensor::Tensor;

/// The bonus term of the loss, -c_s H_s, per seed [S, 1], from the mean
/// entropy per seed [S, 1] and the coefficients c [S, 1].
pub fn loss(mean_entropy: Tensor<2>, coefficients: Tensor<2>) -> Tensor<2> {
    -(mean_entropy * coefficients)
}
