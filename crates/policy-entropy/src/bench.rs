//! The benchmark this lab offers the bench page: GRPO policy updates per
//! second at the size (V = 64, L = 8, G = 16, 64 prompts, one seed,
//! the table policy, no controller, the lab's 4 epochs), on WebGPU and on
//! burn's CPU backend: the lab's own trainer and step (sampling, rewards,
//! advantages, the clipped update and the step's readbacks), after one
//! untimed step that compiles the kernels. `public/bench/grpo-tfjs.js` is
//! the same update in TensorFlow.js, the peer the page measures beside it
//! (its panel, `tfjs-grpo`).

use thermolab_core::experiment::{Figure, RunError, View};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::{Compute, TensorDevice, now_seconds};
use thermolab_kit::params::int;
use thermolab_kit::{Benchmark, params};

use crate::controllers::ControllerId;
use crate::params::PeParams;
use crate::task::{Dims, Rule};
use crate::trainer::{Draws, Run};

params! {
    /// The benchmark's size, set on the bench page.
    pub struct UpdatesParams {
        /// Policy entropy benchmark: updates timed per path (after one untimed); 0 skips it.
        pub pe_bench_steps: usize = int("Policy bench updates timed", 0..=200, 0).live().unit("updates"),
        /// Policy entropy benchmark: prompts per update.
        pub pe_bench_prompts: usize = int("Policy bench prompts", 1..=256, 64).log().live(),
    }
}

/// The benchmark's lab settings with `prompts` prompts.
pub fn bench_params(prompts: usize) -> PeParams {
    PeParams {
        vocab: 64,
        length: 8,
        group: 16,
        prompts,
        seeds: 1,
        controller_1: ControllerId::None,
        controller_2: None,
        controller_3: None,
        ..PeParams::default()
    }
}

/// GRPO updates per second on `device`: `steps` timed after an untimed one.
pub async fn updates_per_second(
    device: &TensorDevice,
    steps: usize,
    prompts: usize,
    seed: u64,
) -> Result<f64, RunError> {
    let params = bench_params(prompts);
    let rng = CounterRng::new(seed);
    let rule = Rule::draw(&params, rng);
    let dims = Dims::of(&params);
    let mut run = Run::new(ControllerId::None, &params, rng, device);
    run.step(&params, &rule, &Draws::of(rng, dims, 0)).await?;
    let draws: Vec<Draws> = (1..=steps as u64)
        .map(|s| Draws::of(rng, dims, s))
        .collect();
    let start = now_seconds();
    for d in &draws {
        run.step(&params, &rule, d).await?;
    }
    Ok(steps as f64 / (now_seconds() - start).max(1e-9))
}

/// The benchmark on the bench page: the GPU (if any) and the CPU path.
#[derive(Default)]
pub struct UpdateThroughput {
    gpu: Option<f64>,
    cpu: Option<f64>,
}

#[async_trait::async_trait(?Send)]
impl Benchmark for UpdateThroughput {
    type Params = UpdatesParams;
    const PANEL: Option<&'static str> = Some("tfjs-grpo");

    fn new() -> Self {
        Self::default()
    }

    async fn measure(
        &mut self,
        compute: &Compute,
        params: &UpdatesParams,
        seed: u64,
        _step: u64,
    ) -> Result<(), RunError> {
        if params.pe_bench_steps == 0 {
            return Ok(());
        }
        let size = (params.pe_bench_steps, params.pe_bench_prompts);
        if compute.gpu.is_some() {
            self.gpu =
                Some(updates_per_second(&compute.tensor_device, size.0, size.1, seed).await?);
        }
        self.cpu = Some(updates_per_second(&TensorDevice::flex(), size.0, size.1, seed).await?);
        Ok(())
    }

    fn view(&self, compute: &Compute, _params: &UpdatesParams) -> View {
        let has_gpu = compute.gpu.is_some();
        let figure = |path: &str, value: Option<f64>, gpu: bool| Figure {
            key: format!("pe_updates_{path}"),
            label: format!("GRPO policy updates, {}", path.to_uppercase()),
            value,
            unit: "updates/s".to_string(),
            note: if gpu && !has_gpu {
                "no WebGPU: running on the CPU fallback".to_string()
            } else if value.is_none() {
                "set Policy bench updates timed above 0".to_string()
            } else {
                "V 64, L 8, G 16, one seed, 4 epochs".to_string()
            },
        };
        View {
            figures: vec![
                figure("gpu", self.gpu, true),
                figure("cpu", self.cpu, false),
            ],
            charts: Vec::new(),
            facts: Vec::new(),
        }
    }
}
