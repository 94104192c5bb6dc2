// The TensorFlow.js peer of the diffusion benchmark (crates/diffusion/src/bench.rs):
// the same 2-D denoiser — an MLP over (x_t, 32 sinusoidal time features),
// 3 hidden layers of 128 with SiLU, PyTorch's uniform initialisation — the same
// Adam step on a batch of 1,024 two-moons points (DDPM eps-prediction, linear
// schedule of T = 100, the loss read back every step as the lab does), and the
// same DDPM ancestral sampler for 10,000 particles x 100 steps, written as a
// careful TF.js programmer would: tf.tidy per step, everything on the device,
// one readback at the end.
//
// In a page: a classic Web Worker; post {backends, trainSteps, particles,
// sampleSteps} and it answers, one backend after the other, {backend,
// trainStepsPerSecond, samplesPerSecond, finalLoss} or {backend, error}. In node (wasm backend only):
//   NODE_PATH=web/node_modules node public/bench/diffusion-tfjs.js wasm 50 10000 100

const BATCH = 1024;
const WIDTH = 128;
const DEPTH = 3;
const TIME_FEATURES = 32;
const DIFFUSION_STEPS = 100;
const LEARNING_RATE = 2e-3;

// Linear betas 1e-4..0.02 on T steps, as Ho et al. (scaled to T = 100 like the lab's path).
function schedule() {
  const betas = [];
  const alphaBars = [];
  let product = 1;
  for (let k = 0; k < DIFFUSION_STEPS; k += 1) {
    const beta = (1e-4 + (0.02 - 1e-4) * (k / (DIFFUSION_STEPS - 1))) * (1000 / DIFFUSION_STEPS);
    betas.push(Math.min(beta, 0.999));
    product *= 1 - betas[k];
    alphaBars.push(product);
  }
  return { betas, alphaBars };
}

function timeFeatures(tf, t) {
  // t: [n, 1] in [0, 1]; sin and cos of 1000 t at geometric frequencies.
  const half = TIME_FEATURES / 2;
  const frequencies = tf.reshape(tf.exp(tf.mul(tf.range(0, half), -Math.log(10000) / half)), [1, half]);
  const angles = tf.mul(tf.mul(t, 1000), frequencies);
  return tf.concat([tf.sin(angles), tf.cos(angles)], 1);
}

function initialise(tf) {
  const sizes = [2 + TIME_FEATURES, ...Array(DEPTH).fill(WIDTH), 2];
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i += 1) {
    const bound = 1 / Math.sqrt(sizes[i]);
    layers.push({
      weight: tf.variable(tf.randomUniform([sizes[i], sizes[i + 1]], -bound, bound)),
      bias: tf.variable(tf.randomUniform([sizes[i + 1]], -bound, bound)),
    });
  }
  return layers;
}

function forward(tf, layers, x, t) {
  let h = tf.concat([x, timeFeatures(tf, t)], 1);
  layers.forEach((layer, i) => {
    h = tf.add(tf.matMul(h, layer.weight), layer.bias);
    if (i + 1 < layers.length) h = tf.mul(h, tf.sigmoid(h));
  });
  return h;
}

// Two moons, as crates/diffusion/src/data.rs draws them.
function twoMoons(tf, n) {
  const angle = tf.mul(tf.randomUniform([n, 1]), Math.PI);
  const upper = tf.less(tf.randomUniform([n, 1]), 0.5);
  const x = tf.where(upper, tf.cos(angle), tf.sub(1, tf.cos(angle)));
  const y = tf.where(upper, tf.sin(angle), tf.sub(0.5, tf.sin(angle)));
  const noise = tf.mul(tf.randomNormal([n, 2]), 0.05);
  return tf.mul(tf.add(tf.concat([tf.sub(x, 0.5), tf.sub(y, 0.25)], 1), noise), 1.2);
}

async function train(tf, layers, steps, alphaBars) {
  const optimizer = tf.train.adam(LEARNING_RATE);
  const alphaBar = tf.tensor1d(alphaBars);
  let loss = NaN;
  for (let step = 0; step < steps; step += 1) {
    const value = optimizer.minimize(() => {
      const x0 = twoMoons(tf, BATCH);
      const k = tf.randomUniform([BATCH], 0, DIFFUSION_STEPS, 'int32');
      const a = tf.reshape(tf.gather(alphaBar, k), [BATCH, 1]);
      const eps = tf.randomNormal([BATCH, 2]);
      const xt = tf.add(tf.mul(tf.sqrt(a), x0), tf.mul(tf.sqrt(tf.sub(1, a)), eps));
      const t = tf.reshape(tf.div(tf.add(tf.cast(k, 'float32'), 1), DIFFUSION_STEPS), [BATCH, 1]);
      return tf.losses.meanSquaredError(eps, forward(tf, layers, xt, t));
    }, true);
    loss = (await value.data())[0];
    value.dispose();
  }
  alphaBar.dispose();
  optimizer.dispose();
  return loss;
}

// DDPM ancestral sampling (Ho et al. eq. 11 with sigma^2 = beta tilde) on
// `steps` evenly spaced steps of the T-step schedule.
async function sample(tf, layers, particles, steps, alphaBars) {
  let x = tf.randomNormal([particles, 2]);
  const grid = Array.from({ length: steps + 1 }, (_, i) => Math.round((DIFFUSION_STEPS * (steps - i)) / steps));
  for (let i = 0; i < steps; i += 1) {
    const [from, to] = [grid[i], grid[i + 1]];
    const aT = alphaBars[from - 1];
    const aS = to > 0 ? alphaBars[to - 1] : 1;
    const next = tf.tidy(() => {
      const t = tf.fill([particles, 1], from / DIFFUSION_STEPS);
      const eps = forward(tf, layers, x, t);
      const x0 = tf.div(tf.sub(x, tf.mul(eps, Math.sqrt(1 - aT))), Math.sqrt(aT));
      const alpha = aT / aS;
      const mean = tf.add(
        tf.mul(x0, (Math.sqrt(aS) * (1 - alpha)) / (1 - aT)),
        tf.mul(x, (Math.sqrt(alpha) * (1 - aS)) / (1 - aT)),
      );
      const sigma = Math.sqrt(((1 - aS) / (1 - aT)) * (1 - alpha));
      return to > 0 ? tf.add(mean, tf.mul(tf.randomNormal([particles, 2]), sigma)) : mean;
    });
    x.dispose();
    x = next;
  }
  const values = await x.data();
  x.dispose();
  return values;
}

async function measure(tf, { trainSteps, particles, sampleSteps }) {
  const { alphaBars } = schedule();
  const layers = initialise(tf);
  // Warm-up: compile the kernels of a step and of a sampling step.
  await train(tf, layers, 1, alphaBars);
  await sample(tf, layers, 16, 1, alphaBars);
  let start = performance.now();
  const finalLoss = await train(tf, layers, trainSteps, alphaBars);
  const trainSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const samples = await sample(tf, layers, particles, sampleSteps, alphaBars);
  const sampleSeconds = (performance.now() - start) / 1000;
  layers.forEach((l) => {
    l.weight.dispose();
    l.bias.dispose();
  });
  if (!samples.every(Number.isFinite)) throw new Error('a sample is not finite');
  return {
    trainStepsPerSecond: trainSteps / trainSeconds,
    samplesPerSecond: particles / sampleSeconds,
    finalLoss,
  };
}

if (typeof importScripts === 'function') {
  // A classic worker in the page: the bundles trunk copies next to this file.
  importScripts('../tfjs/tf.min.js', '../tfjs/tf-backend-webgpu.min.js', '../tfjs/tf-backend-wasm.min.js');
  self.tf.wasm.setWasmPaths(new URL('../tfjs/', self.location.href).href);
  self.onmessage = async (event) => {
    const request = event.data;
    // One backend at a time: TF.js has one active backend per worker.
    for (const backend of request.backends) {
      try {
        if (!(await self.tf.setBackend(backend))) throw new Error(`TF.js has no ${backend} backend here`);
        await self.tf.ready();
        self.postMessage({ backend, ...(await measure(self.tf, request)) });
      } catch (e) {
        self.postMessage({ backend, error: String(e && e.message ? e.message : e) });
      }
    }
  };
} else if (typeof require === 'function' && require.main === module) {
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const [backend = 'wasm', trainSteps = '50', particles = '10000', sampleSteps = '100'] = process.argv.slice(2);
  (async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js has no ${backend} backend in node`);
    await tf.ready();
    const result = await measure(tf, {
      trainSteps: Number(trainSteps),
      particles: Number(particles),
      sampleSteps: Number(sampleSteps),
    });
    console.log(JSON.stringify({ backend, ...result }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
