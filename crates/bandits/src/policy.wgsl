// What the algorithms share, as in policy.rs: the sample mean, the argmax
// with ties broken at random, and sampling from an explicit softmax policy.

fn sample_mean(a: u32) -> f32 {
    return sums[a] / f32(max(counts[a], 1u));
}

fn first_unpulled() -> u32 {
    for (var a = 0u; a < params.arms; a += 1u) {
        if (counts[a] == 0u) {
            return a;
        }
    }
    return MAX_ARMS;
}

// The arm with the largest score, ties (within TIE_TOLERANCE) broken
// uniformly at random (policy.rs argmax).
fn argmax_scores() -> u32 {
    var best = scores[0];
    for (var a = 1u; a < params.arms; a += 1u) {
        best = max(best, scores[a]);
    }
    let floor = best - TIE_TOLERANCE * max(abs(best), 1.0);
    var tied = 0u;
    var first_tied = 0u;
    for (var a = params.arms; a > 0u; a -= 1u) {
        if (scores[a - 1u] >= floor) {
            tied += 1u;
            first_tied = a - 1u;
        }
    }
    if (tied == 1u) {
        return first_tied;
    }
    var k = draw_index(tied);
    for (var a = 0u; a < params.arms; a += 1u) {
        if (scores[a] >= floor) {
            if (k == 0u) {
                return a;
            }
            k -= 1u;
        }
    }
    return first_tied;
}

// softmax(scores) into policy_probs, and its log-probabilities into scores.
fn softmax_scores() {
    var top = -3.4e38;
    for (var a = 0u; a < params.arms; a += 1u) {
        top = max(top, scores[a]);
    }
    var total = 0.0;
    for (var a = 0u; a < params.arms; a += 1u) {
        total += exp(scores[a] - top);
    }
    let log_normalizer = top + log(total);
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] -= log_normalizer;
        policy_probs[a] = exp(scores[a]);
    }
}

// An arm drawn from policy_probs (log-probabilities in scores) by inversion,
// as Draws::categorical; records the policy's entropy.
fn sample_policy() -> u32 {
    let u = draw_uniform();
    var acc = 0.0;
    var chosen = MAX_ARMS;
    var last_possible = 0u;
    policy_entropy = 0.0;
    for (var a = 0u; a < params.arms; a += 1u) {
        let p = policy_probs[a];
        if (p > 0.0) {
            policy_entropy -= p * scores[a];
            last_possible = a;
        }
        acc += p;
        if (chosen == MAX_ARMS && u < acc) {
            chosen = a;
        }
    }
    // Rounding can leave the sum a hair under u.
    return select(chosen, last_possible, chosen == MAX_ARMS);
}

