//! The denoiser: an MLP over (x_t, sinusoidal embedding of t, one-hot class),
//! as in the 2-D toys of the diffusion literature, trained with Adam (Kingma &
//! Ba 2015) through burn on whichever device the lab runs on (WebGPU or the
//! CPU). A class-conditional network reads an all-zero one-hot as "no class",
//! the null label of classifier-free guidance (Ho & Salimans 2022).

use std::collections::BTreeMap;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::silu;
use burn::tensor::{Tensor, TensorData};
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;
use thermolab_gpu::checkpoint::{self, Checkpoint, linear_tensors};
use thermolab_gpu::tensors::{read_f32, seeded_linear};

/// Sine and cosine features of the time, half each.
pub const TIME_FEATURES: usize = 32;

/// The Transformer's sinusoidal position features of 1000 t, as DDPM embeds
/// its step (t in [0, 1], so 1000 t spans DDPM's T = 1000).
pub fn time_embedding(t: f64) -> [f32; TIME_FEATURES] {
    let half = TIME_FEATURES / 2;
    let mut features = [0.0; TIME_FEATURES];
    for i in 0..half {
        let frequency = (-(10_000f64.ln()) * i as f64 / half as f64).exp();
        let angle = 1000.0 * t * frequency;
        features[i] = angle.sin() as f32;
        features[half + i] = angle.cos() as f32;
    }
    features
}

/// What a network is: its input and output sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Coordinates of x (2 for the plane, 196 for a 14x14 digit).
    pub dims: usize,
    /// Classes it can be told (0: unconditional).
    pub classes: usize,
    pub width: usize,
    pub depth: usize,
}

impl Shape {
    fn input_columns(&self) -> usize {
        self.dims + TIME_FEATURES + self.classes
    }

    /// Floating-point operations of one forward pass of one example: a
    /// multiply and an add per weight.
    pub fn flops_per_example(&self) -> f64 {
        self.layer_sizes()
            .windows(2)
            .map(|pair| 2.0 * (pair[0] * pair[1]) as f64)
            .sum()
    }

    /// Inputs, `depth` hidden widths, outputs: layer `i` maps size `i` to `i + 1`.
    fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.input_columns()];
        sizes.extend(std::iter::repeat_n(self.width, self.depth));
        sizes.push(self.dims);
        sizes
    }
}

/// Rows of [x_t, embedding(t), one-hot class] for a batch; `x` holds `dims`
/// values per row, `labels` one entry per row (or none for an unconditional
/// network; `None` is the null class).
pub fn network_inputs(
    x: &[f64],
    times: &[f64],
    labels: &[Option<usize>],
    shape: Shape,
) -> Vec<f32> {
    let mut rows = Vec::with_capacity(times.len() * shape.input_columns());
    for (row, (point, t)) in x.chunks(shape.dims).zip(times).enumerate() {
        rows.extend(point.iter().map(|v| *v as f32));
        rows.extend(time_embedding(*t));
        let label = labels.get(row).copied().flatten();
        rows.extend((0..shape.classes).map(|c| if label == Some(c) { 1.0 } else { 0.0 }));
    }
    rows
}

#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// `depth` hidden layers of `width` with SiLU between; weights and biases
    /// uniform in +-1/sqrt(fan_in) (PyTorch's default) from the counter RNG,
    /// streams `stream` and `stream + 1`, so every backend starts from the same network.
    pub fn new(shape: Shape, (rng, stream): (CounterRng, u32), device: &TensorDevice) -> Self {
        let layers = shape
            .layer_sizes()
            .windows(2)
            .enumerate()
            .map(|(layer, pair)| {
                seeded_linear(
                    (pair[0], pair[1]),
                    true,
                    (rng, layer as u32, stream),
                    device,
                )
            })
            .collect();
        Self { layers }
    }

    /// decay * self + (1 - decay) * current, weight by weight: one update of
    /// an exponential moving average.
    fn averaged_with(&self, current: &Mlp, decay: f64) -> Mlp {
        fn blend<const D: usize>(
            average: &Param<Tensor<D>>,
            now: &Param<Tensor<D>>,
            decay: f64,
        ) -> Param<Tensor<D>> {
            Param::from_tensor(average.val() * decay + now.val() * (1.0 - decay))
        }
        let layers = self
            .layers
            .iter()
            .zip(&current.layers)
            .map(|(average, now)| Linear {
                weight: blend(&average.weight, &now.weight, decay),
                bias: average
                    .bias
                    .as_ref()
                    .zip(now.bias.as_ref())
                    .map(|(a, b)| blend(a, b, decay)),
            })
            .collect();
        Mlp { layers }
    }

    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(input, |x, (i, layer)| {
            let y = layer.forward(x);
            if i < last { silu(y) } else { y }
        })
    }
}

/// A network and its Adam state on one device, with an exponential moving
/// average of its weights where asked for ("Improved Techniques for Training
/// Score-Based Generative Models", Song & Ermon 2020, section 3.5; DDPM's
/// code samples its EMA too).
pub struct Trainer {
    model: Mlp,
    optimizer: ModuleOptimizer,
    device: TensorDevice,
    shape: Shape,
    ema: Option<Ema>,
}

/// The averaged weights (inference only) and how many updates they have seen.
struct Ema {
    decay: f64,
    updates: u64,
    average: Mlp,
}

impl Ema {
    /// Blends `current` in with the decay of update n: min(decay, (1 + n) / (10 + n)),
    /// so that the first steps' random weights are soon forgotten (as
    /// TensorFlow's ExponentialMovingAverage with num_updates).
    fn update(&mut self, current: &Mlp) {
        let n = self.updates as f64;
        let decay = self.decay.min((1.0 + n) / (10.0 + n));
        self.average = self.average.averaged_with(current, decay);
        self.updates += 1;
    }
}

impl Trainer {
    pub fn new(shape: Shape, init: (CounterRng, u32), device: &TensorDevice) -> Self {
        let device = device.clone().autodiff();
        Self {
            model: Mlp::new(shape, init, &device),
            optimizer: AdamConfig::new().init(),
            device,
            shape,
            ema: None,
        }
    }

    /// Samples read an exponential moving average of the weights with
    /// `decay` (0: the weights themselves), starting from the weights now.
    pub fn with_ema(mut self, decay: f64) -> Self {
        self.ema = (decay > 0.0).then(|| Ema {
            decay,
            updates: 0,
            average: self.model.valid(),
        });
        self
    }

    /// A network of `shape` with the weights of a checkpoint written by
    /// [`Trainer::checkpoint`], and a fresh Adam state (its metadata:
    /// [`checkpoint::metadata`]).
    pub fn from_checkpoint(
        bytes: &[u8],
        shape: Shape,
        device: &TensorDevice,
    ) -> Result<Self, String> {
        let checkpoint = Checkpoint::parse(bytes)?;
        let device = device.clone().autodiff();
        let layers = shape
            .layer_sizes()
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                checkpoint.linear(&format!("layers.{i}"), (pair[0], pair[1]), true, &device)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            model: Mlp { layers },
            optimizer: AdamConfig::new().init(),
            device,
            shape,
            ema: None,
        })
    }

    /// The weights samples are drawn with (the average, where there is one)
    /// as safetensors (f32, little-endian), with `metadata`.
    pub async fn checkpoint(
        &self,
        metadata: BTreeMap<String, String>,
    ) -> Result<Vec<u8>, RunError> {
        let mut tensors = Vec::new();
        for (i, layer) in self.network().model.layers.iter().enumerate() {
            tensors.extend(linear_tensors(&format!("layers.{i}"), layer).await?);
        }
        checkpoint::write(&tensors, metadata)
    }

    pub fn parameter_count(&self) -> usize {
        self.model.num_params()
    }

    fn tensor(&self, values: Vec<f32>, columns: usize, device: &TensorDevice) -> Tensor<2> {
        let rows = values.len() / columns;
        Tensor::from_data(TensorData::new(values, [rows, columns]), device)
    }

    /// One Adam step on the mean squared error between the network at
    /// (x_t, t, label) and `targets`; returns the loss before the step.
    pub async fn step(
        &mut self,
        x: &[f64],
        times: &[f64],
        labels: &[Option<usize>],
        targets: &[f64],
        learning_rate: f64,
    ) -> Result<f64, RunError> {
        let inputs = self.tensor(
            network_inputs(x, times, labels, self.shape),
            self.shape.input_columns(),
            &self.device,
        );
        let targets = self.tensor(
            targets.iter().map(|v| *v as f32).collect(),
            self.shape.dims,
            &self.device,
        );
        let loss = (self.model.forward(inputs) - targets).powi_scalar(2).mean();
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optimizer
            .step(learning_rate, self.model.clone(), grads);
        if let Some(ema) = &mut self.ema {
            ema.update(&self.model.valid());
        }
        let value = read_f32(loss).await?;
        Ok(value.first().map_or(f64::NAN, |v| f64::from(*v)))
    }

    /// The trained network without its autodiff graph, for sampling: the
    /// moving average of its weights where there is one.
    pub fn network(&self) -> Network {
        let model = match &self.ema {
            Some(ema) => ema.average.clone(),
            None => self.model.valid(),
        };
        Network {
            model,
            device: self.device.clone().inner(),
            shape: self.shape,
        }
    }
}

/// A network frozen for inference.
pub struct Network {
    model: Mlp,
    device: TensorDevice,
    shape: Shape,
}

impl Network {
    /// The raw output (noise or velocity) at every row of `x`, all at time
    /// `t`, each row told its label (see [`network_inputs`]).
    pub async fn predict(
        &self,
        x: &[f64],
        t: f64,
        labels: &[Option<usize>],
    ) -> Result<Vec<f64>, RunError> {
        let rows = x.len() / self.shape.dims;
        let inputs = network_inputs(x, &vec![t; rows], labels, self.shape);
        let columns = self.shape.input_columns();
        let inputs = Tensor::from_data(TensorData::new(inputs, [rows, columns]), &self.device);
        let out = read_f32(self.model.forward(inputs)).await?;
        Ok(out.into_iter().map(f64::from).collect())
    }
}
