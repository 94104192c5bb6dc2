// The Forward-forward lab in the built site: open on the shipped networks
// and read each rule's answer to a drawn digit; train forward-forward and
// backprop a few steps from scratch on WebGPU; move theta mid-run and see
// the goodness move; restore from the shared URL; the CLI and the browser's
// CPU path agree on the accuracy for the same params and seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site } from './fixture.mjs';

// Tiny: SwiftShader runs WebGPU on the CPU, a step of burn's many small
// dispatches there takes seconds.
const TINY = ['width=50', 'depth=2', 'batch=16', 'eval_every=2', 'eval_digits=100', 'rule_3=none'];

// A stroke down the middle of the digit chart, dragged with the mouse.
async function drawStroke(lab) {
  // The chart sits below the accuracy chart: bring it into the viewport first.
  await lab.testId('chart-drawing').scrollIntoViewIfNeeded();
  const box = await lab.testId('chart-drawing').boundingBox();
  const mouse = lab.page.mouse;
  await mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await mouse.down();
  for (let k = 1; k <= 24; k += 1) await mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.025 * k));
  await mouse.up();
  await lab.hashIncludes('drawing=');
}

async function answers(lab, slots) {
  await lab.page.waitForFunction(
    (keys) => keys.every((k) => /^\d$/.test(document.querySelector(`[data-testid=figure-${k}]`)?.dataset.value ?? '')),
    slots.map((s) => `answer_${s}`),
    { timeout: 120_000 },
  );
  return Promise.all(slots.map((s) => lab.figure(`answer_${s}`)));
}

site('forward-forward lab', { webgpu: true }, ({ open, share }) => {
  test('the page opens on the shipped networks and every rule reads a drawn digit', async () => {
    const lab = await open('lab=ff&compute=cpu');
    await lab.waitForFacts(/Started from\s+the shipped checkpoint \(3000 steps\)/);
    await lab.step(1);
    for (const slot of [1, 2, 3]) assert.ok((await lab.figure(`accuracy_${slot}`)) > 90, `rule ${slot} opens trained`);
    await drawStroke(lab);
    const read = await answers(lab, [1, 2, 3]);
    // The CLI on the same shipped networks reads the same drawing the same
    // way (that a straight stroke is a 1 to each is a cargo test).
    const drawing = new URLSearchParams((await lab.href()).split('#')[1]).get('drawing');
    const native = JSON.parse(cli([
      'run', 'ff', '--steps', '1', '--backend', 'cpu', '--format', 'json', '--set', `drawing=${drawing}`,
    ]));
    const expected = [1, 2, 3].map((s) => native.figures.find((f) => f.key === `answer_${s}`).value);
    assert.deepEqual(read, expected, `browser ${read}, CLI ${expected} for drawing=${drawing}`);
    await lab.drawn('drawing', 2);
    await lab.drawn('drawn_goodness', 2);
  });

  test('train FF and backprop from scratch on WebGPU, move theta mid-run, draw, restore from the URL', async () => {
    const gpu = await open(`lab=ff&${TINY.join('&')}&steps=400`);
    await gpu.step(1);
    await gpu.step(2);
    assert.match(await gpu.facts(), /Runs on\s+burn on WebGPU/);
    for (const key of ['accuracy_1', 'accuracy_2']) {
      const accuracy = await gpu.figure(key);
      assert.ok(accuracy >= 0 && accuracy <= 100, `${key} = ${accuracy}`);
    }
    assert.ok((await gpu.figure('rate_1')) > 0, 'examples per second');
    await gpu.drawn('accuracy', 3);
    await gpu.drawn('goodness', 3);
    await gpu.drawn('fields', 3);
    await gpu.drawn('confusion', 3);

    // Live changes on the CPU path: its steps are short, so the worker
    // answers a change at once (a SwiftShader step would hold it seconds).
    const lab = await open(`lab=ff&${TINY.join('&')}&steps=400&compute=cpu`);
    await lab.playFor(4);
    assert.ok((await lab.figure('kept_2')) > (await lab.figure('kept_1')) / 2, 'backprop keeps every layer');
    const before = await lab.figure('goodness_true_1');
    // At theta 2 the goodness grows toward it; at theta 0 every digit is
    // already above it, the negative data's term wins and goodness falls.
    await lab.set('theta', '0');
    const stepAtChange = await lab.stepNow();
    await lab.playFor(6);
    assert.ok((await lab.stepNow()) > stepAtChange, 'the run went on, not restarted');
    const after = await lab.figure('goodness_true_1');
    assert.ok(after < before, `goodness with the true label: ${before} at theta 2, then ${after} at theta 0`);
    await drawStroke(lab);
    await answers(lab, [1, 2]);

    const other = await share(lab);
    assert.equal(await other.control('theta').inputValue(), '0');
    assert.equal(await other.control('width').inputValue(), '50');
    assert.equal(await other.control('rule_3').inputValue(), 'none');
    assert.match(await other.testId('count-drawing').innerText(), /^[1-9]\d* of 200/);
  });

  test('the CLI and the browser CPU path agree on the accuracy for the same params and seed', async () => {
    const steps = 10;
    const set = [...TINY, `steps=${steps}`, 'start=scratch', 'compute=cpu'];
    const lab = await open(`lab=ff&seed=9&${set.join('&')}`);
    await lab.playTo(steps);
    const native = JSON.parse(cli([
      'run', 'ff', '--seed', '9', '--steps', String(steps), '--backend', 'cpu', '--format', 'json',
      ...set.flatMap((s) => ['--set', s]),
    ]));
    assert.equal(native.step, steps);
    for (const key of ['accuracy_1', 'accuracy_2']) {
      const expected = native.figures.find((f) => f.key === key).value;
      const got = await lab.figure(key);
      // burn's CPU backend in wasm and natively may round differently: one
      // digit of the 100 scored is 1%.
      assert.ok(Math.abs(got - expected) <= 2, `${key}: browser ${got}, CLI ${expected}`);
    }
  });
});
