//! Controls generated from the params schema: a slider (linear or log) with a
//! number box, a select, or a toggle, each with its label, unit, help and a
//! mark saying whether it applies live or restarts the run.

use leptos::prelude::*;
use thermolab_core::params::{Apply, ParamKind, ParamSpec, Scale, Value};
use thermolab_core::protocol::Request;
use wasm_bindgen::JsCast;

use crate::state::Ui;

/// Slider positions; fine enough for any range, coarse enough to be integers.
const SLIDER_STEPS: f64 = 1000.0;

fn from_position(position: f64, min: f64, max: f64, scale: Scale) -> f64 {
    scale.value_at(position / SLIDER_STEPS, min, max)
}

fn to_position(value: f64, min: f64, max: f64, scale: Scale) -> f64 {
    (scale.fraction(value, min, max) * SLIDER_STEPS).round()
}

/// Three significant digits, without trailing noise.
pub fn format_number(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        let s = format!("{:.4}", x);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

fn input_value(event: &leptos::ev::Event) -> String {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| input.value())
        .unwrap_or_default()
}

fn select_value(event: &leptos::ev::Event) -> String {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .map(|select| select.value())
        .unwrap_or_default()
}

/// Validates `raw` against the spec and sends it, or shows why not.
fn submit_text(ui: Ui, spec: &ParamSpec, raw: &str) {
    match spec.parse(raw) {
        Ok(value) => {
            ui.set_error(&spec.key, None);
            ui.send(&Request::SetParam {
                key: spec.key.clone(),
                value,
            });
        }
        Err(e) => {
            // The run keeps its current value; the box is redrawn with it.
            ui.set_error(
                &spec.key,
                Some(format!("{}; kept the current value.", e.message)),
            );
            ui.params.update(|_| {});
        }
    }
}

#[component]
pub fn ParamControl(spec: ParamSpec) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let key = spec.key.clone();
    let current = {
        let key = key.clone();
        move || {
            ui.params
                .with(|p| p.as_ref().and_then(|p| p.get(&key).cloned()))
        }
    };
    let error = {
        let key = key.clone();
        move || ui.errors.with(|e| e.get(&key).cloned())
    };
    let live = spec.apply == Apply::Live;
    let id = format!("param-{key}");
    let error_testid = format!("error-{key}");
    let input = match spec.kind.clone() {
        ParamKind::Float {
            min, max, scale, ..
        } => numeric(ui, spec.clone(), min, max, scale, current.clone()).into_any(),
        ParamKind::Int {
            min, max, scale, ..
        } => numeric(
            ui,
            spec.clone(),
            min as f64,
            max as f64,
            scale,
            current.clone(),
        )
        .into_any(),
        ParamKind::Choice { options, .. } => {
            let spec = spec.clone();
            let current = current.clone();
            view! {
                <select id=id.clone() data-testid=format!("control-{}", spec.key) on:change=move |ev| submit_text(ui, &spec, &select_value(&ev))>
                    {options
                        .into_iter()
                        .map(|o| {
                            let value = o.value.clone();
                            let current = current.clone();
                            view! {
                                <option value=o.value.clone() selected=move || current() == Some(Value::Text(value.clone()))>
                                    {o.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            }
            .into_any()
        }
        ParamKind::Toggle { .. } => {
            let spec = spec.clone();
            let current = current.clone();
            view! {
                <input
                    type="checkbox"
                    id=id.clone()
                    data-testid=format!("control-{}", spec.key)
                    prop:checked=move || current() == Some(Value::Bool(true))
                    on:change=move |ev| {
                        let checked = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            .map(|i| i.checked())
                            .unwrap_or(false);
                        ui.send(&Request::SetParam { key: spec.key.clone(), value: Value::Bool(checked) });
                    }
                />
            }
            .into_any()
        }
    };
    view! {
        <div class="control" data-key=key>
            <label for=id.clone()>
                {spec.label.clone()}
                <span class="unit">{(!spec.unit.is_empty()).then(|| format!(" ({})", spec.unit))}</span>
                <span
                    class=if live { "mark live" } else { "mark restart" }
                    title=if live { "applies on the next step" } else { "restarts the run" }
                >
                    {if live { "live" } else { "restart" }}
                </span>
            </label>
            {input}
            <p class="help">{spec.help.clone()}</p>
            {move || error().map(|e| view! { <p class="error" role="alert" data-testid=error_testid.clone()>{e}</p> })}
        </div>
    }
}

/// A slider plus a number box for a float or int parameter.
fn numeric(
    ui: Ui,
    spec: ParamSpec,
    min: f64,
    max: f64,
    scale: Scale,
    current: impl Fn() -> Option<Value> + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let is_int = matches!(spec.kind, ParamKind::Int { .. });
    let as_f64 = move |v: Option<Value>| match v {
        Some(Value::Float(x)) => x,
        Some(Value::Int(i)) => i as f64,
        _ => min,
    };
    let position = {
        let current = current.clone();
        move || to_position(as_f64(current()), min, max, scale).to_string()
    };
    let shown = {
        let current = current.clone();
        move || format_number(as_f64(current()))
    };
    let live = spec.apply == Apply::Live;
    let slide = {
        let spec = spec.clone();
        move |raw: String| {
            let Ok(position) = raw.parse::<f64>() else {
                return;
            };
            let x = from_position(position, min, max, scale);
            let value = if is_int {
                Value::Int(x.round() as i64)
            } else {
                Value::Float(x)
            };
            ui.set_error(&spec.key, None);
            ui.send(&Request::SetParam {
                key: spec.key.clone(),
                value,
            });
        }
    };
    let slide_input = slide.clone();
    let box_spec = spec.clone();
    view! {
        <div class="numeric">
            <input
                type="range"
                min="0"
                max=SLIDER_STEPS.to_string()
                step="1"
                aria-label=spec.label.clone()
                data-testid=format!("slider-{}", spec.key)
                prop:value=position
                // Live values follow the thumb; restart values wait for the release.
                on:input=move |ev| if live { slide_input(input_value(&ev)) }
                on:change=move |ev| if !live { slide(input_value(&ev)) }
            />
            <input
                type="text"
                inputmode="decimal"
                class="number"
                id=format!("param-{}", spec.key)
                data-testid=format!("control-{}", spec.key)
                prop:value=shown
                on:change=move |ev| submit_text(ui, &box_spec, &input_value(&ev))
            />
        </div>
    }
}
