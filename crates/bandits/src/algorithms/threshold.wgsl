// The threshold rule (DS-OFUL, linucb.rs): LinUCB's choice...
fn choose_threshold(t: u32) -> u32 {
    return choose_linucb(t);
}

// ...but a round enters the regression only if ||x||_{A^-1} >= Gamma.
fn learn_threshold(arm: u32, r: f32, t: u32) {
    let quadratic = apply_a_inv(arm);
    if (sqrt(max(quadratic, 0.0)) < params.selection_threshold) {
        return;
    }
    ridge_observe(arm, r, quadratic);
}
