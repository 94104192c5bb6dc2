//! The benchmark of the 2-D denoiser: Adam steps per second at batch
//! 1,024 with 3 hidden layers of 128 (the lab's own training step: a fresh
//! two-moons batch, DDPM on the linear schedule of T = 100, the loss read
//! back), and samples per second drawing particles with DDPM's ancestral
//! sampler. `public/bench/diffusion-tfjs.js` does the same model, step and
//! sampler in TensorFlow.js, so the Device page can put them side by side.

use thermolab_core::experiment::RunError;
use thermolab_core::params::Value;
use thermolab_gpu::{Compute, now_seconds};

use crate::{DiffusionLab, schema};

pub const BATCH: i64 = 1024;
pub const WIDTH: i64 = 128;
pub const DEPTH: i64 = 3;

/// What one measurement found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throughput {
    pub train_steps_per_second: f64,
    pub samples_per_second: f64,
    /// The loss after the timed steps: the steps really trained.
    pub final_loss: f64,
}

/// Times `train_steps` Adam steps, then one sampling of `particles` x
/// `sample_steps`, each after an untimed warm-up that compiles its kernels.
pub async fn measure(
    compute: &Compute,
    train_steps: usize,
    particles: usize,
    sample_steps: usize,
    seed: u64,
) -> Result<Throughput, RunError> {
    let values = [
        ("data", Value::Text("two_moons".to_string())),
        ("batch", Value::Int(BATCH)),
        ("width", Value::Int(WIDTH)),
        ("depth", Value::Int(DEPTH)),
        ("sampler", Value::Text("ancestral".to_string())),
        ("sample_steps", Value::Int(sample_steps as i64)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (params, refused) = schema().params_from_values(&values);
    if let Some(e) = refused.first() {
        return Err(RunError::Failed(e.message.clone()));
    }
    let mut lab = DiffusionLab::on(compute, &params, seed)?;
    lab.train().await?;
    lab.progress.trained += 1;
    let start = now_seconds();
    let mut final_loss = f64::NAN;
    for _ in 0..train_steps {
        final_loss = lab.train().await?;
        lab.progress.trained += 1;
    }
    let train_seconds = now_seconds() - start;
    let network = lab.trainer.network();
    lab.sample(&network, 16, 0).await?;
    let start = now_seconds();
    lab.sample(&network, particles, 0).await?;
    let sample_seconds = now_seconds() - start;
    Ok(Throughput {
        train_steps_per_second: train_steps as f64 / train_seconds.max(1e-9),
        samples_per_second: particles as f64 / sample_seconds.max(1e-9),
        final_loss,
    })
}
