// The Forward-forward lab in the built site: train forward-forward and
// backprop a few steps from scratch on WebGPU, move theta and see the
// goodness move, restore from the shared URL; the CLI and the browser's CPU
// path agree on the accuracy for the same params and seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site } from './fixture.mjs';

// Tiny: SwiftShader runs WebGPU on the CPU.
const TINY = ['width=50', 'depth=2', 'batch=16', 'eval_every=2', 'eval_digits=100', 'rule_3=none'];

site('forward-forward lab', { webgpu: true }, ({ open, share }) => {
  test('train FF and backprop from scratch, move theta and see the goodness move, restore from the URL', async () => {
    const lab = await open(`lab=ff&${TINY.join('&')}&steps=400`);
    await lab.playFor(4);
    assert.match(await lab.facts(), /Runs on\s+burn on WebGPU/);
    for (const key of ['accuracy_1', 'accuracy_2']) {
      const accuracy = await lab.figure(key);
      assert.ok(accuracy >= 0 && accuracy <= 100, `${key} = ${accuracy}`);
    }
    assert.ok((await lab.figure('kept_2')) > (await lab.figure('kept_1')) / 2, 'backprop keeps every layer');
    await lab.drawn('accuracy', 3);
    await lab.drawn('goodness', 3);
    await lab.drawn('fields', 3);
    await lab.drawn('confusion', 3);
    const before = await lab.figure('goodness_true_1');
    // At theta 2 the goodness grows toward it; at theta 0 every digit is
    // already above it, the negative data's term wins and goodness falls.
    await lab.set('theta', '0');
    const stepAtChange = await lab.stepNow();
    await lab.playFor(6);
    assert.ok((await lab.stepNow()) > stepAtChange, 'the run went on, not restarted');
    const after = await lab.figure('goodness_true_1');
    assert.ok(after < before, `goodness with the true label: ${before} at theta 2, then ${after} at theta 0`);

    const other = await share(lab);
    assert.equal(await other.control('theta').inputValue(), '0');
    assert.equal(await other.control('width').inputValue(), '50');
    assert.equal(await other.control('rule_3').inputValue(), 'none');
  });

  test('the CLI and the browser CPU path agree on the accuracy for the same params and seed', async () => {
    const steps = 6;
    const set = [...TINY, `steps=${steps}`, 'compute=cpu'];
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
