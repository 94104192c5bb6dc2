// The Draws of one (run, step, stream block), as in draws.rs: word i of
// stream block s is lane i % 4 of random_u32x4(seed, run, step, s + i / 4).

var<private> draw_counter: vec3<u32>;
var<private> draw_block: vec4<u32>;
var<private> draw_used: u32;

fn draws_start(run: u32, step: u32, stream: u32) {
    draw_counter = vec3<u32>(run, step, stream);
    draw_used = 4u;
}

fn draw_word() -> u32 {
    if (draw_used == 4u) {
        draw_block = random_u32x4(dispatch.seed, draw_counter.x, draw_counter.y, draw_counter.z);
        draw_counter.z += 1u;
        draw_used = 0u;
    }
    let w = draw_block[draw_used];
    draw_used += 1u;
    return w;
}

fn draw_uniform() -> f32 {
    return unit_f32(draw_word());
}

fn draw_normal() -> f32 {
    let a = draw_word();
    let b = draw_word();
    return normal_f32(a, b);
}

// min(floor(U n), n - 1) in integers: U has 24 bits, so this is the CPU's
// exact f64 product, where f32 could round up across an integer.
fn draw_index(n: u32) -> u32 {
    return min(((draw_word() >> 8u) * n) >> 24u, n - 1u);
}

// Gamma(shape, 1) for shape >= 1 (Beta posteriors start at 1), as
// Draws::gamma: Marsaglia & Tsang, ACM TOMS 26(3), 2000.
fn draw_gamma(shape: f32) -> f32 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / sqrt(9.0 * d);
    loop {
        let x = draw_normal();
        let root = 1.0 + c * x;
        if (root <= 0.0) {
            continue;
        }
        let v = root * root * root;
        let u = unit_open_f32(draw_word());
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) {
            return d * v;
        }
    }
    return 0.0;
}

fn draw_beta(a: f32, b: f32) -> f32 {
    let x = draw_gamma(a);
    let y = draw_gamma(b);
    return x / (x + y);
}

