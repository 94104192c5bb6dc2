// The LSVI learners on the GPU: the twin of lsvi.rs (the regression and the
// Q tables), lsvi_ucb.rs, lsvi_greedy.rs and soft_vi.rs (their policies and
// backups), episode.rs (the rollout) and Mdp::start_value (the exact value
// of the episode's policy). One invocation per seed; gpu.rs assembles the
// kernel from rng.wgsl, the constants and codes it shares with the host,
// this file and one entry point (episodes, start, lambda).
//
// Every seed owns a block of `state` (STRIDE floats, offsets below): its
// Lambda_h^-1 (d x d per h), sum r phi, sum phi per next state, the
// quadratic forms phi^T Lambda_h^-1 phi, the Q tables of its current plan,
// and scratch (two value vectors, w, A^-1 x). The model (laws, rewards,
// features) is one buffer of words; floats are stored as their bits.

struct Dispatch {
    seed: vec2<u32>,
    first_episode: u32,
    episodes: u32,
    seeds: u32,
    states: u32,
    actions: u32,
    horizon: u32,
    dim: u32,
    algorithm: u32,
    start: u32,
    stride: u32,
    law_state_at: u32,
    reward_at: u32,
    law_prob_at: u32,
    phi_at: u32,
    beta: f32,
    epsilon: f32,
    temperature: f32,
    optimal_value: f32,
    lambda: f32,
    new_lambda: f32,
}

@group(0) @binding(0) var<uniform> dispatch: Dispatch;
@group(0) @binding(1) var<storage, read> model: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
// Per (episode of the chunk, seed): value error, return, entropy, mean
// bonus; then seed 0's Q_0 (S x A) as it planned its last episode.
@group(0) @binding(3) var<storage, read_write> results: array<f32>;
@group(0) @binding(4) var<storage, read_write> visits: array<atomic<u32>>;

var<private> probs: array<f32, MAX_ACTIONS>;
var<private> path_states: array<u32, MAX_HORIZON_PLUS_ONE>;
var<private> path_actions: array<u32, MAX_HORIZON>;
var<private> path_rewards: array<f32, MAX_HORIZON>;

// Offsets inside a seed's block.
fn at_a_inv(h: u32) -> u32 {
    return h * dispatch.dim * dispatch.dim;
}
fn at_b(h: u32) -> u32 {
    return dispatch.horizon * dispatch.dim * dispatch.dim + h * dispatch.dim;
}
fn at_to_next(h: u32) -> u32 {
    return at_b(dispatch.horizon) + h * dispatch.states * dispatch.dim;
}
fn at_quadratic(h: u32) -> u32 {
    return at_to_next(dispatch.horizon) + h * dispatch.states * dispatch.actions;
}
fn at_q(h: u32) -> u32 {
    return at_quadratic(dispatch.horizon) + h * dispatch.states * dispatch.actions;
}
fn at_values(which: u32) -> u32 {
    return at_q(dispatch.horizon) + which * dispatch.states;
}
fn at_w() -> u32 {
    return at_values(2u);
}
fn at_direction() -> u32 {
    return at_w() + dispatch.dim;
}

fn phi(pair: u32, i: u32) -> f32 {
    return bitcast<f32>(model[dispatch.phi_at + pair * dispatch.dim + i]);
}
fn reward(pair: u32) -> f32 {
    return bitcast<f32>(model[dispatch.reward_at + pair]);
}

// E[v(s') | pair] under the model, v at `values` of the seed's block.
fn expect(pair: u32, base: u32, values: u32) -> f32 {
    var total = 0.0;
    for (var i = model[pair]; i < model[pair + 1u]; i += 1u) {
        total += bitcast<f32>(model[dispatch.law_prob_at + i]) * state[base + values + model[dispatch.law_state_at + i]];
    }
    return total;
}

// Mdp::next_state: the first next state whose cumulative probability passes u.
fn next_state(pair: u32, u: f32) -> u32 {
    var total = 0.0;
    let end = model[pair + 1u];
    for (var i = model[pair]; i < end; i += 1u) {
        total += bitcast<f32>(model[dispatch.law_prob_at + i]);
        if (u < total) {
            return model[dispatch.law_state_at + i];
        }
    }
    return model[dispatch.law_state_at + end - 1u];
}

// mdp::greedy_row: uniform over the actions within TIE_TOLERANCE of the best.
fn greedy_row(base: u32, row: u32) {
    var best = state[base + row];
    for (var a = 1u; a < dispatch.actions; a += 1u) {
        best = max(best, state[base + row + a]);
    }
    let floor = best - TIE_TOLERANCE * max(abs(best), 1.0);
    var tied = 0.0;
    for (var a = 0u; a < dispatch.actions; a += 1u) {
        if (state[base + row + a] >= floor) {
            tied += 1.0;
        }
    }
    for (var a = 0u; a < dispatch.actions; a += 1u) {
        probs[a] = select(0.0, 1.0 / tied, state[base + row + a] >= floor);
    }
}

// The policy at the Q row `row` into `probs`: greedy (LSVI-UCB), epsilon-greedy, or softmax(Q / T).
fn policy_row(base: u32, row: u32) {
    let n = dispatch.actions;
    if (dispatch.algorithm == ALGO_SOFT_VI) {
        let t = dispatch.temperature;
        var top = state[base + row] / t;
        for (var a = 1u; a < n; a += 1u) {
            top = max(top, state[base + row + a] / t);
        }
        var total = 0.0;
        for (var a = 0u; a < n; a += 1u) {
            probs[a] = exp(state[base + row + a] / t - top);
            total += probs[a];
        }
        for (var a = 0u; a < n; a += 1u) {
            probs[a] /= total;
        }
        return;
    }
    greedy_row(base, row);
    var explore = 0.0;
    if (dispatch.algorithm == ALGO_LSVI_GREEDY) {
        explore = dispatch.epsilon;
    }
    for (var a = 0u; a < n; a += 1u) {
        probs[a] = (1.0 - explore) * probs[a] + explore / f32(n);
    }
}

// Backup::value: max_a Q, or T log sum exp(Q / T) shifted by the max.
fn backup_value(base: u32, row: u32) -> f32 {
    let n = dispatch.actions;
    if (dispatch.algorithm == ALGO_SOFT_VI) {
        let t = dispatch.temperature;
        var top = state[base + row] / t;
        for (var a = 1u; a < n; a += 1u) {
            top = max(top, state[base + row + a] / t);
        }
        var total = 0.0;
        for (var a = 0u; a < n; a += 1u) {
            total += exp(state[base + row + a] / t - top);
        }
        return t * (top + log(total));
    }
    var best = state[base + row];
    for (var a = 1u; a < n; a += 1u) {
        best = max(best, state[base + row + a]);
    }
    return best;
}

// Lsvi::q_tables: w_h = Lambda_h^-1 (sum r phi + sum_s' V_{h+1}(s') sum phi),
// Q_h = clamp(w_h^T phi + beta ||phi||, -(H - h), H - h), V_h by the backup.
fn plan(base: u32) {
    let d = dispatch.dim;
    let s_count = dispatch.states;
    let n = dispatch.actions;
    var beta = 0.0;
    if (dispatch.algorithm == ALGO_LSVI_UCB) {
        beta = dispatch.beta;
    }
    let v_next = at_values(0u);
    for (var s = 0u; s < s_count; s += 1u) {
        state[base + v_next + s] = 0.0;
    }
    let w = at_w();
    let regression_target = at_direction();
    for (var step = 0u; step < dispatch.horizon; step += 1u) {
        let h = dispatch.horizon - 1u - step;
        for (var i = 0u; i < d; i += 1u) {
            state[base + regression_target + i] = state[base + at_b(h) + i];
        }
        for (var s = 0u; s < s_count; s += 1u) {
            let v = state[base + v_next + s];
            if (v != 0.0) {
                let row = base + at_to_next(h) + s * d;
                for (var i = 0u; i < d; i += 1u) {
                    state[base + regression_target + i] += v * state[row + i];
                }
            }
        }
        for (var i = 0u; i < d; i += 1u) {
            var total = 0.0;
            let row = base + at_a_inv(h) + i * d;
            for (var j = 0u; j < d; j += 1u) {
                total += state[row + j] * state[base + regression_target + j];
            }
            state[base + w + i] = total;
        }
        let cap = f32(dispatch.horizon - h);
        for (var pair = 0u; pair < s_count * n; pair += 1u) {
            var fit = 0.0;
            for (var i = 0u; i < d; i += 1u) {
                fit += phi(pair, i) * state[base + w + i];
            }
            let bonus = beta * sqrt(max(state[base + at_quadratic(h) + pair], 0.0));
            state[base + at_q(h) + pair] = clamp(fit + bonus, -cap, cap);
        }
        for (var s = 0u; s < s_count; s += 1u) {
            state[base + v_next + s] = backup_value(base, at_q(h) + s * n);
        }
    }
}

// Mdp::start_value of the plan's policy: backward over h with two vectors.
fn plan_value(base: u32) -> f32 {
    let n = dispatch.actions;
    var next = at_values(0u);
    var current = at_values(1u);
    for (var s = 0u; s < dispatch.states; s += 1u) {
        state[base + next + s] = 0.0;
    }
    for (var step = 0u; step < dispatch.horizon; step += 1u) {
        let h = dispatch.horizon - 1u - step;
        for (var s = 0u; s < dispatch.states; s += 1u) {
            policy_row(base, at_q(h) + s * n);
            var value = 0.0;
            for (var a = 0u; a < n; a += 1u) {
                let pair = s * n + a;
                value += probs[a] * (reward(pair) + expect(pair, base, next));
            }
            state[base + current + s] = value;
        }
        let swap = next;
        next = current;
        current = swap;
    }
    return state[base + next + dispatch.start];
}

// episode.rs's play: the action and the transition of step h of episode k
// from counter (seed, k H + h), streams ACTION_STREAM and TRANSITION_STREAM.
// Returns (return, mean entropy, mean bonus) and fills the path.
fn play(base: u32, seed: u32, episode: u32) -> vec3<f32> {
    let n = dispatch.actions;
    var s = dispatch.start;
    var total = 0.0;
    var entropy = 0.0;
    var bonus = 0.0;
    path_states[0] = s;
    for (var h = 0u; h < dispatch.horizon; h += 1u) {
        let counter = episode * dispatch.horizon + h;
        policy_row(base, at_q(h) + s * n);
        let u = unit_f32(random_u32x4(dispatch.seed, seed, counter, ACTION_STREAM).x);
        var action = 0u;
        var cumulative = 0.0;
        var chosen = false;
        for (var a = 0u; a < n; a += 1u) {
            cumulative += probs[a];
            if (!chosen && u < cumulative) {
                action = a;
                chosen = true;
            }
            if (probs[a] > 0.0) {
                entropy -= probs[a] * log(probs[a]);
                if (!chosen) {
                    action = a;
                }
            }
        }
        let pair = s * n + action;
        bonus += dispatch.beta * sqrt(max(state[base + at_quadratic(h) + pair], 0.0));
        total += reward(pair);
        let v = unit_f32(random_u32x4(dispatch.seed, seed, counter, TRANSITION_STREAM).x);
        atomicAdd(&visits[s], 1u);
        path_actions[h] = action;
        path_rewards[h] = reward(pair);
        s = next_state(pair, v);
        path_states[h + 1u] = s;
    }
    let steps = f32(dispatch.horizon);
    return vec3<f32>(total, entropy / steps, bonus / steps);
}

// Lsvi::learn: each transition into its step's regression (Sherman-Morrison)
// and the sums, and every pair's quadratic form updated.
fn learn(base: u32) {
    let d = dispatch.dim;
    let n = dispatch.actions;
    let g = at_direction();
    for (var h = 0u; h < dispatch.horizon; h += 1u) {
        let pair = path_states[h] * n + path_actions[h];
        let a_inv = base + at_a_inv(h);
        var quadratic = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            var total = 0.0;
            for (var j = 0u; j < d; j += 1u) {
                total += state[a_inv + i * d + j] * phi(pair, j);
            }
            state[base + g + i] = total;
            quadratic += total * phi(pair, i);
        }
        let denominator = 1.0 + quadratic;
        for (var i = 0u; i < d; i += 1u) {
            for (var j = 0u; j < d; j += 1u) {
                state[a_inv + i * d + j] -= state[base + g + i] * state[base + g + j] / denominator;
            }
            state[base + at_b(h) + i] += path_rewards[h] * phi(pair, i);
            state[base + at_to_next(h) + path_states[h + 1u] * d + i] += phi(pair, i);
        }
        for (var other = 0u; other < dispatch.states * n; other += 1u) {
            var along = 0.0;
            for (var i = 0u; i < d; i += 1u) {
                along += phi(other, i) * state[base + g + i];
            }
            state[base + at_quadratic(h) + other] -= along * along / denominator;
        }
    }
}

// Inverts the d x d matrix at `at` in place: Gauss-Jordan without
// pivoting, sound for the symmetric positive definite Lambda.
fn invert_in_place(at: u32) {
    let d = dispatch.dim;
    for (var k = 0u; k < d; k += 1u) {
        let pivot = state[at + k * d + k];
        state[at + k * d + k] = 1.0;
        for (var j = 0u; j < d; j += 1u) {
            state[at + k * d + j] /= pivot;
        }
        for (var i = 0u; i < d; i += 1u) {
            if (i != k) {
                let f = state[at + i * d + k];
                state[at + i * d + k] = 0.0;
                for (var j = 0u; j < d; j += 1u) {
                    state[at + i * d + j] -= f * state[at + k * d + j];
                }
            }
        }
    }
}

// The quadratic forms phi^T Lambda_h^-1 phi of every pair, from scratch.
fn quadratic_forms(base: u32, h: u32) {
    let d = dispatch.dim;
    let a_inv = base + at_a_inv(h);
    for (var pair = 0u; pair < dispatch.states * dispatch.actions; pair += 1u) {
        var total = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            var row = 0.0;
            for (var j = 0u; j < d; j += 1u) {
                row += state[a_inv + i * d + j] * phi(pair, j);
            }
            total += row * phi(pair, i);
        }
        state[base + at_quadratic(h) + pair] = total;
    }
}
