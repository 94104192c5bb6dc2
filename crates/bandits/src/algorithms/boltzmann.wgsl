// Boltzmann: sample from softmax(mean / T), T optionally T / ln(e + t) (boltzmann.rs).
fn choose_boltzmann(t: u32) -> u32 {
    var temperature = params.temperature;
    if (params.anneal != 0u) {
        temperature = temperature / log(2.718281828459045 + f32(t));
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sample_mean(a) / temperature;
    }
    softmax_scores();
    return sample_policy();
}

fn learn_boltzmann(arm: u32, r: f32, t: u32) {
    sums[arm] += r;
}
