//! The benchmark this lab offers the bench page: training examples (digits)
//! per second of each rule on the 196-`width`-`width` MLP at batch `batch`
//! (the 196-500-500 at 256 by default), on WebGPU and on burn's CPU
//! backend: the lab's own learner and step (for the goodness rules a digit
//! is its positive and its negative pass), after one untimed step that
//! compiles the kernels. The digits are random images with random labels:
//! the rate does not depend on them, and the bench page has no data files.
//! `public/bench/ff-tfjs.js` is backprop on the identical MLP in
//! TensorFlow.js, the peer the page measures beside them (its panel, `tfjs-ff`).

use thermolab_core::digits::CLASSES;
use thermolab_core::experiment::{Figure, RunError, View, ensure_finite};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::{Compute, TensorDevice, now_seconds};
use thermolab_kit::params::int;
use thermolab_kit::{Benchmark, params};

use crate::data::{labelled, random_wrong_label};
use crate::net::IMAGE_PIXELS;
use crate::params::FfParams;
use crate::rules::{Batch, Learner, RuleId, Settings};

/// Hidden layers of the benchmark's MLP.
pub const DEPTH: usize = 2;
/// The counter stream of the random digits.
const IMAGE_STREAM: u32 = 30;

params! {
    /// The benchmark's size, set on the bench page.
    pub struct ExamplesParams {
        /// Forward-forward benchmark: training steps timed per rule (after one untimed); 0 skips it.
        pub ff_bench_steps: usize = int("FF bench steps timed", 0..=100, 0).live().unit("steps"),
        /// Forward-forward benchmark: units of each of the two hidden layers.
        pub ff_bench_width: usize = int("FF bench width", 50..=2000, 500).log().live().unit("units"),
        /// Forward-forward benchmark: digits per training step.
        pub ff_bench_batch: usize = int("FF bench batch", 8..=1024, 256).log().live().unit("digits"),
    }
}

/// A batch of `size` random digits with random labels, and their random wrong labels.
fn random_batch(rng: CounterRng, size: usize) -> Batch {
    let images: Vec<f32> = (0..size * IMAGE_PIXELS)
        .map(|i| rng.uniform(i as u32, 0, IMAGE_STREAM))
        .collect();
    let labels: Vec<usize> = (0..size)
        .map(|i| {
            ((rng.uniform(i as u32, 1, IMAGE_STREAM) * CLASSES as f32) as usize).min(CLASSES - 1)
        })
        .collect();
    let wrong: Vec<usize> = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| random_wrong_label(rng, 0, i, l))
        .collect();
    Batch {
        positive: labelled(&images, &labels, IMAGE_PIXELS),
        negative: labelled(&images, &wrong, IMAGE_PIXELS),
        images,
        labels,
    }
}

/// Training digits per second of `rule` on `device`: `steps` timed steps
/// after an untimed one, each ending with its loss read back (as the lab's).
pub async fn examples_per_second(
    rule: RuleId,
    device: &TensorDevice,
    (steps, width, batch): (usize, usize, usize),
    seed: u64,
) -> Result<f64, RunError> {
    let params = FfParams {
        width,
        depth: DEPTH,
        batch,
        ..FfParams::default()
    };
    let rng = CounterRng::new(seed);
    let mut learner = Learner::new(rule, &params, rng, device);
    let digits = random_batch(rng, batch);
    let settings = Settings::of(&params);
    learner
        .step(&digits, &settings, params.learning_rate)
        .await?;
    let start = now_seconds();
    for _ in 0..steps {
        let loss = learner
            .step(&digits, &settings, params.learning_rate)
            .await?;
        ensure_finite("benchmark loss", loss)?;
    }
    Ok((steps * batch) as f64 / (now_seconds() - start).max(1e-9))
}

/// The benchmark on the bench page: every rule on the GPU (if any) and on
/// the CPU every step, once its steps are set above 0.
#[derive(Default)]
pub struct RuleThroughput {
    gpu: Vec<(RuleId, f64)>,
    cpu: Vec<(RuleId, f64)>,
}

#[async_trait::async_trait(?Send)]
impl Benchmark for RuleThroughput {
    type Params = ExamplesParams;
    const PANEL: Option<&'static str> = Some("tfjs-ff");

    fn new() -> Self {
        Self::default()
    }

    async fn measure(
        &mut self,
        compute: &Compute,
        params: &ExamplesParams,
        seed: u64,
        _step: u64,
    ) -> Result<(), RunError> {
        if params.ff_bench_steps == 0 {
            return Ok(());
        }
        let size = (
            params.ff_bench_steps,
            params.ff_bench_width,
            params.ff_bench_batch,
        );
        let rates = async |device: TensorDevice| {
            let mut measured = Vec::new();
            for rule in RuleId::all() {
                measured.push((rule, examples_per_second(rule, &device, size, seed).await?));
            }
            Ok::<_, RunError>(measured)
        };
        if compute.gpu.is_some() {
            self.gpu = rates(compute.tensor_device.clone()).await?;
        }
        self.cpu = rates(TensorDevice::flex()).await?;
        Ok(())
    }

    fn view(&self, compute: &Compute, _params: &ExamplesParams) -> View {
        let has_gpu = compute.gpu.is_some();
        let figures = RuleId::all()
            .into_iter()
            .flat_map(|rule| {
                let find = |measured: &[(RuleId, f64)]| {
                    measured.iter().find(|(r, _)| *r == rule).map(|(_, v)| *v)
                };
                let figure = |path: &str, value: Option<f64>, gpu: bool| Figure {
                    key: format!("ff_{}_{path}", rule.key()),
                    label: format!("{} training, {}", rule.label(), path.to_uppercase()),
                    value,
                    unit: "examples/s".to_string(),
                    note: if gpu && !has_gpu {
                        "no WebGPU: running on the CPU fallback".to_string()
                    } else if value.is_none() {
                        "set FF bench steps timed above 0".to_string()
                    } else {
                        String::new()
                    },
                };
                [
                    figure("gpu", find(&self.gpu), true),
                    figure("cpu", find(&self.cpu), false),
                ]
            })
            .collect();
        View {
            figures,
            charts: Vec::new(),
            facts: Vec::new(),
        }
    }
}
