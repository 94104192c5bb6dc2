//! Taking a run away and bringing it back: the run as a file (lab, params,
//! seed, steps, version, figures), its series as CSV, a chart as PNG or SVG, and
//! *Open a run*, which loads a run file and replays it to its step.

use leptos::prelude::*;
use thermolab_core::export::{RunRecord, series_csv};
use thermolab_core::url_state::{self, PageState};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::state::Ui;

/// Saves `text` as a file called `name` through a download link.
fn download_text(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
        download_url(name, &url);
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}

fn download_url(name: &str, url: &str) {
    let Some(document) = window().document() else {
        return;
    };
    let Ok(link) = document.create_element("a") else {
        return;
    };
    let link: web_sys::HtmlAnchorElement = link.unchecked_into();
    link.set_href(url);
    link.set_download(name);
    link.click();
}

/// A chart's canvas as a PNG file.
pub fn save_png(canvas: &web_sys::HtmlCanvasElement, name: &str) {
    if let Ok(url) = canvas.to_data_url() {
        download_url(&format!("{name}.png"), &url);
    }
}

/// A chart drawn as SVG, saved as a file.
pub fn save_svg(svg: &str, name: &str) {
    download_text(&format!("{name}.svg"), "image/svg+xml", svg);
}

/// The run bar's export buttons and *Open a run*.
#[component]
pub fn ExportRun() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let file_name = move || {
        let lab = ui
            .page
            .with_untracked(|p| p.lab.clone())
            .unwrap_or_default();
        let step = ui
            .snapshot
            .with_untracked(|s| s.as_ref().map_or(0, |s| s.step));
        format!("thermolab-{lab}-step{step}")
    };
    let save_run = move |_| {
        let Some((_, record)) = ui.current_record() else {
            return;
        };
        download_text(
            &format!("{}.json", file_name()),
            "application/json",
            &record.to_json(),
        );
    };
    let save_csv = move |_| {
        if let Some(snapshot) = ui.snapshot.get_untracked() {
            download_text(
                &format!("{}.csv", file_name()),
                "text/csv",
                &series_csv(&snapshot),
            );
        }
    };
    let open_run = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default();
            if let Err(why) = replay(ui, &text) {
                ui.notice(format!("Could not open the run file: {why}"));
            }
        });
    };
    view! {
        <span class="export">
            <button data-testid="export-run" title="The run as a file: lab, params, seed, steps, figures" on:click=save_run>"Save run"</button>
            <button data-testid="export-csv" title="Every line of every chart, one row per point" on:click=save_csv>"Series CSV"</button>
            <label class="open-run">
                "Open a run… "
                <input type="file" accept=".json,application/json" data-testid="open-run" on:change=open_run />
            </label>
        </span>
    }
}

/// Loads a run file: its lab, params and seed through the link (checked as
/// any link is), then plays to its step and pauses there.
fn replay(ui: Ui, text: &str) -> Result<(), String> {
    let record = RunRecord::parse(text)?;
    let lab = ui
        .labs
        .with_untracked(|labs| {
            labs.as_ref()
                .and_then(|labs| labs.iter().find(|l| l.id == record.lab).cloned())
        })
        .ok_or_else(|| format!("there is no lab called '{}'", record.lab))?;
    let (params, _) = lab.schema.params_from_values(&record.values);
    let state = PageState {
        lab: Some(lab.id.clone()),
        preset: None,
        params: Some(params.clone()),
        seed: record.seed,
        ..ui.page.get_untracked()
    };
    open_at(ui, &url_state::encode(&lab, &params, &state), record.steps);
    Ok(())
}

/// Opens the link `hash` and plays its run to `step`, where it pauses.
pub fn open_at(ui: Ui, hash: &str, step: u64) {
    ui.replay_next(step);
    if window().location().hash().ok().as_deref() == Some(hash) {
        // The same link: no hash change would start the run again.
        ui.apply_hash();
    } else {
        let _ = window().location().set_hash(hash);
    }
}
