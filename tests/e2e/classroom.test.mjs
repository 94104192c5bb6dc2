// What a teacher and a keyboard user need around the labs: every lab runs
// from the keyboard alone (Space, →, r; "?" lists the keys) with its state
// announced to screen readers, and passes an axe audit; the update rule
// shows the live values; a run saved as a file replays in the CLI and the
// page, charts save as PNG and SVG; reduced motion draws trajectories whole;
// a preset is one click, its name is the link, and its claim is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, site, SLOW, TINY_LABS } from './fixture.mjs';

// axe-core's source, evaluated in the page (the Content-Security-Policy refuses an inline script tag).
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');


async function stepAttr(lab) {
  return lab.page.locator('[data-testid=status]').getAttribute('data-step');
}

site('classroom and keyboard', { webgpu: true }, ({ open }) => {
  test('every lab runs from the keyboard alone, says so politely, and axe finds nothing serious', async () => {
    for (const hash of TINY_LABS) {
      const lab = await open(hash);
      await lab.page.locator('body').focus();
      const start = Number(await stepAttr(lab));
      await lab.page.keyboard.press('ArrowRight');
      await lab.page.waitForSelector(`[data-testid=status][data-step="${start + 1}"]`, { timeout: SLOW });
      // A lab opened on a trained model is done after one sampling step: there is nothing to play.
      const finished = /^Finished/.test(await lab.testId('announce').textContent());
      if (!finished) {
        await lab.page.keyboard.press('Space');
        await lab.page.waitForFunction((s) => Number(document.querySelector('[data-testid=status]')?.dataset.step) > s, start + 1, { timeout: SLOW });
        await lab.page.keyboard.press('Space');
      }
      await lab.page.waitForFunction(() => /^(Paused|Finished) at step \d+/.test(document.querySelector('[data-testid=announce]')?.textContent ?? ''), null, { timeout: SLOW });
      assert.equal(await lab.testId('announce').getAttribute('aria-live'), 'polite');
      await lab.page.keyboard.press('r');
      await lab.page.waitForSelector('[data-testid=status][data-step="0"]', { timeout: SLOW });

      // Tab reaches the controls, and the focused one is outlined.
      let outlined = false;
      for (let i = 0; i < 12 && !outlined; i += 1) {
        await lab.page.keyboard.press('Tab');
        outlined = await lab.page.evaluate(() => {
          const el = document.activeElement;
          return el !== document.body && getComputedStyle(el).outlineStyle !== 'none';
        });
      }
      assert.ok(outlined, `${hash}: no visible focus within 12 tabs`);

      await lab.page.evaluate(AXE);
      const serious = await lab.page.evaluate(async () => {
        const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
        return violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
      });
      assert.deepEqual(serious, [], `${hash}: axe found serious problems`);
      await lab.page.close();
    }
  });

  test('"?" lists the shortcuts; keys typed into a control stay the control\'s', async () => {
    const lab = await open(TINY_LABS[0]);
    await lab.page.locator('body').focus();
    await lab.page.keyboard.press('?');
    await lab.testId('shortcuts').waitFor({ timeout: SLOW });
    assert.match(await lab.testId('shortcuts').innerText(), /Space[\s\S]*play or pause/);
    await lab.page.keyboard.press('Escape');
    await lab.testId('shortcuts').waitFor({ state: 'detached', timeout: SLOW });
    await lab.control('horizon').focus();
    await lab.page.keyboard.press('r');
    await lab.page.keyboard.press('Space');
    assert.equal(await stepAttr(lab), '0', 'typing into a control ran the lab');
  });

  test('the update rule shows the controls\' live values, for the algorithms that run', async () => {
    const lab = await open('lab=bandits&algo_2=boltzmann&algo_3=none&runs=5&horizon=100');
    const formula = lab.testId('formula');
    assert.equal(await formula.locator('math').count() >= 2, true);
    assert.match(await formula.innerText(), /0\.1/);
    assert.doesNotMatch(await formula.innerText(), /Epsilon-greedy/, 'no epsilon-greedy runs');
    await lab.set('temperature', 0.37);
    await lab.page.waitForFunction(() => /0\.37/.test(document.querySelector('[data-testid=formula]')?.textContent ?? ''), null, { timeout: SLOW });
    await lab.set('algo_2', 'epsilon_greedy');
    await lab.page.waitForFunction(() => {
      const text = document.querySelector('[data-testid=formula]')?.textContent ?? '';
      return /Epsilon-greedy/.test(text) && !/Boltzmann/.test(text) && /UCB1/.test(text);
    }, null, { timeout: SLOW });
  });

  test('a run saved as a file replays in the CLI and in the page to the same figures; series as CSV, a chart as PNG', async () => {
    const lab = await open('lab=bandits&runs=20&horizon=300&seed=9&compute=cpu');
    await lab.stepTo(6);
    const save = async (testid) => {
      const [download] = await Promise.all([lab.page.waitForEvent('download', { timeout: SLOW }), lab.testId(testid).click()]);
      return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
    };
    const run = await save('export-run');
    assert.match(run.name, /^thermolab-bandits-step6\.json$/);
    const record = JSON.parse(run.text);
    assert.equal(record.steps, 6);
    assert.equal(record.seed, 9);
    const csv = await save('export-csv');
    assert.match(csv.text.split('\n')[0], /^chart,line,x,mean,min,max/);
    const png = await save('png-regret');
    assert.match(png.name, /\.png$/);
    const svg = await save('svg-regret');
    assert.match(svg.name, /^thermolab-regret\.svg$/);
    assert.match(svg.text, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.text, /<polyline/, 'the regret line is a vector path');
    assert.match(svg.text, /<text[^>]*>[^<]*[Rr]egret/, 'the chart keeps its words as text');

    const dir = mkdtempSync(join(tmpdir(), 'thermolab-run-'));
    const file = join(dir, 'run.json');
    writeFileSync(file, run.text);
    const replayed = JSON.parse(cli(['run', '--from', file, '--format', 'run', '--backend', 'cpu']));
    assert.deepEqual(replayed.figures.filter((f) => f.key.startsWith('regret')), record.figures.filter((f) => f.key.startsWith('regret')));

    const other = await open('lab=diffusion&train_steps=3&width=8&batch=16&particles=64&sample_steps=4');
    await other.testId('open-run').setInputFiles(file);
    await other.page.waitForSelector('[data-testid=status][data-step="6"]', { timeout: SLOW });
    await other.hashIncludes('lab=bandits');
    const recorded = record.figures.find((f) => f.key === 'regret_1').value;
    assert.equal(await other.figure('regret_1'), recorded);
  });

  test('with reduced motion the trajectories are drawn whole; without, they grow', async () => {
    // Records whether the trajectories' canvas ever animates.
    const watch = (lab) => lab.page.evaluate(() => {
      window.animated = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=chart-trajectories][data-animating]')) window.animated = true;
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-animating'] });
    });
    for (const reduce of [false, true]) {
      // New samples, so new trajectories, at every step.
      const lab = await open(`${TINY_LABS[1]}&sample_every=1`);
      if (reduce) await lab.page.emulateMedia({ reducedMotion: 'reduce' });
      await watch(lab);
      await lab.stepTo(2);
      await lab.drawn('trajectories', 3);
      assert.equal(await lab.page.evaluate(() => window.animated), !reduce, `reduced motion ${reduce}`);
      await lab.page.close();
    }
  });

  test('a preset is one click: its claim shows, the link names it, and a reload keeps it', async () => {
    const lab = await open('lab=bandits');
    const first = lab.page.locator('[data-testid=presets] button').first();
    const name = (await first.getAttribute('data-testid')).replace(/^preset-/, '');
    await first.click();
    await lab.hashIncludes(`preset=${name}`);
    await lab.started();
    await lab.testId('preset-claim').waitFor({ timeout: SLOW });
    assert.equal(await first.getAttribute('aria-pressed'), 'true');
    const horizon = await lab.control('horizon').inputValue();
    await lab.page.reload();
    await lab.started();
    assert.equal(await lab.control('horizon').inputValue(), horizon);
    await lab.testId('preset-claim').waitFor({ timeout: SLOW });
  });
});
