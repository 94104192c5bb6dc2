// Without WebGPU the app says so and the Device page still runs on the CPU;
// malformed hashes leave the page working with a notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { site, SLOW } from './fixture.mjs';

const TINY = 'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20';

site('site without WebGPU', { webgpu: false }, ({ open, url }) => {
  test('the badge says CPU fallback with the reason, and the Device page runs', async () => {
    const lab = await open(TINY);
    await lab.page.waitForFunction(() => /CPU fallback/.test(document.querySelector('[data-testid=device-badge]')?.textContent ?? ''), null, { timeout: SLOW });
    assert.ok((await lab.testId('fallback-reason').innerText()).length > 0);
    await lab.step(1);
    for (const key of ['cpu_bandwidth', 'cpu_matmul']) {
      const value = await lab.figure(key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    assert.match(await lab.testId('figure-gpu_matmul').innerText(), /n\/a/);
    assert.match(await lab.testId('figure-rng_mismatches').innerText(), /nothing to compare/);
    await lab.drawn('rng_uniformity', 20);
  });

  test('twenty malformed hashes leave the page working with a notice', async () => {
    const huge = 'x'.repeat(100_000);
    const hashes = [
      '#%%%garbage%%%',
      '#lab=device&matmul_n=99999999999999999999999999',
      '#lab=device&matmul_n=NaN',
      '#lab=device&buffer_mib=Infinity',
      '#lab=device&repeats=-5',
      '#lab=device&unknown_key=1',
      '#lab=nowhere',
      '#lab=device&seed=-1',
      '#lab=device&seed=1e400',
      '#lab=device&speed=0',
      `#lab=device&matmul_n=${huge}`,
      `#lab=device&${huge}=1`,
      `#${huge}`,
      '#lab=device&embed=maybe',
      '#lab=device&hide=nothing_here',
      '#lab=device&matmul_n[a][b][c][d]=1&a[b[c[d[e]]]]=2',
      '#lab=device&matmul_n=%F0%9F%92%A9',
      '#lab=device&matmul_n=%',
      '#lab=device&lab=device&lab=device&matmul_n=1&matmul_n=2',
      `#lab=device&${Array.from({ length: 500 }, (_, i) => `k${i}=${i}`).join('&')}`,
    ];
    assert.equal(hashes.length, 20);
    const lab = await open();
    const page = lab.page;
    await lab.testId('gallery').waitFor({ timeout: SLOW });
    for (const hash of hashes) {
      // Clear the last notices so the next one is really new; the worker's
      // answer to the last hash may still add one after a first Dismiss.
      await page.waitForFunction(() => {
        const dismiss = document.querySelector('[data-testid=notices] button');
        dismiss?.click();
        return !dismiss;
      }, null, { timeout: SLOW, polling: 200 });
      await page.goto(`${url()}${hash}`);
      await page.waitForSelector('[data-testid=notices] li', { timeout: SLOW });
      const notices = await lab.testId('notices').innerText();
      assert.ok(notices.length > 0 && notices.length < 4000, `notice for ${hash.slice(0, 60)}: ${notices.length} chars`);
      // The notice can come before the worker has listed its labs, and the
      // gallery gives way to the lab in between: one look at the page, repeated
      // until it shows exactly one of the two.
      const rendered = await page
        .waitForFunction(() => document.querySelectorAll('[data-testid=lab-device], [data-testid=gallery]').length === 1, null, { timeout: SLOW })
        .then(() => true, () => false);
      assert.ok(rendered, `page still renders for ${hash.slice(0, 60)}`);
    }
    // Still fully working afterwards.
    await lab.goto(TINY);
    await lab.step(1);
  });
});
