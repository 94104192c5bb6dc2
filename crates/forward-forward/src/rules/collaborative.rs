//! Collaborative forward-forward: Lorberbom, Gat, Adi, Schwing & Hazan
//! 2024, "Layer Collaboration in the Forward-Forward Algorithm" (AAAI),
//! section 4: layer l's probability uses the whole network's goodness,
//! p_l = sigmoid((G_l + gamma_l - theta') / T) with
//! gamma_l = sum_{k != l} stopgrad(G_k), so each layer still updates only
//! its own weights but toward what the network as a whole decides. Here
//! theta' = depth x theta, the threshold a sum of `depth` goodnesses needs.
//! Prediction sums the goodness of every layer.

use burn::tensor::Tensor;

use super::Settings;
use super::forward_forward::{layer_goodness, layer_loss};
use crate::net::Net;

/// gamma_l + G_l for each layer: the others' goodness, detached, plus its own.
pub fn collaborative_goodness(goodness: Vec<Tensor<1>>) -> Vec<Tensor<1>> {
    let total = goodness
        .iter()
        .map(|g| g.clone().detach())
        .reduce(|a, b| a + b)
        .expect("a network has a layer");
    goodness
        .into_iter()
        .map(|g| total.clone() - g.clone().detach() + g)
        .collect()
}

pub fn loss(net: &Net, positive: Tensor<2>, negative: Tensor<2>, settings: &Settings) -> Tensor<1> {
    let theta = settings.theta * net.hidden.len() as f64;
    let g_positive = collaborative_goodness(layer_goodness(net, positive, settings));
    let g_negative = collaborative_goodness(layer_goodness(net, negative, settings));
    g_positive
        .into_iter()
        .zip(g_negative)
        .map(|(p, n)| layer_loss(p, n, theta, settings.temperature))
        .reduce(|a, b| a + b)
        .expect("a network has a layer")
}
