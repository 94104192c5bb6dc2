//! Charts drawn with plotters on a canvas: line charts with min-max bands,
//! histograms, heatmaps, scatter plots, particle paths and vector fields;
//! image grids go straight into the canvas's pixels. The worker sends series
//! already downsampled, so drawing costs the same however long the run.

use leptos::html::{Canvas, Div};
use leptos::prelude::*;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters_canvas::CanvasBackend;
use thermolab_core::experiment::{Chart, ChartKind, GalleryStill, Line, PointGroup};
use thermolab_core::params::{Brush, ParamKind, Value};

use crate::controls::send_value;
use crate::export::{save_png, save_svg};
use crate::state::Ui;

type DrawResult = Result<(), Box<dyn std::error::Error>>;
type Area<DB> = DrawingArea<DB, plotters::coord::Shift>;

/// Milliseconds per frame of the trajectories' animation.
const ANIMATION_FRAME_MS: u64 = 40;

/// A points parameter drawn on a chart: its key, extent and capacity.
#[derive(Clone, Debug, PartialEq)]
struct DrawnParam {
    key: String,
    extent: f64,
    max_points: usize,
}

/// Whether the select a brush names holds its option now.
fn brush_holds(ui: Ui, brush: &Brush) -> bool {
    ui.params.with(|p| {
        p.as_ref()
            .is_some_and(|p| p.get(&brush.key) == Some(&Value::Text(brush.option.clone())))
    })
}

/// Drawn points closer than this (in data units) to the last one are skipped,
/// so a slow drag does not pile points up.
const MIN_STROKE_GAP: f64 = 0.08;

/// Height of a chart over its width, unless it fills its box.
const ASPECT: f64 = 0.55;
/// A chart's text grows with its width from this many CSS pixels, up to
/// [`MAX_TEXT_SCALE`] times: what keeps labels readable from the back of a room.
const TEXT_WIDTH: f64 = 520.0;
const MAX_TEXT_SCALE: f64 = 2.0;

/// Sizes of a drawing in canvas pixels: the canvas's own, and its text,
/// strokes and margins, scaled by the screen's pixel ratio and the chart's width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizes {
    pub width: u32,
    pub height: u32,
    /// Canvas pixels per CSS pixel.
    pub pixel_ratio: f64,
    /// Canvas pixels per unit of text, stroke and margin.
    pub unit: f64,
    /// The height is the box's (an image grid stays within it), not the chart's own.
    pub fills: bool,
    /// A picture (a gallery card's): the data alone, without title, axes or
    /// legend, which the card's own text replaces.
    pub bare: bool,
}

impl Sizes {
    /// A chart `css_width` CSS pixels wide and `css_height` tall (or
    /// [`ASPECT`] of its width when `None`).
    pub fn new(css_width: f64, css_height: Option<f64>, pixel_ratio: f64) -> Self {
        let css_width = css_width.max(120.0);
        let shown_height = css_height.unwrap_or(css_width * ASPECT).max(120.0);
        let pixel_ratio = if pixel_ratio.is_finite() && pixel_ratio > 0.0 {
            pixel_ratio
        } else {
            1.0
        };
        Self {
            width: (css_width * pixel_ratio).round() as u32,
            height: (shown_height * pixel_ratio).round() as u32,
            pixel_ratio,
            unit: pixel_ratio * (css_width / TEXT_WIDTH).clamp(1.0, MAX_TEXT_SCALE),
            fills: css_height.is_some(),
            bare: false,
        }
    }

    /// A picture `css_width` wide: see [`Sizes::bare`].
    pub fn picture(css_width: f64, pixel_ratio: f64) -> Self {
        Self {
            bare: true,
            ..Self::new(css_width, None, pixel_ratio)
        }
    }

    /// `x` units in canvas pixels.
    fn px(&self, x: f64) -> u32 {
        (x * self.unit).round().max(1.0) as u32
    }

    fn font(&self, x: f64) -> (&'static str, u32) {
        ("sans-serif", self.px(x))
    }
}

/// One chart of the current snapshot, found by key, redrawn when it changes
/// or its box is resized. Its canvas has as many pixels as the screen shows
/// (crisp on a high-DPI screen); `fill` makes it as tall as its box (the
/// main chart in presenter mode), otherwise its height follows its width.
/// Particle paths animate: they grow from noise to data, a sampling step per
/// frame, then stay drawn whole. A chart named by a points parameter of the
/// lab takes clicks and drags: each stroke adds its points to the parameter.
#[component]
pub fn ChartView(key: String, #[prop(optional, into)] fill: Signal<bool>) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let canvas = NodeRef::<Canvas>::new();
    let frame = NodeRef::<Div>::new();
    let box_size = RwSignal::new((0.0f64, 0.0f64));
    observe_size(frame, box_size);
    let testid = format!("chart-{key}");
    let png_testid = format!("png-{key}");
    let png_name = key.clone();
    let svg_testid = format!("svg-{key}");
    let svg_name = key.clone();
    let shown = StoredValue::new(None::<Chart>);
    let animation = StoredValue::new(None::<IntervalHandle>);
    let plot_area = StoredValue::new(None::<PlotArea>);
    let stroke = StoredValue::new(None::<Vec<[f64; 2]>>);
    let drawn_param = {
        let key = key.clone();
        Memo::new(move |_| {
            ui.lab_info()?
                .schema
                .params
                .iter()
                .find_map(|spec| match &spec.kind {
                    ParamKind::Points {
                        extent,
                        max_points,
                        chart,
                        brush,
                    } if *chart == key && brush.as_ref().is_none_or(|b| brush_holds(ui, b)) => {
                        Some(DrawnParam {
                            key: spec.key.clone(),
                            extent: *extent,
                            max_points: *max_points,
                        })
                    }
                    _ => None,
                })
        })
    };
    let is_images = {
        let key = key.clone();
        move || {
            ui.snapshot.with(|s| {
                s.as_ref().is_some_and(|s| {
                    s.view
                        .charts
                        .iter()
                        .any(|c| c.key == key && matches!(c.kind, ChartKind::Images { .. }))
                })
            })
        }
    };
    let drawn_at = StoredValue::new(None::<Sizes>);
    Effect::new(move |_| {
        let chart = ui.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.view.charts.iter().find(|c| c.key == key).cloned())
        });
        let (css_width, css_height) = box_size.get();
        let (Some(chart), Some(element)) = (chart, canvas.get()) else {
            return;
        };
        if css_width <= 0.0 {
            return;
        }
        let sizes = Sizes::new(
            css_width,
            fill.get().then_some(css_height),
            window().device_pixel_ratio(),
        );
        // Snapshots stream while a lab plays; most leave this chart as it was.
        if shown.with_value(|c| c.as_ref() == Some(&chart)) && drawn_at.get_value() == Some(sizes) {
            return;
        }
        shown.set_value(Some(chart.clone()));
        drawn_at.set_value(Some(sizes));
        size_canvas(&element, sizes);
        if let Some(handle) = animation.get_value() {
            handle.clear();
            animation.set_value(None);
        }
        // Says, for tests, whether trajectories are growing frame by frame.
        let _ = element.remove_attribute("data-animating");
        let fixed = drawn_param.get_untracked().map(|d| d.extent);
        let frames = match &chart.kind {
            ChartKind::Paths { paths } => paths.first().map_or(0, Vec::len),
            _ => 0,
        };
        if frames < 2 || prefers_reduced_motion() {
            match draw(element, &chart, fixed, sizes) {
                Ok(area) => plot_area.set_value(area),
                Err(e) => warn_on_error::<()>(&chart, Err(e)),
            }
            return;
        }
        let _ = element.set_attribute("data-animating", "true");
        let shown_frames = std::rc::Rc::new(std::cell::Cell::new(1));
        let handle = set_interval_with_handle(
            move || {
                let length = shown_frames.get();
                if length > frames {
                    // Drawn whole: the timer has nothing left to do.
                    if let Some(handle) = animation.get_value() {
                        handle.clear();
                        animation.set_value(None);
                    }
                    let _ = element.remove_attribute("data-animating");
                    return;
                }
                shown_frames.set(length + 1);
                let mut partial = chart.clone();
                if let ChartKind::Paths { paths } = &mut partial.kind {
                    paths.iter_mut().for_each(|path| path.truncate(length));
                }
                warn_on_error(&chart, draw(element.clone(), &partial, None, sizes));
            },
            std::time::Duration::from_millis(ANIMATION_FRAME_MS),
        );
        animation.set_value(handle.ok());
    });
    // The data point under the pointer, and a dot there at once (the worker's
    // snapshot with the new points follows the stroke's end).
    let add_point = move |ev: &leptos::ev::PointerEvent| {
        let (Some(element), Some(area)) = (canvas.get_untracked(), plot_area.get_value()) else {
            return;
        };
        let scale = f64::from(element.width()) / f64::from(element.client_width().max(1));
        let (px, py) = (
            f64::from(ev.offset_x()) * scale,
            f64::from(ev.offset_y()) * scale,
        );
        let Some([x, y]) = area.data_at(px, py) else {
            return;
        };
        let point = [(x * 100.0).round() / 100.0, (y * 100.0).round() / 100.0];
        stroke.update_value(|stroke| {
            if let Some(points) = stroke {
                let far = points.last().is_none_or(|last: &[f64; 2]| {
                    (last[0] - point[0]).hypot(last[1] - point[1]) >= MIN_STROKE_GAP
                });
                if far {
                    points.push(point);
                    if let Ok(context) = context_2d(&element) {
                        let half = 2.5 * scale;
                        context.set_fill_style_str("rgba(0, 0, 0, 0.8)");
                        context.fill_rect(px - half, py - half, 2.0 * half, 2.0 * half);
                    }
                }
            }
        });
    };
    let end_stroke = move || {
        let Some(points) = stroke.try_update_value(Option::take).flatten() else {
            return;
        };
        let Some(param) = drawn_param.get_untracked() else {
            return;
        };
        // On top of the strokes still on their way to the worker.
        let mut list = match ui.latest_value(&param.key) {
            Some(Value::List(xs)) => xs,
            _ => Vec::new(),
        };
        let before = list.len();
        list.extend(points.iter().flatten());
        if list.len() > 2 * param.max_points {
            list.truncate(2 * param.max_points);
            // The worker's answer to a change clears the control's error, so
            // a full list that gained nothing is not sent again.
            if list.len() > before {
                ui.set_param(&param.key, Value::List(list));
            }
            ui.set_error(
                &param.key,
                Some(format!(
                    "At most {} points; the rest were not added.",
                    param.max_points
                )),
            );
        } else {
            send_value(ui, &param.key, Value::List(list));
        }
    };
    let drawable = move || drawn_param.get().is_some();
    view! {
        <div class="chart-box" class:images=is_images class:fill=move || fill.get() node_ref=frame>
        <canvas
            node_ref=canvas
            class="chart"
            class:drawable=drawable
            data-testid=testid
            on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                if drawn_param.get_untracked().is_some() {
                    if let Some(element) = canvas.get_untracked() {
                        let _ = element.set_pointer_capture(ev.pointer_id());
                    }
                    stroke.set_value(Some(Vec::new()));
                    add_point(&ev);
                }
            }
            on:pointermove=move |ev: leptos::ev::PointerEvent| add_point(&ev)
            on:pointerup=move |_| end_stroke()
            on:pointercancel=move |_| end_stroke()
        ></canvas>
        <button
            class="save-png"
            data-testid=png_testid
            title="Save this chart as a PNG image"
            on:click=move |_| {
                if let Some(element) = canvas.get_untracked() {
                    save_png(&element, &format!("thermolab-{}", png_name));
                }
            }
        >"PNG"</button>
        <button
            class="save-svg"
            data-testid=svg_testid
            title="Save this chart as an SVG drawing"
            on:click=move |_| {
                let (Some(element), Some(chart), Some(sizes)) =
                    (canvas.get_untracked(), shown.get_value(), drawn_at.get_value())
                else {
                    return;
                };
                let fixed = drawn_param.get_untracked().map(|d| d.extent);
                match svg_of(&chart, &element, fixed, sizes) {
                    Ok(svg) => save_svg(&svg, &format!("thermolab-{}", svg_name)),
                    Err(e) => warn_on_error::<()>(&chart, Err(e)),
                }
            }
        >"SVG"</button>
        </div>
    }
}

/// A lab's gallery picture: the chart its lab drew from its still recipe at
/// build time (`cargo xtask gallery` writes `public/gallery/<id>.json`),
/// fetched and drawn at its card's width. A missing file leaves the card
/// without a picture, and says why in the console.
#[component]
pub fn StillView(id: String, lab_title: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let frame = NodeRef::<Div>::new();
    let box_size = RwSignal::new((0.0f64, 0.0f64));
    observe_size(frame, box_size);
    let chart = RwSignal::new(None::<Chart>);
    let url = format!("public/gallery/{id}.json");
    // Once, when the card is on the page: a card the page replaces before
    // then (a lab's link opened) fetches nothing.
    Effect::new(move |_| {
        let url = url.clone();
        leptos::task::spawn_local(async move {
            match fetch_still(&url).await {
                Ok(still) => chart.set(Some(still.chart)),
                Err(e) => web_sys::console::warn_1(&format!("gallery still {url}: {e}").into()),
            }
        });
    });
    let drawn = RwSignal::new(false);
    Effect::new(move |_| {
        let (css_width, _) = box_size.get();
        let (Some(element), Some(chart)) = (canvas.get(), chart.get()) else {
            return;
        };
        if css_width <= 0.0 {
            return;
        }
        let sizes = Sizes::picture(css_width, window().device_pixel_ratio());
        size_canvas(&element, sizes);
        warn_on_error(&chart, draw(element, &chart, None, sizes));
        drawn.set(true);
    });
    let label = move || {
        chart.with(|c| match c {
            Some(c) => format!("{lab_title}: {}", c.title),
            None => lab_title.clone(),
        })
    };
    view! {
        <div class="chart-box still" node_ref=frame>
            <canvas
                node_ref=canvas
                class="chart"
                role="img"
                aria-label=label
                data-testid=format!("still-{id}")
                data-drawn=move || drawn.get().to_string()
            ></canvas>
        </div>
    }
}

async fn fetch_still(url: &str) -> Result<GalleryStill, gloo_net::Error> {
    gloo_net::http::Request::get(url).send().await?.json().await
}

/// Keeps `size` at the CSS width and height of the element `frame` holds.
fn observe_size(frame: NodeRef<Div>, size: RwSignal<(f64, f64)>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    type Observing = (web_sys::ResizeObserver, Closure<dyn FnMut()>);
    let observing = StoredValue::new_local(None::<Observing>);
    Effect::new(move |_| {
        let Some(element) = frame.get() else {
            return;
        };
        let target = element.clone();
        let measure = move || {
            let measured = (
                f64::from(element.client_width()),
                f64::from(element.client_height()),
            );
            if size.get_untracked() != measured {
                size.set(measured);
            }
        };
        measure.clone()();
        let on_resize = Closure::<dyn FnMut()>::new(measure);
        if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            observer.observe(&target);
            observing.set_value(Some((observer, on_resize)));
        }
    });
    on_cleanup(move || {
        observing.try_with_value(|observing| {
            if let Some((observer, _)) = observing {
                observer.disconnect();
            }
        });
    });
}

/// Gives `canvas` the pixels `sizes` asks for, shown at their CSS size.
fn size_canvas(canvas: &web_sys::HtmlCanvasElement, sizes: Sizes) {
    if canvas.width() != sizes.width {
        canvas.set_width(sizes.width);
    }
    if canvas.height() != sizes.height {
        canvas.set_height(sizes.height);
    }
    show_height(canvas, sizes.pixel_ratio);
}

/// Shows `canvas` as tall, in CSS pixels, as its pixels at `pixel_ratio`.
fn show_height(canvas: &web_sys::HtmlCanvasElement, pixel_ratio: f64) {
    let css_height = f64::from(canvas.height()) / pixel_ratio;
    let _ =
        web_sys::HtmlElement::style(canvas).set_property("height", &format!("{css_height:.1}px"));
}

fn warn_on_error<T>(chart: &Chart, result: Result<T, Box<dyn std::error::Error>>) {
    if let Err(e) = result {
        web_sys::console::warn_1(&format!("chart {}: {e}", chart.key).into());
    }
}

fn context_2d(
    canvas: &web_sys::HtmlCanvasElement,
) -> Result<web_sys::CanvasRenderingContext2d, Box<dyn std::error::Error>> {
    use wasm_bindgen::JsCast;
    Ok(canvas
        .get_context("2d")
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no 2-D canvas context")?
        .dyn_into()
        .map_err(|_| "not a 2-D canvas context")?)
}

/// Where a scatter's plot sits on the canvas, in canvas pixels, and the data
/// ranges it shows: what turns a pointer position back into data.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PlotArea {
    pixels_x: (f64, f64),
    pixels_y: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
}

impl PlotArea {
    /// The data point under canvas pixel (px, py), if inside the plot.
    fn data_at(&self, px: f64, py: f64) -> Option<[f64; 2]> {
        let fx = (px - self.pixels_x.0) / (self.pixels_x.1 - self.pixels_x.0);
        let fy = (py - self.pixels_y.0) / (self.pixels_y.1 - self.pixels_y.0);
        ((0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy)).then_some([
            self.x.0 + fx * (self.x.1 - self.x.0),
            self.y.1 - fy * (self.y.1 - self.y.0),
        ])
    }
}

/// Draws `chart` at `sizes`; `fixed` frames a scatter at [-fixed, fixed]^2.
/// Returns the scatter's plot area.
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    chart: &Chart,
    fixed: Option<f64>,
    sizes: Sizes,
) -> Result<Option<PlotArea>, Box<dyn std::error::Error>> {
    if let ChartKind::Images {
        side,
        columns,
        range,
        images,
    } = &chart.kind
    {
        draw_images(&canvas, chart, [*side, *columns], *range, images, sizes)?;
        return Ok(None);
    }
    let context = context_2d(&canvas)?;
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D canvas context")?;
    let root = backend.into_drawing_area();
    let area = draw_on(&root, Some(&context), chart, fixed, sizes)?;
    root.present()?;
    Ok(area)
}

/// Draws `chart` (not an image grid) on `root`: a canvas, whose `context`
/// draws a scatter's points, or an SVG document.
fn draw_on<DB: DrawingBackend>(
    root: &Area<DB>,
    context: Option<&web_sys::CanvasRenderingContext2d>,
    chart: &Chart,
    fixed: Option<f64>,
    sizes: Sizes,
) -> Result<Option<PlotArea>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut area = None;
    match &chart.kind {
        ChartKind::Lines {
            lines,
            log_x,
            log_y,
        } => draw_lines(root, chart, lines, [*log_x, *log_y], sizes)?,
        ChartKind::Histogram { edges, counts } => {
            draw_histogram(root, chart, edges, counts, sizes)?
        }
        ChartKind::Heatmap {
            x_range,
            y_range,
            cols,
            rows,
            values,
            arrows,
            marks,
        } => {
            area = draw_heatmap(
                root,
                chart,
                (*x_range, *y_range),
                [*cols, *rows],
                values,
                (arrows, marks),
                sizes,
            )?;
        }
        ChartKind::Scatter { groups } => {
            area = draw_scatter(root, context, chart, groups, fixed, sizes)?;
        }
        ChartKind::Paths { paths } => draw_paths(root, chart, paths, sizes)?,
        ChartKind::Arrows { arrows } => draw_arrows(root, chart, arrows, sizes)?,
        ChartKind::Images { .. } => return Err("an image grid is drawn into pixels".into()),
    }
    Ok(area)
}

/// `chart` as an SVG document at `sizes`, the same drawing as on the
/// canvas. An image grid is pixels already: the canvas's PNG, inside an SVG.
fn svg_of(
    chart: &Chart,
    canvas: &web_sys::HtmlCanvasElement,
    fixed: Option<f64>,
    sizes: Sizes,
) -> Result<String, Box<dyn std::error::Error>> {
    if matches!(chart.kind, ChartKind::Images { .. }) {
        let png = canvas.to_data_url().map_err(|e| format!("{e:?}"))?;
        let (width, height) = (canvas.width(), canvas.height());
        return Ok(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\"><image width=\"{width}\" height=\"{height}\" href=\"{png}\"/></svg>\n"
        ));
    }
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (sizes.width, sizes.height)).into_drawing_area();
        draw_on(&root, None, chart, fixed, sizes)?;
        root.present()?;
    }
    Ok(svg)
}

/// An axis label with three significant digits: log axes put ticks at
/// values like 31.6228, which read better as 31.6 (and a rate that changes
/// every snapshot flickers less).
pub fn format_tick(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor();
    if (-3.0..6.0).contains(&magnitude) {
        let decimals = (2.0 - magnitude).max(0.0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{x:.2e}")
    }
}

fn plain_ticks(x: &f64) -> String {
    format_tick(*x)
}

fn draw_lines<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    lines: &[Line],
    [log_x, log_y]: [bool; 2],
    sizes: Sizes,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let points = lines.iter().flat_map(|l| l.points.iter());
    let Some([x0, x1, y0, y1]) = extent(points.map(|p| (p.x, p.min, p.max))) else {
        return no_data(root, chart, sizes);
    };
    // Log axes plot log10 on a linear axis and label it back.
    let log_x = log_x && x0 > 0.0;
    let log_y = log_y && y0 > 0.0;
    let tx = move |x: f64| if log_x { x.log10() } else { x };
    let ty = move |y: f64| if log_y { y.log10() } else { y };
    let (x0, x1, y0, y1) = (tx(x0), tx(x1), ty(y0), ty(y1));
    let pad = ((y1 - y0) * 0.08).max(1e-9);
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let mut cc =
        frame(root, &chart.title, sizes).build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
    axes(
        &mut cc,
        chart,
        sizes,
        true,
        [
            &|v: &f64| format_tick(if log_x { 10f64.powf(*v) } else { *v }),
            &|v: &f64| format_tick(if log_y { 10f64.powf(*v) } else { *v }),
        ],
    )?;
    for (i, line) in lines.iter().enumerate() {
        let color = series_color(line.color.unwrap_or(i)).to_rgba();
        let (thin, thick, dash) = (sizes.px(1.0), sizes.px(2.5), sizes.px(6.0));
        if line.band && line.points.len() > 1 {
            let upper = line.points.iter().map(|p| (tx(p.x), ty(p.max)));
            let lower = line.points.iter().rev().map(|p| (tx(p.x), ty(p.min)));
            cc.draw_series(std::iter::once(Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                color.mix(0.2),
            )))?;
        }
        let points = line.points.iter().map(|p| (tx(p.x), ty(p.mean)));
        let drawn = if line.guide {
            cc.draw_series(DashedLineSeries::new(
                points,
                dash,
                dash * 2 / 3,
                color.stroke_width(thin),
            ))?
        } else {
            cc.draw_series(LineSeries::new(points, color.stroke_width(thick)))?
        };
        let marker = sizes.px(16.0) as i32;
        drawn.label(line.label.as_str()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + marker, y)], color.stroke_width(thick))
        });
        if line.points.len() == 1 {
            let p = line.points[0];
            cc.draw_series(std::iter::once(Circle::new(
                (tx(p.x), ty(p.mean)),
                sizes.px(3.0),
                color.filled(),
            )))?;
        }
    }
    legend(&mut cc, sizes)
}

/// Caption 17 units, ticks 13, axis names 14, legends 14: at the width of a
/// desktop chart, read from a few metres.
const CAPTION_TEXT: f64 = 17.0;
const TICK_TEXT: f64 = 13.0;
const AXIS_TEXT: f64 = 14.0;
const LEGEND_TEXT: f64 = 14.0;

/// A chart's caption, margins and label areas at `sizes`.
fn frame<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    title: &str,
    sizes: Sizes,
) -> ChartBuilder<'a, 'a, DB> {
    let mut builder = ChartBuilder::on(root);
    if sizes.bare {
        builder.margin(sizes.px(6.0));
        return builder;
    }
    builder
        .caption(title, sizes.font(CAPTION_TEXT))
        .margin(sizes.px(8.0))
        .x_label_area_size(sizes.px(40.0))
        .y_label_area_size(sizes.px(64.0));
    builder
}

/// Axes with their names and ticks (`ticks` formats x, then y), a grid
/// behind unless `grid` is off; nothing on a bare drawing.
fn axes<DB: DrawingBackend>(
    cc: &mut Plane<'_, DB>,
    chart: &Chart,
    sizes: Sizes,
    grid: bool,
    [x_ticks, y_ticks]: [&dyn Fn(&f64) -> String; 2],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if sizes.bare {
        return Ok(());
    }
    let mut mesh = cc.configure_mesh();
    if !grid {
        mesh.disable_mesh();
    }
    mesh.label_style(sizes.font(TICK_TEXT))
        .axis_desc_style(sizes.font(AXIS_TEXT))
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(x_ticks)
        .y_label_formatter(y_ticks)
        .draw()?;
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    cc: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    sizes: Sizes,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if sizes.bare {
        return Ok(());
    }
    cc.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(sizes.font(LEGEND_TEXT))
        .margin(sizes.px(8.0))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

fn draw_histogram<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    edges: &[f64],
    counts: &[u64],
    sizes: Sizes,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (Some(&lo), Some(&hi)) = (edges.first(), edges.last()) else {
        return no_data(root, chart, sizes);
    };
    // `partial_cmp` also catches NaN edges.
    if counts.iter().all(|c| *c == 0) || hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return no_data(root, chart, sizes);
    }
    let top = counts.iter().copied().max().unwrap_or(1) as f64 * 1.1;
    let mut cc = frame(root, &chart.title, sizes).build_cartesian_2d(lo..hi, 0.0..top)?;
    axes(&mut cc, chart, sizes, true, [&plain_ticks, &plain_ticks])?;
    let color = series_color(0).to_rgba();
    cc.draw_series(
        counts.iter().zip(edges.windows(2)).map(|(c, e)| {
            Rectangle::new([(e[0], 0.0), (e[1], *c as f64)], color.mix(0.7).filled())
        }),
    )?;
    Ok(())
}

/// `[x min, x max, y min, y max]` of points given as (x, y low, y high);
/// `None` when there is nothing finite to frame.
fn extent(points: impl Iterator<Item = (f64, f64, f64)>) -> Option<[f64; 4]> {
    let start = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let [x0, x1, y0, y1] = points.fold(start, |[x0, x1, y0, y1], (x, lo, hi)| {
        [x0.min(x), x1.max(x), y0.min(lo), y1.max(hi)]
    });
    (x0.is_finite() && y0.is_finite()).then_some([x0, x1, y0, y1])
}

fn no_data<DB: DrawingBackend>(root: &Area<DB>, chart: &Chart, sizes: Sizes) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.draw(&Text::new(
        format!("{}: no data yet", chart.title),
        (sizes.px(20.0) as i32, sizes.px(40.0) as i32),
        sizes.font(CAPTION_TEXT).into_font(),
    ))?;
    Ok(())
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    ([x0, x1], [y0, y1]): ([f64; 2], [f64; 2]),
    [cols, rows]: [usize; 2],
    values: &[f64],
    (arrows, marks): (&[[f32; 4]], &[PointGroup]),
    sizes: Sizes,
) -> Result<Option<PlotArea>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if cols * rows != values.len() || cols == 0 || !(lo.is_finite() && x1 > x0 && y1 > y0) {
        no_data(root, chart, sizes)?;
        return Ok(None);
    }
    let title = format!(
        "{}  ({} to {})",
        chart.title,
        format_tick(lo),
        format_tick(hi)
    );
    let mut cc = frame(root, &title, sizes).build_cartesian_2d(x0..x1, y0..y1)?;
    axes(&mut cc, chart, sizes, false, [&plain_ticks, &plain_ticks])?;
    let (dx, dy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    // A flat field draws mid-scale rather than dividing by zero.
    let span = if hi > lo { hi - lo } else { 1.0 };
    cc.draw_series(values.iter().enumerate().map(|(i, v)| {
        let (col, row) = ((i % cols) as f64, (i / cols) as f64);
        let level = if v.is_finite() { (v - lo) / span } else { 0.5 };
        let color = ViridisRGB::get_color(level as f32);
        Rectangle::new(
            [
                (x0 + col * dx, y0 + row * dy),
                (x0 + (col + 1.0) * dx, y0 + (row + 1.0) * dy),
            ],
            color.filled(),
        )
    }))?;
    // Painted cells: a square inset in the cell, one colour per kind, named in the legend.
    for (i, group) in marks.iter().enumerate() {
        let color = MARK_COLORS[i % MARK_COLORS.len()];
        cc.draw_series(group.points.iter().map(|p| {
            let (x, y) = (f64::from(p[0]), f64::from(p[1]));
            Rectangle::new(
                [(x - 0.3 * dx, y - 0.3 * dy), (x + 0.3 * dx, y + 0.3 * dy)],
                color.filled(),
            )
        }))?
        .label(group.label.clone())
        .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 8, y + 4)], color.filled()));
    }
    let ink = WHITE.stroke_width(sizes.px(1.5));
    cc.draw_series(
        arrows
            .iter()
            .filter(|a| a.iter().all(|v| v.is_finite()))
            .map(|a| {
                let (x, y) = (f64::from(a[0]), f64::from(a[1]));
                let (tip_x, tip_y) = (x + f64::from(a[2]), y + f64::from(a[3]));
                PathElement::new(vec![(x, y), (tip_x, tip_y)], ink)
            }),
    )?;
    cc.draw_series(
        arrows
            .iter()
            .filter(|a| a.iter().all(|v| v.is_finite()))
            .map(|a| {
                Circle::new(
                    (f64::from(a[0] + a[2]), f64::from(a[1] + a[3])),
                    sizes.px(2.0) as i32,
                    WHITE.filled(),
                )
            }),
    )?;
    if !marks.is_empty() {
        legend(&mut cc, sizes)?;
    }
    let (pixels_x, pixels_y) = cc.plotting_area().get_pixel_range();
    Ok(Some(PlotArea {
        pixels_x: (f64::from(pixels_x.start), f64::from(pixels_x.end)),
        pixels_y: (f64::from(pixels_y.start), f64::from(pixels_y.end)),
        x: (x0, x1),
        y: (y0, y1),
    }))
}

/// Painted cells: walls black, rewards green, penalties red, the goal gold.
/// The reader asked the system for less motion: trajectories are drawn
/// whole instead of growing frame by frame.
fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches())
}

/// Okabe and Ito's colour-blind-safe qualitative palette ("Color Universal
/// Design", 2002), black last: series i gets colour i, wrapping after eight.
const SERIES_COLORS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

fn series_color(i: usize) -> RGBColor {
    SERIES_COLORS[i % SERIES_COLORS.len()]
}

const MARK_COLORS: [RGBColor; 4] = [
    RGBColor(20, 20, 20),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];

type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// x-y axes framing `points` with a 5% margin, or the square
/// [-extent, extent]^2 when one is given (a chart the user draws on must not
/// move under the pointer); `None` when there is nothing to frame.
fn plane<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    chart: &Chart,
    points: impl Iterator<Item = [f32; 2]>,
    fixed: Option<f64>,
    sizes: Sizes,
) -> Result<Option<Plane<'a, DB>>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let framed = match fixed {
        Some(e) => Some([-e, e, -e, e]),
        None => extent(
            points
                .filter(|p| p[0].is_finite() && p[1].is_finite())
                .map(|p| (f64::from(p[0]), f64::from(p[1]), f64::from(p[1]))),
        ),
    };
    let Some([x0, x1, y0, y1]) = framed else {
        return Ok(None);
    };
    let pad = |lo: f64, hi: f64| {
        if fixed.is_some() {
            0.0
        } else {
            ((hi - lo) * 0.05).max(1e-9)
        }
    };
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let mut cc = frame(root, &chart.title, sizes)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))?;
    axes(&mut cc, chart, sizes, true, [&plain_ticks, &plain_ticks])?;
    Ok(Some(cc))
}

/// Axes and legend by plotters; on a canvas (`context`), points as 2 x 2
/// squares straight on it, one fill style per group: a plotters element per
/// point is a path of its own and stalls the page on clouds of 10,000+
/// particles. Elsewhere (an SVG file) each point is a plotters square.
fn draw_scatter<DB: DrawingBackend>(
    root: &Area<DB>,
    context: Option<&web_sys::CanvasRenderingContext2d>,
    chart: &Chart,
    groups: &[PointGroup],
    fixed: Option<f64>,
    sizes: Sizes,
) -> Result<Option<PlotArea>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let Some(mut cc) = plane(
        root,
        chart,
        groups.iter().flat_map(|g| g.points.iter().copied()),
        fixed,
        sizes,
    )?
    else {
        no_data(root, chart, sizes)?;
        return Ok(None);
    };
    let (x, y) = (cc.x_range(), cc.y_range());
    let (pixels_x, pixels_y) = cc.plotting_area().get_pixel_range();
    let area = PlotArea {
        pixels_x: (f64::from(pixels_x.start), f64::from(pixels_x.end)),
        pixels_y: (f64::from(pixels_y.start), f64::from(pixels_y.end)),
        x: (x.start, x.end),
        y: (y.start, y.end),
    };
    for (i, group) in groups.iter().enumerate() {
        let color = series_color(i).to_rgba();
        let legend = if group.marked { BLACK.to_rgba() } else { color };
        let (fill, size) = if group.marked {
            (BLACK.mix(0.85), 6.0)
        } else {
            (color.mix(0.6), 2.0)
        };
        let size = size * sizes.pixel_ratio;
        // Points off a fixed frame would land on the axes.
        let inside = group
            .points
            .iter()
            .map(|p| (f64::from(p[0]), f64::from(p[1])))
            .filter(|&(px, py)| {
                area.x.0 <= px && px <= area.x.1 && area.y.0 <= py && py <= area.y.1
            });
        match context {
            Some(context) => {
                let (r, g, b) = fill.rgb();
                context.set_fill_style_str(&format!("rgba({r}, {g}, {b}, {})", fill.alpha()));
                let half = size / 2.0;
                for point in inside {
                    let (x, y) = cc.backend_coord(&point);
                    context.fill_rect(f64::from(x) - half, f64::from(y) - half, size, size);
                }
            }
            None => {
                let half = (size / 2.0).round().max(1.0) as i32;
                cc.draw_series(inside.map(|point| {
                    EmptyElement::at(point)
                        + Rectangle::new([(-half, -half), (half, half)], fill.filled())
                }))?;
            }
        }
        let (offset, radius) = (sizes.px(8.0) as i32, sizes.px(3.0) as i32);
        cc.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(group.label.as_str())
            .legend(move |(x, y)| Circle::new((x + offset, y), radius, legend.filled()));
    }
    legend(&mut cc, sizes)?;
    Ok(Some(area))
}

fn draw_paths<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    paths: &[Vec<[f32; 2]>],
    sizes: Sizes,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let Some(mut cc) = plane(root, chart, paths.iter().flatten().copied(), None, sizes)? else {
        return no_data(root, chart, sizes);
    };
    let point = |p: &[f32; 2]| (f64::from(p[0]), f64::from(p[1]));
    let line = series_color(1)
        .to_rgba()
        .mix(0.25)
        .stroke_width(sizes.px(1.0));
    cc.draw_series(
        paths
            .iter()
            .map(|path| PathElement::new(path.iter().map(point).collect::<Vec<_>>(), line)),
    )?;
    let end = series_color(1).to_rgba();
    cc.draw_series(
        paths
            .iter()
            .filter_map(|path| path.last())
            .map(|p| Circle::new(point(p), sizes.px(2.0), end.filled())),
    )?;
    Ok(())
}

/// Arrows scaled so the longest spans one grid cell (the grid's spacing is
/// the smallest gap between distinct x positions).
fn draw_arrows<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    arrows: &[[f32; 4]],
    sizes: Sizes,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let Some(mut cc) = plane(
        root,
        chart,
        arrows.iter().map(|a| [a[0], a[1]]),
        None,
        sizes,
    )?
    else {
        return no_data(root, chart, sizes);
    };
    let mut xs: Vec<f64> = arrows.iter().map(|a| f64::from(a[0])).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let cell = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let longest = arrows
        .iter()
        .map(|a| f64::from(a[2]).hypot(f64::from(a[3])))
        .filter(|l| l.is_finite())
        .fold(0.0, f64::max);
    if !cell.is_finite() || longest == 0.0 {
        return Ok(());
    }
    let scale = 0.9 * cell / longest;
    let color = series_color(0).to_rgba().stroke_width(sizes.px(1.0));
    cc.draw_series(
        arrows
            .iter()
            .filter(|a| a.iter().all(|v| v.is_finite()))
            .map(|a| {
                let (x, y) = (f64::from(a[0]), f64::from(a[1]));
                let (dx, dy) = (scale * f64::from(a[2]), scale * f64::from(a[3]));
                // A head: two short strokes back from the tip at +-25 degrees.
                let (tip_x, tip_y) = (x + dx, y + dy);
                let back = |turn: f64| {
                    let (c, s) = (turn.cos(), turn.sin());
                    (
                        tip_x - 0.3 * (c * dx - s * dy),
                        tip_y - 0.3 * (s * dx + c * dy),
                    )
                };
                PathElement::new(
                    vec![
                        (x, y),
                        (tip_x, tip_y),
                        back(0.44),
                        (tip_x, tip_y),
                        back(-0.44),
                    ],
                    color,
                )
            }),
    )?;
    Ok(())
}

/// The most canvas pixels per image pixel, per CSS pixel; the gap between
/// images and the room for the title above them, in [`Sizes::unit`]s.
const MAX_IMAGE_SCALE: f64 = 16.0;
const IMAGE_GAP: f64 = 2.0;
const IMAGE_TOP: f64 = 28.0;

/// A grid of grey images written into the canvas's pixels with one
/// putImageData: through plotters each pixel would be a call of its own,
/// ~20,000 per grid of digits. The images take the canvas's width; its
/// height follows the grid's rows (within the canvas's height when it
/// fills a box).
fn draw_images(
    canvas: &web_sys::HtmlCanvasElement,
    chart: &Chart,
    [side, columns]: [usize; 2],
    [white, black]: [f32; 2],
    images: &[Vec<f32>],
    sizes: Sizes,
) -> DrawResult {
    let context = context_2d(canvas)?;
    let (columns, side) = (columns.max(1), side.max(1));
    let rows = images.len().div_ceil(columns).max(1);
    let gap = sizes.px(IMAGE_GAP) as usize;
    let top = if sizes.bare {
        0
    } else {
        sizes.px(IMAGE_TOP) as usize
    };
    let width = sizes.width as usize;
    let fit_width = width.saturating_sub(gap * columns) / (columns * side);
    let fit_height = (sizes.height as usize).saturating_sub(top + gap * rows) / (rows * side);
    let fit = if sizes.fills {
        fit_width.min(fit_height)
    } else {
        fit_width
    };
    let scale = fit.clamp(1, (MAX_IMAGE_SCALE * sizes.pixel_ratio) as usize);
    let cell = side * scale + gap;
    if sizes.bare {
        // The grid alone, its pixels stretched (pixelated) to the card's width.
        canvas.set_width((columns * cell) as u32);
        canvas.set_height((rows * cell) as u32);
        let _ = web_sys::HtmlElement::style(canvas).set_property("height", "auto");
    } else if !sizes.fills {
        canvas.set_height((top + rows * cell) as u32);
        show_height(canvas, sizes.pixel_ratio);
    }
    context.set_fill_style_str("white");
    context.fill_rect(0.0, 0.0, width as f64, f64::from(canvas.height()));
    if !sizes.bare {
        context.set_fill_style_str("black");
        context.set_font(&format!("{}px sans-serif", sizes.px(CAPTION_TEXT)));
        let title = if images.is_empty() {
            format!("{}: no data yet", chart.title)
        } else {
            chart.title.clone()
        };
        context
            .fill_text(&title, f64::from(sizes.px(8.0)), f64::from(sizes.px(20.0)))
            .map_err(|e| format!("{e:?}"))?;
    }
    if images.is_empty() {
        return Ok(());
    }
    let (grid_width, grid_height) = (columns * cell, rows * cell);
    let mut rgba = vec![255u8; grid_width * grid_height * 4];
    let span = if black == white { 1.0 } else { black - white };
    for (k, image) in images.iter().enumerate() {
        let (row, column) = (k / columns, k % columns);
        for (p, value) in image.iter().enumerate().take(side * side) {
            let ink = if value.is_finite() {
                ((value - white) / span).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let grey = (255.0 * (1.0 - ink)) as u8;
            let (y0, x0) = (
                row * cell + (p / side) * scale,
                column * cell + (p % side) * scale,
            );
            for y in y0..y0 + scale {
                let start = (y * grid_width + x0) * 4;
                for pixel in rgba[start..start + scale * 4].chunks_exact_mut(4) {
                    pixel[..3].fill(grey);
                }
            }
        }
    }
    let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(&rgba),
        grid_width as u32,
        grid_height as u32,
    )
    .map_err(|e| format!("{e:?}"))?;
    let left = (canvas.width() as usize).saturating_sub(grid_width) / 2;
    let left = left as f64;
    context
        .put_image_data(&data, left, top as f64)
        .map_err(|e| format!("{e:?}"))?;
    canvas
        .dataset()
        .set(
            "imageScale",
            &format!("{}", scale as f64 / sizes.pixel_ratio),
        )
        .map_err(|e| format!("{e:?}"))?;
    Ok(())
}
