// Thompson sampling: Beta(1 + s, 1 + f) or Normal(mean, 1 / n) (thompson.rs).
fn choose_thompson(t: u32) -> u32 {
    if (dispatch.binary_rewards != 0u) {
        for (var a = 0u; a < params.arms; a += 1u) {
            let failures = f32(counts[a]) - sums[a];
            scores[a] = draw_beta(1.0 + sums[a], 1.0 + failures);
        }
    } else {
        let unpulled = first_unpulled();
        if (unpulled < MAX_ARMS) {
            return unpulled;
        }
        for (var a = 0u; a < params.arms; a += 1u) {
            scores[a] = sample_mean(a) + draw_normal() / sqrt(f32(counts[a]));
        }
    }
    return argmax_scores();
}

fn learn_thompson(arm: u32, r: f32, t: u32) {
    sums[arm] += r;
}
