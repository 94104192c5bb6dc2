//! The Device lab natively: on wgpu (lavapipe without a GPU) and on the CPU
//! fallback, against independent references. The bench page with every
//! lab's benchmark is tested in the catalog, which knows them all.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_device::DeviceLab;
use thermolab_device::bandwidth::KERNEL;
use thermolab_device::matmul::random_matrix;
use thermolab_gpu::{Compute, Gpu, grid_2d, wgpu};
use thermolab_kit::Hosted;

fn gpu_compute() -> Compute {
    let compute = Compute::shared_native();
    compute.require_gpu();
    compute.clone()
}

fn tiny_lab(compute: Compute) -> Hosted<DeviceLab> {
    let values: BTreeMap<String, Value> = [
        ("buffer_mib".to_string(), Value::Int(1)),
        ("matmul_n".to_string(), Value::Int(16)),
        ("repeats".to_string(), Value::Int(2)),
    ]
    .into_iter()
    .collect();
    Hosted::from_values(&compute, &values, 9, &Assets::default()).unwrap()
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
fn live_buffer_size_applies_on_the_next_step() {
    let mut lab = tiny_lab(gpu_compute());
    pollster::block_on(lab.step()).unwrap();
    lab.set("buffer_mib", &Value::Int(2)).unwrap();
    pollster::block_on(lab.step()).unwrap();
    let facts = lab.view().facts;
    assert!(
        facts
            .iter()
            .any(|(k, v)| k == "Bytes per copy" && v == "2.0 MiB"),
        "{facts:?}"
    );
    assert!(lab.set("buffer_mib", &Value::Int(4096)).is_err());
}

#[test]
fn bandwidth_kernel_copies_every_element_of_a_2d_grid() {
    let gpu: Gpu = gpu_compute().require_gpu().clone();
    // Small enough to be quick on lavapipe, and with a grid limit of 7 the
    // dispatch needs several rows and a partial last one.
    let len: u32 = 256 * 7 * 3 + 5;
    let src_data: Vec<f32> = (0..len * 4).map(|i| i as f32 * 0.5 - 3.0).collect();
    let ([x, y], row) = grid_2d(len, 256, 7);
    assert!(y > 1);
    let params = gpu.buffer_with("params", &[len, row, 0, 0], wgpu::BufferUsages::UNIFORM);
    let src = gpu.buffer_with("src", &src_data, wgpu::BufferUsages::STORAGE);
    let dst = gpu.buffer(
        "dst",
        u64::from(len) * 16,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    );
    let pipeline = gpu.pipeline("bandwidth", KERNEL);
    let bind = gpu.bind(&pipeline, &[&params, &src, &dst]);
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    gpu.queue.submit([encoder.finish()]);
    let copied: Vec<f32> = pollster::block_on(gpu.read(&dst)).unwrap();
    assert_eq!(copied, src_data);
}
