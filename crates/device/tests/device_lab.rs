//! The Device lab natively: on wgpu (lavapipe without a GPU) and on the CPU
//! fallback, against independent references.

use std::collections::BTreeMap;

use thermolab_core::experiment::{ChartKind, Experiment};
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_device::matmul::random_matrix;
use thermolab_device::{DeviceLab, schema};
use thermolab_gpu::Compute;

fn gpu_compute() -> Compute {
    let compute = Compute::shared_native();
    compute.require_gpu();
    compute.clone()
}

fn tiny_lab(compute: Compute) -> DeviceLab {
    let values: BTreeMap<String, Value> = [
        ("buffer_mib".to_string(), Value::Int(1)),
        ("matmul_n".to_string(), Value::Int(16)),
        ("repeats".to_string(), Value::Int(2)),
        ("pulls_runs".to_string(), Value::Int(64)),
        ("pulls_steps".to_string(), Value::Int(40)),
        ("diffusion_train_steps".to_string(), Value::Int(1)),
        ("diffusion_particles".to_string(), Value::Int(16)),
        ("diffusion_sample_steps".to_string(), Value::Int(2)),
    ]
    .into_iter()
    .collect();
    let (params, refused) = schema().params_from_values(&values);
    assert!(refused.is_empty());
    DeviceLab::new(compute, &params, 9).unwrap()
}

#[test]
fn burn_matmul_on_the_gpu_matches_a_naive_product() {
    let compute = gpu_compute();
    let n = 24;
    let rng = CounterRng::new(3);
    let a = random_matrix(n, rng, 0, &compute.tensor_device);
    let b = random_matrix(n, rng, 1, &compute.tensor_device);
    let product: Vec<f32> = pollster::block_on(a.matmul(b).into_data_async())
        .unwrap()
        .try_to_vec()
        .unwrap();
    let entry = |stream: u32, i: usize| f64::from(2.0 * rng.uniform(i as u32, 0, stream) - 1.0);
    for row in 0..n {
        for col in 0..n {
            let exact: f64 = (0..n)
                .map(|k| entry(0, row * n + k) * entry(1, k * n + col))
                .sum();
            let got = f64::from(product[row * n + col]);
            assert!(
                (got - exact).abs() < 1e-4,
                "({row},{col}): {got} vs {exact}"
            );
        }
    }
}

#[test]
fn gpu_steps_fill_the_figures_and_charts_and_the_rng_matches_the_cpu() {
    let mut lab = tiny_lab(gpu_compute());
    for _ in 0..3 {
        pollster::block_on(lab.step()).unwrap();
    }
    let snapshot = lab.snapshot();
    assert_eq!(snapshot.step, 3);
    for figure in snapshot
        .figures
        .iter()
        .filter(|f| f.key != "rng_mismatches")
    {
        let value = figure
            .value
            .unwrap_or_else(|| panic!("{} missing", figure.key));
        assert!(value.is_finite() && value > 0.0, "{} = {value}", figure.key);
    }
    let rng = snapshot
        .figures
        .iter()
        .find(|f| f.key == "rng_mismatches")
        .unwrap();
    assert_eq!(rng.value, Some(0.0), "the GPU RNG differs from the CPU's");
    assert_eq!(rng.note, "of 12288 compared");
    let ChartKind::Heatmap { values, .. } = &snapshot.charts[3].kind else {
        panic!("RNG uniformity chart is not a heatmap");
    };
    assert_eq!(values.iter().sum::<f64>(), 12288.0);
    let ChartKind::Scatter { groups } = &snapshot.charts[4].kind else {
        panic!("RNG normals chart is not a scatter");
    };
    assert!(
        groups[0]
            .points
            .iter()
            .all(|p| p[0].is_finite() && p[1].is_finite())
    );
    let ChartKind::Lines { lines, .. } = &snapshot.charts[0].kind else {
        panic!("bandwidth chart is not a line chart");
    };
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.points.len() == 3 && l.band));
    let ChartKind::Histogram { counts, .. } = &snapshot.charts[2].kind else {
        panic!("launch chart is not a histogram");
    };
    assert_eq!(counts.iter().sum::<u64>(), 2);
    // The bandit benchmark replays the same runs on both paths.
    let ucb1 = snapshot
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
fn live_buffer_size_applies_on_the_next_step() {
    let mut lab = tiny_lab(gpu_compute());
    pollster::block_on(lab.step()).unwrap();
    lab.set_live_param("buffer_mib", &Value::Int(2)).unwrap();
    pollster::block_on(lab.step()).unwrap();
    let facts = lab.snapshot().facts;
    assert!(
        facts
            .iter()
            .any(|(k, v)| k == "Bytes per copy" && v == "2.0 MiB"),
        "{facts:?}"
    );
    assert!(lab.set_live_param("buffer_mib", &Value::Int(4096)).is_err());
}

#[test]
fn cpu_fallback_leaves_gpu_figures_empty_with_a_reason() {
    let mut lab = tiny_lab(Compute::cpu("no GPU in this test"));
    pollster::block_on(lab.step()).unwrap();
    let snapshot = lab.snapshot();
    let figure = |key: &str| {
        snapshot
            .figures
            .iter()
            .find(|f| f.key == key)
            .unwrap()
            .clone()
    };
    assert_eq!(figure("gpu_bandwidth").value, None);
    assert!(figure("gpu_matmul").note.contains("CPU fallback"));
    assert!(figure("cpu_matmul").value.unwrap() > 0.0);
    assert!(figure("cpu_bandwidth").value.unwrap() > 0.0);
    assert_eq!(figure("rng_mismatches").value, None);
    assert_eq!(figure("pulls_thompson_gpu").value, None);
    assert!(figure("pulls_thompson_cpu").value.unwrap() > 0.0);
    assert!(figure("rng_mismatches").note.contains("no WebGPU"));
    assert!(
        snapshot
            .facts
            .iter()
            .any(|(_, v)| v == "no GPU in this test")
    );
}
