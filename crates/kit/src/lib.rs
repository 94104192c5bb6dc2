//! The lab kit: what every lab is made of.
//!
//! - [`params`]: typed parameters declared once ([`params!`], [`choices!`]).
//! - [`lab`]: the [`Lab`] and [`Benchmark`] traits, the [`Hosted`] lab with its
//!   params, and the [`Registry`] of a build's labs.
//! - [`session`]: the [`Session`] the worker and the CLI drive.
//! - [`wgsl`]: kernels' uniforms and constants from the same declarations.
//! - [`compute`]: the *Compute on* choice and the device it picks.
//! - [`start`]: the *Start from* choice of labs with a shipped checkpoint.
//!
//! docs/architecture.md has the recipe for a new lab.

pub mod compute;
pub mod lab;
pub mod params;
pub mod session;
pub mod start;
pub mod wgsl;

/// The core crate, for the macros' paths.
pub use thermolab_core as core;

pub use compute::{ComputePath, chosen_gpu, chosen_tensor_device};
pub use lab::{
    About, Benchmark, BenchmarkEntry, Hosted, Lab, LabContext, LabEntry, Registry, StillRecipe,
};
pub use params::{Choice, ParamSet};
pub use session::{Session, StepReport};
pub use start::Start;
