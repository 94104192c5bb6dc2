//! The benchmark this lab offers the bench page: episodes per second of
//! LSVI-UCB (Jin et al. 2020) on a 10 x 10 gridworld (slip 0.1, no walls)
//! with d = 32 random-projection features, H = 20, many seeds at once, on
//! the WebGPU kernel and on the CPU path. An episode here is one seed's
//! whole episode: plan (the backward LSVI pass), play, exact value of the
//! policy, learn (H Sherman-Morrison updates). It runs the lab itself, so
//! what is timed is what the page runs. `public/bench/lsvi-episodes.js` is
//! the same loop in plain JavaScript, the peer the page measures beside
//! them (its panel, `lsvi-js`). On the regressions the CPU path learnt, it
//! also times the planning pass alone in burn tensors batched over seeds
//! ([`TensorPlanner`]) against the same pass in Rust loops: the measurement
//! behind writing the kernel by hand.

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{Figure, RunError, StepOutcome, View};
use thermolab_gpu::{Compute, TensorDevice, now_seconds};
use thermolab_kit::params::int;
use thermolab_kit::{Benchmark, ComputePath, Lab, LabContext, params};

use crate::algorithms::AlgorithmId;
use crate::algorithms::lsvi::Backup;
use crate::env::EnvKind;
use crate::features::FeatureKind;
use crate::lab::LinearMdpLab;
use crate::params::LinearMdpParams;
use crate::tensor_plan::TensorPlanner;

pub const GRID_SIZE: usize = 10;
pub const FEATURE_DIM: usize = 32;
pub const HORIZON: usize = 20;

params! {
    /// The benchmark's size, set on the bench page.
    pub struct EpisodesParams {
        /// LSVI-UCB benchmark: seeds learning at once (10 x 10 gridworld, d = 32 random features, H = 20).
        pub lsvi_seeds: usize = int("LSVI-UCB seeds", 1..=256, 256).log().live().unit("seeds"),
        /// LSVI-UCB benchmark: episodes of every seed timed per step; 0 skips it.
        pub lsvi_episodes: u64 = int("LSVI-UCB episodes timed", 0..=500, 0).live().unit("episodes"),
    }
}

/// One measurement: seed-episodes per second, the mean cumulative regret
/// reached (implementations doing the same work agree on it), and where
/// the learner ran.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodesMeasurement {
    pub episodes_per_second: f64,
    pub mean_regret: f64,
    pub on_gpu: bool,
}

/// The lab's params of the benchmark: LSVI-UCB alone at its default beta
/// and lambda on the benchmark's gridworld and features.
pub fn bench_params(seeds: usize, episodes: u64, compute: ComputePath) -> LinearMdpParams {
    LinearMdpParams {
        env: EnvKind::Gridworld,
        size: GRID_SIZE,
        walls: Vec::new(),
        rewards: Vec::new(),
        penalties: Vec::new(),
        horizon: HORIZON,
        features: FeatureKind::Random,
        feature_dim: FEATURE_DIM,
        algo_1: AlgorithmId::LsviUcb,
        algo_2: None,
        algo_3: None,
        algo_4: None,
        compute,
        seeds,
        episodes,
        ..LinearMdpParams::default()
    }
}

/// Runs `episodes` episodes of `seeds` seeds on `compute` (its GPU when it
/// has one), timed from the first episode to the last; building the model,
/// the features and the kernel is not counted. Returns the lab too.
pub async fn measure(
    compute: &Compute,
    seeds: usize,
    episodes: u64,
    seed: u64,
) -> Result<(EpisodesMeasurement, LinearMdpLab), RunError> {
    let params = bench_params(seeds, episodes, ComputePath::Auto);
    let context = LabContext {
        compute,
        assets: &Assets::default(),
        seed,
        trained: None,
    };
    let mut lab = LinearMdpLab::start(&context, &params).map_err(RunError::Failed)?;
    let start = now_seconds();
    while lab.step(&params).await? == StepOutcome::Continue {}
    let seconds = now_seconds() - start;
    let measured = EpisodesMeasurement {
        episodes_per_second: (seeds as f64 * episodes as f64) / seconds.max(1e-9),
        mean_regret: lab.mean_regrets()[0],
        on_gpu: lab.on_gpu(0),
    };
    Ok((measured, lab))
}

/// Planning passes per second (one seed's Q_h for every h), in Rust loops
/// and in burn tensors on `device`, and the largest difference between their
/// Q values relative to 1 + |Q|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlanRates {
    pub loops: f64,
    pub tensors: f64,
    pub largest_difference: f64,
}

/// Times one planning pass of every seed of `lab`'s CPU learner (slot 0) in
/// Rust loops, and in burn tensors after an untimed pass that compiles them.
pub async fn plan_rates(
    lab: &LinearMdpLab,
    device: &TensorDevice,
    beta: f64,
) -> Result<PlanRates, RunError> {
    let lsvi = lab
        .cpu_learner(0)
        .and_then(|learner| learner.lsvi())
        .ok_or_else(|| RunError::Failed("the planning benchmark needs the CPU path".into()))?;
    let (mdp, features) = (lab.mdp(), lab.features());
    let seeds = lab.seed_regrets(0).len();
    let start = now_seconds();
    let loops: Vec<Vec<Vec<f64>>> = (0..seeds)
        .map(|seed| lsvi.q_tables(seed, features, beta, Backup::Max))
        .collect();
    let loop_seconds = now_seconds() - start;
    let planner = TensorPlanner::new(lsvi, mdp, features, seeds, device);
    planner.q_tables(beta).await.map_err(RunError::Failed)?;
    let start = now_seconds();
    let tensors = planner.q_tables(beta).await.map_err(RunError::Failed)?;
    let tensor_seconds = now_seconds() - start;
    let mut largest_difference = 0.0f64;
    for (seed, q) in loops.iter().enumerate() {
        for (qh, th) in q.iter().zip(&tensors) {
            let pairs = qh.len();
            for (expected, got) in qh.iter().zip(&th[seed * pairs..(seed + 1) * pairs]) {
                let difference = (f64::from(*got) - expected).abs() / (1.0 + expected.abs());
                largest_difference = largest_difference.max(difference);
            }
        }
    }
    Ok(PlanRates {
        loops: seeds as f64 / loop_seconds.max(1e-9),
        tensors: seeds as f64 / tensor_seconds.max(1e-9),
        largest_difference,
    })
}

/// The benchmark on the bench page: a measurement on the GPU (if any) and
/// on the CPU every step, once its episodes are set above 0.
#[derive(Default)]
pub struct LsviEpisodes {
    gpu: Option<EpisodesMeasurement>,
    cpu: Option<EpisodesMeasurement>,
    plans: Option<PlanRates>,
}

#[async_trait::async_trait(?Send)]
impl Benchmark for LsviEpisodes {
    type Params = EpisodesParams;
    const PANEL: Option<&'static str> = Some("lsvi-js");

    fn new() -> Self {
        Self::default()
    }

    async fn measure(
        &mut self,
        compute: &Compute,
        params: &EpisodesParams,
        seed: u64,
        _step: u64,
    ) -> Result<(), RunError> {
        let (seeds, episodes) = (params.lsvi_seeds, params.lsvi_episodes);
        if episodes == 0 {
            return Ok(());
        }
        if compute.gpu.is_some() {
            self.gpu = Some(measure(compute, seeds, episodes, seed).await?.0);
        }
        let cpu = Compute::cpu("the Device page's CPU reference");
        let (measured, lab) = measure(&cpu, seeds, episodes, seed).await?;
        self.cpu = Some(measured);
        let beta = bench_params(seeds, episodes, ComputePath::Cpu).beta;
        self.plans = Some(plan_rates(&lab, &compute.tensor_device, beta).await?);
        Ok(())
    }

    fn view(&self, compute: &Compute, _params: &EpisodesParams) -> View {
        View {
            figures: self.figures(compute.gpu.is_some()),
            charts: Vec::new(),
            facts: self.facts(),
        }
    }
}

impl LsviEpisodes {
    fn figures(&self, has_gpu: bool) -> Vec<Figure> {
        let figure =
            |key: &str, label: &str, measured: &Option<EpisodesMeasurement>, note: String| Figure {
                key: key.to_string(),
                label: label.to_string(),
                value: measured.as_ref().map(|m| m.episodes_per_second),
                unit: "episodes/s".to_string(),
                note,
            };
        let gpu_note = if !has_gpu {
            "no WebGPU: running on the CPU fallback".to_string()
        } else if self.gpu.as_ref().is_some_and(|m| !m.on_gpu) {
            "the kernel refused this size: the CPU path ran".to_string()
        } else if self.gpu.is_none() {
            "set LSVI-UCB episodes timed above 0".to_string()
        } else {
            String::new()
        };
        let cpu_note = if self.cpu.is_none() {
            "set LSVI-UCB episodes timed above 0".to_string()
        } else {
            String::new()
        };
        let plans = |key: &str, label: &str, value: Option<f64>, note: String| Figure {
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit: "plans/s".to_string(),
            note,
        };
        let tensor_note = if has_gpu {
            "burn on WebGPU, planning only"
        } else {
            "burn flex (CPU), planning only"
        };
        vec![
            figure("lsvi_gpu", "LSVI-UCB episodes, GPU", &self.gpu, gpu_note),
            figure(
                "lsvi_cpu",
                "LSVI-UCB episodes, CPU",
                &self.cpu,
                cpu_note.clone(),
            ),
            plans(
                "lsvi_plan_tensors",
                "LSVI-UCB planning, burn tensors",
                self.plans.map(|p| p.tensors),
                tensor_note.to_string(),
            ),
            plans(
                "lsvi_plan_loops",
                "LSVI-UCB planning, CPU loops",
                self.plans.map(|p| p.loops),
                cpu_note,
            ),
        ]
    }

    /// The mean regret each path reached (f32 on the GPU, f64 on the CPU),
    /// in full: the JavaScript peer's is compared with it.
    fn facts(&self) -> Vec<(String, String)> {
        let mut facts: Vec<(String, String)> = [("GPU", &self.gpu), ("CPU", &self.cpu)]
            .into_iter()
            .filter_map(|(path, m)| {
                m.as_ref().map(|m| {
                    (
                        format!("LSVI-UCB bench mean regret ({path})"),
                        m.mean_regret.to_string(),
                    )
                })
            })
            .collect();
        if let Some(plans) = self.plans {
            facts.push((
                "LSVI-UCB bench planning, burn against loops".to_string(),
                format!(
                    "largest Q difference {:.1e} of 1 + |Q|",
                    plans.largest_difference
                ),
            ));
        }
        facts
    }
}
