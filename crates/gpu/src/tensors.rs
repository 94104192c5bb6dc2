//! burn helpers the neural labs share: layers initialised from the counter
//! RNG (so every backend starts from the same network) and tensors read
//! back to the host.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;

use crate::TensorDevice;

/// A `fan_in` x `fan_out` linear layer with weights (and biases) uniform in
/// +-1/sqrt(fan_in) (PyTorch's default): weight i is uniform draw
/// (i, `layer`, `stream`), bias i draw (i, `layer`, `stream + 1`).
pub fn seeded_linear(
    (fan_in, fan_out): (usize, usize),
    bias: bool,
    (rng, layer, stream): (CounterRng, u32, u32),
    device: &TensorDevice,
) -> Linear {
    let bound = 1.0 / (fan_in as f32).sqrt();
    let uniform =
        |i: usize, offset: u32| bound * (2.0 * rng.uniform(i as u32, layer, stream + offset) - 1.0);
    let weight: Vec<f32> = (0..fan_in * fan_out).map(|i| uniform(i, 0)).collect();
    let bias = bias.then(|| (0..fan_out).map(|i| uniform(i, 1)).collect());
    linear_from(weight, bias, fan_in, fan_out, device)
}

/// A linear layer with these weights (`fan_in` x `fan_out`, row-major) and biases.
pub fn linear_from(
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
    fan_in: usize,
    fan_out: usize,
    device: &TensorDevice,
) -> Linear {
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(weight, [fan_in, fan_out]),
            device,
        )),
        bias: bias.map(|bias| {
            Param::from_tensor(Tensor::from_data(TensorData::new(bias, [fan_out]), device))
        }),
    }
}

/// A tensor's values on the host (waits for the device).
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, RunError> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| RunError::Failed(format!("GPU readback failed: {e:?}")))?
        .try_to_vec::<f32>()
        .map_err(|e| RunError::Failed(format!("unexpected tensor type: {e:?}")))
}
