use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::protocol::{Event, Request, Stage, decode, encode, model_bytes, model_text};
use thermolab_gpu::{Compute, now_seconds};
use thermolab_kit::{Session, StepReport};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, DedicatedWorkerGlobalScope, MessageEvent, ReadableStreamDefaultReader,
    RequestInit, Response,
};

/// Snapshots go out at most this often while playing, so a fast lab does not
/// flood the UI thread.
const SNAPSHOT_INTERVAL_S: f64 = 0.033;
/// Longest a frame computes before the worker reads its messages again, so
/// pause and live controls answer at once even when one step is heavy.
const FRAME_BUDGET_S: f64 = 0.05;
/// A lab file that has not arrived by then is given up on, with the reason.
const FETCH_TIMEOUT_MS: u32 = 60_000;
/// Largest lab file read: a data set or a checkpoint, not a denial of service.
const MAX_ASSET_BYTES: usize = 64 << 20;
/// A download's progress goes to the page at most this often.
const PROGRESS_INTERVAL_S: f64 = 0.1;

pub fn start() {
    console_error_panic_hook::set_once();
    let (sender, receiver) = unbounded::<Request>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        match decode::<Request>(&text) {
            Ok(request) => {
                let _ = sender.unbounded_send(request);
            }
            Err(e) => post(&Event::Error {
                message: format!("unreadable request: {e}"),
            }),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    wasm_bindgen_futures::spawn_local(run(receiver));
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(event: &Event) {
    let _ = scope().post_message(&JsValue::from_str(&encode(event)));
}

/// The bytes at `url` (relative to the site's root, where the worker's
/// script is), or why not: an HTTP error, a file over [`MAX_ASSET_BYTES`],
/// or no answer within [`FETCH_TIMEOUT_MS`]. `progress` hears the bytes so
/// far, and the total when the server announced it.
async fn fetch_bytes(url: &str, progress: impl Fn(u64, Option<u64>)) -> Result<Vec<u8>, String> {
    let failed = |e: JsValue| format!("cannot load {url}: {e:?}");
    let too_large = || {
        format!(
            "cannot load {url}: it is larger than {} MiB",
            MAX_ASSET_BYTES >> 20
        )
    };
    let abort = AbortController::new().map_err(failed)?;
    let init = RequestInit::new();
    init.set_signal(Some(&abort.signal()));
    let download = async {
        // A slow server is slow before its first byte: say so from the start.
        progress(0, None);
        let response: Response = JsFuture::from(scope().fetch_with_str_and_init(url, &init))
            .await
            .map_err(failed)?
            .dyn_into()
            .map_err(failed)?;
        if !response.ok() {
            return Err(format!("cannot load {url}: HTTP {}", response.status()));
        }
        let announced = response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|length| length.parse::<usize>().ok());
        if announced.is_some_and(|length| length > MAX_ASSET_BYTES) {
            return Err(too_large());
        }
        let total = announced.map(|length| length as u64);
        let Some(body) = response.body() else {
            return Ok(Vec::new());
        };
        let reader: ReadableStreamDefaultReader = body
            .get_reader()
            .dyn_into()
            .map_err(|e: js_sys::Object| failed(e.into()))?;
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
        progress(0, total);
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
            let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(failed)?;
            if done.is_truthy() {
                break;
            }
            let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(failed)?;
            let value: js_sys::Uint8Array = value.dyn_into().map_err(failed)?;
            if bytes.len() + value.length() as usize > MAX_ASSET_BYTES {
                return Err(too_large());
            }
            bytes.extend(value.to_vec());
            progress(bytes.len() as u64, total);
        }
        Ok(bytes)
    };
    let timeout = gloo_timers::future::TimeoutFuture::new(FETCH_TIMEOUT_MS);
    match select(Box::pin(download), timeout).await {
        Either::Left((loaded, _)) => loaded,
        Either::Right(((), _)) => {
            abort.abort();
            Err(format!(
                "cannot load {url}: no answer in {} s",
                FETCH_TIMEOUT_MS / 1000
            ))
        }
    }
}

/// The session of the run the page asked for last.
struct Current {
    run: u64,
    session: Session,
}

struct Worker {
    compute: Compute,
    /// Files labs asked for, fetched once per page.
    assets: Assets,
    current: Option<Current>,
    steps_per_frame: u32,
    last_post: f64,
    /// Milliseconds the last snapshot took to serialize and post.
    last_post_ms: f64,
    /// Steps played since the last snapshot, for its steps per second.
    played: u32,
    /// Live changes applied since the last recomputation: one refresh serves them all.
    refresh_pending: bool,
}

impl Worker {
    fn post_snapshot(&mut self) {
        let Some(current) = &mut self.current else {
            return;
        };
        let mut snapshot = current.session.snapshot();
        let start = now_seconds();
        snapshot.timing.post_ms = self.last_post_ms;
        if current.session.is_playing() && start > self.last_post {
            snapshot.timing.steps_per_second = f64::from(self.played) / (start - self.last_post);
        }
        post(&Event::Snapshot {
            run: current.run,
            snapshot,
        });
        let end = now_seconds();
        self.last_post_ms = 1e3 * (end - start);
        self.last_post = end;
        self.played = 0;
    }

    /// Fetches the files `lab` needs that this page has not loaded yet (a
    /// failed fetch is tried again at the next start), telling the page how
    /// far each download is; the lab says what it cannot do without.
    async fn load_assets(&mut self, run: u64, lab: &str) {
        let names = thermolab_catalog::lab(lab)
            .map(|info| info.assets)
            .unwrap_or_default();
        for name in names {
            if !self.assets.has(&name) {
                let file = format!("public/{name}");
                let last_sent = std::cell::Cell::new(f64::NEG_INFINITY);
                let progress = |loaded: u64, total: Option<u64>| {
                    let now = now_seconds();
                    if now - last_sent.get() >= PROGRESS_INTERVAL_S || Some(loaded) == total {
                        last_sent.set(now);
                        post(&Event::Progress {
                            run,
                            stage: Stage::Fetching {
                                file: file.clone(),
                                loaded,
                                total,
                            },
                        });
                    }
                };
                let loaded = fetch_bytes(&file, progress).await;
                self.assets.insert(&name, loaded);
            }
        }
        post(&Event::Progress {
            run,
            stage: Stage::Starting,
        });
    }

    /// Recomputes once for every live change applied since the last time.
    async fn flush(&mut self) {
        if !std::mem::take(&mut self.refresh_pending) {
            return;
        }
        if let Some(current) = &mut self.current {
            let report = current.session.refresh().await;
            self.after_step(report);
        }
        self.post_snapshot();
    }

    async fn handle(&mut self, request: Request) {
        if !matches!(request, Request::SetParam { .. }) {
            self.flush().await;
        }
        match request {
            Request::Start {
                run,
                lab,
                values,
                seed,
                trained,
            } => {
                // The old run stops now, whether or not the new one starts.
                self.current = None;
                self.refresh_pending = false;
                self.load_assets(run, &lab).await;
                // A kept model that does not read is no model: the lab starts as usual.
                let trained = trained.and_then(|text| model_bytes(&text).ok());
                let started = Session::start_trained(
                    REGISTRY,
                    &self.compute,
                    &lab,
                    &values,
                    seed,
                    &self.assets,
                    trained.as_deref(),
                );
                match started {
                    Ok((session, refused)) => {
                        post(&Event::Started {
                            run,
                            lab,
                            params: session.params().clone(),
                            seed,
                            refused,
                        });
                        self.current = Some(Current { run, session });
                        self.post_snapshot();
                    }
                    Err(message) => post(&Event::StartFailed { run, lab, message }),
                }
            }
            Request::SetParam { key, value } => {
                let Some(current) = &mut self.current else {
                    return;
                };
                let run = current.run;
                match current.session.set_param(&key, &value) {
                    Ok(value) => {
                        post(&Event::ParamAccepted { run, key, value });
                        self.refresh_pending = true;
                    }
                    Err(error) => post(&Event::ParamRefused { run, error }),
                }
            }
            Request::SetSpeed { steps_per_frame } => {
                self.steps_per_frame = steps_per_frame.clamp(1, 1000)
            }
            Request::Play => {
                if let Some(current) = &mut self.current {
                    current.session.set_playing(true);
                }
                self.post_snapshot();
            }
            Request::PlayTo { step } => {
                if let Some(current) = &mut self.current {
                    current.session.play_to(step);
                }
                self.post_snapshot();
            }
            Request::Pause => {
                if let Some(current) = &mut self.current {
                    current.session.set_playing(false);
                }
                self.post_snapshot();
            }
            Request::Step => {
                if let Some(current) = &mut self.current {
                    current.session.set_playing(false);
                    let report = current.session.step().await;
                    self.after_step(report);
                }
                self.post_snapshot();
            }
            Request::UseCpu => {
                self.current = None;
                self.compute = Compute::cpu("chosen on the page: the GPU's first step was slow");
                post(&Event::Device {
                    info: self.compute.info.clone(),
                });
            }
            Request::Checkpoint => {
                let Some(current) = &self.current else { return };
                let model = match current.session.checkpoint().await {
                    Some(Ok(bytes)) => Some(model_text(&bytes)),
                    Some(Err(error)) => {
                        post(&Event::Error {
                            message: format!("The model could not be kept: {error}"),
                        });
                        None
                    }
                    None => None,
                };
                post(&Event::Trained {
                    run: current.run,
                    step: current.session.steps(),
                    model,
                });
            }
            Request::Reset => {
                if let Some(current) = &mut self.current
                    && let Err(message) = current.session.reset()
                {
                    post(&Event::StartFailed {
                        run: current.run,
                        lab: current.session.lab().id.clone(),
                        message,
                    });
                    self.current = None;
                }
                self.post_snapshot();
            }
        }
    }

    fn after_step(&mut self, report: StepReport) {
        if let StepReport::DeviceLost(message) = report {
            post(&Event::DeviceLost { message });
        }
    }

    fn is_playing(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|current| current.session.is_playing())
    }

    /// Runs up to `steps_per_frame` steps of a playing session, stopping
    /// early once the frame has used [`FRAME_BUDGET_S`].
    async fn play_frame(&mut self) {
        let start = now_seconds();
        // A replay (a run file, a reload) is not watched step by step: as
        // many steps as the frame's budget allows.
        let replaying = self
            .current
            .as_ref()
            .is_some_and(|current| current.session.is_replaying());
        let steps = if replaying {
            u32::MAX
        } else {
            self.steps_per_frame
        };
        for _ in 0..steps {
            if now_seconds() - start > FRAME_BUDGET_S {
                break;
            }
            let Some(current) = &mut self.current else {
                return;
            };
            if !current.session.is_playing() {
                break;
            }
            let report = current.session.step().await;
            self.played += 1;
            let stopped = report != StepReport::Stepped;
            self.after_step(report);
            if stopped {
                self.post_snapshot();
                return;
            }
        }
        // A run that paused by itself (played to its step) shows where it stopped.
        if !self.is_playing() || now_seconds() - self.last_post >= SNAPSHOT_INTERVAL_S {
            self.post_snapshot();
        }
    }
}

async fn run(mut requests: UnboundedReceiver<Request>) {
    post(&Event::Catalog { labs: labs() });
    let compute = Compute::acquire().await;
    post(&Event::Device {
        info: compute.info.clone(),
    });
    let mut worker = Worker {
        compute,
        assets: Assets::default(),
        current: None,
        steps_per_frame: 1,
        last_post: 0.0,
        last_post_ms: 0.0,
        played: 0,
        refresh_pending: false,
    };
    loop {
        // Everything the page sent meanwhile, then one refresh for all the live changes.
        while let Ok(request) = requests.try_recv() {
            worker.handle(request).await;
        }
        worker.flush().await;
        if worker.is_playing() {
            worker.play_frame().await;
            // Let the message handler run between frames.
            gloo_timers::future::TimeoutFuture::new(0).await;
        } else {
            match requests.next().await {
                Some(request) => worker.handle(request).await,
                None => return,
            }
        }
    }
}
