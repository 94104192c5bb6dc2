//! WGSL sources from `shaders/`, compiled into the binary. WGSL has no
//! `#include`, so kernels that draw random numbers are appended to `rng.wgsl`.

pub const RNG: &str = include_str!("../../../shaders/rng.wgsl");
pub const RNG_CHECK: &str = include_str!("../../../shaders/rng_check.wgsl");

/// `kernel` with the shared RNG functions in front of it.
pub fn with_rng(kernel: &str) -> String {
    format!("{RNG}\n{kernel}")
}
