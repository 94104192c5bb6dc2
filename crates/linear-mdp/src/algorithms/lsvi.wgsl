// The LSVI learners on the GPU: the twin of lsvi.rs (the regression and the
// Q tables), lsvi_ucb.rs, lsvi_greedy.rs and soft_vi.rs (their policies and
// backups), episode.rs (the rollout) and Mdp::start_value (the exact value
// of the episode's policy). One workgroup per seed: its WORKGROUP threads
// share each loop over states, pairs and feature dimensions, with a barrier
// between phases; thread 0 plays the episode. gpu.rs assembles the kernel
// from rng.wgsl, the constants and codes it shares with the host, this file
// and one entry point (start, episodes, lambda).
//
// Why the loops are spread over threads, and the episodes a dispatch
// bounded: llvmpipe (Mesa's software Vulkan, which the tests run on) keeps
// one loop limiter per shader invocation, 65,535 iterations of all its
// loops together, and past it quietly ends every loop.
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
// bonus; then seed 0's Q_0 (S x A) of each episode of the chunk.
@group(0) @binding(3) var<storage, read_write> results: array<f32>;
@group(0) @binding(4) var<storage, read_write> visits: array<atomic<u32>>;

var<private> probs: array<f32, MAX_ACTIONS>;
// The episode thread 0 played, for every thread to learn from.
var<workgroup> path_states: array<u32, MAX_HORIZON_PLUS_ONE>;
var<workgroup> path_actions: array<u32, MAX_HORIZON>;
var<workgroup> path_rewards: array<f32, MAX_HORIZON>;
// Its return, mean entropy and mean bonus.
var<workgroup> outcome: vec3<f32>;

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
    var next = model[dispatch.law_state_at + end - 1u];
    var found = false;
    for (var i = model[pair]; i < end; i += 1u) {
        total += bitcast<f32>(model[dispatch.law_prob_at + i]);
        if (!found && u < total) {
            next = model[dispatch.law_state_at + i];
            found = true;
        }
    }
    return next;
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

// max_a Q(row, a) / t: the shift that keeps exp from overflowing at T = 1e-3.
fn scaled_max(base: u32, row: u32, t: f32) -> f32 {
    var top = state[base + row] / t;
    for (var a = 1u; a < dispatch.actions; a += 1u) {
        top = max(top, state[base + row + a] / t);
    }
    return top;
}

// The policy at the Q row `row` into `probs`: softmax(Q / T) for soft VI,
// else greedy, mixed with uniform epsilon for epsilon-greedy LSVI.
fn policy_row(base: u32, row: u32) {
    let n = dispatch.actions;
    if (dispatch.algorithm == ALGO_SOFT_VI) {
        let t = dispatch.temperature;
        let top = scaled_max(base, row, t);
        var total = 0.0;
        for (var a = 0u; a < n; a += 1u) {
            probs[a] = exp(state[base + row + a] / t - top);
            total += probs[a];
        }
        for (var a = 0u; a < n; a += 1u) {
            probs[a] /= total;
        }
    } else {
        greedy_row(base, row);
        var explore = 0.0;
        if (dispatch.algorithm == ALGO_LSVI_GREEDY) {
            explore = dispatch.epsilon;
        }
        for (var a = 0u; a < n; a += 1u) {
            probs[a] = (1.0 - explore) * probs[a] + explore / f32(n);
        }
    }
}

// Backup::value: max_a Q, or T log sum exp(Q / T) shifted by the max.
fn backup_value(base: u32, row: u32) -> f32 {
    let n = dispatch.actions;
    if (dispatch.algorithm == ALGO_SOFT_VI) {
        let t = dispatch.temperature;
        let top = scaled_max(base, row, t);
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
fn plan(base: u32, local: u32) {
    let d = dispatch.dim;
    let s_count = dispatch.states;
    let n = dispatch.actions;
    var beta = 0.0;
    if (dispatch.algorithm == ALGO_LSVI_UCB) {
        beta = dispatch.beta;
    }
    let v_next = at_values(0u);
    let w = at_w();
    let regression_target = at_direction();
    for (var s = local; s < s_count; s += WORKGROUP) {
        state[base + v_next + s] = 0.0;
    }
    workgroupBarrier();
    for (var step = 0u; step < dispatch.horizon; step += 1u) {
        let h = dispatch.horizon - 1u - step;
        for (var i = local; i < d; i += WORKGROUP) {
            var total = state[base + at_b(h) + i];
            for (var s = 0u; s < s_count; s += 1u) {
                total += state[base + v_next + s] * state[base + at_to_next(h) + s * d + i];
            }
            state[base + regression_target + i] = total;
        }
        workgroupBarrier();
        for (var i = local; i < d; i += WORKGROUP) {
            var total = 0.0;
            let row = base + at_a_inv(h) + i * d;
            for (var j = 0u; j < d; j += 1u) {
                total += state[row + j] * state[base + regression_target + j];
            }
            state[base + w + i] = total;
        }
        workgroupBarrier();
        let cap = f32(dispatch.horizon - h);
        for (var pair = local; pair < s_count * n; pair += WORKGROUP) {
            var fit = 0.0;
            for (var i = 0u; i < d; i += 1u) {
                fit += phi(pair, i) * state[base + w + i];
            }
            let bonus = beta * sqrt(max(state[base + at_quadratic(h) + pair], 0.0));
            state[base + at_q(h) + pair] = clamp(fit + bonus, -cap, cap);
        }
        workgroupBarrier();
        for (var s = local; s < s_count; s += WORKGROUP) {
            state[base + v_next + s] = backup_value(base, at_q(h) + s * n);
        }
        workgroupBarrier();
    }
}

// Mdp::start_value of the plan's policy: backward over h with two vectors.
fn plan_value(base: u32, local: u32) -> f32 {
    let n = dispatch.actions;
    var next = at_values(0u);
    var current = at_values(1u);
    for (var s = local; s < dispatch.states; s += WORKGROUP) {
        state[base + next + s] = 0.0;
    }
    workgroupBarrier();
    for (var step = 0u; step < dispatch.horizon; step += 1u) {
        let h = dispatch.horizon - 1u - step;
        for (var s = local; s < dispatch.states; s += WORKGROUP) {
            policy_row(base, at_q(h) + s * n);
            var value = 0.0;
            for (var a = 0u; a < n; a += 1u) {
                let pair = s * n + a;
                value += probs[a] * (reward(pair) + expect(pair, base, next));
            }
            state[base + current + s] = value;
        }
        workgroupBarrier();
        let swap = next;
        next = current;
        current = swap;
    }
    return state[base + next + dispatch.start];
}

// episode.rs's play, by thread 0: the action and the transition of step h
// of episode k from counter (seed, k H + h), streams ACTION_STREAM and
// TRANSITION_STREAM; the path and the outcome into workgroup memory.
fn play(base: u32, seed: u32, episode: u32, local: u32) {
    if (local == 0u) {
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
        outcome = vec3<f32>(total, entropy / steps, bonus / steps);
    }
    workgroupBarrier();
}

// Lsvi::learn: each transition into its step's regression (Sherman-Morrison)
// and the sums, and every pair's quadratic form updated.
fn learn(base: u32, local: u32) {
    let d = dispatch.dim;
    let n = dispatch.actions;
    let g = at_direction();
    for (var h = 0u; h < dispatch.horizon; h += 1u) {
        let pair = path_states[h] * n + path_actions[h];
        let a_inv = base + at_a_inv(h);
        for (var i = local; i < d; i += WORKGROUP) {
            var total = 0.0;
            for (var j = 0u; j < d; j += 1u) {
                total += state[a_inv + i * d + j] * phi(pair, j);
            }
            state[base + g + i] = total;
        }
        workgroupBarrier();
        var quadratic = 0.0;
        for (var i = 0u; i < d; i += 1u) {
            quadratic += state[base + g + i] * phi(pair, i);
        }
        let denominator = 1.0 + quadratic;
        let next = base + at_to_next(h) + path_states[h + 1u] * d;
        for (var i = local; i < d; i += WORKGROUP) {
            let gi = state[base + g + i];
            for (var j = 0u; j < d; j += 1u) {
                state[a_inv + i * d + j] -= gi * state[base + g + j] / denominator;
            }
            state[base + at_b(h) + i] += path_rewards[h] * phi(pair, i);
            state[next + i] += phi(pair, i);
        }
        for (var other = local; other < dispatch.states * n; other += WORKGROUP) {
            var along = 0.0;
            for (var i = 0u; i < d; i += 1u) {
                along += phi(other, i) * state[base + g + i];
            }
            state[base + at_quadratic(h) + other] -= along * along / denominator;
        }
        workgroupBarrier();
    }
}

// Inverts the d x d matrix at `at` in place: Gauss-Jordan without pivoting
// (sound for the symmetric positive definite Lambda), rows shared by the
// threads: after pivot k, a_kk = 1 / p, a_kj /= p, a_ik = -a_ik / p and
// a_ij -= a_ik a_kj / p.
fn invert_in_place(at: u32, local: u32) {
    let d = dispatch.dim;
    for (var k = 0u; k < d; k += 1u) {
        let pivot = state[at + k * d + k];
        workgroupBarrier();
        for (var j = local; j < d; j += WORKGROUP) {
            state[at + k * d + j] = select(state[at + k * d + j] / pivot, 1.0 / pivot, j == k);
        }
        workgroupBarrier();
        for (var i = local; i < d; i += WORKGROUP) {
            if (i != k) {
                let f = state[at + i * d + k];
                for (var j = 0u; j < d; j += 1u) {
                    if (j == k) {
                        state[at + i * d + k] = -f * state[at + k * d + k];
                    } else {
                        state[at + i * d + j] -= f * state[at + k * d + j];
                    }
                }
            }
        }
        workgroupBarrier();
    }
}

// The quadratic forms phi^T Lambda_h^-1 phi of every pair, from scratch.
fn quadratic_forms(base: u32, h: u32, local: u32) {
    let d = dispatch.dim;
    let a_inv = base + at_a_inv(h);
    for (var pair = local; pair < dispatch.states * dispatch.actions; pair += WORKGROUP) {
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
