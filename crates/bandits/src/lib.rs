//! The Bandits lab: stochastic, adversarial and linear contextual bandit
//! algorithms over many independent runs at once, on WebGPU kernels that
//! replay the CPU reference path.
//!
//! - [`params`]: the lab's parameters, declared once.
//! - [`lab`]: the [`BanditsLab`]: its runs, curves and views.
//! - [`algorithms`]: one file per algorithm, with its WGSL twin beside it.
//! - [`env`]: the environments; [`draws`]: the random numbers of a round.
//! - [`cpu`] and [`gpu`]: the two paths; [`stats`]: what a round reports.
//! - [`policy`]: what algorithms share (the linear algorithms regress with `thermolab_core::ridge`).
//! - [`bench`]: arm pulls per second, offered to the bench page.

pub mod algorithms;
pub mod bench;
pub mod cpu;
pub mod draws;
pub mod env;
pub mod gpu;
pub mod lab;
pub mod params;
pub mod policy;
pub mod presets;
pub mod stats;

pub use lab::BanditsLab;
pub use params::BanditsParams;
