//! `thermolab`: run any lab natively, with the same params schema, seeds and
//! sessions as the browser.
//!
//! ```text
//! thermolab list
//! thermolab list bandits --format markdown
//! thermolab run device --set matmul_n=512 --seed 7 --steps 3 --format csv
//! thermolab run diffusion --set data=swiss_roll --steps 2000 --points samples.csv
//! thermolab run digits --set start=scratch --steps 20000 --checkpoint public/models/digits.safetensors
//! thermolab serve dist --host 0.0.0.0
//! ```
//! Bad values get a clear message and exit code 2.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod serve;
use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::experiment::{LabInfo, RunStatus, parse_assignments, runner_schema};
use thermolab_core::export::{RunRecord, points_csv, series_csv};
use thermolab_core::params::{Apply, ParamKind, ParamSpec, Scale, Schema, Value};
use thermolab_gpu::Compute;
use thermolab_kit::{Session, StepReport};

#[derive(Parser)]
#[command(name = "thermolab", version, about = "Run Thermolab's labs natively.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The labs and their parameters.
    List {
        /// Only this lab.
        lab: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run a lab for a number of steps and print its series.
    Run {
        /// Lab id, as printed by `thermolab list`.
        #[arg(required_unless_present = "from")]
        lab: Option<String>,
        /// Replay a run file (the page's *Export run*, or `--format run`):
        /// its lab, params, seed and steps.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["lab", "preset", "set", "seed", "steps"])]
        from: Option<PathBuf>,
        /// Start from this preset's params (`thermolab list LAB` names them).
        #[arg(long)]
        preset: Option<String>,
        /// A parameter, `key=value`; repeat for several (over the preset's, if any).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// 0 to 2^53 - 1 (what a URL can carry); 1 by default.
        #[arg(long, allow_hyphen_values = true)]
        seed: Option<String>,
        /// 10 by default.
        #[arg(long)]
        steps: Option<u64>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// `cpu` skips the GPU even when one is there.
        #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
        backend: BackendChoice,
        /// Also write every point cloud (samples, data) as CSV to this file.
        #[arg(long, value_name = "FILE")]
        points: Option<std::path::PathBuf>,
        /// Also write the trained model (a lab that has one: digits, forward-forward, diffusion) to this file.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<std::path::PathBuf>,
        /// The site's public/ folder, where labs find their data and checkpoints.
        #[arg(long, value_name = "DIR", default_value_os_t = Assets::repository_public())]
        public: std::path::PathBuf,
    },
    /// Serve a built site (for a classroom: `--host 0.0.0.0` serves the LAN).
    Serve {
        /// The built site's folder.
        #[arg(default_value = "dist")]
        dir: PathBuf,
        /// 127.0.0.1 for this machine only; 0.0.0.0 for every network it is on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    /// A table per lab, as the docs show them.
    Markdown,
    /// The labs' info as the page receives it.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    /// The last snapshot.
    Json,
    /// The run as a file (`--from` and the page's *Open a run* replay it).
    Run,
}

/// How close a replay's figures must be to the run file's to match: the
/// CPU path replays exactly; another GPU agrees to f32 rounding.
const REPLAY_TOLERANCE: f64 = 1e-6;

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum BackendChoice {
    Auto,
    Cpu,
}

/// Where a run reads its lab's files and writes what it was asked to.
struct Files {
    public: std::path::PathBuf,
    checkpoint: Option<std::path::PathBuf>,
    points: Option<std::path::PathBuf>,
}

/// A refused input or a failed run: printed, exit code 2.
struct Refused(String);

/// A file the run will write: opened as a temporary file beside its path
/// before the run (so an unwritable place is refused before any step), and
/// renamed onto the path only when the run ended well.
struct Output {
    path: PathBuf,
    file: tempfile::NamedTempFile,
}

impl Output {
    fn prepare(path: &Path) -> Result<Self, Refused> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let file = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Refused(format!("cannot write {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    fn commit(mut self, bytes: &[u8]) -> Result<(), Refused> {
        let failed =
            |e: std::io::Error| Refused(format!("cannot write {}: {e}", self.path.display()));
        self.file.write_all(bytes).map_err(failed)?;
        self.file.flush().map_err(failed)?;
        self.file
            .persist(&self.path)
            .map(drop)
            .map_err(|e| Refused(format!("cannot write {}: {}", self.path.display(), e.error)))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List { lab, format } => list(lab.as_deref(), format).map(|text| print!("{text}")),
        Command::Run {
            lab,
            from,
            preset,
            set,
            seed,
            steps,
            format,
            backend,
            points,
            checkpoint,
            public,
        } => {
            let files = Files {
                public,
                checkpoint,
                points,
            };
            match from {
                Some(path) => replay(&path, format, backend, &files),
                None => run(
                    lab.as_deref().unwrap_or_default(),
                    &Chosen {
                        base: BTreeMap::new(),
                        preset: preset.as_deref(),
                        set: &set,
                        replaying: None,
                    },
                    seed.as_deref().unwrap_or("1"),
                    steps.unwrap_or(10),
                    format,
                    backend,
                    &files,
                ),
            }
        }
        Command::Serve { dir, host, port } => serve::serve(&dir, host, port).map_err(Refused),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The labs to list: all, or the one named.
fn listed(lab: Option<&str>) -> Result<Vec<LabInfo>, Refused> {
    match lab {
        None => Ok(labs()),
        Some(id) => thermolab_catalog::lab(id)
            .map(|info| vec![info])
            .ok_or_else(|| unknown_lab(id)),
    }
}

fn unknown_lab(id: &str) -> Refused {
    let known: Vec<String> = labs().into_iter().map(|l| l.id).collect();
    Refused(format!(
        "there is no lab called '{id}'; known labs: {}",
        known.join(", ")
    ))
}

fn list(lab: Option<&str>, format: ListFormat) -> Result<String, Refused> {
    let labs = listed(lab)?;
    Ok(match format {
        ListFormat::Text => labs.iter().map(text_list).collect(),
        ListFormat::Markdown => labs
            .iter()
            .map(markdown_table)
            .collect::<Vec<_>>()
            .join("\n"),
        ListFormat::Json => {
            serde_json::to_string_pretty(&labs).map_err(|e| Refused(e.to_string()))? + "\n"
        }
    })
}

/// A param's range or options, in words.
fn range(spec: &ParamSpec) -> String {
    match &spec.kind {
        ParamKind::Float {
            min, max, scale, ..
        } => format!("{min}..{max}{}", log_mark(*scale)),
        ParamKind::Int {
            min, max, scale, ..
        } => format!("{min}..{max}{}", log_mark(*scale)),
        ParamKind::Choice { options, .. } => options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>()
            .join("|"),
        ParamKind::Toggle { .. } => "true|false".to_string(),
        ParamKind::FloatList {
            min,
            max,
            length_from,
            ..
        } => format!("{min}..{max},... one per {length_from}"),
        ParamKind::Points {
            extent, max_points, ..
        } => format!("x,y,... up to {max_points} points in [-{extent}, {extent}]"),
    }
}

fn apply_mark(apply: Apply) -> &'static str {
    match apply {
        Apply::Live => "live",
        Apply::Restart => "restart",
    }
}

/// The help, and when the param matters if not always ("Only when
/// Environment is Linear contextual."); the CLI accepts it either way.
fn help_with_condition(spec: &ParamSpec, schema: &Schema) -> String {
    match &spec.when {
        Some(condition) => format!("{} Only when {}.", spec.help, condition.describe(schema)),
        None => spec.help.clone(),
    }
}

fn text_list(lab: &LabInfo) -> String {
    let mut out = format!("{}  {}\n    {}\n", lab.id, lab.title, lab.summary);
    for spec in &lab.schema.params {
        out.push_str(&format!(
            "    --set {}=<{}>  default {} {}  [{}]  {}\n",
            spec.key,
            range(spec),
            spec.default_value(),
            spec.unit,
            apply_mark(spec.apply),
            help_with_condition(spec, &lab.schema)
        ));
    }
    for preset in &lab.presets {
        out.push_str(&format!(
            "    --preset {}  {} ({} steps; {})\n",
            preset.name, preset.title, preset.steps, preset.paper
        ));
    }
    out
}

/// The lab's params as a Markdown table, the docs' parameter tables.
fn markdown_table(lab: &LabInfo) -> String {
    let cell = |text: String| text.replace('|', "\\|");
    let mut out = String::from(
        "| Key | Control | Range | Default | Unit | Applies | What it does |\n|---|---|---|---|---|---|---|\n",
    );
    for spec in &lab.schema.params {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            spec.key,
            cell(spec.label.clone()),
            cell(range(spec)),
            cell(spec.default_value().to_string()),
            cell(spec.unit.clone()),
            apply_mark(spec.apply),
            cell(help_with_condition(spec, &lab.schema))
        ));
    }
    out
}

fn log_mark(scale: Scale) -> &'static str {
    match scale {
        Scale::Linear => "",
        Scale::Log => " (log)",
    }
}

/// The values a run starts from: the preset's (when `--preset` names one),
/// then what `--set` gives, parsed against the lab's schema (a key given
/// twice is refused rather than silently overridden).
fn values_from(info: &LabInfo, chosen: &Chosen) -> Result<BTreeMap<String, Value>, Refused> {
    let mut values = chosen.base.clone();
    if let Some(name) = chosen.preset {
        values.extend(info.preset_params(name).map_err(Refused)?.values().clone());
    }
    let set =
        parse_assignments(&info.schema, chosen.set).map_err(|e| Refused(format!("--set: {e}")))?;
    values.extend(set);
    Ok(values)
}

/// What the command line chose of a lab's params: values from a run file,
/// then a preset's, then `--set`'s.
struct Chosen<'a> {
    base: BTreeMap<String, Value>,
    preset: Option<&'a str>,
    set: &'a [String],
    /// The run file being replayed, to compare its figures with the replay's.
    replaying: Option<&'a RunRecord>,
}

/// Runs what a run file recorded, and says whether the figures came out the same.
fn replay(
    path: &Path,
    format: Format,
    backend: BackendChoice,
    files: &Files,
) -> Result<(), Refused> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Refused(format!("cannot read {}: {e}", path.display())))?;
    let record = RunRecord::parse(&text).map_err(Refused)?;
    run(
        &record.lab,
        &Chosen {
            base: record.values.clone(),
            preset: None,
            set: &[],
            replaying: Some(&record),
        },
        &record.seed.to_string(),
        record.steps,
        format,
        backend,
        files,
    )
}

fn run(
    lab: &str,
    chosen: &Chosen,
    seed: &str,
    steps: u64,
    format: Format,
    backend: BackendChoice,
    files: &Files,
) -> Result<(), Refused> {
    let info = thermolab_catalog::lab(lab).ok_or_else(|| unknown_lab(lab))?;
    let seed = match runner_schema().parse("seed", seed) {
        Ok(Value::Int(seed)) => seed as u64,
        Ok(_) => unreachable!("the seed is a whole-number param"),
        Err(e) => return Err(Refused(e.message)),
    };
    let values = values_from(&info, chosen)?;
    if files.checkpoint.is_some() && !info.checkpoint {
        return Err(Refused(format!(
            "the {lab} lab has no trained model to write: --checkpoint is for labs with one"
        )));
    }
    let checkpoint = files
        .checkpoint
        .as_deref()
        .map(Output::prepare)
        .transpose()?;
    let points = files.points.as_deref().map(Output::prepare).transpose()?;
    let compute = match backend {
        BackendChoice::Cpu => Compute::cpu("--backend cpu was given"),
        BackendChoice::Auto => pollster::block_on(Compute::acquire()),
    };
    eprintln!("compute: {}", compute.info.name);
    let assets = Assets::read_from(&files.public, &info.assets);
    let (mut session, refused) =
        Session::start(REGISTRY, &compute, lab, &values, seed, &assets).map_err(Refused)?;
    if let Some(e) = refused.first() {
        return Err(Refused(e.message.clone()));
    }
    for _ in 0..steps {
        if pollster::block_on(session.step()) != StepReport::Stepped {
            break;
        }
    }
    let snapshot = session.snapshot();
    match format {
        Format::Csv => print!("{}", series_csv(&snapshot)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&snapshot).map_err(|e| Refused(e.to_string()))?
        ),
        Format::Run => println!(
            "{}",
            RunRecord::new(lab, seed, session.params().values(), &snapshot).to_json()
        ),
    }
    if let Some(record) = chosen.replaying {
        let differences = record.differences(&snapshot.view.figures, REPLAY_TOLERANCE);
        if differences.is_empty() {
            eprintln!(
                "replayed: every figure matches the run file ({} steps, seed {seed})",
                record.steps
            );
        } else {
            eprintln!(
                "replayed, but figures differ from the run file (another device or version?):"
            );
            for difference in differences {
                eprintln!("  {difference}");
            }
        }
    }
    for figure in &snapshot.view.figures {
        match figure.value {
            Some(v) => eprintln!("{}: {v:.3} {}", figure.label, figure.unit),
            None => eprintln!("{}: n/a ({})", figure.label, figure.note),
        }
    }
    for (key, value) in &snapshot.view.facts {
        eprintln!("{key}: {value}");
    }
    // A diverged or failed run writes nothing: its model and samples are not results.
    match &snapshot.status {
        RunStatus::Diverged { step, what } => {
            return Err(Refused(format!(
                "the run diverged at step {step}: {what}; nothing was written"
            )));
        }
        RunStatus::Failed { message } => {
            return Err(Refused(format!(
                "the run failed: {message}; nothing was written"
            )));
        }
        _ => {}
    }
    if let Some(output) = checkpoint {
        let bytes = pollster::block_on(session.checkpoint())
            .ok_or_else(|| Refused(format!("the {lab} lab has no checkpoint to write")))?
            .map_err(|e| Refused(e.to_string()))?;
        output.commit(&bytes)?;
    }
    if let Some(output) = points {
        output.commit(points_csv(&snapshot).as_bytes())?;
    }
    Ok(())
}
