// The plain-JavaScript peer of the bandit benchmark: the loop of the Rust
// CPU path (crates/bandits/src/bench.rs), written as a careful JavaScript
// programmer would — typed arrays, no allocation per step — with the same
// counter-based RNG (pcg4d, Jarzynski & Olano, JCGT 2020; counter-rng.js), the same ten
// Bernoulli arms and the same UCB1 and Thompson sampling, drawing the same
// words in the same order. UCB1's regret is therefore exactly the Rust
// path's; Thompson's agrees up to the f32 rounding of its normals.
//
// In a page: a module Web Worker; post {algorithm, runs, steps, seed} and it
// answers {algorithm, pullsPerSecond, meanRegret}. In node:
//   node public/bench/bandit-pulls.js ucb1 10000 1000 [seed]

import { normal, unit, unitOpen, words } from './counter-rng.js';

const ARMS = 10;
const SLOT_STREAM = 1 << 16;
// The Draws of crates/bandits/src/draws.rs: word i of a (run, step, stream)
// block is lane i % 4 of words(run, step, stream + i / 4).
class Draws {
  constructor(seedLo, seedHi) {
    this.seedLo = seedLo;
    this.seedHi = seedHi;
    this.block = new Uint32Array(4);
    this.run = 0;
    this.step = 0;
    this.stream = 0;
    this.used = 4;
  }

  start(run, step, stream) {
    this.run = run;
    this.step = step;
    this.stream = stream;
    this.used = 4;
  }

  word() {
    if (this.used === 4) {
      words(this.seedLo, this.seedHi, this.run, this.step, this.stream, this.block);
      this.stream += 1;
      this.used = 0;
    }
    this.used += 1;
    return this.block[this.used - 1];
  }

  // Marsaglia & Tsang, ACM TOMS 26(3), 2000, for shape >= 1.
  gamma(shape) {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal(this.word(), this.word());
      const root = 1 + c * x;
      const v = root * root * root;
      if (v <= 0) continue;
      const u = unitOpen(this.word());
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }
}

// The index of the largest score, ties broken by the next uniform draw.
function argmax(scores, draws) {
  let best = -Infinity;
  for (let a = 0; a < ARMS; a += 1) if (scores[a] > best) best = scores[a];
  let tied = 0;
  let first = 0;
  for (let a = ARMS - 1; a >= 0; a -= 1) {
    if (scores[a] === best) {
      tied += 1;
      first = a;
    }
  }
  if (tied === 1) return first;
  let k = Math.min(Math.floor(unit(draws.word()) * tied), tied - 1);
  for (let a = 0; a < ARMS; a += 1) {
    if (scores[a] === best) {
      if (k === 0) return a;
      k -= 1;
    }
  }
  return first;
}

export function banditPulls({ algorithm, runs, steps, seed = 1 }) {
  const seedLo = seed % 2 ** 32 >>> 0;
  const seedHi = Math.floor(seed / 2 ** 32) >>> 0;
  // The staircase 0.9, 0.85, ..., 0.45 of env.rs.
  const means = Float64Array.from({ length: ARMS }, (_, a) => Math.min(Math.max(0.9 - 0.05 * a, 0.05), 0.95));
  const best = Math.max(...means);
  const counts = new Uint32Array(runs * ARMS);
  const sums = new Float64Array(runs * ARMS);
  const regret = new Float64Array(runs);
  const scores = new Float64Array(ARMS);
  const rewardWords = new Uint32Array(4);
  const draws = new Draws(seedLo, seedHi);
  const thompson = algorithm === 'thompson';
  const start = performance.now();
  for (let t = 0; t < steps; t += 1) {
    const logT = Math.log(t + 1);
    for (let run = 0; run < runs; run += 1) {
      const base = run * ARMS;
      draws.start(run, t, SLOT_STREAM);
      let arm = -1;
      if (thompson) {
        for (let a = 0; a < ARMS; a += 1) {
          const successes = sums[base + a];
          const failures = counts[base + a] - successes;
          const x = draws.gamma(1 + successes);
          const y = draws.gamma(1 + failures);
          scores[a] = x / (x + y);
        }
        arm = argmax(scores, draws);
      } else {
        for (let a = 0; a < ARMS && arm < 0; a += 1) if (counts[base + a] === 0) arm = a;
        if (arm < 0) {
          for (let a = 0; a < ARMS; a += 1) {
            const n = counts[base + a];
            scores[a] = sums[base + a] / n + Math.sqrt((2 * logT) / n);
          }
          arm = argmax(scores, draws);
        }
      }
      words(seedLo, seedHi, run, t, arm, rewardWords);
      const reward = unit(rewardWords[0]) < means[arm] ? 1 : 0;
      counts[base + arm] += 1;
      sums[base + arm] += reward;
      // In the Rust path's order of operations, so the sums agree to the bit.
      regret[run] = regret[run] + best - means[arm];
    }
  }
  const seconds = (performance.now() - start) / 1000;
  let total = 0;
  for (let run = 0; run < runs; run += 1) total += regret[run];
  return { algorithm, pullsPerSecond: (runs * steps) / seconds, meanRegret: total / runs };
}

if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) {
  globalThis.onmessage = (event) => {
    try {
      globalThis.postMessage(banditPulls(event.data));
    } catch (error) {
      globalThis.postMessage({ error: String(error) });
    }
  };
} else if (typeof process !== 'undefined' && process.argv?.[1]?.endsWith('bandit-pulls.js')) {
  const [algorithm = 'ucb1', runs = '10000', steps = '1000', seed = '1'] = process.argv.slice(2);
  console.log(JSON.stringify(banditPulls({ algorithm, runs: Number(runs), steps: Number(steps), seed: Number(seed) })));
}
