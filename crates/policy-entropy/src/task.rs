//! The task: P prompts, each with a hidden verifiable 0/1 reward on answers
//! of L tokens from a vocabulary of V. The task is drawn from the run's
//! seed and shared by every seed of the batch (the seeds differ in their
//! initial policy and their samples); rewards are computed on the device
//! for every seed, prompt and group member at once.

use burn::tensor::{Int, Tensor, TensorData};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;

use crate::params::{PeParams, Task};

/// The counter stream the task is drawn from.
const TASK_STREAM: u32 = 40;
/// Token t stands for the digit t mod 10 in the digit-sum task.
pub const DIGIT_BASE: i64 = 10;

/// Sizes of one batch: S seeds, P prompts, G answers each, L tokens, V tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub seeds: usize,
    pub prompts: usize,
    pub group: usize,
    pub length: usize,
    pub vocab: usize,
}

impl Dims {
    pub fn of(params: &PeParams) -> Self {
        Self {
            seeds: params.seeds,
            prompts: params.prompts,
            group: params.group,
            length: params.length,
            vocab: params.vocab,
        }
    }

    /// Answers one seed samples: P x G.
    pub fn answers(&self) -> usize {
        self.prompts * self.group
    }

    /// Tokens one seed samples: P x G x L.
    pub fn tokens(&self) -> usize {
        self.answers() * self.length
    }

    pub fn batch_shape(&self) -> [usize; 4] {
        [self.seeds, self.prompts, self.group, self.length]
    }
}

/// The hidden rule of every prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// Prompt p's answer is right when its digits sum to `targets[p]`.
    DigitSum { targets: Vec<i64> },
    /// Prompt p's answer is right when it equals one of `answers[p]`.
    Answers { answers: Vec<Vec<Vec<i64>>> },
}

impl Rule {
    /// Digit-sum targets are the digit sums of random answers (so every
    /// target is reachable, and most lie where many answers reach them);
    /// hidden answers are uniform random sequences.
    pub fn draw(params: &PeParams, rng: CounterRng) -> Self {
        let token = |p: usize, k: usize, l: usize| {
            let u = rng.uniform((p * 16 + l) as u32, k as u32, TASK_STREAM);
            ((u * params.vocab as f32) as i64).min(params.vocab as i64 - 1)
        };
        match params.task {
            Task::DigitSum => Rule::DigitSum {
                targets: (0..params.prompts)
                    .map(|p| {
                        (0..params.length)
                            .map(|l| token(p, 0, l) % DIGIT_BASE)
                            .sum()
                    })
                    .collect(),
            },
            Task::Answers => Rule::Answers {
                answers: (0..params.prompts)
                    .map(|p| {
                        (0..params.answers)
                            .map(|k| (0..params.length).map(|l| token(p, k, l)).collect())
                            .collect()
                    })
                    .collect(),
            },
        }
    }

    /// In words, for the facts table.
    pub fn describe(&self) -> String {
        match self {
            Rule::DigitSum { targets } => format!(
                "digits (token mod 10) sum to the prompt's target; targets {}",
                preview(targets)
            ),
            Rule::Answers { answers } => format!(
                "one of {} hidden answers per prompt; prompt 0's first: {}",
                answers.first().map_or(0, Vec::len),
                answers
                    .first()
                    .and_then(|a| a.first())
                    .map_or(String::new(), |a| preview(a))
            ),
        }
    }

    /// 0/1 rewards [S, P, G] of `tokens` [S, P, G, L].
    pub fn rewards(&self, tokens: Tensor<4, Int>, dims: Dims, device: &TensorDevice) -> Tensor<3> {
        let [s, p, g, l] = dims.batch_shape();
        match self {
            Rule::DigitSum { targets } => {
                let sums = tokens.remainder_scalar(DIGIT_BASE).sum_dim(3);
                let targets = Tensor::<4, Int>::from_data(
                    TensorData::new(targets.clone(), [1, p, 1, 1]),
                    device,
                )
                .expand([s, p, g, 1]);
                sums.equal(targets).float().reshape([s, p, g])
            }
            Rule::Answers { answers } => {
                let k = answers.first().map_or(0, Vec::len);
                let flat: Vec<i64> = answers.iter().flatten().flatten().copied().collect();
                let answers =
                    Tensor::<5, Int>::from_data(TensorData::new(flat, [1, p, 1, k, l]), device)
                        .expand([s, p, g, k, l]);
                let tokens = tokens.unsqueeze_dim::<5>(3).expand([s, p, g, k, l]);
                let matching = tokens.equal(answers).int().sum_dim(4).equal_elem(l as i64);
                matching
                    .int()
                    .sum_dim(3)
                    .greater_elem(0)
                    .float()
                    .reshape([s, p, g])
            }
        }
    }
}

fn preview(values: &[i64]) -> String {
    let shown: Vec<String> = values.iter().take(8).map(i64::to_string).collect();
    let more = if values.len() > 8 { ", ..." } else { "" };
    format!("[{}{more}]", shown.join(", "))
}
