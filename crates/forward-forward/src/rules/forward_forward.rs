//! Forward-forward: Hinton 2022, "The Forward-Forward Algorithm: Some
//! Preliminary Investigations". Each layer has its own objective: high
//! goodness G for positive data (the image with its label written in), low
//! for negative data (a wrong label, or a hybrid image), with
//! p(positive) = sigmoid((G - theta) / T) (section 2, with a temperature). A layer's input is the previous layer's activity at unit
//! length with the gradient stopped: no gradient crosses layers. Prediction:
//! the label whose image has the most goodness summed over the layers, the
//! first left out when there are several (section 3.3).

use std::ops::Range;

use burn::tensor::Tensor;
use burn::tensor::activation::softplus;

use super::Settings;
use crate::net::{Net, goodness, unit_length};

/// A layer's input: the activity below at unit length, its gradient stopped.
pub fn local_input(x: Tensor<2>, _layer: usize) -> Tensor<2> {
    unit_length(x.detach())
}

/// Each layer's goodness of each row of `x`.
pub fn layer_goodness(net: &Net, x: Tensor<2>, settings: &Settings) -> Vec<Tensor<1>> {
    net.layers(x, local_input)
        .into_iter()
        .map(|y| goodness(y, settings.goodness))
        .collect()
}

/// -log p(positive) on positive rows plus -log(1 - p(positive)) on negative
/// ones, p = sigmoid((G - theta) / T): softplus(-(G+ - theta) / T) +
/// softplus((G- - theta) / T), the batch's mean.
pub fn layer_loss(
    positive: Tensor<1>,
    negative: Tensor<1>,
    theta: f64,
    temperature: f64,
) -> Tensor<1> {
    let positive = softplus(
        positive.sub_scalar(theta).div_scalar(temperature).neg(),
        1.0,
    );
    let negative = softplus(negative.sub_scalar(theta).div_scalar(temperature), 1.0);
    (positive + negative).mean()
}

/// The sum over layers of each layer's own loss.
pub fn loss(net: &Net, positive: Tensor<2>, negative: Tensor<2>, settings: &Settings) -> Tensor<1> {
    let g_positive = layer_goodness(net, positive, settings);
    let g_negative = layer_goodness(net, negative, settings);
    g_positive
        .into_iter()
        .zip(g_negative)
        .map(|(p, n)| layer_loss(p, n, settings.theta, settings.temperature))
        .reduce(|a, b| a + b)
        .expect("a network has a layer")
}

/// The layers whose goodness a prediction sums: all but the first when
/// there are several (the first layer's goodness mostly says how much ink
/// an image has).
pub fn scoring_layers(depth: usize) -> Range<usize> {
    if depth > 1 { 1..depth } else { 0..1 }
}
