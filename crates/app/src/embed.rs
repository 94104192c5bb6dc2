//! The lab's side of the embedding protocol (`thermolab_core::embed`): in a
//! frame, it takes commands from the parent page and reports to it.

use std::collections::BTreeMap;

use leptos::prelude::*;
use thermolab_core::embed::{
    Command, Report, assignments, may_drive, parse_command, report_message,
};
use thermolab_core::experiment::{RunStatus, Snapshot};
use thermolab_core::protocol::Request;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::MessageEvent;

use crate::controls::send_value;
use crate::state::{Ui, console_warn, now_ms};

/// Progress is reported at most this often while a run plays (and at once
/// when its status changes).
const PROGRESS_INTERVAL_MS: f64 = 250.0;

/// Listens to the parent frame and reports to it; nothing when the page is
/// not in a frame.
pub fn connect(ui: Ui) {
    let Some(parent) = parent_frame() else { return };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        on_message(ui, &parent, &event);
    });
    let _ =
        window().add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();

    // Ready once per run: its params arrive when the worker has started it.
    Effect::new(move |was_ready: Option<bool>| {
        let ready = ui.params.with(Option::is_some);
        if ready
            && was_ready != Some(true)
            && let (Some(lab), Some(params)) = (ui.lab_info(), ui.params.get_untracked())
        {
            post(
                ui,
                &Report::Ready {
                    lab: lab.id,
                    params: params.values().clone(),
                },
            );
        }
        ready
    });

    let last = StoredValue::new((0.0, None::<(u64, RunStatus)>));
    Effect::new(move |_| {
        ui.snapshot.with(|snapshot| {
            let Some(snapshot) = snapshot else { return };
            let (posted_at, posted) = last.get_value();
            let changed = posted.as_ref().is_none_or(|(_, s)| *s != snapshot.status);
            let moved = posted
                .as_ref()
                .is_none_or(|(step, _)| *step != snapshot.step);
            if changed || (moved && now_ms() - posted_at >= PROGRESS_INTERVAL_MS) {
                last.set_value((now_ms(), Some((snapshot.step, snapshot.status.clone()))));
                post(ui, &progress(snapshot));
            }
        });
    });

    // The frame's height follows the page's.
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        if let Some(body) = document().body() {
            let height = body.get_bounding_client_rect().height().ceil() as u32;
            post(ui, &Report::Size { height });
        }
    });
    if let (Ok(observer), Some(body)) = (
        web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()),
        document().body(),
    ) {
        observer.observe(&body);
    }
    on_resize.forget();
}

/// The parent window when this page is in a frame.
fn parent_frame() -> Option<web_sys::Window> {
    let parent = window().parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window())).then_some(parent)
}

fn on_message(ui: Ui, parent: &web_sys::Window, event: &MessageEvent) {
    let from_parent = event
        .source()
        .is_some_and(|source| js_sys::Object::is(&source, parent));
    if !from_parent {
        return;
    }
    let own = window().location().origin().unwrap_or_default();
    let allowed = ui.page.with_untracked(|p| p.origins.clone());
    let origin = event.origin();
    if !may_drive(&origin, &own, &allowed) {
        console_warn(
            "embed",
            &format!(
                "ignored a message from {origin}: this lab takes commands from {own} and the origins its link names (origin=)"
            ),
        );
        return;
    }
    let command = serde_wasm_bindgen::from_value::<serde_json::Value>(event.data())
        .map_err(|e| e.to_string())
        .and_then(|message| parse_command(&message));
    match command {
        Ok(command) => run(ui, command),
        Err(why) => console_warn("embed", &format!("ignored a malformed message: {why}")),
    }
}

fn run(ui: Ui, command: Command) {
    match command {
        Command::Play => ui.play_or_step(&Request::Play),
        Command::Pause => ui.send(&Request::Pause),
        Command::Step => ui.play_or_step(&Request::Step),
        Command::Reset => ui.send(&Request::Reset),
        Command::Set { params } => {
            let Some(lab) = ui.lab_info() else {
                return refuse(ui, "no lab is open yet".to_string());
            };
            match assignments(&lab.schema, &params) {
                Ok(values) => {
                    for (key, value) in values {
                        send_value(ui, &key, value);
                    }
                }
                Err(why) => refuse(ui, why),
            }
        }
    }
}

fn refuse(ui: Ui, message: String) {
    console_warn("embed", &format!("refused a command: {message}"));
    post(ui, &Report::Rejected { message });
}

fn progress(snapshot: &Snapshot) -> Report {
    let figures: BTreeMap<String, f64> = snapshot
        .view
        .figures
        .iter()
        .filter_map(|f| Some((f.key.clone(), f.value?)))
        .collect();
    Report::Progress {
        step: snapshot.step,
        status: snapshot.status.clone(),
        figures,
    }
}

/// Posts `report` to the parent, addressed to its origin when that may
/// drive the lab (so no other page reads a run, and no mismatched address
/// is logged as an error), or to each origin that may when the browser does
/// not tell the parent's.
fn post(ui: Ui, report: &Report) {
    let Some(parent) = parent_frame() else { return };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let Ok(message) = serde::Serialize::serialize(&report_message(report), &serializer) else {
        return;
    };
    let own = window().location().origin().unwrap_or_default();
    let allowed = ui.page.with_untracked(|p| p.origins.clone());
    let targets = match parent_origin() {
        Some(origin) if may_drive(&origin, &own, &allowed) => vec![origin],
        Some(_) => Vec::new(),
        None => allowed.into_iter().chain([own]).collect(),
    };
    for target in targets {
        let _ = parent.post_message(&message, &target);
    }
}

/// The parent frame's origin, where the browser says it
/// (`location.ancestorOrigins`, or the referrer's origin).
fn parent_origin() -> Option<String> {
    let location = window().location();
    let ancestors = js_sys::Reflect::get(&location, &JsValue::from_str("ancestorOrigins")).ok();
    let first = ancestors
        .filter(|list| !list.is_undefined())
        .and_then(|list| js_sys::Reflect::get(&list, &JsValue::from_f64(0.0)).ok())
        .and_then(|origin| origin.as_string());
    first.or_else(|| {
        let referrer = document().referrer();
        web_sys::Url::new(&referrer).ok().map(|url| url.origin())
    })
}
