//! The diffusion benchmark of the Device page: training steps and samples per
//! second of the 2-D denoiser (`thermolab_diffusion::bench`) on the GPU path
//! and on the CPU, beside TensorFlow.js doing the same model and step
//! (`public/bench/diffusion-tfjs.js`, run by the page).

use thermolab_core::experiment::{Figure, RunError};
use thermolab_diffusion::bench::{Throughput, measure};
use thermolab_gpu::Compute;

/// Sizes of one measurement; no training steps means no measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiffusionSize {
    pub train_steps: usize,
    pub particles: usize,
    pub sample_steps: usize,
    pub seed: u64,
}

#[derive(Default)]
pub struct DiffusionThroughput {
    gpu: Option<Throughput>,
    cpu: Option<Throughput>,
}

impl DiffusionThroughput {
    pub async fn step(&mut self, compute: &Compute, size: DiffusionSize) -> Result<(), RunError> {
        if size.train_steps == 0 {
            return Ok(());
        }
        let run = async |compute: &Compute| {
            measure(
                compute,
                size.train_steps,
                size.particles,
                size.sample_steps,
                size.seed,
            )
            .await
        };
        if compute.gpu.is_some() {
            self.gpu = Some(run(compute).await?);
        }
        self.cpu = Some(run(&Compute::cpu("the Device page's CPU reference")).await?);
        Ok(())
    }

    pub fn figures(&self, has_gpu: bool) -> Vec<Figure> {
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

    pub fn facts(&self) -> Vec<(String, String)> {
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
