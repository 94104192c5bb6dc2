//! The denoiser: an MLP over (x_t, sinusoidal embedding of t), as in the 2-D
//! toys of the diffusion literature, trained with Adam (Kingma & Ba 2015)
//! through burn on whichever device the lab runs on (WebGPU or the CPU).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::silu;
use burn::tensor::{Tensor, TensorData};
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;

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

/// Rows of [x_t, embedding(t)] for a batch; `x` holds `dims` values per row.
pub fn network_inputs(x: &[f64], times: &[f64], dims: usize) -> Vec<f32> {
    let mut rows = Vec::with_capacity(times.len() * (dims + TIME_FEATURES));
    for (point, t) in x.chunks(dims).zip(times) {
        rows.extend(point.iter().map(|v| *v as f32));
        rows.extend(time_embedding(*t));
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
    pub fn new(
        dims: usize,
        width: usize,
        depth: usize,
        (rng, stream): (CounterRng, u32),
        device: &TensorDevice,
    ) -> Self {
        let mut sizes = vec![dims + TIME_FEATURES];
        sizes.extend(std::iter::repeat_n(width, depth));
        sizes.push(dims);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(layer, pair)| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let uniform = |i: usize, offset: u32| {
                    bound * (2.0 * rng.uniform(i as u32, layer as u32, stream + offset) - 1.0)
                };
                let weight: Vec<f32> = (0..fan_in * fan_out).map(|i| uniform(i, 0)).collect();
                let bias: Vec<f32> = (0..fan_out).map(|i| uniform(i, 1)).collect();
                Linear {
                    weight: Param::from_tensor(Tensor::from_data(
                        TensorData::new(weight, [fan_in, fan_out]),
                        device,
                    )),
                    bias: Some(Param::from_tensor(Tensor::from_data(
                        TensorData::new(bias, [fan_out]),
                        device,
                    ))),
                }
            })
            .collect();
        Self { layers }
    }

    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(input, |x, (i, layer)| {
            let y = layer.forward(x);
            if i < last { silu(y) } else { y }
        })
    }
}

async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, RunError> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| RunError::Failed(format!("GPU readback failed: {e:?}")))?
        .try_to_vec::<f32>()
        .map_err(|e| RunError::Failed(format!("unexpected tensor type: {e:?}")))
}

/// A network and its Adam state on one device.
pub struct Trainer {
    model: Mlp,
    optimizer: ModuleOptimizer,
    device: TensorDevice,
    dims: usize,
}

impl Trainer {
    pub fn new(
        dims: usize,
        width: usize,
        depth: usize,
        init: (CounterRng, u32),
        device: &TensorDevice,
    ) -> Self {
        let device = device.clone().autodiff();
        Self {
            model: Mlp::new(dims, width, depth, init, &device),
            optimizer: AdamConfig::new().init(),
            device,
            dims,
        }
    }

    pub fn parameter_count(&self) -> usize {
        self.model.num_params()
    }

    fn tensor(&self, values: Vec<f32>, columns: usize, device: &TensorDevice) -> Tensor<2> {
        let rows = values.len() / columns;
        Tensor::from_data(TensorData::new(values, [rows, columns]), device)
    }

    /// One Adam step on the mean squared error between the network at
    /// (x_t, t) and `targets`; returns the loss before the step.
    pub async fn step(
        &mut self,
        x: &[f64],
        times: &[f64],
        targets: &[f64],
        learning_rate: f64,
    ) -> Result<f64, RunError> {
        let inputs = self.tensor(
            network_inputs(x, times, self.dims),
            self.dims + TIME_FEATURES,
            &self.device,
        );
        let targets = self.tensor(
            targets.iter().map(|v| *v as f32).collect(),
            self.dims,
            &self.device,
        );
        let loss = (self.model.forward(inputs) - targets).powi_scalar(2).mean();
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optimizer
            .step(learning_rate, self.model.clone(), grads);
        let value = read_f32(loss).await?;
        Ok(value.first().map_or(f64::NAN, |v| f64::from(*v)))
    }

    /// The trained network without its autodiff graph, for sampling.
    pub fn network(&self) -> Network {
        let model = self.model.valid();
        Network {
            model,
            device: self.device.clone().inner(),
            dims: self.dims,
        }
    }
}

/// A network frozen for inference.
pub struct Network {
    model: Mlp,
    device: TensorDevice,
    dims: usize,
}

impl Network {
    /// The raw output (noise or velocity) at every row of `x`, all at time `t`.
    pub async fn predict(&self, x: &[f64], t: f64) -> Result<Vec<f64>, RunError> {
        let rows = x.len() / self.dims;
        let inputs = network_inputs(x, &vec![t; rows], self.dims);
        let columns = self.dims + TIME_FEATURES;
        let inputs = Tensor::from_data(TensorData::new(inputs, [rows, columns]), &self.device);
        let out = read_f32(self.model.forward(inputs)).await?;
        Ok(out.into_iter().map(f64::from).collect())
    }
}
