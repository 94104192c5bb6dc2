//! The Digits lab: the same objectives and samplers as the 2-D lab, on 14x14
//! MNIST digits, with an MLP that may be told the digit's class and sampled
//! with classifier-free guidance. It starts from a checkpoint trained by the
//! CLI (`public/models/digits.safetensors`), so sampling works at once on a
//! slow machine; "from scratch" trains live.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{Chart, ChartKind, Figure, Preset, RunError, View};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::{Compute, checkpoint};
use thermolab_kit::params::{ParamValue, choice, float, group, int, on, toggle};
use thermolab_kit::{About, LabContext, ParamSet, Start, StillRecipe, choices, params};

use crate::denoise::Objective;
use crate::digits::{CLASSES, DIGITS_FILE, Digits, NearestMean};
use crate::guidance::drop_labels;
use crate::metrics::{share_within, sliced_wasserstein_in};
use crate::model::{Shape, Trainer};
use crate::path::Schedule;
use crate::progress::Progress;
use crate::run::{
    self, Batch, Diffusion, Domain, FLOOR_DRAW, Run, STREAM_EPS, STREAM_INIT, STREAM_TIME,
    STREAM_VIEW_EPS, STREAM_XI, VIEW_DRAW,
};
use crate::sampler::{self, Samples};
use crate::settings::{Clip, PathParams, SamplingParams, TrainingParams, work_limits};
use crate::two_sample::{TwoSample, classifier_two_sample};

/// The shipped checkpoint under `public/`.
pub const CHECKPOINT_FILE: &str = "models/digits.safetensors";
/// Digits whose denoising is shown, and the frames shown of each.
const TRACED: usize = 10;
const TRACE_FRAMES: usize = 8;
/// Data digits the quality figures compare against.
const VIEW_DIGITS: usize = 1000;
/// A pixel this close to -1 is background: MNIST's background is exactly -1.
pub const BACKGROUND_TOLERANCE: f64 = 0.02;
/// Every how many data digits the judge's accuracy on data is measured.
const JUDGE_STRIDE: usize = 7;
/// RNG streams of the digits (the 2-D lab's coordinate streams would overlap
/// at 196 coordinates; here the coordinate goes into the counter instead).
const STREAM_DATA: u32 = 130;
const STREAM_DROP: u32 = 140;
const STREAM_SAMPLER_INITIAL: u32 = 1000;
const STREAM_SAMPLER_INJECTED: u32 = 2000;

const ABOUT: About = About {
    id: "digits",
    title: "Diffusion: digits",
    summary: "Sample handwritten digits from a small diffusion model, class by class, with \
              classifier-free guidance, temperature and x0 clipping; or train it live.",
    explanation: &[
        "The model is the 2-D lab's MLP, wider, on 14x14 MNIST digits (196 pixels in [-1, 1]), \
         told the digit's class as a one-hot input, predicting the clean digit x0 rather than \
         the noise (predicting the noise leaves grain on the background: the noise estimate \
         would have to be exact to a few percent at small t). In training the class is hidden \
         with probability p, so the same network also learns the unconditional model. Samples \
         come from a moving average of its weights. It starts from a checkpoint the \
         command-line tool trained (20,000 steps, learning rate decayed to 0); choose 'from \
         scratch' to watch it learn.",
        "Classifier-free guidance w mixes the two predictions, (1 + w) f(x, class) - w f(x, \
         none): larger w gives more typical, less varied digits. x0 clipping keeps the model's \
         estimate of the clean image inside [-c, c] at every step; c = 1 is the data's own range. \
         Dynamic thresholding does it per image, at the p-th percentile of |x0|.",
        "Quality is the sliced Wasserstein distance between the samples and as many real digits \
         (with the distance between two sets of real digits as the floor). Class agreement asks \
         a fixed judge, the nearest class mean of the data, which digit each sample is; it reads \
         real digits right most of the time, and says how often the samples are the digit they \
         were asked for. Background pixels counts the samples' pixels at the data's background, \
         -1; grain lowers it. Real or generated trains a classifier to tell the samples from as \
         many real digits on half of each and tests it on the other half: 50% means it cannot \
         tell them apart.",
    ],
    assets: &[DIGITS_FILE, CHECKPOINT_FILE],
    bench_page: false,
    checkpoint: true,
    main_chart: "samples",
    presenter: &["guidance", "temperature", "clip", "digit"],
    still: Some(StillRecipe {
        chart: "samples",
        set: &["particles=40", "sample_steps=20"],
        steps: 1,
    }),
    papers: &[
        "Ho, Jain & Abbeel 2020, DDPM",
        "Song, Meng & Ermon 2021, DDIM",
        "Lipman et al. 2023, flow matching",
        "Ho & Salimans 2022, classifier-free guidance",
        "Saharia et al. 2022, dynamic thresholding",
    ],
    formula: concat!(
        "<p>Guided prediction <math><mo>(</mo><mn>1</mn><mo>+</mo><mn>{guidance}</mn><mo>)</mo>",
        "<mi>f</mi><mo>(</mo><msub><mi>x</mi><mi>t</mi></msub><mo>,</mo><mi>c</mi><mo>)</mo><mo>−</mo><mn>{guidance}</mn>",
        "<mi>f</mi><mo>(</mo><msub><mi>x</mi><mi>t</mi></msub><mo>)</mo></math>.</p>",
        "<p>Sampling scales its noise by <math><mn>{temperature}</mn></math>.</p>",
    ),
};

choices! {
    /// Which class the conditional model is asked for.
    pub enum DigitsDrawn {
        All = ("all", "0 to 9, a column each"),
        Zero = ("0", "0"),
        One = ("1", "1"),
        Two = ("2", "2"),
        Three = ("3", "3"),
        Four = ("4", "4"),
        Five = ("5", "5"),
        Six = ("6", "6"),
        Seven = ("7", "7"),
        Eight = ("8", "8"),
        Nine = ("9", "9"),
    }
}

impl DigitsDrawn {
    /// The class asked for; `None`: every class in turn.
    pub fn class(self) -> Option<usize> {
        use thermolab_kit::Choice;
        self.index().checked_sub(1)
    }
}

params! {
    /// Everything a digits run is set up with.
    pub struct DigitsParams {
        #[section("Start")]
        /// The checkpoint needs the default model settings; other settings train from scratch.
        pub start: Start = choice("Start from", Start::Checkpoint),
        pub path: PathParams = group(PathParams {
            // An MLP's eps is not precise enough at small t: grain (docs/labs/digits.md).
            objective: Objective::DdpmX0,
            schedule: Schedule::Cosine,
            diffusion_steps: 1000,
            ..PathParams::default()
        }),
        #[section("Conditioning")]
        /// Tell the network which digit it is (needed for guidance).
        pub conditional: bool = toggle("Class-conditional", true),
        /// Training hides the class this often, teaching the unconditional model too.
        pub label_dropout: f64 = float("Label dropout p", 0.0..=1.0, 0.1).live().when(on("conditional")),
        pub training: TrainingParams = group(TrainingParams {
            width: 512,
            batch: 256,
            lr: 1e-3,
            train_steps: 20_000,
            sample_every: 500,
            ema: 0.999,
            ..TrainingParams::default()
        }),
        pub sampling: SamplingParams = group(SamplingParams {
            clip: Clip::Static,
            clip_bound: 1.0,
            ..SamplingParams::default()
        }),
        #[section("Conditioning")]
        /// Classifier-free guidance: (1 + w) f(x, class) - w f(x, none).
        pub guidance: f64 = float("Guidance scale w", 0.0..=10.0, 1.0).live().when(on("conditional")),
        /// Which class the conditional model is asked for.
        pub digit: DigitsDrawn = choice("Digits drawn", DigitsDrawn::All).live().when(on("conditional")),
        #[section("View")]
        /// Samples drawn at each sampling, shown ten to a row.
        pub particles: usize = int("Digits sampled", 10..=400, 100).log().live(),
        /// The t of the forward-noising view.
        pub view_t: f64 = float("View time t", 0.0..=1.0, 0.5).live(),
    }
    limits: digits_work
}

/// Pixels of the shipped digits, what the limits count on.
const SHIPPED_PIXELS: usize = 14 * 14;

/// The network for digits of `dims` pixels.
fn network_shape(params: &DigitsParams, dims: usize) -> Shape {
    Shape {
        dims,
        classes: if params.conditional { CLASSES } else { 0 },
        width: params.training.width,
        depth: params.training.depth,
    }
}

fn digits_work(params: &DigitsParams) -> Result<(), thermolab_core::params::ParamError> {
    // Guidance calls the network twice per sampling step, with and without the class.
    let calls = if params.conditional && params.guidance != 0.0 {
        2
    } else {
        1
    };
    work_limits(
        network_shape(params, SHIPPED_PIXELS),
        &params.training,
        &params.sampling,
        (params.particles, calls),
    )
}

/// What a checkpoint records of the settings it was trained with; it only
/// fits a run whose entries are the same. A setting that does not apply
/// (a flow model's noise schedule) is not part of it.
fn checkpoint_identity(params: &DigitsParams) -> BTreeMap<String, String> {
    run::checkpoint_identity(
        &[
            ("objective", params.path.objective.to_value()),
            ("schedule", params.path.schedule.to_value()),
            ("diffusion_steps", params.path.diffusion_steps.to_value()),
            ("conditional", params.conditional.to_value()),
            ("width", params.training.width.to_value()),
            ("depth", params.training.depth.to_value()),
        ],
        &DigitsParams::schema(),
    )
}

/// The trainer to start from: the weights and step count of the model the
/// browser kept, or of the shipped checkpoint, where it fits the settings,
/// else a fresh network; and what happened, in words.
fn starting_trainer(
    shape: Shape,
    params: &DigitsParams,
    (assets, trained): (&Assets, Option<&[u8]>),
    rng: CounterRng,
    compute: &Compute,
) -> (Trainer, u64, String) {
    let fresh = |why: String| {
        let trainer = Trainer::new(shape, (rng, STREAM_INIT), &compute.tensor_device)
            .with_ema(params.training.ema);
        (trainer, 0, why)
    };
    let (file, source) = match trained {
        Some(bytes) => (Ok(bytes), "the model kept in this browser"),
        None if params.start == Start::Scratch => return fresh("from scratch".to_string()),
        None => (assets.get(CHECKPOINT_FILE), "the shipped checkpoint"),
    };
    let loaded = file.and_then(|bytes| {
        let steps = checkpoint::fitting(bytes, &checkpoint_identity(params))?;
        Ok((
            Trainer::from_checkpoint(bytes, shape, &compute.tensor_device)?
                .with_ema(params.training.ema),
            steps,
        ))
    });
    match loaded {
        Err(why) => fresh(format!("from scratch: {why}")),
        Ok((trainer, steps)) => (trainer, steps, format!("{source} ({steps} steps)")),
    }
}

/// The digits lab: the shared loop on 14x14 MNIST digits.
pub type DigitsLab = Diffusion<DigitImages>;

/// The digits: the data, the judge that reads samples, and the views.
pub struct DigitImages {
    digits: Digits,
    judge: NearestMean,
    judge_accuracy: f64,
    /// Fixed for the run: the network's shape and the digits per step.
    shape: Shape,
    batch: usize,
    start_note: String,
    /// Data digits the quality figures use, and the forward view shows.
    view_indices: Vec<usize>,
    /// The class each sample was asked for (empty: unconditional).
    sample_labels: Vec<Option<usize>>,
    agreement: Option<f64>,
    /// Shares of background pixels: the view's real digits, the last samples.
    real_background: f64,
    sample_background: Option<f64>,
    /// A classifier's held-out accuracy telling the last samples from real digits.
    two_sample: Option<TwoSample>,
}

impl DigitImages {
    pub fn sample_labels(&self) -> &[Option<usize>] {
        &self.sample_labels
    }

    /// The share of samples the nearest-class-mean judge reads as the class
    /// they were asked for (conditional models only).
    pub fn agreement(&self) -> Option<f64> {
        self.agreement
    }

    /// The share of the last samples' pixels that are background (within
    /// [`BACKGROUND_TOLERANCE`] of -1), and the real digits' share.
    pub fn background(&self) -> Option<(f64, f64)> {
        self.sample_background.map(|s| (s, self.real_background))
    }

    /// How well a classifier tells the last samples from as many real digits.
    pub fn two_sample(&self) -> Option<TwoSample> {
        self.two_sample
    }

    pub fn judge_accuracy(&self) -> f64 {
        self.judge_accuracy
    }

    fn dims(&self) -> usize {
        self.shape.dims
    }

    /// Sliced W2 between the view's digits and fresh data draws, as many as
    /// the samples (averaged over a few draws, as one varies).
    fn data_floor(&self, rng: CounterRng, params: &DigitsParams) -> f64 {
        let n = params.particles.min(self.view_indices.len());
        let view = self.digits.batch(&self.view_indices[..n]);
        let draws = 4;
        (0..draws)
            .map(|k| {
                let other = self.digits.draw(rng, n, FLOOR_DRAW - k, STREAM_DATA);
                sliced_wasserstein_in(&view, &self.digits.batch(&other), self.dims())
            })
            .sum::<f64>()
            / f64::from(draws)
    }

    /// The class each of the samples is asked for.
    fn labels_to_sample(&self, params: &DigitsParams) -> Vec<Option<usize>> {
        if self.shape.classes == 0 {
            return Vec::new();
        }
        let asked = params.digit.class();
        (0..params.particles)
            .map(|i| Some(asked.unwrap_or(i % CLASSES)))
            .collect()
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
    fn forward_images(&self, run: &Run, params: &DigitsParams) -> Vec<Vec<f32>> {
        let dims = self.dims();
        let (t, path) = (params.view_t, &run.path);
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
                    let eps = f64::from(run.rng.normal(counter, VIEW_DRAW, STREAM_VIEW_EPS));
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
impl Domain for DigitImages {
    type Params = DigitsParams;

    const ABOUT: About = ABOUT;

    fn presets() -> Vec<Preset> {
        crate::presets::digits()
    }

    fn training(params: &DigitsParams) -> &TrainingParams {
        &params.training
    }

    fn start(context: &LabContext, params: &DigitsParams) -> Result<(Self, Run), String> {
        let digits = context.assets.get(DIGITS_FILE).and_then(Digits::parse)?;
        let rng = CounterRng::new(context.seed);
        let shape = network_shape(params, digits.dims());
        let (trainer, trained, start_note) = starting_trainer(
            shape,
            params,
            (context.assets, context.trained),
            rng,
            context.compute,
        );
        let judge = NearestMean::fit(&digits);
        let judge_accuracy = judge.accuracy_on_data(&digits, JUDGE_STRIDE);
        let view_indices = digits.draw(rng, VIEW_DIGITS, VIEW_DRAW, STREAM_DATA);
        let real_background =
            share_within(&digits.batch(&view_indices), -1.0, BACKGROUND_TOLERANCE);
        let images = Self {
            judge,
            judge_accuracy,
            shape,
            batch: params.training.batch,
            start_note,
            view_indices,
            sample_labels: Vec::new(),
            agreement: None,
            real_background,
            sample_background: None,
            two_sample: None,
            digits,
        };
        let progress = Progress::new(
            trained,
            params.training.train_steps,
            "sliced W2 to real digits",
        );
        let mut run = Run::new(context, &params.path, trainer, progress);
        run.floor = images.data_floor(rng, params);
        Ok((images, run))
    }

    /// A batch of digits, each at its own t, its class hidden with
    /// probability p; the noise is drawn per pixel.
    fn batch(&self, run: &Run, params: &DigitsParams, draw: u32) -> Result<Batch, RunError> {
        let (rng, dims) = (run.rng, self.dims());
        let indices = self.digits.draw(rng, self.batch, draw, STREAM_DATA);
        let x0 = self.digits.batch(&indices);
        let labels = if self.shape.classes > 0 {
            let classes: Vec<usize> = indices.iter().map(|i| self.digits.label(*i)).collect();
            let uniforms: Vec<f64> = (0..indices.len())
                .map(|i| f64::from(rng.uniform(i as u32, draw, STREAM_DROP)))
                .collect();
            drop_labels(&classes, &uniforms, params.label_dropout)
        } else {
            Vec::new()
        };
        let times: Vec<f64> = (0..indices.len())
            .map(|i| {
                run.path
                    .training_time(f64::from(rng.uniform(i as u32, draw, STREAM_TIME)))
            })
            .collect();
        let (inputs, targets) = run.noised(&x0, dims, &times, params.path.gamma, |j| {
            let counter = j as u32;
            (
                f64::from(rng.normal(counter, draw, STREAM_EPS)),
                f64::from(rng.normal(counter, draw, STREAM_XI)),
            )
        });
        Ok(Batch {
            inputs,
            targets,
            times,
            labels,
        })
    }

    async fn resample(&mut self, run: &mut Run, params: &DigitsParams) -> Result<(), RunError> {
        let network = run.trainer.network();
        let labels = self.labels_to_sample(params);
        let dims = self.dims();
        let samples = run
            .sample(
                &network,
                (&labels, params.guidance),
                &params.sampling.settings(),
                (STREAM_SAMPLER_INITIAL, STREAM_SAMPLER_INJECTED),
                sampler::Shape {
                    particles: params.particles,
                    dims,
                    traced: TRACED,
                    // Dynamic thresholding ranks each image's pixels on their own (Imagen).
                    clip_group: dims,
                },
            )
            .await?;
        let n = params.particles.min(self.view_indices.len());
        let view = self.digits.batch(&self.view_indices[..n]);
        run.progress.quality.push(
            run.progress.trained as f64,
            sliced_wasserstein_in(&samples.x, &view, dims),
        );
        self.agreement = (!labels.is_empty()).then(|| {
            let asked: Vec<usize> = labels.iter().flatten().copied().collect();
            self.judge.agreement(&samples.x, &asked)
        });
        self.sample_background = Some(share_within(&samples.x, -1.0, BACKGROUND_TOLERANCE));
        self.two_sample = classifier_two_sample(&samples.x, &view, dims);
        run.samples = Some(samples);
        self.sample_labels = labels;
        run.progress.stale = false;
        Ok(())
    }

    fn live_changed(&mut self, run: &mut Run, old: &DigitsParams, new: &DigitsParams) {
        if new.particles != old.particles {
            run.floor = self.data_floor(run.rng, new);
        }
        run.progress.stale |= new.sampling.settings() != old.sampling.settings()
            || new.guidance != old.guidance
            || new.digit != old.digit
            || new.particles != old.particles;
    }

    async fn checkpoint(
        &self,
        run: &Run,
        params: &DigitsParams,
    ) -> Option<Result<Vec<u8>, RunError>> {
        Some(
            run.model_file(checkpoint_identity(params), "thermolab digits MLP")
                .await,
        )
    }

    fn view(&self, run: &Run, params: &DigitsParams) -> View {
        let dims = self.dims();
        let samples = run.samples.as_ref();
        let sample_images: Vec<Vec<f32>> = samples.map_or(Vec::new(), |s| {
            s.x.chunks(dims)
                .map(|image| image.iter().map(|v| *v as f32).collect())
                .collect()
        });
        let trajectories = samples.map_or(Vec::new(), |s| Self::trajectory_images(s, dims));
        let progress = &run.progress;
        let [loss_chart, quality_chart] = progress.charts(run.floor, "real vs real digits (floor)");
        let mut figures = vec![
            progress.loss_figure(),
            progress.quality_figure(
                "Sliced W2 to real digits",
                format!("floor {:.4} (real vs real)", run.floor),
            ),
        ];
        figures.push(Figure {
            key: "background".to_string(),
            label: "Background pixels".to_string(),
            value: self.sample_background.map(|share| 100.0 * share),
            unit: "%".to_string(),
            note: format!(
                "within {BACKGROUND_TOLERANCE} of -1 (real digits: {:.0}%); grain shows as fewer",
                100.0 * self.real_background
            ),
        });
        figures.push(Figure {
            key: "two_sample".to_string(),
            label: "Real or generated".to_string(),
            value: self.two_sample.map(|test| 100.0 * test.accuracy),
            unit: "%".to_string(),
            note: self.two_sample.map_or(String::new(), |test| {
                format!(
                    "a classifier's accuracy telling samples from real digits on {} held out; \
                     50% cannot tell (chance: 50 +- {:.0}%)",
                    test.tested,
                    100.0 * test.chance_band()
                )
            }),
        });
        if self.shape.classes > 0 {
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
        let t = params.view_t;
        let mut facts = run.facts(params.sampling.settings().clip);
        facts.insert(1, ("Started from".to_string(), self.start_note.clone()));
        let samples_title = match (self.shape.classes, params.digit.class()) {
            (0, _) => "Generated digits (unconditional)".to_string(),
            (_, None) => format!(
                "Generated digits, a column per class, guidance w = {}",
                params.guidance
            ),
            (_, Some(d)) => format!("Generated {d}s, guidance w = {}", params.guidance),
        };
        View {
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
                    self.forward_images(run, params),
                ),
                loss_chart,
                quality_chart,
            ],
            facts,
        }
    }
}
