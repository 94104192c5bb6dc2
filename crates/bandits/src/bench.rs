//! Arm pulls per second of the bandit loop: `runs` independent runs of UCB1
//! or Thompson sampling on ten Bernoulli arms for `steps` rounds, on the GPU
//! kernels and on the CPU path. `public/bench/bandit-pulls.js` is the same
//! loop in plain JavaScript, the peer the app measures in the same page.

use thermolab_core::rng::CounterRng;
use thermolab_gpu::{Gpu, now_seconds};

use crate::cpu::CpuRuns;
use crate::env::{self, Environment, Kind};
use crate::gpu::GpuRuns;
use crate::policy::{Live, Setup};

pub const BENCH_ARMS: usize = 10;
/// The benchmarked algorithms, as the JavaScript peer names them too.
pub const BENCH_ALGORITHMS: [&str; 2] = ["ucb1", "thompson"];

/// One measurement: pulls per second and the mean regret the runs reached,
/// so that implementations can be checked to have done the same work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PullsMeasurement {
    pub pulls_per_second: f64,
    pub mean_regret: f64,
}

/// Ten Bernoulli arms with means 0.9, 0.85, ..., 0.45.
fn bench_env(seed: u64) -> Environment {
    Environment::new(
        Kind::Bernoulli,
        env::staircase(BENCH_ARMS, 0.05),
        0,
        CounterRng::new(seed),
    )
}

fn bench_setup(runs: usize, steps: u64) -> Setup {
    Setup {
        runs,
        arms: BENCH_ARMS,
        horizon: steps,
        dim: BENCH_ARMS,
        ridge_lambda: 1.0,
        binary_rewards: true,
    }
}

/// The CPU path, timed from the first round to the last.
pub fn cpu_pulls(algorithm: &str, runs: usize, steps: u64, seed: u64) -> PullsMeasurement {
    let env = bench_env(seed);
    let setup = bench_setup(runs, steps);
    let live = Live::default();
    let mut cpu = CpuRuns::new(
        &[algorithm.to_string()],
        &setup,
        &live,
        CounterRng::new(seed),
    );
    let start = now_seconds();
    let mut mean_regret = 0.0;
    for t in 0..steps {
        mean_regret = cpu.round(&env, &live, t)[0].regret.0;
    }
    PullsMeasurement {
        pulls_per_second: (runs as f64 * steps as f64) / (now_seconds() - start),
        mean_regret,
    }
}

/// The GPU kernels, timed from the first dispatch to the last readback;
/// compiling the pipeline and allocating buffers are not counted.
pub async fn gpu_pulls(
    gpu: &Gpu,
    algorithm: &str,
    runs: usize,
    steps: u64,
    seed: u64,
) -> Result<PullsMeasurement, String> {
    let env = bench_env(seed);
    let setup = bench_setup(runs, steps);
    let live = Live::default();
    let mut kernels = GpuRuns::new(gpu, &env, &setup, &[algorithm.to_string()], seed)?;
    gpu.finish().await?;
    let start = now_seconds();
    let mut mean_regret = 0.0;
    for _ in 0..steps {
        mean_regret = kernels.round(&live).await?[0].regret.0;
    }
    Ok(PullsMeasurement {
        pulls_per_second: (runs as f64 * steps as f64) / (now_seconds() - start),
        mean_regret,
    })
}
