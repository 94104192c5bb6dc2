//! The Bandits lab: up to four algorithms face the same environment in N
//! independent runs; the page shows their regret with a 95% band, how often
//! they pull the best arm and, for stochastic policies, the policy's entropy.
//! Temperature, exploration and the entropy target act on the running
//! experiment. Each step is one round of every run: on the GPU kernels when
//! they cover the chosen environment and algorithms, else on the CPU
//! reference path.

pub mod algorithms;
pub mod bench;
pub mod cpu;
pub mod draws;
pub mod env;
pub mod gpu;
pub mod policy;
pub mod ridge;

use thermolab_core::experiment::{
    Chart, ChartKind, Experiment, Figure, LabInfo, Line, RunError, RunStatus, Snapshot,
    StepOutcome, ensure_finite,
};
use thermolab_core::params::{ParamError, ParamSpec, Params, Schema, Value};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;

use thermolab_gpu::Compute;

use cpu::CpuRuns;
use env::{ContextDesign, Environment, Kind, LinearModel};
use gpu::GpuRuns;
use policy::{Live, Setup};

pub const ID: &str = "bandits";
pub const SLOTS: usize = 4;
const SERIES_CAPACITY: usize = 256;
/// Each algorithm slot draws from its own block of RNG streams, far from the
/// environment's streams 0..arms.
pub(crate) fn slot_stream(slot: usize) -> u32 {
    (1 << 16) * (slot as u32 + 1)
}
/// Normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_985;

pub fn info() -> LabInfo {
    LabInfo {
        id: ID.to_string(),
        title: "Bandits".to_string(),
        summary: "Exploration against exploitation: UCB, Thompson, softmax, Exp3 and more, \
                  over many runs at once, with live temperature and entropy target."
            .to_string(),
        explanation: vec![
            "Each step, every algorithm pulls one arm in each of N independent runs. All \
             algorithms of a run see the same random rewards, so the gaps between curves are \
             theirs, not luck's. Regret is what was lost against always pulling the best arm \
             (against an adversary: the best single arm in hindsight); the band is a 95% \
             confidence interval of its mean over runs."
                .to_string(),
            "The dashed guides are theory: on stationary arms no consistent algorithm beats the \
             Lai-Robbins line, which grows as ln t, in the long run (early on a curve may sit below \
             it: the bound is asymptotic); against an adversary, Exp3's bound grows as \
             sqrt(t K ln K)."
                .to_string(),
            "Turn the temperature down and softmax exploration turns greedy; up, and it pulls \
             uniformly. Holding an entropy target makes the gradient bandit keep its policy's \
             entropy there by adjusting its entropy bonus."
                .to_string(),
            "Linear contextual bandits with misspecification zeta: on the aligned contexts, \
             regression on every round turns zeta into a false slope and LinUCB's regret grows \
             linearly; the threshold rule only learns from rounds it is unsure about and levels off."
                .to_string(),
            "Every run is one GPU invocation: the kernels advance all runs up to 32 rounds per \
             dispatch and read back only the curves. The facts say where this run is computed."
                .to_string(),
        ],
        schema: schema(),
        assets: Vec::new(),
    }
}

fn algorithm_options(with_none: bool) -> Vec<(&'static str, &'static str)> {
    let none = with_none.then_some(("none", "(none)"));
    none.into_iter().chain(algorithms::ALGORITHMS).collect()
}

pub fn schema() -> Schema {
    let slot_defaults = ["ucb1", "thompson", "boltzmann", "none"];
    let mut specs = vec![
        ParamSpec::choice(
            "env",
            "Environment",
            &[
                ("bernoulli", "Bernoulli arms"),
                ("gaussian", "Gaussian arms (variance 1)"),
                ("piecewise", "Piecewise stationary"),
                ("adversarial", "Adversarial"),
                ("linear", "Linear contextual"),
            ],
            "bernoulli",
        )
        .help("How arms pay. Piecewise: the means reverse at the switch step. Linear: K feature vectors per round."),
        ParamSpec::choice(
            "instance",
            "Arm means",
            &[
                ("one_good", "One good arm"),
                ("staircase", "Staircase"),
                ("custom", "Set by hand"),
            ],
            "one_good",
        )
        .help("One good arm: 0.5 + gap/2 against 0.5 - gap/2. Staircase: 0.9, 0.9 - gap, ... Set by hand: drag the bars below."),
        ParamSpec::float_list(
            "means",
            "Arm means by hand",
            (0.0, 1.0),
            &[0.7, 0.6, 0.5, 0.4, 0.3],
            0.5,
            ("arms", 16),
        )
        .help("With 'Set by hand': drag a bar to set that arm's mean (one bar per arm; new arms start at 0.5)."),
        ParamSpec::int("arms", "Arms", 2, 16, 5).help("Number of arms K (per round, when linear)."),
        ParamSpec::float("gap", "Gap", 0.01, 0.5, 0.2)
            .help("Difference between neighbouring arm means."),
        ParamSpec::int("switch_step", "Switch step", 1, 100_000, 1000)
            .log()
            .unit("step")
            .help("Piecewise stationary: the step at which the means reverse."),
        ParamSpec::int("dim", "Dimension", 2, 8, 2)
            .unit("d")
            .help("Linear: dimension of the features and of theta."),
        ParamSpec::float("noise", "Noise", 0.0, 1.0, 0.1)
            .unit("sigma")
            .help("Linear: standard deviation of the Gaussian reward noise."),
        ParamSpec::choice(
            "contexts",
            "Contexts",
            &[("random", "Random"), ("aligned", "Aligned with the misspecification")],
            "random",
        )
        .help("Linear: random unit features with the gap; or the best arm near theta nudged +-0.1 along w and decoys along +-w, where least squares turns zeta into a steep slope."),
        ParamSpec::float("zeta", "Misspecification", 0.0, 0.5, 0.0)
            .unit("zeta")
            .help("Linear: rewards depart from linear by up to zeta."),
        ParamSpec::float("ridge_lambda", "Ridge lambda", 1e-3, 100.0, 1.0)
            .log()
            .help("Linear algorithms: regularization of the ridge estimate."),
    ];
    for (slot, default) in slot_defaults.iter().enumerate() {
        specs.push(
            ParamSpec::choice(
                &format!("algo_{}", slot + 1),
                &format!("Algorithm {}", slot + 1),
                &algorithm_options(slot > 0),
                default,
            )
            .help("An algorithm to run on the same environment."),
        );
    }
    specs.extend([
        ParamSpec::choice(
            "compute",
            "Compute on",
            &[("auto", "WebGPU when it can"), ("cpu", "CPU reference")],
            "auto",
        )
        .help("WebGPU kernels run every environment and algorithm, except the linear algorithms on K-armed arms, which run on the CPU."),
        ParamSpec::int("runs", "Runs", 1, 100_000, 200)
            .log()
            .help("Independent runs N; the band is the 95% interval of the mean over them."),
        ParamSpec::int("horizon", "Horizon", 10, 100_000, 2000)
            .log()
            .unit("steps")
            .help("Rounds n per run; Exp3's learning rate is tuned to it."),
        ParamSpec::float("temperature", "Temperature", 1e-3, 1e3, 0.1)
            .log()
            .live()
            .unit("T")
            .help("Boltzmann exploration: pull arm i with probability proportional to exp(mean_i / T)."),
        ParamSpec::toggle("anneal", "Anneal temperature", false)
            .live()
            .help("Boltzmann: T / ln(e + t) instead of T."),
        ParamSpec::float("epsilon", "Epsilon", 0.0, 1.0, 0.1)
            .live()
            .help("epsilon-greedy: probability of a uniformly random arm."),
        ParamSpec::toggle("decay_epsilon", "Decay epsilon", false)
            .live()
            .help("epsilon-greedy: min(1, epsilon K / t) instead of epsilon."),
        ParamSpec::float("ucb_width", "UCB width", 0.0, 4.0, 1.0)
            .live()
            .unit("c")
            .help("UCB1: mean + c sqrt(2 ln t / n)."),
        ParamSpec::float("gradient_temperature", "Gradient temperature", 1e-3, 1e3, 1.0)
            .log()
            .live()
            .unit("T")
            .help("Gradient bandit: its policy is softmax(H / T) of the preferences H."),
        ParamSpec::float("step_size", "Gradient step size", 1e-3, 10.0, 0.1)
            .log()
            .live()
            .unit("alpha")
            .help("Gradient bandit: step size of the preference update."),
        ParamSpec::float("entropy_coef", "Entropy bonus", 0.0, 1.0, 0.0)
            .live()
            .unit("beta")
            .help("Gradient bandit: weight of the policy-entropy bonus (start value when a target is held)."),
        ParamSpec::toggle("hold_entropy", "Hold entropy target", false)
            .live()
            .help("Gradient bandit: adjust the bonus by dual ascent to hold the entropy target."),
        ParamSpec::float("entropy_target", "Entropy target", 0.0, 2.77, 0.5)
            .live()
            .unit("nats")
            .help("Policy entropy to hold; at most ln K (uniform)."),
        ParamSpec::float("dual_step", "Dual step size", 1e-3, 1.0, 0.05)
            .log()
            .live()
            .help("Step size of the entropy bonus's dual update."),
        ParamSpec::float("exp3_eta_scale", "Exp3 eta scale", 0.01, 100.0, 1.0)
            .log()
            .live()
            .unit("x tuned")
            .help("Exp3's learning rate as a multiple of the tuned sqrt(2 ln K / (n K))."),
        ParamSpec::float("exp3_gamma", "Exp3 gamma", 0.0, 1.0, 0.0)
            .live()
            .help("Exp3: share of uniform exploration mixed into the policy."),
        ParamSpec::float("linear_width", "LinUCB width", 0.0, 4.0, 1.0)
            .live()
            .unit("alpha")
            .help("LinUCB and the threshold rule: estimate + alpha ||x||_{A^-1}."),
        ParamSpec::float("posterior_scale", "LinTS scale", 0.0, 4.0, 0.5)
            .live()
            .unit("v")
            .help("LinTS: theta is drawn from N(theta_hat, v^2 A^-1)."),
        ParamSpec::float("selection_threshold", "Selection threshold", 0.0, 1.0, 0.1)
            .live()
            .unit("Gamma")
            .help("Threshold rule: a round enters the regression only if ||x||_{A^-1} >= Gamma."),
        ParamSpec::toggle("log_time", "Log time axis", false)
            .live()
            .help("Draw regret against ln t: logarithmic regret becomes a straight line."),
    ]);
    Schema::new(specs)
}

/// The live controls as the algorithms read them.
fn live_from(params: &Params, arms: usize) -> Result<Live, ParamError> {
    let max_entropy = (arms as f64).ln();
    Ok(Live {
        temperature: params.float("temperature")?,
        gradient_temperature: params.float("gradient_temperature")?,
        anneal: params.toggle("anneal")?,
        epsilon: params.float("epsilon")?,
        decay_epsilon: params.toggle("decay_epsilon")?,
        ucb_width: params.float("ucb_width")?,
        step_size: params.float("step_size")?,
        entropy_coef: params.float("entropy_coef")?,
        entropy_target: params
            .toggle("hold_entropy")?
            .then(|| params.float("entropy_target").map(|t| t.min(max_entropy)))
            .transpose()?,
        dual_step: params.float("dual_step")?,
        exp3_eta_scale: params.float("exp3_eta_scale")?,
        exp3_gamma: params.float("exp3_gamma")?,
        linear_width: params.float("linear_width")?,
        posterior_scale: params.float("posterior_scale")?,
        selection_threshold: params.float("selection_threshold")?,
    })
}

/// One round's statistics of one algorithm over all runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundStats {
    /// Mean cumulative regret and the half-width of its 95% interval.
    pub regret: (f64, f64),
    /// Share of runs that pulled a best arm this round.
    pub best_share: f64,
    /// Mean policy entropy and its half-width, for explicit policies.
    pub entropy: Option<(f64, f64)>,
    /// Each arm's policy probability, averaged over runs, for explicit policies.
    pub policy: Option<Vec<f64>>,
}

/// One algorithm and what the page shows of it.
struct Slot {
    id: String,
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
    params: Params,
    env: Environment,
    setup: Setup,
    live: Live,
    log_time: bool,
    slots: Vec<Slot>,
    runs: Runs,
    /// Where the runs are computed, and why, for the page.
    compute_note: String,
    step: u64,
}

impl BanditsLab {
    /// On the CPU reference path.
    pub fn new(params: &Params, seed: u64) -> Result<Self, ParamError> {
        Self::on(
            &Compute::cpu("the CPU reference path was asked for"),
            params,
            seed,
        )
    }

    /// On the GPU kernels when `compute` has a GPU, the `compute` param allows
    /// it and the kernels cover the environment and algorithms; else on the CPU.
    pub fn on(compute: &Compute, params: &Params, seed: u64) -> Result<Self, ParamError> {
        let arms = params.int("arms")? as usize;
        let gap = params.float("gap")?;
        let kind = Kind::parse(params.text("env")?).ok_or_else(|| ParamError {
            key: "env".to_string(),
            message: "unknown environment".to_string(),
        })?;
        let means = match params.text("instance")? {
            "staircase" => env::staircase(arms, gap),
            "custom" => params.float_list(&schema(), "means")?,
            _ => env::one_good_arm(arms, gap),
        };
        let rng = CounterRng::new(seed);
        let mut env = Environment::new(kind, means, params.int("switch_step")? as u64, rng);
        let mut dim = arms;
        if kind == Kind::Linear {
            dim = params.int("dim")? as usize;
            let design = match params.text("contexts")? {
                "aligned" => ContextDesign::Aligned,
                _ => ContextDesign::Random,
            };
            let model =
                LinearModel::new(dim, gap, params.float("zeta")?, params.float("noise")?, rng)
                    .with_design(design);
            env = env.with_linear_model(model);
        }
        let setup = Setup {
            runs: params.int("runs")? as usize,
            arms,
            horizon: params.int("horizon")? as u64,
            dim,
            ridge_lambda: params.float("ridge_lambda")?,
            binary_rewards: kind.is_binary(),
        };
        let live = live_from(params, arms)?;
        let mut ids = Vec::new();
        for slot in 1..=SLOTS {
            let id = params.text(&format!("algo_{slot}"))?;
            if algorithms::ALGORITHMS.iter().any(|(known, _)| *known == id) {
                ids.push(id.to_string());
            }
        }
        let slots = ids
            .iter()
            .map(|id| {
                let name = algorithms::name(id);
                Slot {
                    id: id.clone(),
                    regret_series: Series::new(name, SERIES_CAPACITY),
                    best_arm_series: Series::new(name, SERIES_CAPACITY),
                    entropy_series: Series::new(name, SERIES_CAPACITY),
                    policy_series: Vec::new(),
                }
            })
            .collect();
        // The GPU device to run on, or why the CPU path runs instead.
        let device = match (&compute.gpu, params.text("compute")?) {
            (_, "cpu") => Err("the CPU reference was chosen".to_string()),
            (None, _) => Err(compute
                .info
                .fallback_reason
                .clone()
                .unwrap_or_else(|| "no GPU".to_string())),
            (Some(device), _) => gpu::unsupported(kind, arms, &ids).map_or(Ok(device), Err),
        };
        let (runs, compute_note) = match device {
            Ok(device) => {
                let runs = GpuRuns::new(device, &env, &setup, &ids, seed).map_err(|message| {
                    ParamError {
                        key: "compute".to_string(),
                        message,
                    }
                })?;
                let note = format!(
                    "WebGPU kernels, {} rounds per dispatch ({})",
                    runs.chunk(),
                    compute.info.name
                );
                (Runs::Gpu(Box::new(runs)), note)
            }
            Err(reason) => (
                Runs::Cpu(CpuRuns::new(&ids, &setup, &live, rng)),
                format!("CPU reference: {reason}"),
            ),
        };
        Ok(Self {
            params: params.clone(),
            env,
            setup,
            live,
            log_time: params.toggle("log_time")?,
            slots,
            runs,
            compute_note,
            step: 0,
        })
    }

    /// Whether the runs are computed by the GPU kernels.
    pub fn on_gpu(&self) -> bool {
        matches!(self.runs, Runs::Gpu(_))
    }

    /// Mean cumulative regret over runs of each algorithm, in slot order.
    pub fn mean_regrets(&self) -> Vec<(String, f64)> {
        self.slots
            .iter()
            .map(|s| (s.id.clone(), s.regret_series.last().map_or(0.0, |b| b.mean)))
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
    fn ellipse_chart(&self) -> Option<Chart> {
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
            let width = if slot.id == "lints" {
                self.live.posterior_scale
            } else {
                self.live.linear_width
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

/// Mean and the half-width of its 95% confidence interval.
pub(crate) fn mean_and_half_width(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n.max(1.0);
    if xs.len() < 2 {
        return (m, 0.0);
    }
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, half_width(var, n))
}

/// Half-width of the 95% interval of a mean of `n` samples of variance `variance`.
pub(crate) fn half_width(variance: f64, n: f64) -> f64 {
    Z95 * (variance / n.max(1.0)).sqrt()
}

#[async_trait::async_trait(?Send)]
impl Experiment for BanditsLab {
    async fn step(&mut self) -> Result<StepOutcome, RunError> {
        if self.step >= self.setup.horizon {
            return Ok(StepOutcome::Finished);
        }
        let t = self.step;
        let stats = match &mut self.runs {
            Runs::Cpu(runs) => runs.round(&self.env, &self.live, t),
            Runs::Gpu(runs) => runs.round(&self.live).await.map_err(RunError::Failed)?,
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

    fn set_live_param(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let mut params = self.params.clone();
        params.set(&schema(), key, value)?;
        self.live = live_from(&params, self.setup.arms)?;
        self.log_time = params.toggle("log_time")?;
        self.params = params;
        Ok(())
    }

    fn snapshot(&self) -> Snapshot {
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
        if let Some(target) = self.live.entropy_target
            && self.slots.iter().any(|s| s.id == "gradient")
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
                self.log_time,
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
                self.log_time,
            ),
        ];
        if !entropy_lines.is_empty() {
            charts.push(lines(
                "Policy entropy",
                "entropy",
                "nats",
                entropy_lines,
                self.log_time,
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
                    self.log_time,
                ));
            }
        }
        if let Some(chart) = self.ellipse_chart() {
            charts.push(chart);
        }
        Snapshot {
            step: self.step,
            status: RunStatus::Paused,
            figures,
            charts,
            facts,
        }
    }
}
