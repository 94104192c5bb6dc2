// K-armed and linear bandit runs on the GPU: one invocation per independent
// run, `steps` rounds per dispatch, per-run state in storage buffers and
// private arrays in between. gpu.rs assembles the kernel: rng.wgsl, the
// lab's params as `struct Params` and the codes of its choices (generated
// from params.rs and algorithms/mod.rs), this file, and the twins of
// draws.rs, policy.rs, env.rs, ridge.rs and of every algorithm, beside
// their Rust files. They draw the same counter-RNG words in the same order
// as the CPU path, so a run here follows its CPU twin until f32 rounding
// flips a near-tie. Every round, each workgroup reduces its runs' regret,
// best-arm flags and policy entropy to a mean and a sum of squared
// deviations; the host merges the groups (Chan et al.'s pairwise update).

// What one dispatch of one algorithm slot needs besides the params; gpu.rs
// mirrors it as a #[repr(C)] struct, and a test holds the two layouts equal.
struct Dispatch {
    seed: vec2<u32>,
    first_step: u32,
    steps: u32,
    algorithm: u32,
    // First RNG stream of this slot's draws.
    stream: u32,
    slot: u32,
    groups: u32,
    // Rewards in {0, 1}: Beta posteriors and Bernoulli KL apply.
    binary_rewards: u32,
    explicit_policy: u32,
    linear: u32,
    // The entropy the gradient bandit's dual update holds (at most ln K).
    held_entropy: f32,
    // Exp3's learning rate, tuned to the horizon.
    exp3_eta: f32,
    means: array<vec4<f32>, 4>,
    // Bernoulli arm a pays 1 when a word's top 24 bits are below
    // thresholds[a]: exactly the CPU's f64 test unit_f32(w) < mean.
    thresholds: array<vec4<u32>, 4>,
    // The linear model's theta and the direction w of its misspecification.
    theta: array<vec4<f32>, 2>,
    w: array<vec4<f32>, 2>,
}

@group(0) @binding(0) var<uniform> dispatch: Dispatch;
@group(0) @binding(1) var<storage, read_write> pull_counts: array<u32>;
// Reward sums, or the gradient bandit's preferences H, Exp3's estimates S,
// Tsallis-INF's loss estimates L.
@group(0) @binding(2) var<storage, read_write> arm_values: array<f32>;
// Adversarial only: each arm's cumulative reward, for the best arm in hindsight.
@group(0) @binding(3) var<storage, read_write> arm_totals: array<f32>;
// (cumulative regret, collected reward, the gradient bandit's baseline and
// entropy coefficient beta) of each run.
@group(0) @binding(4) var<storage, read_write> run_state: array<vec4<f32>>;
// Per (slot, round, group), PARTIALS vec4s: (regret mean, regret M2,
// best-arm count, runs), (entropy mean, entropy M2, 0, 0), and for explicit
// policies the mean probability of arms 0..16.
@group(0) @binding(5) var<storage, read_write> partials: array<vec4<f32>>;
// Per (slot, group): pulls of arms 0..16 summed over the group's runs.
@group(0) @binding(6) var<storage, read_write> group_pulls: array<vec4<f32>>;
// Linear algorithms: A^-1 and b of each run (RIDGE_STRIDE floats).
@group(0) @binding(7) var<storage, read_write> ridge: array<f32>;
// The lab's params as the user set them (struct Params is generated).
@group(0) @binding(8) var<uniform> params: Params;

var<private> counts: array<u32, MAX_ARMS>;
// What arm_values holds for this run.
var<private> sums: array<f32, MAX_ARMS>;
var<private> baseline: f32;
var<private> beta: f32;
var<private> totals: array<f32, MAX_ARMS>;
var<private> scores: array<f32, MAX_ARMS>;
var<private> policy_entropy: f32;
var<private> policy_probs: array<f32, MAX_ARMS>;

// The linear environment's round: each arm's features (arm-major, `dim`
// each) and mean; and the run's ridge regression.
var<private> contexts: array<f32, MAX_ARMS * MAX_DIM>;
var<private> linear_means: array<f32, MAX_ARMS>;
var<private> a_inv: array<f32, MAX_DIM * MAX_DIM>;
var<private> b_vec: array<f32, MAX_DIM>;
var<private> direction: array<f32, MAX_DIM>;

var<workgroup> reduction: array<vec4<f32>, WORKGROUP>;

// Sums `value` over the workgroup. Called in uniform control flow by all invocations.
fn workgroup_sum(local: u32, value: vec4<f32>) -> vec4<f32> {
    reduction[local] = value;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if (local < stride) {
            reduction[local] += reduction[local + stride];
        }
        workgroupBarrier();
    }
    let total = reduction[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WORKGROUP)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let run = gid.x;
    let in_range = run < params.runs;
    let arms = params.arms;
    let base = run * arms;
    var regret = 0.0;
    var collected = 0.0;
    if (in_range) {
        for (var a = 0u; a < arms; a += 1u) {
            counts[a] = pull_counts[base + a];
            sums[a] = arm_values[base + a];
        }
        if (params.env == ENV_ADVERSARIAL) {
            for (var a = 0u; a < arms; a += 1u) {
                totals[a] = arm_totals[base + a];
            }
        }
        let state = run_state[run];
        regret = state.x;
        collected = state.y;
        baseline = state.z;
        beta = select(state.w, params.entropy_coef, dispatch.first_step == 0u);
        if (dispatch.linear != 0u) {
            let at = run * RIDGE_STRIDE;
            let d = params.dim;
            for (var i = 0u; i < d * d; i += 1u) {
                a_inv[i] = ridge[at + i];
            }
            for (var i = 0u; i < d; i += 1u) {
                b_vec[i] = ridge[at + RIDGE_B + i];
                if (dispatch.first_step == 0u) {
                    a_inv[i * d + i] = 1.0 / params.ridge_lambda;
                }
            }
        }
    }
    var best_mean = dispatch.means[0].x;
    for (var a = 1u; a < arms; a += 1u) {
        best_mean = max(best_mean, dispatch.means[a / 4u][a % 4u]);
    }
    let weight = select(0.0, 1.0, in_range);
    for (var s = 0u; s < dispatch.steps; s += 1u) {
        let t = dispatch.first_step + s;
        var reversed = false;
        if (params.env == ENV_PIECEWISE) {
            reversed = t >= params.switch_step;
        } else if (params.env == ENV_ADVERSARIAL) {
            // Phases [2^k - 1, 2^(k+1) - 1): odd k reverse the means.
            reversed = firstLeadingBit(t + 1u) % 2u == 1u;
        }
        var on_best = 0.0;
        policy_entropy = 0.0;
        if (in_range) {
            if (params.env == ENV_ADVERSARIAL) {
                for (var a = 0u; a < arms; a += 1u) {
                    totals[a] += reward(run, t, a, reversed);
                }
            }
            if (params.env == ENV_LINEAR) {
                linear_round(run, t);
                best_mean = linear_means[0];
                for (var a = 1u; a < arms; a += 1u) {
                    best_mean = max(best_mean, linear_means[a]);
                }
            }
            draws_start(run, t, dispatch.stream);
            let arm = choose(t);
            let r = reward(run, t, arm, reversed);
            learn(arm, r, t);
            collected += r;
            let mean = arm_mean(arm, reversed);
            if (params.env == ENV_ADVERSARIAL) {
                var hindsight = totals[0];
                for (var a = 1u; a < arms; a += 1u) {
                    hindsight = max(hindsight, totals[a]);
                }
                regret = hindsight - collected;
            } else {
                regret += best_mean - mean;
            }
            on_best = select(0.0, 1.0, mean == best_mean);
        }
        let total = workgroup_sum(local, vec4<f32>(weight * regret, on_best, weight * policy_entropy, weight));
        let n = max(total.w, 1.0);
        let regret_mean = total.x / n;
        let entropy_mean = total.z / n;
        let regret_dev = regret - regret_mean;
        let entropy_dev = policy_entropy - entropy_mean;
        let squares = workgroup_sum(
            local,
            weight * vec4<f32>(regret_dev * regret_dev, entropy_dev * entropy_dev, 0.0, 0.0),
        );
        let i = ((dispatch.slot * dispatch.steps + s) * dispatch.groups + group_id.x) * PARTIALS;
        if (local == 0u) {
            partials[i] = vec4<f32>(regret_mean, squares.x, total.y, total.w);
            partials[i + 1u] = vec4<f32>(entropy_mean, squares.y, 0.0, 0.0);
        }
        if (dispatch.explicit_policy != 0u) {
            for (var q = 0u; q < MAX_ARMS / 4u; q += 1u) {
                let probs = vec4<f32>(
                    policy_probs[4u * q],
                    policy_probs[4u * q + 1u],
                    policy_probs[4u * q + 2u],
                    policy_probs[4u * q + 3u],
                );
                let summed = workgroup_sum(local, weight * probs);
                if (local == 0u) {
                    partials[i + 2u + q] = summed / n;
                }
            }
        }
    }
    for (var q = 0u; q < MAX_ARMS / 4u; q += 1u) {
        let pulls = vec4<f32>(
            f32(counts[4u * q]),
            f32(counts[4u * q + 1u]),
            f32(counts[4u * q + 2u]),
            f32(counts[4u * q + 3u]),
        );
        let summed = workgroup_sum(local, pulls);
        if (local == 0u) {
            group_pulls[(dispatch.slot * dispatch.groups + group_id.x) * 4u + q] = summed;
        }
    }
    if (in_range) {
        for (var a = 0u; a < arms; a += 1u) {
            pull_counts[base + a] = counts[a];
            arm_values[base + a] = sums[a];
        }
        if (params.env == ENV_ADVERSARIAL) {
            for (var a = 0u; a < arms; a += 1u) {
                arm_totals[base + a] = totals[a];
            }
        }
        run_state[run] = vec4<f32>(regret, collected, baseline, beta);
        if (dispatch.linear != 0u) {
            let at = run * RIDGE_STRIDE;
            for (var i = 0u; i < params.dim * params.dim; i += 1u) {
                ridge[at + i] = a_inv[i];
            }
            for (var i = 0u; i < params.dim; i += 1u) {
                ridge[at + RIDGE_B + i] = b_vec[i];
            }
        }
    }
}
