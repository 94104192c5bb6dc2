//! The bandit benchmark of the Device page: arm pulls per second of UCB1 and
//! Thompson sampling on ten Bernoulli arms, on the GPU kernels and on the CPU
//! path (`thermolab_bandits::bench`). The page measures the plain-JavaScript
//! peer beside them.

use thermolab_bandits::bench::{BENCH_ALGORITHMS, PullsMeasurement, cpu_pulls, gpu_pulls};
use thermolab_core::experiment::{Chart, ChartKind, Figure, Line, RunError, ensure_finite};
use thermolab_core::series::Series;
use thermolab_gpu::Compute;

/// Sizes of one measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PullsSize {
    pub runs: usize,
    pub steps: u64,
    pub seed: u64,
}

struct Measured {
    algorithm: &'static str,
    gpu: Series,
    cpu: Series,
    last_gpu: Option<PullsMeasurement>,
    last_cpu: Option<PullsMeasurement>,
}

pub struct BanditPulls {
    measured: Vec<Measured>,
}

fn title(algorithm: &str) -> &'static str {
    thermolab_bandits::algorithms::name(algorithm)
}

impl BanditPulls {
    pub fn new(capacity: usize) -> Self {
        Self {
            measured: BENCH_ALGORITHMS
                .iter()
                .map(|algorithm| Measured {
                    algorithm,
                    gpu: Series::new(&format!("{} WebGPU", title(algorithm)), capacity),
                    cpu: Series::new(&format!("{} CPU", title(algorithm)), capacity),
                    last_gpu: None,
                    last_cpu: None,
                })
                .collect(),
        }
    }

    /// Measures both algorithms on the GPU (if any) and the CPU. The two
    /// replay the same runs, so UCB1's mean regret must agree.
    pub async fn step(
        &mut self,
        compute: &Compute,
        size: PullsSize,
        x: f64,
    ) -> Result<(), RunError> {
        for m in &mut self.measured {
            if let Some(gpu) = &compute.gpu {
                let measured = gpu_pulls(gpu, m.algorithm, size.runs, size.steps, size.seed)
                    .await
                    .map_err(RunError::Failed)?;
                m.gpu
                    .push(x, ensure_finite("GPU pulls/s", measured.pulls_per_second)?);
                m.last_gpu = Some(measured);
            }
            let measured = cpu_pulls(m.algorithm, size.runs, size.steps, size.seed);
            m.cpu
                .push(x, ensure_finite("CPU pulls/s", measured.pulls_per_second)?);
            m.last_cpu = Some(measured);
            if let (Some(gpu), Some(cpu), "ucb1") = (m.last_gpu, m.last_cpu, m.algorithm) {
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

    pub fn figures(&self, gpu_note: Option<&str>) -> Vec<Figure> {
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
                [
                    figure(
                        format!("pulls_{}_gpu", m.algorithm),
                        format!("{} pulls, GPU", title(m.algorithm)),
                        m.last_gpu.map(|p| p.pulls_per_second),
                        gpu_note.unwrap_or(""),
                    ),
                    figure(
                        format!("pulls_{}_cpu", m.algorithm),
                        format!("{} pulls, CPU", title(m.algorithm)),
                        m.last_cpu.map(|p| p.pulls_per_second),
                        "",
                    ),
                ]
            })
            .collect()
    }

    /// Mean regret each path reached: implementations doing the same work agree.
    pub fn facts(&self) -> Vec<(String, String)> {
        self.measured
            .iter()
            .filter_map(|m| {
                let cpu = m.last_cpu?;
                let gpu = m
                    .last_gpu
                    .map_or(String::new(), |g| format!(", GPU {}", g.mean_regret));
                Some((
                    format!("{} bench mean regret", title(m.algorithm)),
                    format!("CPU {}{gpu}", cpu.mean_regret),
                ))
            })
            .collect()
    }

    pub fn chart(&self, with_gpu: bool) -> Chart {
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
