//! Trained weights as safetensors files (f32, little-endian, with the
//! settings they were trained with as metadata), shared by the labs that
//! ship a trained model: writing named tensors, reading one back checked
//! against the shape a network needs, and burn linear layers either way.

use std::collections::BTreeMap;

use burn::nn::Linear;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use thermolab_core::experiment::RunError;

use crate::TensorDevice;
use crate::tensors::{linear_from, read_f32};

/// A tensor by name: its shape and values.
pub struct Named {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

fn unreadable(e: SafeTensorError) -> String {
    format!("unreadable checkpoint: {e}")
}

/// `tensors` and `metadata` as a safetensors file.
pub fn write(tensors: &[Named], metadata: BTreeMap<String, String>) -> Result<Vec<u8>, RunError> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, data)| {
            TensorView::new(Dtype::F32, t.shape.clone(), data).map(|view| (t.name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RunError::Failed(format!("cannot write the checkpoint: {e}")))?;
    safetensors::serialize(views, Some(metadata.into_iter().collect()))
        .map_err(|e| RunError::Failed(format!("cannot write the checkpoint: {e}")))
}

/// The metadata a checkpoint was written with (the settings it was trained with).
pub fn metadata(bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(unreadable)?;
    Ok(header
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

/// The steps a checkpoint was trained for (its `trained_steps`) if its
/// metadata holds every setting of `identity` (what its networks depend on);
/// otherwise which settings differ, in words. Read before any tensor: a
/// checkpoint of another model says which setting to change.
pub fn fitting(bytes: &[u8], identity: &BTreeMap<String, String>) -> Result<u64, String> {
    let metadata = metadata(bytes)?;
    let mismatch: Vec<String> = identity
        .iter()
        .filter(|(key, value)| metadata.get(*key) != Some(*value))
        .map(|(key, value)| {
            let trained = metadata.get(key).map_or("?", String::as_str);
            format!("{key} = {value} (checkpoint: {trained})")
        })
        .collect();
    if !mismatch.is_empty() {
        return Err(format!(
            "the checkpoint does not fit {}",
            mismatch.join(", ")
        ));
    }
    Ok(metadata
        .get("trained_steps")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// A checkpoint's tensors, read by name.
pub struct Checkpoint<'a>(SafeTensors<'a>);

impl<'a> Checkpoint<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        SafeTensors::deserialize(bytes)
            .map(Self)
            .map_err(unreadable)
    }

    /// Tensor `name`, refused unless it is f32 of shape `expected` and finite
    /// (a diverged model saved as is would only report its divergence later).
    pub fn read(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>, String> {
        let view = self
            .0
            .tensor(name)
            .map_err(|_| format!("the checkpoint has no tensor {name}"))?;
        if view.dtype() != Dtype::F32 || view.shape() != expected {
            return Err(format!(
                "the checkpoint's {name} is {:?} {:?}, this network needs F32 {expected:?}",
                view.dtype(),
                view.shape()
            ));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!(
                "the checkpoint's {name} holds {bad}: a diverged model is not loaded"
            ));
        }
        Ok(values)
    }

    /// The linear layer `prefix` (`prefix.weight`, `fan_in` x `fan_out`, and
    /// `prefix.bias` where it has one).
    pub fn linear(
        &self,
        prefix: &str,
        (fan_in, fan_out): (usize, usize),
        bias: bool,
        device: &TensorDevice,
    ) -> Result<Linear, String> {
        let weight = self.read(&format!("{prefix}.weight"), &[fan_in, fan_out])?;
        let bias = if bias {
            Some(self.read(&format!("{prefix}.bias"), &[fan_out])?)
        } else {
            None
        };
        Ok(linear_from(weight, bias, fan_in, fan_out, device))
    }
}

/// A linear layer's tensors as `prefix.weight` and `prefix.bias`.
pub async fn linear_tensors(prefix: &str, layer: &Linear) -> Result<Vec<Named>, RunError> {
    let weight = layer.weight.val();
    let mut named = vec![Named {
        name: format!("{prefix}.weight"),
        shape: weight.dims().to_vec(),
        values: read_f32(weight).await?,
    }];
    if let Some(bias) = &layer.bias {
        let bias = bias.val();
        named.push(Named {
            name: format!("{prefix}.bias"),
            shape: bias.dims().to_vec(),
            values: read_f32(bias).await?,
        });
    }
    Ok(named)
}
