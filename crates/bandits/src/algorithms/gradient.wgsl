// Gradient bandit: sample from softmax(H / T) (gradient.rs).
fn choose_gradient(t: u32) -> u32 {
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sums[a] / params.gradient_temperature;
    }
    softmax_scores();
    return sample_policy();
}

// The gradient bandit's update with its entropy bonus, beta held to the
// target by dual ascent when asked (gradient.rs).
fn learn_gradient(arm: u32, r: f32, t: u32) {
    if (params.hold_entropy != 0u) {
        beta = max(0.0, beta + params.dual_step * (dispatch.held_entropy - policy_entropy));
    } else {
        beta = params.entropy_coef;
    }
    let advantage = r - baseline;
    let temperature = params.gradient_temperature;
    for (var a = 0u; a < params.arms; a += 1u) {
        let p = policy_probs[a];
        let chosen = select(0.0, 1.0, a == arm);
        var entropy_grad = 0.0;
        if (p > 0.0) {
            entropy_grad = -p * (scores[a] + policy_entropy) / temperature;
        }
        sums[a] += params.step_size * (advantage * (chosen - p) / temperature + beta * entropy_grad);
    }
    baseline += advantage / f32(t + 1u);
}
