//! What both diffusion labs do alike: a network trained along a noising
//! path, one Adam step per lab step while the budget lasts, sampled every
//! few steps and whenever a sampling control moves. A lab says what it
//! learns and shows ([`Domain`]); [`Diffusion`] is the loop, and the lab.

use std::collections::BTreeMap;

use thermolab_core::experiment::{Preset, RunError, StepOutcome, View, ensure_finite};
use thermolab_core::params::{Schema, Value};
use thermolab_core::rng::CounterRng;
use thermolab_kit::{About, BenchmarkEntry, Lab, LabContext, ParamSet};

use crate::clipping::X0Clip;
use crate::denoise::{Denoised, Denoiser, Objective};
use crate::guidance;
use crate::model::{Network, Trainer};
use crate::path::NoisePath;
use crate::progress::Progress;
use crate::sampler::{self, NoiseSource, Samples, Settings, Shape};
use crate::settings::{PathParams, TrainingParams, clip_fact};

/// RNG streams of the training noise, shared by both labs' batches.
pub(crate) const STREAM_EPS: u32 = 100;
pub(crate) const STREAM_XI: u32 = 110;
pub(crate) const STREAM_TIME: u32 = 120;
/// The noise of the forward-noising views.
pub(crate) const STREAM_VIEW_EPS: u32 = 300;
/// A loss this many times that of predicting zero (the mean squared target)
/// means the network's outputs are ten times the targets' size: diverged,
/// though still finite.
const DIVERGED_LOSS_RATIO: f64 = 100.0;
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

/// What a model file records of the settings its network was trained with
/// (those of `settings` that apply); it fits only a run whose entries are
/// the same.
pub fn checkpoint_identity(
    settings: &[(&str, Value)],
    schema: &Schema,
) -> BTreeMap<String, String> {
    let settings: BTreeMap<String, Value> = settings
        .iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect();
    settings
        .iter()
        .filter(|(key, _)| schema.spec(key).is_none_or(|spec| spec.applies(&settings)))
        .map(|(key, value)| (key.clone(), value.to_string()))
        .collect()
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
    /// How far apart two data sets of the samples' size are by chance: the
    /// quality figure's floor.
    pub floor: f64,
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
    /// The trained network as a model file: its `identity` (what it fits),
    /// the steps it trained and its `format`.
    pub async fn model_file(
        &self,
        mut identity: BTreeMap<String, String>,
        format: &str,
    ) -> Result<Vec<u8>, RunError> {
        identity.insert(
            "trained_steps".to_string(),
            self.progress.trained.to_string(),
        );
        identity.insert("format".to_string(), format.to_string());
        self.trainer.checkpoint(identity).await
    }

    /// A run of `trainer` along `path` at step `progress.trained`, with no
    /// samples yet and its floor to be measured.
    pub fn new(
        context: &LabContext,
        path: &PathParams,
        trainer: Trainer,
        progress: Progress,
    ) -> Self {
        Self {
            rng: CounterRng::new(context.seed),
            objective: path.objective,
            path: path.path(),
            trainer,
            progress,
            device_name: context.compute.info.name.clone(),
            samples: None,
            floor: f64::NAN,
        }
    }

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

    /// `network` read through the objective, each row told its label (guidance `w`).
    pub fn denoiser<'a>(
        &'a self,
        network: &'a Network,
        labels: &'a [Option<usize>],
        guidance: f64,
    ) -> NetworkDenoiser<'a> {
        NetworkDenoiser {
            network,
            objective: self.objective,
            path: &self.path,
            labels,
            guidance,
        }
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
        let denoiser = self.denoiser(network, labels, guidance);
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

/// What a diffusion lab learns: its data, its batches and its views. The
/// shared loop ([`Diffusion`]) does the rest.
#[async_trait::async_trait(?Send)]
pub trait Domain: Sized + 'static {
    type Params: ParamSet;

    const ABOUT: About;

    /// Settings that reproduce its papers' claims ([`crate::presets`]).
    fn presets() -> Vec<Preset>;

    fn training(params: &Self::Params) -> &TrainingParams;

    /// The domain and its trained state at step 0.
    fn start(context: &LabContext, params: &Self::Params) -> Result<(Self, Run), String>;

    /// The noised examples of training step `draw`.
    fn batch(&self, run: &Run, params: &Self::Params, draw: u32) -> Result<Batch, RunError>;

    /// Samples the model with the live settings and recomputes every view
    /// that needs the network; the samples are then fresh.
    async fn resample(&mut self, run: &mut Run, params: &Self::Params) -> Result<(), RunError>;

    /// A live param changed: recompute what depends on it, and mark the
    /// samples stale if they would change.
    fn live_changed(&mut self, run: &mut Run, old: &Self::Params, new: &Self::Params);

    fn view(&self, run: &Run, params: &Self::Params) -> View;

    async fn checkpoint(
        &self,
        _run: &Run,
        _params: &Self::Params,
    ) -> Option<Result<Vec<u8>, RunError>> {
        None
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        Vec::new()
    }
}

/// A diffusion lab: a domain and its trained state, one Adam step per lab
/// step while the budget lasts, sampled every few steps and whenever a
/// sampling control moves.
pub struct Diffusion<D> {
    run: Run,
    domain: D,
}

impl<D: Domain> Diffusion<D> {
    pub fn run(&self) -> &Run {
        &self.run
    }

    pub fn run_mut(&mut self) -> &mut Run {
        &mut self.run
    }

    pub fn domain(&self) -> &D {
        &self.domain
    }

    pub fn trained_steps(&self) -> u64 {
        self.run.progress.trained
    }

    pub fn samples(&self) -> Option<&Samples> {
        self.run.samples.as_ref()
    }

    pub fn last_loss(&self) -> Option<f64> {
        self.run.progress.last_loss()
    }

    /// Sliced W2 between the last samples and as much data.
    pub fn quality(&self) -> Option<f64> {
        self.run.progress.last_quality()
    }

    /// The quality's floor: sliced W2 between two data sets of the samples' size.
    pub fn floor(&self) -> f64 {
        self.run.floor
    }

    /// One Adam step on the domain's next batch; returns the loss (the
    /// step is not counted: [`Lab::step`] does that).
    pub async fn train(&mut self, params: &D::Params) -> Result<f64, RunError> {
        let draw = self.run.progress.trained as u32;
        let batch = self.domain.batch(&self.run, params, draw)?;
        let training = D::training(params);
        let learning_rate =
            training
                .lr_schedule
                .at(training.lr, self.run.progress.trained, training.train_steps);
        let loss = self
            .run
            .trainer
            .step(
                &batch.inputs,
                &batch.times,
                &batch.labels,
                &batch.targets,
                learning_rate,
            )
            .await?;
        let loss = ensure_finite("the training loss", loss)?;
        let zero_loss =
            batch.targets.iter().map(|t| t * t).sum::<f64>() / batch.targets.len().max(1) as f64;
        if loss > DIVERGED_LOSS_RATIO * zero_loss {
            return Err(RunError::Diverged(format!(
                "the training loss grew to {loss:.4e}, {:.0} times that of predicting zero: \
                 lower the learning rate",
                loss / zero_loss
            )));
        }
        Ok(loss)
    }
}

#[async_trait::async_trait(?Send)]
impl<D: Domain> Lab for Diffusion<D> {
    type Params = D::Params;

    fn about() -> About {
        D::ABOUT
    }

    fn presets() -> Vec<Preset> {
        D::presets()
    }

    fn start(context: &LabContext, params: &D::Params) -> Result<Self, String> {
        let (domain, run) = D::start(context, params)?;
        Ok(Self { run, domain })
    }

    async fn step(&mut self, params: &D::Params) -> Result<StepOutcome, RunError> {
        if self.run.progress.training() {
            let loss = self.train(params).await?;
            let sample_every = D::training(params).sample_every;
            self.run.progress.record(loss, sample_every);
        }
        if self.run.progress.stale || self.run.samples.is_none() {
            self.domain.resample(&mut self.run, params).await?;
        }
        Ok(self.run.progress.outcome())
    }

    fn live_changed(&mut self, old: &D::Params, new: &D::Params) {
        self.domain.live_changed(&mut self.run, old, new);
    }

    /// A trained model can still be sampled.
    fn live_after_finish(&self) -> bool {
        true
    }

    async fn refresh(&mut self, params: &D::Params) -> Result<(), RunError> {
        if self.run.progress.stale && self.run.samples.is_some() {
            self.domain.resample(&mut self.run, params).await?;
        }
        Ok(())
    }

    fn view(&self, params: &D::Params) -> View {
        self.domain.view(&self.run, params)
    }

    /// A run from a checkpoint starts with its steps already trained.
    fn trained(&self) -> Option<u64> {
        let trained = self.run.progress.trained;
        (trained > 0).then_some(trained)
    }

    async fn checkpoint(&self, params: &D::Params) -> Option<Result<Vec<u8>, RunError>> {
        self.domain.checkpoint(&self.run, params).await
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        D::benchmarks()
    }
}
