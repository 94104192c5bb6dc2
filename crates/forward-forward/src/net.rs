//! The network every rule trains: an MLP of `depth` ReLU layers of `width`
//! on the 196 pixels, the same initial hidden weights for every rule of a
//! seed, plus what a rule reads out of it (backprop's softmax head,
//! Mono-Forward's per-layer projections). And the pieces the rules share:
//! unit-length normalization, goodness, cross-entropy.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, relu};
use thermolab_core::digits::CLASSES;
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;
use thermolab_gpu::checkpoint::{Checkpoint, Named, linear_tensors};
use thermolab_gpu::tensors::seeded_linear;

use crate::params::Goodness;

/// Pixels of a 14 x 14 digit: the first layer's inputs.
pub const IMAGE_PIXELS: usize = 196;
/// Counter streams of the initial weights.
const HIDDEN_STREAM: u32 = 10;
const HEAD_STREAM: u32 = 20;
/// Added to a norm before dividing by it: an all-zero row stays zero.
const NORM_EPSILON: f64 = 1e-8;

#[derive(Module, Debug)]
pub struct Net {
    pub hidden: Vec<Linear>,
    /// Backprop: one softmax head on the last layer; Mono-Forward: one
    /// projection to class scores per layer; the goodness rules: none.
    pub heads: Vec<Linear>,
}

/// What a rule reads out of the layers besides them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heads {
    None,
    Softmax,
    PerLayer,
}

impl Net {
    /// Hidden layer l's weights are uniform draws (i, l, HIDDEN_STREAM) of
    /// the seed, the same for every rule.
    pub fn new(
        (width, depth): (usize, usize),
        heads: Heads,
        rng: CounterRng,
        device: &TensorDevice,
    ) -> Self {
        let hidden = (0..depth)
            .map(|l| {
                let fan_in = if l == 0 { IMAGE_PIXELS } else { width };
                seeded_linear(
                    (fan_in, width),
                    true,
                    (rng, l as u32, HIDDEN_STREAM),
                    device,
                )
            })
            .collect();
        let heads = match heads {
            Heads::None => Vec::new(),
            Heads::Softmax => vec![seeded_linear(
                (width, CLASSES),
                true,
                (rng, 0, HEAD_STREAM),
                device,
            )],
            Heads::PerLayer => (0..depth)
                .map(|l| {
                    seeded_linear(
                        (width, CLASSES),
                        false,
                        (rng, l as u32, HEAD_STREAM),
                        device,
                    )
                })
                .collect(),
        };
        Self { hidden, heads }
    }

    /// The net stored under `prefix` in a checkpoint (`prefix.hidden.l`,
    /// `prefix.heads.l`), refused unless its shapes are this width's and depth's.
    pub fn from_checkpoint(
        checkpoint: &Checkpoint,
        prefix: &str,
        (width, depth): (usize, usize),
        heads: Heads,
        device: &TensorDevice,
    ) -> Result<Self, String> {
        let hidden = (0..depth)
            .map(|l| {
                let fan_in = if l == 0 { IMAGE_PIXELS } else { width };
                checkpoint.linear(
                    &format!("{prefix}.hidden.{l}"),
                    (fan_in, width),
                    true,
                    device,
                )
            })
            .collect::<Result<Vec<_>, String>>()?;
        let head = |l: usize, bias: bool| {
            checkpoint.linear(
                &format!("{prefix}.heads.{l}"),
                (width, CLASSES),
                bias,
                device,
            )
        };
        let heads = match heads {
            Heads::None => Vec::new(),
            Heads::Softmax => vec![head(0, true)?],
            Heads::PerLayer => (0..depth)
                .map(|l| head(l, false))
                .collect::<Result<Vec<_>, String>>()?,
        };
        Ok(Self { hidden, heads })
    }

    /// Its tensors under `prefix`, as [`Net::from_checkpoint`] reads them.
    pub async fn tensors(&self, prefix: &str) -> Result<Vec<Named>, RunError> {
        let mut named = Vec::new();
        for (l, layer) in self.hidden.iter().enumerate() {
            named.extend(linear_tensors(&format!("{prefix}.hidden.{l}"), layer).await?);
        }
        for (l, layer) in self.heads.iter().enumerate() {
            named.extend(linear_tensors(&format!("{prefix}.heads.{l}"), layer).await?);
        }
        Ok(named)
    }

    /// Each layer's ReLU activities on `x`, each layer's input `prepare`d
    /// from the one before (normalized, detached, or as is).
    pub fn layers(
        &self,
        x: Tensor<2>,
        prepare: impl Fn(Tensor<2>, usize) -> Tensor<2>,
    ) -> Vec<Tensor<2>> {
        let mut activities = Vec::with_capacity(self.hidden.len());
        let mut input = x;
        for (l, layer) in self.hidden.iter().enumerate() {
            let y = relu(layer.forward(prepare(input, l)));
            input = y.clone();
            activities.push(y);
        }
        activities
    }
}

/// Each row divided by its length: only the direction goes on (Hinton
/// 2022, section 2.1), so a layer cannot pass its goodness along.
pub fn unit_length(x: Tensor<2>) -> Tensor<2> {
    let norm = x
        .clone()
        .square()
        .sum_dim(1)
        .sqrt()
        .add_scalar(NORM_EPSILON);
    x / norm
}

/// G of each row of activities `y` (Hinton 2022, section 2).
pub fn goodness(y: Tensor<2>, kind: Goodness) -> Tensor<1> {
    let rows = y.dims()[0];
    let squares = y.square();
    let g = match kind {
        Goodness::SumOfSquares => squares.sum_dim(1),
        Goodness::NegativeSumOfSquares => squares.sum_dim(1).neg(),
        Goodness::MeanOfSquares => squares.mean_dim(1),
    };
    g.reshape([rows])
}

/// Mean cross-entropy of `logits` against one-hot `targets`.
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (log_softmax(logits, 1) * targets).sum_dim(1).mean().neg()
}
