// The TensorFlow.js peer of the policy-entropy benchmark
// (crates/policy-entropy/src/bench.rs): the same GRPO update on the same
// table policy — logits per prompt and position over V tokens, P prompts,
// G answers each of L tokens sampled at temperature 1, the 0/1 digit-sum
// reward, group-normalized advantages, `epochs` Adam steps (learning rate
// 0.02) on the PPO surrogate clipped to [0.8, 1.2] — written as a careful
// TF.js programmer would: sampling, rewards and advantages on the device,
// optimizer.minimize, the loss and the mean reward read back every update
// as the lab reads its own.
//
// In a page: a classic Web Worker; post {backends, steps, prompts, vocab,
// length, group, epochs} and it answers, one backend after the other,
// {backend, updatesPerSecond, finalReward} or {backend, error}. In node
// (wasm backend only):
//   NODE_PATH=web/node_modules node public/bench/grpo-tfjs.js wasm 20 64

const LEARNING_RATE = 0.02;
const EPS = 0.2;

function update(tf, policy, optimizer, { prompts, vocab, length, group, epochs }, targets) {
  const [tokens, advantages, rewardMean] = tf.tidy(() => {
    const logits = policy.reshape([prompts * length, vocab]);
    // [P * L, G] -> [P, G, L]
    const drawn = tf.multinomial(logits, group).reshape([prompts, length, group]).transpose([0, 2, 1]);
    const sums = drawn.mod(10).sum(2);
    const rewards = tf.cast(tf.equal(sums, targets.reshape([prompts, 1])), 'float32');
    const { mean, variance } = tf.moments(rewards, 1, true);
    const std = tf.sqrt(tf.mul(variance, group / (group - 1)));
    const a = tf.div(tf.sub(rewards, mean), tf.add(std, 1e-6));
    return [drawn, a.reshape([prompts, group, 1]), rewards.mean()];
  });
  const logProbs = (p) => {
    const logSoftmax = tf.logSoftmax(p, 2).reshape([prompts, 1, length, vocab]);
    const oneHot = tf.oneHot(tokens, vocab);
    return tf.sum(tf.mul(logSoftmax, oneHot), 3);
  };
  const old = tf.tidy(() => logProbs(policy));
  let loss;
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    if (loss) loss.dispose();
    loss = optimizer.minimize(() => {
      const ratio = tf.exp(tf.sub(logProbs(policy), old));
      const clipped = tf.clipByValue(ratio, 1 - EPS, 1 + EPS);
      return tf.neg(tf.mean(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages))));
    }, true);
  }
  old.dispose();
  tokens.dispose();
  advantages.dispose();
  return [loss, rewardMean];
}

async function run(tf, policy, optimizer, size, targets, steps) {
  let reward = NaN;
  for (let step = 0; step < steps; step += 1) {
    const [loss, rewardMean] = update(tf, policy, optimizer, size, targets);
    await loss.data();
    reward = (await rewardMean.data())[0];
    loss.dispose();
    rewardMean.dispose();
  }
  return reward;
}

async function measure(tf, request) {
  const size = { vocab: 64, length: 8, group: 16, epochs: 4, ...request };
  const policy = tf.variable(tf.randomNormal([size.prompts, size.length, size.vocab]));
  const targets = tf.tidy(() => tf.randomUniform([size.prompts, size.length], 0, size.vocab, 'int32').mod(10).sum(1));
  const optimizer = tf.train.adam(LEARNING_RATE);
  // Warm-up: compile the kernels of an update.
  await run(tf, policy, optimizer, size, targets, 1);
  const start = performance.now();
  const finalReward = await run(tf, policy, optimizer, size, targets, size.steps);
  const seconds = (performance.now() - start) / 1000;
  policy.dispose();
  targets.dispose();
  optimizer.dispose();
  if (!Number.isFinite(finalReward)) throw new Error('the reward is not finite');
  return { updatesPerSecond: size.steps / seconds, finalReward };
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
  const [backend = 'wasm', steps = '20', prompts = '64'] = process.argv.slice(2);
  (async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js has no ${backend} backend in node`);
    await tf.ready();
    const result = await measure(tf, { steps: Number(steps), prompts: Number(prompts) });
    console.log(JSON.stringify({ backend, ...result }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
