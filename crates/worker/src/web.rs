use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use serde::Serialize;
use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::protocol::{Event, Request};
use thermolab_gpu::{Compute, now_seconds};
use thermolab_kit::{Session, StepReport};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Response};

/// Snapshots go out at most this often while playing, so a fast lab does not
/// flood the UI thread.
const SNAPSHOT_INTERVAL_S: f64 = 0.033;
/// Longest a frame computes before the worker reads its messages again, so
/// pause and live controls answer at once even when one step is heavy.
const FRAME_BUDGET_S: f64 = 0.05;

pub fn start() {
    console_error_panic_hook::set_once();
    let (sender, receiver) = unbounded::<Request>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<Request>(event.data()) {
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
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match event.serialize(&serializer) {
        Ok(value) => {
            let _ = scope().post_message(&value);
        }
        Err(e) => web_sys::console::error_1(&format!("cannot send event: {e}").into()),
    }
}

/// The bytes at `url` (relative to the site's root, where the worker's script is).
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let failed = |e: JsValue| format!("cannot load {url}: {e:?}");
    let response: Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        return Err(format!("cannot load {url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

struct Worker {
    compute: Compute,
    /// Files labs asked for, fetched once per page.
    assets: Assets,
    session: Option<Session>,
    steps_per_frame: u32,
    last_post: f64,
}

impl Worker {
    fn post_snapshot(&mut self) {
        if let Some(session) = &self.session {
            post(&Event::Snapshot {
                snapshot: session.snapshot(),
            });
            self.last_post = now_seconds();
        }
    }

    /// Fetches the files `lab` needs that this page has not loaded yet (a
    /// failed fetch is tried again at the next start); the lab says what it
    /// cannot do without.
    async fn load_assets(&mut self, lab: &str) {
        let names = thermolab_catalog::lab(lab)
            .map(|info| info.assets)
            .unwrap_or_default();
        for name in names {
            if !self.assets.has(&name) {
                let loaded = fetch_bytes(&format!("public/{name}")).await;
                self.assets.insert(&name, loaded);
            }
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Start {
                run,
                lab,
                values,
                seed,
            } => {
                self.load_assets(&lab).await;
                match Session::start(REGISTRY, &self.compute, &lab, &values, seed, &self.assets) {
                    Ok((session, refused)) => {
                        post(&Event::Started {
                            run,
                            lab,
                            params: session.params().clone(),
                            seed,
                            refused,
                        });
                        self.session = Some(session);
                        self.post_snapshot();
                    }
                    Err(message) => post(&Event::Error { message }),
                }
            }
            Request::SetParam { key, value } => {
                let Some(session) = &mut self.session else {
                    return;
                };
                let report = match session.set_param(&key, &value) {
                    Ok(value) => {
                        post(&Event::ParamAccepted { key, value });
                        Some(session.refresh().await)
                    }
                    Err(error) => {
                        post(&Event::ParamRefused { error });
                        None
                    }
                };
                if let Some(report) = report {
                    self.after_step(report);
                }
                self.post_snapshot();
            }
            Request::SetSpeed { steps_per_frame } => {
                self.steps_per_frame = steps_per_frame.clamp(1, 1000)
            }
            Request::Play => {
                if let Some(session) = &mut self.session {
                    session.set_playing(true);
                }
                self.post_snapshot();
            }
            Request::Pause => {
                if let Some(session) = &mut self.session {
                    session.set_playing(false);
                }
                self.post_snapshot();
            }
            Request::Step => {
                if let Some(session) = &mut self.session {
                    session.set_playing(false);
                    let report = session.step().await;
                    self.after_step(report);
                }
                self.post_snapshot();
            }
            Request::Reset => {
                if let Some(session) = &mut self.session
                    && let Err(message) = session.reset()
                {
                    post(&Event::Error { message });
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

    /// Runs up to `steps_per_frame` steps of a playing session, stopping
    /// early once the frame has used [`FRAME_BUDGET_S`].
    async fn play_frame(&mut self) {
        let start = now_seconds();
        for _ in 0..self.steps_per_frame {
            if now_seconds() - start > FRAME_BUDGET_S {
                break;
            }
            let Some(session) = &mut self.session else {
                return;
            };
            if !session.is_playing() {
                break;
            }
            let report = session.step().await;
            let stopped = report != StepReport::Stepped;
            self.after_step(report);
            if stopped {
                self.post_snapshot();
                return;
            }
        }
        if now_seconds() - self.last_post >= SNAPSHOT_INTERVAL_S {
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
        session: None,
        steps_per_frame: 1,
        last_post: 0.0,
    };
    loop {
        while let Ok(request) = requests.try_recv() {
            worker.handle(request).await;
        }
        if worker.session.as_ref().is_some_and(Session::is_playing) {
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
