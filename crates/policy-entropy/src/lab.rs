//! The Policy entropy lab: up to four entropy controllers fine-tune the
//! same policies (S seeds) with GRPO on the same task and the same samples'
//! uniforms; every step shows entropy, reward, pass@k, clipped shares,
//! BAPO's bounds, the reward-entropy law, the entropy change against its
//! covariance prediction, and the shown token's law with a decoding panel.

use thermolab_core::experiment::{
    Chart, ChartKind, Figure, Line, PointGroup, Preset, RunError, StepOutcome, View, ensure_finite,
};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_core::stats::mean_and_half_width;
use thermolab_gpu::{TensorDevice, now_seconds};
use thermolab_kit::{About, BenchmarkEntry, Lab, LabContext, StillRecipe, chosen_tensor_device};

use crate::analysis::{fit_reward_entropy, pass_at_k};
use crate::bench::UpdateThroughput;
use crate::controllers::ControllerId;
use crate::decoding::{decode, em_inf_temperature};
use crate::params::{Decoding, PeParams, SLOTS};
use crate::task::{Dims, Rule};
use crate::trainer::{Draws, Run, StepReport};

const SERIES_CAPACITY: usize = 256;

/// The controller each select names, in slot order.
pub fn slot_choices(params: &PeParams) -> [Option<ControllerId>; SLOTS] {
    [
        Some(params.controller_1),
        params.controller_2,
        params.controller_3,
        params.controller_4,
    ]
}
/// Steps of the token-probability history kept.
const HISTORY: usize = 120;
/// (entropy, reward) points kept per controller for the scatter and fit.
const SCATTER: usize = 400;

const ABOUT: About = About {
    id: "policy-entropy",
    title: "Policy entropy",
    summary: "RL fine-tuning in miniature: GRPO drives a policy's entropy to zero; temperatures, \
              entropy targets and clip bounds hold it.",
    explanation: &[
        "A softmax policy writes an answer of L tokens for each prompt; a hidden rule checks it \
         (0 or 1). GRPO samples G answers per prompt, gives each the reward minus its group's \
         mean over the group's standard deviation as its advantage, and takes a few steps on \
         the PPO surrogate, its ratio clipped to [1 - eps_low, 1 + eps_high].",
        "Without control the entropy collapses: rewarded tokens get likelier, their \
         probabilities and advantages covary, and the entropy falls by about that covariance \
         each step (the dashed line predicts the solid one). Reward is bought with entropy along \
         R = -a e^H + b, and pass@k falls toward pass@1 as answers stop varying.",
        "The controllers act on different things: a bonus on the entropy (fixed, by dual ascent \
         to a target, or AEnt's clamped one), the sampling of extra answers (AEPO), the logits \
         the loss sees (ERA), the gradient of high-covariance tokens (Clip-Cov, KL-Cov) or the \
         clip bounds (BAPO; clip-higher is eps_high above eps_low).",
        "The decoding panel trims the shown next-token law as a sampler would: temperature, \
         top-p, min-p or Top-H; EM-INF finds the temperature that gives a target entropy.",
    ],
    assets: &[],
    bench_page: false,
    checkpoint: false,
    main_chart: "entropy",
    presenter: &["entropy_target", "eps_high", "temperature"],
    still: Some(StillRecipe {
        chart: "entropy",
        set: &["seeds=4", "steps=60"],
        steps: 60,
    }),
    papers: &[
        "Shao et al. 2024, GRPO",
        "Yu et al. 2025, DAPO (clip-higher)",
        "Cui et al. 2025, the entropy mechanism (Clip-Cov, KL-Cov)",
        "Shen 2025, AEnt",
        "AEPO 2025, arbitrary entropy policy optimization",
        "ERA 2025, entropy regularizing activation",
        "Xi et al. 2025, BAPO",
        "Potraghloo et al. 2025, Top-H decoding",
        "Agarwal et al. 2025, EM-INF",
    ],
    formula: concat!(
        "<p>Each token's surrogate <math><mi>min</mi><mo>(</mo><mi>ρ</mi><mi>A</mi><mo>,</mo>",
        "<mi>clip</mi><mo>(</mo><mi>ρ</mi><mo>,</mo><mn>1</mn><mo>−</mo><mn>{eps_low}</mn><mo>,</mo><mn>1</mn><mo>+</mo><mn>{eps_high}</mn><mo>)</mo>",
        "<mi>A</mi><mo>)</mo></math>, <math><mi>ρ</mi><mo>=</mo><mi>π</mi><mo>/</mo><msub><mi>π</mi><mtext>old</mtext></msub></math>.</p>",
        "<p>Answers are drawn from <math><mi>softmax</mi><mo>(</mo><mi>z</mi><mo>/</mo><mn>{temperature}</mn><mo>)</mo></math>.</p>",
    ),
};

/// One controller and what the page shows of it.
struct Slot {
    /// Which controller select (0 to 3) it belongs to.
    position: usize,
    run: Run,
    entropy: Series,
    reward: Series,
    pass_1: Series,
    pass_k: Series,
    clipped_positive: Series,
    clipped_negative: Series,
    bound_low: Series,
    bound_high: Series,
    predicted: Series,
    actual: Series,
    /// (mean entropy, mean reward) per step.
    points: Vec<(f64, f64)>,
    last: Option<StepReport>,
    /// Updates per second, a moving average over steps.
    rate: Option<f64>,
}

impl Slot {
    fn new(run: Run, position: usize) -> Self {
        let series = || Series::new("", SERIES_CAPACITY);
        let mut slot = Self {
            position,
            entropy: series(),
            reward: series(),
            pass_1: series(),
            pass_k: series(),
            clipped_positive: series(),
            clipped_negative: series(),
            bound_low: series(),
            bound_high: series(),
            predicted: series(),
            actual: series(),
            points: Vec::new(),
            last: None,
            rate: None,
            run,
        };
        slot.name_series();
        slot
    }

    fn name(&self) -> String {
        format!("{} ({})", self.run.controller.label(), self.position + 1)
    }

    /// Names every series after the slot's controller.
    fn name_series(&mut self) {
        let name = self.name();
        for (series, suffix) in [
            (&mut self.entropy, ""),
            (&mut self.reward, ""),
            (&mut self.pass_1, ", pass@1"),
            (&mut self.pass_k, ", pass@k"),
            (&mut self.clipped_positive, ", A > 0"),
            (&mut self.clipped_negative, ", A < 0"),
            (&mut self.bound_low, ", c_low"),
            (&mut self.bound_high, ", c_high"),
            (&mut self.predicted, ", predicted"),
            (&mut self.actual, ", measured"),
        ] {
            series.name = format!("{name}{suffix}");
        }
    }

    /// Records a step's report at x = `step`.
    fn record(&mut self, step: u64, report: StepReport, params: &PeParams) -> Result<(), RunError> {
        let x = step as f64;
        let push = |series: &mut Series, values: &[f64]| {
            let (mean, half) = mean_and_half_width(values);
            series.push_range(x, mean, mean - half, mean + half);
            mean
        };
        let entropy = ensure_finite("policy entropy", push(&mut self.entropy, &report.entropy))?;
        let per_seed = |f: &dyn Fn(&[f32]) -> f64| -> Vec<f64> {
            report
                .rewards
                .chunks_exact(params.prompts * params.group)
                .map(f)
                .collect()
        };
        let reward = push(
            &mut self.reward,
            &per_seed(&|r| r.iter().map(|x| f64::from(*x)).sum::<f64>() / r.len() as f64),
        );
        let pass = |k: usize| {
            per_seed(&|r| {
                r.chunks_exact(params.group)
                    .map(|group| {
                        let correct = group.iter().filter(|x| **x > 0.5).count();
                        pass_at_k(params.group, correct, k)
                    })
                    .sum::<f64>()
                    / params.prompts as f64
            })
        };
        push(&mut self.pass_1, &pass(1));
        push(&mut self.pass_k, &pass(params.pass_k));
        push(&mut self.clipped_positive, &report.clipped_positive);
        push(&mut self.clipped_negative, &report.clipped_negative);
        if self.run.controller == ControllerId::Bapo {
            let lows: Vec<f64> = report.states.iter().map(|s| s.low).collect();
            let highs: Vec<f64> = report.states.iter().map(|s| s.high).collect();
            push(&mut self.bound_low, &lows);
            push(&mut self.bound_high, &highs);
        }
        push(&mut self.predicted, &report.predicted_change);
        let changes: Vec<f64> = report
            .entropy_after
            .iter()
            .zip(&report.entropy)
            .map(|(a, b)| a - b)
            .collect();
        push(&mut self.actual, &changes);
        if self.points.len() == SCATTER {
            // Keep every other point: the whole run stays in view.
            self.points = self.points.iter().step_by(2).copied().collect();
        }
        self.points.push((entropy, reward));
        self.last = Some(report);
        Ok(())
    }

    fn fit(&self) -> Option<(f64, f64)> {
        fit_reward_entropy(&self.points)
    }
}

pub struct PolicyEntropyLab {
    rule: Rule,
    dims: Dims,
    rng: CounterRng,
    device: TensorDevice,
    slots: Vec<Slot>,
    device_name: String,
    step: u64,
    /// Controller 1's shown token law (at the sampling temperature) per recorded step.
    history: Vec<(u64, Vec<f64>)>,
}

impl PolicyEntropyLab {
    fn shown_logits(&self) -> Option<Vec<f64>> {
        let report = self.slots.first()?.last.as_ref()?;
        Some(report.shown_logits.iter().map(|z| f64::from(*z)).collect())
    }

    fn lines_chart(key: &str, title: &str, y: &str, lines: Vec<Line>) -> Chart {
        Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "step".to_string(),
            y_label: y.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        }
    }

    fn target_guides(&self, params: &PeParams) -> Vec<Line> {
        if !params.controllers().iter().any(|c| c.targets()) {
            return Vec::new();
        }
        [
            ("target", params.entropy_target),
            ("band low", params.entropy_target - params.entropy_band),
            ("band high", params.entropy_target + params.entropy_band),
        ]
        .into_iter()
        .map(|(name, y)| {
            let mut series = Series::new(name, 2);
            series.push(0.0, y);
            series.push(self.step.max(1) as f64, y);
            Line::guide(&series)
        })
        .collect()
    }

    fn scatter_chart(&self) -> Chart {
        let mut groups: Vec<PointGroup> = self
            .slots
            .iter()
            .map(|slot| PointGroup {
                label: slot.name(),
                points: slot
                    .points
                    .iter()
                    .map(|(h, r)| [*h as f32, *r as f32])
                    .collect(),
                marked: false,
            })
            .collect();
        for slot in &self.slots {
            let Some((a, b)) = slot.fit() else { continue };
            let (lo, hi) = slot
                .points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (h, _)| {
                    (lo.min(*h), hi.max(*h))
                });
            groups.push(PointGroup {
                label: format!("{}: R = -{a:.3} e^H + {b:.3}", slot.name()),
                points: (0..=40)
                    .map(|j| {
                        let h = lo + (hi - lo) * j as f64 / 40.0;
                        [h as f32, (b - a * h.exp()) as f32]
                    })
                    .collect(),
                marked: false,
            });
        }
        Chart {
            key: "reward_entropy".to_string(),
            title: "Reward against entropy, one point a step, with the fitted R = -a e^H + b"
                .to_string(),
            x_label: "entropy H (nats)".to_string(),
            y_label: "mean reward R".to_string(),
            kind: ChartKind::Scatter { groups },
        }
    }

    fn history_chart(&self, params: &PeParams) -> Option<Chart> {
        let first = self.history.first()?;
        let last = self.history.last()?;
        let cols = self.history.len();
        let rows = params.vocab;
        let mut values = vec![0.0; rows * cols];
        for (c, (_, law)) in self.history.iter().enumerate() {
            for (token, p) in law.iter().enumerate().take(rows) {
                values[token * cols + c] = *p;
            }
        }
        Some(Chart {
            key: "token_probs".to_string(),
            title: format!(
                "Token probabilities over steps: {}, seed 1, prompt {}, position {}",
                self.slots[0].name(),
                params.view_prompt,
                params.view_position
            ),
            x_label: "step".to_string(),
            y_label: "token".to_string(),
            kind: ChartKind::Heatmap {
                x_range: [first.0 as f64, last.0 as f64],
                y_range: [-0.5, rows as f64 - 0.5],
                cols,
                rows,
                values,
                arrows: Vec::new(),
                marks: Vec::new(),
            },
        })
    }

    fn decoding_view(&self, params: &PeParams) -> (Option<Chart>, Vec<Figure>) {
        let Some(logits) = self.shown_logits() else {
            return (None, Vec::new());
        };
        let knob = match params.decoding {
            Decoding::Temperature => 0.0,
            Decoding::TopP => params.top_p,
            Decoding::MinP => params.min_p,
            Decoding::TopH => params.top_h,
        };
        let decoded = decode(&logits, params.decoding, params.decode_temperature, knob);
        let (em_t, em_h) = em_inf_temperature(&logits, params.em_inf_target);
        let mut order: Vec<usize> = (0..decoded.law.len()).collect();
        order.sort_by(|a, b| decoded.law[*b].total_cmp(&decoded.law[*a]));
        let group = |kept: bool| PointGroup {
            label: if kept { "kept" } else { "cut" }.to_string(),
            points: order
                .iter()
                .enumerate()
                .filter(|(_, t)| decoded.kept.contains(t) == kept)
                .map(|(rank, t)| [rank as f32, decoded.law[*t] as f32])
                .collect(),
            marked: kept,
        };
        let chart = Chart {
            key: "decoding".to_string(),
            title: format!(
                "Decoding {} at T = {:.3}: the next-token law by rank, kept tokens dark",
                params.decoding.label(),
                params.decode_temperature
            ),
            x_label: "token rank".to_string(),
            y_label: "probability".to_string(),
            kind: ChartKind::Scatter {
                groups: vec![group(true), group(false)],
            },
        };
        let figure = |key: &str, label: &str, value: f64, unit: &str| Figure {
            key: key.to_string(),
            label: label.to_string(),
            value: Some(value),
            unit: unit.to_string(),
            note: String::new(),
        };
        let figures = vec![
            figure(
                "decode_kept",
                "Decoding keeps",
                decoded.kept.len() as f64,
                "tokens",
            ),
            figure(
                "decode_entropy",
                "Entropy of the kept set",
                decoded.kept_entropy,
                "nats",
            ),
            figure("em_inf_temperature", "EM-INF temperature", em_t, "T"),
            figure(
                "em_inf_entropy",
                "Entropy at the EM-INF temperature",
                em_h,
                "nats",
            ),
        ];
        (Some(chart), figures)
    }
}

#[async_trait::async_trait(?Send)]
impl Lab for PolicyEntropyLab {
    type Params = PeParams;

    fn about() -> About {
        ABOUT
    }

    fn presets() -> Vec<Preset> {
        crate::presets::presets()
    }

    fn start(context: &LabContext, params: &PeParams) -> Result<Self, String> {
        let rng = CounterRng::new(context.seed);
        let (device, device_name) = chosen_tensor_device(context.compute, params.compute);
        let slots = slot_choices(params)
            .into_iter()
            .enumerate()
            .filter_map(|(position, choice)| {
                choice.map(|c| Slot::new(Run::new(c, params, rng, &device), position))
            })
            .collect();
        Ok(Self {
            rule: Rule::draw(params, rng),
            dims: Dims::of(params),
            rng,
            device,
            slots,
            device_name,
            step: 0,
            history: Vec::new(),
        })
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        vec![BenchmarkEntry::of::<UpdateThroughput>()]
    }

    async fn step(&mut self, params: &PeParams) -> Result<StepOutcome, RunError> {
        if self.step >= params.steps {
            return Ok(StepOutcome::Finished);
        }
        let draws = Draws::of(self.rng, self.dims, self.step);
        self.step += 1;
        for slot in &mut self.slots {
            let started = now_seconds();
            let report = slot.run.step(params, &self.rule, &draws).await?;
            let rate = 1.0 / (now_seconds() - started).max(1e-9);
            slot.rate = Some(slot.rate.map_or(rate, |r| 0.9 * r + 0.1 * rate));
            slot.record(self.step, report, params)?;
        }
        if let Some(logits) = self.shown_logits() {
            let law = crate::decoding::softmax_at(&logits, params.temperature);
            if self.history.len() == HISTORY {
                self.history.remove(0);
            }
            self.history.push((self.step, law));
        }
        Ok(if self.step >= params.steps {
            StepOutcome::Finished
        } else {
            StepOutcome::Continue
        })
    }

    /// A controller switched mid-run takes over its slot's policy as
    /// trained so far; one added starts from the seeds' initial policy at
    /// the current step; one set to none leaves.
    fn live_changed(&mut self, old: &PeParams, new: &PeParams) {
        let (before, after) = (slot_choices(old), slot_choices(new));
        for position in 0..SLOTS {
            let index = self.slots.iter().position(|s| s.position == position);
            match (before[position], after[position], index) {
                (Some(a), Some(b), Some(i)) if a != b => {
                    self.slots[i].run.switch(b, new);
                    self.slots[i].name_series();
                }
                (_, None, Some(i)) => {
                    self.slots.remove(i);
                }
                (None, Some(b), None) => {
                    let run = Run::new(b, new, self.rng, &self.device);
                    let at = self.slots.partition_point(|s| s.position < position);
                    self.slots.insert(at, Slot::new(run, position));
                }
                _ => {}
            }
        }
    }

    /// The decoding panel reads the trained policy after the run ends.
    fn live_after_finish(&self) -> bool {
        true
    }

    fn view(&self, params: &PeParams) -> View {
        let colored = |pick: &dyn Fn(&Slot) -> &Series, band: bool| -> Vec<Line> {
            self.slots
                .iter()
                .map(|s| Line::from_series(pick(s), band).with_color(s.position))
                .collect()
        };
        let paired = |solid: &dyn Fn(&Slot) -> &Series, dashed: &dyn Fn(&Slot) -> &Series| {
            self.slots
                .iter()
                .flat_map(|s| {
                    [
                        Line::from_series(solid(s), false).with_color(s.position),
                        Line::guide(dashed(s)).with_color(s.position),
                    ]
                })
                .collect::<Vec<Line>>()
        };
        let mut entropy = colored(&|s| &s.entropy, true);
        entropy.extend(self.target_guides(params));
        let mut charts = vec![
            Self::lines_chart(
                "entropy",
                "Policy entropy per token (mean over seeds, 95% band; dashed: target and band)",
                "entropy (nats)",
                entropy,
            ),
            Self::lines_chart(
                "reward",
                "Mean reward (95% band over seeds)",
                "reward",
                colored(&|s| &s.reward, true),
            ),
            Self::lines_chart(
                "pass",
                &format!("pass@1 (solid) and pass@{} (dashed)", params.pass_k),
                "pass rate",
                paired(&|s| &s.pass_1, &|s| &s.pass_k),
            ),
            Self::lines_chart(
                "clipped",
                "Share of tokens the clip stops: A > 0 above 1 + eps_high (solid), A < 0 below \
                 1 - eps_low (dashed)",
                "share of tokens",
                paired(&|s| &s.clipped_positive, &|s| &s.clipped_negative),
            ),
            Self::lines_chart(
                "entropy_change",
                "Entropy change per step: measured (solid), -Cov(log pi, dz) (dashed)",
                "change (nats)",
                paired(&|s| &s.actual, &|s| &s.predicted),
            ),
            self.scatter_chart(),
        ];
        if self
            .slots
            .iter()
            .any(|s| s.run.controller == ControllerId::Bapo)
        {
            charts.push(Self::lines_chart(
                "bapo_bounds",
                "BAPO's clip bounds on the ratio (mean over seeds)",
                "ratio bound",
                self.slots
                    .iter()
                    .filter(|s| s.run.controller == ControllerId::Bapo)
                    .flat_map(|s| {
                        [
                            Line::from_series(&s.bound_high, false).with_color(s.position),
                            Line::guide(&s.bound_low).with_color(s.position),
                        ]
                    })
                    .collect(),
            ));
        }
        charts.extend(self.history_chart(params));
        let (decoding_chart, decoding_figures) = self.decoding_view(params);
        charts.extend(decoding_chart);

        let mut figures = Vec::new();
        for slot in &self.slots {
            let name = slot.name();
            let last = |series: &Series| series.last().map(|b| b.mean);
            let figure =
                |key: &str, label: &str, value: Option<f64>, unit: &str, note: String| Figure {
                    key: format!("{key}_{}", slot.position + 1),
                    label: format!("{name} {label}"),
                    value,
                    unit: unit.to_string(),
                    note,
                };
            let fit = slot.fit();
            figures.extend([
                figure(
                    "entropy",
                    "entropy",
                    last(&slot.entropy),
                    "nats",
                    "mean over seeds".into(),
                ),
                figure(
                    "reward",
                    "reward",
                    last(&slot.reward),
                    "",
                    "mean over seeds".into(),
                ),
                figure("pass_1", "pass@1", last(&slot.pass_1), "", String::new()),
                figure(
                    "pass_k",
                    &format!("pass@{}", params.pass_k),
                    last(&slot.pass_k),
                    "",
                    String::new(),
                ),
                figure(
                    "clipped_positive",
                    "clipped, A > 0",
                    last(&slot.clipped_positive),
                    "share",
                    if params.epochs == 1 {
                        "one epoch: the ratio is 1, nothing is clipped".to_string()
                    } else {
                        String::new()
                    },
                ),
                figure(
                    "clipped_negative",
                    "clipped, A < 0",
                    last(&slot.clipped_negative),
                    "share",
                    String::new(),
                ),
                figure(
                    "fit_a",
                    "fitted a of R = -a e^H + b",
                    fit.map(|(a, _)| a),
                    "",
                    fit.map_or("needs two steps".to_string(), |(_, b)| {
                        format!("b = {b:.3}")
                    }),
                ),
                figure(
                    "rate",
                    "updates",
                    slot.rate,
                    "updates/s",
                    format!("each {} epochs on {} seeds", params.epochs, params.seeds),
                ),
            ]);
            if let Some(state) = slot.run.states().first()
                && matches!(
                    slot.run.controller,
                    ControllerId::Dual | ControllerId::Aent | ControllerId::Bonus
                )
            {
                figures.push(figure(
                    "coefficient",
                    "entropy coefficient",
                    Some(state.coefficient),
                    "",
                    "seed 1".to_string(),
                ));
            }
        }
        figures.extend(decoding_figures);
        let facts = vec![
            ("Runs on".to_string(), self.device_name.clone()),
            (
                "Steps".to_string(),
                format!("{} of {}", self.step, params.steps),
            ),
            ("Reward".to_string(), self.rule.describe()),
            (
                "Batch".to_string(),
                format!(
                    "{} seeds x {} prompts x {} answers x {} tokens, V = {}",
                    params.seeds, params.prompts, params.group, params.length, params.vocab
                ),
            ),
            (
                "Highest entropy".to_string(),
                format!("log V = {:.3} nats", (params.vocab as f64).ln()),
            ),
        ];
        View {
            figures,
            charts,
            facts,
        }
    }
}
