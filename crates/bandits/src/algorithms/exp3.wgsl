// Exp3: exponential weights on S mixed with gamma uniform (exp3.rs).
fn choose_exp3(t: u32) -> u32 {
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sums[a] * dispatch.exp3_eta;
    }
    softmax_scores();
    let uniform = params.exp3_gamma / f32(params.arms);
    for (var a = 0u; a < params.arms; a += 1u) {
        policy_probs[a] = (1.0 - params.exp3_gamma) * policy_probs[a] + uniform;
        scores[a] = log(policy_probs[a]);
    }
    return sample_policy();
}

// Exp3's loss-based importance-weighted estimate (exp3.rs).
fn learn_exp3(arm: u32, r: f32, t: u32) {
    let p = policy_probs[arm];
    for (var a = 0u; a < params.arms; a += 1u) {
        sums[a] += 1.0;
    }
    sums[arm] -= (1.0 - r) / p;
}
