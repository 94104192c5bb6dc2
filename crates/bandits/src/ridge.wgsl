// Ridge regression per run, as in ridge.rs: A^-1 and b in private arrays,
// updated by Sherman-Morrison.

// direction = A^-1 x for the features of `arm`; returns x^T A^-1 x.
fn apply_a_inv(arm: u32) -> f32 {
    let d = params.dim;
    var quadratic = 0.0;
    for (var i = 0u; i < d; i += 1u) {
        var row = 0.0;
        for (var j = 0u; j < d; j += 1u) {
            row += a_inv[i * d + j] * contexts[arm * d + j];
        }
        direction[i] = row;
        quadratic += row * contexts[arm * d + i];
    }
    return quadratic;
}

// theta_hat = A^-1 b, into `direction`.
fn ridge_estimate() {
    let d = params.dim;
    for (var i = 0u; i < d; i += 1u) {
        var row = 0.0;
        for (var j = 0u; j < d; j += 1u) {
            row += a_inv[i * d + j] * b_vec[j];
        }
        direction[i] = row;
    }
}

fn dot_context(arm: u32) -> f32 {
    var total = 0.0;
    for (var i = 0u; i < params.dim; i += 1u) {
        total += direction[i] * contexts[arm * params.dim + i];
    }
    return total;
}

// Adds (x, r) of `arm` to the ridge regression by Sherman-Morrison, with
// `direction` = A^-1 x and `quadratic` = x^T A^-1 x from apply_a_inv (Ridge::observe).
fn ridge_observe(arm: u32, r: f32, quadratic: f32) {
    let d = params.dim;
    let denominator = 1.0 + quadratic;
    for (var i = 0u; i < d; i += 1u) {
        for (var j = 0u; j < d; j += 1u) {
            a_inv[i * d + j] -= direction[i] * direction[j] / denominator;
        }
        b_vec[i] += r * contexts[arm * d + i];
    }
}
