// The Digits lab in the built site: it opens on the shipped checkpoint, one
// step samples a grid of digits, classifier-free guidance and the digit asked
// for change the samples without training, and a shared URL restores them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { site } from './fixture.mjs';

// Small enough for SwiftShader: 20 digits, 6 sampling steps.
const LAB = 'lab=digits&particles=20&sample_steps=6&sampler=ddim';

site('digits lab', { webgpu: true }, ({ open, share }) => {
  test('samples the shipped checkpoint; guidance and the digit asked for change the samples; the URL restores them', async () => {
    const lab = await open(LAB);
    assert.match(await lab.facts(), /Started from\s*the shipped checkpoint/);
    await lab.step(1);
    await lab.drawn('samples', 20);
    await lab.drawn('trajectories', 20);
    await lab.drawn('forward', 20);
    const trained = (await lab.facts()).match(/Training steps done\s*(\d+)/)[1];
    assert.ok(Number(trained) > 1000, `the checkpoint's steps: ${trained}`);
    assert.ok(Number.isFinite(await lab.figure('agreement')), 'a class agreement');
    assert.match(await lab.testId('figure-background').innerText(), /real digits: 7\d%/);
    const realOrGenerated = await lab.figure('two_sample');
    assert.ok(realOrGenerated >= 0 && realOrGenerated <= 100, `real or generated: ${realOrGenerated}`);
    assert.match(await lab.testId('figure-two_sample').innerText(), /on 20 held out/);

    const guided = await lab.figure('quality');
    await lab.set('guidance', '0');
    await lab.newFigure('quality', guided);

    const all = await lab.figure('quality');
    await lab.set('digit', '7');
    await lab.newFigure('quality', all);
    assert.match(await lab.facts(), new RegExp(`Training steps done\\s*${trained}`), 'sampling controls do not retrain');

    const other = await share(lab);
    assert.equal(await other.control('digit').inputValue(), '7');
    assert.equal(await other.control('guidance').inputValue(), '0');
  });
});
