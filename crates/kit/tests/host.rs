//! The host and the session on a toy lab: declarations checked, limits
//! refused at start and on a live change, and a view that goes NaN stopping
//! the run with the name of what diverged.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{
    Chart, ChartKind, Figure, PointGroup, RunError, RunStatus, StepOutcome, View,
};
use thermolab_core::params::{ParamError, Value};
use thermolab_core::protocol::{decode, encode};
use thermolab_gpu::Compute;
use thermolab_kit::params::{choice, float, int, points, toggle};
use thermolab_kit::{About, Hosted, Lab, LabContext, LabEntry, Registry, Session};

thermolab_kit::params! {
    pub struct GridParams {
        /// Added to the counter every step.
        pub rate: f64 = float("Rate", 0.0..=10.0, 1.0).live(),
        pub rows: usize = int("Rows", 1..=1000, 10),
        pub cols: usize = int("Cols", 1..=1000, 10).live(),
        /// Shows the counter's logarithm of minus one: NaN.
        pub poison: bool = toggle("Poison", false).live(),
    }
    limits: at_most_ten_thousand_cells
}

fn at_most_ten_thousand_cells(params: &GridParams) -> Result<(), ParamError> {
    let cells = params.rows * params.cols;
    if cells <= 10_000 {
        return Ok(());
    }
    Err(ParamError {
        key: "rows".to_string(),
        message: format!("{cells} cells are more than 10000: fewer rows or columns"),
    })
}

/// Counts up by `rate` a step and shows the count.
struct Grid {
    count: f64,
}

#[async_trait::async_trait(?Send)]
impl Lab for Grid {
    type Params = GridParams;

    fn about() -> About {
        About {
            id: "grid",
            title: "Grid",
            summary: "A counter.",
            explanation: &[],
            assets: &[],
            bench_page: false,
            checkpoint: false,
            main_chart: "cells",
            presenter: &["rate"],
            still: None,
            papers: &["Conway 1970, Life"],
            formula: "",
        }
    }

    fn start(_context: &LabContext, _params: &GridParams) -> Result<Self, String> {
        Ok(Self { count: 0.0 })
    }

    async fn step(&mut self, params: &GridParams) -> Result<StepOutcome, RunError> {
        self.count += params.rate;
        Ok(StepOutcome::Continue)
    }

    fn view(&self, params: &GridParams) -> View {
        View {
            figures: vec![Figure {
                key: "count".to_string(),
                label: "Count".to_string(),
                value: Some(if params.poison {
                    (-1.0f64).ln()
                } else {
                    self.count
                }),
                unit: String::new(),
                note: String::new(),
            }],
            charts: vec![Chart {
                key: "cells".to_string(),
                title: "Cells".to_string(),
                x_label: String::new(),
                y_label: String::new(),
                kind: ChartKind::Scatter {
                    groups: vec![PointGroup {
                        label: "cells".to_string(),
                        points: vec![[if params.poison { f32::INFINITY } else { 1.0 }, 0.0]],
                        marked: false,
                    }],
                },
            }],
            ..View::default()
        }
    }
}

thermolab_kit::params! {
    pub struct BadDefault {
        pub rate: f64 = float("Rate", 0.0..=1.0, 2.0),
    }
}

/// A lab whose declared default lies outside its own range.
struct Broken;

#[async_trait::async_trait(?Send)]
impl Lab for Broken {
    type Params = BadDefault;

    fn about() -> About {
        About {
            id: "broken",
            ..Grid::about()
        }
    }

    fn start(_context: &LabContext, _params: &BadDefault) -> Result<Self, String> {
        Ok(Self)
    }

    async fn step(&mut self, _params: &BadDefault) -> Result<StepOutcome, RunError> {
        Ok(StepOutcome::Finished)
    }

    fn view(&self, _params: &BadDefault) -> View {
        View::default()
    }
}

thermolab_kit::choices! {
    /// What a click paints.
    pub enum Tool {
        Walls = ("walls", "Walls"),
        Doors = ("doors", "Doors"),
    }
}

thermolab_kit::params! {
    /// Two lists painted on one chart, a select routing the clicks.
    pub struct GoodBrush {
        pub tool: Tool = choice("Tool", Tool::Walls).live(),
        pub walls: Vec<[f64; 2]> = points("Walls", 1.0, 8, "map").brush("tool", Tool::Walls),
        pub doors: Vec<[f64; 2]> = points("Doors", 1.0, 8, "map").brush("tool", Tool::Doors),
    }
}

thermolab_kit::params! {
    /// A brush naming a select that does not exist.
    pub struct BadBrush {
        pub walls: Vec<[f64; 2]> = points("Walls", 1.0, 8, "map").brush("pencil", Tool::Walls),
    }
}

/// A lab that only declares params `P`.
struct Declared<P>(std::marker::PhantomData<P>);

#[async_trait::async_trait(?Send)]
impl<P: thermolab_kit::ParamSet> Lab for Declared<P> {
    type Params = P;

    fn about() -> About {
        About {
            id: "declared",
            presenter: &[],
            ..Grid::about()
        }
    }

    fn start(_context: &LabContext, _params: &P) -> Result<Self, String> {
        Ok(Self(std::marker::PhantomData))
    }

    async fn step(&mut self, _params: &P) -> Result<StepOutcome, RunError> {
        Ok(StepOutcome::Finished)
    }

    fn view(&self, _params: &P) -> View {
        View::default()
    }
}

/// Grid with presenter mode showing a restart param (`UNKNOWN` false) or
/// a param it does not have (true).
struct OnStage<const UNKNOWN: bool>(Grid);

#[async_trait::async_trait(?Send)]
impl<const UNKNOWN: bool> Lab for OnStage<UNKNOWN> {
    type Params = GridParams;

    fn about() -> About {
        About {
            id: "stage",
            presenter: if UNKNOWN {
                &["speed"]
            } else {
                &["rate", "rows"]
            },
            ..Grid::about()
        }
    }

    fn start(context: &LabContext, params: &GridParams) -> Result<Self, String> {
        Grid::start(context, params).map(Self)
    }

    async fn step(&mut self, params: &GridParams) -> Result<StepOutcome, RunError> {
        self.0.step(params).await
    }

    fn view(&self, params: &GridParams) -> View {
        self.0.view(params)
    }
}

const GRID: Registry = Registry(&[LabEntry::of::<Grid>]);

fn values(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect()
}

#[test]
fn inconsistent_declarations_are_refused() {
    assert_eq!(GRID.check(), Ok(()));
    let error = Registry(&[LabEntry::of::<Broken>]).check().unwrap_err();
    assert!(
        error.contains("broken") && error.contains("rate"),
        "{error}"
    );
    let twice = Registry(&[LabEntry::of::<Grid>, LabEntry::of::<Grid>]).check();
    assert!(twice.unwrap_err().contains("two labs are called 'grid'"));
    let restart = Registry(&[LabEntry::of::<OnStage<false>>]).check();
    assert_eq!(
        restart,
        Err("stage: presenter control 'rows' is not live".to_string())
    );
    let unknown = Registry(&[LabEntry::of::<OnStage<true>>]).check();
    assert_eq!(
        unknown,
        Err("stage: presenter control 'speed' is not a param".to_string())
    );
    assert_eq!(
        Registry(&[LabEntry::of::<Declared<GoodBrush>>]).check(),
        Ok(())
    );
    assert_eq!(
        Registry(&[LabEntry::of::<Declared<BadBrush>>]).check(),
        Err(
            "declared: walls: its brush names 'pencil' = 'walls', which is not a select's option"
                .to_string()
        )
    );
}

#[test]
fn limits_refuse_a_start_and_a_live_change_past_them() {
    let compute = Compute::cpu("test");
    let assets = Assets::default();
    let huge = values(&[("rows", Value::Int(1000)), ("cols", Value::Int(1000))]);
    // A tool or a test is told why.
    let refused = Hosted::<Grid>::from_values(&compute, &huge, 1, &assets).err();
    assert_eq!(
        refused.as_deref(),
        Some("1000000 cells are more than 10000: fewer rows or columns")
    );
    // A page starts on the defaults of what the limit named, and shows why.
    let (mut session, refused) = Session::start(GRID, &compute, "grid", &huge, 1, &assets).unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].key, "rows");
    assert_eq!(session.params().get("rows"), Some(&Value::Int(10)));
    assert_eq!(session.params().get("cols"), Some(&Value::Int(1000)));
    // A live change past the limit is refused and leaves the params as they were.
    let error = session.set_param("cols", &Value::Int(1001)).unwrap_err();
    assert!(error.message.contains("out of range") || error.message.contains("outside"));
    let (mut session, _) = Session::start(
        GRID,
        &compute,
        "grid",
        &values(&[("rows", Value::Int(100))]),
        1,
        &assets,
    )
    .unwrap();
    let error = session.set_param("cols", &Value::Int(101)).unwrap_err();
    assert_eq!(error.key, "cols");
    assert!(error.message.contains("10100 cells"), "{}", error.message);
    assert_eq!(session.params().get("cols"), Some(&Value::Int(10)));
    assert_eq!(
        session.set_param("cols", &Value::Int(100)),
        Ok(Value::Int(100))
    );
}

#[test]
fn a_view_that_goes_nan_stops_the_run_and_crosses_to_the_page_without_it() {
    let compute = Compute::cpu("test");
    let (mut session, _) = Session::start(
        GRID,
        &compute,
        "grid",
        &BTreeMap::new(),
        1,
        &Assets::default(),
    )
    .unwrap();
    session.set_playing(true);
    pollster::block_on(session.step());
    assert_eq!(session.snapshot().view.figures[0].value, Some(1.0));
    session.set_param("poison", &Value::Bool(true)).unwrap();
    let snapshot = session.snapshot();
    assert_eq!(
        snapshot.status,
        RunStatus::Diverged {
            step: 1,
            what: "Count, Cells became NaN or infinite".to_string()
        }
    );
    assert_eq!(snapshot.view.figures[0].value, None);
    assert!(snapshot.view.charts.is_empty());
    assert!(!session.is_playing());
    // JSON has no NaN: what is sent reads back as it was.
    assert_eq!(decode(&encode(&snapshot)), Ok(snapshot));
}
