// Counter-based RNG shared by every kernel: a pure function of
// (seed, run, step, stream). pcg4d is from Jarzynski & Olano, "Hash Functions
// for GPU Rendering", JCGT 9(3), 2020. This file must stay bit-identical in
// behaviour to crates/core/src/rng.rs; crates/gpu/tests/kernels.rs checks it on the GPU.
// u32 arithmetic in WGSL wraps, as Rust's wrapping_* does.

fn pcg4d_mix(v_in: vec4<u32>) -> vec4<u32> {
    var v = v_in;
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    return v;
}

fn pcg4d(v_in: vec4<u32>) -> vec4<u32> {
    var v = v_in * 1664525u + vec4<u32>(1013904223u);
    v = pcg4d_mix(v);
    v = v ^ (v >> vec4<u32>(16u));
    return pcg4d_mix(v);
}

// seed is the u64 seed as (low word, high word).
fn random_u32x4(seed: vec2<u32>, run: u32, step: u32, stream: u32) -> vec4<u32> {
    let v = pcg4d(vec4<u32>(run, step, stream, seed.x));
    return pcg4d(vec4<u32>(v.x ^ seed.y, v.y, v.z, v.w));
}

fn unit_f32(w: u32) -> f32 {
    return f32(w >> 8u) * (1.0 / 16777216.0);
}

fn unit_open_f32(w: u32) -> f32 {
    return f32((w >> 8u) + 1u) * (1.0 / 16777216.0);
}

// Box-Muller, as normal_f32 in rng.rs.
fn normal_f32(w0: u32, w1: u32) -> f32 {
    let radius = sqrt(-2.0 * log(unit_open_f32(w0)));
    // The angle in [-pi, pi), where WGSL bounds cos's error: cos(t) = -cos(t - pi).
    return -radius * cos(6.283185307179586 * unit_f32(w1) - 3.141592653589793);
}
