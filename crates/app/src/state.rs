//! The UI's state, the link to the compute worker, and the URL hash.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::Serialize;
use thermolab_core::experiment::{LabInfo, Snapshot};
use thermolab_core::params::{Params, Value};
use thermolab_core::protocol::{DeviceInfo, Event, Request};
use thermolab_core::url_state::{self, PageState};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker script trunk emits next to index.html; relative, so the site
/// works from any sub-path.
const WORKER_URL: &str = "./thermolab-worker_loader.js";
/// A worker that keeps dying is not restarted forever.
const MAX_RESTARTS: u32 = 3;

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static RESTARTS: RefCell<u32> = const { RefCell::new(0) };
    /// The last run asked of the worker, and the last one it reported started:
    /// events of a run are shown only while the two agree, so a run replaced
    /// by a newer link or seed cannot write its stale state back.
    static REQUESTED_RUN: Cell<u64> = const { Cell::new(0) };
    static STARTED_RUN: Cell<u64> = const { Cell::new(0) };
}

fn is_current_run() -> bool {
    REQUESTED_RUN.get() == STARTED_RUN.get()
}

/// All reactive state, `Copy`, shared through context.
#[derive(Clone, Copy)]
pub struct Ui {
    pub labs: RwSignal<Option<Vec<LabInfo>>>,
    pub device: RwSignal<Option<DeviceInfo>>,
    pub page: RwSignal<PageState>,
    /// The params the worker runs with, after validation.
    pub params: RwSignal<Option<Params>>,
    pub snapshot: RwSignal<Option<Snapshot>>,
    /// Per-control messages: key to what was wrong with the last input.
    pub errors: RwSignal<BTreeMap<String, String>>,
    /// Things the user should know: ignored URL fields, worker restarts.
    pub notices: RwSignal<Vec<String>>,
}

impl Ui {
    pub fn new() -> Self {
        Self {
            labs: RwSignal::new(None),
            device: RwSignal::new(None),
            page: RwSignal::new(url_state::parse("", &[])),
            params: RwSignal::new(None),
            snapshot: RwSignal::new(None),
            errors: RwSignal::new(BTreeMap::new()),
            notices: RwSignal::new(Vec::new()),
        }
    }

    pub fn lab_info(&self) -> Option<LabInfo> {
        let lab = self.page.with(|p| p.lab.clone())?;
        self.labs.with(|labs| {
            labs.as_ref()
                .and_then(|labs| labs.iter().find(|l| l.id == lab).cloned())
        })
    }

    pub fn send(&self, request: &Request) {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let Ok(message) = request.serialize(&serializer) else {
            return;
        };
        WORKER.with(|worker| {
            if let Some(worker) = worker.borrow().as_ref()
                && worker.post_message(&message).is_err()
            {
                self.notice("Could not reach the compute worker.".to_string());
            }
        });
    }

    pub fn notice(&self, message: String) {
        self.notices.update(|n| n.push(message));
    }

    pub fn set_error(&self, key: &str, message: Option<String>) {
        self.errors.update(|errors| match message {
            Some(m) => {
                errors.insert(key.to_string(), m);
            }
            None => {
                errors.remove(key);
            }
        });
    }

    /// Starts (or restarts) the worker; events flow into this state.
    pub fn spawn_worker(self) {
        let options = web_sys::WorkerOptions::new();
        let worker = match Worker::new_with_options(WORKER_URL, &options) {
            Ok(worker) => worker,
            Err(e) => {
                self.notice(format!("The compute worker could not start: {e:?}"));
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<Event>(event.data()) {
                Ok(event) => self.on_event(event),
                Err(e) => self.notice(format!("Unreadable message from the worker: {e}")),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            self.restart_worker(&format!("the compute worker stopped: {}", event.message()));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        WORKER.with(|slot| {
            if let Some(old) = slot.borrow_mut().replace(worker) {
                old.terminate();
            }
        });
    }

    /// Replaces a crashed worker or one whose GPU device was lost; the current
    /// lab restarts from its params once the new worker is ready.
    fn restart_worker(self, why: &str) {
        let restarts = RESTARTS.with(|r| {
            *r.borrow_mut() += 1;
            *r.borrow()
        });
        if restarts > MAX_RESTARTS {
            self.notice(format!(
                "{why}. It failed {MAX_RESTARTS} times; reload the page to try again."
            ));
            WORKER.with(|slot| {
                if let Some(old) = slot.borrow_mut().take() {
                    old.terminate();
                }
            });
            return;
        }
        self.notice(format!("{why}; restarting it and the run."));
        self.spawn_worker();
    }

    fn on_event(self, event: Event) {
        match event {
            Event::Catalog { labs } => {
                self.labs.set(Some(labs));
                self.apply_hash();
            }
            Event::Device { info } => self.device.set(Some(info)),
            Event::Started { run, .. } if run != REQUESTED_RUN.get() => {}
            Event::Started {
                run,
                params,
                refused,
                ..
            } => {
                STARTED_RUN.set(run);
                self.params.set(Some(params));
                self.errors.set(BTreeMap::new());
                for e in refused {
                    self.notice(format!("{}; using the default.", e.message));
                }
                self.write_hash();
            }
            Event::ParamAccepted { .. } | Event::ParamRefused { .. } | Event::Snapshot { .. }
                if !is_current_run() => {}
            Event::ParamAccepted { key, value } => {
                self.set_error(&key, None);
                self.params.update(|params| {
                    if let (Some(params), Some(lab)) = (params.as_mut(), self.lab_info()) {
                        let _ = params.set(&lab.schema, &key, &value);
                    }
                });
                self.write_hash();
            }
            Event::ParamRefused { error } => self.set_error(&error.key, Some(error.message)),
            Event::Snapshot { snapshot } => self.snapshot.set(Some(snapshot)),
            Event::DeviceLost { message } => {
                self.restart_worker(&format!("the GPU device was lost ({message})"))
            }
            Event::Error { message } => self.notice(message),
        }
    }

    /// Reads the URL hash, shows what was ignored, and starts the lab it names.
    pub fn apply_hash(self) {
        let hash = window().location().hash().unwrap_or_default();
        let state = self
            .labs
            .with_untracked(|labs| url_state::parse(&hash, labs.as_deref().unwrap_or(&[])));
        self.notices.set(state.notices.clone());
        self.errors.set(BTreeMap::new());
        self.snapshot.set(None);
        self.params.set(None);
        self.page.set(state.clone());
        if let (Some(lab), Some(params)) = (state.lab, state.params) {
            self.start(&lab, params.values().clone(), state.seed);
            self.send(&Request::SetSpeed {
                steps_per_frame: state.speed,
            });
        }
    }

    pub fn start(&self, lab: &str, values: BTreeMap<String, Value>, seed: u64) {
        let run = REQUESTED_RUN.get() + 1;
        REQUESTED_RUN.set(run);
        self.send(&Request::Start {
            run,
            lab: lab.to_string(),
            values,
            seed,
        });
    }

    /// Writes the current state into the hash without adding a history entry.
    pub fn write_hash(&self) {
        let Some(lab) = self.lab_info() else { return };
        let Some(params) = self.params.get_untracked() else {
            return;
        };
        let hash = self.page.with_untracked(|p| {
            url_state::encode(&lab, &params, p.seed, p.speed, p.embed, &p.hide)
        });
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
        }
    }
}
