// The Diffusion lab in the built site: a tiny model trains on two moons,
// the temperature and the x0 clip bound change the samples of the same
// model, the sampler can be switched, and a shared URL restores it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { site, SLOW } from './fixture.mjs';

// Small enough for SwiftShader: a few Adam steps of a 16-wide MLP.
const LAB = 'lab=diffusion&data=two_moons&width=16&depth=2&batch=64&particles=300&sample_steps=8&sample_every=2&train_steps=1000';

site('diffusion lab', { webgpu: true }, ({ open, share }) => {
  test('trains on two moons; temperature, clip bound and sampler change the samples; the URL restores them', async () => {
    const lab = await open(LAB);
    await lab.stepTo(4);
    assert.ok(Number.isFinite(await lab.figure('loss')), 'a training loss');
    const onCurve = await lab.figure('near_curve');
    assert.ok(onCurve >= 0 && onCurve <= 100, `a share of samples on the moons: ${onCurve}`);
    assert.match(await lab.testId('figure-near_curve').innerText(), /the data: (89|9\d)%/);
    assert.match(await lab.facts(), /Training steps done\s*4/);
    await lab.drawn('samples', 4);
    await lab.drawn('trajectories', 3);
    await lab.drawn('field', 3);

    const warm = await lab.figure('quality');
    await lab.set('temperature', '0.2');
    const cold = await lab.newFigure('quality', warm);
    assert.notEqual(cold, warm, 'cooler samples sit elsewhere');
    assert.match(await lab.facts(), /Training steps done\s*4/, 'a sampling control does not retrain');

    await lab.set('clip', 'static');
    await lab.set('clip_bound', '0.3');
    await lab.waitForFacts(/clip to \[-0\.3, 0\.3\]/);
    const used = (await lab.facts()).match(/raw \/ used\)\s*([\d.]+) \/ ([\d.]+)/);
    assert.ok(used && Number(used[2]) <= 0.3 + 1e-6, `x0 estimates inside the bound: ${used}`);

    const before = await lab.figure('quality');
    await lab.set('sampler', 'ddim');
    await lab.newFigure('quality', before);

    const other = await share(lab);
    assert.equal(await other.control('sampler').inputValue(), 'ddim');
    assert.equal(await other.control('clip').inputValue(), 'static');
    assert.equal(await other.control('clip_bound').inputValue(), '0.3');
    assert.equal(await other.control('temperature').inputValue(), '0.2');
  });

  test('points drawn on the samples chart become the data; the URL and a reload keep them', async () => {
    const lab = await open(LAB.replace('data=two_moons', 'data=drawing'));
    const box = await lab.testId('chart-samples').boundingBox();
    const mouse = lab.page.mouse;
    // A stroke from left to right across the middle of the plot.
    await mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
    await mouse.down();
    for (let k = 1; k <= 10; k += 1) {
      await mouse.move(box.x + box.width * (0.35 + 0.04 * k), box.y + box.height * (0.5 - 0.02 * k));
    }
    await mouse.up();
    await lab.page.waitForFunction(() => /drawing=[-\d]/.test(location.hash), null, { timeout: SLOW });
    const count = async () => Number((await lab.testId('count-drawing').innerText()).split(' ')[0]);
    const drawn = await count();
    assert.ok(drawn >= 5, `points from one stroke: ${drawn}`);
    await lab.stepTo(2);
    assert.ok(Number.isFinite(await lab.figure('quality')), 'samples of the drawing');

    await lab.reload();
    assert.equal(await count(), drawn, 'a reload keeps the drawing');
    await lab.testId('clear-drawing').click();
    await lab.page.waitForFunction(() => !/drawing=[-\d]/.test(location.hash), null, { timeout: SLOW });
    assert.equal(await count(), 0);
  });
});
