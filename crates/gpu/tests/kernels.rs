//! The WGSL kernels against their CPU references, on a real wgpu device
//! (lavapipe's Vulkan on a machine without a GPU).

use std::sync::OnceLock;

use thermolab_core::rng;
use thermolab_gpu::{Compute, Gpu, grid_2d, shaders, wgpu};

/// burn registers its wgpu runtime once per process, so the tests share one device.
fn gpu() -> Gpu {
    static COMPUTE: OnceLock<Compute> = OnceLock::new();
    let compute = COMPUTE.get_or_init(|| pollster::block_on(Compute::acquire()));
    compute.gpu.clone().unwrap_or_else(|| {
        panic!(
            "no wgpu adapter ({:?}); install mesa-vulkan-drivers for lavapipe",
            compute.info.fallback_reason
        )
    })
}

#[test]
fn rng_kernel_matches_the_rust_reference_bit_for_bit() {
    let gpu = gpu();
    let seed: u64 = 0x1234_5678_9abc_def0;
    let count: u32 = 4096;
    let runs: u32 = 64;
    let params = gpu.buffer_with(
        "params",
        &[seed as u32, (seed >> 32) as u32, count, runs],
        wgpu::BufferUsages::UNIFORM,
    );
    let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
    let words = gpu.buffer("words", u64::from(count) * 16, storage);
    let normals = gpu.buffer("normals", u64::from(count) * 4, storage);
    let pipeline = gpu.pipeline("rng_check", &shaders::with_rng(shaders::RNG_CHECK));
    let bind = gpu.bind(&pipeline, &[&params, &words, &normals]);
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(count.div_ceil(64), 1, 1);
    }
    gpu.queue.submit([encoder.finish()]);
    let gpu_words: Vec<u32> = pollster::block_on(gpu.read(&words)).unwrap();
    let gpu_normals: Vec<f32> = pollster::block_on(gpu.read(&normals)).unwrap();

    for i in 0..count {
        let cpu = rng::random_u32x4(seed, i % runs, i / runs, i % 5);
        let idx = i as usize * 4;
        assert_eq!(
            &gpu_words[idx..idx + 4],
            &cpu,
            "words differ at counter {i}"
        );
        let cpu_normal = rng::normal_f32(cpu[0], cpu[1]);
        let gpu_normal = gpu_normals[i as usize];
        assert!(
            (gpu_normal - cpu_normal).abs() <= 1e-4 * (1.0 + cpu_normal.abs()),
            "normal differs at counter {i}: gpu {gpu_normal} cpu {cpu_normal}"
        );
    }
}

#[test]
fn bandwidth_kernel_copies_every_element_of_a_2d_grid() {
    let gpu = gpu();
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
    let pipeline = gpu.pipeline("bandwidth", shaders::BANDWIDTH);
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
