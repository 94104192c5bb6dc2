//! The WGSL kernels against their CPU references, on a real wgpu device
//! (lavapipe's Vulkan on a machine without a GPU).

use thermolab_core::rng;
use thermolab_gpu::{Compute, Gpu, GpuRng, RngDraws, wgpu};

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
fn a_gpu_error_outside_any_scope_is_kept_for_the_run_instead_of_panicking() {
    let compute = Compute::shared_native();
    let gpu = compute.require_gpu();
    // More than the device allows in one buffer: a validation error no
    // scope catches, which burn's handler (and wgpu's default) would turn
    // into a panic.
    let too_big = gpu.device.limits().max_buffer_size + 4;
    let _ = gpu.buffer("too big", too_big, wgpu::BufferUsages::STORAGE);
    let _ = gpu.device.poll(wgpu::PollType::Wait {
        submission_index: None,
        timeout: None,
    });
    let error = compute.take_error().expect("the error was kept");
    assert!(!error.is_empty());
    assert_eq!(compute.take_error(), None, "taken once");
}
