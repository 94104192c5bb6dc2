//! What both diffusion labs do alike: a network trained along a noising
//! path, one Adam step per lab step while the budget lasts, sampled every
//! few steps and whenever a sampling control moves. A lab says what its
//! batches and its views are ([`DiffusionModel`]); [`step`] and [`refresh`]
//! are the loop.

use thermolab_core::experiment::{RunError, StepOutcome, ensure_finite};
use thermolab_core::rng::CounterRng;

use crate::clipping::X0Clip;
use crate::denoise::{Denoised, Denoiser, Objective};
use crate::guidance;
use crate::model::{Network, Trainer};
use crate::path::NoisePath;
use crate::progress::Progress;
use crate::sampler::{self, NoiseSource, Samples, Settings, Shape};
use crate::settings::{TrainingParams, clip_fact};

/// RNG streams of the training noise, shared by both labs' batches.
pub(crate) const STREAM_EPS: u32 = 100;
pub(crate) const STREAM_XI: u32 = 110;
pub(crate) const STREAM_TIME: u32 = 120;
/// The noise of the forward-noising views.
pub(crate) const STREAM_VIEW_EPS: u32 = 300;
/// The stream of the networks' initial weights.
pub(crate) const STREAM_INIT: u32 = 400;
/// Fixed draws of the data that views use, far from any training step's.
pub(crate) const VIEW_DRAW: u32 = u32::MAX;
pub(crate) const FLOOR_DRAW: u32 = u32::MAX - 1;

/// A trained network read through its objective's parameterization.
pub struct NetworkDenoiser<'a> {
    pub network: &'a Network,
    pub objective: Objective,
    pub path: &'a NoisePath,
    /// One label per particle; empty for an unconditional network.
    pub labels: &'a [Option<usize>],
    /// Classifier-free guidance w (0: none).
    pub guidance: f64,
}

#[async_trait::async_trait(?Send)]
impl Denoiser for NetworkDenoiser<'_> {
    async fn denoise(&self, x: &[f64], t: f64) -> Result<Denoised, RunError> {
        let output = if self.guidance == 0.0 || self.labels.is_empty() {
            self.network.predict(x, t, self.labels).await?
        } else {
            // One batch of twice the rows: with the labels, then without.
            let doubled = [x, x].concat();
            let labels: Vec<Option<usize>> = self
                .labels
                .iter()
                .copied()
                .chain(std::iter::repeat_n(None, self.labels.len()))
                .collect();
            let both = self.network.predict(&doubled, t, &labels).await?;
            let (conditional, unconditional) = both.split_at(x.len());
            guidance::guided(conditional, unconditional, self.guidance)
        };
        Ok(self.objective.denoised(self.path, x, &output, t))
    }
}

/// A lab's trained state: its path, network, training progress and last samples.
pub struct Run {
    pub rng: CounterRng,
    pub objective: Objective,
    pub path: NoisePath,
    pub trainer: Trainer,
    pub progress: Progress,
    /// Where the network runs, for the facts.
    pub device_name: String,
    pub samples: Option<Samples>,
}

/// One training step's examples, noised: network inputs and targets, one
/// time and (for conditional models) one label per example.
pub struct Batch {
    pub inputs: Vec<f64>,
    pub targets: Vec<f64>,
    pub times: Vec<f64>,
    pub labels: Vec<Option<usize>>,
}

impl Run {
    /// The objective's inputs and targets for clean values `x0` (`dims` per
    /// example, example `i` at `times[i]`); `noise(j)` is the (eps, xi) of
    /// value `j`.
    pub fn noised(
        &self,
        x0: &[f64],
        dims: usize,
        times: &[f64],
        gamma: f64,
        noise: impl Fn(usize) -> (f64, f64),
    ) -> (Vec<f64>, Vec<f64>) {
        x0.iter()
            .enumerate()
            .map(|(j, x0)| {
                let (eps, xi) = noise(j);
                self.objective
                    .training_example(&self.path, *x0, eps, xi, gamma, times[j / dims])
            })
            .unzip()
    }

    /// `network`'s samples with `settings`, the noise drawn from the streams
    /// `(initial, injected)`, each particle told its label (guidance `w`).
    pub async fn sample(
        &self,
        network: &Network,
        (labels, guidance): (&[Option<usize>], f64),
        settings: &Settings,
        (initial, injected): (u32, u32),
        shape: Shape,
    ) -> Result<Samples, RunError> {
        let denoiser = NetworkDenoiser {
            network,
            objective: self.objective,
            path: &self.path,
            labels,
            guidance,
        };
        let noise = NoiseSource {
            rng: self.rng,
            initial,
            injected,
        };
        sampler::sample(&denoiser, &self.path, settings, noise, shape).await
    }

    /// The facts both labs show: where the network runs, its size, the
    /// training done, the clipping and the largest x_0 estimate.
    pub fn facts(&self, clip: X0Clip) -> Vec<(String, String)> {
        let mut facts = vec![
            ("Computed on".to_string(), self.device_name.clone()),
            (
                "Network parameters".to_string(),
                self.trainer.parameter_count().to_string(),
            ),
            (
                "Training steps done".to_string(),
                self.progress.trained.to_string(),
            ),
            ("x0 clipping".to_string(), clip_fact(clip)),
        ];
        if let Some(samples) = &self.samples {
            facts.push((
                "Largest |x0| estimate (raw / used)".to_string(),
                format!("{:.3} / {:.3}", samples.largest_raw_x0, samples.largest_x0),
            ));
        }
        facts
    }
}

/// What a diffusion lab adds to the shared loop: its batches and its views.
#[async_trait::async_trait(?Send)]
pub trait DiffusionModel {
    type Params;

    fn run(&self) -> &Run;

    fn run_mut(&mut self) -> &mut Run;

    fn training(params: &Self::Params) -> &TrainingParams;

    /// The noised examples of training step `draw`.
    fn batch(&self, params: &Self::Params, draw: u32) -> Result<Batch, RunError>;

    /// Samples the model with the live settings and recomputes every view
    /// that needs the network; the samples are then fresh.
    async fn resample(&mut self, params: &Self::Params) -> Result<(), RunError>;
}

/// One Adam step on the model's next batch; returns the loss.
pub async fn train<M: DiffusionModel>(model: &mut M, params: &M::Params) -> Result<f64, RunError> {
    let draw = model.run().progress.trained as u32;
    let batch = model.batch(params, draw)?;
    let learning_rate = M::training(params).lr;
    let loss = model
        .run_mut()
        .trainer
        .step(
            &batch.inputs,
            &batch.times,
            &batch.labels,
            &batch.targets,
            learning_rate,
        )
        .await?;
    ensure_finite("the training loss", loss)
}

/// One lab step: an Adam step while the budget lasts, then new samples if
/// the old ones are stale (or there are none yet).
pub async fn step<M: DiffusionModel>(
    model: &mut M,
    params: &M::Params,
) -> Result<StepOutcome, RunError> {
    if model.run().progress.training() {
        let loss = train(model, params).await?;
        let sample_every = M::training(params).sample_every;
        model.run_mut().progress.record(loss, sample_every);
    }
    let run = model.run();
    if run.progress.stale || run.samples.is_none() {
        model.resample(params).await?;
    }
    Ok(model.run().progress.outcome())
}

/// New samples after a sampling control moved, without training.
pub async fn refresh<M: DiffusionModel>(model: &mut M, params: &M::Params) -> Result<(), RunError> {
    let run = model.run();
    if run.progress.stale && run.samples.is_some() {
        model.resample(params).await?;
    }
    Ok(())
}
