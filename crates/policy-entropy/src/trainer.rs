//! One controller's batched run: S seeds of the policy, trained by GRPO
//! with the controller acting on the loss, the logits, the clip bounds or
//! the sampling. A step samples G answers per prompt for every seed on the
//! device, rewards them, makes group advantages and takes `epochs` Adam
//! steps on the clipped surrogate; then it measures, per seed, the entropy
//! before and after, its first-order prediction, the clipped shares and
//! the rewards, read back in one transfer at the end of the step.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor, TensorData};
use thermolab_core::experiment::RunError;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;
use thermolab_gpu::tensors::read_f32;

use crate::analysis::predicted_entropy_change;
use crate::controllers::{ControllerId, SeedState, aent, aepo, bapo, bonus, clip_cov, era, kl_cov};
use crate::grpo::{
    clipped_surrogate, clipped_tokens, kl_k3, row_entropy, token_advantages, token_log_probs,
};
use crate::params::PeParams;
use crate::policy::Policy;
use crate::task::{Dims, Rule};

/// Counter streams of a step's uniforms.
const SAMPLE_STREAM: u32 = 60;
const AEPO_STREAM: u32 = 61;
const CLIP_COV_STREAM: u32 = 62;
/// Values read back per seed at the end of a step.
const PER_SEED: usize = 6;

/// The uniforms of one step, the same for every controller (so they
/// differ only by what they do): [S x P x G x L] each.
pub struct Draws {
    pub sample: Vec<f32>,
    pub aepo: Vec<f32>,
    pub clip_cov: Vec<f32>,
}

impl Draws {
    pub fn of(rng: CounterRng, dims: Dims, step: u64) -> Self {
        let count = dims.seeds * dims.tokens();
        let stream = |stream: u32| -> Vec<f32> {
            (0..count)
                .map(|i| rng.uniform(i as u32, step as u32, stream))
                .collect()
        };
        Self {
            sample: stream(SAMPLE_STREAM),
            aepo: stream(AEPO_STREAM),
            clip_cov: stream(CLIP_COV_STREAM),
        }
    }
}

/// What one step measured, per seed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    /// Mean policy entropy over the sampled tokens, before the update (nats).
    pub entropy: Vec<f64>,
    /// The same tokens' entropy after the update.
    pub entropy_after: Vec<f64>,
    /// -Cov(log pi, dz), the first-order prediction of the change.
    pub predicted_change: Vec<f64>,
    /// 0/1 rewards [S x P x G].
    pub rewards: Vec<f32>,
    /// Shares of positive- and negative-advantage tokens the clip stopped,
    /// over the epochs after the first (the first has rho = 1).
    pub clipped_positive: Vec<f64>,
    pub clipped_negative: Vec<f64>,
    /// The state the step ran with (BAPO's bounds as its last epoch set them).
    pub states: Vec<SeedState>,
    /// Seed 1's logits (T = 1) at the shown prompt and position, first
    /// answer of its group, after the update.
    pub shown_logits: Vec<f32>,
}

pub struct Run {
    pub controller: ControllerId,
    policy: Policy,
    reference: Policy,
    optimizer: ModuleOptimizer,
    states: Vec<SeedState>,
    dims: Dims,
    device: TensorDevice,
}

fn per_seed(values: impl Iterator<Item = f64>, device: &TensorDevice) -> Tensor<2> {
    let values: Vec<f32> = values.map(|v| v as f32).collect();
    let s = values.len();
    Tensor::from_data(TensorData::new(values, [s, 1]), device)
}

impl Run {
    pub fn new(
        controller: ControllerId,
        params: &PeParams,
        rng: CounterRng,
        device: &TensorDevice,
    ) -> Self {
        let autodiff = device.clone().autodiff();
        let policy = Policy::new(params, rng, &autodiff);
        Self {
            controller,
            reference: policy.valid(),
            policy,
            optimizer: AdamConfig::new().init(),
            states: vec![SeedState::new(controller, params); params.seeds],
            dims: Dims::of(params),
            device: autodiff,
        }
    }

    /// Hands the policy, as trained so far, to another controller (its
    /// state starts afresh).
    pub fn switch(&mut self, controller: ControllerId, params: &PeParams) {
        self.controller = controller;
        self.states = vec![SeedState::new(controller, params); self.dims.seeds];
    }

    pub fn states(&self) -> &[SeedState] {
        &self.states
    }

    /// One GRPO step on a fresh batch.
    pub async fn step(
        &mut self,
        params: &PeParams,
        rule: &Rule,
        draws: &Draws,
    ) -> Result<StepReport, RunError> {
        let dims = self.dims;
        let [s, p, g, l] = dims.batch_shape();
        let (m, v) = (dims.tokens(), dims.vocab);
        let inner = self.device.clone().inner();
        let uniforms = |values: &[f32]| {
            Tensor::<4>::from_data(TensorData::new(values.to_vec(), [s, p, g, l]), &inner)
        };
        let t = params.temperature;
        let controller = self.controller;
        let states = self.states.clone();

        // Sample, reward, advantages: all on the device, no gradient.
        let sampler = self.policy.valid();
        let tokens = sampler.sample(dims, &vec![t; s], uniforms(&draws.sample));
        let rewards = rule.rewards(tokens.clone(), dims, &inner);
        let advantages = token_advantages(rewards.clone(), dims);
        let tempered = |z: Tensor<3>| z / t;
        let before = sampler.logits(tokens.clone(), dims).map(tempered);
        // The initial policy's log-probabilities, for the KL penalty only.
        let reference = (params.kl_coef > 0.0)
            .then(|| token_log_probs(&self.reference.logits(tokens.clone(), dims).map(tempered)));
        let entropy_before = row_entropy(before.rows.clone()).mean_dim(1);

        let extra = if controller == ControllerId::Aepo {
            let temperatures: Vec<f64> = states.iter().map(|x| x.aepo_temperature).collect();
            let drawn = sampler.sample(dims, &temperatures, uniforms(&draws.aepo));
            let rewarded = rule.rewards(drawn.clone(), dims, &inner);
            let spread = rewarded
                .unsqueeze_dim::<4>(3)
                .expand([s, p, g, l])
                .reshape([s, m]);
            Some((drawn, spread))
        } else {
            None
        };
        let era_scales = per_seed(states.iter().map(|x| x.era_scale), &inner);
        let coefficients = per_seed(states.iter().map(|x| x.coefficient), &inner);
        let aent_thresholds = if controller == ControllerId::Aent {
            let rows = read_f32(before.rows.clone()).await?;
            let keep = aent::kept(v, params.aent_clamp);
            Some(aent::thresholds(&rows, before.rows.dims(), keep, &inner))
        } else {
            None
        };

        let mut old: Option<Tensor<2>> = None;
        let mut covariance_mask: Option<(Tensor<2>, Tensor<2>)> = None;
        let mut clipped = Tensor::<2>::zeros([s, 2], &inner);
        let mut bapo_choice = Tensor::<2, Int>::zeros([s, 1], &inner);
        let fixed_bounds = (
            per_seed(states.iter().map(|x| x.low), &inner),
            per_seed(states.iter().map(|x| x.high), &inner),
        );
        for epoch in 0..params.epochs {
            let logits = self.policy.logits(tokens.clone(), dims).map(tempered);
            let log_probs = if controller == ControllerId::Era {
                era::token_log_probs(&logits, advantages.clone(), era_scales.clone())
            } else {
                token_log_probs(&logits)
            };
            let old_log_probs = old
                .get_or_insert_with(|| log_probs.clone().detach().inner())
                .clone();
            let ratio = (log_probs.clone() - old_log_probs.clone()).exp();

            if epoch == 0 && matches!(controller, ControllerId::ClipCov | ControllerId::KlCov) {
                let covariance = clip_cov::covariance(old_log_probs.clone(), advantages.clone());
                covariance_mask = Some(if controller == ControllerId::ClipCov {
                    let picked = clip_cov::mask(
                        covariance.clone(),
                        (params.cov_low, params.cov_high),
                        params.cov_ratio,
                        uniforms(&draws.clip_cov).reshape([s, m]),
                    );
                    (covariance, picked)
                } else {
                    let values = read_f32(covariance.clone()).await?;
                    let thresholds = kl_cov::thresholds(&values, s, params.cov_ratio, &inner);
                    (covariance, thresholds)
                });
            }
            let ratio = match (&covariance_mask, controller) {
                (Some((_, picked)), ControllerId::ClipCov) => {
                    let kept = picked.clone().neg() + 1.0;
                    ratio.clone() * kept + ratio.detach() * picked.clone()
                }
                _ => ratio,
            };

            // BAPO picks its bounds on the device from the ratios (on the
            // first epoch rho = 1, no bound clips, and it keeps the start).
            let (low, high) = if controller == ControllerId::Bapo {
                if epoch > 0 {
                    bapo_choice = bapo::choice(
                        ratio.clone().detach().inner(),
                        advantages.clone(),
                        params.bapo_share,
                    );
                }
                bapo::bounds(bapo_choice.clone())
            } else {
                fixed_bounds.clone()
            };
            if epoch > 0 {
                let (positive, negative) = clipped_tokens(
                    ratio.clone().detach().inner(),
                    advantages.clone(),
                    low.clone(),
                    high.clone(),
                );
                let positives = advantages
                    .clone()
                    .greater_elem(0.0)
                    .float()
                    .sum_dim(1)
                    .clamp_min(1.0);
                let negatives = advantages
                    .clone()
                    .lower_elem(0.0)
                    .float()
                    .sum_dim(1)
                    .clamp_min(1.0);
                clipped = clipped
                    + Tensor::cat(
                        vec![
                            positive.sum_dim(1) / positives,
                            negative.sum_dim(1) / negatives,
                        ],
                        1,
                    );
            }

            let surrogate = clipped_surrogate(ratio, advantages.clone(), low, high);
            let mut loss = -surrogate.mean_dim(1);
            if let Some(reference) = &reference {
                loss =
                    loss + kl_k3(log_probs.clone(), reference.clone()).mean_dim(1) * params.kl_coef;
            }
            match controller {
                ControllerId::Bonus | ControllerId::Dual => {
                    let mean_entropy = row_entropy(logits.rows.clone()).mean_dim(1);
                    loss = loss + bonus::loss(mean_entropy, coefficients.clone());
                }
                ControllerId::Aent => {
                    let thresholds = aent_thresholds.clone().expect("AEnt thresholds");
                    let clamped =
                        aent::clamped_entropy(logits.rows.clone(), thresholds).mean_dim(1);
                    loss = loss + bonus::loss(clamped, coefficients.clone());
                }
                ControllerId::Aepo => {
                    let (drawn, spread) = extra.clone().expect("AEPO answers");
                    let drawn_logits = self.policy.logits(drawn.clone(), dims).map(tempered);
                    let log_probs = token_log_probs(&drawn_logits);
                    loss = loss + aepo::loss(log_probs, spread, params.aepo_alpha);
                }
                ControllerId::KlCov => {
                    let (covariance, thresholds) = covariance_mask.clone().expect("covariances");
                    loss = loss
                        + kl_cov::loss(
                            log_probs.clone(),
                            old_log_probs.clone(),
                            covariance,
                            thresholds,
                            params.kl_cov_coef,
                        );
                }
                ControllerId::None
                | ControllerId::Era
                | ControllerId::ClipCov
                | ControllerId::Bapo => {}
            }
            let grads = GradientsParams::from_grads(loss.sum().backward(), &self.policy);
            self.policy = self
                .optimizer
                .step(params.learning_rate, self.policy.clone(), grads);
        }

        let after = self.policy.valid().logits(tokens, dims).map(tempered);
        let later_epochs = (params.epochs.max(2) - 1) as f64;
        let [_, rows, _] = after.rows.dims();
        let shown_row = after
            .row_of(params.view_prompt, params.view_position)
            .min(rows - 1);
        // One readback for the whole step: per seed its entropy before and
        // after, the predicted change, the two clipped shares and BAPO's last
        // choice of bounds, then the shown row's logits and the rewards.
        let per_seed = Tensor::cat(
            vec![
                entropy_before,
                row_entropy(after.rows.clone()).mean_dim(1),
                predicted_entropy_change(before.rows, after.rows.clone()).reshape([s, 1]),
                clipped / later_epochs,
                bapo_choice.float(),
            ],
            1,
        );
        let shown = (after.rows * t).slice([0..1, shown_row..shown_row + 1, 0..v]);
        let values = read_f32(Tensor::cat(
            vec![
                per_seed.reshape([s * PER_SEED]),
                shown.reshape([v]),
                rewards.reshape([s * p * g]),
            ],
            0,
        ))
        .await?;
        let (per_seed, rest) = values.split_at(s * PER_SEED);
        let (shown_logits, rewards) = rest.split_at(v);
        let column = |c: usize| -> Vec<f64> {
            per_seed
                .chunks_exact(PER_SEED)
                .map(|row| f64::from(row[c]))
                .collect()
        };
        let entropy = column(0);
        let mut used_states = states;
        if controller == ControllerId::Bapo {
            let pairs = bapo::candidates();
            for (state, choice) in used_states.iter_mut().zip(column(5)) {
                (state.low, state.high) = pairs[choice as usize];
            }
        }
        for (seed, state) in used_states.iter().enumerate() {
            self.states[seed] = state.after(controller, entropy[seed], params);
        }
        Ok(StepReport {
            entropy_after: column(1),
            predicted_change: column(2),
            clipped_positive: column(3),
            clipped_negative: column(4),
            rewards: rewards.to_vec(),
            shown_logits: shown_logits.to_vec(),
            states: used_states,
            entropy,
        })
    }
}
