//! The Policy entropy lab: RL fine-tuning in miniature. A softmax policy
//! answers prompts with L tokens, a hidden rule rewards it 0 or 1, GRPO
//! trains it, and the entropy collapses unless a controller holds it. All
//! through burn, on WebGPU or burn's CPU backend, S seeds batched.
//!
//! - [`params`]: the lab's parameters, declared once.
//! - [`task`]: the prompts, their hidden rules and the rewards.
//! - [`policy`]: the policy (logits per prompt and position, or a tiny MLP) and its sampler.
//! - [`grpo`]: group advantages, the clipped surrogate, the KL penalty.
//! - [`controllers`]: one file per entropy controller, naming its paper.
//! - [`trainer`]: one controller's batched run and its step.
//! - [`analysis`]: pass@k, the reward-entropy fit, the first-order entropy change.
//! - [`decoding`]: temperature, top-p, min-p, Top-H and EM-INF on the trained law.
//! - [`lab`]: the [`PolicyEntropyLab`]: its runs, curves and views.
//! - [`bench`]: policy updates per second, for the bench page.

pub mod analysis;
pub mod bench;
pub mod controllers;
pub mod decoding;
pub mod grpo;
pub mod lab;
pub mod params;
pub mod policy;
pub mod presets;
pub mod task;
pub mod trainer;

pub use lab::PolicyEntropyLab;
pub use params::PeParams;
