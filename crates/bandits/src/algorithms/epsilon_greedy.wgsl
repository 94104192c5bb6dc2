// epsilon-greedy, constant or min(1, epsilon K / t) (epsilon_greedy.rs).
fn choose_epsilon_greedy(t: u32) -> u32 {
    var epsilon = params.epsilon;
    if (params.decay_epsilon != 0u) {
        epsilon = min(epsilon * f32(params.arms) / f32(t + 1u), 1.0);
    }
    let explore = draw_uniform() < epsilon;
    let random_arm = draw_index(params.arms);
    if (explore) {
        return random_arm;
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sample_mean(a);
    }
    return argmax_scores();
}

fn learn_epsilon_greedy(arm: u32, r: f32, t: u32) {
    sums[arm] += r;
}
