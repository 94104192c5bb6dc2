//! The diffusion benchmark this lab offers the bench page: Adam steps per
//! second of the 2-D denoiser at batch 1,024 with 3 hidden layers of 128
//! (the lab's own training step: a fresh two-moons batch, DDPM on the linear
//! schedule of T = 100, the loss read back), and samples per second drawing
//! particles with DDPM's ancestral sampler, on the GPU path and on the CPU.
//! `public/bench/diffusion-tfjs.js` does the same model, step and sampler in
//! TensorFlow.js, the peer the page measures beside them (its panel,
//! `tfjs-diffusion`).

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{Figure, RunError, View};
use thermolab_gpu::{Compute, now_seconds};
use thermolab_kit::params::int;
use thermolab_kit::{Benchmark, Lab, LabContext, params};

use crate::data::Dataset;
use crate::lab_2d::{DiffusionLab, DiffusionParams, Plane};
use crate::sampler::Sampler;

pub const BATCH: usize = 1024;
pub const WIDTH: usize = 128;
pub const DEPTH: usize = 3;

params! {
    /// The benchmark's size, set on the bench page.
    pub struct ThroughputParams {
        /// Diffusion benchmark: Adam steps of the 2-D denoiser (batch 1,024, 3 x 128) timed per step; 0 skips it.
        pub diffusion_train_steps: usize = int("Diffusion steps timed", 0..=1000, 0).live().unit("steps"),
        /// Diffusion benchmark: particles sampled with DDPM's ancestral sampler.
        pub diffusion_particles: usize = int("Diffusion particles", 16..=20_000, 10_000).log().live(),
        /// Diffusion benchmark: steps of each sampling.
        pub diffusion_sample_steps: usize = int("Diffusion sampling steps", 1..=1000, 100).log().live(),
    }
    limits: sampling_work
}

/// Most particle steps one timed sampling may take: twice the default's.
pub const MAX_PARTICLE_STEPS: usize = 2_000_000;

fn sampling_work(params: &ThroughputParams) -> Result<(), thermolab_core::params::ParamError> {
    let work = params.diffusion_particles * params.diffusion_sample_steps;
    if work <= MAX_PARTICLE_STEPS {
        return Ok(());
    }
    Err(thermolab_core::params::ParamError {
        key: "diffusion_particles".to_string(),
        message: format!(
            "{work} particle steps in one timed sampling, more than {MAX_PARTICLE_STEPS}: fewer particles or sampling steps"
        ),
    })
}

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
    let mut params = DiffusionParams {
        data: Dataset::TwoMoons,
        ..DiffusionParams::default()
    };
    params.training.batch = BATCH;
    params.training.width = WIDTH;
    params.training.depth = DEPTH;
    params.sampling.sampler = Sampler::Ancestral;
    params.sampling.sample_steps = sample_steps;
    let context = LabContext {
        compute,
        assets: &Assets::default(),
        seed,
        trained: None,
    };
    let mut lab = DiffusionLab::start(&context, &params).map_err(RunError::Failed)?;
    lab.train(&params).await?;
    lab.run_mut().progress.trained += 1;
    let start = now_seconds();
    let mut final_loss = f64::NAN;
    for _ in 0..train_steps {
        final_loss = lab.train(&params).await?;
        lab.run_mut().progress.trained += 1;
    }
    let train_seconds = now_seconds() - start;
    let network = lab.run().trainer.network();
    Plane::sample(lab.run(), &network, &params, (16, 0)).await?;
    let start = now_seconds();
    Plane::sample(lab.run(), &network, &params, (particles, 0)).await?;
    let sample_seconds = now_seconds() - start;
    Ok(Throughput {
        train_steps_per_second: train_steps as f64 / train_seconds.max(1e-9),
        samples_per_second: particles as f64 / sample_seconds.max(1e-9),
        final_loss,
    })
}

/// The benchmark on the bench page: a measurement on the GPU (if any) and on
/// the CPU every step, once its training steps are set above 0.
#[derive(Default)]
pub struct DiffusionThroughput {
    gpu: Option<Throughput>,
    cpu: Option<Throughput>,
}

#[async_trait::async_trait(?Send)]
impl Benchmark for DiffusionThroughput {
    type Params = ThroughputParams;
    const PANEL: Option<&'static str> = Some("tfjs-diffusion");

    fn new() -> Self {
        Self::default()
    }

    async fn measure(
        &mut self,
        compute: &Compute,
        params: &ThroughputParams,
        seed: u64,
        _step: u64,
    ) -> Result<(), RunError> {
        if params.diffusion_train_steps == 0 {
            return Ok(());
        }
        let run = async |compute: &Compute| {
            measure(
                compute,
                params.diffusion_train_steps,
                params.diffusion_particles,
                params.diffusion_sample_steps,
                seed,
            )
            .await
        };
        if compute.gpu.is_some() {
            self.gpu = Some(run(compute).await?);
        }
        self.cpu = Some(run(&Compute::cpu("the Device page's CPU reference")).await?);
        Ok(())
    }

    fn view(&self, compute: &Compute, _params: &ThroughputParams) -> View {
        View {
            figures: self.figures(compute.gpu.is_some()),
            charts: Vec::new(),
            facts: self.facts(),
        }
    }
}

impl DiffusionThroughput {
    fn figures(&self, has_gpu: bool) -> Vec<Figure> {
        let figure = |key: &str, label: &str, value: Option<f64>, unit: &str, gpu: bool| Figure {
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit: unit.to_string(),
            note: if gpu && !has_gpu {
                "no WebGPU: running on the CPU fallback".to_string()
            } else if value.is_none() {
                "set Diffusion steps timed above 0".to_string()
            } else {
                String::new()
            },
        };
        let train = |t: &Option<Throughput>| t.map(|t| t.train_steps_per_second);
        let samples = |t: &Option<Throughput>| t.map(|t| t.samples_per_second);
        vec![
            figure(
                "diffusion_train_gpu",
                "Diffusion training, GPU",
                train(&self.gpu),
                "steps/s",
                true,
            ),
            figure(
                "diffusion_train_cpu",
                "Diffusion training, CPU",
                train(&self.cpu),
                "steps/s",
                false,
            ),
            figure(
                "diffusion_samples_gpu",
                "Diffusion sampling, GPU",
                samples(&self.gpu),
                "samples/s",
                true,
            ),
            figure(
                "diffusion_samples_cpu",
                "Diffusion sampling, CPU",
                samples(&self.cpu),
                "samples/s",
                false,
            ),
        ]
    }

    fn facts(&self) -> Vec<(String, String)> {
        [("GPU", &self.gpu), ("CPU", &self.cpu)]
            .into_iter()
            .filter_map(|(path, t)| {
                t.map(|t| {
                    (
                        format!("Diffusion bench loss after the timed steps ({path})"),
                        format!("{:.4}", t.final_loss),
                    )
                })
            })
            .collect()
    }
}
