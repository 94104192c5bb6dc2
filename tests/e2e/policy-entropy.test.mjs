// The Policy entropy lab in the built site: a few GRPO steps on WebGPU; on
// the CPU path, run with no control and watch the entropy fall, switch to
// dual ascent mid-run and watch it climb back to the target band, turn
// eps_high up and see the clipped share fall, use the decoding panel,
// restore from the shared URL; the CLI and the browser's CPU path agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site } from './fixture.mjs';

const ONE = 'lab=policy-entropy&controller_2=none&controller_3=none';

site('policy entropy lab', { webgpu: true }, ({ open, share }) => {
  test('GRPO steps on WebGPU draw every chart', async () => {
    // Tiny: SwiftShader runs each of burn's small dispatches on the CPU.
    const gpu = await open(`${ONE}&seeds=2&prompts=4&group=4&length=2&epochs=1`);
    await gpu.step(1);
    await gpu.step(2);
    assert.match(await gpu.facts(), /Runs on\s+burn on WebGPU/);
    const entropy = await gpu.figure('entropy_1');
    assert.ok(entropy > 0 && entropy <= Math.log(16), `entropy ${entropy}`);
    for (const chart of ['entropy', 'reward', 'pass', 'entropy_change', 'reward_entropy', 'token_probs', 'decoding']) {
      await gpu.drawn(chart, 3);
    }
  });

  test('collapse, a target switched on mid-run, clip-higher, decoding, the shared URL', async () => {
    // Live changes on the CPU path: its steps are short, so the worker
    // answers a change at once.
    const lab = await open(`${ONE}&compute=cpu&seeds=4&entropy_target=1.5&steps=5000`);
    await lab.playFor(150);
    const collapsed = await lab.figure('entropy_1');
    assert.ok(collapsed < 1.0, `no control: the entropy fell from 2.35 to ${collapsed}`);

    await lab.set('controller_1', 'dual');
    const stepAtChange = await lab.stepNow();
    await lab.playFor(200);
    assert.ok((await lab.stepNow()) > stepAtChange + 150, 'the run went on, not restarted');
    const held = await lab.figure('entropy_1');
    assert.ok(Math.abs(held - 1.5) < 0.4, `dual ascent brought the entropy back toward 1.5: ${held}`);
    await lab.drawn('entropy', 4);

    // The decoding panel on the trained policy: top-p at 0.5 keeps fewer tokens than all of them.
    await lab.set('decoding', 'temperature');
    const all = await lab.figure('decode_kept');
    assert.equal(all, 16);
    await lab.set('decoding', 'top_p');
    await lab.set('top_p', '0.5');
    const kept = await lab.newFigure('decode_kept', all);
    assert.ok(kept >= 1 && kept < 16, `top-p 0.5 keeps ${kept}`);
    await lab.set('em_inf_target', '0.3');
    await lab.page.waitForFunction(
      () => Math.abs(Number(document.querySelector('[data-testid=figure-em_inf_entropy]')?.dataset.value) - 0.3) < 1e-3,
      null,
      { timeout: 60_000 },
    );

    const other = await share(lab);
    assert.equal(await other.control('controller_1').inputValue(), 'dual');
    assert.equal(await other.control('top_p').inputValue(), '0.5');
    assert.equal(await other.control('entropy_target').inputValue(), '1.5');
  });

  test('turning eps_high up lets more positive-advantage tokens through the clip', async () => {
    // A large step and many epochs: the policy moves far from the one that sampled.
    // Single steps: the shares fall as the policy settles, so they are read
    // at fixed steps (the CLI gives 0.90 at step 2 with eps_high 0.02).
    const lab = await open(`${ONE}&compute=cpu&seeds=4&learning_rate=0.1&epochs=8&eps_high=0.02&steps=5000`);
    await lab.stepTo(2);
    const tight = await lab.figure('clipped_positive_1');
    assert.ok(tight > 0.5, `eps_high 0.02 clips ${tight} of the positive tokens`);
    await lab.set('eps_high', '2');
    await lab.stepTo(4);
    const loose = await lab.figure('clipped_positive_1');
    assert.ok(loose < tight / 2, `eps_high 2 clips ${loose}, 0.02 clipped ${tight}`);
  });

  test('the CLI and the browser CPU path agree for the same params and seed', async () => {
    const steps = 20;
    const set = ['controller_2=none', 'controller_3=none', 'seeds=2', `steps=${steps}`, 'compute=cpu'];
    const lab = await open(`lab=policy-entropy&seed=9&${set.join('&')}`);
    await lab.playTo(steps);
    const native = JSON.parse(cli([
      'run', 'policy-entropy', '--seed', '9', '--steps', String(steps), '--backend', 'cpu', '--format', 'json',
      ...set.flatMap((s) => ['--set', s]),
    ]));
    assert.equal(native.step, steps);
    for (const [key, tolerance] of [['entropy_1', 1e-3], ['reward_1', 1e-6]]) {
      const expected = native.figures.find((f) => f.key === key).value;
      const got = await lab.figure(key);
      assert.ok(Math.abs(got - expected) <= tolerance, `${key}: browser ${got}, CLI ${expected}`);
    }
  });
});
