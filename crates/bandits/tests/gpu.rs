//! The WGSL bandit kernels against the CPU reference path, on a real wgpu
//! device (lavapipe's Vulkan on a machine without a GPU). Both draw the same
//! counter-RNG words in the same order, so a GPU run replays its CPU twin
//! until f32 rounding flips a near-tie (or, in Thompson sampling, a Gamma
//! draw's acceptance test); after that the two runs differ but follow the
//! same law.

use std::collections::BTreeMap;

use thermolab_bandits::BanditsLab;
use thermolab_core::assets::Assets;
use thermolab_core::experiment::{ChartKind, StepOutcome};
use thermolab_core::params::Value;
use thermolab_gpu::Compute;
use thermolab_kit::Hosted;

type Lab = Hosted<BanditsLab>;

fn compute() -> &'static Compute {
    let compute = Compute::shared_native();
    compute.require_gpu();
    compute
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn lab(
    env: &str,
    algos: [&str; 4],
    runs: i64,
    horizon: i64,
    on_gpu: bool,
    extra: &[(&str, Value)],
) -> Lab {
    let settings = [
        ("env", text(env)),
        ("arms", Value::Int(4)),
        ("gap", Value::Float(0.2)),
        ("switch_step", Value::Int(60)),
        ("algo_1", text(algos[0])),
        ("algo_2", text(algos[1])),
        ("algo_3", text(algos[2])),
        ("algo_4", text(algos[3])),
        ("runs", Value::Int(runs)),
        ("horizon", Value::Int(horizon)),
        ("temperature", Value::Float(0.1)),
        ("compute", text(if on_gpu { "auto" } else { "cpu" })),
    ];
    let values: BTreeMap<String, Value> = settings
        .into_iter()
        .chain(extra.iter().cloned())
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let lab: Lab = Hosted::from_values(compute(), &values, 3, &Assets::default()).unwrap();
    assert_eq!(lab.on_gpu(), on_gpu);
    lab
}

fn run_to_end(lab: &mut Lab) {
    while pollster::block_on(lab.step()).unwrap() == StepOutcome::Continue {}
}

fn run_regrets(lab: &Lab, slot: usize) -> Vec<f64> {
    pollster::block_on(lab.run_regrets(slot)).unwrap()
}

const KERNEL_ALGORITHMS: [&str; 4] = ["ucb1", "thompson", "epsilon_greedy", "boltzmann"];
const KL_UCB_AND_TSALLIS_INF: [&str; 4] = ["kl_ucb", "tsallis_inf", "none", "none"];
/// The policy-gradient kernels: a lab has at most four algorithms.
const POLICY_ALGORITHMS: [&str; 4] = ["gradient", "exp3", "boltzmann", "none"];

fn sample_sd(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Half the width of the regret chart's band at the last round of `slot`.
fn regret_band_half_width(lab: &Lab, slot: usize) -> f64 {
    let view = lab.view();
    let chart = view.charts.iter().find(|c| c.key == "regret").unwrap();
    let ChartKind::Lines { lines, .. } = &chart.kind else {
        panic!("the regret chart is not a line chart");
    };
    let last = lines[slot].points.last().unwrap();
    (last.max - last.min) / 2.0
}

/// The last mean probability of each arm in the policy chart of slot `slot` (1-based).
fn last_policy(lab: &Lab, slot: usize) -> Vec<f64> {
    let view = lab.view();
    let key = format!("policy_{slot}");
    let chart = view.charts.iter().find(|c| c.key == key).unwrap();
    let ChartKind::Lines { lines, .. } = &chart.kind else {
        panic!("the policy chart is not a line chart");
    };
    lines
        .iter()
        .map(|l| l.points.last().unwrap().mean)
        .collect()
}

/// Share of runs whose final regret is the same on both paths (to f32's precision).
fn replayed_share(gpu: &[f64], cpu: &[f64]) -> f64 {
    let same = gpu
        .iter()
        .zip(cpu)
        .filter(|(g, c)| (*g - *c).abs() <= 1e-4 * (1.0 + c.abs()))
        .count();
    same as f64 / cpu.len() as f64
}

const ENVIRONMENTS: [&str; 4] = ["bernoulli", "gaussian", "piecewise", "adversarial"];

/// Runs `algos` on both paths and checks run by run, then the reductions.
fn assert_kernels_replay_the_cpu(env: &str, algos: [&str; 4], extra: &[(&str, Value)]) {
    let (runs, horizon) = (256, 150);
    let mut gpu = lab(env, algos, runs, horizon, true, extra);
    let mut cpu = lab(env, algos, runs, horizon, false, extra);
    run_to_end(&mut gpu);
    run_to_end(&mut cpu);
    for (slot, algorithm) in algos.iter().enumerate().filter(|(_, a)| **a != "none") {
        let (g, c) = (run_regrets(&gpu, slot), run_regrets(&cpu, slot));
        let share = replayed_share(&g, &c);
        println!("{env} {algorithm}: {share:.3} of runs replayed");
        assert!(
            share >= 0.97,
            "{env} {algorithm}: only {share} of runs replayed"
        );
        // The reduction on the GPU agrees with the mean of the runs it read back.
        let reported = gpu.mean_regrets()[slot].1;
        let read_back = g.iter().sum::<f64>() / g.len() as f64;
        assert!(
            (reported - read_back).abs() < 1e-3 * (1.0 + read_back.abs()),
            "{env} {algorithm}: reduced {reported}, runs {read_back}"
        );
        let half = regret_band_half_width(&gpu, slot);
        let want = 1.96 * sample_sd(&g) / (g.len() as f64).sqrt();
        assert!(
            (half - want).abs() < 1e-3 * (1.0 + want),
            "{env} {algorithm}: band half-width {half}, from the runs {want}"
        );
        assert_eq!(gpu.pulls(slot).iter().sum::<u64>(), (runs * horizon) as u64);
        // Explicit policies: entropy and each arm's probability, reduced on the GPU.
        let (g, c) = (gpu.mean_policy_entropy(slot), cpu.mean_policy_entropy(slot));
        assert_eq!(g.is_some(), c.is_some(), "{env} {algorithm}");
        if let (Some(g), Some(c)) = (g, c) {
            assert!(
                (g - c).abs() < 0.01,
                "{env} {algorithm}: entropy {g} vs {c}"
            );
            let (g, c) = (last_policy(&gpu, slot + 1), last_policy(&cpu, slot + 1));
            assert_eq!(g.len(), 4);
            assert!((g.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{env}: {g:?}");
            for (g, c) in g.iter().zip(&c) {
                assert!((g - c).abs() < 0.01, "{env} {algorithm}: policy {g} vs {c}");
            }
        }
    }
}

#[test]
fn k_armed_kernels_replay_the_cpu_runs_on_every_k_armed_environment() {
    for env in ENVIRONMENTS {
        assert_kernels_replay_the_cpu(env, KERNEL_ALGORITHMS, &[]);
        assert_kernels_replay_the_cpu(env, KL_UCB_AND_TSALLIS_INF, &[]);
    }
}

#[test]
fn linear_kernels_replay_the_cpu_runs() {
    let algos = ["linucb", "lints", "threshold", "ucb1"];
    assert_kernels_replay_the_cpu("linear", algos, &[]);
    // At d = 2 the page draws run 1's confidence ellipses from the GPU's ridge state.
    let ellipse = |on_gpu| {
        let mut lab = lab("linear", algos, 16, 100, on_gpu, &[]);
        run_to_end(&mut lab);
        let view = lab.view();
        let chart = view.charts.iter().find(|c| c.key == "ellipse").cloned();
        let Some(ChartKind::Lines { lines, .. }) = chart.map(|c| c.kind) else {
            panic!("no ellipse chart (on the GPU: {on_gpu})");
        };
        lines
    };
    let (gpu, cpu) = (ellipse(true), ellipse(false));
    // LinUCB, LinTS, the threshold rule and the true theta.
    assert_eq!(gpu.len(), 4);
    for (g, c) in gpu.iter().zip(&cpu) {
        assert_eq!(g.label, c.label);
        for (p, q) in g.points.iter().zip(&c.points) {
            assert!(
                (p.x - q.x).abs() < 1e-3 && (p.mean - q.mean).abs() < 1e-3,
                "{}: ({}, {}) vs ({}, {})",
                g.label,
                p.x,
                p.mean,
                q.x,
                q.mean
            );
        }
    }
    let bent = [
        ("dim", Value::Int(5)),
        ("zeta", Value::Float(0.1)),
        ("noise", Value::Float(0.3)),
        ("selection_threshold", Value::Float(0.2)),
    ];
    assert_kernels_replay_the_cpu("linear", algos, &bent);
    let aligned = [
        ("contexts", Value::Text("aligned".to_string())),
        ("zeta", Value::Float(0.3)),
    ];
    assert_kernels_replay_the_cpu("linear", algos, &aligned);
}

#[test]
fn policy_kernels_replay_the_cpu_runs_with_the_entropy_target_held() {
    let hold = [
        ("hold_entropy", Value::Bool(true)),
        ("entropy_target", Value::Float(0.7)),
        ("entropy_coef", Value::Float(0.05)),
        ("exp3_gamma", Value::Float(0.05)),
    ];
    for env in ENVIRONMENTS {
        assert_kernels_replay_the_cpu(env, POLICY_ALGORITHMS, &hold);
    }
}

#[test]
fn long_thompson_runs_replay_the_cpu_as_posteriors_sharpen() {
    // Beta shapes reach thousands, where the Gamma sampler works in large numbers.
    let algos = ["thompson", "none", "none", "none"];
    let (runs, horizon) = (64, 3000);
    let mut gpu = lab("bernoulli", algos, runs, horizon, true, &[]);
    let mut cpu = lab("bernoulli", algos, runs, horizon, false, &[]);
    run_to_end(&mut gpu);
    run_to_end(&mut cpu);
    let (g, c) = (run_regrets(&gpu, 0), run_regrets(&cpu, 0));
    let share = replayed_share(&g, &c);
    println!("thompson over {horizon} steps: {share:.3} of runs replayed");
    assert!(share >= 0.9, "only {share} of runs replayed");
}

#[test]
fn a_live_temperature_reaches_the_kernel_at_the_next_dispatch() {
    let algos = ["boltzmann", "none", "none", "none"];
    let mut gpu = lab("bernoulli", algos, 128, 400, true, &[]);
    let uniform = 4f64.ln();
    let step = |lab: &mut Lab, n: usize| {
        for _ in 0..n {
            pollster::block_on(lab.step()).unwrap();
        }
        lab.mean_policy_entropy(0).unwrap()
    };
    let cold = step(&mut gpu, 96);
    assert!(cold < 0.5 * uniform, "T = 0.1: entropy {cold}");
    gpu.set("temperature", &Value::Float(100.0)).unwrap();
    // At most one dispatch (32 rounds) was computed with the old temperature.
    let hot = step(&mut gpu, 64);
    assert!(
        hot > 0.99 * uniform,
        "T = 100: entropy {hot}, ln K = {uniform}"
    );
}
