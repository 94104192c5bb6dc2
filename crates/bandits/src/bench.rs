//! The bandit benchmark this lab offers the bench page: arm pulls per second
//! of UCB1 and Thompson sampling on ten Bernoulli arms, `runs` independent
//! runs for `steps` rounds, on the GPU kernels and on the CPU path.
//! `public/bench/bandit-pulls.js` is the same loop in plain JavaScript, the
//! peer the page measures beside them (its panel, `bandit-js`).

use thermolab_core::experiment::{Chart, ChartKind, Figure, Line, RunError, View, ensure_finite};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_gpu::{Compute, Gpu, now_seconds};
use thermolab_kit::params::int;
use thermolab_kit::{Benchmark, params};

use crate::algorithms::AlgorithmId;
use crate::cpu::CpuRuns;
use crate::env::{Environment, Kind};
use crate::gpu::GpuRuns;
use crate::params::{BanditsParams, Instance};
use crate::policy::Setup;

pub const BENCH_ARMS: usize = 10;
/// The benchmarked algorithms, as the JavaScript peer names them too.
pub const BENCH_ALGORITHMS: [AlgorithmId; 2] = [AlgorithmId::Ucb1, AlgorithmId::Thompson];
const SERIES_CAPACITY: usize = 256;

params! {
    /// The benchmark's size, set on the bench page.
    pub struct PullsParams {
        /// Bandit benchmark: independent runs of UCB1 and Thompson sampling on 10 arms.
        pub pulls_runs: usize = int("Bandit runs", 1..=100_000, 1000).log().live().unit("runs"),
        /// Bandit benchmark: rounds per run; arm pulls = runs x steps.
        pub pulls_steps: u64 = int("Bandit steps", 1..=1000, 100).log().live().unit("steps"),
    }
}

/// One measurement: pulls per second and the mean regret the runs reached,
/// so that implementations can be checked to have done the same work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PullsMeasurement {
    pub pulls_per_second: f64,
    pub mean_regret: f64,
}

/// The lab's params for ten Bernoulli arms with means 0.9, 0.85, ..., 0.45,
/// `runs` runs of `steps` rounds of `algorithm`.
fn bench_params(algorithm: AlgorithmId, runs: usize, steps: u64) -> BanditsParams {
    BanditsParams {
        env: Kind::Bernoulli,
        instance: Instance::Staircase,
        arms: BENCH_ARMS,
        gap: 0.05,
        runs,
        horizon: steps,
        algo_1: algorithm,
        algo_2: None,
        algo_3: None,
        ..BanditsParams::default()
    }
}

/// The CPU path, timed from the first round to the last.
pub fn cpu_pulls(algorithm: AlgorithmId, runs: usize, steps: u64, seed: u64) -> PullsMeasurement {
    let params = bench_params(algorithm, runs, steps);
    let rng = CounterRng::new(seed);
    let env = Environment::of(&params, rng);
    let mut cpu = CpuRuns::new(&[algorithm], &Setup::of(&params), &params, rng);
    let start = now_seconds();
    let mut mean_regret = 0.0;
    for t in 0..steps {
        mean_regret = cpu.round(&env, &params, t)[0].regret.0;
    }
    PullsMeasurement {
        pulls_per_second: (runs as f64 * steps as f64) / (now_seconds() - start),
        mean_regret,
    }
}

/// The GPU kernels, timed from the first dispatch to the last readback;
/// compiling the pipeline and allocating buffers are not counted.
pub async fn gpu_pulls(
    gpu: &Gpu,
    algorithm: AlgorithmId,
    runs: usize,
    steps: u64,
    seed: u64,
) -> Result<PullsMeasurement, String> {
    let params = bench_params(algorithm, runs, steps);
    let env = Environment::of(&params, CounterRng::new(seed));
    let mut kernels = GpuRuns::new(gpu, &env, &Setup::of(&params), &[algorithm], seed)?;
    gpu.finish().await?;
    let start = now_seconds();
    let mut mean_regret = 0.0;
    for _ in 0..steps {
        mean_regret = kernels.round(&params).await?[0].regret.0;
    }
    Ok(PullsMeasurement {
        pulls_per_second: (runs as f64 * steps as f64) / (now_seconds() - start),
        mean_regret,
    })
}

struct Measured {
    algorithm: AlgorithmId,
    gpu: Series,
    cpu: Series,
    last_gpu: Option<PullsMeasurement>,
    last_cpu: Option<PullsMeasurement>,
}

/// The benchmark on the bench page: both algorithms on the GPU (if any) and
/// the CPU every step, their rates over the steps as a chart.
pub struct BanditPulls {
    measured: Vec<Measured>,
}

#[async_trait::async_trait(?Send)]
impl Benchmark for BanditPulls {
    type Params = PullsParams;
    const PANEL: Option<&'static str> = Some("bandit-js");

    fn new() -> Self {
        Self {
            measured: BENCH_ALGORITHMS
                .iter()
                .map(|algorithm| Measured {
                    algorithm: *algorithm,
                    gpu: Series::new(&format!("{} WebGPU", algorithm.label()), SERIES_CAPACITY),
                    cpu: Series::new(&format!("{} CPU", algorithm.label()), SERIES_CAPACITY),
                    last_gpu: None,
                    last_cpu: None,
                })
                .collect(),
        }
    }

    /// The two paths replay the same runs, so UCB1's mean regret must agree.
    async fn measure(
        &mut self,
        compute: &Compute,
        params: &PullsParams,
        seed: u64,
        step: u64,
    ) -> Result<(), RunError> {
        let (runs, steps) = (params.pulls_runs, params.pulls_steps);
        let x = step as f64;
        for m in &mut self.measured {
            if let Some(gpu) = &compute.gpu {
                let measured = gpu_pulls(gpu, m.algorithm, runs, steps, seed)
                    .await
                    .map_err(RunError::Failed)?;
                m.gpu
                    .push(x, ensure_finite("GPU pulls/s", measured.pulls_per_second)?);
                m.last_gpu = Some(measured);
            }
            let measured = cpu_pulls(m.algorithm, runs, steps, seed);
            m.cpu
                .push(x, ensure_finite("CPU pulls/s", measured.pulls_per_second)?);
            m.last_cpu = Some(measured);
            if let (Some(gpu), Some(cpu), AlgorithmId::Ucb1) = (m.last_gpu, m.last_cpu, m.algorithm)
            {
                let (g, c) = (gpu.mean_regret, cpu.mean_regret);
                if (g - c).abs() > 1e-3 * (1.0 + c.abs()) {
                    return Err(RunError::Failed(format!(
                        "the GPU bandit runs disagree with the CPU: UCB1 mean regret {g} vs {c}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn view(&self, compute: &Compute, _params: &PullsParams) -> View {
        let with_gpu = compute.gpu.is_some();
        View {
            figures: self.figures(with_gpu),
            charts: vec![self.chart(with_gpu)],
            facts: self.facts(),
        }
    }
}

impl BanditPulls {
    fn figures(&self, with_gpu: bool) -> Vec<Figure> {
        let gpu_note = if with_gpu {
            ""
        } else {
            "no WebGPU: running on the CPU fallback"
        };
        let figure = |key: String, label: String, value: Option<f64>, note: &str| Figure {
            key,
            label,
            value,
            unit: "pulls/s".to_string(),
            note: note.to_string(),
        };
        self.measured
            .iter()
            .flat_map(|m| {
                let (id, name) = (m.algorithm.key(), m.algorithm.label());
                [
                    figure(
                        format!("pulls_{id}_gpu"),
                        format!("{name} pulls, GPU"),
                        m.last_gpu.map(|p| p.pulls_per_second),
                        gpu_note,
                    ),
                    figure(
                        format!("pulls_{id}_cpu"),
                        format!("{name} pulls, CPU"),
                        m.last_cpu.map(|p| p.pulls_per_second),
                        "",
                    ),
                ]
            })
            .collect()
    }

    /// Mean regret each path reached: implementations doing the same work agree.
    fn facts(&self) -> Vec<(String, String)> {
        self.measured
            .iter()
            .filter_map(|m| {
                let cpu = m.last_cpu?;
                let gpu = m
                    .last_gpu
                    .map_or(String::new(), |g| format!(", GPU {}", g.mean_regret));
                Some((
                    format!("{} bench mean regret", m.algorithm.label()),
                    format!("CPU {}{gpu}", cpu.mean_regret),
                ))
            })
            .collect()
    }

    fn chart(&self, with_gpu: bool) -> Chart {
        let lines = self
            .measured
            .iter()
            .enumerate()
            .flat_map(|(i, m)| {
                let gpu = with_gpu.then(|| Line::from_series(&m.gpu, false).with_color(2 * i));
                gpu.into_iter()
                    .chain([Line::from_series(&m.cpu, false).with_color(2 * i + 1)])
            })
            .collect();
        Chart {
            key: "pulls".to_string(),
            title: "Bandit arm pulls per second".to_string(),
            x_label: "step".to_string(),
            y_label: "pulls/s".to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: true,
            },
        }
    }
}
