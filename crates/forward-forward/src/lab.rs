//! The Forward-forward lab: up to four learning rules train the same MLP on
//! the same digits and seed, one batch each per step; every few steps each
//! is scored on the 2,000 held-out digits (and 1,000 training digits), with
//! per-layer readings: accuracy from each layer alone, sparsity, goodness
//! of positive and negative data, the first layer's receptive fields and a
//! confusion matrix.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::digits::{CLASSES, DIGITS_FILE, Digits};
use thermolab_core::experiment::{
    Chart, ChartKind, Figure, Line, Preset, RunError, StepOutcome, View, ensure_finite,
};
use thermolab_core::rng::CounterRng;
use thermolab_core::series::Series;
use thermolab_gpu::checkpoint::{self, Checkpoint};
use thermolab_gpu::{TensorDevice, now_seconds};
use thermolab_kit::params::Choice;
use thermolab_kit::{
    About, BenchmarkEntry, Lab, LabContext, Start, StillRecipe, chosen_tensor_device,
};

use crate::bench::RuleThroughput;
use crate::data::{Split, images, labelled, mixed_images, random_wrong_label, rasterize};
use crate::net::IMAGE_PIXELS;
use crate::params::{DRAWING_CHART, FfParams, Negatives};
use crate::rules::{Batch, Evaluation, LayerGoodness, Learner, RuleId, Settings};

const SERIES_CAPACITY: usize = 256;
/// Units whose receptive fields are shown.
const FIELDS: usize = 36;
/// Bins of the goodness histograms.
const BINS: usize = 40;
/// Side of a digit.
const SIDE: usize = 14;
/// The shipped networks of every rule, trained at the defaults by the CLI:
/// `thermolab run ff --set start=scratch --set rule_4=cff --steps 3000 --backend cpu --checkpoint public/models/ff.safetensors`.
pub const CHECKPOINT_FILE: &str = "models/ff.safetensors";

const ABOUT: About = About {
    id: "ff",
    title: "Forward-forward",
    summary: "Forward-forward, collaborative forward-forward and Mono-Forward against backprop \
              on MNIST digits: local learning rules, no gradient between layers.",
    explanation: &[
        "Every rule trains the same network (196 pixels, ReLU layers of the chosen width) from \
         the same initial weights on the same batches of the 8,000 training digits; every few \
         steps each is scored on the 2,000 held-out digits (solid) and half as many training \
         digits (dashed).",
        "Forward-forward (Hinton 2022) gives each layer its own objective: the goodness G of \
         its activities (the sum or mean of their squares) should be above a threshold theta \
         for positive data, the image with its label written into its first ten pixels, and \
         below it for negative data, the image with a wrong label; p(positive) = sigmoid((G - \
         theta) / T). A layer passes on only the direction of its activity, at unit length, and \
         no gradient crosses layers. It predicts the label whose image has the most goodness.",
        "Collaborative forward-forward lets each layer's probability use the other layers' \
         goodness (without their gradient). Mono-Forward gives each layer a projection to class \
         scores and a cross-entropy of its own, with no negative data. Backprop is the baseline: \
         one loss at the top, its gradient carried down every layer, every activity kept for it.",
        "The goodness histograms show a layer separating positive from negative digits; \
         accuracy per layer reads each layer alone. The memory figure is what a rule keeps per \
         example between its forward and backward passes.",
    ],
    assets: &[DIGITS_FILE, CHECKPOINT_FILE],
    bench_page: false,
    checkpoint: true,
    main_chart: "accuracy",
    presenter: &["theta", "ff_temperature", "learning_rate"],
    still: Some(StillRecipe {
        chart: "accuracy",
        set: &["width=64", "batch=32", "eval_every=10", "steps=60"],
        steps: 60,
    }),
    papers: &[
        "Hinton 2022, forward-forward",
        "Lorberbom et al. 2024, collaborative forward-forward",
        "Gong, Li & Abdulla 2025, Mono-Forward",
        "Rumelhart, Hinton & Williams 1986, backprop",
    ],
    formula: concat!(
        "<p>Each layer learns <math><mi>p</mi><mo>(</mo><mtext>positive</mtext><mo>)</mo><mo>=</mo>",
        "<mi>σ</mi><mo>(</mo><mo>(</mo><mi>G</mi><mo>−</mo><mn>{theta}</mn><mo>)</mo><mo>/</mo><mn>{ff_temperature}</mn><mo>)</mo></math>",
        " with <math><mi>G</mi></math> its goodness, alone: no gradient crosses layers.</p>",
    ),
};

/// One rule and what the page shows of it.
struct Slot {
    learner: Learner,
    loss: Series,
    test_accuracy: Series,
    train_accuracy: Series,
    last: Option<Evaluation>,
    fields: Vec<Vec<f32>>,
    /// What it reads the drawn digit as, and the goodness rules' goodness per label.
    answer: Option<(usize, Option<Vec<f32>>)>,
    /// Training examples per second, a moving average over steps.
    rate: Option<f64>,
}

/// A set of digits the rules are scored on.
struct Scored {
    images: Vec<f32>,
    labels: Vec<usize>,
}

impl Scored {
    fn of(digits: &Digits, indices: &[usize]) -> Self {
        Self {
            images: images(digits, indices),
            labels: indices.iter().map(|&i| digits.label(i)).collect(),
        }
    }

    /// `count` of `indices`, spread evenly over them (the held-out digits
    /// are sorted by class: every class keeps its share).
    fn spread(digits: &Digits, indices: &[usize], count: usize) -> Self {
        let stride = (indices.len() / count.max(1)).max(1);
        let chosen: Vec<usize> = indices
            .iter()
            .step_by(stride)
            .take(count)
            .copied()
            .collect();
        Self::of(digits, &chosen)
    }

    fn accuracy(&self, predictions: &[usize]) -> f64 {
        let hits = predictions
            .iter()
            .zip(&self.labels)
            .filter(|(p, l)| p == l)
            .count();
        hits as f64 / self.labels.len().max(1) as f64
    }
}

pub struct FfLab {
    digits: Digits,
    split: Split,
    test: Scored,
    train_eval: Scored,
    slots: Vec<Slot>,
    rng: CounterRng,
    device_name: String,
    /// How the networks started, in words.
    start_note: String,
    /// Steps the shipped checkpoint brought (0 from scratch).
    trained: u64,
    step: u64,
    /// The step of the last evaluation.
    evaluated: u64,
}

impl FfLab {
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Held-out accuracy of slot `slot` at the last evaluation.
    pub fn test_accuracy(&self, slot: usize) -> Option<f64> {
        let slot = &self.slots[slot];
        slot.last
            .as_ref()
            .map(|e| self.test.accuracy(&e.predictions))
    }

    pub fn evaluation(&self, slot: usize) -> Option<&Evaluation> {
        self.slots[slot].last.as_ref()
    }

    pub fn learner(&self, slot: usize) -> &Learner {
        &self.slots[slot].learner
    }

    /// Step `step`'s batch: its digits, their labelled and negative versions.
    fn batch(&self, params: &FfParams, step: u64) -> Batch {
        let indices = self.split.batch(self.rng, step, params.batch);
        let labels: Vec<usize> = indices.iter().map(|&i| self.digits.label(i)).collect();
        let images = images(&self.digits, &indices);
        let positive = labelled(&images, &labels, IMAGE_PIXELS);
        let negative = match params.negatives {
            Negatives::Mixed => mixed_images(&self.digits, &self.split, (self.rng, step), &indices),
            Negatives::Random | Negatives::Hard => {
                let wrong: Vec<usize> = labels
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| random_wrong_label(self.rng, step, i, l))
                    .collect();
                labelled(&images, &wrong, IMAGE_PIXELS)
            }
        };
        Batch {
            images,
            labels,
            positive,
            negative,
        }
    }

    async fn evaluate(&mut self, params: &FfParams) -> Result<(), RunError> {
        let settings = Settings::of(params);
        self.test = Scored::spread(&self.digits, &self.split.test, params.eval_digits);
        self.train_eval = Scored::spread(&self.digits, &self.split.train, params.eval_digits / 2);
        let x = self.step as f64;
        for slot in &mut self.slots {
            let test = slot
                .learner
                .evaluate(&self.test.images, &self.test.labels, &settings, self.rng)
                .await?;
            let train = slot
                .learner
                .evaluate(
                    &self.train_eval.images,
                    &self.train_eval.labels,
                    &settings,
                    self.rng,
                )
                .await?;
            slot.test_accuracy
                .push(x, self.test.accuracy(&test.predictions));
            slot.train_accuracy
                .push(x, self.train_eval.accuracy(&train.predictions));
            slot.fields = slot.learner.receptive_fields(FIELDS).await?;
            slot.last = Some(test);
        }
        self.evaluated = self.step;
        Ok(())
    }

    /// Every rule's reading of the drawn digit (none while nothing is drawn).
    async fn answer_drawing(&mut self, params: &FfParams) -> Result<(), RunError> {
        let settings = Settings::of(params);
        let image = rasterize(&params.drawing, SIDE);
        for slot in &mut self.slots {
            slot.answer = if params.drawing.is_empty() {
                None
            } else {
                Some(slot.learner.answer(&image, &settings).await?)
            };
        }
        Ok(())
    }

    /// The drawn digit as the rules see it, on the chart it is drawn on.
    fn drawing_chart(&self, params: &FfParams) -> Chart {
        let image = rasterize(&params.drawing, SIDE);
        // The heatmap's rows go up from the bottom; the image's down from the top.
        let values = (0..SIDE * SIDE)
            .map(|p| f64::from(image[(SIDE - 1 - p / SIDE) * SIDE + p % SIDE]))
            .collect();
        Chart {
            key: DRAWING_CHART.to_string(),
            title: "Your digit (drag to draw; Clear under Draw)".to_string(),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Heatmap {
                x_range: [-1.0, 1.0],
                y_range: [-1.0, 1.0],
                cols: SIDE,
                rows: SIDE,
                values,
                arrows: Vec::new(),
                marks: Vec::new(),
            },
        }
    }

    /// The goodness rules' goodness of the drawn digit with each label.
    fn drawn_goodness_chart(&self) -> Option<Chart> {
        let lines: Vec<Line> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let totals = slot.answer.as_ref()?.1.as_ref()?;
                let mut series = Series::new(&self.label(i), SERIES_CAPACITY);
                for (label, g) in totals.iter().enumerate() {
                    series.push(label as f64, f64::from(*g));
                }
                Some(Line::from_series(&series, false).with_color(i))
            })
            .collect();
        (!lines.is_empty()).then(|| Chart {
            key: "drawn_goodness".to_string(),
            title: "Goodness of your digit with each label written in".to_string(),
            x_label: "label".to_string(),
            y_label: "goodness".to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        })
    }

    /// The slot `view_of` names, or the first.
    fn viewed(&self, params: &FfParams) -> &Slot {
        let index = params.view_of.index().min(self.slots.len() - 1);
        &self.slots[index]
    }

    fn label(&self, i: usize) -> String {
        format!("{} ({})", self.slots[i].learner.rule.label(), i + 1)
    }

    fn per_layer_chart(
        &self,
        key: &str,
        title: &str,
        y: &str,
        pick: impl Fn(&Evaluation) -> Vec<f64>,
    ) -> Chart {
        let lines = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let values = pick(slot.last.as_ref()?);
                if values.is_empty() {
                    return None;
                }
                let mut series = Series::new(&self.label(i), SERIES_CAPACITY);
                for (l, v) in values.iter().enumerate() {
                    series.push((l + 1) as f64, *v);
                }
                Some(Line::from_series(&series, false).with_color(i))
            })
            .collect();
        Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "layer".to_string(),
            y_label: y.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        }
    }

    /// Each layer's goodness of held-out digits with their true label and a
    /// wrong one, as shares per bin, for the viewed rule (or the first
    /// goodness rule).
    fn goodness_chart(&self, params: &FfParams) -> Option<Chart> {
        let viewed = self.viewed(params);
        let slot = if viewed.learner.rule.uses_goodness() {
            viewed
        } else {
            self.slots.iter().find(|s| s.learner.rule.uses_goodness())?
        };
        let LayerGoodness { positive, negative } = slot.last.as_ref()?.goodness.as_ref()?;
        let all = positive
            .iter()
            .chain(negative)
            .flatten()
            .map(|g| f64::from(*g));
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), g| {
            (lo.min(g), hi.max(g))
        });
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let width = ((hi - lo) / BINS as f64).max(1e-12);
        let shares = |values: &[f32], name: String| {
            let mut counts = [0usize; BINS];
            for g in values {
                let bin = ((f64::from(*g) - lo) / width) as usize;
                counts[bin.min(BINS - 1)] += 1;
            }
            let mut series = Series::new(&name, BINS);
            for (b, c) in counts.iter().enumerate() {
                series.push(
                    lo + (b as f64 + 0.5) * width,
                    *c as f64 / values.len().max(1) as f64,
                );
            }
            series
        };
        let mut lines = Vec::new();
        for (l, (p, n)) in positive.iter().zip(negative).enumerate() {
            lines.push(
                Line::from_series(&shares(p, format!("layer {} positive", l + 1)), false)
                    .with_color(l),
            );
            lines.push(Line::guide(&shares(n, format!("layer {} negative", l + 1))).with_color(l));
        }
        let rule = slot.learner.rule.label();
        Some(Chart {
            key: "goodness".to_string(),
            title: format!(
                "Goodness of held-out digits, {rule}: true label (solid), wrong label (dashed)"
            ),
            x_label: "goodness G".to_string(),
            y_label: "share of digits".to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        })
    }

    /// The goodness rules' mean last-layer goodness of held-out digits with
    /// their true label and with a wrong one: how far apart the layer holds them.
    fn goodness_figures(&self) -> Vec<Figure> {
        let mean = |values: &[f32]| {
            values.iter().map(|g| f64::from(*g)).sum::<f64>() / values.len().max(1) as f64
        };
        let mut figures = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(LayerGoodness { positive, negative }) =
                slot.last.as_ref().and_then(|e| e.goodness.as_ref())
            else {
                continue;
            };
            let (Some(p), Some(n)) = (positive.last(), negative.last()) else {
                continue;
            };
            for (key, label, value) in [
                ("goodness_true", "true label", mean(p)),
                ("goodness_wrong", "wrong label", mean(n)),
            ] {
                figures.push(Figure {
                    key: format!("{key}_{}", i + 1),
                    label: format!("{} last-layer goodness, {label}", self.label(i)),
                    value: Some(value),
                    unit: "G".to_string(),
                    note: "mean over the held-out digits scored".to_string(),
                });
            }
        }
        figures
    }

    fn confusion_chart(&self, params: &FfParams) -> Option<Chart> {
        let slot = self.viewed(params);
        let evaluation = slot.last.as_ref()?;
        let mut counts = vec![0.0; CLASSES * CLASSES];
        for (p, l) in evaluation.predictions.iter().zip(&self.test.labels) {
            counts[l * CLASSES + p] += 1.0;
        }
        Some(Chart {
            key: "confusion".to_string(),
            title: format!(
                "Confusion of {}: row = true digit (0 at the bottom), column = predicted",
                slot.learner.rule.label()
            ),
            x_label: "predicted".to_string(),
            y_label: "true".to_string(),
            kind: ChartKind::Heatmap {
                x_range: [-0.5, 9.5],
                y_range: [-0.5, 9.5],
                cols: CLASSES,
                rows: CLASSES,
                values: counts,
                arrows: Vec::new(),
                marks: Vec::new(),
            },
        })
    }

    fn fields_chart(&self, params: &FfParams) -> Option<Chart> {
        let slot = self.viewed(params);
        if slot.fields.is_empty() {
            return None;
        }
        let largest = slot
            .fields
            .iter()
            .flatten()
            .fold(0.0f32, |m, w| m.max(w.abs()))
            .max(1e-12);
        Some(Chart {
            key: "fields".to_string(),
            title: format!(
                "First-layer receptive fields of {} (ink: positive weight)",
                slot.learner.rule.label()
            ),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Images {
                side: 14,
                columns: 6,
                range: [-largest, largest],
                images: slot.fields.clone(),
            },
        })
    }
}

/// The settings the chosen rules' shipped networks depend on: their shape,
/// and what a goodness rule's prediction reads.
fn checkpoint_identity(params: &FfParams) -> BTreeMap<String, String> {
    let mut identity = BTreeMap::from([
        ("width".to_string(), params.width.to_string()),
        ("depth".to_string(), params.depth.to_string()),
    ]);
    if params.rules().iter().any(|r| r.uses_goodness()) {
        identity.insert("goodness".to_string(), params.goodness.key().to_string());
    }
    identity
}

/// Every rule's learner: from the model the browser kept, or the shipped
/// checkpoint, where it fits the settings, else fresh; the steps it
/// brought; and what happened, in words.
fn starting_learners(
    params: &FfParams,
    (assets, trained): (&Assets, Option<&[u8]>),
    rng: CounterRng,
    device: &TensorDevice,
) -> (Vec<Learner>, u64, String) {
    let fresh = |why: String| {
        let learners = params
            .rules()
            .into_iter()
            .map(|rule| Learner::new(rule, params, rng, device))
            .collect();
        (learners, 0, why)
    };
    let (file, source) = match trained {
        Some(bytes) => (Ok(bytes), "the model kept in this browser"),
        None if params.start == Start::Scratch => return fresh("from scratch".to_string()),
        None => (assets.get(CHECKPOINT_FILE), "the shipped checkpoint"),
    };
    let loaded = file.and_then(|bytes| {
        let steps = checkpoint::fitting(bytes, &checkpoint_identity(params))?;
        let stored = Checkpoint::parse(bytes)?;
        let learners = params
            .rules()
            .into_iter()
            .map(|rule| Learner::from_checkpoint(rule, &stored, params, device))
            .collect::<Result<Vec<_>, String>>()?;
        Ok((learners, steps))
    });
    match loaded {
        Err(why) => fresh(format!("from scratch: {why}")),
        Ok((learners, steps)) => (learners, steps, format!("{source} ({steps} steps)")),
    }
}

#[async_trait::async_trait(?Send)]
impl Lab for FfLab {
    type Params = FfParams;

    fn about() -> About {
        ABOUT
    }

    fn presets() -> Vec<Preset> {
        crate::presets::presets()
    }

    fn start(context: &LabContext, params: &FfParams) -> Result<Self, String> {
        let digits = context.assets.get(DIGITS_FILE).and_then(Digits::parse)?;
        if digits.dims() != IMAGE_PIXELS {
            return Err(format!(
                "{DIGITS_FILE} holds {0}x{0} digits; this lab reads 14x14",
                digits.side()
            ));
        }
        let split = Split::of(&digits);
        let rng = CounterRng::new(context.seed);
        let (device, device_name) = chosen_tensor_device(context.compute, params.compute);
        let (learners, trained, start_note) =
            starting_learners(params, (context.assets, context.trained), rng, &device);
        let slots = learners
            .into_iter()
            .enumerate()
            .map(|(i, learner)| {
                let rule = learner.rule;
                Slot {
                    learner,
                    loss: Series::new(&format!("{} ({})", rule.label(), i + 1), SERIES_CAPACITY),
                    test_accuracy: Series::new(
                        &format!("{} ({}), held out", rule.label(), i + 1),
                        SERIES_CAPACITY,
                    ),
                    train_accuracy: Series::new(
                        &format!("{} ({}), training", rule.label(), i + 1),
                        SERIES_CAPACITY,
                    ),
                    last: None,
                    fields: Vec::new(),
                    answer: None,
                    rate: None,
                }
            })
            .collect();
        Ok(Self {
            test: Scored::spread(&digits, &split.test, params.eval_digits),
            train_eval: Scored::spread(&digits, &split.train, params.eval_digits / 2),
            digits,
            split,
            slots,
            rng,
            device_name,
            start_note,
            trained,
            step: trained,
            evaluated: 0,
        })
    }

    fn benchmarks() -> Vec<BenchmarkEntry> {
        vec![BenchmarkEntry::of::<RuleThroughput>()]
    }

    fn trained(&self) -> Option<u64> {
        (self.trained > 0).then_some(self.trained)
    }

    async fn step(&mut self, params: &FfParams) -> Result<StepOutcome, RunError> {
        // Opened trained: the first step scores the shipped networks.
        if self.trained > 0 && self.evaluated == 0 {
            self.evaluate(params).await?;
            self.answer_drawing(params).await?;
            if self.step >= params.steps {
                return Ok(StepOutcome::Finished);
            }
        }
        if self.step >= params.steps {
            return Ok(StepOutcome::Finished);
        }
        let batch = self.batch(params, self.step);
        let settings = Settings::of(params);
        self.step += 1;
        let x = self.step as f64;
        for slot in &mut self.slots {
            let started = now_seconds();
            let loss = slot
                .learner
                .step(&batch, &settings, params.learning_rate)
                .await?;
            let passes = if slot.learner.rule.uses_goodness() {
                2
            } else {
                1
            };
            let rate = (passes * params.batch) as f64 / (now_seconds() - started).max(1e-9);
            slot.rate = Some(slot.rate.map_or(rate, |r| 0.9 * r + 0.1 * rate));
            let name = slot.loss.name.clone();
            slot.loss
                .push(x, ensure_finite(&format!("{name} loss"), loss)?);
        }
        let due = self.step == 1
            || self.step.is_multiple_of(params.eval_every)
            || self.step == params.steps;
        if due {
            self.evaluate(params).await?;
        }
        self.answer_drawing(params).await?;
        Ok(if self.step >= params.steps {
            StepOutcome::Finished
        } else {
            StepOutcome::Continue
        })
    }

    /// A drawing still gets its answers once training has finished.
    fn live_after_finish(&self) -> bool {
        true
    }

    async fn refresh(&mut self, params: &FfParams) -> Result<(), RunError> {
        self.answer_drawing(params).await
    }

    /// Every rule's network (one of each rule), with the settings it was
    /// trained with.
    async fn checkpoint(&self, params: &FfParams) -> Option<Result<Vec<u8>, RunError>> {
        let mut metadata = checkpoint_identity(params);
        for (key, value) in [
            ("goodness", params.goodness.key().to_string()),
            ("trained_steps", self.step.to_string()),
            ("learning_rate", params.learning_rate.to_string()),
            ("batch", params.batch.to_string()),
            ("theta", params.theta.to_string()),
            ("ff_temperature", params.ff_temperature.to_string()),
            ("negatives", params.negatives.key().to_string()),
            ("seed", self.rng.seed.to_string()),
        ] {
            metadata.insert(key.to_string(), value);
        }
        let mut tensors = Vec::new();
        let mut written = Vec::new();
        for slot in &self.slots {
            if written.contains(&slot.learner.rule) {
                continue;
            }
            written.push(slot.learner.rule);
            match slot.learner.tensors().await {
                Ok(named) => tensors.extend(named),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(checkpoint::write(&tensors, metadata))
    }

    fn view(&self, params: &FfParams) -> View {
        let mut accuracy = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            accuracy.push(Line::from_series(&slot.test_accuracy, false).with_color(i));
            accuracy.push(Line::guide(&slot.train_accuracy).with_color(i));
        }
        let losses = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| Line::from_series(&s.loss, false).with_color(i))
            .collect();
        let lines = |key: &str, title: &str, y: &str, lines: Vec<Line>, log_y: bool| Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "step".to_string(),
            y_label: y.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y,
            },
        };
        let test = &self.test;
        let mut charts = vec![
            lines(
                "accuracy",
                "Accuracy: held-out digits (solid), training digits (dashed)",
                "accuracy",
                accuracy,
                false,
            ),
            self.drawing_chart(params),
            lines("loss", "Each rule's own loss", "loss", losses, true),
            self.per_layer_chart(
                "layer_accuracy",
                "Accuracy of each layer alone (held out)",
                "accuracy",
                |e| {
                    e.layer_predictions
                        .iter()
                        .map(|p| test.accuracy(p))
                        .collect()
                },
            ),
            self.per_layer_chart(
                "sparsity",
                "Share of zero activities per layer",
                "share",
                |e| e.sparsity.clone(),
            ),
        ];
        charts.extend(self.drawn_goodness_chart());
        charts.extend(self.goodness_chart(params));
        charts.extend(self.fields_chart(params));
        charts.extend(self.confusion_chart(params));
        let mut figures: Vec<Figure> = (0..self.slots.len())
            .flat_map(|i| {
                let rule = self.slots[i].learner.rule;
                [
                    Figure {
                        key: format!("accuracy_{}", i + 1),
                        label: format!("{} held-out accuracy", self.label(i)),
                        value: self.test_accuracy(i).map(|a| 100.0 * a),
                        unit: "%".to_string(),
                        note: format!("{} digits, step {}", self.test.labels.len(), self.evaluated),
                    },
                    Figure {
                        key: format!("kept_{}", i + 1),
                        label: format!("{} activations kept for its update", self.label(i)),
                        value: Some(
                            (4 * rule.kept_floats(params.width, params.depth) * params.batch)
                                as f64,
                        ),
                        unit: "bytes a batch".to_string(),
                        note: match rule {
                            RuleId::Backprop => "every layer's, for the backward pass".to_string(),
                            _ => "one layer's at a time".to_string(),
                        },
                    },
                ]
            })
            .collect();
        figures.extend(self.goodness_figures());
        for (i, slot) in self.slots.iter().enumerate() {
            figures.push(Figure {
                key: format!("rate_{}", i + 1),
                label: format!("{} training", self.label(i)),
                value: slot.rate,
                unit: "examples/s".to_string(),
                note: "moving average over steps; positive and negative data count".to_string(),
            });
            figures.push(Figure {
                key: format!("answer_{}", i + 1),
                label: format!("{} reads your digit as", self.label(i)),
                value: slot.answer.as_ref().map(|(digit, _)| *digit as f64),
                unit: String::new(),
                note: if slot.answer.is_none() {
                    "draw a digit on the Your digit chart".to_string()
                } else {
                    String::new()
                },
            });
        }
        let mut facts = vec![
            ("Runs on".to_string(), self.device_name.clone()),
            (
                "Steps".to_string(),
                format!("{} of {}", self.step, params.steps),
            ),
            ("Started from".to_string(), self.start_note.clone()),
            (
                "Digits".to_string(),
                format!(
                    "{} training, {} held out (14 x 14)",
                    self.split.train.len(),
                    self.split.test.len()
                ),
            ),
        ];
        for (i, slot) in self.slots.iter().enumerate() {
            let rule = slot.learner.rule;
            let examples = if rule.uses_goodness() {
                2 * params.batch
            } else {
                params.batch
            };
            facts.push((
                format!("{} weights", self.label(i)),
                format!(
                    "{}; {examples} examples a step",
                    rule.weights(params.width, params.depth)
                ),
            ));
        }
        View {
            figures,
            charts,
            facts,
        }
    }
}
