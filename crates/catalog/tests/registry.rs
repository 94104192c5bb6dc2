//! The registry and the session over it: every lab declared consistently,
//! sessions that step, reset and refuse bad values, and the bench page
//! running every lab's benchmark (on wgpu over lavapipe, and on the CPU).

use std::collections::BTreeMap;

use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::experiment::{ChartKind, RESERVED_KEYS, RunStatus, Snapshot};
use thermolab_core::params::Value;
use thermolab_gpu::Compute;
use thermolab_kit::{Session, StepReport};

fn values(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn start(compute: &Compute, lab: &str, pairs: &[(&str, Value)]) -> Session {
    let (session, refused) = Session::start(
        REGISTRY,
        compute,
        lab,
        &values(pairs),
        9,
        &Assets::default(),
    )
    .unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    session
}

#[test]
fn every_labs_formula_is_mathml_naming_its_own_params() {
    for lab in labs() {
        if lab.id == "device" {
            assert!(lab.formula.is_empty(), "the Device lab has no update rule");
            continue;
        }
        if let Some(wrong) = thermolab_core::formula::check(&lab.formula, &lab.schema) {
            panic!("{}: {wrong}", lab.id);
        }
        let filled =
            thermolab_core::formula::fill(&lab.formula, &lab.schema.defaults(), &lab.schema);
        assert!(!filled.contains('{'), "{}: {filled}", lab.id);
    }
}

#[test]
fn every_lab_is_declared_consistently_and_keys_do_not_shadow_the_runner() {
    REGISTRY.check().unwrap();
    let labs = labs();
    assert_eq!(
        labs.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        [
            "bandits",
            "diffusion",
            "digits",
            "linear-mdp",
            "ff",
            "policy-entropy",
            "device"
        ]
    );
    for lab in &labs {
        for spec in &lab.schema.params {
            assert!(
                !RESERVED_KEYS.contains(&spec.key.as_str()),
                "{} uses a reserved key",
                spec.key
            );
        }
    }
    // The bench page runs every lab's benchmark, with their controls and panels.
    let device = labs.iter().find(|l| l.id == "device").unwrap();
    for key in [
        "buffer_mib",
        "pulls_runs",
        "diffusion_train_steps",
        "lsvi_episodes",
        "ff_bench_steps",
    ] {
        assert!(device.schema.spec(key).is_some(), "{key}");
    }
    assert_eq!(
        device.panels,
        [
            "bandit-js",
            "tfjs-diffusion",
            "lsvi-js",
            "tfjs-ff",
            "tfjs-grpo"
        ]
    );
    let bandits = labs.iter().find(|l| l.id == "bandits").unwrap();
    assert!(bandits.schema.spec("pulls_runs").is_none());
    assert!(bandits.panels.is_empty());
}

fn tiny() -> Vec<(&'static str, Value)> {
    vec![
        ("buffer_mib", Value::Int(1)),
        ("matmul_n", Value::Int(16)),
        ("repeats", Value::Int(1)),
    ]
}

#[test]
fn session_steps_resets_plays_to_a_step_and_refuses_bad_values() {
    let compute = Compute::cpu("test");
    let mut pairs = tiny();
    pairs[1].1 = Value::Int(1 << 20);
    let (mut session, refused) = Session::start(
        REGISTRY,
        &compute,
        "device",
        &values(&pairs),
        5,
        &Assets::default(),
    )
    .unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(session.params().int("matmul_n").unwrap(), 256);
    session.set_param("matmul_n", &Value::Int(16)).unwrap();
    assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
    assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
    assert_eq!(session.snapshot().step, 2);
    assert!(
        session
            .set_param("matmul_n", &Value::Float(f64::NAN))
            .is_err()
    );
    assert!(session.set_param("nope", &Value::Int(1)).is_err());
    session.reset().unwrap();
    assert_eq!(session.snapshot().step, 0);
    assert_eq!(session.snapshot().status, RunStatus::Paused);
    // Playing to a step (a run file's replay) pauses there by itself.
    session.play_to(3);
    while session.is_playing() {
        assert!(session.is_replaying(), "a replay until its step");
        assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
    }
    assert_eq!(session.snapshot().step, 3);
    assert_eq!(session.snapshot().status, RunStatus::Paused);
    session.set_playing(true);
    assert!(!session.is_replaying(), "Play is not a replay");
    session.set_playing(false);
    session.play_to(2);
    assert!(
        !session.is_playing(),
        "a step already passed is not played to"
    );
    let nowhere = Session::start(
        REGISTRY,
        &compute,
        "nope",
        &values(&pairs),
        5,
        &Assets::default(),
    );
    assert!(nowhere.is_err());
}

#[test]
fn a_finished_diffusion_run_takes_sampling_controls_without_retraining() {
    let compute = Compute::cpu("test");
    let mut session = start(
        &compute,
        "diffusion",
        &[
            ("train_steps", Value::Int(3)),
            ("width", Value::Int(8)),
            ("batch", Value::Int(16)),
            ("particles", Value::Int(32)),
            ("sample_steps", Value::Int(4)),
        ],
    );
    while pollster::block_on(session.step()) == StepReport::Stepped {}
    let before = session.snapshot();
    assert_eq!(before.status, RunStatus::Finished);
    assert_eq!(before.step, 3);
    session
        .set_param("temperature", &Value::Float(0.2))
        .unwrap();
    assert_eq!(pollster::block_on(session.refresh()), StepReport::Stepped);
    let after = session.snapshot();
    assert_eq!(after.status, RunStatus::Finished);
    assert_eq!(after.step, 3, "a live change must not retrain");
    let samples = |s: &Snapshot| s.view.charts.iter().find(|c| c.key == "samples").cloned();
    assert_ne!(
        samples(&before),
        samples(&after),
        "new samples at the new temperature"
    );
    // A restart param still restarts.
    session.set_param("width", &Value::Int(16)).unwrap();
    assert_eq!(session.snapshot().step, 0);
}

/// The bench page at tiny sizes, every benchmark included.
fn bench_page(compute: &Compute) -> Session {
    let mut pairs = tiny();
    pairs[2].1 = Value::Int(2);
    pairs.extend([
        ("pulls_runs", Value::Int(64)),
        ("pulls_steps", Value::Int(40)),
        ("diffusion_train_steps", Value::Int(1)),
        ("diffusion_particles", Value::Int(16)),
        ("diffusion_sample_steps", Value::Int(2)),
        ("lsvi_seeds", Value::Int(4)),
        ("lsvi_episodes", Value::Int(3)),
        ("ff_bench_steps", Value::Int(1)),
        ("ff_bench_width", Value::Int(50)),
        ("ff_bench_batch", Value::Int(16)),
        ("pe_bench_steps", Value::Int(1)),
        ("pe_bench_prompts", Value::Int(2)),
    ]);
    start(compute, "device", &pairs)
}

#[test]
fn the_bench_page_fills_every_figure_on_the_gpu_and_the_rng_matches_the_cpu() {
    let compute = Compute::shared_native();
    compute.require_gpu();
    let mut session = bench_page(compute);
    for _ in 0..3 {
        assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
    }
    let snapshot = session.snapshot();
    assert_eq!(snapshot.step, 3);
    let view = &snapshot.view;
    for figure in view.figures.iter().filter(|f| f.key != "rng_mismatches") {
        let value = figure
            .value
            .unwrap_or_else(|| panic!("{} missing", figure.key));
        assert!(value.is_finite() && value > 0.0, "{} = {value}", figure.key);
    }
    let rng = view
        .figures
        .iter()
        .find(|f| f.key == "rng_mismatches")
        .unwrap();
    assert_eq!(rng.value, Some(0.0), "the GPU RNG differs from the CPU's");
    assert_eq!(rng.note, "of 12288 compared");
    let ChartKind::Heatmap { values, .. } = &view.charts[3].kind else {
        panic!("RNG uniformity chart is not a heatmap");
    };
    assert_eq!(values.iter().sum::<f64>(), 12288.0);
    let ChartKind::Scatter { groups } = &view.charts[4].kind else {
        panic!("RNG normals chart is not a scatter");
    };
    assert!(
        groups[0]
            .points
            .iter()
            .all(|p| p[0].is_finite() && p[1].is_finite())
    );
    let ChartKind::Lines { lines, .. } = &view.charts[0].kind else {
        panic!("bandwidth chart is not a line chart");
    };
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.points.len() == 3 && l.band));
    let ChartKind::Histogram { counts, .. } = &view.charts[2].kind else {
        panic!("launch chart is not a histogram");
    };
    assert_eq!(counts.iter().sum::<u64>(), 2);
    // The bandit benchmark replays the same runs on both paths.
    let ucb1 = view
        .facts
        .iter()
        .find(|(k, _)| k == "UCB1 bench mean regret")
        .map(|(_, v)| v.clone())
        .unwrap();
    let regrets: Vec<f64> = ucb1
        .split(", ")
        .map(|part| part.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(regrets.len(), 2, "{ucb1}");
    assert!(
        regrets[0] > 0.0 && (regrets[0] - regrets[1]).abs() < 1e-3 * regrets[0],
        "{ucb1}"
    );
}

#[test]
fn the_cpu_bench_page_leaves_gpu_figures_empty_with_a_reason() {
    let mut session = bench_page(&Compute::cpu("no GPU in this test"));
    assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
    let view = session.snapshot().view;
    let figure = |key: &str| view.figures.iter().find(|f| f.key == key).unwrap().clone();
    assert_eq!(figure("gpu_bandwidth").value, None);
    assert!(figure("gpu_matmul").note.contains("CPU fallback"));
    assert!(figure("cpu_matmul").value.unwrap() > 0.0);
    assert!(figure("cpu_bandwidth").value.unwrap() > 0.0);
    assert_eq!(figure("rng_mismatches").value, None);
    assert_eq!(figure("pulls_thompson_gpu").value, None);
    assert!(figure("pulls_thompson_cpu").value.unwrap() > 0.0);
    assert_eq!(figure("lsvi_gpu").value, None);
    assert!(figure("lsvi_gpu").note.contains("no WebGPU"));
    assert!(figure("lsvi_cpu").value.unwrap() > 0.0);
    assert!(figure("lsvi_plan_tensors").note.contains("burn flex"));
    assert_eq!(figure("ff_backprop_gpu").value, None);
    assert!(figure("ff_ff_cpu").value.unwrap() > 0.0);
    assert!(figure("rng_mismatches").note.contains("no WebGPU"));
    assert!(view.facts.iter().any(|(_, v)| v == "no GPU in this test"));
}

/// A lab, its settings, and the param its limit names (none: within it).
type LimitCase = (
    &'static str,
    Vec<(&'static str, Value)>,
    Option<&'static str>,
);

#[test]
fn every_labs_worst_case_is_refused_naming_the_param_to_lower() {
    // Each setting is within its own range; together they are the cases the
    // fault report measured (868 MB of bandit state, a 1.1 TFLOP matmul step,
    // a 53 TFLOP sampling), and one just inside each limit.
    let text = |s: &str| Value::Text(s.to_string());
    let cases: [LimitCase; 6] = [
        (
            "bandits",
            vec![
                ("arms", Value::Int(16)),
                ("runs", Value::Int(100_000)),
                ("algo_1", text("linucb")),
                ("algo_2", text("lints")),
                ("algo_3", text("threshold")),
                ("algo_4", text("linucb")),
            ],
            Some("runs"),
        ),
        (
            "bandits",
            vec![("arms", Value::Int(16)), ("runs", Value::Int(100_000))],
            None,
        ),
        (
            "device",
            vec![("matmul_n", Value::Int(2048)), ("repeats", Value::Int(64))],
            Some("matmul_n"),
        ),
        ("device", vec![("matmul_n", Value::Int(2048))], None),
        (
            "diffusion",
            vec![
                ("width", Value::Int(512)),
                ("depth", Value::Int(6)),
                ("particles", Value::Int(20_000)),
                ("sample_steps", Value::Int(1000)),
            ],
            Some("sample_steps"),
        ),
        (
            "diffusion",
            vec![("width", Value::Int(1024)), ("batch", Value::Int(4096))],
            Some("batch"),
        ),
    ];
    for (lab, pairs, lower) in cases {
        let info = REGISTRY.lab(lab).unwrap();
        let (params, refused) = info.schema.params_from_values(&values(&pairs));
        assert!(refused.is_empty(), "{lab} {pairs:?}: {refused:?}");
        match (REGISTRY.limits(&info, &params), lower) {
            (Ok(()), None) => {}
            (Err(error), Some(key)) => {
                assert_eq!(error.key, key, "{lab} {pairs:?}: {}", error.message);
                assert!(error.message.contains("more than"), "{}", error.message);
            }
            (result, _) => panic!("{lab} {pairs:?}: {result:?}"),
        }
    }
}

#[test]
fn a_run_opened_from_the_checkpoint_says_it_is_trained_until_its_first_step() {
    let info = REGISTRY.lab("digits").unwrap();
    let assets = Assets::read_from(&Assets::repository_public(), &info.assets);
    let few = values(&[
        ("particles", Value::Int(10)),
        ("sample_steps", Value::Int(2)),
    ]);
    let compute = Compute::cpu("test");
    let (mut session, refused) =
        Session::start(REGISTRY, &compute, "digits", &few, 9, &assets).unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(session.snapshot().trained, Some(20_000));
    assert_eq!(pollster::block_on(session.step()), StepReport::Stopped);
    assert_eq!(
        session.snapshot().trained,
        None,
        "past step 0 the step counts"
    );
    // From scratch there is nothing trained to announce.
    let mut scratch = few.clone();
    scratch.insert("start".to_string(), Value::Text("scratch".to_string()));
    let (mut session, _) =
        Session::start(REGISTRY, &compute, "digits", &scratch, 9, &assets).unwrap();
    assert_eq!(session.snapshot().trained, None);
}

#[test]
fn a_kept_model_opens_the_lab_trained_with_the_same_networks() {
    let info = REGISTRY.lab("ff").unwrap();
    let assets = Assets::read_from(&Assets::repository_public(), &info.assets);
    let tiny = values(&[
        ("width", Value::Int(50)),
        ("depth", Value::Int(2)),
        ("batch", Value::Int(16)),
        ("eval_every", Value::Int(2)),
        ("eval_digits", Value::Int(100)),
        ("rule_3", Value::Text("none".to_string())),
        ("compute", Value::Text("cpu".to_string())),
    ]);
    let accuracy = |session: &mut Session| {
        let snapshot = session.snapshot();
        let figure = snapshot.view.figures.iter().find(|f| f.key == "accuracy_1");
        figure.and_then(|f| f.value).expect("an accuracy")
    };
    let compute = Compute::cpu("test");
    let (mut trained, _) = Session::start(REGISTRY, &compute, "ff", &tiny, 9, &assets).unwrap();
    assert_eq!(
        trained.snapshot().trained,
        None,
        "width 50 fits no shipped model"
    );
    for _ in 0..4 {
        assert_eq!(pollster::block_on(trained.step()), StepReport::Stepped);
    }
    let before = accuracy(&mut trained);
    let model = pollster::block_on(trained.checkpoint()).unwrap().unwrap();

    let (mut kept, refused) =
        Session::start_trained(REGISTRY, &compute, "ff", &tiny, 9, &assets, Some(&model)).unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(kept.snapshot().trained, Some(4));
    // The first step scores the kept networks before it trains on.
    assert_eq!(pollster::block_on(kept.step()), StepReport::Stepped);
    assert_eq!(accuracy(&mut kept), before);
    // A reset starts as the lab would without the kept model.
    kept.reset().unwrap();
    assert_eq!(kept.snapshot().trained, None);
    // A model of other settings does not fit: the lab starts afresh.
    let mut wider = tiny.clone();
    wider.insert("width".to_string(), Value::Int(60));
    let (mut other, _) =
        Session::start_trained(REGISTRY, &compute, "ff", &wider, 9, &assets, Some(&model)).unwrap();
    assert_eq!(other.snapshot().trained, None);
}

#[test]
fn a_kept_2d_diffusion_model_samples_as_the_run_that_trained_it() {
    let tiny = values(&[
        ("train_steps", Value::Int(3)),
        ("width", Value::Int(8)),
        ("batch", Value::Int(16)),
        ("particles", Value::Int(64)),
        ("sample_steps", Value::Int(4)),
    ]);
    let quality = |session: &mut Session| {
        let snapshot = session.snapshot();
        let figure = snapshot.view.figures.iter().find(|f| f.key == "quality");
        figure.and_then(|f| f.value).expect("a quality")
    };
    let compute = Compute::cpu("test");
    let assets = Assets::default();
    let (mut trained, _) =
        Session::start(REGISTRY, &compute, "diffusion", &tiny, 9, &assets).unwrap();
    while pollster::block_on(trained.step()) == StepReport::Stepped {}
    let before = quality(&mut trained);
    let model = pollster::block_on(trained.checkpoint()).unwrap().unwrap();

    let (mut kept, _) = Session::start_trained(
        REGISTRY,
        &compute,
        "diffusion",
        &tiny,
        9,
        &assets,
        Some(&model),
    )
    .unwrap();
    assert_eq!(kept.snapshot().trained, Some(3));
    // Trained to its budget: the first step only samples, from the same noise.
    pollster::block_on(kept.step());
    assert_eq!(quality(&mut kept), before);
    let mut other_data = tiny.clone();
    other_data.insert("data".to_string(), Value::Text("swiss_roll".to_string()));
    let (mut other, _) = Session::start_trained(
        REGISTRY,
        &compute,
        "diffusion",
        &other_data,
        9,
        &assets,
        Some(&model),
    )
    .unwrap();
    assert_eq!(
        other.snapshot().trained,
        None,
        "a model of other data does not fit"
    );
}
