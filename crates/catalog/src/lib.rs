//! The registry: every lab this build knows, in gallery order, one line per
//! lab. The worker, the CLI and the docs find labs here; adding a lab is a
//! line here and a dependency in Cargo.toml (docs/architecture.md).

use thermolab_core::experiment::LabInfo;
use thermolab_kit::{LabEntry, Registry};

pub const REGISTRY: Registry = Registry(&[
    LabEntry::of::<thermolab_bandits::BanditsLab>,
    LabEntry::of::<thermolab_diffusion::DiffusionLab>,
    LabEntry::of::<thermolab_diffusion::DigitsLab>,
    LabEntry::of::<thermolab_linear_mdp::LinearMdpLab>,
    LabEntry::of::<thermolab_forward_forward::FfLab>,
    LabEntry::of::<thermolab_policy_entropy::PolicyEntropyLab>,
    LabEntry::of::<thermolab_device::DeviceLab>,
]);

/// Every lab, in gallery order.
pub fn labs() -> Vec<LabInfo> {
    REGISTRY.labs()
}

pub fn lab(id: &str) -> Option<LabInfo> {
    REGISTRY.lab(id)
}
