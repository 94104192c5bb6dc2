//! Thermolab's core: everything a lab needs that knows nothing of GPUs or UIs.
//!
//! - [`assets`]: files a lab loads from the site's `public/` (datasets, checkpoints).
//! - [`params`]: the one params schema each lab declares; validation, parsing and
//!   defaults for the UI, the URL and the CLI all come from it.
//! - [`url_state`]: the whole state of a lab in a URL hash, parsed defensively.
//! - [`rng`]: a counter-based RNG whose output is bit-identical in Rust and WGSL.
//! - [`series`]: metric series that downsample themselves for long runs.
//! - [`stats`]: means over many runs with their 95% intervals, merged from partials.
//! - [`math`]: temperature softmax through log-sum-exp, entropy, KL, clipping.
//! - [`ridge`]: ridge regression per run (A^-1 by Sherman-Morrison), for the linear labs.
//! - [`digits`]: the shipped 14x14 MNIST digits, for the labs that learn from images.
//! - [`experiment`]: what a lab says of itself, and the snapshots it sends.
//! - [`protocol`]: the typed messages between the UI thread and the compute worker.

pub mod assets;
pub mod digits;
pub mod embed;
pub mod experiment;
pub mod export;
pub mod formula;
pub mod math;
pub mod params;
pub mod protocol;
pub mod ridge;
pub mod rng;
pub mod series;
pub mod stats;
pub mod url_state;
