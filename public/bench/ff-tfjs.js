// The TensorFlow.js peer of the forward-forward benchmark
// (crates/forward-forward/src/bench.rs): backprop on the identical MLP —
// 196 inputs, `depth` ReLU layers of `width`, a softmax head, PyTorch's
// uniform initialisation — with Adam on a softmax cross-entropy, batches of
// `batch` digits (random images and labels: the rate does not depend on
// them), written as a careful TF.js programmer would: optimizer.minimize,
// the loss read back every step as the lab reads its own.
//
// In a page: a classic Web Worker; post {backends, steps, width, depth,
// batch} and it answers, one backend after the other, {backend,
// examplesPerSecond, finalLoss} or {backend, error}. In node (wasm backend only):
//   NODE_PATH=web/node_modules node public/bench/ff-tfjs.js wasm 20 500 2 256

const PIXELS = 196;
const CLASSES = 10;
const LEARNING_RATE = 1e-3;

function initialise(tf, width, depth) {
  const sizes = [PIXELS, ...Array(depth).fill(width), CLASSES];
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

function forward(tf, layers, x) {
  let h = x;
  layers.forEach((layer, i) => {
    h = tf.add(tf.matMul(h, layer.weight), layer.bias);
    if (i + 1 < layers.length) h = tf.relu(h);
  });
  return h;
}

async function train(tf, layers, steps, batch) {
  const optimizer = tf.train.adam(LEARNING_RATE);
  let loss = NaN;
  for (let step = 0; step < steps; step += 1) {
    const value = optimizer.minimize(() => {
      const x = tf.randomUniform([batch, PIXELS]);
      const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32'), CLASSES);
      return tf.losses.softmaxCrossEntropy(labels, forward(tf, layers, x));
    }, true);
    loss = (await value.data())[0];
    value.dispose();
  }
  optimizer.dispose();
  return loss;
}

async function measure(tf, { steps, width, depth, batch }) {
  const layers = initialise(tf, width, depth);
  // Warm-up: compile the kernels of a step.
  await train(tf, layers, 1, batch);
  const start = performance.now();
  const finalLoss = await train(tf, layers, steps, batch);
  const seconds = (performance.now() - start) / 1000;
  layers.forEach((l) => {
    l.weight.dispose();
    l.bias.dispose();
  });
  if (!Number.isFinite(finalLoss)) throw new Error('the loss is not finite');
  return { examplesPerSecond: (steps * batch) / seconds, finalLoss };
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
  const [backend = 'wasm', steps = '20', width = '500', depth = '2', batch = '256'] = process.argv.slice(2);
  (async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js has no ${backend} backend in node`);
    await tf.ready();
    const result = await measure(tf, {
      steps: Number(steps),
      width: Number(width),
      depth: Number(depth),
      batch: Number(batch),
    });
    console.log(JSON.stringify({ backend, ...result }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
