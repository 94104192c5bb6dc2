//! The LSVI kernel against the CPU path, on a real wgpu device (lavapipe's
//! Vulkan on a machine without a GPU). Both draw the same counter-RNG words
//! and break near-ties alike, so every seed's cumulative regret on the GPU
//! (f32) replays the CPU's (f64) to within 1e-3 (1 + |regret|). The burn
//! tensor planning pass (measured on the bench page) is held to the same.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::StepOutcome;
use thermolab_core::params::Value;
use thermolab_gpu::{Compute, TensorDevice};
use thermolab_kit::{Hosted, ParamSet};
use thermolab_linear_mdp::algorithms::lsvi::Backup;
use thermolab_linear_mdp::tensor_plan::TensorPlanner;
use thermolab_linear_mdp::{LinearMdpLab, LinearMdpParams};

type Lab = Hosted<LinearMdpLab>;

const TOLERANCE: f64 = 1e-3;

fn lab(settings: &[(&str, &str)], compute: &str) -> Lab {
    let schema = LinearMdpParams::schema();
    let mut values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, raw)| (k.to_string(), schema.parse(k, raw).unwrap()))
        .collect();
    values.insert("compute".to_string(), Value::Text(compute.to_string()));
    let gpu = Compute::shared_native();
    gpu.require_gpu();
    Hosted::from_values(gpu, &values, 11, &Assets::default()).unwrap()
}

fn run_to(lab: &mut Lab, episodes: u64) {
    while lab.episodes_played() < episodes {
        if pollster::block_on(lab.step()).unwrap() == StepOutcome::Finished {
            break;
        }
    }
}

fn assert_replays(settings: &[(&str, &str)], episodes: u64) {
    let mut cpu = lab(settings, "cpu");
    let mut gpu = lab(settings, "auto");
    run_to(&mut cpu, episodes);
    run_to(&mut gpu, episodes);
    for slot in 0..3 {
        assert!(gpu.on_gpu(slot) && !cpu.on_gpu(slot), "slot {slot}");
        for (seed, (g, c)) in gpu
            .seed_regrets(slot)
            .iter()
            .zip(cpu.seed_regrets(slot))
            .enumerate()
        {
            assert!(
                (g - c).abs() < TOLERANCE * (1.0 + c.abs()),
                "{settings:?} slot {slot} seed {seed}: GPU {g}, CPU {c}"
            );
        }
        for what in ["entropy", "return"] {
            let (g, c) = (gpu.last(slot, what).unwrap(), cpu.last(slot, what).unwrap());
            assert!(
                (g - c).abs() < TOLERANCE * (1.0 + c.abs()),
                "{what}: GPU {g}, CPU {c}"
            );
        }
    }
    assert_eq!(gpu.view().charts.len(), cpu.view().charts.len());
}

#[test]
fn the_kernel_replays_the_cpu_path_on_the_gridworld_the_river_and_the_linear_mdp() {
    let learners = [
        ("algo_1", "lsvi_ucb"),
        ("algo_2", "lsvi_greedy"),
        ("algo_3", "soft_vi"),
        ("seeds", "24"),
    ];
    for env in [
        &[
            ("env", "gridworld"),
            ("size", "4"),
            ("walls", "0.1,0.1"),
            ("horizon", "8"),
        ][..],
        &[("env", "river_swim"), ("horizon", "12")],
        &[
            ("env", "linear_mdp"),
            ("linear_states", "10"),
            ("features", "random"),
            ("feature_dim", "12"),
        ],
    ] {
        assert_replays(&[env, &learners].concat(), 40);
    }
}

#[test]
fn a_live_lambda_and_temperature_reach_the_kernel_as_they_reach_the_cpu() {
    let settings = [
        ("env", "gridworld"),
        ("size", "4"),
        ("features", "rbf"),
        ("algo_1", "lsvi_ucb"),
        ("algo_2", "lsvi_greedy"),
        ("algo_3", "soft_vi"),
        ("seeds", "8"),
    ];
    let mut cpu = lab(&settings, "cpu");
    let mut gpu = lab(&settings, "auto");
    // The kernel takes live values at its next dispatch: change them between chunks.
    run_to(&mut cpu, 16);
    run_to(&mut gpu, 16);
    for run in [&mut cpu, &mut gpu] {
        run.set("ridge_lambda", &Value::Float(4.0)).unwrap();
        run.set("temperature", &Value::Float(1000.0)).unwrap();
    }
    run_to(&mut cpu, 32);
    run_to(&mut gpu, 32);
    for slot in 0..3 {
        for (g, c) in gpu.seed_regrets(slot).iter().zip(cpu.seed_regrets(slot)) {
            assert!(
                (g - c).abs() < TOLERANCE * (1.0 + c.abs()),
                "slot {slot}: GPU {g}, CPU {c}"
            );
        }
    }
    let hot = gpu.last(2, "entropy").unwrap();
    assert!(
        (hot - 4f64.ln()).abs() < 1e-3,
        "soft VI at T = 1000 on the GPU: {hot}"
    );
}

#[test]
fn the_burn_planning_pass_gives_the_cpu_paths_q_tables_on_flex_and_on_wgpu() {
    let settings = [
        ("env", "gridworld"),
        ("size", "5"),
        ("horizon", "6"),
        ("features", "random"),
        ("feature_dim", "10"),
        ("algo_1", "lsvi_ucb"),
        ("algo_2", "none"),
        ("algo_3", "none"),
        ("seeds", "5"),
    ];
    let mut cpu = lab(&settings, "cpu");
    run_to(&mut cpu, 30);
    let lsvi = cpu.cpu_learner(0).and_then(|l| l.lsvi()).unwrap();
    let (mdp, features) = (cpu.mdp(), cpu.features());
    let beta = 2.0;
    let gpu = Compute::shared_native().tensor_device.clone();
    for device in [TensorDevice::flex(), gpu] {
        let planner = TensorPlanner::new(lsvi, mdp, features, 5, &device);
        let tensor_q = pollster::block_on(planner.q_tables(beta)).unwrap();
        for seed in 0..5 {
            let q = lsvi.q_tables(seed, features, beta, Backup::Max);
            for (h, qh) in q.iter().enumerate() {
                let pairs = qh.len();
                for (pair, expected) in qh.iter().enumerate() {
                    let got = f64::from(tensor_q[h][seed * pairs + pair]);
                    assert!(
                        (got - expected).abs() < TOLERANCE * (1.0 + expected.abs()),
                        "{device:?} seed {seed} h {h} pair {pair}: burn {got}, CPU {expected}"
                    );
                }
            }
        }
    }
}
