//! What a lab implements ([`Lab`]), what a lab may offer the bench page
//! ([`Benchmark`]), and the host that runs either with its typed params
//! ([`Hosted`]). The host owns the params: a lab is handed them on every
//! call and keeps only what it computes.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{LabInfo, Preset, RunError, StepOutcome, Still, View};
use thermolab_core::params::{Apply, ParamError, ParamKind, Params, Schema, Value};
use thermolab_gpu::Compute;

use crate::params::ParamSet;

/// What a lab says of itself, beside its params.
#[derive(Clone, Copy, Debug)]
pub struct About {
    /// Its name in URLs (`#lab=bandits`) and on the command line.
    pub id: &'static str,
    pub title: &'static str,
    /// One line for the gallery card.
    pub summary: &'static str,
    /// A few short paragraphs shown beside the visuals.
    pub explanation: &'static [&'static str],
    /// Files under `public/` the lab loads before it starts.
    pub assets: &'static [&'static str],
    /// The bench page: after each of its steps the host measures every
    /// benchmark the labs offer, and the page shows their controls and panels.
    pub bench_page: bool,
    /// It can write its trained model as a file ([`Lab::checkpoint`], the
    /// CLI's `--checkpoint`).
    pub checkpoint: bool,
    /// The key of the chart the page draws large, first (and alone in
    /// presenter mode): the picture the lab is about.
    pub main_chart: &'static str,
    /// A handful of live params presenter mode shows on top of the main chart.
    pub presenter: &'static [&'static str],
    /// How the gallery's picture of the lab is made.
    pub still: Option<StillRecipe>,
    /// The papers its algorithms implement, short ("Ho, Jain & Abbeel 2020,
    /// DDPM"), for the gallery card; each algorithm's file cites it in full.
    pub papers: &'static [&'static str],
    /// Its update rule as MathML, `{key}` standing for param `key`'s value
    /// ([`thermolab_core::formula`]); empty for a lab without one.
    pub formula: &'static str,
}

/// The gallery's picture of a lab: its chart `chart` after `steps` steps
/// from the values `set` (`KEY=VALUE`), seed 1, on the CPU
/// ([`thermolab_core::experiment::Still`]).
#[derive(Clone, Copy, Debug)]
pub struct StillRecipe {
    pub chart: &'static str,
    pub set: &'static [&'static str],
    pub steps: u64,
}

/// What a lab starts with, besides its params.
pub struct LabContext<'a> {
    pub compute: &'a Compute,
    /// The files [`About::assets`] lists, or why each could not be loaded.
    pub assets: &'a Assets,
    pub seed: u64,
    /// A model this lab wrote with [`Lab::checkpoint`] and the browser kept:
    /// a lab that has one opens with it, as from a shipped checkpoint.
    pub trained: Option<&'a [u8]>,
}

/// A lab: one experiment with typed params. The host owns the params and
/// hands them to every call; a live change is already in them when
/// [`Lab::live_changed`] is called.
#[async_trait::async_trait(?Send)]
pub trait Lab: Sized + 'static {
    type Params: ParamSet;

    fn about() -> About;

    /// Named params sets reproducing its papers' figures or claims.
    fn presets() -> Vec<Preset> {
        Vec::new()
    }

    /// A fresh run at step 0; the error says why it cannot start.
    fn start(context: &LabContext, params: &Self::Params) -> Result<Self, String>;

    /// Advances the run by one step.
    async fn step(&mut self, params: &Self::Params) -> Result<StepOutcome, RunError>;

    /// A live param changed from `old` to `new` (already the host's);
    /// recompute whatever depends on it.
    fn live_changed(&mut self, _old: &Self::Params, _new: &Self::Params) {}

    /// Whether live params still act once the run has finished (a trained
    /// model can still be sampled); otherwise a change restarts the run.
    fn live_after_finish(&self) -> bool {
        false
    }

    /// Recomputes what live params changed without advancing (new samples
    /// after a sampling control moved while paused or finished).
    async fn refresh(&mut self, _params: &Self::Params) -> Result<(), RunError> {
        Ok(())
    }

    /// What the page draws now.
    fn view(&self, params: &Self::Params) -> View;

    /// The steps of training the run already has at step 0, when it opened
    /// from a trained model (a shipped checkpoint).
    fn trained(&self) -> Option<u64> {
        None
    }

    /// The trained model as a file (the CLI writes shipped checkpoints with
    /// it); `None` for labs without one.
    async fn checkpoint(&self, _params: &Self::Params) -> Option<Result<Vec<u8>, RunError>> {
        None
    }

    /// Benchmarks this lab offers the bench page.
    fn benchmarks() -> Vec<BenchmarkEntry> {
        Vec::new()
    }
}

/// A measurement a lab offers the bench page: its own controls there, and
/// what it shows after every step of the page.
#[async_trait::async_trait(?Send)]
pub trait Benchmark: Sized + 'static {
    type Params: ParamSet;

    /// A panel of the page that measures a peer in the browser (plain
    /// JavaScript, TensorFlow.js) beside this benchmark, by name.
    const PANEL: Option<&'static str> = None;

    fn new() -> Self;

    /// Measures once; `step` is the page's step (the x of its charts).
    async fn measure(
        &mut self,
        compute: &Compute,
        params: &Self::Params,
        seed: u64,
        step: u64,
    ) -> Result<(), RunError>;

    fn view(&self, compute: &Compute, params: &Self::Params) -> View;
}

/// A [`Benchmark`] with its params, as the host runs it.
#[async_trait::async_trait(?Send)]
trait RunningBenchmark {
    fn set(&mut self, key: &str, value: &Value) -> Result<bool, ParamError>;
    async fn measure(&mut self, compute: &Compute, seed: u64, step: u64) -> Result<(), RunError>;
    fn view(&self, compute: &Compute) -> View;
}

struct BenchmarkRun<B: Benchmark> {
    benchmark: B,
    params: B::Params,
}

#[async_trait::async_trait(?Send)]
impl<B: Benchmark> RunningBenchmark for BenchmarkRun<B> {
    fn set(&mut self, key: &str, value: &Value) -> Result<bool, ParamError> {
        self.params.set(key, value)
    }

    async fn measure(&mut self, compute: &Compute, seed: u64, step: u64) -> Result<(), RunError> {
        self.benchmark
            .measure(compute, &self.params, seed, step)
            .await
    }

    fn view(&self, compute: &Compute) -> View {
        self.benchmark.view(compute, &self.params)
    }
}

/// A benchmark as a lab lists it: its controls, its panel and how to start it.
#[derive(Clone, Copy)]
pub struct BenchmarkEntry {
    schema: fn() -> Schema,
    check: fn() -> Result<(), String>,
    limits: fn(&Params) -> Result<(), ParamError>,
    panel: Option<&'static str>,
    start: fn(&Params) -> Result<Box<dyn RunningBenchmark>, ParamError>,
}

impl BenchmarkEntry {
    pub fn of<B: Benchmark>() -> Self {
        Self {
            schema: B::Params::schema,
            check: check_params::<B::Params>,
            limits: limits_of::<B::Params>,
            panel: B::PANEL,
            start: |params| {
                Ok(Box::new(BenchmarkRun {
                    benchmark: B::new(),
                    params: B::Params::read(params)?,
                }))
            },
        }
    }
}

/// A lab with its params and its benchmarks (on the bench page): what tests
/// drive directly (it reads as its lab) and what a
/// [`Session`](crate::Session) drives through [`RunningLab`].
pub struct Hosted<L: Lab> {
    lab: L,
    params: L::Params,
    schema: Schema,
    benchmarks: Vec<Box<dyn RunningBenchmark>>,
    compute: Compute,
    seed: u64,
    /// Steps taken: the x of the benchmarks' charts.
    steps: u64,
}

impl<L: Lab> Hosted<L> {
    /// Starts `L` from `values` (validated against its schema; a refused
    /// value is an error here, where the caller is a test or a tool) with
    /// no benchmarks.
    pub fn from_values(
        compute: &Compute,
        values: &BTreeMap<String, Value>,
        seed: u64,
        assets: &Assets,
    ) -> Result<Self, String> {
        let schema = L::Params::schema();
        let (params, refused) = schema.params_from_values(values);
        if let Some(error) = refused.first() {
            return Err(error.message.clone());
        }
        limits_of::<L::Params>(&params).map_err(|e| e.message)?;
        let context = LabContext {
            compute,
            assets,
            seed,
            trained: None,
        };
        Self::start(&context, schema, &params, &[])
    }

    /// Starts `L` with `params` validated against `schema` (its own and its
    /// benchmarks' controls).
    fn start(
        context: &LabContext,
        schema: Schema,
        params: &Params,
        benchmarks: &[BenchmarkEntry],
    ) -> Result<Self, String> {
        let typed = L::Params::read(params).map_err(|e| e.message)?;
        let lab = L::start(context, &typed)?;
        let benchmarks = benchmarks
            .iter()
            .map(|entry| (entry.start)(params))
            .collect::<Result<_, _>>()
            .map_err(|e| e.message)?;
        Ok(Self {
            lab,
            params: typed,
            schema,
            benchmarks,
            compute: context.compute.clone(),
            seed: context.seed,
            steps: 0,
        })
    }

    /// One step of the lab, then one measurement of every benchmark.
    pub async fn step(&mut self) -> Result<StepOutcome, RunError> {
        let outcome = self.lab.step(&self.params).await?;
        for benchmark in &mut self.benchmarks {
            benchmark
                .measure(&self.compute, self.seed, self.steps)
                .await?;
        }
        self.steps += 1;
        Ok(outcome)
    }

    /// Validates `value` and applies it as a live change.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let value = self.schema.validate(key, value)?;
        let old = self.params.clone();
        let mut new = old.clone();
        if new.set(key, &value)? {
            new.limits().map_err(|e| ParamError {
                key: key.to_string(),
                message: e.message,
            })?;
            self.params = new;
            self.lab.live_changed(&old, &self.params);
            return Ok(());
        }
        for benchmark in &mut self.benchmarks {
            if benchmark.set(key, &value)? {
                return Ok(());
            }
        }
        Err(ParamError {
            key: key.to_string(),
            message: format!("unknown parameter '{key}'"),
        })
    }

    pub async fn refresh(&mut self) -> Result<(), RunError> {
        self.lab.refresh(&self.params).await
    }

    pub fn view(&self) -> View {
        let mut view = self.lab.view(&self.params);
        for benchmark in &self.benchmarks {
            view.extend(benchmark.view(&self.compute));
        }
        view
    }

    pub async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        self.lab.checkpoint(&self.params).await
    }
}

/// A hosted lab reads as its lab, so tests can ask it lab-specific questions.
impl<L: Lab> std::ops::Deref for Hosted<L> {
    type Target = L;

    fn deref(&self) -> &L {
        &self.lab
    }
}

/// A running lab whatever its type: what a [`Session`](crate::Session) holds.
#[async_trait::async_trait(?Send)]
pub trait RunningLab {
    async fn step(&mut self) -> Result<StepOutcome, RunError>;
    fn set_live(&mut self, key: &str, value: &Value) -> Result<(), ParamError>;
    fn live_after_finish(&self) -> bool;
    async fn refresh(&mut self) -> Result<(), RunError>;
    fn view(&self) -> View;
    fn trained(&self) -> Option<u64>;
    async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>>;
}

#[async_trait::async_trait(?Send)]
impl<L: Lab> RunningLab for Hosted<L> {
    async fn step(&mut self) -> Result<StepOutcome, RunError> {
        Hosted::step(self).await
    }

    fn set_live(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        self.set(key, value)
    }

    fn live_after_finish(&self) -> bool {
        self.lab.live_after_finish()
    }

    async fn refresh(&mut self) -> Result<(), RunError> {
        Hosted::refresh(self).await
    }

    fn view(&self) -> View {
        Hosted::view(self)
    }

    fn trained(&self) -> Option<u64> {
        self.lab.trained()
    }

    async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        Hosted::checkpoint(self).await
    }
}

/// One line of the registry: a lab, by its type.
#[derive(Clone, Copy)]
pub struct LabEntry {
    about: fn() -> About,
    presets: fn() -> Vec<Preset>,
    schema: fn() -> Schema,
    check: fn() -> Result<(), String>,
    limits: fn(&Params) -> Result<(), ParamError>,
    benchmarks: fn() -> Vec<BenchmarkEntry>,
    #[allow(clippy::type_complexity)]
    start:
        fn(&LabContext, Schema, &Params, &[BenchmarkEntry]) -> Result<Box<dyn RunningLab>, String>,
}

impl LabEntry {
    pub fn of<L: Lab>() -> Self {
        Self {
            about: L::about,
            presets: L::presets,
            schema: L::Params::schema,
            check: check_params::<L::Params>,
            limits: limits_of::<L::Params>,
            benchmarks: L::benchmarks,
            start: |context, schema, params, benchmarks| {
                Ok(Box::new(Hosted::<L>::start(
                    context, schema, params, benchmarks,
                )?))
            },
        }
    }

    pub fn about(&self) -> About {
        (self.about)()
    }
}

/// The limits of the typed values of validated `params`.
fn limits_of<P: ParamSet>(params: &Params) -> Result<(), ParamError> {
    P::read(params)?.limits()
}

/// Whether a declaration is consistent: every default valid, the schema's
/// defaults read back as the typed defaults, every condition names real
/// params and options, and one heading is open or closed, not both.
fn check_params<P: ParamSet>() -> Result<(), String> {
    let schema = P::schema();
    if let Some(error) = schema.condition_errors().into_iter().next() {
        return Err(format!("a condition: {error}"));
    }
    for section in schema.sections() {
        let disagrees = schema
            .params
            .iter()
            .filter_map(|p| p.section.as_ref())
            .any(|other| other.title == section.title && other.open != section.open);
        if disagrees {
            return Err(format!(
                "the heading '{}' is both open and closed",
                section.title
            ));
        }
    }
    for spec in &schema.params {
        if let ParamKind::Points {
            brush: Some(brush), ..
        } = &spec.kind
        {
            let has_option = schema.spec(&brush.key).is_some_and(|select| {
                matches!(&select.kind, ParamKind::Choice { options, .. }
                    if options.iter().any(|o| o.value == brush.option))
            });
            if !has_option {
                return Err(format!(
                    "{}: its brush names '{}' = '{}', which is not a select's option",
                    spec.key, brush.key, brush.option
                ));
            }
        }
        spec.validate(&spec.default_value())
            .map_err(|e| format!("{}: default refused: {}", spec.key, e.message))?;
    }
    let read = P::read(&schema.defaults()).map_err(|e| e.message)?;
    if read != P::defaults() {
        return Err(format!(
            "the schema's defaults read back as {read:?}, not the declared defaults"
        ));
    }
    Ok(())
}

/// The labs of one build, in gallery order.
#[derive(Clone, Copy)]
pub struct Registry(pub &'static [fn() -> LabEntry]);

impl Registry {
    fn entries(&self) -> impl Iterator<Item = LabEntry> + '_ {
        self.0.iter().map(|entry| entry())
    }

    fn entry(&self, id: &str) -> Option<LabEntry> {
        self.entries().find(|entry| entry.about().id == id)
    }

    /// Checks every lab's declaration and its benchmarks' (see `check_params`),
    /// and that no two labs, and no two params of one page, share a name.
    pub fn check(&self) -> Result<(), String> {
        let entries: Vec<LabEntry> = self.entries().collect();
        for (i, entry) in entries.iter().enumerate() {
            let id = entry.about().id;
            if entries[i + 1..].iter().any(|other| other.about().id == id) {
                return Err(format!("two labs are called '{id}'"));
            }
            (entry.check)().map_err(|e| format!("{id}: {e}"))?;
            for benchmark in (entry.benchmarks)() {
                (benchmark.check)().map_err(|e| format!("{id}'s benchmark: {e}"))?;
            }
            let info = self.info(entry);
            if info.main_chart.is_empty() {
                return Err(format!("{id}: no main chart"));
            }
            if info.papers.is_empty() {
                return Err(format!("{id}: names no paper for its gallery card"));
            }
            for key in &info.presenter {
                match info.schema.spec(key) {
                    Some(spec) if spec.apply == Apply::Live => {}
                    Some(_) => return Err(format!("{id}: presenter control '{key}' is not live")),
                    None => return Err(format!("{id}: presenter control '{key}' is not a param")),
                }
            }
            for (j, spec) in info.schema.params.iter().enumerate() {
                if info.schema.params[j + 1..]
                    .iter()
                    .any(|s| s.key == spec.key)
                {
                    return Err(format!("{id}: two params are called '{}'", spec.key));
                }
            }
        }
        Ok(())
    }

    /// What the page, the CLI and the docs know of every lab.
    pub fn labs(&self) -> Vec<LabInfo> {
        self.entries().map(|entry| self.info(&entry)).collect()
    }

    pub fn lab(&self, id: &str) -> Option<LabInfo> {
        self.entry(id).map(|entry| self.info(&entry))
    }

    /// Every benchmark of every lab, in registry order: what a bench page runs.
    fn benchmarks(&self) -> Vec<BenchmarkEntry> {
        self.entries()
            .flat_map(|entry| (entry.benchmarks)())
            .collect()
    }

    /// The benchmarks a lab's page runs: all of them on the bench page, else none.
    fn benchmarks_of(&self, entry: &LabEntry) -> Vec<BenchmarkEntry> {
        if entry.about().bench_page {
            self.benchmarks()
        } else {
            Vec::new()
        }
    }

    fn info(&self, entry: &LabEntry) -> LabInfo {
        let about = entry.about();
        let benchmarks = self.benchmarks_of(entry);
        let mut schema = (entry.schema)();
        for benchmark in &benchmarks {
            schema.params.extend((benchmark.schema)().params);
        }
        LabInfo {
            id: about.id.to_string(),
            title: about.title.to_string(),
            summary: about.summary.to_string(),
            explanation: about.explanation.iter().map(|p| p.to_string()).collect(),
            schema,
            assets: about.assets.iter().map(|a| a.to_string()).collect(),
            checkpoint: about.checkpoint,
            main_chart: about.main_chart.to_string(),
            presenter: about.presenter.iter().map(|key| key.to_string()).collect(),
            papers: about.papers.iter().map(|paper| paper.to_string()).collect(),
            presets: (entry.presets)(),
            formula: about.formula.to_string(),
            still: about.still.map(|recipe| Still {
                chart: recipe.chart.to_string(),
                set: recipe.set.iter().map(|value| value.to_string()).collect(),
                steps: recipe.steps,
            }),
            panels: benchmarks
                .iter()
                .filter_map(|b| b.panel.map(str::to_string))
                .collect(),
        }
    }

    /// Whether `params`, valid one by one, stay within the limits of the lab
    /// `info` describes and of the benchmarks its page runs.
    pub fn limits(&self, info: &LabInfo, params: &Params) -> Result<(), ParamError> {
        let Some(entry) = self.entry(&info.id) else {
            return Ok(());
        };
        (entry.limits)(params)?;
        for benchmark in self.benchmarks_of(&entry) {
            (benchmark.limits)(params)?;
        }
        Ok(())
    }

    /// Starts the lab `info` describes with `params` validated against its schema.
    pub(crate) fn start(
        &self,
        info: &LabInfo,
        context: &LabContext,
        params: &Params,
    ) -> Result<Box<dyn RunningLab>, String> {
        let entry = self
            .entry(&info.id)
            .ok_or_else(|| format!("there is no lab called '{}'", info.id))?;
        let benchmarks = self.benchmarks_of(&entry);
        (entry.start)(context, info.schema.clone(), params, &benchmarks)
    }
}
