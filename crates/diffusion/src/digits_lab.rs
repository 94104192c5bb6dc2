//! The Digits lab: the same objectives and samplers as the 2-D lab, on 14x14
//! MNIST digits, with an MLP that may be told the digit's class and sampled
//! with classifier-free guidance. It starts from a checkpoint trained by the
//! CLI (`public/models/digits.safetensors`), so sampling works at once on a
//! slow machine; "from scratch" trains live.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{
    Chart, ChartKind, Experiment, Figure, LabInfo, RunError, RunStatus, Snapshot, StepOutcome,
    ensure_finite,
};
use thermolab_core::params::{ParamError, ParamSpec, Params, Schema, Value};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::Compute;

use crate::denoise::Objective;
use crate::digits::{CLASSES, DIGITS_FILE, Digits, NearestMean};
use crate::guidance::drop_labels;
use crate::metrics::sliced_wasserstein_in;
use crate::model::{Shape, Trainer, checkpoint_metadata};
use crate::path::NoisePath;
use crate::progress::Progress;
use crate::sampler::{self, NoiseSource, Samples, Settings};
use crate::{
    FLOOR_DRAW, NetworkDenoiser, STREAM_EPS, STREAM_INIT, STREAM_TIME, STREAM_VIEW_EPS, STREAM_XI,
    VIEW_DRAW, choice, clip_fact, path_from, path_specs, sampling_from, sampling_specs,
};

pub const ID: &str = "digits";
/// The shipped checkpoint under `public/`.
pub const CHECKPOINT_FILE: &str = "models/digits.safetensors";
/// Digits whose denoising is shown, and the frames shown of each.
const TRACED: usize = 10;
const TRACE_FRAMES: usize = 8;
/// Data digits the quality figures compare against.
const VIEW_DIGITS: usize = 1000;
/// Every how many data digits the judge's accuracy on data is measured.
const JUDGE_STRIDE: usize = 7;
/// RNG streams of the digits (the 2-D lab's coordinate streams would overlap
/// at 196 coordinates; here the coordinate goes into the counter instead).
const STREAM_DATA: u32 = 130;
const STREAM_DROP: u32 = 140;
const STREAM_SAMPLER_INITIAL: u32 = 1000;
const STREAM_SAMPLER_INJECTED: u32 = 2000;

pub fn info() -> LabInfo {
    LabInfo {
        id: ID.to_string(),
        title: "Diffusion: digits".to_string(),
        summary: "Sample handwritten digits from a small diffusion model, class by class, with \
                  classifier-free guidance, temperature and x0 clipping; or train it live."
            .to_string(),
        explanation: vec![
            "The model is the 2-D lab's MLP, wider, on 14x14 MNIST digits (196 pixels in [-1, 1]), \
             told the digit's class as a one-hot input. In training the class is hidden with \
             probability p, so the same network also learns the unconditional model. It starts from \
             a checkpoint the command-line tool trained; choose 'from scratch' to watch it learn."
                .to_string(),
            "Classifier-free guidance w mixes the two predictions, (1 + w) f(x, class) - w f(x, \
             none): larger w gives more typical, less varied digits. x0 clipping keeps the model's \
             estimate of the clean image inside [-c, c] at every step; c = 1 is the data's own range. \
             Dynamic thresholding does it per image, at the p-th percentile of |x0|."
                .to_string(),
            "Quality is the sliced Wasserstein distance between the samples and as many real digits \
             (with the distance between two sets of real digits as the floor). Class agreement asks \
             a fixed judge, the nearest class mean of the data, which digit each sample is; it reads \
             real digits right most of the time, and says how often the samples are the digit they \
             were asked for."
                .to_string(),
        ],
        schema: schema(),
        assets: vec![DIGITS_FILE.to_string(), CHECKPOINT_FILE.to_string()],
    }
}

pub fn schema() -> Schema {
    let mut specs = vec![
        ParamSpec::choice(
            "start",
            "Start from",
            &[
                ("checkpoint", "The shipped checkpoint"),
                ("scratch", "Scratch (train live)"),
            ],
            "checkpoint",
        )
        .help(
            "The checkpoint needs the default model settings; other settings train from scratch.",
        ),
    ];
    specs.extend(path_specs("cosine", 1000));
    specs.extend([
        ParamSpec::toggle("conditional", "Class-conditional", true)
            .help("Tell the network which digit it is (needed for guidance)."),
        ParamSpec::float("label_dropout", "Label dropout p", 0.0, 1.0, 0.1)
            .live()
            .help("Training hides the class this often, teaching the unconditional model too."),
        ParamSpec::int("width", "Hidden width", 16, 1024, 512)
            .log()
            .help("Units per hidden layer of the MLP."),
        ParamSpec::int("depth", "Hidden layers", 1, 6, 3).help("Hidden layers of the MLP (SiLU)."),
        ParamSpec::int("batch", "Batch", 8, 2048, 256)
            .log()
            .help("Digits per Adam step."),
        ParamSpec::float("lr", "Learning rate", 1e-5, 0.1, 1e-3)
            .log()
            .live()
            .help("Adam's step size."),
        ParamSpec::int("train_steps", "Training budget", 1, 200_000, 20_000)
            .log()
            .unit("steps")
            .help("Adam steps in all (the checkpoint's count included); sampling acts afterwards."),
    ]);
    specs.extend(sampling_specs("static", 1.0));
    specs.extend([
        ParamSpec::float("guidance", "Guidance scale w", 0.0, 10.0, 1.0)
            .live()
            .help("Classifier-free guidance: (1 + w) f(x, class) - w f(x, none)."),
        ParamSpec::choice(
            "digit",
            "Digits drawn",
            &[
                ("all", "0 to 9, a column each"),
                ("0", "0"),
                ("1", "1"),
                ("2", "2"),
                ("3", "3"),
                ("4", "4"),
                ("5", "5"),
                ("6", "6"),
                ("7", "7"),
                ("8", "8"),
                ("9", "9"),
            ],
            "all",
        )
        .live()
        .help("Which class the conditional model is asked for."),
        ParamSpec::int("particles", "Digits sampled", 10, 400, 100)
            .log()
            .live()
            .help("Samples drawn at each sampling, shown ten to a row."),
        ParamSpec::int("sample_every", "Sample every", 1, 5000, 500)
            .log()
            .live()
            .unit("steps")
            .help("Training steps between two samplings of the model."),
        ParamSpec::float("view_t", "View time t", 0.0, 1.0, 0.5)
            .live()
            .help("The t of the forward-noising view."),
    ]);
    Schema::new(specs)
}

/// Training-time settings; a change restarts the run.
#[derive(Clone, Debug, PartialEq)]
struct Setup {
    from_checkpoint: bool,
    objective: Objective,
    path: NoisePath,
    shape: Shape,
    batch: usize,
    train_steps: u64,
}

/// Settings that act on the running experiment.
#[derive(Clone, Debug, PartialEq)]
struct Live {
    gamma: f64,
    learning_rate: f64,
    label_dropout: f64,
    sampling: Settings,
    guidance: f64,
    /// `None`: every class in turn.
    digit: Option<usize>,
    particles: usize,
    sample_every: u64,
    view_t: f64,
}

/// `dims`: pixels per digit of the data.
fn setup_from(params: &Params, dims: usize) -> Result<Setup, ParamError> {
    let (objective, path) = path_from(params)?;
    Ok(Setup {
        from_checkpoint: params.text("start")? == "checkpoint",
        objective,
        path,
        shape: Shape {
            dims,
            classes: if params.toggle("conditional")? {
                CLASSES
            } else {
                0
            },
            width: params.int("width")? as usize,
            depth: params.int("depth")? as usize,
        },
        batch: params.int("batch")? as usize,
        train_steps: params.int("train_steps")? as u64,
    })
}

fn live_from(params: &Params) -> Result<Live, ParamError> {
    Ok(Live {
        gamma: params.float("gamma")?,
        learning_rate: params.float("lr")?,
        label_dropout: params.float("label_dropout")?,
        sampling: sampling_from(params)?,
        guidance: params.float("guidance")?,
        digit: choice(params, "digit", |s| match s {
            "all" => Some(None),
            digit => digit.parse().ok().filter(|d| *d < CLASSES).map(Some),
        })?,
        particles: params.int("particles")? as usize,
        sample_every: params.int("sample_every")? as u64,
        view_t: params.float("view_t")?,
    })
}

/// What a checkpoint records of the settings it was trained with; it only
/// fits a run whose entries are the same.
fn checkpoint_identity(params: &Params) -> BTreeMap<String, String> {
    [
        "objective",
        "schedule",
        "diffusion_steps",
        "conditional",
        "width",
        "depth",
    ]
    .iter()
    .filter_map(|key| Some((key.to_string(), params.get(key)?.to_string())))
    .collect()
}

/// The trainer to start from: the checkpoint's weights and step count where
/// it fits the settings, else a fresh network; and what happened, in words.
fn starting_trainer(
    setup: &Setup,
    params: &Params,
    assets: &Assets,
    rng: CounterRng,
    compute: &Compute,
) -> (Trainer, u64, String) {
    let fresh = |why: String| {
        let trainer = Trainer::new(setup.shape, (rng, STREAM_INIT), &compute.tensor_device);
        (trainer, 0, why)
    };
    if !setup.from_checkpoint {
        return fresh("from scratch".to_string());
    }
    let loaded = assets.get(CHECKPOINT_FILE).and_then(|bytes| {
        // Settings first: a checkpoint of another model says which setting differs.
        let metadata = checkpoint_metadata(bytes)?;
        let mismatch: Vec<String> = checkpoint_identity(params)
            .into_iter()
            .filter(|(key, value)| metadata.get(key) != Some(value))
            .map(|(key, value)| {
                let trained = metadata.get(&key).map_or("?", String::as_str);
                format!("{key} = {value} (checkpoint: {trained})")
            })
            .collect();
        if !mismatch.is_empty() {
            return Err(format!(
                "the checkpoint does not fit {}",
                mismatch.join(", ")
            ));
        }
        let steps = metadata
            .get("trained_steps")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok((
            Trainer::from_checkpoint(bytes, setup.shape, &compute.tensor_device)?,
            steps,
        ))
    });
    match loaded {
        Err(why) => fresh(format!("from scratch: {why}")),
        Ok((trainer, steps)) => (
            trainer,
            steps,
            format!("the shipped checkpoint ({steps} steps)"),
        ),
    }
}

pub struct DigitsLab {
    params: Params,
    setup: Setup,
    live: Live,
    rng: CounterRng,
    digits: Digits,
    judge: NearestMean,
    judge_accuracy: f64,
    trainer: Trainer,
    device_name: String,
    start_note: String,
    progress: Progress,
    /// Data digits the quality figures use, and the forward view shows.
    view_indices: Vec<usize>,
    floor: f64,
    samples: Option<Samples>,
    /// The class each sample was asked for (empty: unconditional).
    sample_labels: Vec<Option<usize>>,
    agreement: Option<f64>,
}

impl DigitsLab {
    pub fn on(
        compute: &Compute,
        params: &Params,
        seed: u64,
        assets: &Assets,
    ) -> Result<Self, ParamError> {
        let refused = |message: String| ParamError {
            key: "start".to_string(),
            message,
        };
        let digits = assets
            .get(DIGITS_FILE)
            .and_then(Digits::parse)
            .map_err(refused)?;
        let setup = setup_from(params, digits.dims())?;
        let live = live_from(params)?;
        let rng = CounterRng::new(seed);
        let (trainer, trained, start_note) = starting_trainer(&setup, params, assets, rng, compute);
        let train_steps = setup.train_steps;
        let judge = NearestMean::fit(&digits);
        let judge_accuracy = judge.accuracy_on_data(&digits, JUDGE_STRIDE);
        let view_indices = digits.draw(rng, VIEW_DIGITS, VIEW_DRAW, STREAM_DATA);
        let mut lab = Self {
            params: params.clone(),
            setup,
            live,
            rng,
            judge,
            judge_accuracy,
            trainer,
            device_name: compute.info.name.clone(),
            start_note,
            progress: Progress::new(trained, train_steps, "sliced W2 to real digits"),
            view_indices,
            floor: f64::NAN,
            samples: None,
            sample_labels: Vec::new(),
            agreement: None,
            digits,
        };
        lab.floor = lab.data_floor();
        Ok(lab)
    }

    pub fn trained_steps(&self) -> u64 {
        self.progress.trained
    }

    pub fn samples(&self) -> Option<&Samples> {
        self.samples.as_ref()
    }

    pub fn sample_labels(&self) -> &[Option<usize>] {
        &self.sample_labels
    }

    /// The share of samples the nearest-class-mean judge reads as the class
    /// they were asked for (conditional models only).
    pub fn agreement(&self) -> Option<f64> {
        self.agreement
    }

    pub fn judge_accuracy(&self) -> f64 {
        self.judge_accuracy
    }

    pub fn quality(&self) -> Option<f64> {
        self.progress.last_quality()
    }

    pub fn floor(&self) -> f64 {
        self.floor
    }

    pub fn last_loss(&self) -> Option<f64> {
        self.progress.last_loss()
    }

    fn dims(&self) -> usize {
        self.setup.shape.dims
    }

    /// Sliced W2 between the view's digits and fresh data draws, as many as
    /// the samples (averaged over a few draws, as one varies).
    fn data_floor(&self) -> f64 {
        let n = self.live.particles.min(self.view_indices.len());
        let view = self.digits.batch(&self.view_indices[..n]);
        let draws = 4;
        (0..draws)
            .map(|k| {
                let other = self.digits.draw(self.rng, n, FLOOR_DRAW - k, STREAM_DATA);
                sliced_wasserstein_in(&view, &self.digits.batch(&other), self.dims())
            })
            .sum::<f64>()
            / f64::from(draws)
    }

    /// One Adam step on a batch of digits, each at its own t.
    async fn train(&mut self) -> Result<f64, RunError> {
        let draw = self.progress.trained as u32;
        let (rng, setup, dims) = (self.rng, &self.setup, self.dims());
        let indices = self.digits.draw(rng, setup.batch, draw, STREAM_DATA);
        let x0 = self.digits.batch(&indices);
        let labels = if setup.shape.classes > 0 {
            let classes: Vec<usize> = indices.iter().map(|i| self.digits.label(*i)).collect();
            let uniforms: Vec<f64> = (0..indices.len())
                .map(|i| f64::from(rng.uniform(i as u32, draw, STREAM_DROP)))
                .collect();
            drop_labels(&classes, &uniforms, self.live.label_dropout)
        } else {
            Vec::new()
        };
        let times: Vec<f64> = (0..indices.len())
            .map(|i| {
                setup
                    .path
                    .training_time(f64::from(rng.uniform(i as u32, draw, STREAM_TIME)))
            })
            .collect();
        let (inputs, targets): (Vec<f64>, Vec<f64>) = x0
            .iter()
            .enumerate()
            .map(|(j, x0)| {
                let counter = j as u32;
                let eps = f64::from(rng.normal(counter, draw, STREAM_EPS));
                let xi = f64::from(rng.normal(counter, draw, STREAM_XI));
                setup.objective.training_example(
                    &setup.path,
                    *x0,
                    eps,
                    xi,
                    self.live.gamma,
                    times[j / dims],
                )
            })
            .unzip();
        let loss = self
            .trainer
            .step(&inputs, &times, &labels, &targets, self.live.learning_rate)
            .await?;
        ensure_finite("the training loss", loss)
    }

    /// The class each of the samples is asked for.
    fn labels_to_sample(&self) -> Vec<Option<usize>> {
        if self.setup.shape.classes == 0 {
            return Vec::new();
        }
        (0..self.live.particles)
            .map(|i| Some(self.live.digit.unwrap_or(i % CLASSES)))
            .collect()
    }

    async fn refresh_views(&mut self) -> Result<(), RunError> {
        let network = self.trainer.network();
        let labels = self.labels_to_sample();
        let denoiser = NetworkDenoiser {
            network: &network,
            objective: self.setup.objective,
            path: &self.setup.path,
            labels: &labels,
            guidance: self.live.guidance,
        };
        let noise = NoiseSource {
            rng: self.rng,
            initial: STREAM_SAMPLER_INITIAL,
            injected: STREAM_SAMPLER_INJECTED,
        };
        let dims = self.dims();
        let samples = sampler::sample(
            &denoiser,
            &self.setup.path,
            &self.live.sampling,
            noise,
            sampler::Shape {
                particles: self.live.particles,
                dims,
                traced: TRACED,
                // Dynamic thresholding ranks each image's pixels on their own (Imagen).
                clip_group: dims,
            },
        )
        .await?;
        let n = self.live.particles.min(self.view_indices.len());
        let view = self.digits.batch(&self.view_indices[..n]);
        self.progress.quality.push(
            self.progress.trained as f64,
            sliced_wasserstein_in(&samples.x, &view, dims),
        );
        self.agreement = (!labels.is_empty()).then(|| {
            let asked: Vec<usize> = labels.iter().flatten().copied().collect();
            self.judge.agreement(&samples.x, &asked)
        });
        self.samples = Some(samples);
        self.sample_labels = labels;
        self.progress.stale = false;
        Ok(())
    }

    fn images(&self, key: &str, title: &str, columns: usize, images: Vec<Vec<f32>>) -> Chart {
        Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Images {
                side: self.digits.side(),
                columns,
                range: [-1.0, 1.0],
                images,
            },
        }
    }

    /// One data digit of each class, clean, above itself noised to the view's t.
    fn forward_images(&self) -> Vec<Vec<f32>> {
        let dims = self.dims();
        let (t, path) = (self.live.view_t, &self.setup.path);
        let examples: Vec<usize> = (0..CLASSES)
            .filter_map(|class| {
                self.view_indices
                    .iter()
                    .copied()
                    .find(|i| self.digits.label(*i) == class)
            })
            .collect();
        let clean: Vec<Vec<f32>> = examples
            .iter()
            .map(|i| self.digits.scaled(*i).map(|v| v as f32).collect())
            .collect();
        let noised = examples.iter().enumerate().map(|(k, i)| {
            self.digits
                .scaled(*i)
                .enumerate()
                .map(|(d, x0)| {
                    let counter = (k * dims + d) as u32;
                    let eps = f64::from(self.rng.normal(counter, VIEW_DRAW, STREAM_VIEW_EPS));
                    path.noised(x0, eps, t) as f32
                })
                .collect()
        });
        clean.iter().cloned().chain(noised).collect()
    }

    /// The first digits' states at a few evenly spaced sampling steps, a row each.
    fn trajectory_images(samples: &Samples, dims: usize) -> Vec<Vec<f32>> {
        let frames = samples.trajectories.len();
        let traced = samples.trajectories.first().map_or(0, |f| f.len() / dims);
        let chosen: Vec<usize> = (0..TRACE_FRAMES)
            .map(|k| k * (frames - 1) / (TRACE_FRAMES - 1).max(1))
            .collect();
        (0..traced)
            .flat_map(|i| {
                chosen.iter().map(move |frame| {
                    samples.trajectories[*frame][i * dims..(i + 1) * dims]
                        .iter()
                        .map(|v| *v as f32)
                        .collect()
                })
            })
            .collect()
    }
}

#[async_trait::async_trait(?Send)]
impl Experiment for DigitsLab {
    async fn step(&mut self) -> Result<StepOutcome, RunError> {
        if self.progress.training() {
            let loss = self.train().await?;
            self.progress.record(loss, self.live.sample_every);
        }
        if self.progress.stale || self.samples.is_none() {
            self.refresh_views().await?;
        }
        Ok(self.progress.outcome())
    }

    fn set_live_param(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let mut params = self.params.clone();
        params.set(&schema(), key, value)?;
        let live = live_from(&params)?;
        let resample = live.sampling != self.live.sampling
            || live.guidance != self.live.guidance
            || live.digit != self.live.digit
            || live.particles != self.live.particles;
        let particles_changed = live.particles != self.live.particles;
        self.live = live;
        self.params = params;
        if particles_changed {
            self.floor = self.data_floor();
        }
        self.progress.stale |= resample;
        Ok(())
    }

    fn live_after_finish(&self) -> bool {
        true
    }

    async fn refresh(&mut self) -> Result<(), RunError> {
        if self.progress.stale && self.samples.is_some() {
            self.refresh_views().await?;
        }
        Ok(())
    }

    async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        let mut metadata = checkpoint_identity(&self.params);
        metadata.insert(
            "trained_steps".to_string(),
            self.progress.trained.to_string(),
        );
        metadata.insert("format".to_string(), "thermolab digits MLP".to_string());
        Some(self.trainer.checkpoint(metadata).await)
    }

    fn snapshot(&self) -> Snapshot {
        let dims = self.dims();
        let sample_images: Vec<Vec<f32>> = self.samples.as_ref().map_or(Vec::new(), |s| {
            s.x.chunks(dims)
                .map(|image| image.iter().map(|v| *v as f32).collect())
                .collect()
        });
        let trajectories = self
            .samples
            .as_ref()
            .map_or(Vec::new(), |s| Self::trajectory_images(s, dims));
        let [loss_chart, quality_chart] = self
            .progress
            .charts(self.floor, "real vs real digits (floor)");
        let mut figures = vec![
            self.progress.loss_figure(),
            Figure {
                key: "quality".to_string(),
                label: "Sliced W2 to real digits".to_string(),
                value: self.quality(),
                unit: String::new(),
                note: format!("floor {:.4} (real vs real)", self.floor),
            },
        ];
        if self.setup.shape.classes > 0 {
            figures.push(Figure {
                key: "agreement".to_string(),
                label: "Class agreement".to_string(),
                value: self.agreement.map(|a| 100.0 * a),
                unit: "%".to_string(),
                note: format!(
                    "nearest class mean reads {:.0}% of real digits right",
                    100.0 * self.judge_accuracy
                ),
            });
        }
        let t = self.live.view_t;
        let mut facts = vec![
            ("Computed on".to_string(), self.device_name.clone()),
            ("Started from".to_string(), self.start_note.clone()),
            (
                "Network parameters".to_string(),
                self.trainer.parameter_count().to_string(),
            ),
            (
                "Training steps done".to_string(),
                self.progress.trained.to_string(),
            ),
            (
                "x0 clipping".to_string(),
                clip_fact(self.live.sampling.clip),
            ),
        ];
        if let Some(samples) = &self.samples {
            facts.push((
                "Largest |x0| estimate (raw / used)".to_string(),
                format!("{:.3} / {:.3}", samples.largest_raw_x0, samples.largest_x0),
            ));
        }
        let samples_title = match (self.setup.shape.classes, self.live.digit) {
            (0, _) => "Generated digits (unconditional)".to_string(),
            (_, None) => format!(
                "Generated digits, a column per class, guidance w = {}",
                self.live.guidance
            ),
            (_, Some(d)) => format!("Generated {d}s, guidance w = {}", self.live.guidance),
        };
        Snapshot {
            step: 0,
            status: RunStatus::Paused,
            figures,
            charts: vec![
                self.images("samples", &samples_title, CLASSES, sample_images),
                self.images(
                    "trajectories",
                    "Denoising, noise to digit (a row per sample)",
                    TRACE_FRAMES,
                    trajectories,
                ),
                self.images(
                    "forward",
                    &format!("Forward noising: data (top) and x_t at t = {t:.2}"),
                    CLASSES,
                    self.forward_images(),
                ),
                loss_chart,
                quality_chart,
            ],
            facts,
        }
    }
}
