//! The bandit algorithms against what theory says they must do. Every run is
//! seeded, so these are exact replays, not flaky statistics; the tolerances
//! are set from the theory's constants, not from observed outputs.

use std::collections::BTreeMap;

use thermolab_bandits::{BanditsLab, schema};
use thermolab_core::experiment::{Experiment, StepOutcome};
use thermolab_core::params::Value;

fn lab(settings: &[(&str, Value)], seed: u64) -> BanditsLab {
    let values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let (params, refused) = schema().params_from_values(&values);
    assert!(refused.is_empty(), "{refused:?}");
    BanditsLab::new(&params, seed).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn run_to(lab: &mut BanditsLab, steps: u64) {
    for _ in 0..steps {
        if pollster::block_on(lab.step()).unwrap() == StepOutcome::Finished {
            break;
        }
    }
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn two_gaussian_arms(algos: [&str; 2], runs: i64, horizon: i64) -> BanditsLab {
    lab(
        &[
            ("env", text("gaussian")),
            ("arms", Value::Int(2)),
            ("gap", Value::Float(0.5)),
            ("algo_1", text(algos[0])),
            ("algo_2", text(algos[1])),
            ("algo_3", text("none")),
            ("runs", Value::Int(runs)),
            ("horizon", Value::Int(horizon)),
        ],
        7,
    )
}

#[test]
fn ucb1_regret_grows_logarithmically_and_thompson_is_no_worse() {
    let n = 250;
    let mut lab = two_gaussian_arms(["ucb1", "thompson"], 200, 16 * n);
    run_to(&mut lab, n as u64);
    let early = lab.mean_regrets();
    run_to(&mut lab, 15 * n as u64);
    let late = lab.mean_regrets();
    let ratio = late[0].1 / early[0].1;
    let log_ratio = ((16 * n) as f64).ln() / (n as f64).ln();
    // Linear regret would give 16; logarithmic gives about the log ratio (1.5).
    assert!(
        ratio < 2.0 * log_ratio,
        "UCB1 regret ratio {ratio} (log ratio {log_ratio})"
    );
    assert!(ratio > 1.0);
    let (ucb, ucb_se) = mean_and_se(lab.run_regrets(0));
    let (ts, ts_se) = mean_and_se(lab.run_regrets(1));
    assert!(
        ts <= ucb + 3.0 * (ucb_se.powi(2) + ts_se.powi(2)).sqrt(),
        "Thompson {ts} against UCB1 {ucb}"
    );
}

#[test]
fn exp3_stays_below_its_adversarial_bound() {
    let (n, k) = (2000u64, 5.0f64);
    let mut lab = lab(
        &[
            ("env", text("adversarial")),
            ("arms", Value::Int(5)),
            ("gap", Value::Float(0.4)),
            ("algo_1", text("exp3")),
            ("algo_2", text("ucb1")),
            ("algo_3", text("none")),
            ("runs", Value::Int(100)),
            ("horizon", Value::Int(n as i64)),
        ],
        3,
    );
    run_to(&mut lab, n);
    let regrets = lab.mean_regrets();
    let bound = 2.0 * (n as f64 * k * k.ln()).sqrt();
    assert!(
        regrets[0].1 < bound,
        "Exp3 regret {} >= {bound}",
        regrets[0].1
    );
    assert!(regrets[0].1 > 0.0);
}

#[test]
fn softmax_is_uniform_when_hot() {
    let mut lab = lab(
        &[
            ("algo_1", text("boltzmann")),
            ("algo_2", text("none")),
            ("algo_3", text("none")),
            ("arms", Value::Int(4)),
            ("temperature", Value::Float(1e3)),
            ("runs", Value::Int(200)),
            ("horizon", Value::Int(100)),
        ],
        1,
    );
    run_to(&mut lab, 100);
    let entropy = lab.mean_policy_entropy(0).unwrap();
    assert!((entropy - 4f64.ln()).abs() < 1e-3, "entropy {entropy}");
    let pulls = lab.pulls(0);
    let total: u64 = pulls.iter().sum();
    for p in pulls {
        assert!((*p as f64 / total as f64 - 0.25).abs() < 0.02, "{pulls:?}");
    }
}

#[test]
fn the_entropy_target_is_held_by_the_dual_update() {
    for target in [0.3, 0.7, 1.1] {
        let mut lab = lab(
            &[
                ("algo_1", text("gradient")),
                ("algo_2", text("none")),
                ("algo_3", text("none")),
                ("arms", Value::Int(5)),
                ("step_size", Value::Float(0.2)),
                ("hold_entropy", Value::Bool(true)),
                ("entropy_target", Value::Float(target)),
                ("dual_step", Value::Float(0.1)),
                ("runs", Value::Int(100)),
                ("horizon", Value::Int(3000)),
            ],
            4,
        );
        // Held means held throughout, not crossed by a drift at the end:
        // checked every 50 steps after a burn-in of 1,000.
        run_to(&mut lab, 1000);
        for checkpoint in 0..=40 {
            let entropy = lab.mean_policy_entropy(0).unwrap();
            let step = 1000 + 50 * checkpoint;
            assert!(
                (entropy - target).abs() < 0.1,
                "target {target}, step {step}: entropy {entropy}"
            );
            run_to(&mut lab, 50);
        }
    }
}

#[test]
fn runs_are_independent_of_how_many_there_are() {
    let regrets = |runs: i64| {
        let mut lab = two_gaussian_arms(["thompson", "boltzmann"], runs, 200);
        run_to(&mut lab, 200);
        (lab.run_regrets(0).to_vec(), lab.run_regrets(1).to_vec())
    };
    let (few_ts, few_b) = regrets(3);
    let (many_ts, many_b) = regrets(8);
    assert_eq!(few_ts[..], many_ts[..3]);
    assert_eq!(few_b[..], many_b[..3]);
    assert_ne!(many_ts[0], many_ts[1], "runs must differ from each other");
}

#[test]
fn the_run_finishes_at_the_horizon() {
    let mut lab = two_gaussian_arms(["ucb1", "none"], 2, 10);
    for _ in 0..9 {
        assert_eq!(
            pollster::block_on(lab.step()).unwrap(),
            StepOutcome::Continue
        );
    }
    assert_eq!(
        pollster::block_on(lab.step()).unwrap(),
        StepOutcome::Finished
    );
    assert_eq!(
        pollster::block_on(lab.step()).unwrap(),
        StepOutcome::Finished
    );
    assert_eq!(lab.snapshot().step, 10);
}

fn linear(settings: &[(&str, Value)], seed: u64) -> BanditsLab {
    let mut all = vec![
        ("env", text("linear")),
        ("algo_1", text("linucb")),
        ("algo_2", text("lints")),
        ("algo_3", text("threshold")),
        ("runs", Value::Int(50)),
    ];
    all.extend(settings.iter().cloned());
    lab(&all, seed)
}

#[test]
fn linear_algorithms_have_sublinear_regret_when_well_specified() {
    let n = 200;
    let mut lab = linear(
        &[("dim", Value::Int(3)), ("horizon", Value::Int(16 * n))],
        5,
    );
    run_to(&mut lab, n as u64);
    let early = lab.mean_regrets();
    run_to(&mut lab, 15 * n as u64);
    let late = lab.mean_regrets();
    for (slot, ((name, before), (_, after))) in early.iter().zip(&late).enumerate().take(2) {
        // Linear regret would multiply by 16 over 16 times the steps.
        assert!(*before > 0.0, "{name} learned nothing to learn");
        assert!(
            after / before < 4.0,
            "slot {slot} {name}: {before} -> {after}"
        );
    }
}

#[test]
fn the_threshold_rule_with_threshold_zero_is_linucb() {
    // The same slot, so both draw the same tie-breaking numbers.
    let regrets = |algo: &str, threshold: f64| {
        let mut lab = linear(
            &[
                ("algo_1", text(algo)),
                ("selection_threshold", Value::Float(threshold)),
                ("horizon", Value::Int(300)),
            ],
            6,
        );
        run_to(&mut lab, 300);
        lab.run_regrets(0).to_vec()
    };
    assert_eq!(regrets("linucb", 0.0), regrets("threshold", 0.0));
    // Widths start at 1 (A^-1 = I, unit features) and only shrink: a
    // threshold of 1 keeps almost nothing, and the runs go differently.
    assert_ne!(regrets("linucb", 1.0), regrets("threshold", 1.0));
}

#[test]
fn the_ellipse_is_the_level_set_of_the_confidence_form() {
    use thermolab_core::experiment::ChartKind;
    let mut lab = linear(&[("horizon", Value::Int(100))], 7);
    run_to(&mut lab, 40);
    let snapshot = lab.snapshot();
    let chart = snapshot
        .charts
        .iter()
        .find(|c| c.key == "ellipse")
        .expect("no ellipse at d = 2");
    let ChartKind::Lines { lines, .. } = &chart.kind else {
        panic!("the ellipse is not a line chart");
    };
    // Three ellipses (LinUCB, LinTS, threshold) and the true theta.
    assert_eq!(lines.len(), 4);
    let truth = &lines[3].points[0];
    let norm = (truth.x * truth.x + truth.mean * truth.mean).sqrt();
    assert!((norm - 1.0).abs() < 1e-9, "theta is a unit vector");
    // Each ellipse is closed and centred: opposite points average to the centre.
    for line in &lines[..3] {
        let p = &line.points;
        assert!((p[0].x - p[p.len() - 1].x).abs() < 1e-9);
        let half = (p.len() - 1) / 2;
        let (cx, cy) = ((p[0].x + p[half].x) / 2.0, (p[0].mean + p[half].mean) / 2.0);
        let (cx2, cy2) = (
            (p[10].x + p[10 + half].x) / 2.0,
            (p[10].mean + p[10 + half].mean) / 2.0,
        );
        assert!((cx - cx2).abs() < 1e-9 && (cy - cy2).abs() < 1e-9);
    }
    let mut wide = linear(&[("dim", Value::Int(3)), ("horizon", Value::Int(10))], 7);
    run_to(&mut wide, 2);
    assert!(wide.snapshot().charts.iter().all(|c| c.key != "ellipse"));
}
