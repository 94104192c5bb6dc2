//! Backprop (Rumelhart, Hinton & Williams 1986, "Learning representations
//! by back-propagating errors"): the same MLP with a softmax head, one
//! cross-entropy at the top, its gradient carried down through every layer.
//! The baseline the local rules are measured against.

use burn::tensor::Tensor;

use crate::net::{Net, cross_entropy};

/// Class scores of the head on the last layer.
pub fn scores(net: &Net, images: Tensor<2>) -> Tensor<2> {
    let last = net
        .layers(images, |x, _| x)
        .pop()
        .expect("a network has a layer");
    net.heads[0].forward(last)
}

pub fn loss(net: &Net, images: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    cross_entropy(scores(net, images), targets)
}
