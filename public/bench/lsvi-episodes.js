// The plain-JavaScript peer of the Linear MDP benchmark: the loop of the
// Rust CPU path (crates/linear-mdp/src/bench.rs) written as a careful
// JavaScript programmer would (flat Float64Arrays, no allocation in the
// inner loops): LSVI-UCB (Jin, Yang, Wang & Jordan 2020, Algorithm 1) on
// the 10 x 10 gridworld (slip 0.1, goal top-right) with d = 32 random
// projection features, H = 20, beta = 2, lambda = 1. Every episode of every
// seed plans (the backward LSVI pass), plays with the lab's random numbers
// (counter-rng.js), scores its policy exactly on the model and learns by
// Sherman-Morrison, in the lab's order of operations, so its mean regret
// is the lab's CPU path's (up to the f32 rounding of the features' normals).
//
// In a page: a module Web Worker; post {seeds, episodes, seed} and it
// answers {episodesPerSecond, meanRegret}. In node:
//   node public/bench/lsvi-episodes.js 256 200 [seed]

import { normal, uniform, words } from './counter-rng.js';

const SIZE = 10;
const SLIP = 0.1;
const HORIZON = 20;
const DIM = 32;
const BETA = 2;
const LAMBDA = 1;
// GRID_MOVES of crates/linear-mdp/src/env.rs, as (dx, dy).
const MOVES = [
  [0, 1],
  [1, 0],
  [0, -1],
  [-1, 0],
];
const ACTIONS = MOVES.length;
const MODEL_RUN = 0xffffffff;
const FEATURE_STREAM = 7;
const ACTION_STREAM = 1;
const TRANSITION_STREAM = 2;
const TIE_TOLERANCE = 1e-5;

// The gridworld of env.rs with nothing painted: each (s, a) has a short
// list of (next state, probability) in the lab's order, and its reward.
function gridworld() {
  const states = SIZE * SIZE;
  const goal = states - 1;
  const reward = new Float64Array(states * ACTIONS);
  const laws = [];
  for (let s = 0; s < states; s += 1) {
    const x = s % SIZE;
    const y = Math.floor(s / SIZE);
    const moved = ([dx, dy]) => {
      const tx = x + dx;
      const ty = y + dy;
      return tx >= 0 && tx < SIZE && ty >= 0 && ty < SIZE ? ty * SIZE + tx : s;
    };
    for (let a = 0; a < ACTIONS; a += 1) {
      reward[s * ACTIONS + a] = s === goal ? 1 : 0;
      const law = [];
      const add = (t, p) => {
        const entry = law.find((e) => e[0] === t);
        if (entry) entry[1] += p;
        else law.push([t, p]);
      };
      add(moved(MOVES[a]), 1 - SLIP);
      for (const direction of MOVES) add(moved(direction), SLIP / ACTIONS);
      laws.push(law.filter((e) => e[1] > 0));
    }
  }
  const starts = new Uint32Array(laws.length + 1);
  const next = [];
  const prob = [];
  laws.forEach((law, pair) => {
    starts[pair] = next.length;
    for (const [t, p] of law) {
      next.push(t);
      prob.push(p);
    }
  });
  starts[laws.length] = next.length;
  return { states, reward, starts, next: Uint32Array.from(next), prob: Float64Array.from(prob) };
}

// Random projections of the one-hot (s, a), as features.rs builds them.
function randomFeatures(pairs, seedLo, seedHi) {
  const phi = new Float64Array(pairs * DIM);
  const scale = 1 / Math.sqrt(DIM);
  const block = new Uint32Array(4);
  for (let i = 0; i < pairs * DIM; i += 1) {
    words(seedLo, seedHi, MODEL_RUN, i, FEATURE_STREAM, block);
    phi[i] = scale * normal(block[0], block[1]);
  }
  return phi;
}

// r + E[v(s')] of every pair into `out` (Mdp::backup).
function backup(mdp, v, out) {
  for (let pair = 0; pair < out.length; pair += 1) {
    let expected = 0;
    for (let k = mdp.starts[pair]; k < mdp.starts[pair + 1]; k += 1) expected += mdp.prob[k] * v[mdp.next[k]];
    out[pair] = mdp.reward[pair] + expected;
  }
}

// V*_0(start) by backward induction.
function optimalValue(mdp) {
  let v = new Float64Array(mdp.states);
  const q = new Float64Array(mdp.states * ACTIONS);
  for (let h = HORIZON - 1; h >= 0; h -= 1) {
    backup(mdp, v, q);
    const next = new Float64Array(mdp.states);
    for (let s = 0; s < mdp.states; s += 1) {
      let best = -Infinity;
      for (let a = 0; a < ACTIONS; a += 1) best = Math.max(best, q[s * ACTIONS + a]);
      next[s] = best;
    }
    v = next;
  }
  return v[0];
}

// The first index whose cumulative probability passes u (mdp.rs draw).
function drawAction(policy, at, u) {
  let total = 0;
  for (let a = 0; a < ACTIONS; a += 1) {
    total += policy[at + a];
    if (u < total) return a;
  }
  for (let a = ACTIONS - 1; a >= 0; a -= 1) if (policy[at + a] > 0) return a;
  return 0;
}

function nextState(mdp, pair, u) {
  let total = 0;
  for (let k = mdp.starts[pair]; k < mdp.starts[pair + 1]; k += 1) {
    total += mdp.prob[k];
    if (u < total) return mdp.next[k];
  }
  return mdp.next[mdp.starts[pair + 1] - 1];
}

export function lsviEpisodes({ seeds, episodes, seed = 1 }) {
  const seedLo = seed % 2 ** 32 >>> 0;
  const seedHi = Math.floor(seed / 2 ** 32) >>> 0;
  const mdp = gridworld();
  const S = mdp.states;
  const pairs = S * ACTIONS;
  const d = DIM;
  const H = HORIZON;
  const phi = randomFeatures(pairs, seedLo, seedHi);
  const optimal = optimalValue(mdp);
  // Per (seed, h): Lambda^-1, b, the sums of phi per next state, and every
  // pair's phi^T Lambda^-1 phi.
  const runs = seeds * H;
  const aInv = new Float64Array(runs * d * d);
  const b = new Float64Array(runs * d);
  const toNext = new Float64Array(runs * S * d);
  const quadratic = new Float64Array(runs * pairs);
  for (let run = 0; run < runs; run += 1) {
    for (let i = 0; i < d; i += 1) aInv[run * d * d + i * d + i] = 1 / LAMBDA;
    for (let pair = 0; pair < pairs; pair += 1) {
      let norm2 = 0;
      for (let i = 0; i < d; i += 1) norm2 += phi[pair * d + i] * phi[pair * d + i];
      quadratic[run * pairs + pair] = norm2 / LAMBDA;
    }
  }
  const policy = new Float64Array(H * pairs);
  const q = new Float64Array(pairs);
  let vNext = new Float64Array(S);
  let vNow = new Float64Array(S);
  const future = new Float64Array(d);
  const w = new Float64Array(d);
  const direction = new Float64Array(d);
  const path = new Uint32Array(H + 1);
  const taken = new Uint32Array(H);
  const rewards = new Float64Array(H);
  const scratch = new Uint32Array(4);
  const regret = new Float64Array(seeds);
  const start = performance.now();
  for (let k = 0; k < episodes; k += 1) {
    for (let sd = 0; sd < seeds; sd += 1) {
      // Plan: Q_h = clamp(w_h^T phi + beta ||phi||, +-(H - h)), greedy over near-ties.
      vNext.fill(0);
      for (let h = H - 1; h >= 0; h -= 1) {
        const run = sd * H + h;
        future.fill(0);
        for (let s = 0; s < S; s += 1) {
          const v = vNext[s];
          if (v !== 0) {
            const row = (run * S + s) * d;
            for (let i = 0; i < d; i += 1) future[i] += v * toNext[row + i];
          }
        }
        const m = run * d * d;
        for (let i = 0; i < d; i += 1) {
          let theta = 0;
          let applied = 0;
          for (let j = 0; j < d; j += 1) {
            theta += aInv[m + i * d + j] * b[run * d + j];
            applied += aInv[m + i * d + j] * future[j];
          }
          w[i] = theta + applied;
        }
        const cap = H - h;
        for (let pair = 0; pair < pairs; pair += 1) {
          let fit = 0;
          for (let i = 0; i < d; i += 1) fit += phi[pair * d + i] * w[i];
          const bonus = BETA * Math.sqrt(Math.max(quadratic[run * pairs + pair], 0));
          q[pair] = Math.min(Math.max(fit + bonus, -cap), cap);
        }
        for (let s = 0; s < S; s += 1) {
          let best = -Infinity;
          for (let a = 0; a < ACTIONS; a += 1) best = Math.max(best, q[s * ACTIONS + a]);
          const floor = best - TIE_TOLERANCE * Math.max(Math.abs(best), 1);
          let tied = 0;
          for (let a = 0; a < ACTIONS; a += 1) if (q[s * ACTIONS + a] >= floor) tied += 1;
          for (let a = 0; a < ACTIONS; a += 1) {
            policy[h * pairs + s * ACTIONS + a] = q[s * ACTIONS + a] >= floor ? 1 / tied : 0;
          }
          vNow[s] = best;
        }
        [vNext, vNow] = [vNow, vNext];
      }
      // Play from the start with the lab's action and transition numbers.
      path[0] = 0;
      for (let h = 0; h < H; h += 1) {
        const s = path[h];
        const counter = (k * H + h) >>> 0;
        const a = drawAction(policy, h * pairs + s * ACTIONS, uniform(seedLo, seedHi, sd, counter, ACTION_STREAM, scratch));
        const pair = s * ACTIONS + a;
        const u = uniform(seedLo, seedHi, sd, counter, TRANSITION_STREAM, scratch);
        taken[h] = a;
        rewards[h] = mdp.reward[pair];
        path[h + 1] = nextState(mdp, pair, u);
      }
      // The policy's exact value: the episode's regret.
      vNext.fill(0);
      for (let h = H - 1; h >= 0; h -= 1) {
        backup(mdp, vNext, q);
        for (let s = 0; s < S; s += 1) {
          let value = 0;
          for (let a = 0; a < ACTIONS; a += 1) value += q[s * ACTIONS + a] * policy[h * pairs + s * ACTIONS + a];
          vNow[s] = value;
        }
        [vNext, vNow] = [vNow, vNext];
      }
      regret[sd] += optimal - vNext[0];
      // Learn: Sherman-Morrison on Lambda_h^-1 and every pair's quadratic form.
      for (let h = 0; h < H; h += 1) {
        const run = sd * H + h;
        const x = (path[h] * ACTIONS + taken[h]) * d;
        const m = run * d * d;
        let denominator = 1;
        for (let i = 0; i < d; i += 1) {
          let ax = 0;
          for (let j = 0; j < d; j += 1) ax += aInv[m + i * d + j] * phi[x + j];
          direction[i] = ax;
        }
        let along = 0;
        for (let i = 0; i < d; i += 1) along += direction[i] * phi[x + i];
        denominator += along;
        for (let i = 0; i < d; i += 1) {
          for (let j = 0; j < d; j += 1) aInv[m + i * d + j] -= (direction[i] * direction[j]) / denominator;
        }
        for (let i = 0; i < d; i += 1) b[run * d + i] += rewards[h] * phi[x + i];
        const row = (run * S + path[h + 1]) * d;
        for (let i = 0; i < d; i += 1) toNext[row + i] += phi[x + i];
        for (let pair = 0; pair < pairs; pair += 1) {
          let g = 0;
          for (let i = 0; i < d; i += 1) g += phi[pair * d + i] * direction[i];
          quadratic[run * pairs + pair] -= (g * g) / denominator;
        }
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  let total = 0;
  for (let sd = 0; sd < seeds; sd += 1) total += regret[sd];
  return { episodesPerSecond: (seeds * episodes) / seconds, meanRegret: total / seeds };
}

if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) {
  globalThis.onmessage = (event) => {
    try {
      globalThis.postMessage(lsviEpisodes(event.data));
    } catch (error) {
      globalThis.postMessage({ error: String(error) });
    }
  };
} else if (typeof process !== 'undefined' && process.argv?.[1]?.endsWith('lsvi-episodes.js')) {
  const [seeds = '256', episodes = '200', seed = '1'] = process.argv.slice(2);
  console.log(JSON.stringify(lsviEpisodes({ seeds: Number(seeds), episodes: Number(episodes), seed: Number(seed) })));
}
