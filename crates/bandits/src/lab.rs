//! The Bandits lab: up to four algorithms face the same environment in N
//! independent runs; the page shows their regret with a 95% band, how often
//! they pull the best arm and, for stochastic policies, the policy's entropy.
//! Each step is one round of every run: on the GPU kernels when they cover
//! the chosen environment and algorithms, else on the CPU reference path.

use thermolab_core::experiment::{
    Chart, ChartKind, Figure, Line, Preset, RunError, StepOutcome, View, ensure_finite,
};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_gpu::Compute;
use thermolab_kit::{About, BenchmarkEntry, Lab, LabContext, StillRecipe, chosen_gpu};

use crate::algorithms::AlgorithmId;
use crate::bench::BanditPulls;
use crate::cpu::CpuRuns;
use crate::env::{Environment, Kind};
use crate::gpu::{self, GpuRuns};
use crate::params::{BanditsParams, SLOTS};
use crate::policy::Setup;

const SERIES_CAPACITY: usize = 256;

const ABOUT: About = About {
    id: "bandits",
    title: "Bandits",
    summary: "Exploration against exploitation: UCB, Thompson, softmax, Exp3 and more, \
              over many runs at once, with live temperature and entropy target.",
    explanation: &[
        "Each step, every algorithm pulls one arm in each of N independent runs. All \
         algorithms of a run see the same random rewards, so the gaps between curves are \
         theirs, not luck's. Regret is what was lost against always pulling the best arm \
         (against an adversary: the best single arm in hindsight); the band is a 95% \
         confidence interval of its mean over runs.",
        "The dashed guides are theory: on stationary arms no consistent algorithm beats the \
         Lai-Robbins line, which grows as ln t, in the long run (early on a curve may sit below \
         it: the bound is asymptotic); against an adversary, Exp3's bound grows as \
         sqrt(t K ln K).",
        "Turn the temperature down and softmax exploration turns greedy; up, and it pulls \
         uniformly. Holding an entropy target makes the gradient bandit keep its policy's \
         entropy there by adjusting its entropy bonus.",
        "Linear contextual bandits with misspecification zeta: on the aligned contexts, \
         regression on every round turns zeta into a false slope and LinUCB's regret grows \
         linearly; the threshold rule only learns from rounds it is unsure about and levels off.",
        "Every run is one GPU invocation: the kernels advance all runs up to 32 rounds per \
         dispatch and read back only the curves. The facts say where this run is computed.",
    ],
    assets: &[],
    bench_page: false,
    checkpoint: false,
    main_chart: "regret",
    presenter: &["temperature", "ucb_width", "epsilon", "entropy_target"],
    still: Some(StillRecipe {
        chart: "regret",
        set: &["runs=50", "horizon=500", "compute=cpu"],
        steps: 500,
    }),
    papers: &[
        "Auer, Cesa-Bianchi & Fischer 2002, UCB1",
        "Thompson 1933; Agrawal & Goyal 2012, Thompson sampling",
        "Garivier & Cappé 2011, KL-UCB",
        "Auer et al. 2002, Exp3",
        "Zimmert & Seldin 2021, Tsallis-INF",
        "Li et al. 2010; Abbasi-Yadkori et al. 2011, LinUCB",
        "Agrawal & Goyal 2013, linear Thompson sampling",
        "Sutton & Barto 2018, softmax and gradient bandits",
    ],
    formula: concat!(
        "<p>UCB1 pulls <math><munder><mo>argmax</mo><mi>i</mi></munder><msub><mover><mi>μ</mi><mo>^</mo></mover><mi>i</mi></msub>",
        "<mo>+</mo><mn>{ucb_width}</mn><msqrt><mfrac><mrow><mn>2</mn><mi>ln</mi><mi>t</mi></mrow><msub><mi>n</mi><mi>i</mi></msub></mfrac></msqrt></math>.</p>",
        "<p>Boltzmann draws <math><mi>π</mi><mo>(</mo><mi>i</mi><mo>)</mo><mo>∝</mo><msup><mi>e</mi><mrow><msub><mover><mi>μ</mi><mo>^</mo></mover><mi>i</mi></msub><mo>/</mo><mn>{temperature}</mn></mrow></msup></math>.</p>",
        "<p>Epsilon-greedy explores with probability <math><mi>ε</mi><mo>=</mo><mn>{epsilon}</mn></math>.</p>",
    ),
};

/// One algorithm and what the page shows of it.
struct Slot {
    algorithm: AlgorithmId,
    regret_series: Series,
    best_arm_series: Series,
    entropy_series: Series,
    /// Each arm's mean policy probability, for explicit policies.
    policy_series: Vec<Series>,
}

/// Where the runs are computed.
enum Runs {
    Cpu(CpuRuns),
    Gpu(Box<GpuRuns>),
}

pub struct BanditsLab {
    env: Environment,
    setup: Setup,
    slots: Vec<Slot>,
    runs: Runs,
    /// Where the runs are computed, and why, for the page.
    compute_note: String,
    step: u64,
}

impl BanditsLab {
    /// Where the runs of `algorithms` can be computed: the GPU device, or
    /// why the CPU path runs instead.
    fn device<'a>(
        compute: &'a Compute,
        params: &BanditsParams,
        algorithms: &[AlgorithmId],
    ) -> Result<&'a thermolab_gpu::Gpu, String> {
        let device = chosen_gpu(compute, params.compute)?;
        gpu::unsupported(params.env, params.arms, algorithms).map_or(Ok(device), Err)
    }

    /// Rounds played so far.
    pub fn rounds(&self) -> u64 {
        self.step
    }

    /// Whether the runs are computed by the GPU kernels.
    pub fn on_gpu(&self) -> bool {
        matches!(self.runs, Runs::Gpu(_))
    }

    /// Mean cumulative regret over runs of each algorithm, in slot order.
    pub fn mean_regrets(&self) -> Vec<(String, f64)> {
        self.slots
            .iter()
            .map(|s| {
                (
                    s.algorithm.key().to_string(),
                    s.regret_series.last().map_or(0.0, |b| b.mean),
                )
            })
            .collect()
    }

    /// Cumulative regret of every run of slot `slot`: from the CPU, or read
    /// back from the GPU (as of its last dispatch).
    pub async fn run_regrets(&self, slot: usize) -> Result<Vec<f64>, String> {
        match &self.runs {
            Runs::Cpu(runs) => Ok(runs.regrets(slot).to_vec()),
            Runs::Gpu(runs) => runs.run_regrets(slot).await,
        }
    }

    /// Mean policy entropy over runs of slot `slot`, if its policy is explicit.
    pub fn mean_policy_entropy(&self, slot: usize) -> Option<f64> {
        self.slots[slot].entropy_series.last().map(|b| b.mean)
    }

    /// Pulls per arm of slot `slot`, summed over runs.
    pub fn pulls(&self, slot: usize) -> &[u64] {
        match &self.runs {
            Runs::Cpu(runs) => runs.pulls(slot),
            Runs::Gpu(runs) => runs.pulls(slot),
        }
    }

    /// For d = 2: each linear algorithm's confidence ellipse of theta in the
    /// first run, {theta : (theta - theta_hat)^T A (theta - theta_hat) <= w^2}
    /// with w its width (alpha, or v for LinTS), and the true theta.
    fn ellipse_chart(&self, params: &BanditsParams) -> Option<Chart> {
        let model = self.env.linear.as_ref().filter(|m| m.theta.len() == 2)?;
        let points = 96;
        let mut lines = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            let confidence_set = match &self.runs {
                Runs::Cpu(runs) => runs
                    .algorithm(i)
                    .confidence_set(0)
                    .map(|(center, a_inv)| (center, a_inv.to_vec())),
                Runs::Gpu(runs) => runs.confidence_set(i),
            };
            let Some((center, a_inv)) = confidence_set else {
                continue;
            };
            let width = if slot.algorithm == AlgorithmId::LinTs {
                params.posterior_scale
            } else {
                params.linear_width
            };
            // theta_hat + width L u for unit u, with L L^T = A^-1 (2 x 2 Cholesky).
            let l00 = a_inv[0].max(0.0).sqrt();
            let l10 = if l00 > 0.0 { a_inv[2] / l00 } else { 0.0 };
            let l11 = (a_inv[3] - l10 * l10).max(0.0).sqrt();
            let mut series = Series::new(&slot.regret_series.name, points + 2);
            for k in 0..=points {
                let phi = std::f64::consts::TAU * k as f64 / points as f64;
                let (u0, u1) = (phi.cos(), phi.sin());
                series.push(
                    center[0] + width * l00 * u0,
                    center[1] + width * (l10 * u0 + l11 * u1),
                );
            }
            lines.push(Line::from_series(&series, false).with_color(i));
        }
        if lines.is_empty() {
            return None;
        }
        let mut truth = Series::new("true theta", 2);
        truth.push(model.theta[0], model.theta[1]);
        lines.push(Line::from_series(&truth, false).with_color(SLOTS));
        Some(Chart {
            key: "ellipse".to_string(),
            title: "Confidence ellipse of theta (run 1)".to_string(),
            x_label: "theta 1".to_string(),
            y_label: "theta 2".to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        })
    }

    fn regret_guides(&self) -> Vec<Line> {
        let t_max = self.setup.horizon.min(self.step.max(1)) as f64;
        let points = 64;
        let ts = (1..=points).map(|i| (t_max * i as f64 / points as f64).max(1.0));
        let line = |label: String, f: &dyn Fn(f64) -> f64| {
            let mut series = Series::new(&label, points);
            for t in ts.clone() {
                series.push(t, f(t));
            }
            Line::guide(&series).with_color(SLOTS)
        };
        let k = self.setup.arms as f64;
        match self.env.lai_robbins_constant() {
            Some(c) => vec![line(format!("Lai-Robbins {c:.1} ln t"), &|t: f64| {
                c * t.ln()
            })],
            None if self.env.kind == Kind::Adversarial => {
                vec![line("sqrt(2 t K ln K)".to_string(), &|t: f64| {
                    (2.0 * t * k * k.ln()).sqrt()
                })]
            }
            None => Vec::new(),
        }
    }
}

#[async_trait::async_trait(?Send)]
impl Lab for BanditsLab {
    type Params = BanditsParams;

    fn about() -> About {
        ABOUT
    }

    fn presets() -> Vec<Preset> {
        crate::presets::presets()
    }

    /// On the GPU kernels when `compute` has a GPU, the `compute` param allows
    /// it and the kernels cover the environment and algorithms; else on the CPU.
    fn start(context: &LabContext, params: &BanditsParams) -> Result<Self, String> {
        let rng = CounterRng::new(context.seed);
        let env = Environment::of(params, rng);
        let setup = Setup::of(params);
        let algorithms = params.algorithms();
        let slots = algorithms
            .iter()
            .map(|algorithm| {
                let name = algorithm.label();
                Slot {
                    algorithm: *algorithm,
                    regret_series: Series::new(name, SERIES_CAPACITY),
                    best_arm_series: Series::new(name, SERIES_CAPACITY),
                    entropy_series: Series::new(name, SERIES_CAPACITY),
                    policy_series: Vec::new(),
                }
            })
            .collect();
        let compute = context.compute;
        let (runs, compute_note) = match Self::device(compute, params, &algorithms) {
            Ok(device) => {
                let runs = GpuRuns::new(device, &env, &setup, &algorithms, context.seed)?;
                let note = format!(
                    "WebGPU kernels, {} rounds per dispatch ({})",
                    runs.chunk(),
                    compute.info.name
                );
                (Runs::Gpu(Box::new(runs)), note)
            }
            Err(reason) => (
                Runs::Cpu(CpuRuns::new(&algorithms, &setup, params, rng)),
                format!("CPU reference: {reason}"),
            ),
        };
        Ok(Self {
            env,
            setup,
            slots,
            runs,
            compute_note,
            step: 0,
        })
    }

    async fn step(&mut self, params: &BanditsParams) -> Result<StepOutcome, RunError> {
        if self.step >= self.setup.horizon {
            return Ok(StepOutcome::Finished);
        }
        let t = self.step;
        let stats = match &mut self.runs {
            Runs::Cpu(runs) => runs.round(&self.env, params, t),
            Runs::Gpu(runs) => runs.round(params).await.map_err(RunError::Failed)?,
        };
        let x = (t + 1) as f64;
        for (slot, round) in self.slots.iter_mut().zip(stats) {
            let (m, half) = round.regret;
            ensure_finite(&format!("{} regret", slot.regret_series.name), m)?;
            slot.regret_series.push_range(x, m, m - half, m + half);
            slot.best_arm_series.push(x, round.best_share);
            if let Some((m, half)) = round.entropy {
                ensure_finite(&format!("{} policy entropy", slot.entropy_series.name), m)?;
                slot.entropy_series.push_range(x, m, m - half, m + half);
            }
            for (arm, p) in round.policy.iter().flatten().enumerate() {
                if slot.policy_series.len() <= arm {
                    let label = format!("arm {}", arm + 1);
                    slot.policy_series
                        .push(Series::new(&label, SERIES_CAPACITY));
                }
                slot.policy_series[arm].push(x, ensure_finite("policy probability", *p)?);
            }
        }
        self.step += 1;
        Ok(if self.step >= self.setup.horizon {
            StepOutcome::Finished
        } else {
            StepOutcome::Continue
        })
    }

    fn view(&self, params: &BanditsParams) -> View {
        let mut regret_lines: Vec<Line> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| Line::from_series(&s.regret_series, true).with_color(i))
            .collect();
        regret_lines.extend(self.regret_guides());
        let mut entropy_lines: Vec<Line> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.entropy_series.is_empty())
            .map(|(i, s)| Line::from_series(&s.entropy_series, true).with_color(i))
            .collect();
        if let Some(target) = params.held_entropy(self.setup.arms)
            && self
                .slots
                .iter()
                .any(|s| s.algorithm == AlgorithmId::Gradient)
        {
            let mut series = Series::new("target", 2);
            series.push(1.0, target);
            series.push(self.step.max(2) as f64, target);
            entropy_lines.push(Line::guide(&series).with_color(SLOTS));
        }
        let note = format!("mean of {} runs", self.setup.runs);
        let mut figures: Vec<Figure> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| Figure {
                key: format!("regret_{}", i + 1),
                label: format!("{} regret", s.regret_series.name),
                value: s.regret_series.last().map(|b| b.mean),
                unit: String::new(),
                note: note.clone(),
            })
            .collect();
        figures.extend(
            self.slots
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.entropy_series.is_empty())
                .map(|(i, s)| Figure {
                    key: format!("entropy_{}", i + 1),
                    label: format!("{} policy entropy", s.entropy_series.name),
                    value: s.entropy_series.last().map(|b| b.mean),
                    unit: "nats".to_string(),
                    note: note.clone(),
                }),
        );
        let numbers = |xs: &[f64]| {
            xs.iter()
                .map(|m| format!("{m:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut facts = vec![("Computed on".to_string(), self.compute_note.clone())];
        facts.push(match &self.env.linear {
            Some(model) => ("True theta".to_string(), numbers(&model.theta)),
            None => (
                "Arm means".to_string(),
                numbers(&self.env.means_at(self.step.saturating_sub(1))),
            ),
        });
        for (i, s) in self.slots.iter().enumerate() {
            let pulls = self.pulls(i);
            let total = pulls.iter().sum::<u64>().max(1) as f64;
            facts.push((
                format!("{} pulls", s.regret_series.name),
                pulls
                    .iter()
                    .map(|p| format!("{:.0}%", 100.0 * *p as f64 / total))
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
        let lines = |title: &str, key: &str, y: &str, lines: Vec<Line>, log_x: bool| Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "step t".to_string(),
            y_label: y.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x,
                log_y: false,
            },
        };
        let mut charts = vec![
            lines(
                "Cumulative regret",
                "regret",
                "regret",
                regret_lines,
                params.log_time,
            ),
            lines(
                "Share of runs pulling the best arm",
                "best_arm",
                "share",
                self.slots
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Line::from_series(&s.best_arm_series, false).with_color(i))
                    .collect(),
                params.log_time,
            ),
        ];
        if !entropy_lines.is_empty() {
            charts.push(lines(
                "Policy entropy",
                "entropy",
                "nats",
                entropy_lines,
                params.log_time,
            ));
        }
        for (i, slot) in self.slots.iter().enumerate() {
            if !slot.policy_series.is_empty() {
                charts.push(lines(
                    &format!("Policy of {} (mean over runs)", slot.regret_series.name),
                    &format!("policy_{}", i + 1),
                    "probability",
                    slot.policy_series
                        .iter()
                        .enumerate()
                        .map(|(arm, series)| Line::from_series(series, false).with_color(arm))
                        .collect(),
                    params.log_time,
                ));
            }
        }
        if let Some(chart) = self.ellipse_chart(params) {
            charts.push(chart);
        }
        View {
            figures,
            charts,
            facts,
        }
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        vec![BenchmarkEntry::of::<BanditPulls>()]
    }
}
