// Tsallis-INF: p_i = 4 / (eta (L_i - x))^2, eta = 2 / sqrt(t), with the
// normalizer x found by Newton's method from below (tsallis_inf.rs).
fn choose_tsallis_inf(t: u32) -> u32 {
    let eta = 2.0 / sqrt(f32(t + 1u));
    var least = sums[0];
    for (var a = 1u; a < params.arms; a += 1u) {
        least = min(least, sums[a]);
    }
    var x = least - 2.0 / eta;
    for (var i = 0u; i < 50u; i += 1u) {
        var total = 0.0;
        var slope = 0.0;
        for (var a = 0u; a < params.arms; a += 1u) {
            let gap = eta * (sums[a] - x);
            let w = 4.0 / (gap * gap);
            total += w;
            slope += w * sqrt(w);
        }
        let next = x - (total - 1.0) / (slope * eta);
        if (abs(next - x) < 1e-12) {
            break;
        }
        x = next;
    }
    var total = 0.0;
    for (var a = 0u; a < params.arms; a += 1u) {
        let gap = eta * (sums[a] - x);
        policy_probs[a] = 4.0 / (gap * gap);
        total += policy_probs[a];
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        policy_probs[a] /= total;
        scores[a] = log(policy_probs[a]);
    }
    return sample_policy();
}

// The importance-weighted loss estimate.
fn learn_tsallis_inf(arm: u32, r: f32, t: u32) {
    sums[arm] += (1.0 - r) / policy_probs[arm];
}
