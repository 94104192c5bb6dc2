//! The Linear MDP lab: each step is one episode of every seed for every
//! learner. Each episode's policy is scored exactly by evaluating it on
//! the model, so regret is sum_k V*_1(s_1) - V^{pi_k}_1(s_1) with no
//! sampling noise of its own; the page shows its mean over seeds with a 95%
//! band, returns, policy entropy, LSVI-UCB's bonus and SARSA's weight norm,
//! and the value map (values and policy arrows) of one learner's first seed.

use thermolab_core::experiment::{
    Chart, ChartKind, Figure, Line, PointGroup, Preset, RunError, StepOutcome, View, ensure_finite,
};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_core::stats::mean_and_half_width;
use thermolab_gpu::now_seconds;
use thermolab_kit::params::Choice;
use thermolab_kit::{About, BenchmarkEntry, Lab, LabContext, StillRecipe, chosen_gpu};

use crate::algorithms::{AlgorithmId, Context, Learner, Plan, lsvi_plan};
use crate::bench::LsviEpisodes;
use crate::env::{Cell, EnvKind, Environment};
use crate::episode::play;
use crate::features::{self, Features};
use crate::gpu::{self, GpuLearner};
use crate::mdp::{Mdp, Values, greedy};
use crate::params::{LinearMdpParams, MapOf, SLOTS};

const SERIES_CAPACITY: usize = 256;
/// A realizability error under this is reported as exact (rounding).
const EXACT_FIT: f64 = 1e-6;

const ABOUT: About = About {
    id: "linear-mdp",
    title: "Linear MDP",
    summary: "Episodic RL with linear features: LSVI-UCB against epsilon-greedy, soft and \
              mirror-descent value iteration, projected linear SARSA, on a gridworld you paint.",
    explanation: &[
        "Each step is one episode of every seed: the learner plans a policy, plays it from the \
         start for H steps and learns from what it saw. The model is known to the page (not to \
         the learners), so each policy's value is computed exactly; regret adds up what each \
         episode's policy lost against the optimal one. The band is a 95% interval of the mean \
         over seeds; every learner of a seed sees the same random numbers.",
        "LSVI-UCB regresses r + V(s') on the features phi(s, a) at each step h and adds the bonus \
         beta ||phi||_{Lambda^-1}: optimism sends it where it knows little, and its regret grows \
         like sqrt(K). Epsilon-greedy LSVI dithers instead; on RiverSwim it stays at the left \
         bank and its regret grows linearly.",
        "Soft VI backs up T log sum exp(Q / T) and acts by softmax(Q / T): turn T up and the \
         policy's entropy rises. MDVI keeps its policy proportional to pi^(tau/(tau+kappa)) \
         exp(Q/(tau+kappa)); with sampled transitions it averages their errors over iterations \
         where plain value iteration acts on the last sample's.",
        "Linear SARSA's weights are projected onto a ball of radius R after every update: the \
         weight norm chart shows them pressed against R or chattering below it.",
        "On the gridworld, click the value map to paint walls, reward cells (+1 a step) or \
         penalty cells (-1 a step): pick the brush under Environment. The facts say whether the \
         features make the MDP exactly linear, and how far from it they are.",
    ],
    assets: &[],
    bench_page: false,
    checkpoint: false,
    main_chart: "value_map",
    presenter: &["temperature", "beta", "epsilon", "kl_weight"],
    still: Some(StillRecipe {
        chart: "regret",
        set: &["env=river_swim", "seeds=8", "episodes=200", "algo_3=none"],
        steps: 200,
    }),
    papers: &[
        "Jin, Yang, Wang & Jordan 2020, LSVI-UCB",
        "Ziebart 2010; Haarnoja et al. 2017, soft value iteration",
        "Vieillard et al. 2020, Leverage the Average (MDVI)",
        "Kozuno et al. 2022; Kitamura et al. 2023, KL-entropy-regularized VI",
        "Zhang, Yao & Whiteson 2023, projected linear SARSA",
        "Strehl & Littman 2008; Osband et al. 2013, RiverSwim",
    ],
    formula: concat!(
        "<p>LSVI-UCB acts on <math><msub><mi>Q</mi><mi>h</mi></msub><mo>=</mo><mi>min</mi><mo>(</mo>",
        "<msubsup><mi>w</mi><mi>h</mi><mo>⊤</mo></msubsup><mi>φ</mi><mo>+</mo><mn>{beta}</mn>",
        "<msqrt><msup><mi>φ</mi><mo>⊤</mo></msup><msubsup><mi>Λ</mi><mi>h</mi><mrow><mo>−</mo><mn>1</mn></mrow></msubsup><mi>φ</mi></msqrt>",
        "<mo>,</mo><mi>H</mi><mo>)</mo></math>.</p>",
        "<p>Soft value iteration's policy is ",
        "<math><mi>π</mi><mo>(</mo><mi>a</mi><mo>|</mo><mi>s</mi><mo>)</mo><mo>∝</mo><msup><mi>e</mi><mrow><mi>Q</mi><mo>(</mo><mi>s</mi><mo>,</mo><mi>a</mi><mo>)</mo><mo>/</mo><mn>{temperature}</mn></mrow></msup></math>.</p>",
    ),
};

/// Where a learner's seeds run.
enum Engine {
    Cpu(Learner),
    Gpu(Box<GpuLearner>),
}

/// One learner and what the page shows of it.
struct Slot {
    algorithm: AlgorithmId,
    engine: Engine,
    /// Where it runs, and why, for the facts.
    runs_on: String,
    returns: Series,
    regret: Series,
    suboptimality: Series,
    entropy: Series,
    bonus: Series,
    weight_norm: Series,
    /// Cumulative regret of every seed.
    seed_regret: Vec<f64>,
    /// Visits per state, every seed and episode.
    visits: Vec<u64>,
    /// The first seed's last plan.
    first_seed: Option<Plan>,
}

pub struct LinearMdpLab {
    env: Environment,
    features: Features,
    optimal: Values,
    /// V*_1(s_1).
    optimal_value: f64,
    /// The features' realizability error, when a learner uses them.
    realizability: Option<f64>,
    slots: Vec<Slot>,
    rng: CounterRng,
    seeds: usize,
    episodes: u64,
    episode: u64,
    /// Episodes (every seed and learner) per second, a moving average over steps.
    episode_rate: Option<f64>,
}

impl LinearMdpLab {
    /// Episodes played so far.
    pub fn episodes_played(&self) -> u64 {
        self.episode
    }

    /// V*_1(s_1), exact.
    pub fn optimal_value(&self) -> f64 {
        self.optimal_value
    }

    pub fn realizability_error(&self) -> Option<f64> {
        self.realizability
    }

    /// Cumulative regret of every seed of slot `slot`.
    pub fn seed_regrets(&self, slot: usize) -> &[f64] {
        &self.slots[slot].seed_regret
    }

    /// Mean cumulative regret over seeds of each slot.
    pub fn mean_regrets(&self) -> Vec<f64> {
        self.slots
            .iter()
            .map(|s| s.seed_regret.iter().sum::<f64>() / self.seeds as f64)
            .collect()
    }

    /// The last mean of slot `slot`'s policy entropy, value error, bonus or weight norm.
    pub fn last(&self, slot: usize, what: &str) -> Option<f64> {
        let slot = &self.slots[slot];
        let series = match what {
            "entropy" => &slot.entropy,
            "suboptimality" => &slot.suboptimality,
            "bonus" => &slot.bonus,
            "weight_norm" => &slot.weight_norm,
            "return" => &slot.returns,
            _ => return None,
        };
        series.last().map(|b| b.mean)
    }

    /// The largest weight norm of slot `slot` over its seeds now.
    pub fn largest_weight_norm(&self, slot: usize) -> Option<f64> {
        let Engine::Cpu(learner) = &self.slots[slot].engine else {
            return None;
        };
        (0..self.seeds)
            .map(|seed| learner.weight_norm(seed))
            .try_fold(0.0f64, |m, n| n.map(|n| m.max(n)))
    }

    /// The model the learners face.
    pub fn mdp(&self) -> &Mdp {
        &self.env.mdp
    }

    /// The features the learners regress on.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// Slot `slot`'s learner, when it runs on the CPU.
    pub fn cpu_learner(&self, slot: usize) -> Option<&Learner> {
        match &self.slots[slot].engine {
            Engine::Cpu(learner) => Some(learner),
            Engine::Gpu(_) => None,
        }
    }

    /// Whether slot `slot` runs on the GPU kernel.
    pub fn on_gpu(&self, slot: usize) -> bool {
        matches!(self.slots[slot].engine, Engine::Gpu(_))
    }

    /// One episode of every seed of slot `i`: value errors, returns,
    /// entropies and (LSVI-UCB) bonuses, per seed.
    async fn episode_of(
        &mut self,
        i: usize,
        params: &LinearMdpParams,
    ) -> Result<SeedResults, RunError> {
        let mut results = SeedResults::default();
        let slot = &mut self.slots[i];
        match &mut slot.engine {
            Engine::Cpu(learner) => {
                let context = Context {
                    mdp: &self.env.mdp,
                    features: &self.features,
                    rng: self.rng,
                    episode: self.episode,
                };
                for seed in 0..self.seeds {
                    let plan = learner.plan(seed, &context, params);
                    let episode = play(context.mdp, &plan.policy, self.rng, seed, self.episode);
                    results
                        .gaps
                        .push(self.optimal_value - context.mdp.start_value(&plan.policy));
                    results
                        .bonuses
                        .extend(learner.bonus(seed, &episode, &context, params));
                    learner.learn(seed, &episode, &context, params);
                    results.returns.push(episode.total_reward());
                    results.entropies.push(episode.entropy);
                    for &s in &episode.states[..episode.actions.len()] {
                        slot.visits[s] += 1;
                    }
                    if seed == 0 {
                        slot.first_seed = Some(plan);
                    }
                }
                results.norms = (0..self.seeds)
                    .filter_map(|s| learner.weight_norm(s))
                    .collect();
            }
            Engine::Gpu(learner) => {
                let episode = learner
                    .episode(params, self.episodes)
                    .await
                    .map_err(RunError::Failed)?;
                for seed in &episode.seeds {
                    results.gaps.push(seed.gap);
                    results.returns.push(seed.total_reward);
                    results.entropies.push(seed.entropy);
                    if slot.algorithm == AlgorithmId::LsviUcb {
                        results.bonuses.push(seed.bonus);
                    }
                }
                slot.visits = learner.visits().to_vec();
                let q0 = [episode.first_q];
                slot.first_seed = lsvi_plan(slot.algorithm, &q0, self.env.mdp.actions, params);
            }
        }
        Ok(results)
    }

    /// The value map: V_1 of `map_of`'s first seed (or the optimal one) with
    /// its policy's arrows, the painted cells marked.
    fn value_map(&self, params: &LinearMdpParams) -> Chart {
        let (name, values, policy) = match params.map_of {
            MapOf::Optimal => (
                "Optimal".to_string(),
                Some(self.optimal.v[0].clone()),
                Some(greedy(&self.optimal.q[..1], self.env.mdp.actions).remove(0)),
            ),
            other => {
                let index = other.index() - 1;
                match self.slots.get(index) {
                    Some(slot) => (
                        slot.algorithm.label().to_string(),
                        slot.first_seed.as_ref().map(|p| p.values.clone()),
                        slot.first_seed
                            .as_ref()
                            .and_then(|p| p.policy.first().cloned()),
                    ),
                    None => (format!("algorithm {} (none)", index + 1), None, None),
                }
            }
        };
        let (columns, rows) = (self.env.columns, self.env.rows);
        let (cell_w, cell_h) = (2.0 / columns as f64, 2.0 / rows as f64);
        let centre = |s: usize| {
            [
                -1.0 + (s % columns) as f64 * cell_w + cell_w / 2.0,
                -1.0 + (s / columns) as f64 * cell_h + cell_h / 2.0,
            ]
        };
        let mut values = values.unwrap_or_else(|| vec![0.0; self.env.mdp.states]);
        let is_wall = |s: usize| self.env.cells.get(s) == Some(&Cell::Wall);
        // A wall is never entered: it takes the lowest value shown.
        let lowest = (0..values.len())
            .filter(|&s| !is_wall(s))
            .map(|s| values[s])
            .fold(f64::INFINITY, f64::min);
        for s in (0..values.len()).filter(|&s| is_wall(s)) {
            values[s] = if lowest.is_finite() { lowest } else { 0.0 };
        }
        let mut arrows = Vec::new();
        if let (Some(directions), Some(policy)) = (&self.env.arrows, policy) {
            let a = self.env.mdp.actions;
            for s in (0..self.env.mdp.states).filter(|&s| !is_wall(s)) {
                let c = centre(s);
                for (action, direction) in directions.iter().enumerate() {
                    let p = policy[s * a + action];
                    if p > 0.02 {
                        arrows.push([
                            c[0] as f32,
                            c[1] as f32,
                            (0.45 * p * cell_w * direction[0]) as f32,
                            (0.45 * p * cell_h * direction[1]) as f32,
                        ]);
                    }
                }
            }
        }
        let mut marks = Vec::new();
        if self.env.kind == EnvKind::Gridworld {
            let group = |label: &str, cell: Cell| PointGroup {
                label: label.to_string(),
                points: (0..self.env.cells.len())
                    .filter(|&s| self.env.cells[s] == cell)
                    .map(|s| centre(s).map(|v| v as f32))
                    .collect(),
                marked: true,
            };
            marks = vec![
                group("wall", Cell::Wall),
                group("reward +1", Cell::Reward),
                group("penalty -1", Cell::Penalty),
                group("goal +1", Cell::Goal),
            ];
            marks.retain(|g| !g.points.is_empty());
        }
        let paint = match self.env.kind {
            EnvKind::Gridworld => {
                format!(" · click: {}", params.brush.label().to_lowercase())
            }
            _ => String::new(),
        };
        Chart {
            key: "value_map".to_string(),
            title: format!("V_1 and policy, {name}{paint}"),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Heatmap {
                x_range: [-1.0, 1.0],
                y_range: [-1.0, 1.0],
                cols: columns,
                rows,
                values,
                arrows,
                marks,
            },
        }
    }

    fn visits_chart(&self, params: &LinearMdpParams) -> Option<Chart> {
        let index = params.map_of.index().saturating_sub(1);
        let slot = self.slots.get(index).or(self.slots.first())?;
        let total = slot.visits.iter().sum::<u64>().max(1) as f64;
        Some(Chart {
            key: "visits".to_string(),
            title: format!(
                "State visits of {}, all seeds (share)",
                slot.algorithm.label()
            ),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Heatmap {
                x_range: [-1.0, 1.0],
                y_range: [-1.0, 1.0],
                cols: self.env.columns,
                rows: self.env.rows,
                values: slot.visits.iter().map(|&v| v as f64 / total).collect(),
                arrows: Vec::new(),
                marks: Vec::new(),
            },
        })
    }

    /// c sqrt(k), with c putting it through the first learner's mean regret now.
    fn sqrt_guide(&self) -> Option<Line> {
        let end = self.slots.first()?.regret.last()?;
        let c = end.mean / end.x.sqrt();
        let points = 64;
        let mut series = Series::new("c sqrt(K)", points + 1);
        for i in 1..=points {
            let k = end.x * i as f64 / points as f64;
            series.push(k, c * k.sqrt());
        }
        Some(Line::guide(&series).with_color(SLOTS))
    }
}

/// What one episode of every seed of a slot gave.
#[derive(Default)]
struct SeedResults {
    gaps: Vec<f64>,
    returns: Vec<f64>,
    entropies: Vec<f64>,
    bonuses: Vec<f64>,
    norms: Vec<f64>,
}

/// Mean and 95% band of `xs` pushed at episode `x`.
fn push_mean(series: &mut Series, x: f64, xs: &[f64]) -> Result<(), RunError> {
    let (mean, half) = mean_and_half_width(xs);
    ensure_finite(&series.name, mean)?;
    series.push_range(x, mean, mean - half, mean + half);
    Ok(())
}

#[async_trait::async_trait(?Send)]
impl Lab for LinearMdpLab {
    type Params = LinearMdpParams;

    fn about() -> About {
        ABOUT
    }

    fn presets() -> Vec<Preset> {
        crate::presets::presets()
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        vec![BenchmarkEntry::of::<LsviEpisodes>()]
    }

    fn start(context: &LabContext, params: &LinearMdpParams) -> Result<Self, String> {
        let rng = CounterRng::new(context.seed);
        let env = Environment::of(params, rng)?;
        let features = features::build(
            params.features,
            &env,
            (params.rbf_centers, params.rbf_width),
            params.feature_dim,
            rng,
        );
        let optimal = env.mdp.optimal_values();
        let optimal_value = optimal.v[0][env.mdp.start];
        let algorithms = params.algorithms();
        let realizability = algorithms
            .iter()
            .any(|a| a.featured())
            .then(|| features::realizability_error(&env, &features, &optimal, rng));
        let seeds = params.seeds;
        let device = chosen_gpu(context.compute, params.compute);
        let mut slots = Vec::new();
        for &algorithm in &algorithms {
            let name = algorithm.label();
            let kernel = device.clone().and_then(|device| {
                gpu::unsupported(algorithm, &env.mdp, features.dim, seeds).map_or(Ok(device), Err)
            });
            let (engine, runs_on) = match kernel {
                Ok(device) => {
                    let learner = GpuLearner::new(
                        device,
                        algorithm,
                        (&env.mdp, &features, optimal_value),
                        params,
                        context.seed,
                    )?;
                    let note = format!(
                        "WebGPU kernel, {} episodes a dispatch ({})",
                        learner.chunk(),
                        context.compute.info.name
                    );
                    (Engine::Gpu(Box::new(learner)), note)
                }
                Err(reason) => (
                    Engine::Cpu(Learner::new(algorithm, seeds, &env.mdp, &features, params)),
                    format!("CPU: {reason}"),
                ),
            };
            slots.push(Slot {
                algorithm,
                engine,
                runs_on,
                returns: Series::new(name, SERIES_CAPACITY),
                regret: Series::new(name, SERIES_CAPACITY),
                suboptimality: Series::new(name, SERIES_CAPACITY),
                entropy: Series::new(name, SERIES_CAPACITY),
                bonus: Series::new(name, SERIES_CAPACITY),
                weight_norm: Series::new(name, SERIES_CAPACITY),
                seed_regret: vec![0.0; seeds],
                visits: vec![0; env.mdp.states],
                first_seed: None,
            });
        }
        Ok(Self {
            env,
            features,
            optimal,
            optimal_value,
            realizability,
            slots,
            rng,
            seeds,
            episodes: params.episodes,
            episode: 0,
            episode_rate: None,
        })
    }

    async fn step(&mut self, params: &LinearMdpParams) -> Result<StepOutcome, RunError> {
        if self.episode >= self.episodes {
            return Ok(StepOutcome::Finished);
        }
        let started = now_seconds();
        let x = (self.episode + 1) as f64;
        for i in 0..self.slots.len() {
            let results = self.episode_of(i, params).await?;
            let slot = &mut self.slots[i];
            for (total, gap) in slot.seed_regret.iter_mut().zip(&results.gaps) {
                *total += gap;
            }
            push_mean(&mut slot.returns, x, &results.returns)?;
            push_mean(&mut slot.suboptimality, x, &results.gaps)?;
            push_mean(&mut slot.regret, x, &slot.seed_regret.clone())?;
            push_mean(&mut slot.entropy, x, &results.entropies)?;
            if !results.bonuses.is_empty() {
                push_mean(&mut slot.bonus, x, &results.bonuses)?;
            }
            let norms = results.norms;
            if !norms.is_empty() {
                let mean = ensure_finite(
                    "SARSA weight norm",
                    norms.iter().sum::<f64>() / norms.len() as f64,
                )?;
                let (lo, hi) = norms.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), n| {
                    (lo.min(*n), hi.max(*n))
                });
                slot.weight_norm.push_range(x, mean, lo, hi);
            }
        }
        self.episode += 1;
        let rate = (self.seeds * self.slots.len()) as f64 / (now_seconds() - started).max(1e-9);
        self.episode_rate = Some(self.episode_rate.map_or(rate, |r| 0.9 * r + 0.1 * rate));
        Ok(if self.episode >= self.episodes {
            StepOutcome::Finished
        } else {
            StepOutcome::Continue
        })
    }

    fn live_changed(&mut self, old: &LinearMdpParams, new: &LinearMdpParams) {
        if old.ridge_lambda != new.ridge_lambda {
            for slot in &mut self.slots {
                match &mut slot.engine {
                    Engine::Cpu(learner) => {
                        learner.lambda_changed(old.ridge_lambda, new.ridge_lambda, &self.features)
                    }
                    Engine::Gpu(learner) => learner.set_lambda(old.ridge_lambda, new.ridge_lambda),
                }
            }
        }
    }

    fn view(&self, params: &LinearMdpParams) -> View {
        let lines = |key: &str, title: &str, y: &str, lines: Vec<Line>, log_y: bool| Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "episode k".to_string(),
            y_label: y.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y,
            },
        };
        let each = |pick: &dyn Fn(&Slot) -> &Series, band: bool| -> Vec<Line> {
            self.slots
                .iter()
                .enumerate()
                .filter(|(_, s)| !pick(s).is_empty())
                .map(|(i, s)| Line::from_series(pick(s), band).with_color(i))
                .collect()
        };
        let flat = |label: &str, y: f64| {
            let mut series = Series::new(label, 2);
            series.push(1.0, y);
            series.push(self.episode.max(2) as f64, y);
            Line::guide(&series).with_color(SLOTS)
        };
        let mut regret = each(&|s| &s.regret, true);
        regret.extend(self.sqrt_guide());
        let mut returns = each(&|s| &s.returns, true);
        returns.push(flat("optimal V*", self.optimal_value));
        let mut charts = vec![
            self.value_map(params),
            lines("regret", "Cumulative regret", "regret", regret, false),
            lines("returns", "Return per episode", "return", returns, false),
            lines(
                "suboptimality",
                "Value error V* - V^pi_k of each episode's policy",
                "value error",
                each(&|s| &s.suboptimality, true),
                false,
            ),
            lines(
                "entropy",
                "Policy entropy along the episode",
                "nats",
                each(&|s| &s.entropy, true),
                false,
            ),
        ];
        charts.extend(self.visits_chart(params));
        let bonus = each(&|s| &s.bonus, true);
        if !bonus.is_empty() {
            charts.push(lines(
                "bonus",
                "LSVI-UCB's mean bonus beta ||phi||",
                "bonus",
                bonus,
                false,
            ));
        }
        let mut norms = each(&|s| &s.weight_norm, true);
        if !norms.is_empty() {
            norms.push(flat("radius R", params.radius));
            charts.push(lines(
                "weight_norm",
                "Linear SARSA's weight norm (band: all seeds)",
                "||w||",
                norms,
                false,
            ));
        }
        let note = format!("mean of {} seeds", self.seeds);
        let figure = |i: usize, key: &str, label: String, series: &Series, unit: &str| Figure {
            key: format!("{key}_{}", i + 1),
            label,
            value: series.last().map(|b| b.mean),
            unit: unit.to_string(),
            note: note.clone(),
        };
        let mut figures: Vec<Figure> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| {
                figure(
                    i,
                    "regret",
                    format!("{} regret", s.algorithm.label()),
                    &s.regret,
                    "",
                )
            })
            .collect();
        figures.push(Figure {
            key: "episodes_per_second".to_string(),
            label: "Episodes per second".to_string(),
            value: self.episode_rate,
            unit: "episodes/s".to_string(),
            note: "every seed and learner; a moving average over steps".to_string(),
        });
        figures.extend(self.slots.iter().enumerate().map(|(i, s)| {
            figure(
                i,
                "entropy",
                format!("{} policy entropy", s.algorithm.label()),
                &s.entropy,
                "nats",
            )
        }));
        let mdp = &self.env.mdp;
        let mut facts = vec![
            (
                "Optimal value V*_1(s_1)".to_string(),
                format!("{:.4}", self.optimal_value),
            ),
            (
                "Model".to_string(),
                format!(
                    "{} states, {} actions, horizon {}",
                    mdp.states, mdp.actions, mdp.horizon
                ),
            ),
            (
                "Episodes".to_string(),
                format!("{} of {}", self.episode, self.episodes),
            ),
            (
                "Episodes a step".to_string(),
                format!(
                    "{} ({} seeds x {} learners)",
                    self.seeds * self.slots.len(),
                    self.seeds,
                    self.slots.len()
                ),
            ),
        ];
        facts.extend(self.slots.iter().map(|slot| {
            (
                format!("{} runs on", slot.algorithm.label()),
                slot.runs_on.clone(),
            )
        }));
        if let Some(error) = self.realizability {
            facts.push((
                "Feature dimension d".to_string(),
                self.features.dim.to_string(),
            ));
            facts.push((
                "Linear MDP?".to_string(),
                if error < EXACT_FIT {
                    "yes: every Bellman backup is linear in phi".to_string()
                } else {
                    format!("no: the best linear fit of r + PV misses by up to {error:.3}")
                },
            ));
        }
        let reachable = mdp.reachable();
        let rewarded = (0..mdp.states * mdp.actions)
            .any(|pair| reachable[pair / mdp.actions] && mdp.reward[pair] > 0.0);
        if !rewarded {
            facts.push((
                "Reward".to_string(),
                "none is reachable from the start: every policy scores at most 0".to_string(),
            ));
        }
        View {
            figures,
            charts,
            facts,
        }
    }
}
