//! The learning rules, one file each naming its paper, and the learner that
//! trains one of them with Adam through burn (on WebGPU or the CPU):
//!
//! - [`forward_forward`]: Hinton's forward-forward, a goodness per layer.
//! - [`collaborative`]: forward-forward with every layer seeing the others' goodness.
//! - [`mono_forward`]: a projection to class scores and a cross-entropy per layer.
//! - [`backprop`]: the baseline, one loss at the top.

pub mod backprop;
pub mod collaborative;
pub mod forward_forward;
pub mod mono_forward;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Tensor, TensorData};
use thermolab_core::digits::CLASSES;
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;
use thermolab_gpu::checkpoint::{Checkpoint, Named};
use thermolab_gpu::tensors::read_f32;
use thermolab_kit::choices;

use crate::data::{labelled, random_wrong_label};
use crate::net::{Heads, IMAGE_PIXELS, Net, goodness};
use crate::params::{FfParams, Goodness, Negatives};

choices! {
    /// The learning rules.
    pub enum RuleId {
        ForwardForward = ("ff", "Forward-forward"),
        Collaborative = ("cff", "Collaborative FF"),
        MonoForward = ("mono_forward", "Mono-Forward"),
        Backprop = ("backprop", "Backprop"),
    }
}

impl RuleId {
    /// The rules that learn from goodness on positive and negative data.
    pub const GOODNESS: [RuleId; 2] = [RuleId::ForwardForward, RuleId::Collaborative];

    pub fn uses_goodness(self) -> bool {
        Self::GOODNESS.contains(&self)
    }

    fn heads(self) -> Heads {
        match self {
            RuleId::ForwardForward | RuleId::Collaborative => Heads::None,
            RuleId::MonoForward => Heads::PerLayer,
            RuleId::Backprop => Heads::Softmax,
        }
    }

    /// Weights and biases of this rule's network.
    pub fn weights(self, width: usize, depth: usize) -> usize {
        let hidden = (IMAGE_PIXELS + 1) * width + (depth - 1) * (width + 1) * width;
        let heads = match self.heads() {
            Heads::None => 0,
            Heads::Softmax => (width + 1) * CLASSES,
            Heads::PerLayer => depth * width * CLASSES,
        };
        hidden + heads
    }

    /// Passes over the weights per training example: a forward and a
    /// backward (two) pass, twice for the goodness rules (positive and negative data).
    pub fn passes_per_example(self) -> usize {
        if self.uses_goodness() { 6 } else { 3 }
    }

    /// Floats per example a step keeps between its forward and backward
    /// passes: backprop every layer's activity (and the head's scores), the
    /// local rules one layer's at a time (twice, for positive and negative data).
    pub fn kept_floats(self, width: usize, depth: usize) -> usize {
        match self {
            RuleId::Backprop => depth * width + CLASSES,
            RuleId::MonoForward => width + CLASSES,
            RuleId::ForwardForward | RuleId::Collaborative => 2 * width,
        }
    }
}

/// The live settings of the goodness rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub goodness: Goodness,
    pub theta: f64,
    pub temperature: f64,
    pub negatives: Negatives,
}

impl Settings {
    pub fn of(params: &FfParams) -> Self {
        Self {
            goodness: params.goodness,
            theta: params.theta,
            temperature: params.ff_temperature,
            negatives: params.negatives,
        }
    }
}

/// One step's training digits.
pub struct Batch {
    /// Ink in [0, 1], the label pixels untouched (Mono-Forward, backprop).
    pub images: Vec<f32>,
    pub labels: Vec<usize>,
    /// The images with their label written in (the goodness rules' positives).
    pub positive: Vec<f32>,
    /// The negatives for random or mixed negative data (hard ones depend
    /// on each network and are made by its learner).
    pub negative: Vec<f32>,
}

/// What a network says on held-out digits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    pub predictions: Vec<usize>,
    /// Each layer's own prediction (goodness rules: its goodness alone;
    /// Mono-Forward: its projection); empty for backprop.
    pub layer_predictions: Vec<Vec<usize>>,
    /// Share of zero activities per layer (on the true-label inputs).
    pub sparsity: Vec<f64>,
    pub goodness: Option<LayerGoodness>,
}

/// The goodness rules' reading of held-out digits: each layer's goodness of
/// each digit with its true label and with a random wrong one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerGoodness {
    pub positive: Vec<Vec<f32>>,
    pub negative: Vec<Vec<f32>>,
}

/// Digits a forward pass of evaluation takes at once (x 10 labels for the goodness rules).
const EVAL_CHUNK: usize = 200;

/// One rule's network and Adam state.
pub struct Learner {
    pub rule: RuleId,
    net: Net,
    optimizer: ModuleOptimizer,
    device: TensorDevice,
}

impl Learner {
    pub fn new(rule: RuleId, params: &FfParams, rng: CounterRng, device: &TensorDevice) -> Self {
        let device = device.clone().autodiff();
        Self {
            rule,
            net: Net::new((params.width, params.depth), rule.heads(), rng, &device),
            optimizer: AdamConfig::new().init(),
            device,
        }
    }

    /// A learner of `rule` on its network in `checkpoint` (a fresh Adam state).
    pub fn from_checkpoint(
        rule: RuleId,
        checkpoint: &Checkpoint,
        params: &FfParams,
        device: &TensorDevice,
    ) -> Result<Self, String> {
        let device = device.clone().autodiff();
        let net = Net::from_checkpoint(
            checkpoint,
            rule.key(),
            (params.width, params.depth),
            rule.heads(),
            &device,
        )?;
        Ok(Self::with_net(rule, net, &device))
    }

    /// Its network's tensors, named by its rule.
    pub async fn tensors(&self) -> Result<Vec<Named>, RunError> {
        self.net.valid().tensors(self.rule.key()).await
    }

    /// A learner of `rule` on `net` as it is.
    pub fn with_net(rule: RuleId, net: Net, device: &TensorDevice) -> Self {
        Self {
            rule,
            net,
            optimizer: AdamConfig::new().init(),
            device: device.clone(),
        }
    }

    pub fn net(&self) -> &Net {
        &self.net
    }

    fn rows(&self, values: Vec<f32>) -> Tensor<2> {
        let rows = values.len() / IMAGE_PIXELS;
        Tensor::from_data(TensorData::new(values, [rows, IMAGE_PIXELS]), &self.device)
    }

    fn one_hot(&self, labels: &[usize]) -> Tensor<2> {
        let values: Vec<f32> = labels
            .iter()
            .flat_map(|l| (0..CLASSES).map(move |c| if c == *l { 1.0 } else { 0.0 }))
            .collect();
        Tensor::from_data(
            TensorData::new(values, [labels.len(), CLASSES]),
            &self.device,
        )
    }

    /// The rule's loss on `batch`, before this step's update.
    pub async fn loss(&self, batch: &Batch, settings: &Settings) -> Result<Tensor<1>, RunError> {
        Ok(match self.rule {
            RuleId::ForwardForward | RuleId::Collaborative => {
                let negative = match settings.negatives {
                    Negatives::Hard => self.hard_negatives(batch, settings).await?,
                    Negatives::Random | Negatives::Mixed => batch.negative.clone(),
                };
                let (positive, negative) = (self.rows(batch.positive.clone()), self.rows(negative));
                if self.rule == RuleId::ForwardForward {
                    forward_forward::loss(&self.net, positive, negative, settings)
                } else {
                    collaborative::loss(&self.net, positive, negative, settings)
                }
            }
            RuleId::MonoForward => mono_forward::loss(
                &self.net,
                self.rows(batch.images.clone()),
                self.one_hot(&batch.labels),
            ),
            RuleId::Backprop => backprop::loss(
                &self.net,
                self.rows(batch.images.clone()),
                self.one_hot(&batch.labels),
            ),
        })
    }

    /// One Adam step on `batch`; returns the loss before it.
    pub async fn step(
        &mut self,
        batch: &Batch,
        settings: &Settings,
        learning_rate: f64,
    ) -> Result<f64, RunError> {
        let loss = self.loss(batch, settings).await?;
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        self.net = self.optimizer.step(learning_rate, self.net.clone(), grads);
        let value = read_f32(loss).await?;
        Ok(value.first().map_or(f64::NAN, |v| f64::from(*v)))
    }

    /// The batch's images each with the wrong label its network now finds
    /// best (Hinton 2022, section 3.3: hard negatives).
    async fn hard_negatives(
        &self,
        batch: &Batch,
        settings: &Settings,
    ) -> Result<Vec<f32>, RunError> {
        let wrong = self
            .hard_labels(&batch.images, &batch.labels, settings)
            .await?;
        Ok(labelled(&batch.images, &wrong, IMAGE_PIXELS))
    }

    /// For each image, the label other than its own with the most goodness
    /// summed over the layers a prediction sums.
    pub async fn hard_labels(
        &self,
        images: &[f32],
        labels: &[usize],
        settings: &Settings,
    ) -> Result<Vec<usize>, RunError> {
        let inner = self.device.clone().inner();
        let scores = label_goodness(&self.net.valid(), images, settings, &inner).await?;
        Ok(labels
            .iter()
            .enumerate()
            .map(|(i, &label)| {
                let totals = self.label_totals(&scores, i);
                (0..CLASSES)
                    .filter(|c| *c != label)
                    .max_by(|a, b| totals[*a].total_cmp(&totals[*b]))
                    .expect("nine wrong labels")
            })
            .collect())
    }

    fn scoring_layers(&self, depth: usize) -> std::ops::Range<usize> {
        match self.rule {
            RuleId::Collaborative => 0..depth,
            _ => forward_forward::scoring_layers(depth),
        }
    }

    /// Predictions and per-layer readings on `images` with true `labels`
    /// (the wrong labels of the goodness histogram drawn from `rng`).
    pub async fn evaluate(
        &self,
        images: &[f32],
        labels: &[usize],
        settings: &Settings,
        rng: CounterRng,
    ) -> Result<Evaluation, RunError> {
        let net = self.net.valid();
        let depth = net.hidden.len();
        let inner = self.device.clone().inner();
        let n = labels.len();
        let mut evaluation = Evaluation {
            sparsity: vec![0.0; depth],
            ..Evaluation::default()
        };
        if self.rule.uses_goodness() {
            let scores = label_goodness(&net, images, settings, &inner).await?;
            evaluation.predictions = (0..n)
                .map(|i| argmax(&self.label_totals(&scores, i)))
                .collect();
            evaluation.layer_predictions = scores
                .iter()
                .map(|g| g.chunks_exact(CLASSES).map(argmax).collect())
                .collect();
            let wrong: Vec<usize> = (0..n)
                .map(|i| random_wrong_label(rng, u64::from(u32::MAX), i, labels[i]))
                .collect();
            let with = |chosen: &[usize]| -> Vec<Vec<f32>> {
                scores
                    .iter()
                    .map(|g| (0..n).map(|i| g[i * CLASSES + chosen[i]]).collect())
                    .collect()
            };
            evaluation.goodness = Some(LayerGoodness {
                positive: with(labels),
                negative: with(&wrong),
            });
        } else {
            let predictions =
                |s: &Vec<f32>| s.chunks_exact(CLASSES).map(argmax).collect::<Vec<_>>();
            let layer_scores = self.class_scores(&net, images, &inner).await?;
            evaluation.predictions = layer_scores.last().map(predictions).unwrap_or_default();
            if self.rule == RuleId::MonoForward {
                evaluation.layer_predictions = layer_scores.iter().map(predictions).collect();
            }
        }
        // Sparsity on what each rule's first layer sees: the labelled image
        // for the goodness rules, the bare image for the others.
        let inputs = if self.rule.uses_goodness() {
            labelled(images, labels, IMAGE_PIXELS)
        } else {
            images.to_vec()
        };
        let mut zeros = vec![0usize; depth];
        let mut total = vec![0usize; depth];
        for chunk in inputs.chunks(EVAL_CHUNK * IMAGE_PIXELS) {
            let x = rows_on(chunk.to_vec(), &inner);
            let activities = if self.rule.uses_goodness() {
                net.layers(x, forward_forward::local_input)
            } else {
                net.layers(x, |x, _| x)
            };
            for (l, y) in activities.into_iter().enumerate() {
                let values = read_f32(y).await?;
                zeros[l] += values.iter().filter(|v| **v <= 0.0).count();
                total[l] += values.len();
            }
        }
        evaluation.sparsity = zeros
            .iter()
            .zip(&total)
            .map(|(z, t)| *z as f64 / (*t).max(1) as f64)
            .collect();
        Ok(evaluation)
    }

    /// What the network reads `image` (196 pixels, ink in [0, 1]) as, and
    /// for the goodness rules the goodness of each label (summed over the
    /// layers a prediction sums).
    pub async fn answer(
        &self,
        image: &[f32],
        settings: &Settings,
    ) -> Result<(usize, Option<Vec<f32>>), RunError> {
        let net = self.net.valid();
        let inner = self.device.clone().inner();
        if self.rule.uses_goodness() {
            let scores = label_goodness(&net, image, settings, &inner).await?;
            let totals = self.label_totals(&scores, 0);
            return Ok((argmax(&totals), Some(totals)));
        }
        let scores = self.class_scores(&net, image, &inner).await?;
        Ok((argmax(scores.last().map_or(&[][..], Vec::as_slice)), None))
    }

    /// The class scores of `images` (rows of 196) that predict: every
    /// layer's projection for Mono-Forward (the last predicts), the head's
    /// for backprop.
    async fn class_scores(
        &self,
        net: &Net,
        images: &[f32],
        device: &TensorDevice,
    ) -> Result<Vec<Vec<f32>>, RunError> {
        let mut layer_scores = Vec::new();
        for chunk in images.chunks(EVAL_CHUNK * IMAGE_PIXELS) {
            let x = rows_on(chunk.to_vec(), device);
            let scores = match self.rule {
                RuleId::MonoForward => mono_forward::layer_scores(net, x),
                _ => vec![backprop::scores(net, x)],
            };
            layer_scores.resize(scores.len(), Vec::new());
            for (l, s) in scores.into_iter().enumerate() {
                layer_scores[l].extend(read_f32(s).await?);
            }
        }
        Ok(layer_scores)
    }

    /// Digit `i`'s goodness with each label, summed over the layers a
    /// prediction sums (`scores` from [`label_goodness`]).
    fn label_totals(&self, scores: &[Vec<f32>], i: usize) -> Vec<f32> {
        let layers = self.scoring_layers(scores.len());
        (0..CLASSES)
            .map(|c| layers.clone().map(|l| scores[l][i * CLASSES + c]).sum())
            .collect()
    }

    /// The first layer's weights, one 196-pixel image per unit (the first `units`).
    pub async fn receptive_fields(&self, units: usize) -> Result<Vec<Vec<f32>>, RunError> {
        let weight = self.net.valid().hidden[0].weight.val();
        let width = weight.dims()[1];
        let values = read_f32(weight).await?;
        Ok((0..units.min(width))
            .map(|u| (0..IMAGE_PIXELS).map(|p| values[p * width + u]).collect())
            .collect())
    }
}

/// The index of the largest entry (the first of ties).
fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|a, b| row[*a].total_cmp(&row[*b]))
        .unwrap_or(0)
}

fn rows_on(values: Vec<f32>, device: &TensorDevice) -> Tensor<2> {
    let rows = values.len() / IMAGE_PIXELS;
    Tensor::from_data(TensorData::new(values, [rows, IMAGE_PIXELS]), device)
}

/// Every layer's goodness of every image with every label written in:
/// `[layer][image * 10 + label]`, on `device` (a plain one: no gradients).
pub async fn label_goodness(
    net: &Net,
    images: &[f32],
    settings: &Settings,
    device: &TensorDevice,
) -> Result<Vec<Vec<f32>>, RunError> {
    let mut out = vec![Vec::new(); net.hidden.len()];
    for chunk in images.chunks(EVAL_CHUNK * IMAGE_PIXELS) {
        let count = chunk.len() / IMAGE_PIXELS;
        let mut rows = Vec::with_capacity(count * CLASSES * IMAGE_PIXELS);
        for image in chunk.chunks_exact(IMAGE_PIXELS) {
            for label in 0..CLASSES {
                let mut row = image.to_vec();
                crate::data::write_label(&mut row, label);
                rows.extend(row);
            }
        }
        let x = rows_on(rows, device);
        for (l, y) in net
            .layers(x, forward_forward::local_input)
            .into_iter()
            .enumerate()
        {
            out[l].extend(read_f32(goodness(y, settings.goodness)).await?);
        }
    }
    Ok(out)
}
