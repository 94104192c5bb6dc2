//! The Device lab: what compute this machine offers. It shows the WebGPU
//! adapter's facts and limits and measures, every step, two things a lab
//! depends on — memory bandwidth with a WGSL kernel of our own, and matrix
//! multiply throughput through burn — each beside the same work on the CPU —
//! and checks that the GPU draws the same random numbers as the CPU. It is
//! the bench page: after each of its steps the host measures every benchmark
//! the other labs offer.

pub mod bandwidth;
pub mod matmul;
pub mod rng_check;

use thermolab_core::experiment::{
    Chart, ChartKind, Figure, Line, RunError, StepOutcome, View, ensure_finite,
};
use thermolab_core::params::ParamError;
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_gpu::{Compute, NORMAL_TOLERANCE, TensorDevice};
use thermolab_kit::params::int;
use thermolab_kit::{About, Lab, LabContext, StillRecipe, params};

use bandwidth::{CpuCopy, GpuCopy};
use matmul::Operands;
use rng_check::RngCheck;

const MIB: u64 = 1024 * 1024;
const SERIES_CAPACITY: usize = 256;
const HISTOGRAM_BINS: usize = 12;

const ABOUT: About = About {
    id: "device",
    title: "Device",
    summary: "Check a machine: its WebGPU adapter, memory bandwidth and matmul speed, each against the CPU.",
    explanation: &[
        "Every step copies a buffer with a WGSL kernel (read once, written once) and multiplies two \
         square matrices with burn, first on the WebGPU device, then the same work on the CPU. \
         Lines show the mean of the step's launches; the band spans the slowest to the fastest.",
        "Timings run from submission to a completed readback, as a lab sees them; each timing \
         repeats its launch for at least 5 ms, because browsers blur their clocks to about \
         0.1 ms. Small sizes measure launch latency, not throughput: raise the buffer size and \
         the matrix side until the GPU figures stop growing.",
        "Every step also draws 4,096 counters of the shared random number generator on the GPU \
         and compares them with the CPU: labs replay the same run on any machine only if they \
         agree bit for bit. The heatmap should be flat and the normals a round cloud.",
        "Without WebGPU the GPU figures are empty and the page says why; the CPU figures still run.",
    ],
    assets: &[],
    bench_page: true,
    checkpoint: false,
    main_chart: "bandwidth",
    presenter: &["buffer_mib", "matmul_n"],
    still: Some(StillRecipe {
        chart: "rng_uniformity",
        set: &["buffer_mib=1", "matmul_n=16", "repeats=1"],
        steps: 1,
    }),
    papers: &["Jarzynski & Olano 2020, the pcg4d hash of the shared RNG"],
    formula: "",
};

params! {
    /// The sizes the Device page measures at; the benchmarks of the other
    /// labs add their own.
    pub struct DeviceParams {
        /// Bytes the bandwidth kernel copies per launch.
        pub buffer_mib: u64 = int("Buffer size", 1..=128, 16).log().live().unit("MiB"),
        /// Side n of the n x n matrices burn multiplies (2n³ flops).
        pub matmul_n: usize = int("Matrix side", 16..=2048, 256).log().live().unit("n"),
        /// Timings per step (each at least 5 ms of launches); the band shows their spread.
        pub repeats: usize = int("Timings per step", 1..=64, 4).log().live(),
    }
    limits: matmul_work
}

/// Most floating-point operations the CPU's matrix products may take in one
/// step (the GPU does the same products first).
pub const MAX_MATMUL_FLOPS: f64 = 2e11;

fn matmul_work(params: &DeviceParams) -> Result<(), ParamError> {
    let flops = matmul::flops(params.matmul_n) * params.repeats as f64;
    if flops <= MAX_MATMUL_FLOPS {
        return Ok(());
    }
    Err(ParamError {
        key: "matmul_n".to_string(),
        message: format!(
            "{} products of side {} would take {:.0} GFLOP a step, more than {:.0}: a smaller side or fewer timings",
            params.repeats,
            params.matmul_n,
            flops / 1e9,
            MAX_MATMUL_FLOPS / 1e9
        ),
    })
}

/// Mean, min and max of one step's launches.
fn summary(xs: &[f64]) -> (f64, f64, f64) {
    let mean = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}

pub struct DeviceLab {
    compute: Compute,
    cpu_device: TensorDevice,
    rng: CounterRng,
    step: u64,
    gpu_copy: Option<GpuCopy>,
    cpu_copy: Option<CpuCopy>,
    gpu_operands: Option<Operands>,
    cpu_operands: Option<Operands>,
    gpu_bandwidth: Series,
    cpu_bandwidth: Series,
    gpu_matmul: Series,
    cpu_matmul: Series,
    /// The last step's per-launch bandwidths, GPU if there is one.
    last_launches: Vec<f64>,
    rng_check: RngCheck,
}

impl DeviceLab {
    fn bytes(&self, params: &DeviceParams) -> u64 {
        let wanted = params.buffer_mib * MIB;
        match &self.compute.gpu {
            // Stay inside what the adapter can bind.
            Some(gpu) => wanted.min(gpu.device.limits().max_storage_buffer_binding_size / 16 * 16),
            None => wanted,
        }
    }

    async fn measure_bandwidth(&mut self, params: &DeviceParams) -> Result<(), RunError> {
        let bytes = self.bytes(params);
        let x = self.step as f64;
        if let Some(gpu) = &self.compute.gpu {
            if self.gpu_copy.as_ref().map(GpuCopy::bytes) != Some(bytes) {
                self.gpu_copy = Some(GpuCopy::new(gpu, bytes));
            }
            if let Some(copy) = &self.gpu_copy {
                let mut launches = Vec::new();
                for _ in 0..params.repeats {
                    launches.push(ensure_finite(
                        "GPU bandwidth",
                        copy.measure(gpu).await.map_err(RunError::Failed)?,
                    )?);
                }
                let (mean, min, max) = summary(&launches);
                self.gpu_bandwidth.push_range(x, mean, min, max);
                self.last_launches = launches;
            }
        }
        if self.cpu_copy.as_ref().map(CpuCopy::bytes) != Some(bytes) {
            self.cpu_copy = Some(CpuCopy::new(bytes));
        }
        if let Some(copy) = &mut self.cpu_copy {
            let mut launches = Vec::new();
            for _ in 0..params.repeats {
                launches.push(ensure_finite("CPU bandwidth", copy.measure().await)?);
            }
            let (mean, min, max) = summary(&launches);
            self.cpu_bandwidth.push_range(x, mean, min, max);
            if self.compute.gpu.is_none() {
                self.last_launches = launches;
            }
        }
        Ok(())
    }

    async fn measure_matmul(&mut self, params: &DeviceParams) -> Result<(), RunError> {
        let n = params.matmul_n;
        let x = self.step as f64;
        let mut sums = Vec::new();
        if self.compute.gpu.is_some() {
            if self.gpu_operands.as_ref().map(|o| o.n) != Some(n) {
                self.gpu_operands = Some(
                    Operands::new(n, self.rng, &self.compute.tensor_device)
                        .await
                        .map_err(RunError::Failed)?,
                );
            }
            if let Some(operands) = &self.gpu_operands {
                let (gflops, sum) = Self::launches(operands, params.repeats).await?;
                self.gpu_matmul.push_range(x, gflops.0, gflops.1, gflops.2);
                sums.push(sum);
            }
        }
        if self.cpu_operands.as_ref().map(|o| o.n) != Some(n) {
            self.cpu_operands = Some(
                Operands::new(n, self.rng, &self.cpu_device)
                    .await
                    .map_err(RunError::Failed)?,
            );
        }
        if let Some(operands) = &self.cpu_operands {
            let (gflops, sum) = Self::launches(operands, params.repeats).await?;
            self.cpu_matmul.push_range(x, gflops.0, gflops.1, gflops.2);
            sums.push(sum);
        }
        // Both backends multiplied the same matrices: their sums must agree.
        if let [gpu_sum, cpu_sum] = sums[..] {
            let tolerance = 1e-3 * (n as f64).powf(1.5).max(1.0);
            if (gpu_sum - cpu_sum).abs() > tolerance {
                return Err(RunError::Failed(format!(
                    "the GPU product disagrees with the CPU: sum {gpu_sum} vs {cpu_sum}"
                )));
            }
        }
        Ok(())
    }

    async fn launches(
        operands: &Operands,
        repeats: usize,
    ) -> Result<((f64, f64, f64), f64), RunError> {
        let mut rates = Vec::new();
        let mut sum = 0.0;
        for _ in 0..repeats {
            let (gflops, s) = operands.measure().await.map_err(RunError::Failed)?;
            rates.push(gflops);
            sum = ensure_finite("matmul result", s)?;
        }
        Ok((summary(&rates), sum))
    }

    fn figure(&self, key: &str, label: &str, series: &Series, unit: &str, gpu: bool) -> Figure {
        let missing = gpu && self.compute.gpu.is_none();
        Figure {
            key: key.to_string(),
            label: label.to_string(),
            value: if missing {
                None
            } else {
                series.last().map(|b| b.mean)
            },
            unit: unit.to_string(),
            note: if missing {
                "no WebGPU: running on the CPU fallback".to_string()
            } else {
                String::new()
            },
        }
    }

    fn rng_figure(&self) -> Figure {
        let compared = self.rng_check.compared;
        Figure {
            key: "rng_mismatches".to_string(),
            label: "RNG draws GPU ≠ CPU".to_string(),
            value: (compared > 0).then_some(self.rng_check.mismatches as f64),
            unit: "draws".to_string(),
            note: if self.compute.gpu.is_none() {
                "no WebGPU: nothing to compare".to_string()
            } else {
                format!("of {compared} compared")
            },
        }
    }

    fn histogram(&self) -> ChartKind {
        if self.last_launches.is_empty() {
            // Before the first step: no bins rather than edges at infinity.
            return ChartKind::Histogram {
                edges: Vec::new(),
                counts: Vec::new(),
            };
        }
        let (_, min, max) = summary(&self.last_launches);
        let width = ((max - min) / HISTOGRAM_BINS as f64)
            .max(max.abs() * 1e-6)
            .max(1e-12);
        let edges: Vec<f64> = (0..=HISTOGRAM_BINS)
            .map(|i| min + width * i as f64)
            .collect();
        let mut counts = vec![0u64; HISTOGRAM_BINS];
        for x in &self.last_launches {
            let bin = (((x - min) / width) as usize).min(HISTOGRAM_BINS - 1);
            counts[bin] += 1;
        }
        ChartKind::Histogram { edges, counts }
    }
}

#[async_trait::async_trait(?Send)]
impl Lab for DeviceLab {
    type Params = DeviceParams;

    fn about() -> About {
        ABOUT
    }

    fn start(context: &LabContext, _params: &DeviceParams) -> Result<Self, String> {
        let compute = context.compute.clone();
        Ok(Self {
            rng_check: RngCheck::new(&compute),
            compute,
            cpu_device: TensorDevice::flex(),
            rng: CounterRng::new(context.seed),
            step: 0,
            gpu_copy: None,
            cpu_copy: None,
            gpu_operands: None,
            cpu_operands: None,
            gpu_bandwidth: Series::new("WebGPU", SERIES_CAPACITY),
            cpu_bandwidth: Series::new("CPU", SERIES_CAPACITY),
            gpu_matmul: Series::new("WebGPU (burn wgpu)", SERIES_CAPACITY),
            cpu_matmul: Series::new("CPU (burn flex)", SERIES_CAPACITY),
            last_launches: Vec::new(),
        })
    }

    async fn step(&mut self, params: &DeviceParams) -> Result<StepOutcome, RunError> {
        self.measure_bandwidth(params).await?;
        self.measure_matmul(params).await?;
        self.rng_check
            .step(&self.compute, self.rng, self.step)
            .await?;
        self.step += 1;
        Ok(StepOutcome::Continue)
    }

    fn view(&self, params: &DeviceParams) -> View {
        let mut facts = vec![("Compute path".to_string(), self.compute.info.name.clone())];
        if let Some(reason) = &self.compute.info.fallback_reason {
            facts.push(("Why the CPU".to_string(), reason.clone()));
        }
        facts.extend(self.compute.info.details.iter().cloned());
        facts.push((
            "Bytes per copy".to_string(),
            format!("{:.1} MiB", self.bytes(params) as f64 / MIB as f64),
        ));
        facts.push((
            "RNG chi-square / dof".to_string(),
            format!("{:.3}", self.rng_check.chi_square_per_dof()),
        ));
        if self.rng_check.compared > 0 {
            facts.push((
                "RNG largest normal difference".to_string(),
                format!(
                    "{:.1e} (WGSL allows {NORMAL_TOLERANCE:.0e} x (1 + |z|))",
                    self.rng_check.max_normal_error
                ),
            ));
        }
        let bandwidth_lines = |gpu: &Series, cpu: &Series| {
            let mut lines = Vec::new();
            if self.compute.gpu.is_some() {
                lines.push(Line::from_series(gpu, true));
            }
            lines.push(Line::from_series(cpu, true));
            lines
        };
        View {
            figures: vec![
                self.figure(
                    "gpu_bandwidth",
                    "GPU bandwidth",
                    &self.gpu_bandwidth,
                    "GB/s",
                    true,
                ),
                self.figure(
                    "cpu_bandwidth",
                    "CPU bandwidth",
                    &self.cpu_bandwidth,
                    "GB/s",
                    false,
                ),
                self.figure(
                    "gpu_matmul",
                    "GPU matmul",
                    &self.gpu_matmul,
                    "GFLOP/s",
                    true,
                ),
                self.figure(
                    "cpu_matmul",
                    "CPU matmul",
                    &self.cpu_matmul,
                    "GFLOP/s",
                    false,
                ),
                self.rng_figure(),
            ],
            charts: vec![
                Chart {
                    key: "bandwidth".to_string(),
                    title: "Memory bandwidth".to_string(),
                    x_label: "step".to_string(),
                    y_label: "GB/s".to_string(),
                    kind: ChartKind::Lines {
                        lines: bandwidth_lines(&self.gpu_bandwidth, &self.cpu_bandwidth),
                        log_x: false,
                        log_y: true,
                    },
                },
                Chart {
                    key: "matmul".to_string(),
                    title: "Matrix multiply".to_string(),
                    x_label: "step".to_string(),
                    y_label: "GFLOP/s".to_string(),
                    kind: ChartKind::Lines {
                        lines: bandwidth_lines(&self.gpu_matmul, &self.cpu_matmul),
                        log_x: false,
                        log_y: true,
                    },
                },
                Chart {
                    key: "launches".to_string(),
                    title: "Last step's copies".to_string(),
                    x_label: "GB/s".to_string(),
                    y_label: "launches".to_string(),
                    kind: self.histogram(),
                },
            ]
            .into_iter()
            .chain(self.rng_check.charts())
            .collect(),
            facts,
        }
    }
}
