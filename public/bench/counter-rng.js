// The counter-based RNG of crates/core/src/rng.rs in JavaScript (pcg4d,
// Jarzynski & Olano, JCGT 2020), for the plain-JavaScript benchmark peers:
// the same words for the same (seed, run, step, stream), so a peer draws
// the numbers the lab draws.

const INV_2_24 = 1 / 16777216;
const TAU_F32 = Math.fround(2 * Math.PI);
const PI_F32 = Math.fround(Math.PI);

function pcg4dMix(v) {
  v[0] = (v[0] + Math.imul(v[1], v[3])) >>> 0;
  v[1] = (v[1] + Math.imul(v[2], v[0])) >>> 0;
  v[2] = (v[2] + Math.imul(v[0], v[1])) >>> 0;
  v[3] = (v[3] + Math.imul(v[1], v[2])) >>> 0;
}

function pcg4d(v) {
  for (let i = 0; i < 4; i += 1) v[i] = (Math.imul(v[i], 1664525) + 1013904223) >>> 0;
  pcg4dMix(v);
  for (let i = 0; i < 4; i += 1) v[i] = (v[i] ^ (v[i] >>> 16)) >>> 0;
  pcg4dMix(v);
}

// random_u32x4 of crates/core/src/rng.rs, written into `out`.
export function words(seedLo, seedHi, run, step, stream, out) {
  out[0] = run >>> 0;
  out[1] = step >>> 0;
  out[2] = stream >>> 0;
  out[3] = seedLo;
  pcg4d(out);
  out[0] = (out[0] ^ seedHi) >>> 0;
  pcg4d(out);
}

export const unit = (w) => (w >>> 8) * INV_2_24;
export const unitOpen = (w) => ((w >>> 8) + 1) * INV_2_24;

// Box-Muller in f32, as normal_f32 in rng.rs.
export function normal(w0, w1) {
  const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(Math.fround(unitOpen(w0)))))));
  const angle = Math.fround(Math.fround(TAU_F32 * Math.fround(unit(w1))) - PI_F32);
  return Math.fround(-radius * Math.fround(Math.cos(angle)));
}

// Uniform in [0, 1) of the first word, as CounterRng::uniform.
export function uniform(seedLo, seedHi, run, step, stream, scratch) {
  words(seedLo, seedHi, run, step, stream, scratch);
  return unit(scratch[0]);
}
