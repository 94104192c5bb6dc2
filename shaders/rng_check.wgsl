// Writes the RNG's words and normals for a grid of counters so the GPU can be
// compared with the Rust reference on the same seeds. Appended to rng.wgsl.

struct RngCheckParams {
    seed: vec2<u32>,
    count: u32,
    runs: u32,
}

@group(0) @binding(0) var<uniform> params: RngCheckParams;
@group(0) @binding(1) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> normals: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.count) {
        return;
    }
    let run = i % params.runs;
    let step = i / params.runs;
    let w = random_u32x4(params.seed, run, step, i % 5u);
    words[i] = w;
    normals[i] = normal_f32(w.x, w.y);
}
