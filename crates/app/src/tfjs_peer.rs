//! The TensorFlow.js peer of the Device page's diffusion benchmark:
//! `public/bench/diffusion-tfjs.js` trains and samples the same 2-D denoiser
//! with TF.js on its WebGPU and wasm backends, in a worker of this page, with
//! the lab's sizes, so its rates sit beside the lab's GPU and CPU figures;
//! and the peer of the Forward-forward lab's benchmark, backprop on the
//! identical MLP (`public/bench/ff-tfjs.js`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use web_sys::WorkerType;

use crate::js_peer::{PeerPanel, PeerWorker, failed_row, figure_value, run_peer};
use crate::state::Ui;
use thermolab_core::params::format_number;

/// Relative, so the site works from any sub-path.
const PEER_URL: &str = "./public/bench/diffusion-tfjs.js";
const BACKENDS: [&str; 2] = ["webgpu", "wasm"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PeerRequest {
    backends: [&'static str; 2],
    train_steps: i64,
    particles: i64,
    sample_steps: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PeerResult {
    backend: Option<String>,
    train_steps_per_second: Option<f64>,
    samples_per_second: Option<f64>,
    final_loss: Option<f64>,
    error: Option<String>,
}

fn ratio(lab: Option<f64>, peer: f64) -> String {
    lab.map_or("n/a".to_string(), |v| format!("{:.2}x", v / peer))
}

/// Posts `request` to the TF.js peer script at `url` (a classic worker of
/// this page), which answers once per backend into `results`.
fn run_tfjs<T>(
    ui: Ui,
    (url, name): (&'static str, &'static str),
    request: impl Serialize,
    signals: (RwSignal<Vec<T>>, RwSignal<bool>),
) where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let Ok(message) = request.serialize(&serializer) else {
        return;
    };
    let worker = PeerWorker {
        url,
        kind: WorkerType::Classic,
        name,
    };
    run_peer(ui, worker, vec![message], BACKENDS.len(), signals);
}

#[component]
pub fn TfjsPeer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let results = RwSignal::new(Vec::<PeerResult>::new());
    let running = RwSignal::new(false);
    let size = move || {
        ui.params.with(|p| {
            let p = p.as_ref()?;
            let train_steps = p.int("diffusion_train_steps").ok()?;
            (train_steps > 0).then_some((
                train_steps,
                p.int("diffusion_particles").ok()?,
                p.int("diffusion_sample_steps").ok()?,
            ))
        })
    };
    let measure = move || {
        let Some((train_steps, particles, sample_steps)) = size() else {
            return;
        };
        let request = PeerRequest {
            backends: BACKENDS,
            train_steps,
            particles,
            sample_steps,
        };
        run_tfjs(
            ui,
            (PEER_URL, "The TensorFlow.js peer"),
            request,
            (results, running),
        );
    };
    let rows = move || {
        results
            .get()
            .into_iter()
            .map(|result| {
                let backend = result.backend.clone().unwrap_or_default();
                let (Some(train), Some(samples)) =
                    (result.train_steps_per_second, result.samples_per_second)
                else {
                    let error = result.error.unwrap_or_default();
                    return failed_row(format!("tfjs-{backend}"), format!("TF.js {backend}"), 7, error);
                };
                let loss = result.final_loss.unwrap_or(f64::NAN);
                view! {
                    <tr data-testid=format!("tfjs-{backend}") data-value=train.to_string() data-samples=samples.to_string()>
                        <th>{format!("TF.js {backend}")}</th>
                        <td>{format_number(train)}" steps/s"</td>
                        <td>{ratio(figure_value(ui, "diffusion_train_gpu"), train)}</td>
                        <td>{ratio(figure_value(ui, "diffusion_train_cpu"), train)}</td>
                        <td>{format_number(samples)}" samples/s"</td>
                        <td>{ratio(figure_value(ui, "diffusion_samples_gpu"), samples)}</td>
                        <td>{ratio(figure_value(ui, "diffusion_samples_cpu"), samples)}</td>
                        <td>{format_number(loss)}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <PeerPanel
            label="TensorFlow.js peer"
            title="Diffusion against TensorFlow.js"
            description="The same 2-D denoiser (batch 1,024, 3 hidden layers of 128, Adam, the loss \
                read back every step) and the same DDPM sampler in TensorFlow.js 4.22, on its WebGPU \
                and wasm backends, in a worker of this page with the lab's sizes. Set Diffusion steps \
                timed above 0 and step the lab first; ratios above 1 mean the lab's path is faster."
            button=("measure-tfjs", "Measure TensorFlow.js")
            columns=vec![
                "Training",
                "WebGPU / TF.js",
                "CPU (wasm) / TF.js",
                "Sampling",
                "WebGPU / TF.js",
                "CPU (wasm) / TF.js",
                "TF.js final loss",
            ]
            running=running
            disabled=Signal::derive(move || size().is_none())
            on_measure=measure
        >
            {rows}
        </PeerPanel>
    }
}

const FF_PEER_URL: &str = "./public/bench/ff-tfjs.js";
/// The forward-forward lab's rules, as its benchmark names their figures.
const FF_RULES: [(&str, &str); 4] = [
    ("ff", "FF"),
    ("cff", "Collaborative FF"),
    ("mono_forward", "Mono-Forward"),
    ("backprop", "Backprop"),
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FfRequest {
    backends: [&'static str; 2],
    steps: i64,
    width: i64,
    depth: i64,
    batch: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FfResult {
    backend: Option<String>,
    examples_per_second: Option<f64>,
    final_loss: Option<f64>,
    error: Option<String>,
}

/// The TensorFlow.js peer of the Forward-forward lab's benchmark:
/// `public/bench/ff-tfjs.js` trains the identical MLP by backprop in TF.js
/// on its WebGPU and wasm backends, with the benchmark's sizes.
#[component]
pub fn TfjsFfPeer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let results = RwSignal::new(Vec::<FfResult>::new());
    let running = RwSignal::new(false);
    let size = move || {
        ui.params.with(|p| {
            let p = p.as_ref()?;
            let steps = p.int("ff_bench_steps").ok()?;
            (steps > 0).then_some((
                steps,
                p.int("ff_bench_width").ok()?,
                p.int("ff_bench_batch").ok()?,
            ))
        })
    };
    let measure = move || {
        let Some((steps, width, batch)) = size() else {
            return;
        };
        let request = FfRequest {
            backends: BACKENDS,
            steps,
            width,
            depth: 2,
            batch,
        };
        run_tfjs(
            ui,
            (FF_PEER_URL, "The TensorFlow.js forward-forward peer"),
            request,
            (results, running),
        );
    };
    let rows = move || {
        results
            .get()
            .into_iter()
            .map(|result| {
                let backend = result.backend.clone().unwrap_or_default();
                let Some(rate) = result.examples_per_second else {
                    let error = result.error.unwrap_or_default();
                    return failed_row(
                        format!("tfjs-ff-{backend}"),
                        format!("TF.js {backend}"),
                        6,
                        error,
                    );
                };
                let ratios = FF_RULES
                    .iter()
                    .map(|(key, _)| {
                        let gpu = ratio(figure_value(ui, &format!("ff_{key}_gpu")), rate);
                        let cpu = ratio(figure_value(ui, &format!("ff_{key}_cpu")), rate);
                        view! { <td>{gpu}" · "{cpu}</td> }
                    })
                    .collect_view();
                let loss = result.final_loss.unwrap_or(f64::NAN);
                view! {
                    <tr data-testid=format!("tfjs-ff-{backend}") data-value=rate.to_string()>
                        <th>{format!("TF.js {backend}")}</th>
                        <td>{format_number(rate)}" examples/s"</td>
                        {ratios}
                        <td>{format_number(loss)}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    let mut columns = vec!["TF.js backprop"];
    columns.extend(FF_RULES.iter().map(|(_, name)| *name));
    columns.push("TF.js final loss");
    view! {
        <PeerPanel
            label="TensorFlow.js forward-forward peer"
            title="Forward-forward against TensorFlow.js"
            description="Backprop on the identical MLP (196 inputs, two ReLU layers of FF bench width, \
                a softmax head, Adam, the loss read back every step) in TensorFlow.js 4.22, on its \
                WebGPU and wasm backends, in a worker of this page. Each cell is the lab's rule on \
                WebGPU · on the CPU (wasm) over TF.js; above 1 the lab's path is faster. Set FF bench \
                steps timed above 0 and step the lab first."
            button=("measure-tfjs-ff", "Measure TensorFlow.js")
            columns=columns
            running=running
            disabled=Signal::derive(move || size().is_none())
            on_measure=measure
        >
            {rows}
        </PeerPanel>
    }
}

const GRPO_PEER_URL: &str = "./public/bench/grpo-tfjs.js";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrpoRequest {
    backends: [&'static str; 2],
    steps: i64,
    prompts: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrpoResult {
    backend: Option<String>,
    updates_per_second: Option<f64>,
    final_reward: Option<f64>,
    error: Option<String>,
}

/// The TensorFlow.js peer of the Policy entropy lab's benchmark:
/// `public/bench/grpo-tfjs.js` runs the same GRPO update on the same table
/// policy in TF.js on its WebGPU and wasm backends, with the benchmark's sizes.
#[component]
pub fn TfjsGrpoPeer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let results = RwSignal::new(Vec::<GrpoResult>::new());
    let running = RwSignal::new(false);
    let size = move || {
        ui.params.with(|p| {
            let p = p.as_ref()?;
            let steps = p.int("pe_bench_steps").ok()?;
            (steps > 0).then_some((steps, p.int("pe_bench_prompts").ok()?))
        })
    };
    let measure = move || {
        let Some((steps, prompts)) = size() else {
            return;
        };
        let request = GrpoRequest {
            backends: BACKENDS,
            steps,
            prompts,
        };
        run_tfjs(
            ui,
            (GRPO_PEER_URL, "The TensorFlow.js GRPO peer"),
            request,
            (results, running),
        );
    };
    let rows = move || {
        results
            .get()
            .into_iter()
            .map(|result| {
                let backend = result.backend.clone().unwrap_or_default();
                let Some(rate) = result.updates_per_second else {
                    let error = result.error.unwrap_or_default();
                    return failed_row(
                        format!("tfjs-grpo-{backend}"),
                        format!("TF.js {backend}"),
                        4,
                        error,
                    );
                };
                let gpu = ratio(figure_value(ui, "pe_updates_gpu"), rate);
                let cpu = ratio(figure_value(ui, "pe_updates_cpu"), rate);
                let reward = result.final_reward.unwrap_or(f64::NAN);
                view! {
                    <tr data-testid=format!("tfjs-grpo-{backend}") data-value=rate.to_string()>
                        <th>{format!("TF.js {backend}")}</th>
                        <td>{format_number(rate)}" updates/s"</td>
                        <td>{gpu}" · "{cpu}</td>
                        <td>{format_number(reward)}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <PeerPanel
            label="TensorFlow.js GRPO peer"
            title="Policy entropy against TensorFlow.js"
            description="The same GRPO update (table policy, V 64, L 8, G 16, Policy bench prompts, \
                digit-sum reward, group-normalized advantages, 4 Adam epochs on the clipped \
                surrogate, the loss and reward read back every update) in TensorFlow.js 4.22, on \
                its WebGPU and wasm backends, in a worker of this page. The ratio is the lab's \
                update on WebGPU · on the CPU (wasm) over TF.js; above 1 the lab's path is faster. \
                Set Policy bench updates timed above 0 and step the lab first."
            button=("measure-tfjs-grpo", "Measure TensorFlow.js")
            columns=vec!["TF.js GRPO", "Lab GPU · CPU over TF.js", "TF.js final reward"]
            running=running
            disabled=Signal::derive(move || size().is_none())
            on_measure=measure
        >
            {rows}
        </PeerPanel>
    }
}
