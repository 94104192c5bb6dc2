//! The policy: a softmax over V tokens at every (prompt, position), batched
//! over S seeds (every parameter has the seed as its first axis, so one
//! Adam step updates every seed's policy on its own loss). Either free
//! logits per prompt and position, or a tiny MLP on the sum of prompt,
//! position and previous-token embeddings (so it writes token by token).
//! Sampling draws every token on the device from uniforms made on the host
//! by the counter RNG: the same uniforms give the same answers on WebGPU
//! and on the CPU.

use burn::module::{Module, Param};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Int, Tensor, TensorData};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;

use crate::params::{PeParams, PolicyKind};
use crate::task::Dims;

/// Counter streams of the initial parameters.
const INIT_STREAM: u32 = 50;

#[derive(Module, Debug)]
pub struct Table {
    /// [S, P, L, V]
    pub logits: Param<Tensor<4>>,
}

#[derive(Module, Debug)]
pub struct Mlp {
    /// [S, P, E]
    pub prompt: Param<Tensor<3>>,
    /// [S, L, E]
    pub position: Param<Tensor<3>>,
    /// [S, V + 1, E]: the previous token, or V before the first.
    pub previous: Param<Tensor<3>>,
    /// [S, E, E], [S, 1, E]
    pub hidden: Param<Tensor<3>>,
    pub hidden_bias: Param<Tensor<3>>,
    /// [S, E, V], [S, 1, V]
    pub head: Param<Tensor<3>>,
    pub head_bias: Param<Tensor<3>>,
}

// burn's Module derive takes no Box, and one policy lives per run.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Policy {
    Table(Table),
    Mlp(Mlp),
}

/// A parameter of `shape` whose entry i of seed s is `scale` times normal
/// draw (i, s, stream) of the run's RNG: seed s starts the same on every backend.
fn seeded(
    shape: [usize; 4],
    scale: f64,
    (rng, stream): (CounterRng, u32),
    device: &TensorDevice,
) -> Tensor<4> {
    let per_seed: usize = shape[1..].iter().product();
    let values: Vec<f32> = (0..shape[0] * per_seed)
        .map(|i| scale as f32 * rng.normal((i % per_seed) as u32, (i / per_seed) as u32, stream))
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

impl Policy {
    pub fn new(params: &PeParams, rng: CounterRng, device: &TensorDevice) -> Self {
        let dims = Dims::of(params);
        let (s, p, l, v) = (dims.seeds, dims.prompts, dims.length, dims.vocab);
        match params.policy {
            PolicyKind::Table => Policy::Table(Table {
                logits: Param::from_tensor(seeded(
                    [s, p, l, v],
                    params.init_spread,
                    (rng, INIT_STREAM),
                    device,
                )),
            }),
            PolicyKind::Mlp => {
                let e = params.hidden;
                let param3 = |shape: [usize; 3], scale: f64, stream: u32| {
                    let [a, b, c] = shape;
                    Param::from_tensor(
                        seeded([a, b, c, 1], scale, (rng, INIT_STREAM + stream), device)
                            .reshape(shape),
                    )
                };
                let fan = 1.0 / (e as f64).sqrt();
                Policy::Mlp(Mlp {
                    prompt: param3([s, p, e], 1.0, 1),
                    position: param3([s, l, e], 1.0, 2),
                    previous: param3([s, v + 1, e], 1.0, 3),
                    hidden: param3([s, e, e], fan, 4),
                    hidden_bias: param3([s, 1, e], 0.0, 5),
                    head: param3([s, e, v], fan * params.init_spread, 6),
                    head_bias: param3([s, 1, v], 0.0, 7),
                })
            }
        }
    }

    /// The logits at the states of `tokens` [S, P, G, L] (position l sees
    /// the tokens before it only).
    pub fn logits(&self, tokens: Tensor<4, Int>, dims: Dims) -> StateLogits {
        let [s, p, g, l] = dims.batch_shape();
        let v = dims.vocab;
        match self {
            Policy::Table(table) => StateLogits::new(
                table.logits.val().reshape([s, p * l, v]),
                tokens,
                Rows::PerState,
                dims,
            ),
            Policy::Mlp(mlp) => {
                let e = mlp.prompt.val().dims()[2];
                let device = tokens.device();
                let start = Tensor::<4, Int>::full([s, p, g, 1], v as i64, &device);
                let previous = if l > 1 {
                    Tensor::cat(
                        vec![start, tokens.clone().slice([0..s, 0..p, 0..g, 0..l - 1])],
                        3,
                    )
                } else {
                    start
                };
                let previous = previous
                    .reshape([s, dims.tokens()])
                    .one_hot::<3>(v + 1)
                    .float()
                    .matmul(mlp.previous.val());
                let spread =
                    |t: Tensor<5>| t.expand([s, p, g, l, e]).reshape([s, dims.tokens(), e]);
                let prompt = spread(mlp.prompt.val().reshape([s, p, 1, 1, e]));
                let position = spread(mlp.position.val().reshape([s, 1, 1, l, e]));
                let hidden = relu(
                    (prompt + position + previous).matmul(mlp.hidden.val()) + mlp.hidden_bias.val(),
                );
                let rows = hidden.matmul(mlp.head.val()) + mlp.head_bias.val();
                StateLogits::new(rows, tokens, Rows::PerToken, dims)
            }
        }
    }

    /// Answers [S, P, G, L] drawn from softmax(logits / T) with seed s's
    /// temperature `temperatures[s]`, token by token, by inverting the CDF at
    /// `uniforms` [S, P, G, L].
    pub fn sample(&self, dims: Dims, temperatures: &[f64], uniforms: Tensor<4>) -> Tensor<4, Int> {
        let [s, p, g, l] = dims.batch_shape();
        let v = dims.vocab;
        let device = uniforms.device();
        let inverse = per_seed(temperatures, &device).reshape([s, 1, 1, 1, 1]);
        // The table's rows are shared by a group: each state's CDF is made
        // once and compared with every answer's uniform.
        let draw = |logits: StateLogits, positions: std::ops::Range<usize>| {
            let width = positions.end - positions.start;
            let answers = logits.answers_with_own_rows();
            let rows = logits.rows.reshape([s, p, answers, l, v]).slice([
                0..s,
                0..p,
                0..answers,
                positions.clone(),
                0..v,
            ]);
            let cdf = softmax(rows * inverse.clone().expand([s, p, answers, width, v]), 4)
                .cumsum(4)
                .expand([s, p, g, width, v]);
            let u = uniforms
                .clone()
                .slice([0..s, 0..p, 0..g, positions])
                .unsqueeze_dim::<5>(4)
                .expand([s, p, g, width, v]);
            // The token is how many CDF values lie below u (the last one
            // caught if rounding leaves the CDF short of 1).
            cdf.lower(u)
                .int()
                .sum_dim(4)
                .clamp_max(v as i64 - 1)
                .reshape([s, p, g, width])
        };
        let zeros = Tensor::<4, Int>::zeros([s, p, g, l], &device);
        match self {
            Policy::Table(_) => draw(self.logits(zeros, dims), 0..l),
            Policy::Mlp(_) => (0..l).fold(zeros, |tokens, position| {
                let drawn = draw(self.logits(tokens.clone(), dims), position..position + 1);
                tokens.slice_assign([0..s, 0..p, 0..g, position..position + 1], drawn)
            }),
        }
    }
}

/// Which states the rows of [`StateLogits`] stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rows {
    /// One row per (prompt, position), shared by the G answers of a group.
    PerState,
    /// One row per sampled token (its state includes the previous token).
    PerToken,
}

/// A policy's logits at a batch's states, [S, R, V], and where each sampled
/// token lies in them. The table's R = P x L rows are shared by a group's G
/// answers, so every softmax over V is made once per state rather than G
/// times (most of a step's work); the MLP has one row per token. Each
/// state's row counts as often as tokens sit at it, so a mean over rows is
/// the mean over the batch's tokens.
#[derive(Clone, Debug)]
pub struct StateLogits {
    pub rows: Tensor<3>,
    /// [S, M]: row x V + token of every sampled token, into the rows flattened.
    token_index: Tensor<2, Int>,
    kind: Rows,
    group: usize,
    length: usize,
}

impl StateLogits {
    fn new(rows: Tensor<3>, tokens: Tensor<4, Int>, kind: Rows, dims: Dims) -> Self {
        let [s, p, g, l] = dims.batch_shape();
        let v = dims.vocab;
        let offsets: Vec<i64> = (0..p)
            .flat_map(|prompt| (0..g).map(move |answer| (prompt, answer)))
            .flat_map(|(prompt, answer)| (0..l).map(move |position| (prompt, answer, position)))
            .map(|(prompt, answer, position)| {
                let row = match kind {
                    Rows::PerState => prompt * l + position,
                    Rows::PerToken => (prompt * g + answer) * l + position,
                };
                (row * v) as i64
            })
            .collect();
        let m = dims.tokens();
        let device = tokens.device();
        let offsets = Tensor::<2, Int>::from_data(TensorData::new(offsets, [1, m]), &device);
        Self {
            rows,
            token_index: tokens.reshape([s, m]) + offsets.expand([s, m]),
            kind,
            group: g,
            length: l,
        }
    }

    /// The same states with the rows mapped (a temperature, a scale).
    pub fn map(self, f: impl FnOnce(Tensor<3>) -> Tensor<3>) -> Self {
        Self {
            rows: f(self.rows),
            ..self
        }
    }

    /// The entries of `per_row` [S, R, V] (a function of the rows) at the
    /// sampled tokens: [S, M].
    pub fn at_tokens(&self, per_row: Tensor<3>) -> Tensor<2> {
        let [s, r, v] = per_row.dims();
        per_row
            .reshape([s, r * v])
            .gather(1, self.token_index.clone())
    }

    /// The row of a prompt's first answer at a position.
    pub fn row_of(&self, prompt: usize, position: usize) -> usize {
        prompt * self.answers_with_own_rows() * self.length + position
    }

    /// How many of a prompt's answers have rows of their own: 1 when the
    /// group shares them.
    fn answers_with_own_rows(&self) -> usize {
        match self.kind {
            Rows::PerState => 1,
            Rows::PerToken => self.group,
        }
    }
}

/// 1 / T per seed, as a tensor [S].
fn per_seed(temperatures: &[f64], device: &TensorDevice) -> Tensor<1> {
    let values: Vec<f32> = temperatures.iter().map(|t| (1.0 / t) as f32).collect();
    Tensor::from_data(TensorData::new(values, [temperatures.len()]), device)
}
