//! The Linear MDP lab: learners on small MDPs whose model is known, so
//! optimal values, regret and each policy's value are exact; many seeds
//! at once, up to four learners side by side on the same random numbers.
//!
//! - [`params`]: the lab's parameters, declared once.
//! - [`lab`]: the [`LinearMdpLab`]: its runs, curves and views.
//! - [`mdp`]: the model and exact planning; [`env`]: the environments.
//! - [`features`]: the feature maps and their realizability error.
//! - [`episode`]: one seed's episode under a policy.
//! - [`algorithms`]: one file per learner, naming its paper.
//! - [`gpu`]: the kernel of the LSVI learners, a workgroup per seed.
//! - [`bench`]: LSVI-UCB's episodes per second, for the bench page, and
//!   [`tensor_plan`]: its planning pass in burn tensors, measured there.

pub mod algorithms;
pub mod bench;
pub mod env;
pub mod episode;
pub mod features;
pub mod gpu;
pub mod lab;
pub mod mdp;
pub mod params;
pub mod presets;
pub mod tensor_plan;

pub use lab::LinearMdpLab;
pub use params::LinearMdpParams;
