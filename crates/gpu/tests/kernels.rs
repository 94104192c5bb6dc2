//! The WGSL kernels against their CPU references, on a real wgpu device
//! (lavapipe's Vulkan on a machine without a GPU).

use thermolab_core::rng;
use thermolab_gpu::{Compute, Gpu, GpuRng, RngDraws};

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
