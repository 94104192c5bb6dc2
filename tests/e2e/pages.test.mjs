// Lab pages that teach: each lab's main chart is large on a desktop window
// and fills a phone's width, presenter mode opens and closes by key and
// button, a slow lab file shows its download's progress, a first step held
// back offers the CPU (every lab's accessibility audit is in classroom.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { site, SLOW } from './fixture.mjs';

// Every lab, small enough for SwiftShader.
const LABS = [
  'lab=bandits&runs=5&horizon=100&algo_2=none&algo_3=none',
  'lab=diffusion&train_steps=3&width=8&batch=16&particles=64&sample_steps=4',
  'lab=digits&particles=20&sample_steps=6&sampler=ddim',
  'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20&diffusion_particles=16&diffusion_sample_steps=2',
];

// Waits until the main chart's canvas is at least `fraction` of the window wide.
async function mainChartWidth(lab, fraction) {
  await lab.page.waitForFunction((f) => {
    const canvas = document.querySelector('[data-testid=main-chart] canvas');
    return canvas && canvas.width > 0 && canvas.getBoundingClientRect().width >= f * innerWidth;
  }, fraction, { timeout: SLOW }).catch(() => {});
  return (await lab.page.locator('[data-testid=main-chart] canvas').boundingBox()).width;
}

site('lab pages', { webgpu: true }, ({ open }) => {
  test('the main chart is at least half a desktop window wide and fills a phone', async () => {
    for (const hash of LABS) {
      const lab = await open(hash);
      await lab.page.setViewportSize({ width: 1400, height: 1000 });
      await lab.page.locator('[data-testid=main-chart] canvas').waitFor({ timeout: SLOW });
      const desktop = await mainChartWidth(lab, 0.5);
      assert.ok(desktop >= 700, `${hash}: main chart ${desktop} px wide of 1400`);
      // As many canvas pixels as screen pixels: crisp, not stretched.
      const pixels = await lab.page.evaluate(() => {
        const canvas = document.querySelector('[data-testid=main-chart] canvas');
        return canvas.width / (canvas.getBoundingClientRect().width * devicePixelRatio);
      });
      assert.ok(Math.abs(pixels - 1) < 0.02, `${hash}: ${pixels} canvas pixels per screen pixel`);

      await lab.page.setViewportSize({ width: 390, height: 844 });
      const phone = await mainChartWidth(lab, 0.9);
      assert.ok(phone >= 0.9 * 390, `${hash}: main chart ${phone} px wide of 390`);
      // Stacked: the picture above the run bar, the run bar above the controls.
      const [chart, runbar, controls] = await Promise.all(
        ['[data-testid=main-chart]', '[data-testid=runbar]', 'section.controls'].map((s) => lab.page.locator(s).boundingBox()),
      );
      assert.ok(chart.y < runbar.y && runbar.y < controls.y, `${hash}: stacked ${chart.y} ${runbar.y} ${controls.y}`);

      await lab.page.close();
    }
  });

  test('a grid of digits is drawn at 4 or more screen pixels per image pixel', async () => {
    const lab = await open(LABS[2]);
    await lab.page.setViewportSize({ width: 1400, height: 1000 });
    await lab.step(1);
    await lab.drawn('samples', 20);
    await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-samples]')?.dataset.imageScale) >= 4, null, { timeout: SLOW });
  });

  test('presenter mode opens and closes by key and by button; the main chart fills the window', async () => {
    const lab = await open(LABS[0]);
    await lab.page.setViewportSize({ width: 1200, height: 800 });
    const presenting = () => lab.page.locator('main.lab.presenting').count();
    await lab.page.keyboard.press('f');
    await lab.testId('presenter-controls').waitFor({ timeout: SLOW });
    await lab.page.waitForFunction(() => {
      const box = document.querySelector('[data-testid=main-chart] canvas')?.getBoundingClientRect();
      return box && box.width >= 0.9 * innerWidth && box.height >= 0.5 * innerHeight;
    }, null, { timeout: SLOW });
    // UCB1 runs in the first slot: its width is among the live controls on top.
    await lab.control('ucb_width').waitFor({ timeout: SLOW });
    assert.equal(await lab.control('horizon').count(), 0, 'only the chosen live controls');
    await lab.page.keyboard.press('Escape');
    await lab.page.waitForFunction(() => !document.querySelector('main.lab.presenting'), null, { timeout: SLOW });
    await lab.control('horizon').waitFor({ timeout: SLOW });
    await lab.testId('present').click();
    assert.equal(await presenting(), 1);
    await lab.testId('present').click();
    assert.equal(await presenting(), 0);
    // f typed into a control is the control's.
    await lab.control('horizon').focus();
    await lab.page.keyboard.press('f');
    assert.equal(await presenting(), 0);
  });

  test('a slow lab file shows its download progress, then the run starts', async () => {
    const slow = (context) => context.route('**/public/data/mnist14.bin', async (route) => {
      await new Promise((ok) => setTimeout(ok, 4000));
      await route.continue();
    });
    const lab = await open('', { before: slow });
    await lab.page.goto(`${await lab.href()}#${LABS[2]}`);
    await lab.page.locator('[data-testid=status][data-working=fetching]').waitFor({ timeout: SLOW });
    await lab.testId('fetch-progress').waitFor({ timeout: SLOW });
    assert.match(await lab.testId('status').innerText(), /Fetching public\/data\/mnist14\.bin/);
    await lab.started();
    assert.match(await lab.testId('status').innerText(), /Trained \([\d,]+ steps\): press Step to sample/);
  });

  test('a first step held back says it is slow and offers the CPU, which then runs', async () => {
    const hold = (context) => context.addInitScript(() => {
      // Snapshots past step 0 wait while `holdSteps` is set: to the page, a first step that takes forever.
      window.holdSteps = true;
      const setter = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage').set;
      Object.defineProperty(Worker.prototype, 'onmessage', {
        set(handler) {
          setter.call(this, (event) => {
            const message = JSON.parse(event.data);
            if (window.holdSteps && message.type === 'snapshot' && message.snapshot.step > 0) return;
            handler(event);
          });
        },
      });
    });
    const lab = await open(`${LABS[0]}&compute=auto`, { before: hold });
    await lab.testId('play').click();
    await lab.page.locator('[data-testid=status][data-working=first-step]').waitFor({ timeout: SLOW });
    await lab.testId('slow-first-step').waitFor({ timeout: SLOW });
    assert.match(await lab.testId('slow-first-step').innerText(), /first step has taken \d+ s/);
    await lab.page.evaluate(() => { window.holdSteps = false; });
    await lab.testId('use-cpu').click();
    await lab.page.waitForFunction(() => /CPU fallback/.test(document.querySelector('[data-testid=device-badge]')?.textContent ?? ''), null, { timeout: SLOW });
    await lab.started();
    await lab.step(1);
  });
});
