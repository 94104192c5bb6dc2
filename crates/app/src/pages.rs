//! The page: header with the device badge, notices, the gallery, and the lab
//! layout shared by every lab (controls | visuals | explanation).

use leptos::prelude::*;
use thermolab_core::experiment::{LabInfo, Preset, RunStatus, runner_schema};
use thermolab_core::formula;
use thermolab_core::params::{ParamSpec, Value, format_number};
use thermolab_core::protocol::{Backend, Request, Stage};
use thermolab_core::url_state::{self, PageState};
use wasm_bindgen::JsCast;

use crate::charts::{ChartView, StillView, format_tick};
use crate::controls::ParamControl;
use crate::export::ExportRun;
use crate::js_peer::{JsPeer, LsviPeer};
use crate::state::{Doing, Ui, Work, now_ms};
use crate::storage::RecentRuns;
use crate::tfjs_peer::{TfjsFfPeer, TfjsGrpoPeer, TfjsPeer};

const SPEEDS: [u32; 8] = [1, 2, 5, 10, 50, 100, 500, 1000];

#[component]
pub fn App() -> impl IntoView {
    let ui = Ui::new();
    provide_context(ui);
    ui.spawn_worker();
    crate::embed::connect(ui);
    crate::storage::connect(ui);
    let _ = window_event_listener(leptos::ev::hashchange, move |_| ui.apply_hash());
    let _ = window_event_listener(leptos::ev::keydown, move |ev| shortcut_keys(ui, &ev));
    // "For how long": the clock ticks while a run is busy before its first step.
    let _ = set_interval_with_handle(
        move || {
            if ui.work.with_untracked(Option::is_some) {
                ui.clock.set(now_ms());
            }
        },
        std::time::Duration::from_millis(250),
    );
    let embed = move || ui.page.with(|p| p.embed);
    view! {
        <div class="app" class:embed=embed>
            <Show when=move || !embed()>
                <Header />
            </Show>
            <Notices />
            <Shortcuts />
            {move || match ui.page.with(|p| p.lab.clone()) {
                Some(_) => view! { <LabPage /> }.into_any(),
                None => view! { <Gallery /> }.into_any(),
            }}
        </div>
    }
}

/// The keyboard shortcuts, as the "?" overlay lists them.
const SHORTCUTS: [(&str, &str); 6] = [
    ("Space", "play or pause"),
    ("→", "one step"),
    ("r", "reset the run"),
    ("f", "presenter mode on or off"),
    ("?", "this list"),
    ("Esc", "close this list, leave presenter mode"),
];

/// The shortcuts of [`SHORTCUTS`] on a lab page. Keys typed into a control
/// are the control's; Space on a focused button or link presses it.
fn shortcut_keys(ui: Ui, ev: &web_sys::KeyboardEvent) {
    let focused = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|element| element.tag_name())
        .unwrap_or_default();
    let typing = matches!(focused.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
    if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let on_lab = ui.page.with_untracked(|p| p.lab.is_some());
    let pressable = matches!(focused.as_str(), "BUTTON" | "A" | "SUMMARY");
    let handled = match ev.key().as_str() {
        " " if on_lab && !pressable => {
            ui.toggle_play();
            true
        }
        "ArrowRight" if on_lab => {
            ui.play_or_step(&Request::Step);
            true
        }
        "r" | "R" if on_lab => {
            ui.send(&Request::Reset);
            true
        }
        "f" | "F" if on_lab => {
            ui.presenting.update(|p| *p = !*p);
            true
        }
        "?" => {
            ui.shortcuts.update(|open| *open = !*open);
            true
        }
        "Escape" => {
            ui.shortcuts.set(false);
            ui.presenting.set(false);
            false
        }
        _ => false,
    };
    if handled {
        // Space would also scroll the page, the arrow a scroller.
        ev.prevent_default();
    }
}

/// The "?" overlay: what each key does.
#[component]
fn Shortcuts() -> impl IntoView {
    let ui = expect_context::<Ui>();
    view! {
        <Show when=move || ui.shortcuts.get()>
            <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts">
                <div class="overlay-card">
                    <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                    <dl>
                        {SHORTCUTS
                            .iter()
                            .map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> })
                            .collect_view()}
                    </dl>
                    <p>"Tab moves between controls; Enter applies a typed value."</p>
                    <button autofocus on:click=move |_| ui.shortcuts.set(false)>"Close"</button>
                </div>
            </div>
        </Show>
    }
}

#[component]
fn Header() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let badge = move || {
        match ui.device.get() {
        None => view! { <span class="badge pending" data-testid="device-badge">"Starting compute…"</span> }.into_any(),
        Some(info) => {
            let (class, text) = match info.backend {
                Backend::WebGpu => ("badge webgpu", format!("WebGPU: {}", info.name)),
                Backend::Cpu => ("badge cpu", "CPU fallback".to_string()),
            };
            let reason = info.fallback_reason.unwrap_or_default();
            view! {
                <span class=class title=reason.clone() data-testid="device-badge">
                    {text}
                </span>
                {(!reason.is_empty()).then(|| view! { <span class="badge-reason" data-testid="fallback-reason">{reason}</span> })}
            }
            .into_any()
        }
    }
    };
    view! {
        <header>
            <a class="brand" href="#">"Thermolab"</a>
            <span class="tagline">"an interactive lab for learning algorithms"</span>
            <span class="device">{badge}</span>
        </header>
    }
}

#[component]
fn Notices() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let all = move || {
        let mut all = ui.notices.get();
        all.extend(ui.link_notices.get());
        all
    };
    let dismiss = move |_| {
        ui.notices.set(Vec::new());
        ui.link_notices.set(Vec::new());
    };
    view! {
        <Show when=move || !all().is_empty()>
            <div class="notices" role="status" data-testid="notices">
                <ul>{move || all().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                <button on:click=dismiss>"Dismiss"</button>
            </div>
        </Show>
    }
}

#[component]
fn Gallery() -> impl IntoView {
    let ui = expect_context::<Ui>();
    view! {
        <main class="gallery" data-testid="gallery">
            <RecentRuns />
            {move || match ui.labs.get() {
                None => view! { <Loading /> }.into_any(),
                Some(labs) => labs
                    .into_iter()
                    .map(|lab| {
                        view! {
                            <a class="card" href=format!("#lab={}", lab.id) data-testid=format!("card-{}", lab.id)>
                                <h2>{lab.title.clone()}</h2>
                                {lab.still.is_some().then(|| view! { <StillView id=lab.id.clone() lab_title=lab.title.clone() /> })}
                                <p>{lab.summary}</p>
                                <Papers papers=lab.papers />
                            </a>
                        }
                    })
                    .collect_view()
                    .into_any(),
            }}
        </main>
    }
}

/// The papers a lab implements, on its gallery card.
#[component]
fn Papers(papers: Vec<String>) -> impl IntoView {
    view! {
        <ul class="papers" aria-label="Papers">
            {papers.into_iter().map(|paper| view! { <li>{paper}</li> }).collect_view()}
        </ul>
    }
}

/// While the worker has not listed its labs: loading, or why it never will.
#[component]
fn Loading() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || match ui.worker_failure.get() {
        Some(why) => {
            view! { <p class="loading bad" data-testid="worker-failure">{why}</p> }.into_any()
        }
        None => view! { <p class="loading">"Loading the compute worker…"</p> }.into_any(),
    }
}

#[component]
fn LabPage() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        let Some(lab) = ui.lab_info() else {
            return view! { <Loading /> }.into_any();
        };
        let explanation = lab.explanation.clone();
        let main_key = {
            let wanted = lab.main_chart.clone();
            Memo::new(move |_| {
                ui.snapshot.with(|s| {
                    let charts = &s.as_ref()?.view.charts;
                    charts
                        .iter()
                        .find(|c| c.key == wanted)
                        .or(charts.first())
                        .map(|c| c.key.clone())
                })
            })
        };
        let other_keys = move || {
            let main = main_key.get();
            ui.snapshot
                .with(|s| {
                    s.as_ref().map(|s| {
                        s.view
                            .charts
                            .iter()
                            .filter(|c| Some(&c.key) != main.as_ref())
                            .map(|c| c.key.clone())
                            .collect::<Vec<_>>()
                    })
                })
                .unwrap_or_default()
        };
        let presenter_controls: Vec<ParamSpec> = lab
            .presenter
            .iter()
            .filter_map(|key| lab.schema.spec(key))
            .filter(|spec| !ui.hides(&spec.key))
            .cloned()
            .collect();
        let presenting = move || ui.presenting.get();
        let controls_of = lab.clone();
        let presets = lab.presets.clone();
        let formula = lab.formula.clone();
        view! {
            <main class="lab" class:presenting=presenting data-testid=format!("lab-{}", lab.id)>
                <section class="stage" aria-label="main chart" data-testid="stage">
                    <div class="stage-head">
                        <h1>{lab.title.clone()}</h1>
                        <button
                            class="present"
                            data-testid="present"
                            aria-pressed=move || presenting().to_string()
                            title="Presenter mode: the main chart full-window, in large type (key f; Escape leaves)"
                            on:click=move |_| ui.presenting.update(|p| *p = !*p)
                        >
                            {move || if presenting() { "Leave presenter mode (Esc)" } else { "Present (f)" }}
                        </button>
                    </div>
                    <Show when=presenting>
                        <div class="stage-controls" data-testid="presenter-controls">
                            {presenter_controls
                                .clone()
                                .into_iter()
                                .map(|spec| view! { <AppliedControl spec=spec /> })
                                .collect_view()}
                        </div>
                    </Show>
                    <Show when=move || !ui.hides("run")>
                        <RunBar />
                    </Show>
                    <Status />
                    <div class="main-chart" data-testid="main-chart">
                        {move || main_key.get().map(|key| view! { <ChartView key=key fill=Signal::derive(presenting) /> })}
                    </div>
                </section>
                <Show when=move || !presenting()>
                    <section class="controls" aria-label="controls">
                        <Presets presets=presets.clone() />
                        <LabControls lab=controls_of.clone() />
                        <RecentRuns />
                    </section>
                </Show>
                <section class="visuals" aria-label="more results">
                    <Figures />
                    <div class="charts">
                        <For each=other_keys key=|k| k.clone() let:key>
                            <ChartView key=key />
                        </For>
                    </div>
                    <Facts />
                    {lab.panels.iter().map(|panel| match panel.as_str() {
                        "bandit-js" => view! { <JsPeer /> }.into_any(),
                        "tfjs-diffusion" => view! { <TfjsPeer /> }.into_any(),
                        "lsvi-js" => view! { <LsviPeer /> }.into_any(),
                        "tfjs-ff" => view! { <TfjsFfPeer /> }.into_any(),
                        "tfjs-grpo" => view! { <TfjsGrpoPeer /> }.into_any(),
                        _ => ().into_any(),
                    }).collect_view()}
                    <Show when=move || !ui.hides("explanation")>
                        <Formula template=formula.clone() />
                        <aside class="explanation">
                            {explanation.clone().into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                        </aside>
                    </Show>
                </section>
            </main>
        }
        .into_any()
    }
}

/// The lab's update rule in MathML with the controls' live values in place.
#[component]
fn Formula(template: String) -> impl IntoView {
    let ui = expect_context::<Ui>();
    if template.is_empty() {
        return ().into_any();
    }
    // Filled from the lab's own static template with numbers and option names only.
    let filled = move || {
        ui.params
            .with(|params| {
                let params = params.as_ref()?;
                ui.lab_info()
                    .map(|lab| formula::fill(&template, params, &lab.schema))
            })
            .unwrap_or_default()
    };
    view! { <div class="formula" data-testid="formula" inner_html=filled></div> }.into_any()
}

/// The lab's presets: one click loads a paper's setting (the link then
/// names the preset); the chosen one's claim is shown with its paper.
/// `hide=presets` leaves them out.
#[component]
fn Presets(presets: Vec<Preset>) -> impl IntoView {
    let ui = expect_context::<Ui>();
    if presets.is_empty() {
        return ().into_any();
    }
    if ui.hides("presets") {
        return ().into_any();
    }
    let active = move || ui.page.with(|p| p.preset.clone());
    let choose = move |name: &str| {
        let Some(lab) = ui.lab_info() else { return };
        let Ok(params) = lab.preset_params(name) else {
            return;
        };
        let hash = ui.page.with_untracked(|page| {
            let chosen = PageState {
                preset: Some(name.to_string()),
                ..page.clone()
            };
            url_state::encode(&lab, &params, &chosen)
        });
        // The hash change starts the run, as a shared link would.
        let _ = window().location().set_hash(&hash);
    };
    let claims = presets.clone();
    view! {
        <details class="presets" open data-testid="presets">
            <summary>"Presets: a paper's claim in one click"</summary>
            <ul>
                {presets
                    .into_iter()
                    .map(|preset| {
                        let name = preset.name.clone();
                        let pressed = {
                            let name = name.clone();
                            move || (active().as_deref() == Some(name.as_str())).to_string()
                        };
                        view! {
                            <li>
                                <button
                                    data-testid=format!("preset-{}", preset.name)
                                    aria-pressed=pressed
                                    on:click=move |_| choose(&name)
                                >
                                    {preset.title}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {move || {
                active()
                    .and_then(|name| claims.iter().find(|p| p.name == name).cloned())
                    .map(|preset| {
                        view! {
                            <p class="claim" data-testid="preset-claim">
                                {preset.claim} " " <cite>{preset.paper}</cite>
                                {format!(" Shown after {} steps.", preset.steps)}
                            </p>
                        }
                    })
            }}
        </details>
    }
    .into_any()
}

/// The lab's controls: those outside any heading, then one fold per
/// heading with any control that applies.
#[component]
fn LabControls(lab: LabInfo) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let shown: Vec<ParamSpec> = lab
        .schema
        .params
        .iter()
        .filter(|spec| !ui.hides(&spec.key))
        .cloned()
        .collect();
    let loose = shown
        .iter()
        .filter(|spec| spec.section.is_none())
        .cloned()
        .map(|spec| view! { <AppliedControl spec=spec /> })
        .collect_view();
    let sections = lab
        .schema
        .sections()
        .into_iter()
        .map(|section| {
            let members: Vec<ParamSpec> = shown
                .iter()
                .filter(|spec| spec.section.as_ref().map(|s| &s.title) == Some(&section.title))
                .cloned()
                .collect();
            let any_applies = {
                let members = members.clone();
                move || members.iter().any(|spec| applies(ui, spec))
            };
            let testid = format!("section-{}", section.title.to_lowercase().replace(' ', "-"));
            view! {
                <Show when=any_applies.clone()>
                    <details class="section" open=section.open data-testid=testid.clone()>
                        <summary>{section.title.clone()}</summary>
                        {members
                            .clone()
                            .into_iter()
                            .map(|spec| view! { <AppliedControl spec=spec /> })
                            .collect_view()}
                    </details>
                </Show>
            }
        })
        .collect_view();
    view! { {loose} {sections} }
}

/// Whether `spec` matters for the params the run has (all do before the
/// worker has answered).
fn applies(ui: Ui, spec: &ParamSpec) -> bool {
    ui.params
        .with(|p| p.as_ref().is_none_or(|p| spec.applies(p.values())))
}

/// A param's control, shown only while its condition holds for the params
/// the run has (the value stays in the URL either way).
#[component]
fn AppliedControl(spec: ParamSpec) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let condition = spec.clone();
    view! {
        <Show when=move || applies(ui, &condition)>
            <ParamControl spec=spec.clone() />
        </Show>
    }
}

#[component]
fn RunBar() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let running = move || ui.running();
    let on_seed = move |ev: leptos::ev::Event| {
        let raw = event_value(&ev);
        match runner_schema().parse("seed", &raw) {
            Ok(Value::Int(seed)) => {
                ui.set_error("seed", None);
                ui.page.update(|p| p.seed = seed as u64);
                if let (Some(lab), Some(params)) = (ui.lab_info(), ui.params.get_untracked()) {
                    ui.start(&lab.id, params.values().clone(), seed as u64);
                }
            }
            Ok(_) | Err(_) => {
                ui.set_error(
                    "seed",
                    Some(format!(
                        "'{raw}' is not a whole number from 0 to 2^53 - 1; kept the seed."
                    )),
                );
                ui.page.update(|_| {});
            }
        }
    };
    let on_speed = move |ev: leptos::ev::Event| {
        if let Ok(Value::Int(speed)) = runner_schema().parse("speed", &event_value(&ev)) {
            ui.page.update(|p| p.speed = speed as u32);
            ui.send(&Request::SetSpeed {
                steps_per_frame: speed as u32,
            });
            ui.write_hash();
        }
    };
    let steps_per_second = move || {
        ui.snapshot.with(|s| {
            s.as_ref()
                .filter(|s| s.status == RunStatus::Running && s.timing.steps_per_second > 0.0)
                .map(|s| format!("{} steps/s", format_tick(s.timing.steps_per_second)))
        })
    };
    let copied = RwSignal::new(false);
    let copy_link = move |_| {
        let href = window().location().href().unwrap_or_default();
        let _ = window().navigator().clipboard().write_text(&href);
        copied.set(true);
    };
    view! {
        <div class="runbar" data-testid="runbar">
            <button
                data-testid="play"
                aria-keyshortcuts="Space"
                on:click=move |_| ui.toggle_play()
            >
                {move || if running() { "Pause" } else { "Play" }}
            </button>
            <button data-testid="step" aria-keyshortcuts="ArrowRight" on:click=move |_| ui.play_or_step(&Request::Step)>"Step"</button>
            <button data-testid="reset" aria-keyshortcuts="R" on:click=move |_| ui.send(&Request::Reset)>"Reset"</button>
            <Show when=move || !ui.hides("speed")>
                <label class="inline">
                    "Speed "
                    <select data-testid="speed" on:change=on_speed>
                        {SPEEDS
                            .iter()
                            .map(|s| {
                                let s = *s;
                                view! {
                                    <option value=s.to_string() selected=move || ui.page.with(|p| p.speed == s)>
                                        {format!("{s} steps/frame")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </Show>
            <Show when=move || !ui.hides("seed")>
                <label class="inline">
                    "Seed "
                    <input
                        type="text"
                        inputmode="numeric"
                        class="number"
                        data-testid="seed"
                        prop:value=move || ui.page.with(|p| p.seed.to_string())
                        on:change=on_seed
                    />
                </label>
                {move || ui.errors.with(|e| e.get("seed").cloned()).map(|e| view! { <p class="error" data-testid="error-seed">{e}</p> })}
            </Show>
            <button class="share" data-testid="copy-link" on:click=copy_link>
                {move || if copied.get() { "Link copied" } else { "Copy link" }}
            </button>
            <span class="rate" data-testid="steps-per-second">{steps_per_second}</span>
            <ExportRun />
            <button class="help" data-testid="shortcuts-button" aria-keyshortcuts="Shift+?" title="Keyboard shortcuts (?)" on:click=move |_| ui.shortcuts.set(true)>"?"</button>
            <Announcer />
        </div>
    }
}

fn event_value(ev: &leptos::ev::Event) -> String {
    ev.target()
        .and_then(|t| {
            t.clone()
                .dyn_into::<web_sys::HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|_| {
                    t.dyn_into::<web_sys::HtmlSelectElement>()
                        .map(|s| s.value())
                })
                .ok()
        })
        .unwrap_or_default()
}

/// A first step that has not finished after this long is slow: the status
/// says so and offers the CPU.
const SLOW_FIRST_STEP_MS: f64 = 5_000.0;

/// What a screen reader hears, politely: the run's state when it changes
/// (started, paused at a step, finished, diverged), not every step.
#[component]
fn Announcer() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let message = Memo::new(move |_| {
        ui.snapshot.with(|s| {
            s.as_ref().map(|s| match &s.status {
                RunStatus::Running => "Running".to_string(),
                RunStatus::Paused => format!("Paused at step {}", s.step),
                RunStatus::Finished => format!("Finished at step {}", s.step),
                RunStatus::Diverged { step, what } => format!("Diverged at step {step}: {what}"),
                RunStatus::Failed { message } => format!("Stopped: {message}"),
            })
        })
    });
    view! {
        <span class="visually-hidden" role="status" aria-live="polite" data-testid="announce">
            {move || message.get().unwrap_or_default()}
        </span>
    }
}

#[component]
fn Status() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        if let Some(why) = ui.start_failure.get() {
            return view! { <p class="status bad" data-testid="status" data-failed="true">{why}</p> }
                .into_any();
        }
        if let Some(work) = ui.work.get() {
            return view! { <Working work=work /> }.into_any();
        }
        let Some((step, status, timing, trained)) = ui.snapshot.with(|s| {
            s.as_ref()
                .map(|s| (s.step, s.status.clone(), s.timing, s.trained))
        }) else {
            return view! { <p class="status" data-testid="status">"Starting…"</p> }.into_any();
        };
        let (class, text) = match (status, trained) {
            (RunStatus::Paused, Some(trained)) => (
                "status",
                format!(
                    "Trained ({} steps): press Step to sample",
                    format_count(trained)
                ),
            ),
            (RunStatus::Running, _) => ("status running", format!("Step {step} · running")),
            (RunStatus::Paused, None) => ("status", format!("Step {step} · paused")),
            (RunStatus::Finished, _) => (
                "status",
                format!("Step {step} · finished; reset to run again"),
            ),
            (RunStatus::Diverged { step, what }, _) => (
                "status bad",
                format!("Diverged at step {step}: {what}. Stopped."),
            ),
            (RunStatus::Failed { message }, _) => {
                ("status bad", format!("Stopped at step {step}: {message}"))
            }
        };
        // What the worker's step and snapshot cost, for the benchmarks.
        view! {
            <p
                class=class
                data-testid="status"
                data-step=step.to_string()
                data-step-ms=timing.step_ms.to_string()
                data-view-ms=timing.view_ms.to_string()
                data-post-ms=timing.post_ms.to_string()
                data-steps-per-second=timing.steps_per_second.to_string()
            >
                {text}
            </p>
        }
        .into_any()
    }
}

/// `n` with thousands separated: 20,000.
fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// What the run is busy with before its first step is done, for how long,
/// with a download's progress bar; a slow first step on the GPU offers the CPU.
#[component]
fn Working(work: Work) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let seconds = move || ((ui.clock.get() - work.since_ms).max(0.0) / 1000.0).floor();
    let (text, bar) = match &work.doing {
        Doing::Preparing(Stage::Fetching {
            file,
            loaded,
            total,
        }) => {
            let mib = |bytes: u64| format!("{:.1}", bytes as f64 / f64::from(1 << 20));
            let text = match total {
                Some(total) => format!("Fetching {file}: {} of {} MiB", mib(*loaded), mib(*total)),
                None if *loaded == 0 => format!("Fetching {file}: waiting for the server"),
                None => format!("Fetching {file}: {} MiB", mib(*loaded)),
            };
            (text, Some((*loaded, *total)))
        }
        Doing::Preparing(Stage::Starting) => (
            "Starting the lab: data, model, GPU kernels".to_string(),
            None,
        ),
        Doing::FirstStep => (
            "First step: compiling GPU kernels and computing".to_string(),
            None,
        ),
    };
    let first_step = work.doing == Doing::FirstStep;
    let on_gpu = move || {
        ui.device
            .with(|d| d.as_ref().is_some_and(|d| d.backend == Backend::WebGpu))
    };
    let slow =
        move || first_step && on_gpu() && ui.clock.get() - work.since_ms > SLOW_FIRST_STEP_MS;
    view! {
        <div class="status working" data-testid="status" data-working=work.doing.name()>
            <p>{text}" · "{move || seconds()}" s"</p>
            {bar.map(|(loaded, total)| match total {
                Some(total) => view! { <progress data-testid="fetch-progress" max=total.to_string() value=loaded.to_string()></progress> }.into_any(),
                None => view! { <progress data-testid="fetch-progress"></progress> }.into_any(),
            })}
            <Show when=slow>
                <p class="slow" data-testid="slow-first-step">
                    {move || format!("The first step has taken {} s: this GPU adapter is slow, or compiles its kernels slowly. ", seconds())}
                    <button data-testid="use-cpu" on:click=move |_| ui.use_cpu()>"Compute on the CPU instead"</button>
                </p>
            </Show>
        </div>
    }
}

#[component]
fn Figures() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        let figures = ui
            .snapshot
            .with(|s| s.as_ref().map(|s| s.view.figures.clone()))
            .unwrap_or_default();
        view! {
            <div class="figures">
                {figures
                    .into_iter()
                    .map(|f| {
                        let value = match f.value {
                            Some(v) => format_number(v),
                            None => "n/a".to_string(),
                        };
                        view! {
                            <div class="figure" data-testid=format!("figure-{}", f.key) data-value=f.value.map(|v| v.to_string())>
                                <span class="label">{f.label}</span>
                                <span class="value">{value}" "<small>{f.unit}</small></span>
                                <span class="note">{f.note}</span>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        }
    }
}

#[component]
fn Facts() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        let facts = ui
            .snapshot
            .with(|s| s.as_ref().map(|s| s.view.facts.clone()))
            .unwrap_or_default();
        (!facts.is_empty()).then(|| {
            view! {
                <table class="facts" data-testid="facts">
                    <tbody>
                        {facts
                            .into_iter()
                            .map(|(k, v)| view! { <tr><th>{k}</th><td>{v}</td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
            }
        })
    }
}
