// LinTS: theta_hat + v L z with L L^T = A^-1 (Cholesky, as Ridge::cholesky), then argmax (lints.rs).
fn choose_lints(t: u32) -> u32 {
    let d = params.dim;
    var l: array<f32, MAX_DIM * MAX_DIM>;
    for (var i = 0u; i < d; i += 1u) {
        for (var j = 0u; j <= i; j += 1u) {
            var partial = 0.0;
            for (var k = 0u; k < j; k += 1u) {
                partial += l[i * d + k] * l[j * d + k];
            }
            if (i == j) {
                l[i * d + i] = sqrt(max(a_inv[i * d + i] - partial, 0.0));
            } else if (l[j * d + j] > 0.0) {
                l[i * d + j] = (a_inv[i * d + j] - partial) / l[j * d + j];
            }
        }
    }
    var z: array<f32, MAX_DIM>;
    for (var k = 0u; k < d; k += 1u) {
        z[k] = draw_normal();
    }
    ridge_estimate();
    for (var i = 0u; i < d; i += 1u) {
        var noise = 0.0;
        for (var k = 0u; k <= i; k += 1u) {
            noise += l[i * d + k] * z[k];
        }
        direction[i] += params.posterior_scale * noise;
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = dot_context(a);
    }
    return argmax_scores();
}

fn learn_lints(arm: u32, r: f32, t: u32) {
    ridge_observe(arm, r, apply_a_inv(arm));
}
