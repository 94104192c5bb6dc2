//! Controls generated from the params schema: a slider (linear or log) with a
//! number box, a select, a toggle, or draggable bars for a list, each with
//! its label, unit, help and a mark saying whether it applies live or
//! restarts the run.

use leptos::prelude::*;
use thermolab_core::params::{Apply, ParamKind, ParamSpec, Scale, Value, format_number};
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

/// Sends a value the control produced itself, clearing any earlier error.
pub fn send_value(ui: Ui, key: &str, value: Value) {
    ui.set_error(key, None);
    ui.set_param(key, value);
}

/// Validates `raw` against the spec and sends it, or shows why not.
fn submit_text(ui: Ui, spec: &ParamSpec, raw: &str) {
    match spec.parse(raw) {
        Ok(value) => send_value(ui, &spec.key, value),
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
        ParamKind::FloatList {
            min,
            max,
            pad,
            length_from,
            ..
        } => bars(
            ui,
            spec.clone(),
            (min, max),
            pad,
            length_from,
            current.clone(),
        )
        .into_any(),
        ParamKind::Points { max_points, .. } => {
            let spec = spec.clone();
            let current = current.clone();
            let count = move || match current() {
                Some(Value::List(xs)) => xs.len() / 2,
                _ => 0,
            };
            let (control_id, count_id, clear_id) = (
                format!("control-{}", spec.key),
                format!("count-{}", spec.key),
                format!("clear-{}", spec.key),
            );
            view! {
                <div class="points" data-testid=control_id>
                    <span data-testid=count_id>
                        {move || format!("{} of {max_points} points", count())}
                    </span>
                    " "
                    <button
                        data-testid=clear_id
                        on:click=move |_| send_value(ui, &spec.key, Value::List(Vec::new()))
                    >
                        "Clear"
                    </button>
                </div>
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
                        send_value(ui, &spec.key, Value::Bool(checked));
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
    // While the user types (until Enter or leaving the box), a redraw (a
    // worker restart, another control's change) leaves the text alone.
    let typing = RwSignal::new(false);
    let box_node = NodeRef::<leptos::html::Input>::new();
    let shown = {
        let current = current.clone();
        move || {
            let value = format_number(as_f64(current()));
            if typing.get_untracked() {
                box_node.get_untracked().map_or(value, |node| node.value())
            } else {
                value
            }
        }
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
            send_value(ui, &spec.key, value);
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
                node_ref=box_node
                prop:value=shown
                on:input=move |_| typing.set(true)
                on:change=move |ev| {
                    typing.set(false);
                    submit_text(ui, &box_spec, &input_value(&ev));
                }
            />
        </div>
    }
}

/// Where a pointer at `client_y` puts a bar spanning `element` vertically,
/// rounded to a hundredth of the range.
fn bar_value(element: &web_sys::Element, client_y: f64, min: f64, max: f64) -> f64 {
    let rect = element.get_bounding_client_rect();
    let fraction = 1.0 - ((client_y - rect.top()) / rect.height().max(1.0)).clamp(0.0, 1.0);
    let steps = 100.0;
    min + (fraction * steps).round() / steps * (max - min)
}

/// One bar per item of a list param, dragged up and down to set it (the run
/// restarts on release), and a text box with the numbers for the keyboard.
fn bars(
    ui: Ui,
    spec: ParamSpec,
    (min, max): (f64, f64),
    pad: f64,
    length_from: String,
    current: impl Fn() -> Option<Value> + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let length = move || {
        ui.params
            .with(|p| p.as_ref().and_then(|p| p.int(&length_from).ok()))
            .unwrap_or(0)
            .max(0) as usize
    };
    let committed = move || {
        let list = match current() {
            Some(Value::List(xs)) => xs,
            _ => Vec::new(),
        };
        (0..length())
            .map(|i| list.get(i).copied().unwrap_or(pad))
            .collect::<Vec<f64>>()
    };
    // The list while a bar is dragged; None when nothing is.
    let draft = RwSignal::new(None::<Vec<f64>>);
    let dragging = RwSignal::new(None::<usize>);
    let shown = {
        let committed = committed.clone();
        move || draft.get().unwrap_or_else(committed.clone())
    };
    let drag_to = {
        let shown = shown.clone();
        move |arm: usize, element: &web_sys::Element, client_y: f64| {
            let mut list = shown();
            if let Some(slot) = list.get_mut(arm) {
                *slot = bar_value(element, client_y, min, max);
            }
            draft.set(Some(list));
        }
    };
    let key = spec.key.clone();
    let release = move || {
        dragging.set(None);
        if let Some(list) = draft.get_untracked() {
            send_value(ui, &key, Value::List(list));
        }
        draft.set(None);
    };
    let text_spec = spec.clone();
    let text = {
        let shown = shown.clone();
        move || Value::List(shown()).to_string()
    };
    let bar_views = {
        let shown = shown.clone();
        move || {
            let list = shown();
            list.into_iter()
                .enumerate()
                .map(|(arm, value)| {
                    let height = format!("height: {:.1}%", 100.0 * (value - min) / (max - min));
                    let (down, moved, up) = (drag_to.clone(), drag_to.clone(), release.clone());
                    view! {
                        <div
                            class="bar-slot"
                            data-testid=format!("bar-{arm}")
                            on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                                if let Some(element) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                                    let _ = element.set_pointer_capture(ev.pointer_id());
                                    dragging.set(Some(arm));
                                    down(arm, &element, f64::from(ev.client_y()));
                                }
                            }
                            on:pointermove=move |ev: leptos::ev::PointerEvent| {
                                if dragging.get_untracked() == Some(arm)
                                    && let Some(element) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                {
                                    moved(arm, &element, f64::from(ev.client_y()));
                                }
                            }
                            on:pointerup=move |_| up()
                        >
                            <div class="bar" style=height></div>
                            <span class="bar-value">{format_number(value)}</span>
                        </div>
                    }
                })
                .collect_view()
        }
    };
    view! {
        <div class="bars-control">
            <div class="bars" data-testid=format!("bars-{}", spec.key)>{bar_views}</div>
            <input
                type="text"
                class="number"
                id=format!("param-{}", spec.key)
                data-testid=format!("control-{}", spec.key)
                prop:value=text
                on:change=move |ev| submit_text(ui, &text_spec, &input_value(&ev))
            />
        </div>
    }
}
