//! The Diffusion lab: a small MLP denoiser learns a 2-D distribution while
//! the page samples it. Training is DDPM's or flow matching's regression,
//! with optional input perturbation; sampling is DDPM's ancestral sampler,
//! DDIM or an Euler ODE solver, with live temperature, x_0 clipping and
//! dynamic thresholding. One step is one Adam step on a batch; the model is
//! sampled every few steps and whenever a sampling control moves.

use std::collections::BTreeMap;

use thermolab_core::experiment::{Chart, ChartKind, Figure, PointGroup, Preset, RunError, View};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::checkpoint;
use thermolab_kit::params::{ParamValue, choice, float, group, int, is, points};
use thermolab_kit::{About, BenchmarkEntry, LabContext, ParamSet, StillRecipe, params};

use crate::bench::DiffusionThroughput;
use crate::data::{Dataset, MIXTURE};
use crate::denoise::{Denoised, Denoiser, Objective};
use crate::metrics;
use crate::model::{self, Network, Trainer};
use crate::path::NoisePath;
use crate::progress::Progress;
use crate::run::{
    self, Batch, Diffusion, Domain, FLOOR_DRAW, Run, STREAM_EPS, STREAM_INIT, STREAM_TIME,
    STREAM_VIEW_EPS, STREAM_XI, VIEW_DRAW,
};
use crate::sampler::{Samples, Shape};
use crate::settings::{PathParams, SamplingParams, TrainingParams, work_limits};

const DIMS: usize = 2;
/// Particles whose reverse paths are drawn.
const TRACED: usize = 200;
/// Data points drawn behind the samples, and used by the quality figures.
const VIEW_POINTS: usize = 2000;
/// Side of the grid the learned field is drawn on.
const FIELD_SIDE: usize = 17;
const FIELD_EXTENT: f64 = 2.5;
/// Drawn points kept (the drawing travels in the URL).
const MAX_DRAWN_POINTS: usize = 200;
/// A sample this close to the curve the data is drawn around is on the data.
pub const NEAR_CURVE: f64 = 0.1;
/// RNG streams of the sampler (the data's own streams are 0..4, the
/// training noise's and the views' are in `run`).
const STREAM_SAMPLER_INITIAL: u32 = 200;
const STREAM_SAMPLER_INJECTED: u32 = 210;

const ABOUT: About = About {
    id: "diffusion",
    title: "Diffusion",
    summary: "Train a small diffusion or flow model on 2-D data and sample it live: temperature, \
              x0 clipping, dynamic thresholding, DDPM, DDIM and Euler.",
    explanation: &[
        "Training noises data along a path x_t = alpha_t x_0 + sigma_t eps (DDPM: a variance-\
         preserving schedule of T steps; flow matching: the straight line from data at t = 0 to \
         noise at t = 1) and teaches a small network to undo it: DDPM predicts the noise eps, flow \
         matching the velocity eps - x_0. Input perturbation gamma trains on slightly wrong \
         inputs, as the model's own samples are.",
        "Sampling starts from noise scaled by the temperature at t = 1 and walks down to t = 0. \
         At each time the network's estimate of x_0 may be clipped to [-c, c], or dynamically \
         thresholded: past the p-th percentile of |x_0|, the whole estimate is scaled back into \
         [-c, c]. DDPM's ancestral sampler adds fresh noise each step, DDIM's eta sets how much \
         (0: none, a deterministic map from the initial noise), Euler integrates the ODE. The \
         particles always start from the same noise, so a control's effect is seen on the same \
         points.",
        "Quality is the sliced Wasserstein distance between samples and fresh data; two data sets \
         of the same size are this far apart by chance (the floor). Averaged over directions, it \
         hardly sees samples that fill the gaps between a spiral's arms, so where the data is \
         drawn around a known curve (the swiss roll's spiral, the moons' arcs, the eight centres, \
         your points) the page also shows the share of samples within 0.1 of it, beside the \
         data's own share. On the Gaussian mixture the exact noised score is known, and the page \
         shows the network's relative error against it at the view's t.",
        "Training takes large steps first and small ones last: the learning rate (0.02 by default) decays \
         along a cosine to 0 at the budget. Held constant, a step this large stays noisy and one \
         ten times smaller trains too little; both leave samples between the spiral's arms. \
         Samples are drawn with a moving average of the weights.",
    ],
    assets: &[],
    bench_page: false,
    checkpoint: true,
    main_chart: "samples",
    presenter: &["temperature", "clip", "clip_bound", "sample_steps"],
    still: Some(StillRecipe {
        chart: "samples",
        set: &["train_steps=400", "particles=600", "sample_steps=30"],
        steps: 400,
    }),
    papers: &[
        "Ho, Jain & Abbeel 2020, DDPM",
        "Song, Meng & Ermon 2021, DDIM",
        "Lipman et al. 2023, flow matching",
        "Liu et al. 2023, rectified flow",
        "Saharia et al. 2022, dynamic thresholding",
    ],
    formula: concat!(
        "<p>A sampling step <math><msub><mi>x</mi><mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow></msub><mo>=</mo>",
        "<msub><mi>μ</mi><mi>θ</mi></msub><mo>(</mo><msub><mi>x</mi><mi>t</mi></msub><mo>,</mo><mi>t</mi><mo>)</mo>",
        "<mo>+</mo><mn>{temperature}</mn><msub><mi>σ</mi><mi>t</mi></msub><mi>z</mi></math>.</p>",
        "<p>Clipping keeps the estimate of the clean point in <math><mo>[</mo><mo>−</mo><mn>{clip_bound}</mn><mo>,</mo><mn>{clip_bound}</mn><mo>]</mo></math>.</p>",
    ),
};

params! {
    /// Everything a 2-D diffusion run is set up with.
    pub struct DiffusionParams {
        #[section("Data")]
        /// The 2-D distribution the model learns.
        pub data: Dataset = choice("Data", Dataset::TwoMoons),
        /// With Data: your drawing, click or drag on the samples chart to add points; the model learns them as it trains.
        pub drawing: Vec<[f64; 2]> = points("Your drawing", FIELD_EXTENT, MAX_DRAWN_POINTS, "samples").live().when(is("data", &[Dataset::Drawing])),
        pub path: PathParams = group(PathParams::default()),
        pub training: TrainingParams = group(TrainingParams::default()),
        pub sampling: SamplingParams = group(SamplingParams::default()),
        #[section("View")]
        /// Samples drawn at each sampling.
        pub particles: usize = int("Particles", 16..=20_000, 1000).log().live(),
        /// The t of the forward-noising view and of the learned field.
        pub view_t: f64 = float("View time t", 0.0..=1.0, 0.3).live(),
    }
    limits: plane_work
}

fn network_shape(params: &DiffusionParams) -> model::Shape {
    model::Shape {
        dims: DIMS,
        classes: 0,
        width: params.training.width,
        depth: params.training.depth,
    }
}

/// What a model file records of the settings it was trained with: its
/// network's shape, what its output means, and the data it learnt.
fn checkpoint_identity(params: &DiffusionParams) -> BTreeMap<String, String> {
    run::checkpoint_identity(
        &[
            ("objective", params.path.objective.to_value()),
            ("schedule", params.path.schedule.to_value()),
            ("diffusion_steps", params.path.diffusion_steps.to_value()),
            ("data", params.data.to_value()),
            ("width", params.training.width.to_value()),
            ("depth", params.training.depth.to_value()),
        ],
        &DiffusionParams::schema(),
    )
}

/// The trainer to start from: the model the browser kept where it fits
/// the settings, else a fresh network; and the steps it brought.
fn starting_trainer(context: &LabContext, params: &DiffusionParams) -> (Trainer, u64) {
    let shape = network_shape(params);
    let device = &context.compute.tensor_device;
    let kept = context.trained.and_then(|bytes| {
        let steps = checkpoint::fitting(bytes, &checkpoint_identity(params)).ok()?;
        Some((Trainer::from_checkpoint(bytes, shape, device).ok()?, steps))
    });
    let (trainer, trained) = kept.unwrap_or_else(|| {
        let rng = CounterRng::new(context.seed);
        (Trainer::new(shape, (rng, STREAM_INIT), device), 0)
    });
    (trainer.with_ema(params.training.ema), trained)
}

fn plane_work(params: &DiffusionParams) -> Result<(), thermolab_core::params::ParamError> {
    work_limits(
        network_shape(params),
        &params.training,
        &params.sampling,
        (params.particles, 1),
    )
}

/// The exact denoiser of the Gaussian mixture: E[x_0 | x_t] in closed form.
pub struct MixtureDenoiser<'a> {
    pub path: &'a NoisePath,
}

#[async_trait::async_trait(?Send)]
impl Denoiser for MixtureDenoiser<'_> {
    async fn denoise(&self, x: &[f64], t: f64) -> Result<Denoised, RunError> {
        let (alpha, sigma) = self.path.alpha_sigma(t);
        let x0: Vec<f64> = x
            .chunks(DIMS)
            .flat_map(|p| MIXTURE.posterior_mean([p[0], p[1]], alpha, sigma))
            .collect();
        Ok(Denoised::from_x0(x, x0, alpha, sigma))
    }
}

/// Forward-noised view points at time `t`: x_t of the view's data.
pub fn forward_noised(
    path: &NoisePath,
    data: &[[f64; 2]],
    rng: CounterRng,
    t: f64,
) -> Vec<[f64; 2]> {
    data.iter()
        .enumerate()
        .map(|(i, p)| {
            let eps = |d: u32| f64::from(rng.normal(i as u32, VIEW_DRAW, STREAM_VIEW_EPS + d));
            [path.noised(p[0], eps(0), t), path.noised(p[1], eps(1), t)]
        })
        .collect()
}

/// Relative squared error of a denoiser's noise estimate against the exact
/// one, -sigma times the mixture's score, at the mixture's noised points.
pub async fn mixture_score_error(
    denoiser: &dyn Denoiser,
    path: &NoisePath,
    points: &[[f64; 2]],
    t: f64,
) -> Result<f64, RunError> {
    let (alpha, sigma) = path.alpha_sigma(t);
    let x: Vec<f64> = points.iter().flatten().copied().collect();
    let estimate = denoiser.denoise(&x, t).await?;
    let (mut error, mut norm) = (0.0, 0.0);
    for (p, eps) in points.iter().zip(estimate.eps.chunks(DIMS)) {
        let score = MIXTURE.score(*p, alpha, sigma);
        for d in 0..DIMS {
            let exact = -sigma * score[d];
            error += (eps[d] - exact).powi(2);
            norm += exact * exact;
        }
    }
    Ok(error / norm)
}

fn to_points(values: &[f64]) -> Vec<[f64; 2]> {
    values.chunks(DIMS).map(|p| [p[0], p[1]]).collect()
}

fn to_f32(points: &[[f64; 2]]) -> Vec<[f32; 2]> {
    points.iter().map(|[x, y]| [*x as f32, *y as f32]).collect()
}

/// The 2-D lab: the shared loop on the plane's data.
pub type DiffusionLab = Diffusion<Plane>;

/// The plane: what the model learns and the views drawn over it.
pub struct Plane {
    /// Fixed for the run: what the model learns, and from how many points a step.
    data: Dataset,
    batch: usize,
    view_data: Vec<[f64; 2]>,
    forward_view: Vec<[f64; 2]>,
    field: Vec<[f32; 4]>,
    score_error: Option<f64>,
    /// The curve or points the data is drawn around, where it is one.
    generating_set: Option<Vec<[[f64; 2]; 2]>>,
    /// Shares within [`NEAR_CURVE`] of it: the view's data, the last samples.
    data_near_curve: Option<f64>,
    samples_near_curve: Option<f64>,
}

impl Plane {
    /// On the Gaussian mixture: the network's relative error against the
    /// exact score at the view's t.
    pub fn score_error(&self) -> Option<f64> {
        self.score_error
    }

    /// The share of the last samples within [`NEAR_CURVE`] of the curve the
    /// data is drawn around, and the data's own share.
    pub fn near_curve(&self) -> Option<(f64, f64)> {
        self.samples_near_curve.zip(self.data_near_curve)
    }

    /// The generating set of `drawing`'s data, and the view data's share near it.
    fn measure_generating_set(&mut self, drawing: &[[f64; 2]]) {
        self.generating_set = self.data.generating_set(drawing);
        self.data_near_curve = self
            .generating_set
            .as_ref()
            .map(|curve| metrics::share_near(&self.view_data, curve, NEAR_CURVE));
    }

    /// How far apart two data sets of the samples' size are by chance: the
    /// mean sliced W2 from the view's data to a few fresh draws (one draw
    /// alone varies by about 30%).
    fn data_floor(&self, rng: CounterRng, params: &DiffusionParams) -> f64 {
        let n = params.particles.min(self.view_data.len());
        let draws = 4;
        (0..draws)
            .map(|k| {
                let other = self.data.points(&params.drawing, rng, n, FLOOR_DRAW - k);
                metrics::sliced_wasserstein(&self.view_data[..n], &other)
            })
            .sum::<f64>()
            / f64::from(draws)
    }

    /// `particles` samples of `network` with the live sampler settings, the
    /// paths of the first `traced` kept.
    pub(crate) async fn sample(
        run: &Run,
        network: &Network,
        params: &DiffusionParams,
        (particles, traced): (usize, usize),
    ) -> Result<Samples, RunError> {
        let shape = Shape {
            particles,
            dims: DIMS,
            traced,
            clip_group: particles * DIMS,
        };
        run.sample(
            network,
            (&[], 0.0),
            &params.sampling.settings(),
            (STREAM_SAMPLER_INITIAL, STREAM_SAMPLER_INJECTED),
            shape,
        )
        .await
    }

    /// The learned field at the view's t on a grid: the score -eps / sigma
    /// (DDPM) or the velocity (flow matching), as (x, y, dx, dy).
    async fn field_arrows(
        run: &Run,
        network: &Network,
        view_t: f64,
    ) -> Result<Vec<[f32; 4]>, RunError> {
        let t = view_t.max(0.02);
        let grid: Vec<f64> = (0..FIELD_SIDE * FIELD_SIDE)
            .flat_map(|k| {
                let coordinate = |i: usize| {
                    -FIELD_EXTENT + 2.0 * FIELD_EXTENT * i as f64 / (FIELD_SIDE - 1) as f64
                };
                [coordinate(k % FIELD_SIDE), coordinate(k / FIELD_SIDE)]
            })
            .collect();
        let output = network.predict(&grid, t, &[]).await?;
        let (_, sigma) = run.path.alpha_sigma(t);
        // The score is -eps / sigma, whichever of eps and x_0 the network predicts.
        let arrows = match run.objective {
            Objective::Ddpm | Objective::DdpmX0 => run
                .objective
                .denoised(&run.path, &grid, &output, t)
                .eps
                .iter()
                .map(|eps| -eps / sigma)
                .collect(),
            Objective::FlowMatching => output,
        };
        Ok(grid
            .chunks(DIMS)
            .zip(arrows.chunks(DIMS))
            .map(|(p, v)| [p[0] as f32, p[1] as f32, v[0] as f32, v[1] as f32])
            .collect())
    }
}

fn scatter(key: &str, title: &str, groups: Vec<PointGroup>) -> Chart {
    Chart {
        key: key.to_string(),
        title: title.to_string(),
        x_label: "x".to_string(),
        y_label: "y".to_string(),
        kind: ChartKind::Scatter { groups },
    }
}

#[async_trait::async_trait(?Send)]
impl Domain for Plane {
    type Params = DiffusionParams;

    const ABOUT: About = ABOUT;

    fn presets() -> Vec<Preset> {
        crate::presets::plane()
    }

    fn training(params: &DiffusionParams) -> &TrainingParams {
        &params.training
    }

    fn start(context: &LabContext, params: &DiffusionParams) -> Result<(Self, Run), String> {
        let rng = CounterRng::new(context.seed);
        let (trainer, trained) = starting_trainer(context, params);
        let progress = Progress::new(trained, params.training.train_steps, "sliced W2 to data");
        let mut run = Run::new(context, &params.path, trainer, progress);
        let view_data = params
            .data
            .points(&params.drawing, rng, VIEW_POINTS, VIEW_DRAW);
        let mut plane = Self {
            data: params.data,
            batch: params.training.batch,
            forward_view: forward_noised(&run.path, &view_data, rng, params.view_t),
            view_data,
            field: Vec::new(),
            score_error: None,
            generating_set: None,
            data_near_curve: None,
            samples_near_curve: None,
        };
        plane.measure_generating_set(&params.drawing);
        run.floor = plane.data_floor(rng, params);
        Ok((plane, run))
    }

    async fn checkpoint(
        &self,
        run: &Run,
        params: &DiffusionParams,
    ) -> Option<Result<Vec<u8>, RunError>> {
        Some(
            run.model_file(checkpoint_identity(params), "thermolab 2-D MLP")
                .await,
        )
    }

    /// A fresh batch of the data: t, eps and xi drawn for each point.
    fn batch(&self, run: &Run, params: &DiffusionParams, draw: u32) -> Result<Batch, RunError> {
        if self.data == Dataset::Drawing && params.drawing.is_empty() {
            return Err(RunError::Failed(
                "no points drawn yet: click or drag on the samples chart, then press play"
                    .to_string(),
            ));
        }
        let rng = run.rng;
        let x0: Vec<f64> = self
            .data
            .points(&params.drawing, rng, self.batch, draw)
            .into_iter()
            .flatten()
            .collect();
        let times: Vec<f64> = (0..self.batch as u32)
            .map(|i| {
                run.path
                    .training_time(f64::from(rng.uniform(i, draw, STREAM_TIME)))
            })
            .collect();
        let (inputs, targets) = run.noised(&x0, DIMS, &times, params.path.gamma, |j| {
            let (i, d) = ((j / DIMS) as u32, (j % DIMS) as u32);
            (
                f64::from(rng.normal(i, draw, STREAM_EPS + d)),
                f64::from(rng.normal(i, draw, STREAM_XI + d)),
            )
        });
        Ok(Batch {
            inputs,
            targets,
            times,
            labels: Vec::new(),
        })
    }

    async fn resample(&mut self, run: &mut Run, params: &DiffusionParams) -> Result<(), RunError> {
        let network = run.trainer.network();
        let samples = Self::sample(run, &network, params, (params.particles, TRACED)).await?;
        let sample_points = to_points(&samples.x);
        let n = sample_points.len().min(self.view_data.len());
        if n > 0 {
            run.progress.quality.push(
                run.progress.trained as f64,
                metrics::sliced_wasserstein(&sample_points[..n], &self.view_data[..n]),
            );
        }
        self.samples_near_curve = self
            .generating_set
            .as_ref()
            .map(|curve| metrics::share_near(&sample_points, curve, NEAR_CURVE));
        run.samples = Some(samples);
        self.field = Self::field_arrows(run, &network, params.view_t).await?;
        if self.data == Dataset::Mixture {
            let t = params.view_t.max(0.05);
            let noised = forward_noised(&run.path, &self.view_data, run.rng, t);
            let denoiser = run.denoiser(&network, &[], 0.0);
            self.score_error = Some(mixture_score_error(&denoiser, &run.path, &noised, t).await?);
        }
        run.progress.stale = false;
        Ok(())
    }

    fn live_changed(&mut self, run: &mut Run, old: &DiffusionParams, new: &DiffusionParams) {
        let redrawn = self.data == Dataset::Drawing && new.drawing != old.drawing;
        if redrawn {
            self.view_data = self
                .data
                .points(&new.drawing, run.rng, VIEW_POINTS, VIEW_DRAW);
            self.measure_generating_set(&new.drawing);
        }
        if redrawn || new.particles != old.particles {
            run.floor = self.data_floor(run.rng, new);
        }
        if redrawn || new.view_t != old.view_t {
            self.forward_view = forward_noised(&run.path, &self.view_data, run.rng, new.view_t);
        }
        // Training-only settings (gamma, lr, sample_every) need no new samples;
        // a new drawing shows at once and the model follows as it trains.
        run.progress.stale |= new.sampling.settings() != old.sampling.settings()
            || new.particles != old.particles
            || new.view_t != old.view_t;
    }

    fn view(&self, run: &Run, params: &DiffusionParams) -> View {
        let data_group = PointGroup {
            label: "data".to_string(),
            points: to_f32(&self.view_data),
            marked: false,
        };
        let mut sample_groups = vec![data_group.clone()];
        if self.data == Dataset::Drawing {
            sample_groups.push(PointGroup {
                label: "your points".to_string(),
                points: to_f32(&params.drawing),
                marked: true,
            });
        }
        let mut trajectory_paths = Vec::new();
        if let Some(samples) = &run.samples {
            sample_groups.push(PointGroup {
                label: "samples".to_string(),
                points: to_f32(&to_points(&samples.x)),
                marked: false,
            });
            let traced = samples.trajectories.first().map_or(0, |f| f.len() / DIMS);
            trajectory_paths = (0..traced)
                .map(|i| {
                    samples
                        .trajectories
                        .iter()
                        .map(|frame| [frame[i * DIMS] as f32, frame[i * DIMS + 1] as f32])
                        .collect()
                })
                .collect();
        }
        let t = params.view_t;
        let progress = &run.progress;
        let [loss_chart, quality_chart] = progress.charts(run.floor, "data vs data (floor)");
        let mut figures = vec![
            progress.loss_figure(),
            progress.quality_figure(
                "Sliced W2 to data",
                if run.floor.is_finite() {
                    format!("floor {:.4} (data vs data)", run.floor)
                } else {
                    "no data yet".to_string()
                },
            ),
        ];
        if let Some(data_share) = self.data_near_curve {
            figures.push(Figure {
                key: "near_curve".to_string(),
                label: "Samples on the data".to_string(),
                value: self.samples_near_curve.map(|share| 100.0 * share),
                unit: "%".to_string(),
                note: format!(
                    "within {NEAR_CURVE} of the curve the data is drawn around (the data: {:.0}%)",
                    100.0 * data_share
                ),
            });
        }
        if self.data == Dataset::Mixture {
            figures.push(Figure {
                key: "score_error".to_string(),
                label: "Score error".to_string(),
                value: self.score_error,
                unit: String::new(),
                note: format!(
                    "relative squared error against the exact score at t = {:.2}",
                    t.max(0.05)
                ),
            });
        }
        let field_title = match run.objective {
            Objective::Ddpm | Objective::DdpmX0 => format!("Learned score at t = {t:.2}"),
            Objective::FlowMatching => format!("Learned velocity at t = {t:.2}"),
        };
        View {
            figures,
            charts: vec![
                scatter("samples", "Samples and data", sample_groups),
                Chart {
                    key: "trajectories".to_string(),
                    title: "Reverse trajectories, noise to data".to_string(),
                    x_label: "x".to_string(),
                    y_label: "y".to_string(),
                    kind: ChartKind::Paths {
                        paths: trajectory_paths,
                    },
                },
                scatter(
                    "forward",
                    &format!("Forward noising at t = {t:.2}"),
                    vec![
                        data_group,
                        PointGroup {
                            label: format!("x_t, t = {t:.2}"),
                            points: to_f32(&self.forward_view),
                            marked: false,
                        },
                    ],
                ),
                Chart {
                    key: "field".to_string(),
                    title: field_title,
                    x_label: "x".to_string(),
                    y_label: "y".to_string(),
                    kind: ChartKind::Arrows {
                        arrows: self.field.clone(),
                    },
                },
                loss_chart,
                quality_chart,
            ],
            facts: run.facts(params.sampling.settings().clip),
        }
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        vec![BenchmarkEntry::of::<DiffusionThroughput>()]
    }
}
