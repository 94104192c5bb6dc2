//! The *Compute on* choice labs with GPU kernels offer, and the device it picks.

use thermolab_gpu::{Compute, Gpu, TensorDevice};

use crate::choices;

choices! {
    /// Where a lab's runs are computed.
    pub enum ComputePath {
        Auto = ("auto", "WebGPU when it can"),
        Cpu = ("cpu", "CPU reference"),
    }
}

/// The GPU `path` allows, or why the CPU path runs instead.
pub fn chosen_gpu(compute: &Compute, path: ComputePath) -> Result<&Gpu, String> {
    match (&compute.gpu, path) {
        (_, ComputePath::Cpu) => Err("the CPU reference was chosen".to_string()),
        (None, ComputePath::Auto) => Err(compute
            .info
            .fallback_reason
            .clone()
            .unwrap_or_else(|| "no GPU".to_string())),
        (Some(gpu), ComputePath::Auto) => Ok(gpu),
    }
}

/// burn's device for a lab that runs through burn: the GPU's when `path`
/// allows one, burn's CPU backend otherwise; and where it runs, in words.
pub fn chosen_tensor_device(compute: &Compute, path: ComputePath) -> (TensorDevice, String) {
    match chosen_gpu(compute, path) {
        Ok(_) => (
            compute.tensor_device.clone(),
            format!("burn on WebGPU ({})", compute.info.name),
        ),
        Err(reason) => (
            TensorDevice::flex(),
            format!("burn's CPU backend: {reason}"),
        ),
    }
}
