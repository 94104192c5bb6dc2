// kl(p, q) of Bernoulli laws, 0 ln 0 = 0 (env.rs). q stays a hair inside
// (0, 1): WGSL does not promise IEEE infinities.
fn bernoulli_kl(p: f32, q_in: f32) -> f32 {
    let q = clamp(q_in, 1e-7, 1.0 - 1e-7);
    var kl = 0.0;
    if (p > 0.0) {
        kl += p * log(p / q);
    }
    if (p < 1.0) {
        kl += (1.0 - p) * log((1.0 - p) / (1.0 - q));
    }
    return kl;
}

// KL-UCB: the largest q with n kl(mean, q) <= ln t, by 25 bisection steps
// for {0, 1} rewards, in closed form for unit Gaussians (kl_ucb.rs).
fn choose_kl_ucb(t: u32) -> u32 {
    let unpulled = first_unpulled();
    if (unpulled < MAX_ARMS) {
        return unpulled;
    }
    let log_t = log(f32(t + 1u));
    for (var a = 0u; a < params.arms; a += 1u) {
        let mean = sample_mean(a);
        let bound = log_t / f32(counts[a]);
        if (dispatch.binary_rewards != 0u) {
            var lo = clamp(mean, 0.0, 1.0);
            var hi = 1.0;
            for (var i = 0u; i < 25u; i += 1u) {
                let mid = 0.5 * (lo + hi);
                if (bernoulli_kl(mean, mid) > bound) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            scores[a] = lo;
        } else {
            scores[a] = mean + sqrt(2.0 * bound);
        }
    }
    return argmax_scores();
}

fn learn_kl_ucb(arm: u32, r: f32, t: u32) {
    sums[arm] += r;
}
