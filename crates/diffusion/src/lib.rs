//! The Diffusion lab: a small MLP denoiser learns a 2-D distribution while
//! the page samples it. Training is DDPM's or flow matching's regression,
//! with optional input perturbation; sampling is DDPM's ancestral sampler,
//! DDIM or an Euler ODE solver, with live temperature, x_0 clipping and
//! dynamic thresholding. One step is one Adam step on a batch; the model is
//! sampled every few steps and whenever a sampling control moves.

pub mod bench;
pub mod clipping;
pub mod data;
pub mod ddim;
pub mod ddpm;
pub mod denoise;
pub mod digits;
pub mod digits_lab;
pub mod flow_matching;
pub mod guidance;
pub mod metrics;
pub mod model;
pub mod path;
pub mod progress;
pub mod sampler;

use thermolab_core::experiment::{
    Chart, ChartKind, Experiment, Figure, LabInfo, PointGroup, RunError, Snapshot, StepOutcome,
    ensure_finite,
};
use thermolab_core::params::{ParamError, ParamSpec, Params, Schema, Value};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::Compute;

use clipping::X0Clip;
use data::{Dataset, MIXTURE};
use denoise::{Denoised, Denoiser, Objective};
use model::{Network, Trainer};
use path::{NoisePath, Schedule};
use progress::Progress;
use sampler::{NoiseSource, Sampler, Samples, Settings, Shape};

pub const ID: &str = "diffusion";
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
/// Fixed draws of the data that views use, far from any training step's.
pub(crate) const VIEW_DRAW: u32 = u32::MAX;
pub(crate) const FLOOR_DRAW: u32 = u32::MAX - 1;
/// RNG streams (the data's own streams are 0..4).
pub(crate) const STREAM_EPS: u32 = 100;
pub(crate) const STREAM_XI: u32 = 110;
pub(crate) const STREAM_TIME: u32 = 120;
pub(crate) const STREAM_SAMPLER_INITIAL: u32 = 200;
pub(crate) const STREAM_SAMPLER_INJECTED: u32 = 210;
pub(crate) const STREAM_VIEW_EPS: u32 = 300;
pub(crate) const STREAM_INIT: u32 = 400;

pub fn info() -> LabInfo {
    LabInfo {
        id: ID.to_string(),
        title: "Diffusion".to_string(),
        summary: "Train a small diffusion or flow model on 2-D data and sample it live: temperature, \
                  x0 clipping, dynamic thresholding, DDPM, DDIM and Euler."
            .to_string(),
        explanation: vec![
            "Training noises data along a path x_t = alpha_t x_0 + sigma_t eps (DDPM: a variance-\
             preserving schedule of T steps; flow matching: the straight line from data at t = 0 to \
             noise at t = 1) and teaches a small network to undo it: DDPM predicts the noise eps, flow \
             matching the velocity eps - x_0. Input perturbation gamma trains on slightly wrong \
             inputs, as the model's own samples are."
                .to_string(),
            "Sampling starts from noise scaled by the temperature at t = 1 and walks down to t = 0. \
             At each time the network's estimate of x_0 may be clipped to [-c, c], or dynamically \
             thresholded: past the p-th percentile of |x_0|, the whole estimate is scaled back into \
             [-c, c]. DDPM's ancestral sampler adds fresh noise each step, DDIM's eta sets how much \
             (0: none, a deterministic map from the initial noise), Euler integrates the ODE. The \
             particles always start from the same noise, so a control's effect is seen on the same \
             points."
                .to_string(),
            "Quality is the sliced Wasserstein distance between samples and fresh data; two data sets \
             of the same size are this far apart by chance (the floor). On the Gaussian mixture the \
             exact noised score is known, and the page shows the network's relative error against it \
             at the view's t."
                .to_string(),
        ],
        schema: schema(),
        assets: Vec::new(),
    }
}

pub fn schema() -> Schema {
    let datasets: Vec<(&str, &str)> = Dataset::OPTIONS.to_vec();
    let mut specs = vec![
        ParamSpec::choice("data", "Data", &datasets, "two_moons")
            .help("The 2-D distribution the model learns."),
        ParamSpec::points("drawing", "Your drawing", FIELD_EXTENT, MAX_DRAWN_POINTS, "samples")
            .live()
            .help("With Data: your drawing, click or drag on the samples chart to add points; the model learns them as it trains."),
    ];
    specs.extend(path_specs("linear", 100));
    specs.extend([
        ParamSpec::int("width", "Hidden width", 8, 512, 128)
            .log()
            .help("Units per hidden layer of the MLP."),
        ParamSpec::int("depth", "Hidden layers", 1, 6, 3).help("Hidden layers of the MLP (SiLU)."),
        ParamSpec::int("batch", "Batch", 8, 4096, 512)
            .log()
            .help("Data points per Adam step."),
        ParamSpec::float("lr", "Learning rate", 1e-5, 0.1, 2e-3)
            .log()
            .live()
            .help("Adam's step size."),
        ParamSpec::int("train_steps", "Training budget", 1, 200_000, 4000)
            .log()
            .unit("steps")
            .help("Adam steps before training stops; sampling controls still act afterwards."),
    ]);
    specs.extend(sampling_specs("none", 2.0));
    specs.extend([
        ParamSpec::int("particles", "Particles", 16, 20_000, 1000)
            .log()
            .live()
            .help("Samples drawn at each sampling."),
        ParamSpec::int("sample_every", "Sample every", 1, 5000, 200)
            .log()
            .live()
            .unit("steps")
            .help("Training steps between two samplings of the model."),
        ParamSpec::float("view_t", "View time t", 0.0, 1.0, 0.3)
            .live()
            .help("The t of the forward-noising view and of the learned field."),
    ]);
    Schema::new(specs)
}

/// The noising path and its objective, shared by both diffusion labs.
pub(crate) fn path_specs(schedule: &str, diffusion_steps: i64) -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice(
            "objective",
            "Objective",
            &[
                ("ddpm", "DDPM (predict the noise)"),
                ("flow", "Flow matching (predict the velocity)"),
            ],
            "ddpm",
        )
        .help("What the network regresses onto along the noising path."),
        ParamSpec::choice(
            "schedule",
            "Noise schedule",
            &[("linear", "Linear"), ("cosine", "Cosine")],
            schedule,
        )
        .help("DDPM: how beta_t grows (linear, Ho et al.; cosine, Nichol & Dhariwal)."),
        ParamSpec::int(
            "diffusion_steps",
            "Training steps T",
            10,
            1000,
            diffusion_steps,
        )
        .log()
        .help("DDPM: number of noise levels T of the forward process."),
        ParamSpec::float("gamma", "Input perturbation", 0.0, 0.5, 0.0)
            .live()
            .help("gamma: train on x_t made with eps + gamma xi, target eps (Ning et al. 2023)."),
    ]
}

/// The sampler and what it does to x_0 estimates, shared by both diffusion labs.
pub(crate) fn sampling_specs(clip: &str, clip_bound: f64) -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice(
            "sampler",
            "Sampler",
            &[
                ("ancestral", "DDPM ancestral"),
                ("ddim", "DDIM"),
                ("euler", "Euler ODE"),
            ],
            "ancestral",
        )
        .live()
        .help("How to walk from noise to data."),
        ParamSpec::int("sample_steps", "Sampling steps", 1, 1000, 50)
            .log()
            .live()
            .help("Steps of the sampler, independent of T."),
        ParamSpec::float("eta", "DDIM eta", 0.0, 1.0, 0.0)
            .live()
            .help("DDIM: 0 is deterministic, 1 is DDPM's ancestral noise."),
        ParamSpec::float("temperature", "Temperature", 0.0, 2.0, 1.0)
            .live()
            .help("Scales the initial noise and the noise injected at each step."),
        ParamSpec::choice(
            "clip",
            "x0 clipping",
            &[
                ("none", "None"),
                ("static", "Clip to [-c, c]"),
                ("dynamic", "Dynamic thresholding"),
            ],
            clip,
        )
        .live()
        .help("What to do with the network's estimate of x_0 at each sampling step."),
        ParamSpec::float("clip_bound", "Clip bound c", 0.1, 5.0, clip_bound)
            .live()
            .help("x_0 estimates are kept inside [-c, c]."),
        ParamSpec::float("percentile", "Threshold percentile", 0.5, 1.0, 0.995)
            .live()
            .help("Dynamic thresholding: the percentile p of |x_0| taken as the threshold s."),
    ]
}

/// Training-time settings; a change restarts the run.
#[derive(Clone, Debug, PartialEq)]
struct Setup {
    data: Dataset,
    objective: Objective,
    path: NoisePath,
    batch: usize,
    train_steps: u64,
}

/// Settings that act on the running experiment.
#[derive(Clone, Debug, PartialEq)]
struct Live {
    gamma: f64,
    learning_rate: f64,
    drawing: Vec<[f64; 2]>,
    sampling: Settings,
    particles: usize,
    sample_every: u64,
    view_t: f64,
}

pub(crate) fn choice<T>(
    params: &Params,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ParamError> {
    let text = params.text(key)?;
    parse(text).ok_or_else(|| ParamError {
        key: key.to_string(),
        message: format!("unknown {key} '{text}'"),
    })
}

/// The objective and its noising path from [`path_specs`]' params.
pub(crate) fn path_from(params: &Params) -> Result<(Objective, NoisePath), ParamError> {
    let objective = choice(params, "objective", |s| match s {
        "ddpm" => Some(Objective::Ddpm),
        "flow" => Some(Objective::FlowMatching),
        _ => None,
    })?;
    let schedule = choice(params, "schedule", |s| match s {
        "linear" => Some(Schedule::Linear),
        "cosine" => Some(Schedule::Cosine),
        _ => None,
    })?;
    let path = objective.path(schedule, params.int("diffusion_steps")? as usize);
    Ok((objective, path))
}

/// The sampler settings from [`sampling_specs`]' params.
pub(crate) fn sampling_from(params: &Params) -> Result<Settings, ParamError> {
    let bound = params.float("clip_bound")?;
    let clip = match params.text("clip")? {
        "static" => X0Clip::Static { bound },
        "dynamic" => X0Clip::Dynamic {
            bound,
            percentile: params.float("percentile")?,
        },
        _ => X0Clip::None,
    };
    let sampler = choice(params, "sampler", |s| match s {
        "ancestral" => Some(Sampler::Ancestral),
        "ddim" => Some(Sampler::Ddim),
        "euler" => Some(Sampler::Euler),
        _ => None,
    })?;
    Ok(Settings {
        sampler,
        steps: params.int("sample_steps")? as usize,
        eta: params.float("eta")?,
        temperature: params.float("temperature")?,
        clip,
    })
}

/// What the snapshot says of the x_0 clipping in use.
pub(crate) fn clip_fact(clip: X0Clip) -> String {
    match clip {
        X0Clip::None => "none".to_string(),
        X0Clip::Static { bound } => format!("clip to [-{bound}, {bound}]"),
        X0Clip::Dynamic { bound, percentile } => {
            format!("dynamic, p = {percentile}, c = {bound}")
        }
    }
}

fn setup_from(params: &Params) -> Result<Setup, ParamError> {
    let (objective, path) = path_from(params)?;
    Ok(Setup {
        data: choice(params, "data", Dataset::from_key)?,
        objective,
        path,
        batch: params.int("batch")? as usize,
        train_steps: params.int("train_steps")? as u64,
    })
}

fn live_from(params: &Params) -> Result<Live, ParamError> {
    let drawing = match params.get("drawing") {
        Some(Value::List(xs)) => xs.chunks_exact(2).map(|p| [p[0], p[1]]).collect(),
        _ => Vec::new(),
    };
    Ok(Live {
        gamma: params.float("gamma")?,
        learning_rate: params.float("lr")?,
        drawing,
        sampling: sampling_from(params)?,
        particles: params.int("particles")? as usize,
        sample_every: params.int("sample_every")? as u64,
        view_t: params.float("view_t")?,
    })
}

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
        let eps = x
            .iter()
            .zip(&x0)
            .map(|(x, x0)| (x - alpha * x0) / sigma)
            .collect();
        Ok(Denoised { x0, eps })
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

/// How far apart two data sets of the samples' size are by chance: the mean
/// sliced W2 from the view's data to a few fresh draws (one draw alone
/// varies by about 30%).
fn data_floor(data: Dataset, live: &Live, rng: CounterRng, view_data: &[[f64; 2]]) -> f64 {
    let n = live.particles.min(view_data.len());
    let draws = 4;
    (0..draws)
        .map(|k| {
            let other = data.points(&live.drawing, rng, n, FLOOR_DRAW - k);
            metrics::sliced_wasserstein(&view_data[..n], &other)
        })
        .sum::<f64>()
        / f64::from(draws)
}

/// Whether the data has nothing to train on: an empty drawing.
fn batch_is_empty(data: Dataset, drawing: &[[f64; 2]]) -> bool {
    data == Dataset::Drawing && drawing.is_empty()
}

fn to_points(values: &[f64]) -> Vec<[f64; 2]> {
    values.chunks(DIMS).map(|p| [p[0], p[1]]).collect()
}

fn to_f32(points: &[[f64; 2]]) -> Vec<[f32; 2]> {
    points.iter().map(|[x, y]| [*x as f32, *y as f32]).collect()
}

pub struct DiffusionLab {
    params: Params,
    setup: Setup,
    live: Live,
    rng: CounterRng,
    trainer: Trainer,
    device_name: String,
    progress: Progress,
    view_data: Vec<[f64; 2]>,
    floor: f64,
    forward_view: Vec<[f64; 2]>,
    samples: Option<Samples>,
    field: Vec<[f32; 4]>,
    score_error: Option<f64>,
}

impl DiffusionLab {
    pub fn on(compute: &Compute, params: &Params, seed: u64) -> Result<Self, ParamError> {
        let setup = setup_from(params)?;
        let live = live_from(params)?;
        let rng = CounterRng::new(seed);
        let width = params.int("width")? as usize;
        let depth = params.int("depth")? as usize;
        let shape = model::Shape {
            dims: DIMS,
            classes: 0,
            width,
            depth,
        };
        let trainer = Trainer::new(shape, (rng, STREAM_INIT), &compute.tensor_device);
        let view_data = setup
            .data
            .points(&live.drawing, rng, VIEW_POINTS, VIEW_DRAW);
        let floor = data_floor(setup.data, &live, rng, &view_data);
        let forward_view = forward_noised(&setup.path, &view_data, rng, live.view_t);
        let progress = Progress::new(0, setup.train_steps, "sliced W2 to data");
        Ok(Self {
            params: params.clone(),
            setup,
            live,
            rng,
            trainer,
            device_name: compute.info.name.clone(),
            progress,
            view_data,
            floor,
            forward_view,
            samples: None,
            field: Vec::new(),
            score_error: None,
        })
    }

    pub fn trained_steps(&self) -> u64 {
        self.progress.trained
    }

    pub fn samples(&self) -> Option<&Samples> {
        self.samples.as_ref()
    }

    pub fn last_loss(&self) -> Option<f64> {
        self.progress.last_loss()
    }

    /// The floor: sliced W2 between two independent data sets of the samples' size.
    pub fn floor(&self) -> f64 {
        self.floor
    }

    /// Sliced W2 between the last samples and the view's data.
    pub fn quality(&self) -> Option<f64> {
        self.progress.last_quality()
    }

    pub fn score_error(&self) -> Option<f64> {
        self.score_error
    }

    /// One Adam step on a fresh batch: draws t, eps and xi for each point.
    async fn train(&mut self) -> Result<f64, RunError> {
        let draw = self.progress.trained as u32;
        let (rng, setup) = (self.rng, &self.setup);
        if batch_is_empty(setup.data, &self.live.drawing) {
            return Err(RunError::Failed(
                "no points drawn yet: click or drag on the samples chart, then press play"
                    .to_string(),
            ));
        }
        let batch = setup
            .data
            .points(&self.live.drawing, rng, setup.batch, draw);
        let mut inputs = Vec::with_capacity(setup.batch * DIMS);
        let mut targets = Vec::with_capacity(setup.batch * DIMS);
        let mut times = Vec::with_capacity(setup.batch);
        for (i, x0) in batch.iter().enumerate() {
            let i = i as u32;
            let t = setup
                .path
                .training_time(f64::from(rng.uniform(i, draw, STREAM_TIME)));
            for (d, x0d) in x0.iter().enumerate() {
                let d = d as u32;
                let eps = f64::from(rng.normal(i, draw, STREAM_EPS + d));
                let xi = f64::from(rng.normal(i, draw, STREAM_XI + d));
                let (input, target) = setup.objective.training_example(
                    &setup.path,
                    *x0d,
                    eps,
                    xi,
                    self.live.gamma,
                    t,
                );
                inputs.push(input);
                targets.push(target);
            }
            times.push(t);
        }
        let loss = self
            .trainer
            .step(&inputs, &times, &[], &targets, self.live.learning_rate)
            .await?;
        ensure_finite("the training loss", loss)
    }

    /// `network` read through the objective: what the samplers ask.
    fn denoiser<'a>(&'a self, network: &'a Network) -> NetworkDenoiser<'a> {
        NetworkDenoiser {
            network,
            objective: self.setup.objective,
            path: &self.setup.path,
            labels: &[],
            guidance: 0.0,
        }
    }

    /// `particles` samples of `network` with the live sampler settings, the
    /// paths of the first `traced` kept.
    async fn sample(
        &self,
        network: &Network,
        particles: usize,
        traced: usize,
    ) -> Result<Samples, RunError> {
        let denoiser = self.denoiser(network);
        let noise = NoiseSource {
            rng: self.rng,
            initial: STREAM_SAMPLER_INITIAL,
            injected: STREAM_SAMPLER_INJECTED,
        };
        let shape = Shape {
            particles,
            dims: DIMS,
            traced,
            clip_group: particles * DIMS,
        };
        sampler::sample(
            &denoiser,
            &self.setup.path,
            &self.live.sampling,
            noise,
            shape,
        )
        .await
    }

    /// Samples the model and recomputes every view that needs the network.
    async fn refresh_views(&mut self) -> Result<(), RunError> {
        let network = self.trainer.network();
        let samples = self.sample(&network, self.live.particles, TRACED).await?;
        let sample_points = to_points(&samples.x);
        let n = sample_points.len().min(self.view_data.len());
        if n > 0 {
            self.progress.quality.push(
                self.progress.trained as f64,
                metrics::sliced_wasserstein(&sample_points[..n], &self.view_data[..n]),
            );
        }
        self.samples = Some(samples);
        self.field = self.field_arrows(&network).await?;
        if self.setup.data == Dataset::Mixture {
            let t = self.live.view_t.max(0.05);
            let noised = forward_noised(&self.setup.path, &self.view_data, self.rng, t);
            self.score_error = Some(
                mixture_score_error(&self.denoiser(&network), &self.setup.path, &noised, t).await?,
            );
        }
        self.progress.stale = false;
        Ok(())
    }

    /// The learned field at the view's t on a grid: the score -eps / sigma
    /// (DDPM) or the velocity (flow matching), as (x, y, dx, dy).
    async fn field_arrows(&self, network: &Network) -> Result<Vec<[f32; 4]>, RunError> {
        let t = self.live.view_t.max(0.02);
        let grid: Vec<f64> = (0..FIELD_SIDE * FIELD_SIDE)
            .flat_map(|k| {
                let coordinate = |i: usize| {
                    -FIELD_EXTENT + 2.0 * FIELD_EXTENT * i as f64 / (FIELD_SIDE - 1) as f64
                };
                [coordinate(k % FIELD_SIDE), coordinate(k / FIELD_SIDE)]
            })
            .collect();
        let output = network.predict(&grid, t, &[]).await?;
        let (_, sigma) = self.setup.path.alpha_sigma(t);
        let scale = match self.setup.objective {
            Objective::Ddpm => -1.0 / sigma,
            Objective::FlowMatching => 1.0,
        };
        Ok(grid
            .chunks(DIMS)
            .zip(output.chunks(DIMS))
            .map(|(p, v)| {
                [
                    p[0] as f32,
                    p[1] as f32,
                    (scale * v[0]) as f32,
                    (scale * v[1]) as f32,
                ]
            })
            .collect())
    }

    fn scatter(&self, key: &str, title: &str, groups: Vec<PointGroup>) -> Chart {
        Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "x".to_string(),
            y_label: "y".to_string(),
            kind: ChartKind::Scatter { groups },
        }
    }
}

#[async_trait::async_trait(?Send)]
impl Experiment for DiffusionLab {
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
        let redrawn = self.setup.data == Dataset::Drawing && live.drawing != self.live.drawing;
        if redrawn {
            self.view_data =
                self.setup
                    .data
                    .points(&live.drawing, self.rng, VIEW_POINTS, VIEW_DRAW);
        }
        if redrawn || live.particles != self.live.particles {
            self.floor = data_floor(self.setup.data, &live, self.rng, &self.view_data);
        }
        if redrawn || live.view_t != self.live.view_t {
            self.forward_view =
                forward_noised(&self.setup.path, &self.view_data, self.rng, live.view_t);
        }
        // Training-only settings (gamma, lr, sample_every) need no new samples;
        // a new drawing shows at once and the model follows as it trains.
        self.progress.stale |= live.sampling != self.live.sampling
            || live.particles != self.live.particles
            || live.view_t != self.live.view_t;
        self.live = live;
        self.params = params;
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

    fn snapshot(&self) -> Snapshot {
        let data_group = PointGroup {
            label: "data".to_string(),
            points: to_f32(&self.view_data),
            marked: false,
        };
        let mut sample_groups = vec![data_group.clone()];
        if self.setup.data == Dataset::Drawing {
            sample_groups.push(PointGroup {
                label: "your points".to_string(),
                points: to_f32(&self.live.drawing),
                marked: true,
            });
        }
        let mut trajectory_paths = Vec::new();
        if let Some(samples) = &self.samples {
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
        let t = self.live.view_t;
        let [loss_chart, quality_chart] = self.progress.charts(self.floor, "data vs data (floor)");
        let mut figures = vec![
            self.progress.loss_figure(),
            Figure {
                key: "quality".to_string(),
                label: "Sliced W2 to data".to_string(),
                value: self.quality(),
                unit: String::new(),
                note: if self.floor.is_finite() {
                    format!("floor {:.4} (data vs data)", self.floor)
                } else {
                    "no data yet".to_string()
                },
            },
        ];
        if self.setup.data == Dataset::Mixture {
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
        let field_title = match self.setup.objective {
            Objective::Ddpm => format!("Learned score at t = {t:.2}"),
            Objective::FlowMatching => format!("Learned velocity at t = {t:.2}"),
        };
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
        Snapshot {
            step: 0,
            status: thermolab_core::experiment::RunStatus::Paused,
            figures,
            charts: vec![
                self.scatter("samples", "Samples and data", sample_groups),
                Chart {
                    key: "trajectories".to_string(),
                    title: "Reverse trajectories, noise to data".to_string(),
                    x_label: "x".to_string(),
                    y_label: "y".to_string(),
                    kind: ChartKind::Paths {
                        paths: trajectory_paths,
                    },
                },
                self.scatter(
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
            facts,
        }
    }
}
