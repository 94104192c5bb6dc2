// The Digits lab in the built site: it opens on the shipped checkpoint, one
// step samples a grid of digits, classifier-free guidance and the digit asked
// for change the samples without training, and a shared URL restores them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { facts, figure, launch, openPage, problemsOf, setControl, startServer, stepOnce, waitForDrawing, waitForNewFigure, waitStarted } from './helpers.mjs';

// Small enough for SwiftShader: 20 digits, 6 sampling steps.
const LAB = 'lab=digits&particles=20&sample_steps=6&sampler=ddim';

describe('digits lab', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launch({ webgpu: true });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  test('samples the shipped checkpoint; guidance and the digit asked for change the samples; the URL restores them', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${LAB}`);
    await waitStarted(page);
    assert.match(await facts(page), /Started from\s*the shipped checkpoint/);
    await stepOnce(page, 1);
    await waitForDrawing(page, 'chart-samples', 20);
    await waitForDrawing(page, 'chart-trajectories', 20);
    await waitForDrawing(page, 'chart-forward', 20);
    const trained = (await facts(page)).match(/Training steps done\s*(\d+)/)[1];
    assert.ok(Number(trained) > 1000, `the checkpoint's steps: ${trained}`);
    assert.ok(Number.isFinite(await figure(page, 'agreement')), 'a class agreement');

    const guided = await figure(page, 'quality');
    await setControl(page, 'guidance', '0');
    await waitForNewFigure(page, 'quality', guided);

    const all = await figure(page, 'quality');
    await setControl(page, 'digit', '7');
    await waitForNewFigure(page, 'quality', all);
    assert.match(await facts(page), new RegExp(`Training steps done\\s*${trained}`), 'sampling controls do not retrain');

    const shared = await page.evaluate(() => location.href);
    const other = await openPage(browser);
    await other.goto(shared);
    await waitStarted(other);
    assert.equal(await other.getByTestId('control-digit').inputValue(), '7');
    assert.equal(await other.getByTestId('control-guidance').inputValue(), '0');
    assert.deepEqual(problemsOf(page), []);
    assert.deepEqual(problemsOf(other), []);
  });
});
