//! The *Compute on* choice labs with GPU kernels offer, and the device it picks.

use thermolab_gpu::{Compute, Gpu};

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
