// K-armed bandit runs on the GPU: one invocation per independent run, `steps`
// rounds per dispatch, per-run state in storage buffers and private arrays in
// between. The algorithms are those of crates/bandits/src/algorithms/ and draw
// the same counter-RNG words in the same order as crates/bandits/src/draws.rs,
// so a run here follows its CPU twin until f32 rounding flips a near-tie.
// Every round, each workgroup reduces its runs' regret, best-arm flags and
// policy entropy to a mean and a sum of squared deviations; the host merges
// the groups (Chan et al.'s pairwise update). Appended to rng.wgsl.

const MAX_ARMS: u32 = 16u;
// policy.rs TIE_TOLERANCE.
const TIE_TOLERANCE: f32 = 1e-5;
const PARTIALS: u32 = 6u;
const WORKGROUP: u32 = 64u;

const ALGO_UCB1: u32 = 0u;
const ALGO_KL_UCB: u32 = 1u;
const ALGO_THOMPSON: u32 = 2u;
const ALGO_EPSILON_GREEDY: u32 = 3u;
// From here on the algorithms sample from an explicit policy.
const ALGO_BOLTZMANN: u32 = 4u;
const ALGO_GRADIENT: u32 = 5u;
const ALGO_EXP3: u32 = 6u;
const ALGO_TSALLIS_INF: u32 = 7u;
// Linear algorithms: a ridge estimate per run.
const ALGO_LINUCB: u32 = 8u;
const ALGO_THRESHOLD: u32 = 9u;
const ALGO_LINTS: u32 = 10u;

const ENV_GAUSSIAN: u32 = 1u;
const ENV_PIECEWISE: u32 = 2u;
const ENV_ADVERSARIAL: u32 = 3u;
const ENV_LINEAR: u32 = 4u;

const MAX_DIM: u32 = 8u;
// A^-1 (MAX_DIM^2) then b (MAX_DIM) of each run, in `ridge`.
const RIDGE_STRIDE: u32 = 72u;
// The linear environment's context streams (env.rs CONTEXT_STREAM).
const CONTEXT_STREAM: u32 = 256u;
// The best arm's step along w in the aligned design (env.rs NUDGE).
const NUDGE: f32 = 0.1;

const FLAG_DECAY_EPSILON: u32 = 1u;
const FLAG_ANNEAL: u32 = 2u;
const FLAG_BINARY: u32 = 4u;
const FLAG_HOLD_ENTROPY: u32 = 8u;

struct Params {
    seed: vec2<u32>,
    runs: u32,
    arms: u32,
    first_step: u32,
    steps: u32,
    algorithm: u32,
    env: u32,
    switch_step: u32,
    // First RNG stream of this algorithm slot's draws.
    stream: u32,
    flags: u32,
    slot: u32,
    ucb_width: f32,
    epsilon: f32,
    temperature: f32,
    groups: u32,
    means: array<vec4<f32>, 4>,
    // Bernoulli arm a pays 1 when a word's top 24 bits are below
    // thresholds[a]: exactly the CPU's f64 test unit_f32(w) < mean.
    thresholds: array<vec4<u32>, 4>,
    gradient_temperature: f32,
    step_size: f32,
    entropy_coef: f32,
    entropy_target: f32,
    dual_step: f32,
    // Exp3's learning rate, tuned to the horizon on the host.
    exp3_eta: f32,
    exp3_gamma: f32,
    dim: u32,
    linear_width: f32,
    posterior_scale: f32,
    selection_threshold: f32,
    noise: f32,
    zeta: f32,
    ridge_lambda: f32,
    gap: f32,
    // 1: env.rs ContextDesign::Aligned.
    aligned: u32,
    // The linear model's theta and the direction w of its misspecification.
    theta: array<vec4<f32>, 2>,
    w: array<vec4<f32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
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

var<private> counts: array<u32, MAX_ARMS>;
// What arm_values holds for this run.
var<private> sums: array<f32, MAX_ARMS>;
var<private> baseline: f32;
var<private> beta: f32;
var<private> totals: array<f32, MAX_ARMS>;
var<private> scores: array<f32, MAX_ARMS>;
var<private> policy_entropy: f32;
var<private> policy_probs: array<f32, MAX_ARMS>;

// The Draws of one (run, step, stream block), as in draws.rs.
var<private> draw_counter: vec3<u32>;
var<private> draw_block: vec4<u32>;
var<private> draw_used: u32;

// The linear environment's round: each arm's features (arm-major, `dim`
// each) and mean; and the run's ridge regression.
var<private> contexts: array<f32, 128>;
var<private> linear_means: array<f32, MAX_ARMS>;
var<private> a_inv: array<f32, 64>;
var<private> b_vec: array<f32, MAX_DIM>;
var<private> direction: array<f32, MAX_DIM>;

var<workgroup> reduction: array<vec4<f32>, WORKGROUP>;

fn draws_start(run: u32, step: u32, stream: u32) {
    draw_counter = vec3<u32>(run, step, stream);
    draw_used = 4u;
}

fn draw_word() -> u32 {
    if (draw_used == 4u) {
        draw_block = random_u32x4(params.seed, draw_counter.x, draw_counter.y, draw_counter.z);
        draw_counter.z += 1u;
        draw_used = 0u;
    }
    let w = draw_block[draw_used];
    draw_used += 1u;
    return w;
}

fn draw_uniform() -> f32 {
    return unit_f32(draw_word());
}

fn draw_normal() -> f32 {
    let a = draw_word();
    let b = draw_word();
    return normal_f32(a, b);
}

// min(floor(U n), n - 1) in integers: U has 24 bits, so this is the CPU's
// exact f64 product, where f32 could round up across an integer.
fn draw_index(n: u32) -> u32 {
    return min(((draw_word() >> 8u) * n) >> 24u, n - 1u);
}

// Gamma(shape, 1) for shape >= 1 (Beta posteriors start at 1), as
// Draws::gamma: Marsaglia & Tsang, ACM TOMS 26(3), 2000.
fn draw_gamma(shape: f32) -> f32 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / sqrt(9.0 * d);
    loop {
        let x = draw_normal();
        let root = 1.0 + c * x;
        if (root <= 0.0) {
            continue;
        }
        let v = root * root * root;
        let u = unit_open_f32(draw_word());
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) {
            return d * v;
        }
    }
    return 0.0;
}

fn draw_beta(a: f32, b: f32) -> f32 {
    let x = draw_gamma(a);
    let y = draw_gamma(b);
    return x / (x + y);
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
        if ((params.flags & FLAG_BINARY) != 0u) {
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

// Thompson sampling: Beta(1 + s, 1 + f) or Normal(mean, 1 / n) (thompson.rs).
fn choose_thompson() -> u32 {
    if ((params.flags & FLAG_BINARY) != 0u) {
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

// epsilon-greedy, constant or min(1, epsilon K / t) (epsilon_greedy.rs).
fn choose_epsilon_greedy(t: u32) -> u32 {
    var epsilon = params.epsilon;
    if ((params.flags & FLAG_DECAY_EPSILON) != 0u) {
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

// Boltzmann: sample from softmax(mean / T), T optionally T / ln(e + t) (boltzmann.rs).
fn choose_boltzmann(t: u32) -> u32 {
    var temperature = params.temperature;
    if ((params.flags & FLAG_ANNEAL) != 0u) {
        temperature = temperature / log(2.718281828459045 + f32(t));
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sample_mean(a) / temperature;
    }
    softmax_scores();
    return sample_policy();
}

// Gradient bandit: sample from softmax(H / T) (gradient.rs).
fn choose_gradient() -> u32 {
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sums[a] / params.gradient_temperature;
    }
    softmax_scores();
    return sample_policy();
}

// Exp3: exponential weights on S mixed with gamma uniform (exp3.rs).
fn choose_exp3() -> u32 {
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = sums[a] * params.exp3_eta;
    }
    softmax_scores();
    let uniform = params.exp3_gamma / f32(params.arms);
    for (var a = 0u; a < params.arms; a += 1u) {
        policy_probs[a] = (1.0 - params.exp3_gamma) * policy_probs[a] + uniform;
        scores[a] = log(policy_probs[a]);
    }
    return sample_policy();
}

// Tsallis-INF: p_i = 4 / (eta (L_i - x))^2, eta = 2 / sqrt(t), with the
// normalizer x found by Newton's method from below (tsallis_inf.rs).
fn choose_tsallis_inf(t: u32) -> u32 {
    let eta = 2.0 / sqrt(f32(t + 1u));
    var least = sums[0];
    for (var a = 1u; a < params.arms; a += 1u) {
        least = min(least, sums[a]);
    }
    var x = least - 2.0 / eta;
    for (var i = 0u; i < 50u; i += 1u) {
        var total = 0.0;
        var slope = 0.0;
        for (var a = 0u; a < params.arms; a += 1u) {
            let gap = eta * (sums[a] - x);
            let w = 4.0 / (gap * gap);
            total += w;
            slope += w * sqrt(w);
        }
        let next = x - (total - 1.0) / (slope * eta);
        if (abs(next - x) < 1e-12) {
            break;
        }
        x = next;
    }
    var total = 0.0;
    for (var a = 0u; a < params.arms; a += 1u) {
        let gap = eta * (sums[a] - x);
        policy_probs[a] = 4.0 / (gap * gap);
        total += policy_probs[a];
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        policy_probs[a] /= total;
        scores[a] = log(policy_probs[a]);
    }
    return sample_policy();
}

// The gradient bandit's update with its entropy bonus, beta held to the
// target by dual ascent when asked (gradient.rs).
fn learn_gradient(arm: u32, r: f32, t: u32) {
    if ((params.flags & FLAG_HOLD_ENTROPY) != 0u) {
        beta = max(0.0, beta + params.dual_step * (params.entropy_target - policy_entropy));
    } else {
        beta = params.entropy_coef;
    }
    let advantage = r - baseline;
    let temperature = params.gradient_temperature;
    for (var a = 0u; a < params.arms; a += 1u) {
        let p = policy_probs[a];
        let chosen = select(0.0, 1.0, a == arm);
        var entropy_grad = 0.0;
        if (p > 0.0) {
            entropy_grad = -p * (scores[a] + policy_entropy) / temperature;
        }
        sums[a] += params.step_size * (advantage * (chosen - p) / temperature + beta * entropy_grad);
    }
    baseline += advantage / f32(t + 1u);
}

// Exp3's loss-based importance-weighted estimate (exp3.rs).
fn learn_exp3(arm: u32, r: f32) {
    let p = policy_probs[arm];
    for (var a = 0u; a < params.arms; a += 1u) {
        sums[a] += 1.0;
    }
    sums[arm] -= (1.0 - r) / p;
}

// What the chosen arm's reward teaches the algorithm.
fn learn(arm: u32, r: f32, t: u32) {
    counts[arm] += 1u;
    switch params.algorithm {
        case ALGO_GRADIENT: {
            learn_gradient(arm, r, t);
        }
        case ALGO_EXP3: {
            learn_exp3(arm, r);
        }
        case ALGO_TSALLIS_INF: {
            // The importance-weighted loss estimate.
            sums[arm] += (1.0 - r) / policy_probs[arm];
        }
        case ALGO_LINUCB, ALGO_THRESHOLD, ALGO_LINTS: {
            learn_linear(arm, r);
        }
        default: {
            sums[arm] += r;
        }
    }
}

fn theta_at(i: u32) -> f32 {
    return params.theta[i / 4u][i % 4u];
}

fn w_at(i: u32) -> f32 {
    return params.w[i / 4u][i % 4u];
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
    if (params.aligned == 1u) {
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

// direction = A^-1 x for the features of `arm`; returns x^T A^-1 x.
fn apply_a_inv(arm: u32) -> f32 {
    let d = params.dim;
    var quadratic = 0.0;
    for (var i = 0u; i < d; i += 1u) {
        var row = 0.0;
        for (var j = 0u; j < d; j += 1u) {
            row += a_inv[i * d + j] * contexts[arm * d + j];
        }
        direction[i] = row;
        quadratic += row * contexts[arm * d + i];
    }
    return quadratic;
}

// theta_hat = A^-1 b, into `direction`.
fn ridge_estimate() {
    let d = params.dim;
    for (var i = 0u; i < d; i += 1u) {
        var row = 0.0;
        for (var j = 0u; j < d; j += 1u) {
            row += a_inv[i * d + j] * b_vec[j];
        }
        direction[i] = row;
    }
}

fn dot_context(arm: u32) -> f32 {
    var total = 0.0;
    for (var i = 0u; i < params.dim; i += 1u) {
        total += direction[i] * contexts[arm * params.dim + i];
    }
    return total;
}

// LinUCB: <theta_hat, x> + alpha ||x||_{A^-1} (linucb.rs).
fn choose_linucb() -> u32 {
    ridge_estimate();
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = dot_context(a);
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] += params.linear_width * sqrt(max(apply_a_inv(a), 0.0));
    }
    return argmax_scores();
}

// LinTS: theta_hat + v L z with L L^T = A^-1 (Cholesky, as Ridge::cholesky), then argmax (lints.rs).
fn choose_lints() -> u32 {
    let d = params.dim;
    var l: array<f32, 64>;
    for (var i = 0u; i < d; i += 1u) {
        for (var j = 0u; j <= i; j += 1u) {
            var partial = 0.0;
            for (var k = 0u; k < j; k += 1u) {
                partial += l[i * d + k] * l[j * d + k];
            }
            if (i == j) {
                l[i * d + i] = sqrt(max(a_inv[i * d + i] - partial, 0.0));
            } else if (l[j * d + j] > 0.0) {
                l[i * d + j] = (a_inv[i * d + j] - partial) / l[j * d + j];
            }
        }
    }
    var z: array<f32, MAX_DIM>;
    for (var k = 0u; k < d; k += 1u) {
        z[k] = draw_normal();
    }
    ridge_estimate();
    for (var i = 0u; i < d; i += 1u) {
        var noise = 0.0;
        for (var k = 0u; k <= i; k += 1u) {
            noise += l[i * d + k] * z[k];
        }
        direction[i] += params.posterior_scale * noise;
    }
    for (var a = 0u; a < params.arms; a += 1u) {
        scores[a] = dot_context(a);
    }
    return argmax_scores();
}

// Adds (x, r) to the ridge regression by Sherman-Morrison; the threshold
// rule only when ||x||_{A^-1} >= Gamma (ridge.rs, linucb.rs).
fn learn_linear(arm: u32, r: f32) {
    let d = params.dim;
    let quadratic = apply_a_inv(arm);
    if (params.algorithm == ALGO_THRESHOLD && sqrt(max(quadratic, 0.0)) < params.selection_threshold) {
        return;
    }
    let denominator = 1.0 + quadratic;
    for (var i = 0u; i < d; i += 1u) {
        for (var j = 0u; j < d; j += 1u) {
            a_inv[i * d + j] -= direction[i] * direction[j] / denominator;
        }
        b_vec[i] += r * contexts[arm * d + i];
    }
}

fn is_linear() -> bool {
    return params.algorithm >= ALGO_LINUCB;
}

fn has_explicit_policy() -> bool {
    return params.algorithm >= ALGO_BOLTZMANN && params.algorithm <= ALGO_TSALLIS_INF;
}

fn choose(t: u32) -> u32 {
    switch params.algorithm {
        case ALGO_UCB1: {
            return choose_ucb1(t);
        }
        case ALGO_KL_UCB: {
            return choose_kl_ucb(t);
        }
        case ALGO_THOMPSON: {
            return choose_thompson();
        }
        case ALGO_EPSILON_GREEDY: {
            return choose_epsilon_greedy(t);
        }
        case ALGO_BOLTZMANN: {
            return choose_boltzmann(t);
        }
        case ALGO_GRADIENT: {
            return choose_gradient();
        }
        case ALGO_EXP3: {
            return choose_exp3();
        }
        case ALGO_TSALLIS_INF: {
            return choose_tsallis_inf(t);
        }
        case ALGO_LINUCB, ALGO_THRESHOLD: {
            return choose_linucb();
        }
        case ALGO_LINTS: {
            return choose_lints();
        }
        default: {
            return 0u;
        }
    }
}

// Index into params.means of arm `a` at a step whose means may be reversed.
fn arm_slot(a: u32, reversed: bool) -> u32 {
    return select(a, params.arms - 1u - a, reversed);
}

fn arm_mean(a: u32, reversed: bool) -> f32 {
    if (params.env == ENV_LINEAR) {
        return linear_means[a];
    }
    let i = arm_slot(a, reversed);
    return params.means[i / 4u][i % 4u];
}

// What `arm` pays in `run` at step `t` (env.rs reward): stream = arm.
fn reward(run: u32, t: u32, arm: u32, reversed: bool) -> f32 {
    let w = random_u32x4(params.seed, run, t, arm);
    if (params.env == ENV_GAUSSIAN) {
        return arm_mean(arm, reversed) + normal_f32(w.x, w.y);
    }
    if (params.env == ENV_LINEAR) {
        return linear_means[arm] + params.noise * normal_f32(w.x, w.y);
    }
    let i = arm_slot(arm, reversed);
    return select(0.0, 1.0, (w.x >> 8u) < params.thresholds[i / 4u][i % 4u]);
}

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

@compute @workgroup_size(64)
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
        beta = select(state.w, params.entropy_coef, params.first_step == 0u);
        if (is_linear()) {
            let at = run * RIDGE_STRIDE;
            let d = params.dim;
            for (var i = 0u; i < d * d; i += 1u) {
                a_inv[i] = ridge[at + i];
            }
            for (var i = 0u; i < d; i += 1u) {
                b_vec[i] = ridge[at + 64u + i];
                if (params.first_step == 0u) {
                    a_inv[i * d + i] = 1.0 / params.ridge_lambda;
                }
            }
        }
    }
    var best_mean = params.means[0].x;
    for (var a = 1u; a < arms; a += 1u) {
        best_mean = max(best_mean, params.means[a / 4u][a % 4u]);
    }
    let weight = select(0.0, 1.0, in_range);
    for (var s = 0u; s < params.steps; s += 1u) {
        let t = params.first_step + s;
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
            draws_start(run, t, params.stream);
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
        let i = ((params.slot * params.steps + s) * params.groups + group_id.x) * PARTIALS;
        if (local == 0u) {
            partials[i] = vec4<f32>(regret_mean, squares.x, total.y, total.w);
            partials[i + 1u] = vec4<f32>(entropy_mean, squares.y, 0.0, 0.0);
        }
        if (has_explicit_policy()) {
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
            group_pulls[(params.slot * params.groups + group_id.x) * 4u + q] = summed;
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
        if (is_linear()) {
            let at = run * RIDGE_STRIDE;
            for (var i = 0u; i < params.dim * params.dim; i += 1u) {
                ridge[at + i] = a_inv[i];
            }
            for (var i = 0u; i < params.dim; i += 1u) {
                ridge[at + 64u + i] = b_vec[i];
            }
        }
    }
}
