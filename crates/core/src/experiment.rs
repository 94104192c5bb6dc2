//! What a lab tells the world about itself, and the snapshots a running
//! experiment sends to whoever draws it (the lab kit defines the Lab trait).

use serde::{Deserialize, Serialize};

use crate::params::{ParamError, ParamSpec, Schema};
use crate::series::{Bucket, Series};

/// Keys the runner owns; no lab may declare a parameter with these names.
pub const RESERVED_KEYS: [&str; 8] = [
    "lab", "seed", "speed", "embed", "hide", "preset", "controls", "origin",
];

/// Largest seed: 2^53 - 1, so it survives a round trip through a JavaScript number.
pub const MAX_SEED: i64 = (1 << 53) - 1;

/// Parameters of the run itself, shared by every lab: the seed and how many
/// steps the worker takes between two snapshots.
pub fn runner_schema() -> Schema {
    Schema::new(vec![
        ParamSpec::int("seed", "Seed", 0, MAX_SEED, 1)
            .help("Every random number of the run is a function of this seed."),
        ParamSpec::int("speed", "Speed", 1, 1000, 1)
            .log()
            .live()
            .unit("steps/frame")
            .help("Steps computed between two redraws."),
    ])
}

/// What a lab tells the gallery, the controls and the docs about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabInfo {
    pub id: String,
    pub title: String,
    /// One line for the gallery card.
    pub summary: String,
    /// A few short paragraphs shown beside the visuals.
    pub explanation: Vec<String>,
    pub schema: Schema,
    /// Files under `public/` the lab needs before it can start.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Extra panels the page shows beside the charts (the bench page's
    /// in-browser peers), by name.
    #[serde(default)]
    pub panels: Vec<String>,
    /// It can write its trained model as a file (the CLI's `--checkpoint`).
    #[serde(default)]
    pub checkpoint: bool,
    /// The key of the chart drawn large, first: the picture the lab is about.
    #[serde(default)]
    pub main_chart: String,
    /// The live params presenter mode puts on top of the main chart.
    #[serde(default)]
    pub presenter: Vec<String>,
    /// How the gallery's picture of the lab is made.
    #[serde(default)]
    pub still: Option<Still>,
    /// The papers its algorithms implement, short, for the gallery card.
    #[serde(default)]
    pub papers: Vec<String>,
    /// Named params sets that reproduce a paper's figure or claim.
    #[serde(default)]
    pub presets: Vec<Preset>,
    /// Its update rule as MathML with `{key}` placeholders ([`crate::formula`]).
    #[serde(default)]
    pub formula: String,
}

impl LabInfo {
    pub fn preset(&self, name: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.name == name)
    }

    /// The params of preset `name`: the defaults with its values set.
    pub fn preset_params(&self, name: &str) -> Result<crate::params::Params, String> {
        let preset = self
            .preset(name)
            .ok_or_else(|| format!("{} has no preset '{name}'", self.title))?;
        let mut params = self.schema.defaults();
        for (key, value) in parse_assignments(&self.schema, &preset.set)? {
            params
                .set(&self.schema, &key, &value)
                .map_err(|e| e.message)?;
        }
        Ok(params)
    }
}

/// The gallery's picture of a lab: its chart `chart` after `steps` steps
/// from the values `set` (`KEY=VALUE`, the CLI's `--set`), seed 1, on the
/// CPU. `cargo xtask gallery` writes it to `public/gallery/<id>.json`; a
/// test runs the recipe again and compares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Still {
    pub chart: String,
    pub set: Vec<String>,
    pub steps: u64,
}

/// A named params set that reproduces a figure or a claim of a paper: one
/// click on the lab's page (its URL `#lab=<id>&preset=<name>`), `--preset`
/// in the CLI. `checks` state the claim in the figures the lab reports
/// after `steps` steps from seed 1; the tests run every preset and check
/// them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Its name in URLs and on the command line.
    pub name: String,
    pub title: String,
    /// One paragraph: what to watch, and why.
    pub claim: String,
    /// The paper the claim comes from.
    pub paper: String,
    /// `KEY=VALUE` over the lab's defaults.
    pub set: Vec<String>,
    pub steps: u64,
    pub checks: Vec<Check>,
}

impl Preset {
    pub fn new(
        name: &str,
        title: &str,
        paper: &str,
        claim: &str,
        set: &[&str],
        steps: u64,
        checks: Vec<Check>,
    ) -> Self {
        Self {
            name: name.to_string(),
            title: title.to_string(),
            claim: claim.to_string(),
            paper: paper.to_string(),
            set: set.iter().map(|pair| pair.to_string()).collect(),
            steps,
            checks,
        }
    }
}

/// A claim about the figures of a view, by their keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Check {
    Below {
        figure: String,
        value: f64,
    },
    Above {
        figure: String,
        value: f64,
    },
    /// One figure below another.
    Less {
        figure: String,
        than: String,
    },
}

impl Check {
    pub fn below(figure: &str, value: f64) -> Self {
        Check::Below {
            figure: figure.to_string(),
            value,
        }
    }

    pub fn above(figure: &str, value: f64) -> Self {
        Check::Above {
            figure: figure.to_string(),
            value,
        }
    }

    pub fn less(figure: &str, than: &str) -> Self {
        Check::Less {
            figure: figure.to_string(),
            than: than.to_string(),
        }
    }

    /// Whether `view` bears the claim out; the error says what it shows instead.
    pub fn holds(&self, view: &View) -> Result<(), String> {
        let figure = |key: &str| {
            view.figures
                .iter()
                .find(|f| f.key == key)
                .and_then(|f| f.value)
                .ok_or_else(|| format!("the view has no value for figure {key}"))
        };
        let (ok, said) = match self {
            Check::Below { figure: key, value } => {
                let x = figure(key)?;
                (x < *value, format!("{key} = {x} is not below {value}"))
            }
            Check::Above { figure: key, value } => {
                let x = figure(key)?;
                (x > *value, format!("{key} = {x} is not above {value}"))
            }
            Check::Less { figure: key, than } => {
                let (x, y) = (figure(key)?, figure(than)?);
                (x < y, format!("{key} = {x} is not below {than} = {y}"))
            }
        };
        if ok { Ok(()) } else { Err(said) }
    }
}

/// `KEY=VALUE` pairs parsed against `schema`; a key given twice
/// is refused rather than silently overridden.
pub fn parse_assignments(
    schema: &Schema,
    pairs: &[String],
) -> Result<std::collections::BTreeMap<String, crate::params::Value>, String> {
    let mut values = std::collections::BTreeMap::new();
    for pair in pairs {
        let (key, raw) = pair
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got '{pair}'"))?;
        let value = schema.parse(key, raw).map_err(|e| e.message)?;
        if values.insert(key.to_string(), value).is_some() {
            return Err(format!("{key} is given twice"));
        }
    }
    Ok(values)
}

/// What `public/gallery/<id>.json` holds: the recipe and the chart it made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GalleryStill {
    pub still: Still,
    pub chart: Chart,
}

/// A number shown large, such as a benchmark result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    /// `None` when the figure does not apply here (no WebGPU, say); `note` says why.
    pub value: Option<f64>,
    pub unit: String,
    pub note: String,
}

/// One line of a line chart: a downsampled series, optionally with a band
/// drawn from each bucket's min to max.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub label: String,
    pub points: Vec<Bucket>,
    pub band: bool,
    /// A reference curve (a theory bound, a target): drawn dashed.
    pub guide: bool,
    /// Palette index, so one algorithm keeps its colour across charts;
    /// `None` takes the line's position.
    pub color: Option<usize>,
}

impl Line {
    pub fn from_series(series: &Series, band: bool) -> Self {
        Self {
            label: series.name.clone(),
            points: series.buckets(),
            band,
            guide: false,
            color: None,
        }
    }

    pub fn with_color(self, color: usize) -> Self {
        Self {
            color: Some(color),
            ..self
        }
    }

    pub fn guide(series: &Series) -> Self {
        Self {
            guide: true,
            ..Self::from_series(series, false)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChartKind {
    /// Log axes need positive values; the chart falls back to linear otherwise.
    Lines {
        lines: Vec<Line>,
        log_x: bool,
        log_y: bool,
    },
    /// Bars over `[edges[i], edges[i+1])`.
    Histogram { edges: Vec<f64>, counts: Vec<u64> },
    /// A `cols` x `rows` grid of cells over `x_range` x `y_range`; `values`
    /// is row-major from the bottom row, coloured from its min to its max.
    /// `arrows` (x, y, dx, dy, in data units) and `marks` (cells the user
    /// painted, say) are drawn on top.
    Heatmap {
        x_range: [f64; 2],
        y_range: [f64; 2],
        cols: usize,
        rows: usize,
        values: Vec<f64>,
        #[serde(default)]
        arrows: Vec<[f32; 4]>,
        #[serde(default)]
        marks: Vec<PointGroup>,
    },
    /// Point clouds, one colour per group.
    Scatter { groups: Vec<PointGroup> },
    /// Polylines (particle paths), each drawn from its first point to a dot at its last.
    Paths { paths: Vec<Vec<[f32; 2]>> },
    /// A vector field: arrows (x, y, dx, dy), drawn scaled to the grid.
    Arrows { arrows: Vec<[f32; 4]> },
    /// Grey `side` x `side` images, row-major, `columns` to a row; a pixel at
    /// `range[0]` is white, at `range[1]` black (ink), clamped between.
    Images {
        side: usize,
        columns: usize,
        range: [f32; 2],
        images: Vec<Vec<f32>>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointGroup {
    pub label: String,
    pub points: Vec<[f32; 2]>,
    /// Drawn large and dark: points the user placed, to stand out of a cloud.
    #[serde(default)]
    pub marked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub key: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub kind: ChartKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    Paused,
    Running,
    /// The experiment reached its end; reset to run again.
    Finished,
    /// A NaN or infinity appeared (or a loss exploded); the run stopped there.
    Diverged {
        step: u64,
        what: String,
    },
    Failed {
        message: String,
    },
}

/// What a lab shows at one moment: figures, charts and facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub figures: Vec<Figure>,
    pub charts: Vec<Chart>,
    /// Key/value facts shown as a table.
    pub facts: Vec<(String, String)>,
}

impl View {
    /// Appends `other`'s figures, charts and facts after this view's.
    pub fn extend(&mut self, other: View) {
        self.figures.extend(other.figures);
        self.charts.extend(other.charts);
        self.facts.extend(other.facts);
    }

    /// Takes out every figure value and chart that holds a NaN or an
    /// infinity, and names them: a view that crosses to the page is finite
    /// (JSON has no NaN), and what was taken says where the run diverged.
    pub fn take_non_finite(&mut self) -> Vec<String> {
        let mut taken = Vec::new();
        for figure in &mut self.figures {
            if figure.value.is_some_and(|value| !value.is_finite()) {
                figure.value = None;
                figure.note = "not a number".to_string();
                taken.push(figure.label.clone());
            }
        }
        self.charts.retain(|chart| {
            let finite = chart.kind.is_finite();
            if !finite {
                taken.push(chart.title.clone());
            }
            finite
        });
        taken
    }
}

impl ChartKind {
    fn is_finite(&self) -> bool {
        let f32s = |values: &[f32]| values.iter().all(|v| v.is_finite());
        match self {
            ChartKind::Lines { lines, .. } => lines
                .iter()
                .flat_map(|line| &line.points)
                .flat_map(|b| [b.x, b.mean, b.min, b.max])
                .all(f64::is_finite),
            ChartKind::Histogram { edges, .. } => edges.iter().all(|e| e.is_finite()),
            ChartKind::Heatmap {
                x_range,
                y_range,
                values,
                arrows,
                marks,
                ..
            } => {
                x_range
                    .iter()
                    .chain(y_range)
                    .chain(values)
                    .all(|v| v.is_finite())
                    && arrows.iter().all(|a| f32s(a))
                    && marks.iter().all(|g| g.points.iter().all(|p| f32s(p)))
            }
            ChartKind::Scatter { groups } => groups
                .iter()
                .all(|group| group.points.iter().all(|p| f32s(p))),
            ChartKind::Paths { paths } => paths.iter().flatten().all(|p| f32s(p)),
            ChartKind::Arrows { arrows } => arrows.iter().all(|a| f32s(a)),
            ChartKind::Images { range, images, .. } => {
                f32s(range) && images.iter().all(|image| f32s(image))
            }
        }
    }
}

/// Everything needed to draw a lab at one moment: the lab's view, and where
/// the run stands (which the session knows, not the lab).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub step: u64,
    pub status: RunStatus,
    #[serde(flatten)]
    pub view: View,
    #[serde(default)]
    pub timing: Timing,
    /// The steps of training a run at step 0 already has: it opened from a
    /// trained model (a shipped checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained: Option<u64>,
}

/// What the run costs where it runs, in milliseconds: for the run bar and
/// the benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The last step.
    pub step_ms: f64,
    /// Building this snapshot's view.
    pub view_ms: f64,
    /// Sending the previous snapshot to the page (serializing and posting).
    pub post_ms: f64,
    /// Steps per second while playing; 0 otherwise.
    pub steps_per_second: f64,
}

/// Whether the experiment can go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Continue,
    Finished,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("diverged: {0}")]
    Diverged(String),
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    #[error("{0}")]
    Failed(String),
}

impl From<ParamError> for RunError {
    fn from(e: ParamError) -> Self {
        RunError::Failed(e.message)
    }
}

/// Fails with [`RunError::Diverged`] if `x` is NaN or infinite.
pub fn ensure_finite(what: &str, x: f64) -> Result<f64, RunError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(RunError::Diverged(format!("{what} became {x}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_schema_refuses_unsafe_seeds() {
        let s = runner_schema();
        assert!(s.parse("seed", "9007199254740991").is_ok());
        assert!(s.parse("seed", "9007199254740992").is_err());
        assert!(s.parse("seed", "-1").is_err());
        assert!(s.parse("speed", "0").is_err());
    }

    #[test]
    fn ensure_finite_flags_nan_and_inf() {
        assert_eq!(ensure_finite("loss", 1.5), Ok(1.5));
        assert!(
            matches!(ensure_finite("loss", f64::NAN), Err(RunError::Diverged(m)) if m.contains("loss"))
        );
        assert!(ensure_finite("loss", f64::INFINITY).is_err());
    }
}
