// Memory bandwidth: each invocation copies one vec4<f32> (16 bytes read,
// 16 written). Dispatched as a 2-D grid so buffers larger than
// 65,535 workgroups of 256 fit; `row` is the number of invocations per grid row.

struct BandwidthParams {
    len: u32,
    row: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: BandwidthParams;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i < params.len) {
        dst[i] = src[i];
    }
}
