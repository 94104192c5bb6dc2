//! The `thermolab` binary: listing, a CSV run, refusals with exit code 2, and
//! `serve`.

use std::process::Command;

fn thermolab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_thermolab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn list_shows_every_parameter_from_the_schema() {
    let out = thermolab(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for key in ["buffer_mib", "matmul_n", "repeats"] {
        assert!(text.contains(&format!("--set {key}=")), "{text}");
    }
    assert!(text.contains("[live]"));
}

#[test]
fn run_prints_csv_rows_for_each_step() {
    let out = thermolab(&[
        "run",
        "device",
        "--backend",
        "cpu",
        "--steps",
        "2",
        "--seed",
        "3",
        "--set",
        "buffer_mib=1",
        "--set",
        "matmul_n=16",
        "--set",
        "repeats=1",
        "--set",
        "pulls_runs=10",
        "--set",
        "pulls_steps=5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("chart,line,x,mean,min,max"));
    let rows: Vec<&str> = lines.collect();
    // Bandwidth and matmul with one CPU line each, bandit pulls with two
    // (UCB1, Thompson), two steps each.
    assert_eq!(rows.len(), 8, "{text}");
    assert!(rows.iter().all(|r| r.split(',').count() == 6));
}

#[test]
fn bad_values_are_refused_with_exit_code_2() {
    for args in [
        &["run", "device", "--set", "matmul_n=NaN"][..],
        &["run", "device", "--set", "matmul_n=1e9"],
        &["run", "device", "--set", "nope=1"],
        &["run", "device", "--set", "matmul_n"],
        &["run", "nowhere"],
        &["run", "device", "--seed", "9007199254740992"],
        &["run", "device", "--steps", "-1"],
    ] {
        let out = thermolab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn list_names_every_lab_of_the_registry_in_order() {
    let out = thermolab(&["list", "--format", "json"]);
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|lab| lab["id"].as_str().unwrap())
        .collect();
    let registry: Vec<String> = thermolab_catalog::labs()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(ids, registry);
    // Each lab's text listing names every param of its schema.
    for lab in thermolab_catalog::labs() {
        let out = thermolab(&["list", &lab.id]);
        let text = String::from_utf8(out.stdout).unwrap();
        for spec in &lab.schema.params {
            assert!(
                text.contains(&format!("--set {}=", spec.key)),
                "{}: {}",
                lab.id,
                spec.key
            );
        }
    }
    assert_eq!(thermolab(&["list", "nowhere"]).status.code(), Some(2));
}

#[test]
fn every_lab_page_in_the_docs_has_the_schemas_parameter_table() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/labs");
    for lab in thermolab_catalog::labs() {
        let page = std::fs::read_to_string(docs.join(format!("{}.md", lab.id)))
            .unwrap_or_else(|e| panic!("docs/labs/{}.md: {e}", lab.id));
        let out = thermolab(&["list", &lab.id, "--format", "markdown"]);
        let table = String::from_utf8(out.stdout).unwrap();
        let block = format!(
            "<!-- params:begin (cargo xtask docs writes this table from the schema) -->\n{table}<!-- params:end -->"
        );
        assert!(
            page.contains(&block),
            "docs/labs/{}.md is out of date: run cargo xtask docs",
            lab.id
        );
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("thermolab-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn outputs_are_checked_before_the_run_and_repeated_or_unsafe_values_are_refused() {
    let dir = temp_dir("outputs");
    // A lab without a model to write, and a place that cannot be written,
    // are refused before any compute starts (the CLI names its device first).
    for args in [
        &[
            "run",
            "bandits",
            "--checkpoint",
            dir.join("model").to_str().unwrap(),
        ][..],
        &[
            "run",
            "bandits",
            "--points",
            "/no/such/dir/points.csv",
            "--steps",
            "1000000",
        ],
    ] {
        let out = thermolab(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("compute:"), "{args:?} ran first: {stderr}");
    }
    assert!(!dir.join("model").exists());
    let twice = thermolab(&[
        "run",
        "device",
        "--set",
        "matmul_n=16",
        "--set",
        "matmul_n=32",
    ]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("matmul_n is given twice"));
    for seed in ["18446744073709551616", "9007199254740992", "-1"] {
        let out = thermolab(&["run", "device", "--seed", seed]);
        assert_eq!(out.status.code(), Some(2), "{seed}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("Seed = {seed} is outside [0, 9007199254740991]")),
            "{seed}: {stderr}"
        );
    }
}

#[test]
fn points_are_a_csv_whose_labels_keep_their_commas() {
    let dir = temp_dir("points");
    let file = dir.join("points.csv");
    let out = thermolab(&[
        "run",
        "diffusion",
        "--backend",
        "cpu",
        "--steps",
        "1",
        "--set",
        "width=8",
        "--set",
        "particles=16",
        "--set",
        "sample_steps=2",
        "--points",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_path(&file).unwrap();
    assert_eq!(reader.headers().unwrap(), vec!["chart", "group", "x", "y"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.len() > 2000, "{} rows", rows.len());
    // The forward view's group is "x_t, t = 0.30": one field, not two.
    assert!(rows.iter().any(|r| &r[1] == "x_t, t = 0.30"));
    assert!(
        rows.iter()
            .all(|r| r.len() == 4 && r[2].parse::<f32>().is_ok())
    );
}

#[test]
fn a_diverged_run_leaves_the_checkpoint_path_as_it_was() {
    let dir = temp_dir("diverged");
    let file = dir.join("digits.safetensors");
    std::fs::write(&file, b"the model that was there").unwrap();
    let out = thermolab(&[
        "run",
        "digits",
        "--backend",
        "cpu",
        "--steps",
        "400",
        "--set",
        "start=scratch",
        "--set",
        "width=64",
        "--set",
        "depth=2",
        "--set",
        "batch=32",
        "--set",
        "lr=0.1",
        "--set",
        "sample_every=5000",
        "--set",
        "particles=10",
        "--set",
        "sample_steps=2",
        "--checkpoint",
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("diverged") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"the model that was there");
    // Nothing half-written is left beside it either.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // A run that ends well replaces the file whole.
    let out = thermolab(&[
        "run",
        "digits",
        "--backend",
        "cpu",
        "--steps",
        "2",
        "--set",
        "start=scratch",
        "--set",
        "width=16",
        "--set",
        "depth=1",
        "--set",
        "batch=8",
        "--set",
        "particles=10",
        "--set",
        "sample_steps=2",
        "--checkpoint",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        &std::fs::read(&file).unwrap()[8..9],
        b"{",
        "a safetensors header"
    );
}

/// `thermolab serve` on a free port, stopped when dropped.
struct Served {
    child: std::process::Child,
    address: String,
}

impl Served {
    fn start(dir: &std::path::Path) -> Self {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_thermolab"))
            .args(["serve", dir.to_str().unwrap(), "--port", "0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let said: Vec<String> = lines
            .by_ref()
            .map_while(Result::ok)
            .take_while(|line| line != "Stop with Ctrl-C.")
            .collect();
        let url = said
            .iter()
            .find_map(|line| line.trim().strip_prefix("http://").map(str::to_string))
            .expect("serve prints its URL");
        Self {
            child,
            address: url.trim_end_matches('/').to_string(),
        }
    }

    /// The status line, the Content-Type and the body of GET `path`, the
    /// path sent as written (no client normalizes it away).
    fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let head = String::from_utf8_lossy(&response[..split]).to_string();
        let code = head[9..12].parse().unwrap();
        let content_type = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-type")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        (code, content_type, response[split + 4..].to_vec())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_gives_the_site_with_its_mime_types_and_nothing_outside_it() {
    let dir = temp_dir("serve");
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("index.html"), "<p>lab</p>").unwrap();
    std::fs::write(site.join("pkg/app.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(site.join("pkg/app.js"), "export {}").unwrap();
    std::fs::write(dir.join("secret.txt"), "teacher's notes").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("secret.txt"), site.join("link.txt")).unwrap();
    let served = Served::start(&site);

    let (code, kind, body) = served.get("/");
    assert_eq!(
        (code, kind.as_str(), body.as_slice()),
        (200, "text/html; charset=utf-8", &b"<p>lab</p>"[..])
    );
    assert_eq!(served.get("/index.html?lab=bandits").0, 200);
    let (code, kind, body) = served.get("/pkg/app.wasm");
    assert_eq!((code, kind.as_str()), (200, "application/wasm"));
    assert_eq!(body, b"\0asm\x01\0\0\0");
    assert!(served.get("/pkg/app.js").1.starts_with("text/javascript"));
    assert_eq!(served.get("/pkg/missing.wasm").0, 404);
    for outside in [
        "/../secret.txt",
        "/pkg/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/pkg/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/..%5csecret.txt",
        "/link.txt",
    ] {
        let (code, _, body) = served.get(outside);
        assert!(code == 403 || code == 404, "{outside} answered {code}");
        assert!(
            !String::from_utf8_lossy(&body).contains("teacher"),
            "{outside} leaked the file"
        );
    }
    drop(served);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serve_refuses_a_folder_without_a_site() {
    let dir = temp_dir("serve-empty");
    let out = thermolab(&["serve", dir.to_str().unwrap(), "--port", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no index.html"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_file_replays_to_the_same_figures_and_a_bad_one_is_refused() {
    let dir = temp_dir("replay");
    let recorded = thermolab(&[
        "run",
        "bandits",
        "--set",
        "runs=20",
        "--set",
        "horizon=300",
        "--seed",
        "9",
        "--steps",
        "120",
        "--format",
        "run",
        "--backend",
        "cpu",
    ]);
    assert!(
        recorded.status.success(),
        "{}",
        String::from_utf8_lossy(&recorded.stderr)
    );
    let file = dir.join("run.json");
    std::fs::write(&file, &recorded.stdout).unwrap();
    let record: serde_json::Value = serde_json::from_slice(&recorded.stdout).unwrap();
    assert_eq!(
        (
            record["lab"].as_str(),
            record["seed"].as_u64(),
            record["steps"].as_u64()
        ),
        (Some("bandits"), Some(9), Some(120))
    );

    let replayed = thermolab(&[
        "run",
        "--from",
        file.to_str().unwrap(),
        "--format",
        "run",
        "--backend",
        "cpu",
    ]);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert!(String::from_utf8_lossy(&replayed.stderr).contains("every figure matches"));
    let again: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert_eq!(again["figures"], record["figures"]);
    assert_eq!(again["values"], record["values"]);

    // Another seed's figures are told apart.
    let other = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"seed\": 9", "\"seed\": 10");
    std::fs::write(&file, other).unwrap();
    let differs = thermolab(&["run", "--from", file.to_str().unwrap(), "--backend", "cpu"]);
    assert!(String::from_utf8_lossy(&differs.stderr).contains("figures differ"));

    for bad in [
        "{}",
        "not json",
        "{\"thermolab\": \"0.1.0\", \"lab\": \"bandits\", \"seed\": 1, \"steps\": 99999999999, \"values\": {}, \"figures\": []}",
    ] {
        std::fs::write(&file, bad).unwrap();
        let out = thermolab(&["run", "--from", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let both = thermolab(&["run", "bandits", "--from", file.to_str().unwrap()]);
    assert_eq!(both.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
