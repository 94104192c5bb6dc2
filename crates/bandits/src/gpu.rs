//! The GPU path: `shaders/bandits.wgsl` runs one invocation per independent
//! run and advances every run of one algorithm by a chunk of rounds per
//! dispatch; each workgroup reduces every round's regret, best-arm flags and
//! policy entropy, and only those partials are read back and merged here.
//! The kernel replays the CPU path's algorithms and random numbers in f32, so
//! `tests/gpu.rs` holds the two to each other.

use std::collections::VecDeque;

use thermolab_gpu::{Gpu, shaders, wgpu};

use crate::algorithms::exp3::tuned_eta;
use crate::env::{ContextDesign, Environment, Kind};
use crate::policy::{Live, Setup};
use crate::{RoundStats, half_width, slot_stream};

const WORKGROUP: u32 = 64;
/// The kernel's private per-arm arrays hold this many arms.
pub const MAX_ARMS: usize = 16;
/// Most rounds per dispatch: live controls reach the kernel at the next one.
const MAX_CHUNK: u64 = 32;
/// Arm evaluations per dispatch at most, so one dispatch stays short on a
/// slow GPU and the pause button answers.
const CHUNK_WORK: u64 = 1 << 24;
/// Words of the kernel's `Params` uniform.
const PARAMS_WORDS: usize = 80;
/// vec4s of partials per (slot, round, group): `PARTIALS` in bandits.wgsl.
const PARTIALS: usize = 6;

/// The kernel's codes of its algorithms (`ALGO_*` in bandits.wgsl).
const KERNEL_ALGORITHMS: [&str; 11] = [
    "ucb1",
    "kl_ucb",
    "thompson",
    "epsilon_greedy",
    "boltzmann",
    "gradient",
    "exp3",
    "tsallis_inf",
    "linucb",
    "threshold",
    "lints",
];
/// The kernel's algorithms that sample from an explicit policy.
const EXPLICIT_POLICIES: std::ops::RangeInclusive<u32> = 4..=7;
/// The kernel's first linear algorithm.
const FIRST_LINEAR: u32 = 8;
/// Floats of one run's ridge state in the kernel: A^-1 (8 x 8), then b.
const RIDGE_STRIDE: u64 = 72;
/// Where b starts in a run's ridge state.
const RIDGE_B: usize = 64;

fn kernel_code(algorithm: &str) -> Option<u32> {
    KERNEL_ALGORITHMS
        .iter()
        .position(|id| *id == algorithm)
        .map(|code| code as u32)
}

/// The kernel's code of an environment (`ENV_*` in bandits.wgsl).
fn env_code(kind: Kind) -> u32 {
    match kind {
        Kind::Bernoulli => 0,
        Kind::Gaussian => 1,
        Kind::Piecewise => 2,
        Kind::Adversarial => 3,
        Kind::Linear => 4,
    }
}

/// Why these algorithms on this environment cannot run on the kernels.
pub fn unsupported(kind: Kind, arms: usize, algorithms: &[String]) -> Option<String> {
    if arms > MAX_ARMS {
        return Some(format!("the GPU kernel holds at most {MAX_ARMS} arms"));
    }
    if let Some(id) = algorithms.iter().find(|id| kernel_code(id).is_none()) {
        return Some(format!("{} has no GPU kernel", crate::algorithms::name(id)));
    }
    // On K-armed environments they see one-hot features of dimension K,
    // more than the kernel's 8.
    algorithms
        .iter()
        .find(|id| kind != Kind::Linear && kernel_code(id).is_some_and(|c| c >= FIRST_LINEAR))
        .map(|id| {
            format!(
                "{} runs on the GPU in the linear environment only",
                crate::algorithms::name(id)
            )
        })
}

struct GpuSlot {
    algorithm: u32,
    /// Linear algorithms: A^-1 and b of run 0 after the last dispatch.
    ridge: Option<wgpu::Buffer>,
    first_run_ridge: Vec<f32>,
    /// Samples from an explicit distribution, whose entropy is reported.
    explicit_policy: bool,
    params: wgpu::Buffer,
    bind: wgpu::BindGroup,
    run_state: wgpu::Buffer,
}

pub struct GpuRuns {
    gpu: Gpu,
    pipeline: wgpu::ComputePipeline,
    slots: Vec<GpuSlot>,
    partials: wgpu::Buffer,
    group_pulls: wgpu::Buffer,
    setup: Setup,
    seed: u64,
    env: u32,
    switch_step: u32,
    means: [f32; MAX_ARMS],
    thresholds: [u32; MAX_ARMS],
    /// The linear model's words of the uniform: dim, noise, zeta, gap, theta, w.
    linear: LinearWords,
    groups: u32,
    chunk: u64,
    dispatched: u64,
    pending: VecDeque<Vec<RoundStats>>,
    pulls: Vec<Vec<u64>>,
}

/// How many of the 2^24 values of a word's top 24 bits fall below `mean`:
/// the kernel's `(w >> 8) < threshold` is then exactly the CPU's f64 test
/// `unit_f32(w) < mean`.
fn bernoulli_threshold(mean: f64) -> u32 {
    (mean.clamp(0.0, 1.0) * 16_777_216.0).ceil() as u32
}

/// What the kernel needs of the linear model; zeros for K-armed environments.
#[derive(Clone, Copy, Default)]
struct LinearWords {
    dim: u32,
    /// 1 for the aligned design.
    aligned: u32,
    noise: f32,
    zeta: f32,
    gap: f32,
    theta: [f32; 8],
    w: [f32; 8],
}

impl LinearWords {
    fn of(env: &Environment) -> Self {
        let Some(model) = &env.linear else {
            return Self::default();
        };
        let mut words = Self {
            dim: model.theta.len() as u32,
            aligned: u32::from(model.design == ContextDesign::Aligned),
            noise: model.noise as f32,
            zeta: model.zeta as f32,
            gap: model.gap as f32,
            ..Self::default()
        };
        for (i, (t, w)) in model.theta.iter().zip(&model.w).enumerate() {
            words.theta[i] = *t as f32;
            words.w[i] = *w as f32;
        }
        words
    }
}

impl GpuRuns {
    /// `unsupported` must have returned `None` for this environment and `ids`.
    pub fn new(
        gpu: &Gpu,
        env: &Environment,
        setup: &Setup,
        ids: &[String],
        seed: u64,
    ) -> Result<Self, String> {
        if let Some(reason) = unsupported(env.kind, setup.arms, ids) {
            return Err(reason);
        }
        let runs = setup.runs as u64;
        let arms = setup.arms as u64;
        let groups = setup.runs.div_ceil(WORKGROUP as usize) as u32;
        let chunk = (CHUNK_WORK / (runs * arms)).clamp(1, MAX_CHUNK);
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let pipeline = gpu.pipeline("bandits", &shaders::with_rng(shaders::BANDITS));
        let partials = gpu.buffer(
            "bandit partials",
            ids.len() as u64 * chunk * u64::from(groups) * PARTIALS as u64 * 16,
            storage,
        );
        let group_pulls = gpu.buffer(
            "bandit pulls",
            ids.len() as u64 * u64::from(groups) * MAX_ARMS as u64 * 4,
            storage,
        );
        let slots = ids
            .iter()
            .map(|id| {
                let params = gpu.buffer(
                    "bandit params",
                    PARAMS_WORDS as u64 * 4,
                    wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                );
                let per_arm = |label| gpu.buffer(label, runs * arms * 4, storage);
                let counts = per_arm("bandit counts");
                let sums = per_arm("bandit sums");
                let totals = per_arm("bandit arm totals");
                let algorithm = kernel_code(id).unwrap_or_default();
                let run_state = gpu.buffer("bandit run state", runs * 16, storage);
                let ridge_floats = if algorithm >= FIRST_LINEAR {
                    runs * RIDGE_STRIDE
                } else {
                    4
                };
                let ridge = gpu.buffer("bandit ridge", ridge_floats * 4, storage);
                let linear = algorithm >= FIRST_LINEAR;
                let bind = gpu.bind(
                    &pipeline,
                    &[
                        &params,
                        &counts,
                        &sums,
                        &totals,
                        &run_state,
                        &partials,
                        &group_pulls,
                        &ridge,
                    ],
                );
                GpuSlot {
                    algorithm,
                    ridge: linear.then(|| ridge.clone()),
                    first_run_ridge: Vec::new(),
                    explicit_policy: EXPLICIT_POLICIES.contains(&algorithm),
                    params,
                    bind,
                    run_state,
                }
            })
            .collect();
        let mut means = [0.0; MAX_ARMS];
        let mut thresholds = [0; MAX_ARMS];
        for (a, mean) in env.means.iter().enumerate() {
            means[a] = *mean as f32;
            thresholds[a] = bernoulli_threshold(*mean);
        }
        Ok(Self {
            gpu: gpu.clone(),
            pipeline,
            slots,
            partials,
            group_pulls,
            setup: *setup,
            seed,
            env: env_code(env.kind),
            switch_step: env.switch_step.min(u64::from(u32::MAX)) as u32,
            means,
            thresholds,
            linear: LinearWords::of(env),
            groups,
            chunk,
            dispatched: 0,
            pending: VecDeque::new(),
            pulls: vec![vec![0; setup.arms]; ids.len()],
        })
    }

    /// The next round's statistics, dispatching the next chunk when the
    /// last one's rounds are used up.
    pub async fn round(&mut self, live: &Live) -> Result<Vec<RoundStats>, String> {
        if self.pending.is_empty() {
            self.dispatch(live).await?;
        }
        self.pending
            .pop_front()
            .ok_or_else(|| "the GPU returned no rounds".to_string())
    }

    /// Rounds per dispatch.
    pub fn chunk(&self) -> u64 {
        self.chunk
    }

    /// Pulls per arm, summed over runs, as of the last dispatch.
    pub fn pulls(&self, slot: usize) -> &[u64] {
        &self.pulls[slot]
    }

    /// For linear algorithms: run 0's theta_hat = A^-1 b and A^-1 (row-major,
    /// d x d) after the last dispatch, as `Algorithm::confidence_set`.
    pub fn confidence_set(&self, slot: usize) -> Option<(Vec<f64>, Vec<f64>)> {
        let state = &self.slots[slot].first_run_ridge;
        let d = self.linear.dim as usize;
        if state.is_empty() || d == 0 {
            return None;
        }
        let a_inv: Vec<f64> = state[..d * d].iter().map(|x| f64::from(*x)).collect();
        let b = &state[RIDGE_B..RIDGE_B + d];
        let theta = a_inv
            .chunks_exact(d)
            .map(|row| row.iter().zip(b).map(|(a, b)| a * f64::from(*b)).sum())
            .collect();
        Some((theta, a_inv))
    }

    /// Cumulative regret of every run of slot `slot` after the last dispatch.
    pub async fn run_regrets(&self, slot: usize) -> Result<Vec<f64>, String> {
        let state: Vec<[f32; 4]> = self.gpu.read(&self.slots[slot].run_state).await?;
        Ok(state.iter().map(|s| f64::from(s[0])).collect())
    }

    fn params_words(&self, slot: usize, first_step: u64, steps: u64, live: &Live) -> Vec<u32> {
        let flags = u32::from(live.decay_epsilon)
            | u32::from(live.anneal) << 1
            | u32::from(self.setup.binary_rewards) << 2
            | u32::from(live.entropy_target.is_some()) << 3;
        let exp3_eta = tuned_eta(self.setup.arms, self.setup.horizon, live.exp3_eta_scale);
        let mut words = vec![
            self.seed as u32,
            (self.seed >> 32) as u32,
            self.setup.runs as u32,
            self.setup.arms as u32,
            first_step as u32,
            steps as u32,
            self.slots[slot].algorithm,
            self.env,
            self.switch_step,
            slot_stream(slot),
            flags,
            slot as u32,
            (live.ucb_width as f32).to_bits(),
            (live.epsilon as f32).to_bits(),
            (live.temperature as f32).to_bits(),
            self.groups,
        ];
        words.extend(self.means.map(f32::to_bits));
        words.extend(self.thresholds);
        words.extend(
            [
                live.gradient_temperature,
                live.step_size,
                live.entropy_coef,
                live.entropy_target.unwrap_or(0.0),
                live.dual_step,
                exp3_eta,
                live.exp3_gamma,
            ]
            .map(|x| (x as f32).to_bits()),
        );
        let linear = self.linear;
        words.push(linear.dim);
        words.extend(
            [
                live.linear_width as f32,
                live.posterior_scale as f32,
                live.selection_threshold as f32,
                linear.noise,
                linear.zeta,
                self.setup.ridge_lambda as f32,
                linear.gap,
            ]
            .map(f32::to_bits),
        );
        words.push(linear.aligned);
        words.extend(linear.theta.map(f32::to_bits));
        words.extend(linear.w.map(f32::to_bits));
        debug_assert_eq!(words.len(), PARAMS_WORDS);
        words
    }

    async fn dispatch(&mut self, live: &Live) -> Result<(), String> {
        let first_step = self.dispatched;
        let steps = self
            .chunk
            .min(self.setup.horizon.saturating_sub(first_step));
        if steps == 0 {
            return Err("the run is past its horizon".to_string());
        }
        for slot in 0..self.slots.len() {
            let words = self.params_words(slot, first_step, steps, live);
            self.gpu
                .queue
                .write_buffer(&self.slots[slot].params, 0, bytemuck::cast_slice(&words));
        }
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            for slot in &self.slots {
                pass.set_bind_group(0, &slot.bind, &[]);
                pass.dispatch_workgroups(self.groups, 1, 1);
            }
        }
        self.gpu.queue.submit([encoder.finish()]);
        // One readback: the partials, the pulls, and run 0's ridge state of
        // each linear algorithm (for the ellipses).
        let mut reads = vec![
            (&self.partials, self.partials.size()),
            (&self.group_pulls, self.group_pulls.size()),
        ];
        reads.extend(
            self.slots
                .iter()
                .filter_map(|slot| slot.ridge.as_ref())
                .map(|ridge| (ridge, RIDGE_STRIDE * 4)),
        );
        let mut parts: Vec<Vec<f32>> = self.gpu.read_parts(&reads).await?;
        let ridges = parts.split_off(2);
        let pulls = parts.pop().unwrap_or_default();
        let partials: Vec<[f32; 4]> = parts
            .pop()
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|p| [p[0], p[1], p[2], p[3]])
            .collect();
        for (slot, ridge) in self
            .slots
            .iter_mut()
            .filter(|slot| slot.ridge.is_some())
            .zip(ridges)
        {
            slot.first_run_ridge = ridge;
        }
        self.dispatched += steps;
        let groups = self.groups as usize;
        for s in 0..steps as usize {
            let round = (0..self.slots.len())
                .map(|slot| {
                    let at = |g: usize, part: usize| {
                        partials[((slot * steps as usize + s) * groups + g) * PARTIALS + part]
                    };
                    let regret = merge((0..groups).map(|g| {
                        let p = at(g, 0);
                        (p[3], p[0], p[1])
                    }));
                    let on_best: f64 = (0..groups).map(|g| f64::from(at(g, 0)[2])).sum();
                    let runs = self.setup.runs as f64;
                    // Only explicit policies wrote these partials.
                    let explicit = self.slots[slot].explicit_policy;
                    let entropy = explicit.then(|| {
                        merge((0..groups).map(|g| {
                            let (p, q) = (at(g, 0), at(g, 1));
                            (p[3], q[0], q[1])
                        }))
                    });
                    let policy = explicit.then(|| {
                        (0..self.setup.arms)
                            .map(|arm| {
                                (0..groups)
                                    .map(|g| f64::from(at(g, 0)[3] * at(g, 2 + arm / 4)[arm % 4]))
                                    .sum::<f64>()
                                    / runs
                            })
                            .collect()
                    });
                    RoundStats {
                        regret,
                        best_share: on_best / runs,
                        entropy,
                        policy,
                    }
                })
                .collect();
            self.pending.push_back(round);
        }
        for (slot, totals) in self.pulls.iter_mut().enumerate() {
            for (arm, total) in totals.iter_mut().enumerate() {
                *total = (0..groups)
                    .map(|g| pulls[(slot * groups + g) * MAX_ARMS + arm] as u64)
                    .sum();
            }
        }
        Ok(())
    }
}

/// Mean and 95% half-width of the union of groups given as (count, mean,
/// sum of squared deviations), merged pairwise in f64: Chan, Golub &
/// LeVeque, "Updating Formulae and a Pairwise Algorithm for Computing Sample
/// Variances", 1979.
fn merge(groups: impl Iterator<Item = (f32, f32, f32)>) -> (f64, f64) {
    let (mut n, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for (count, group_mean, group_m2) in groups {
        let (count, group_mean) = (f64::from(count), f64::from(group_mean));
        if count == 0.0 {
            continue;
        }
        let total = n + count;
        let delta = group_mean - mean;
        mean += delta * count / total;
        m2 += f64::from(group_m2) + delta * delta * n * count / total;
        n = total;
    }
    let variance = if n > 1.0 { m2 / (n - 1.0) } else { 0.0 };
    (mean, half_width(variance, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mean_and_half_width;

    #[test]
    fn merged_groups_give_the_mean_and_interval_of_the_whole() {
        let xs: Vec<f64> = (0..150)
            .map(|i| ((i * 37) % 23) as f64 * 0.7 - 3.0)
            .collect();
        let groups = xs.chunks(64).map(|g| {
            let (m, _) = mean_and_half_width(g);
            let m2: f64 = g.iter().map(|x| (x - m).powi(2)).sum();
            (g.len() as f32, m as f32, m2 as f32)
        });
        let (mean, half) = merge(groups);
        let (want_mean, want_half) = mean_and_half_width(&xs);
        assert!((mean - want_mean).abs() < 1e-5, "{mean} vs {want_mean}");
        assert!((half - want_half).abs() < 1e-5, "{half} vs {want_half}");
    }

    #[test]
    fn bernoulli_thresholds_reproduce_the_f64_comparison() {
        for mean in [0.0, 0.1, 0.35, 0.5, 0.6, 0.9, 1.0] {
            let threshold = bernoulli_threshold(mean);
            for k in [
                threshold.saturating_sub(1),
                threshold,
                threshold.saturating_add(1),
            ] {
                let k = k.min((1 << 24) - 1);
                let cpu = f64::from(k as f32 / 16_777_216.0) < mean;
                assert_eq!(k < threshold, cpu, "mean {mean}, k {k}");
            }
        }
    }

    #[test]
    fn only_k_armed_environments_and_kernelled_algorithms_run_on_the_gpu() {
        let ids = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            unsupported(Kind::Bernoulli, 5, &ids(&["ucb1", "thompson"])),
            None
        );
        assert_eq!(unsupported(Kind::Linear, 5, &ids(&["ucb1", "lints"])), None);
        assert!(unsupported(Kind::Bernoulli, 5, &ids(&["linucb"])).is_some());
        assert_eq!(
            unsupported(Kind::Adversarial, 5, &ids(&["exp3", "gradient"])),
            None
        );
        let reason = unsupported(Kind::Gaussian, 5, &ids(&["ucb1", "linucb"])).unwrap();
        assert!(reason.contains("LinUCB"), "{reason}");
        assert!(unsupported(Kind::Bernoulli, 17, &ids(&["ucb1"])).is_some());
    }
}
