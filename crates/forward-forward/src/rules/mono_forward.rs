//! Mono-Forward: Gong, Li & Abdulla 2025, "Mono-Forward:
//! Backpropagation-Free Algorithm for Efficient Neural Network Training
//! Harnessing Local Errors", section 3: each layer i has a projection M_i
//! to class scores G_i = a_i M_i^T and learns from its own softmax
//! cross-entropy on them; no negative data, no gradient between layers.
//! Prediction reads the last layer's scores.

use burn::tensor::Tensor;

use crate::net::{Net, cross_entropy};

/// Each layer's class scores; the layers' inputs detached.
pub fn layer_scores(net: &Net, images: Tensor<2>) -> Vec<Tensor<2>> {
    net.layers(images, |x, _| x.detach())
        .into_iter()
        .zip(&net.heads)
        .map(|(a, projection)| projection.forward(a))
        .collect()
}

/// The sum over layers of each layer's cross-entropy.
pub fn loss(net: &Net, images: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    layer_scores(net, images)
        .into_iter()
        .map(|scores| cross_entropy(scores, targets.clone()))
        .reduce(|a, b| a + b)
        .expect("a network has a layer")
}
