//! The UI's state, the link to the compute worker, and the URL hash.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use leptos::prelude::*;
use thermolab_core::experiment::{Chart, LabInfo, RunStatus, Snapshot};
use thermolab_core::export::{KeptRun, RunRecord, prepend_history};
use thermolab_core::params::{Params, Value};
use thermolab_core::protocol::{DeviceInfo, Event, Request, Stage, decode, encode};
use thermolab_core::url_state::{self, PageState};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's loader (`web/worker-loader.js`): relative, so the site works
/// from any sub-path. It reports a wasm that cannot load as an error event.
const WORKER_URL: &str = "./worker-loader.js";
/// A worker that keeps dying is not restarted forever: at most this many
/// restarts within [`RESTART_WINDOW_MS`].
const MAX_RESTARTS: usize = 3;
const RESTART_WINDOW_MS: f64 = 60_000.0;
/// A worker that does not answer Pause or Reset within this long is stuck in
/// a step: it is replaced and the run restarts from its params.
const ANSWER_DEADLINE_MS: i32 = 2_000;

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// When the worker was restarted, for the window above.
    static RESTARTS: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// The last run asked of the worker: events of other runs are dropped,
    /// so a run replaced by a newer link or seed cannot write its stale
    /// state back.
    static REQUESTED_RUN: Cell<u64> = const { Cell::new(0) };
    /// Live changes sent and not yet answered, and the latest value waiting
    /// behind each: at most one in flight per key, so a slider dragged fast
    /// sends its last position, not every position it passed.
    static IN_FLIGHT: RefCell<BTreeMap<String, Value>> = const { RefCell::new(BTreeMap::new()) };
    static WAITING: RefCell<BTreeMap<String, Value>> = const { RefCell::new(BTreeMap::new()) };
    /// A Pause or Reset the worker has not answered yet.
    static UNANSWERED: Cell<Option<u64>> = const { Cell::new(None) };
    static REQUESTS_SENT: Cell<u64> = const { Cell::new(0) };
    /// The run a run file's replay plays, and the step it plays to.
    static REPLAY: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    /// A run file being opened: the step the run its link starts next plays to.
    static REPLAY_NEXT: Cell<Option<u64>> = const { Cell::new(None) };
    /// A kept model (base64) the run its link starts next opens with, and
    /// the charts of the run that trained it.
    static TRAINED_NEXT: RefCell<Option<(String, Vec<Chart>)>> = const { RefCell::new(None) };
    /// The run opened from a kept model, and the curves that trained it: its
    /// charts start with them.
    static HISTORY: RefCell<Option<(u64, Vec<Chart>)>> = const { RefCell::new(None) };
}

/// A warning in the console, named by the part of the page it comes from.
pub fn console_warn(part: &str, message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("thermolab {part}: {message}")));
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// What a run is busy with before its first step is done, and since when
/// (milliseconds, [`now_ms`]): what the status shows while nothing moves.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    pub doing: Doing,
    pub since_ms: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Doing {
    /// Before the run starts: the worker's stage.
    Preparing(Stage),
    /// The first step is computing (on a GPU, its kernels compile first).
    FirstStep,
}

impl Doing {
    /// A word for tests and styles.
    pub fn name(&self) -> &'static str {
        match self {
            Doing::Preparing(Stage::Fetching { .. }) => "fetching",
            Doing::Preparing(Stage::Starting) => "starting",
            Doing::FirstStep => "first-step",
        }
    }
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
    /// Why the run the page asked for could not start; nothing runs then.
    pub start_failure: RwSignal<Option<String>>,
    /// Why the compute worker cannot run at all (it failed to load, or kept dying).
    pub worker_failure: RwSignal<Option<String>>,
    /// Per-control messages: key to what was wrong with the last input.
    pub errors: RwSignal<BTreeMap<String, String>>,
    /// What was ignored of the link; replaced whenever the link is read again.
    pub link_notices: RwSignal<Vec<String>>,
    /// Things that happened (worker restarts, failures): they stay until dismissed.
    pub notices: RwSignal<Vec<String>>,
    /// What the run is busy with until its first step is done; `None` after.
    pub work: RwSignal<Option<Work>>,
    /// The time now, [`now_ms`], ticking while there is [`Ui::work`]: what
    /// "for how long" is counted against.
    pub clock: RwSignal<f64>,
    /// Presenter mode: the main chart alone, full-window, in large type.
    pub presenting: RwSignal<bool>,
    /// The keyboard shortcuts' overlay ("?") is open.
    pub shortcuts: RwSignal<bool>,
    /// The runs the browser keeps, newest first (`storage`).
    pub recent: RwSignal<Vec<KeptRun>>,
}

impl Ui {
    pub fn new() -> Self {
        Self {
            labs: RwSignal::new(None),
            device: RwSignal::new(None),
            page: RwSignal::new(url_state::parse("", &[])),
            params: RwSignal::new(None),
            snapshot: RwSignal::new(None),
            start_failure: RwSignal::new(None),
            worker_failure: RwSignal::new(None),
            errors: RwSignal::new(BTreeMap::new()),
            link_notices: RwSignal::new(Vec::new()),
            notices: RwSignal::new(Vec::new()),
            work: RwSignal::new(None),
            clock: RwSignal::new(now_ms()),
            presenting: RwSignal::new(false),
            shortcuts: RwSignal::new(false),
            recent: RwSignal::new(Vec::new()),
        }
    }

    /// Whether the link hides the control or panel `key` (`hide=`, `controls=`).
    pub fn hides(&self, key: &str) -> bool {
        self.page.with(|p| p.hides(key))
    }

    /// Sets what the run is busy with, counting from now; idle stays idle
    /// without waking what watches it (every snapshot says so).
    fn working(&self, doing: Option<Doing>) {
        if doing.is_none() && self.work.with_untracked(Option::is_none) {
            return;
        }
        // A download's progress is the same work going on: its clock keeps running.
        let same_since = self.work.with_untracked(|work| {
            work.as_ref()
                .zip(doing.as_ref())
                .filter(|(work, doing)| work.doing.name() == doing.name())
                .map(|(work, _)| work.since_ms)
        });
        self.work.set(doing.map(|doing| Work {
            doing,
            since_ms: same_since.unwrap_or_else(now_ms),
        }));
        self.clock.set(now_ms());
    }

    /// Play or Step: a run still at step 0 is now computing its first step.
    pub fn play_or_step(&self, request: &Request) {
        let at_start = self
            .snapshot
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.step == 0));
        if at_start && self.work.with_untracked(Option::is_none) {
            self.working(Some(Doing::FirstStep));
        }
        self.send(request);
    }

    /// The next run started (by the link a run file sets) plays to `step`.
    pub fn replay_next(&self, step: u64) {
        REPLAY_NEXT.set(Some(step));
    }

    /// The run the page's link starts (or has just started) plays to `step`
    /// and pauses there: a kept run resuming after a reload. A run that has
    /// moved already is left alone.
    pub fn resume_at(&self, step: u64) {
        let run = REQUESTED_RUN.get();
        let at = self.snapshot.with_untracked(|s| s.as_ref().map(|s| s.step));
        match (run, at) {
            (0, _) => REPLAY_NEXT.set(Some(step)),
            (_, None) => REPLAY.set(Some((run, step))),
            (_, Some(0)) => self.play_or_step(&Request::PlayTo { step }),
            _ => {}
        }
    }

    /// The run of the page's link opens with `model`, a model the browser
    /// kept, and the `charts` of the run that trained it; a run already
    /// started for the link starts again with it.
    pub fn open_trained(&self, model: String, charts: Vec<Chart>) {
        TRAINED_NEXT.with(|next| *next.borrow_mut() = Some((model, charts)));
        if REQUESTED_RUN.get() > 0 {
            self.apply_hash();
        }
    }

    /// Whether the run is playing (Pause is what Play's button offers).
    pub fn running(&self) -> bool {
        self.snapshot
            .with(|s| matches!(s.as_ref().map(|s| &s.status), Some(RunStatus::Running)))
    }

    /// The Play button: pauses a running run, plays a paused one.
    pub fn toggle_play(&self) {
        if self.running() {
            self.send(&Request::Pause);
        } else {
            self.play_or_step(&Request::Play);
        }
    }

    /// Leaves the GPU for the CPU and starts the run again there.
    pub fn use_cpu(&self) {
        self.send(&Request::UseCpu);
        if let (Some(lab), Some(params)) = (self.lab_info(), self.params.get_untracked()) {
            let seed = self.page.with_untracked(|p| p.seed);
            self.start(&lab.id, params.values().clone(), seed);
        }
    }

    /// The run as a run file holds it, and its lab.
    pub fn current_record(&self) -> Option<(LabInfo, RunRecord)> {
        let (lab, params) = (self.lab_info()?, self.params.get_untracked()?);
        let seed = self.page.with_untracked(|p| p.seed);
        let record = self.snapshot.with_untracked(|snapshot| {
            Some(RunRecord::new(
                &lab.id,
                seed,
                params.values(),
                snapshot.as_ref()?,
            ))
        })?;
        Some((lab, record))
    }

    pub fn lab_info(&self) -> Option<LabInfo> {
        let lab = self.page.with(|p| p.lab.clone())?;
        self.labs.with(|labs| {
            labs.as_ref()
                .and_then(|labs| labs.iter().find(|l| l.id == lab).cloned())
        })
    }

    pub fn send(&self, request: &Request) {
        let message = JsValue::from_str(&encode(request));
        WORKER.with(|worker| {
            if let Some(worker) = worker.borrow().as_ref()
                && worker.post_message(&message).is_err()
            {
                self.notice("Could not reach the compute worker.".to_string());
            }
        });
        // Only a running lab owes an answer (a snapshot).
        if matches!(request, Request::Pause | Request::Reset)
            && self.snapshot.with_untracked(Option::is_some)
        {
            self.expect_answer();
        }
    }

    /// Sends a live change, or, while one for the same key is unanswered,
    /// keeps it as the value to send next (replacing any older one).
    pub fn set_param(&self, key: &str, value: Value) {
        let busy = IN_FLIGHT.with(|in_flight| in_flight.borrow().contains_key(key));
        if busy {
            WAITING.with(|waiting| waiting.borrow_mut().insert(key.to_string(), value));
            return;
        }
        IN_FLIGHT.with(|in_flight| {
            in_flight
                .borrow_mut()
                .insert(key.to_string(), value.clone())
        });
        self.send(&Request::SetParam {
            key: key.to_string(),
            value,
        });
    }

    /// The value `key` will have once every change sent is answered: what a
    /// control that adds to a value (drawn points) must build on.
    pub fn latest_value(&self, key: &str) -> Option<Value> {
        WAITING
            .with(|waiting| waiting.borrow().get(key).cloned())
            .or_else(|| IN_FLIGHT.with(|in_flight| in_flight.borrow().get(key).cloned()))
            .or_else(|| {
                self.params
                    .with_untracked(|p| p.as_ref().and_then(|p| p.get(key).cloned()))
            })
    }

    /// The worker answered the change of `key`: send what waited behind it.
    fn answered(&self, key: &str) {
        IN_FLIGHT.with(|in_flight| in_flight.borrow_mut().remove(key));
        if let Some(value) = WAITING.with(|waiting| waiting.borrow_mut().remove(key)) {
            self.set_param(key, value);
        }
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
                self.worker_failed(format!("The compute worker could not start: {e:?}"));
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            match decode::<Event>(&text) {
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
        IN_FLIGHT.with(|in_flight| in_flight.borrow_mut().clear());
        WAITING.with(|waiting| waiting.borrow_mut().clear());
        UNANSWERED.set(None);
    }

    /// The worker cannot run: nothing computes until a reload, and the page says why.
    fn worker_failed(self, message: String) {
        WORKER.with(|slot| {
            if let Some(old) = slot.borrow_mut().take() {
                old.terminate();
            }
        });
        self.notice(message.clone());
        self.worker_failure.set(Some(message));
    }

    /// Replaces a crashed worker, a stuck one or one whose GPU device was
    /// lost; the current lab restarts from its params once the new worker is
    /// ready. Restarts that come too often give up with a notice.
    fn restart_worker(self, why: &str) {
        let now = now_ms();
        let recent = RESTARTS.with(|restarts| {
            let mut restarts = restarts.borrow_mut();
            restarts.retain(|at| now - at < RESTART_WINDOW_MS);
            restarts.push(now);
            restarts.len()
        });
        if recent > MAX_RESTARTS {
            self.worker_failed(format!(
                "{why}. It failed {MAX_RESTARTS} times within a minute; reload the page to try again."
            ));
            return;
        }
        self.notice(format!("{why}; restarting it and the run."));
        self.spawn_worker();
    }

    /// After a Pause or Reset: a worker that has not answered within
    /// [`ANSWER_DEADLINE_MS`] is stuck in a step, and is replaced.
    fn expect_answer(self) {
        let id = REQUESTS_SENT.get() + 1;
        REQUESTS_SENT.set(id);
        UNANSWERED.set(Some(id));
        let check = Closure::once_into_js(move || {
            if UNANSWERED.get() == Some(id) {
                UNANSWERED.set(None);
                self.restart_worker(&format!(
                    "the compute worker did not answer within {} s (a step was still computing)",
                    ANSWER_DEADLINE_MS / 1000
                ));
            }
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            check.unchecked_ref(),
            ANSWER_DEADLINE_MS,
        );
    }

    fn on_event(self, event: Event) {
        let current = REQUESTED_RUN.get();
        match event {
            Event::Catalog { labs } => {
                self.labs.set(Some(labs));
                self.apply_hash();
            }
            Event::Device { info } => self.device.set(Some(info)),
            Event::Started { run, .. }
            | Event::StartFailed { run, .. }
            | Event::ParamAccepted { run, .. }
            | Event::ParamRefused { run, .. }
            | Event::Snapshot { run, .. }
            | Event::Progress { run, .. }
            | Event::Trained { run, .. }
                if run != current => {}
            Event::Progress { stage, .. } => {
                let same_stage = self.work.with_untracked(|work| {
                    work.as_ref()
                        .is_some_and(|work| match (&work.doing, &stage) {
                            (Doing::Preparing(Stage::Starting), Stage::Starting) => true,
                            (
                                Doing::Preparing(Stage::Fetching { file: was, .. }),
                                Stage::Fetching { file, .. },
                            ) => was == file,
                            _ => false,
                        })
                });
                // Progress within one download keeps its start time.
                if same_stage {
                    self.work.update(|work| {
                        if let Some(work) = work {
                            work.doing = Doing::Preparing(stage);
                        }
                    });
                } else {
                    self.working(Some(Doing::Preparing(stage)));
                }
            }
            Event::Started {
                params, refused, ..
            } => {
                self.start_failure.set(None);
                self.params.set(Some(params));
                self.errors.set(BTreeMap::new());
                for e in refused {
                    self.notice(format!("{}; using the default.", e.message));
                }
                self.write_hash();
            }
            Event::StartFailed { lab, message, .. } => {
                UNANSWERED.set(None);
                self.working(None);
                self.snapshot.set(None);
                self.start_failure
                    .set(Some(format!("The {lab} lab could not start: {message}")));
            }
            Event::ParamAccepted { key, value, .. } => {
                self.set_error(&key, None);
                self.params.update(|params| {
                    if let (Some(params), Some(lab)) = (params.as_mut(), self.lab_info()) {
                        let _ = params.set(&lab.schema, &key, &value);
                    }
                });
                self.write_hash();
                self.answered(&key);
            }
            Event::ParamRefused { error, .. } => {
                self.set_error(&error.key, Some(error.message));
                self.answered(&error.key);
            }
            Event::Snapshot { mut snapshot, .. } => {
                UNANSWERED.set(None);
                HISTORY.with(|history| {
                    let mut history = history.borrow_mut();
                    // A reset starts without the model, and without its past.
                    if snapshot.step == 0 && snapshot.trained.is_none() {
                        *history = None;
                    } else if let Some((run, charts)) = history.as_ref()
                        && *run == current
                    {
                        prepend_history(&mut snapshot.view.charts, charts);
                    }
                });
                if snapshot.step == 0
                    && let Some((run, step)) = REPLAY.get()
                    && run == REQUESTED_RUN.get()
                {
                    REPLAY.set(None);
                    self.play_or_step(&Request::PlayTo { step });
                }
                let first_step = snapshot.step == 0 && snapshot.status == RunStatus::Running;
                let first_step_known = self.work.with_untracked(|work| {
                    matches!(
                        work,
                        Some(Work {
                            doing: Doing::FirstStep,
                            ..
                        })
                    )
                });
                if !first_step {
                    self.working(None);
                } else if !first_step_known {
                    self.working(Some(Doing::FirstStep));
                }
                self.snapshot.set(Some(snapshot));
            }
            Event::Trained { step, model, .. } => {
                if let Some(model) = model {
                    crate::storage::keep_model(self, step, model);
                }
            }
            Event::DeviceLost { message } => {
                self.restart_worker(&format!("the GPU device was lost ({message})"))
            }
            Event::Error { message } => self.notice(message),
            Event::WorkerFailed { message } => self.worker_failed(message),
        }
    }

    /// Reads the URL hash, shows what was ignored, and starts the lab it names.
    pub fn apply_hash(self) {
        let hash = window().location().hash().unwrap_or_default();
        let state = self
            .labs
            .with_untracked(|labs| url_state::parse(&hash, labs.as_deref().unwrap_or(&[])));
        self.link_notices.set(state.notices.clone());
        self.errors.set(BTreeMap::new());
        self.snapshot.set(None);
        self.params.set(None);
        self.start_failure.set(None);
        self.page.set(state.clone());
        if let (Some(lab), Some(params)) = (state.lab, state.params) {
            self.start(&lab, params.values().clone(), state.seed);
            self.send(&Request::SetSpeed {
                steps_per_frame: state.speed,
            });
        }
    }

    pub fn start(&self, lab: &str, values: BTreeMap<String, Value>, seed: u64) {
        self.working(Some(Doing::Preparing(Stage::Starting)));
        let run = REQUESTED_RUN.get() + 1;
        REQUESTED_RUN.set(run);
        // A run file's replay belongs to the run its link starts, not to
        // one that was still sending snapshots.
        REPLAY.set(REPLAY_NEXT.take().map(|step| (run, step)));
        // Changes waiting for the old run would land on the new one.
        IN_FLIGHT.with(|in_flight| in_flight.borrow_mut().clear());
        WAITING.with(|waiting| waiting.borrow_mut().clear());
        let (trained, history) = TRAINED_NEXT.with(|next| next.borrow_mut().take()).unzip();
        HISTORY.with(|slot| *slot.borrow_mut() = history.map(|charts| (run, charts)));
        self.send(&Request::Start {
            run,
            lab: lab.to_string(),
            values,
            seed,
            trained,
        });
    }

    /// Writes the current state into the hash without adding a history entry.
    pub fn write_hash(&self) {
        let Some(lab) = self.lab_info() else { return };
        let Some(params) = self.params.get_untracked() else {
            return;
        };
        let hash = self
            .page
            .with_untracked(|page| url_state::encode(&lab, &params, page));
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
        }
    }
}
