// The environments, as in env.rs: what each arm pays, and the linear
// environment's rounds of feature vectors.

// Index into dispatch.means of arm `a` at a step whose means may be reversed.
fn arm_slot(a: u32, reversed: bool) -> u32 {
    return select(a, params.arms - 1u - a, reversed);
}

fn arm_mean(a: u32, reversed: bool) -> f32 {
    if (params.env == ENV_LINEAR) {
        return linear_means[a];
    }
    let i = arm_slot(a, reversed);
    return dispatch.means[i / 4u][i % 4u];
}

// What `arm` pays in `run` at step `t` (env.rs reward): stream = arm.
fn reward(run: u32, t: u32, arm: u32, reversed: bool) -> f32 {
    let w = random_u32x4(dispatch.seed, run, t, arm);
    if (params.env == ENV_GAUSSIAN) {
        return arm_mean(arm, reversed) + normal_f32(w.x, w.y);
    }
    if (params.env == ENV_LINEAR) {
        return linear_means[arm] + params.noise * normal_f32(w.x, w.y);
    }
    let i = arm_slot(arm, reversed);
    return select(0.0, 1.0, (w.x >> 8u) < dispatch.thresholds[i / 4u][i % 4u]);
}

fn theta_at(i: u32) -> f32 {
    return dispatch.theta[i / 4u][i % 4u];
}

fn w_at(i: u32) -> f32 {
    return dispatch.w[i / 4u][i % 4u];
}

// A uniformly random unit vector orthogonal to theta, into `direction` (env.rs).
fn orthogonal_unit() {
    let d = params.dim;
    loop {
        var along = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            direction[i] = draw_normal();
            along += direction[i] * theta_at(i);
        }
        var norm = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            direction[i] -= along * theta_at(i);
            norm += direction[i] * direction[i];
        }
        norm = sqrt(norm);
        if (norm > 1e-6) {
            for (var i = 0u; i < d; i += 1u) {
                direction[i] /= norm;
            }
            return;
        }
    }
}

// The aligned design (env.rs aligned_round): the best arm near theta, nudged
// +-NUDGE along w, the others +w and -w in turn.
fn aligned_round() {
    let d = params.dim;
    let best = draw_index(params.arms);
    let nudge = select(NUDGE, -NUDGE, draw_uniform() < 0.5);
    let along = sqrt(1.0 - NUDGE * NUDGE);
    for (var arm = 0u; arm < params.arms; arm += 1u) {
        let decoy = arm - select(0u, 1u, arm > best);
        let sign = select(-1.0, 1.0, decoy % 2u == 0u);
        var linear = 0.0;
        var bend = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            var x = sign * w_at(i);
            if (arm == best) {
                x = along * theta_at(i) + nudge * w_at(i);
            }
            contexts[arm * d + i] = x;
            linear += theta_at(i) * x;
            bend += w_at(i) * x;
        }
        linear_means[arm] = linear + select(-params.zeta, params.zeta, bend >= 0.0);
    }
}

// The K feature vectors of `run` at step `t` and their means (LinearModel::round).
fn linear_round(run: u32, t: u32) {
    let d = params.dim;
    draws_start(run, t, CONTEXT_STREAM);
    if (params.contexts == CONTEXTS_ALIGNED) {
        aligned_round();
        return;
    }
    let best = draw_index(params.arms);
    let top = params.gap + (1.0 - params.gap) * draw_uniform();
    for (var arm = 0u; arm < params.arms; arm += 1u) {
        var along = top;
        if (arm != best) {
            along = -1.0 + (top - params.gap + 1.0) * draw_uniform();
        }
        orthogonal_unit();
        let side = sqrt(max(1.0 - along * along, 0.0));
        var linear = 0.0;
        var bend = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            let x = along * theta_at(i) + side * direction[i];
            contexts[arm * d + i] = x;
            linear += theta_at(i) * x;
            bend += w_at(i) * x;
        }
        linear_means[arm] = linear + select(-params.zeta, params.zeta, bend >= 0.0);
    }
}

