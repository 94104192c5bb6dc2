// LinUCB: <theta_hat, x> + alpha ||x||_{A^-1} (linucb.rs).
fn choose_linucb(t: u32) -> u32 {
    ridge_estimate();
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = dot_context(a);
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] += params.linear_width * sqrt(max(apply_a_inv(a), 0.0));
    }
    return argmax_scores();
}

fn learn_linucb(arm: u32, r: f32, t: u32) {
    ridge_observe(arm, r, apply_a_inv(arm));
}
