//! The WGSL kernels against their CPU references, on a real wgpu device
//! (lavapipe's Vulkan on a machine without a GPU).

use thermolab_core::rng;
use thermolab_gpu::{Compute, Gpu, GpuRng, RngDraws, grid_2d, shaders, wgpu};

fn gpu() -> Gpu {
    Compute::shared_native().require_gpu().clone()
}

#[test]
fn rng_kernel_matches_the_rust_reference_bit_for_bit() {
    let gpu = gpu();
    let seed: u64 = 0x1234_5678_9abc_def0;
    let (runs, count) = (64, 4096);
    let drawn = pollster::block_on(GpuRng::new(&gpu).draw(&gpu, seed, runs, count)).unwrap();
    let reference = RngDraws::cpu(seed, runs, count);
    assert_eq!(drawn.words.len(), count as usize);
    let comparison = drawn.compare(&reference);
    assert_eq!(comparison.word_mismatches, 0);
    assert_eq!(comparison.normal_mismatches, 0);
    // The reference itself is the counter layout the kernel documents.
    assert_eq!(reference.words[70], rng::random_u32x4(seed, 6, 1, 0));
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
