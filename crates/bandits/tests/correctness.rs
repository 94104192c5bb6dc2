//! The bandit algorithms against what theory says they must do. Every run is
//! seeded, so these are exact replays, not flaky statistics; the tolerances
//! are set from the theory's constants, not from observed outputs.

use std::collections::BTreeMap;

use thermolab_bandits::BanditsLab;
use thermolab_core::assets::Assets;
use thermolab_core::experiment::{ChartKind, StepOutcome};
use thermolab_core::params::Value;
use thermolab_gpu::Compute;
use thermolab_kit::Hosted;

type Lab = Hosted<BanditsLab>;

/// The lab on the CPU reference path.
fn lab(settings: &[(&str, Value)], seed: u64) -> Lab {
    let values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let compute = Compute::cpu("the CPU reference path was asked for");
    Hosted::from_values(&compute, &values, seed, &Assets::default()).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn run_to(lab: &mut Lab, steps: u64) {
    for _ in 0..steps {
        if pollster::block_on(lab.step()).unwrap() == StepOutcome::Finished {
            break;
        }
    }
}

fn run_regrets(lab: &Lab, slot: usize) -> Vec<f64> {
    pollster::block_on(lab.run_regrets(slot)).unwrap()
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn two_gaussian_arms(algos: [&str; 2], runs: i64, horizon: i64) -> Lab {
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
    let (ucb, ucb_se) = mean_and_se(&run_regrets(&lab, 0));
    let (ts, ts_se) = mean_and_se(&run_regrets(&lab, 1));
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
    // The policy chart shows each arm at 1/4.
    let view = lab.view();
    let chart = view.charts.iter().find(|c| c.key == "policy_1").unwrap();
    let ChartKind::Lines { lines, .. } = &chart.kind else {
        panic!("the policy chart is not a line chart");
    };
    assert_eq!(lines.len(), 4);
    for line in lines {
        assert!(
            (line.points.last().unwrap().mean - 0.25).abs() < 1e-3,
            "{}",
            line.label
        );
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
        (run_regrets(&lab, 0), run_regrets(&lab, 1))
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
    assert_eq!(lab.rounds(), 10);
}

fn linear(settings: &[(&str, Value)], seed: u64) -> Lab {
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
        run_regrets(&lab, 0)
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
    let view = lab.view();
    let chart = view
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
    assert!(wide.view().charts.iter().all(|c| c.key != "ellipse"));
}

#[test]
fn arm_means_set_by_hand_are_the_arms_the_algorithms_face() {
    let mut lab = lab(
        &[
            ("instance", text("custom")),
            ("arms", Value::Int(4)),
            ("means", Value::List(vec![0.1, 0.9, 0.3])),
            ("algo_1", text("ucb1")),
            ("algo_2", text("none")),
            ("algo_3", text("none")),
            ("runs", Value::Int(50)),
            ("horizon", Value::Int(2000)),
        ],
        4,
    );
    run_to(&mut lab, 2000);
    // The fourth arm, not in the list, gets the pad value 0.5.
    let facts = lab.view().facts;
    let means = facts.iter().find(|(k, _)| k == "Arm means").unwrap();
    assert_eq!(means.1, "0.10 0.90 0.30 0.50");
    let pulls = lab.pulls(0);
    let share = pulls[1] as f64 / pulls.iter().sum::<u64>() as f64;
    assert!(
        share > 0.8,
        "UCB1 pulled the 0.9 arm {share} of the time: {pulls:?}"
    );
}

/// LinUCB's and the threshold rule's mean regret after 1,000 and 4,000
/// steps on the aligned design with misspecification `zeta`.
fn aligned_regrets(zeta: f64) -> [[f64; 2]; 2] {
    let mut lab = linear(
        &[
            ("contexts", text("aligned")),
            ("arms", Value::Int(2)),
            ("zeta", Value::Float(zeta)),
            ("algo_2", text("threshold")),
            ("algo_3", text("none")),
            ("horizon", Value::Int(4000)),
        ],
        5,
    );
    run_to(&mut lab, 1000);
    let early = lab.mean_regrets();
    run_to(&mut lab, 3000);
    let late = lab.mean_regrets();
    [0, 1].map(|slot| [early[slot].1, late[slot].1])
}

#[test]
fn beyond_delta_over_d_the_threshold_rule_beats_linucb() {
    // Aligned design, d = 2: gap Delta = sqrt(0.99) - 2 zeta = 0.39 at zeta =
    // 0.3, so zeta > Delta / d. Least squares over every round learns a slope
    // zeta / 0.1 along w and keeps pulling the decoy: linear regret. The rule
    // stops adding the best arm's low-uncertainty rounds and stays put.
    let [linucb, threshold] = aligned_regrets(0.3);
    assert!(
        linucb[1] / linucb[0] > 3.0,
        "LinUCB {linucb:?} should grow linearly"
    );
    assert!(
        threshold[1] / threshold[0] < 1.2,
        "threshold rule {threshold:?} should level off"
    );
    assert!(
        threshold[1] < linucb[1] / 5.0,
        "threshold {threshold:?} vs LinUCB {linucb:?}"
    );
    // Well specified, the two coincide and both level off.
    let [linucb, threshold] = aligned_regrets(0.0);
    assert!(
        linucb[1] < 2.0 && threshold[1] < 2.0,
        "{linucb:?} {threshold:?}"
    );
}
