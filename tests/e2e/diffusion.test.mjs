// The Diffusion lab in the built site: a tiny model trains on two moons,
// the temperature and the x0 clip bound change the samples of the same
// model, the sampler can be switched, and a shared URL restores it all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { facts, figure, launch, openPage, problemsOf, setControl, startServer, stepOnce, waitForDrawing, waitForNewFigure, waitStarted, SLOW } from './helpers.mjs';

// Small enough for SwiftShader: a few Adam steps of a 16-wide MLP.
const LAB = 'lab=diffusion&data=two_moons&width=16&depth=2&batch=64&particles=300&sample_steps=8&sample_every=2&train_steps=1000';

describe('diffusion lab', () => {
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

  test('trains on two moons; temperature, clip bound and sampler change the samples; the URL restores them', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${LAB}`);
    await waitStarted(page);
    for (let step = 1; step <= 4; step += 1) await stepOnce(page, step);
    assert.ok(Number.isFinite(await figure(page, 'loss')), 'a training loss');
    assert.match(await facts(page), /Training steps done\s*4/);
    await waitForDrawing(page, 'chart-samples', 4);
    await waitForDrawing(page, 'chart-trajectories', 3);
    await waitForDrawing(page, 'chart-field', 3);

    const warm = await figure(page, 'quality');
    await setControl(page, 'temperature', '0.2');
    const cold = await waitForNewFigure(page, 'quality', warm);
    assert.notEqual(cold, warm, 'cooler samples sit elsewhere');
    assert.match(await facts(page), /Training steps done\s*4/, 'a sampling control does not retrain');

    await setControl(page, 'clip', 'static');
    await setControl(page, 'clip_bound', '0.3');
    await page.waitForFunction(() => /clip to \[-0\.3, 0\.3\]/.test(document.querySelector('[data-testid=facts]')?.innerText ?? ''), null, { timeout: SLOW });
    const used = (await facts(page)).match(/raw \/ used\)\s*([\d.]+) \/ ([\d.]+)/);
    assert.ok(used && Number(used[2]) <= 0.3 + 1e-6, `x0 estimates inside the bound: ${used}`);

    const before = await figure(page, 'quality');
    await setControl(page, 'sampler', 'ddim');
    await waitForNewFigure(page, 'quality', before);

    const shared = await page.evaluate(() => location.href);
    const other = await openPage(browser);
    await other.goto(shared);
    await waitStarted(other);
    assert.equal(await other.getByTestId('control-sampler').inputValue(), 'ddim');
    assert.equal(await other.getByTestId('control-clip').inputValue(), 'static');
    assert.equal(await other.getByTestId('control-clip_bound').inputValue(), '0.3');
    assert.equal(await other.getByTestId('control-temperature').inputValue(), '0.2');
    assert.deepEqual(problemsOf(page), []);
    assert.deepEqual(problemsOf(other), []);
  });

  test('points drawn on the samples chart become the data; the URL and a reload keep them', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${LAB.replace('data=two_moons', 'data=drawing')}`);
    await waitStarted(page);
    const canvas = page.getByTestId('chart-samples');
    const box = await canvas.boundingBox();
    // A stroke from left to right across the middle of the plot.
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let k = 1; k <= 10; k += 1) {
      await page.mouse.move(box.x + box.width * (0.35 + 0.04 * k), box.y + box.height * (0.5 - 0.02 * k));
    }
    await page.mouse.up();
    await page.waitForFunction(() => /drawing=[-\d]/.test(location.hash), null, { timeout: SLOW });
    const count = async (p) => Number((await p.getByTestId('count-drawing').innerText()).split(' ')[0]);
    const drawn = await count(page);
    assert.ok(drawn >= 5, `points from one stroke: ${drawn}`);
    for (let step = 1; step <= 2; step += 1) await stepOnce(page, step);
    assert.ok(Number.isFinite(await figure(page, 'quality')), 'samples of the drawing');

    await page.reload();
    await waitStarted(page);
    assert.equal(await count(page), drawn, 'a reload keeps the drawing');
    await page.getByTestId('clear-drawing').click();
    await page.waitForFunction(() => !/drawing=[-\d]/.test(location.hash), null, { timeout: SLOW });
    assert.equal(await count(page), 0);
    assert.deepEqual(problemsOf(page), []);
  });
});
