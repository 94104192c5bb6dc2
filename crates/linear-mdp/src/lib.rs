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
//! - [`gpu`]: the kernel of the LSVI learners, one invocation per seed.

pub mod algorithms;
pub mod env;
pub mod episode;
pub mod features;
pub mod gpu;
pub mod lab;
pub mod mdp;
pub mod params;

pub use lab::LinearMdpLab;
pub use params::LinearMdpParams;
