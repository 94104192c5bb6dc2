//! Runs kept in the browser between visits, in IndexedDB (through rexie): a
//! paused or finished run, and a running one every few seconds, under its
//! link, and a paused or finished lab's trained model where it has one
//! (its checkpoint file). A reload of that link opens the lab with the kept
//! model, or else replays the run to its kept step (the labs are
//! deterministic for a seed); *Recent runs* lists the last ones. Storage
//! that is blocked (private browsing, a policy) or full is said in a notice;
//! nothing else changes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::Serialize;
use thermolab_core::experiment::{Chart, RunStatus};
use thermolab_core::export::{KeptRun, newest_first, replaces_kept};
use thermolab_core::protocol::Request;
use thermolab_core::url_state;
use wasm_bindgen::prelude::*;

use crate::export::open_at;
use crate::state::{Ui, console_warn, now_ms};

const DATABASE: &str = "thermolab";
const RUNS: &str = "runs";
const MODELS: &str = "models";
/// A running run is kept at most this often.
const KEEP_EVERY_MS: f64 = 3_000.0;

thread_local! {
    static DATABASE_HANDLE: RefCell<Option<Rc<Rexie>>> = const { RefCell::new(None) };
    /// Storing failed once (storage full, say): the page said so, and stops trying.
    static FAILED: Cell<bool> = const { Cell::new(false) };
}

/// Opens the store, lists the kept runs, resumes the link's run if one is
/// kept, and keeps runs from now on. An embedded lab keeps nothing: a
/// tutorial's widgets would fill the list.
pub fn connect(ui: Ui) {
    let link = window().location().hash().unwrap_or_default();
    if url_state::parse(&link, &[]).embed {
        return;
    }
    leptos::task::spawn_local(async move {
        let database = match open().await {
            Ok(database) => database,
            Err(why) => {
                ui.notice(format!(
                    "This browser does not let the page store runs ({why}): a reload keeps the \
                     link's params, not the run's progress."
                ));
                return;
            }
        };
        DATABASE_HANDLE.with(|slot| *slot.borrow_mut() = Some(database));
        match list().await {
            Ok(runs) => {
                if let Some(kept) = runs.iter().find(|run| run.link == link) {
                    match model(&link).await {
                        Some(model) if model.steps == kept.record.steps => {
                            ui.open_trained(model.model, model.charts)
                        }
                        _ => ui.resume_at(kept.record.steps),
                    }
                }
                ui.recent.set(runs);
            }
            Err(why) => console_warn("storage", &format!("could not read the kept runs: {why}")),
        }
    });

    let last_kept = StoredValue::new(None::<(String, u64, f64)>);
    Effect::new(move |_| {
        let Some((step, running)) = ui.snapshot.with(|s| {
            s.as_ref()
                .map(|s| (s.step, matches!(s.status, RunStatus::Running)))
        }) else {
            return;
        };
        if FAILED.get() || database().is_none() || ui.page.with_untracked(|p| p.embed) {
            return;
        }
        let link = window().location().hash().unwrap_or_default();
        let kept = ui.recent.with_untracked(|runs| {
            runs.iter()
                .find(|run| run.link == link)
                .map(|run| run.record.steps)
        });
        let recently = last_kept.get_value().is_some_and(|(was, was_step, at)| {
            was == link && (was_step == step || (running && now_ms() - at < KEEP_EVERY_MS))
        });
        if recently || !replaces_kept(step, running, kept) {
            return;
        }
        let Some((lab, record)) = ui.current_record() else {
            return;
        };
        let run = KeptRun {
            link: link.clone(),
            kept_ms: now_ms(),
            record,
        };
        last_kept.set_value(Some((link, step, now_ms())));
        // A model is kept when the run rests: asking for one every few
        // seconds of a run would cost a copy of the network each time.
        if !running && lab.checkpoint {
            ui.send(&Request::Checkpoint);
        }
        leptos::task::spawn_local(async move {
            if let Err(why) = keep(ui, run).await {
                FAILED.set(true);
                ui.notice(format!(
                    "Runs can no longer be stored ({why}): this one still runs, but a reload \
                     will start it again."
                ));
            }
        });
    });
}

async fn open() -> Result<Rc<Rexie>, String> {
    let database = Rexie::builder(DATABASE)
        .version(2)
        .add_object_store(ObjectStore::new(RUNS).key_path("link"))
        .add_object_store(ObjectStore::new(MODELS).key_path("link"))
        .build()
        .await
        .map_err(|e| e.to_string())?;
    Ok(Rc::new(database))
}

fn database() -> Option<Rc<Rexie>> {
    DATABASE_HANDLE.with(|slot| slot.borrow().clone())
}

/// The kept runs, newest first; a record this version cannot read is skipped.
async fn list() -> Result<Vec<KeptRun>, String> {
    let database = database().ok_or("no database")?;
    let transaction = database
        .transaction(&[RUNS], TransactionMode::ReadOnly)
        .map_err(|e| e.to_string())?;
    let store = transaction.store(RUNS).map_err(|e| e.to_string())?;
    let values = store.get_all(None, None).await.map_err(|e| e.to_string())?;
    let runs = values
        .into_iter()
        .filter_map(|value| serde_wasm_bindgen::from_value::<KeptRun>(value).ok())
        .collect();
    Ok(newest_first(runs).0)
}

/// Stores `run` under its link, drops the oldest beyond the list's length,
/// and shows the new list.
async fn keep(ui: Ui, run: KeptRun) -> Result<(), String> {
    put(RUNS, &run).await?;
    let database = database().ok_or("no database")?;
    let mut runs = ui.recent.get_untracked();
    runs.retain(|kept| kept.link != run.link);
    runs.push(run);
    let (runs, older) = newest_first(runs);
    if !older.is_empty() {
        let transaction = database
            .transaction(&[RUNS, MODELS], TransactionMode::ReadWrite)
            .map_err(|e| e.to_string())?;
        for name in [RUNS, MODELS] {
            let store = transaction.store(name).map_err(|e| e.to_string())?;
            for link in &older {
                store
                    .delete(JsValue::from_str(link))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        transaction.done().await.map_err(|e| e.to_string())?;
    }
    ui.recent.set(runs);
    Ok(())
}

/// A lab's trained model kept under a link, with the steps its run had taken.
#[derive(Serialize, serde::Deserialize)]
struct KeptModel {
    link: String,
    steps: u64,
    /// The lab's checkpoint file, in base64 (as the worker sends it).
    model: String,
    /// The charts of the run that trained it, to draw its curves from.
    #[serde(default)]
    charts: Vec<Chart>,
}

/// The worker sent the trained model of the page's run at `step`: it is
/// kept under the page's link.
pub fn keep_model(ui: Ui, step: u64, model: String) {
    if FAILED.get() || database().is_none() {
        return;
    }
    let kept = KeptModel {
        link: window().location().hash().unwrap_or_default(),
        steps: step,
        model,
        charts: ui
            .snapshot
            .with_untracked(|s| s.as_ref().map(|s| s.view.charts.clone()))
            .unwrap_or_default(),
    };
    leptos::task::spawn_local(async move {
        if let Err(why) = put(MODELS, &kept).await {
            FAILED.set(true);
            ui.notice(format!(
                "The trained model could not be stored ({why}): a reload will train it again."
            ));
        }
    });
}

/// The model kept under `link`, if any.
async fn model(link: &str) -> Option<KeptModel> {
    let database = database()?;
    let transaction = database
        .transaction(&[MODELS], TransactionMode::ReadOnly)
        .ok()?;
    let store = transaction.store(MODELS).ok()?;
    let value = store.get(JsValue::from_str(link)).await.ok()??;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Writes `value` into the store `name`, under its link.
async fn put<T: Serialize>(name: &str, value: &T) -> Result<(), String> {
    let database = database().ok_or("no database")?;
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = value.serialize(&serializer).map_err(|e| e.to_string())?;
    let transaction = database
        .transaction(&[name], TransactionMode::ReadWrite)
        .map_err(|e| e.to_string())?;
    let store = transaction.store(name).map_err(|e| e.to_string())?;
    store.put(&value, None).await.map_err(|e| e.to_string())?;
    transaction.done().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// *Recent runs*: the kept runs, newest first; one click opens one at its
/// step. Nothing when none is kept.
#[component]
pub fn RecentRuns() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let labs = move || ui.labs.get().unwrap_or_default();
    view! {
        <Show when=move || !ui.recent.with(Vec::is_empty) && !ui.hides("recent")>
            <details class="recent" data-testid="recent-runs">
                <summary>{move || format!("Recent runs ({})", ui.recent.with(Vec::len))}</summary>
                <ul>
                    {move || {
                        ui.recent
                            .get()
                            .into_iter()
                            .map(|run| {
                                let title = labs()
                                    .iter()
                                    .find(|lab| lab.id == run.record.lab)
                                    .map_or(run.record.lab.clone(), |lab| lab.title.clone());
                                let when = js_sys::Date::new(&JsValue::from_f64(run.kept_ms))
                                    .to_locale_string("default", &JsValue::UNDEFINED);
                                let label = format!(
                                    "{title}, seed {}, step {} ({})",
                                    run.record.seed,
                                    run.record.steps,
                                    String::from(when)
                                );
                                let (link, steps) = (run.link.clone(), run.record.steps);
                                view! {
                                    <li>
                                        <button
                                            data-testid="recent-run"
                                            title=run.link.clone()
                                            on:click=move |_| open_at(ui, &link, steps)
                                        >
                                            {label}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </details>
        </Show>
    }
}
