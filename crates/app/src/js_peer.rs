//! The plain-JavaScript peer of the Device page's bandit benchmark:
//! `public/bench/bandit-pulls.js` runs the same loop in a module Web Worker
//! of this page, with the lab's sizes and seed, so its arm pulls per second
//! sit beside the WebGPU and wasm figures measured on the same machine.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::state::Ui;
use thermolab_core::params::format_number;

/// Relative, so the site works from any sub-path (trunk copies public/ to dist/public/).
const PEER_URL: &str = "./public/bench/bandit-pulls.js";
const ALGORITHMS: [(&str, &str); 2] = [("ucb1", "UCB1"), ("thompson", "Thompson sampling")];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PeerRequest {
    algorithm: &'static str,
    runs: i64,
    steps: i64,
    seed: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PeerResult {
    algorithm: Option<String>,
    pulls_per_second: Option<f64>,
    mean_regret: Option<f64>,
    error: Option<String>,
}

/// A peer script and how to start it.
pub struct PeerWorker {
    pub url: &'static str,
    pub kind: WorkerType,
    /// For notices: "The JavaScript peer".
    pub name: &'static str,
}

/// Starts `peer` as a Web Worker of this page, posts `requests` and pushes
/// each answer into `results` until `expected` have come; `running` is set
/// meanwhile and cleared on the last answer or on any failure.
pub fn run_peer<T>(
    ui: Ui,
    peer: PeerWorker,
    requests: Vec<JsValue>,
    expected: usize,
    (results, running): (RwSignal<Vec<T>>, RwSignal<bool>),
) where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let options = WorkerOptions::new();
    options.set_type(peer.kind);
    let worker = match Worker::new_with_options(peer.url, &options) {
        Ok(worker) => worker,
        Err(e) => {
            ui.notice(format!("{} could not start: {e:?}", peer.name));
            return;
        }
    };
    results.set(Vec::new());
    running.set(true);
    let name = peer.name;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let worker = worker.clone();
        move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<T>(event.data()) {
                Ok(result) => results.update(|r| r.push(result)),
                Err(e) => ui.notice(format!("Unreadable answer from {name}: {e}")),
            }
            if results.with_untracked(Vec::len) >= expected {
                running.set(false);
                worker.terminate();
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // A script that fails to load or throws must not leave the button disabled.
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new({
        let worker = worker.clone();
        move |event: ErrorEvent| {
            event.prevent_default();
            ui.notice(format!("{name} failed: {}", event.message()));
            running.set(false);
            worker.terminate();
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    for request in requests {
        let _ = worker.post_message(&request);
    }
}

/// A figure of the current snapshot by key.
pub fn figure_value(ui: Ui, key: &str) -> Option<f64> {
    ui.snapshot.with(|s| {
        s.as_ref()
            .and_then(|s| s.view.figures.iter().find(|f| f.key == key))
            .and_then(|f| f.value)
    })
}

/// A panel of the bench page that measures a peer in this page: what it
/// does, the button that starts it (disabled while it runs or while
/// `disabled` holds) and the table of its answers, the rows its children.
#[component]
pub fn PeerPanel(
    /// Its name for screen readers.
    label: &'static str,
    title: &'static str,
    description: &'static str,
    /// The button's test id and text.
    button: (&'static str, &'static str),
    columns: Vec<&'static str>,
    running: RwSignal<bool>,
    #[prop(into)] disabled: Signal<bool>,
    on_measure: impl Fn() + 'static,
    children: ChildrenFn,
) -> impl IntoView {
    let (button_id, button_text) = button;
    view! {
        <section class="peer" aria-label=label>
            <h2>{title}</h2>
            <p>{description}</p>
            <button data-testid=button_id on:click=move |_| on_measure() disabled=move || running.get() || disabled.get()>
                {move || if running.get() { "Measuring…" } else { button_text }}
            </button>
            <table class="facts">
                <thead>
                    <tr>
                        <th></th>
                        {columns.into_iter().map(|c| view! { <th>{c}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </section>
    }
}

/// A row of a peer that could not measure: its name and why.
pub fn failed_row(testid: String, name: String, columns: usize, error: String) -> AnyView {
    view! {
        <tr data-testid=testid>
            <th>{name}</th>
            <td colspan=columns.to_string()>"failed: "{error}</td>
        </tr>
    }
    .into_any()
}

#[component]
pub fn JsPeer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let results = RwSignal::new(Vec::<PeerResult>::new());
    let running = RwSignal::new(false);
    let measure = move || {
        let size = ui.params.with_untracked(|p| {
            p.as_ref()
                .and_then(|p| Some((p.int("pulls_runs").ok()?, p.int("pulls_steps").ok()?)))
        });
        let Some((runs, steps)) = size else {
            return;
        };
        let seed = ui.page.with_untracked(|p| p.seed);
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let requests = ALGORITHMS
            .iter()
            .filter_map(|(algorithm, _)| {
                PeerRequest {
                    algorithm,
                    runs,
                    steps,
                    seed,
                }
                .serialize(&serializer)
                .ok()
            })
            .collect();
        run_peer(
            ui,
            PeerWorker {
                url: PEER_URL,
                kind: WorkerType::Module,
                name: "The JavaScript peer",
            },
            requests,
            ALGORITHMS.len(),
            (results, running),
        );
    };
    let rows = move || {
        results
            .get()
            .into_iter()
            .map(|result| {
                let id = result.algorithm.clone().unwrap_or_default();
                let name = ALGORITHMS
                    .iter()
                    .find(|(a, _)| *a == id)
                    .map_or("?", |(_, name)| name);
                let Some(js) = result.pulls_per_second else {
                    let error = result.error.unwrap_or_default();
                    return failed_row(format!("js-{id}"), name.to_string(), 4, error);
                };
                let ratio = |path: &str| {
                    figure_value(ui, &format!("pulls_{id}_{path}"))
                        .map_or("n/a".to_string(), |v| format!("{:.2}x", v / js))
                };
                let regret = result.mean_regret.unwrap_or(f64::NAN);
                view! {
                    <tr data-testid=format!("js-{id}") data-value=js.to_string() data-regret=regret.to_string()>
                        <th>{name}</th>
                        <td>{format_number(js)}" pulls/s"</td>
                        <td>{ratio("gpu")}</td>
                        <td>{ratio("cpu")}</td>
                        <td>{format!("{regret}")}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <PeerPanel
            label="JavaScript peer"
            title="Against plain JavaScript"
            description="The same bandit loop in plain JavaScript (typed arrays, the same random \
                numbers), run in a worker of this page with the lab's runs, steps and seed. Ratios \
                above 1 mean the lab's path is faster. The mean regrets agree when the work is the same."
            button=("measure-js", "Measure plain JavaScript")
            columns=vec!["JavaScript", "WebGPU / JS", "CPU (wasm) / JS", "JS mean regret"]
            running=running
            disabled=false
            on_measure=measure
        >
            {rows}
        </PeerPanel>
    }
}

const LSVI_PEER_URL: &str = "./public/bench/lsvi-episodes.js";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LsviRequest {
    seeds: i64,
    episodes: i64,
    seed: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LsviResult {
    episodes_per_second: Option<f64>,
    mean_regret: Option<f64>,
    error: Option<String>,
}

/// The plain-JavaScript peer of the Linear MDP lab's benchmark:
/// `public/bench/lsvi-episodes.js` runs LSVI-UCB's loop in a module Web
/// Worker with the benchmark's seeds, episodes and seed.
#[component]
pub fn LsviPeer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let results = RwSignal::new(Vec::<LsviResult>::new());
    let running = RwSignal::new(false);
    let measure = move || {
        let size = ui.params.with_untracked(|p| {
            p.as_ref()
                .and_then(|p| Some((p.int("lsvi_seeds").ok()?, p.int("lsvi_episodes").ok()?)))
        });
        let Some((seeds, episodes)) = size else {
            return;
        };
        // 0 skips the lab's measurement; the peer still needs episodes to time.
        let episodes = episodes.max(1);
        let seed = ui.page.with_untracked(|p| p.seed);
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let requests = LsviRequest {
            seeds,
            episodes,
            seed,
        }
        .serialize(&serializer)
        .ok()
        .into_iter()
        .collect();
        run_peer(
            ui,
            PeerWorker {
                url: LSVI_PEER_URL,
                kind: WorkerType::Module,
                name: "The JavaScript LSVI-UCB peer",
            },
            requests,
            1,
            (results, running),
        );
    };
    let rows = move || {
        results
            .get()
            .into_iter()
            .map(|result| {
                let Some(js) = result.episodes_per_second else {
                    let error = result.error.unwrap_or_default();
                    return failed_row("js-lsvi".to_string(), "LSVI-UCB".to_string(), 4, error);
                };
                let ratio = |path: &str| {
                    figure_value(ui, &format!("lsvi_{path}"))
                        .map_or("n/a".to_string(), |v| format!("{:.2}x", v / js))
                };
                let regret = result.mean_regret.unwrap_or(f64::NAN);
                view! {
                    <tr data-testid="js-lsvi" data-value=js.to_string() data-regret=regret.to_string()>
                        <th>"LSVI-UCB"</th>
                        <td>{format_number(js)}" episodes/s"</td>
                        <td>{ratio("gpu")}</td>
                        <td>{ratio("cpu")}</td>
                        <td>{format!("{regret:.4}")}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <PeerPanel
            label="JavaScript LSVI-UCB peer"
            title="LSVI-UCB against plain JavaScript"
            description="LSVI-UCB's episode loop (plan, play, exact value, Sherman-Morrison updates) \
                in plain JavaScript, on the benchmark's gridworld and features with the lab's random \
                numbers, run in a worker of this page with the LSVI-UCB seeds, episodes and seed set \
                above. Ratios above 1 mean the lab's path is faster. The mean regrets agree when the \
                work is the same."
            button=("measure-lsvi-js", "Measure plain JavaScript")
            columns=vec!["JavaScript", "WebGPU / JS", "CPU (wasm) / JS", "JS mean regret"]
            running=running
            disabled=false
            on_measure=measure
        >
            {rows}
        </PeerPanel>
    }
}
