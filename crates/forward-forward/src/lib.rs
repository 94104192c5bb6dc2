//! The Forward-forward lab: local learning rules (forward-forward,
//! collaborative forward-forward, Mono-Forward) beside backprop, training
//! the same MLP on the shipped MNIST digits through burn, on WebGPU or the CPU.
//!
//! - [`params`]: the lab's parameters, declared once.
//! - [`data`]: the split, the batches, labels written into images, negative data.
//! - [`net`]: the network and the pieces the rules share (normalization, goodness).
//! - [`rules`]: one file per rule, naming its paper, and the learner that trains one.
//! - [`lab`]: the [`FfLab`]: its runs, curves and views.
//! - [`bench`]: each rule's training examples per second, for the bench page.

pub mod bench;
pub mod data;
pub mod lab;
pub mod net;
pub mod params;
pub mod presets;
pub mod rules;

pub use lab::FfLab;
pub use params::FfParams;
