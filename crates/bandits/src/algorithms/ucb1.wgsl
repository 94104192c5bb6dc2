// UCB1: mean + c sqrt(2 ln t / n) (ucb1.rs).
fn choose_ucb1(t: u32) -> u32 {
    let unpulled = first_unpulled();
    if (unpulled < MAX_ARMS) {
        return unpulled;
    }
    let log_t = log(f32(t + 1u));
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sample_mean(a) + params.ucb_width * sqrt(2.0 * log_t / f32(counts[a]));
    }
    return argmax_scores();
}

fn learn_ucb1(arm: u32, r: f32, t: u32) {
    sums[arm] += r;
}
