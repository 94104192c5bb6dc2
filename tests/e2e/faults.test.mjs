// Faults injected into the built site, each answered within its deadline: a
// lab that cannot start, a worker whose wasm is missing, a worker that
// crashes, sliders moved fast, Pause at the largest settings, and requests
// outside the site's origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { site, SLOW } from './fixture.mjs';

const TINY = 'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20';

const statusText = (lab) => lab.testId('status').innerText();

site('faults', { webgpu: true }, ({ open, url }) => {
  test('a lab that cannot start stops the old run and says why; the page stays usable', async () => {
    // The digits lab's data, corrupted on its way.
    const corrupt = (context) => context.route('**/public/data/mnist14.bin', (route) => route.fulfill({ status: 200, body: 'not digits' }));
    const lab = await open('lab=bandits&arms=3&algo_2=none&algo_3=none&runs=500&horizon=100000', { before: corrupt });
    await lab.testId('play').click();
    // Past the first dispatch: its kernel compiles for about 3 s on SwiftShader.
    await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= 40, null, { timeout: SLOW });
    // Count what the worker sends from now on.
    await lab.computeWorker().evaluate(() => {
      const post = self.postMessage.bind(self);
      self.posted = [];
      self.postMessage = (message) => {
        self.posted.push(JSON.parse(message).type);
        post(message);
      };
    });
    await lab.page.goto(`${url()}#lab=digits`);
    await lab.page.waitForSelector('[data-testid=status][data-failed]', { timeout: 2000 });
    assert.match(await statusText(lab), /could not start.*mnist14\.bin/);
    // Nothing computes any more: the old run is gone, and Play has nothing to play.
    await lab.testId('play').click();
    await lab.page.waitForTimeout(1500);
    // A snapshot of the old run may leave before the worker reads Start; none after its answer.
    const posted = await lab.computeWorker().evaluate(() => self.posted);
    assert.ok(posted.includes('start_failed'), `the worker sent ${posted}`);
    const afterFailure = posted.slice(posted.indexOf('start_failed'));
    assert.deepEqual(afterFailure.filter((type) => type === 'snapshot'), [], `the worker sent ${posted}`);
    assert.match(await statusText(lab), /could not start/);
    await lab.goto(TINY);
    await lab.step(1);
  });

  test('a worker whose wasm does not load says so within two seconds', async () => {
    const missing = (context) => context.route('**/thermolab-worker_bg.wasm', (route) => route.fulfill({ status: 404, body: '' }));
    const lab = await open('', { before: missing });
    await lab.testId('worker-failure').waitFor({ timeout: 2000 });
    assert.match(await lab.testId('worker-failure').innerText(), /thermolab-worker_bg\.wasm/);
    lab.forgive(/404/);
  });

  test('a crashed worker is restarted: its notice stays, and the run and a half-typed number come back', async () => {
    const lab = await open(TINY);
    // A number being typed (no Enter yet) when the worker dies.
    await lab.control('buffer_mib').fill('3');
    await lab.computeWorker().evaluate(() => setTimeout(() => {
      throw new Error('injected crash');
    }));
    await lab.page.waitForFunction(() => /injected crash; restarting it and the run/.test(document.querySelector('[data-testid=notices]')?.textContent ?? ''), null, { timeout: 2000 });
    await lab.started();
    // The new worker's start (which reads the link again) keeps the notice.
    await lab.page.waitForTimeout(1500);
    assert.match(await lab.testId('notices').innerText(), /injected crash; restarting it and the run/);
    assert.equal(await lab.control('buffer_mib').inputValue(), '3');
    lab.forgive(/injected crash/);
  });

  test('300 slider moves leave the box, the URL and the worker on the last value within a second', async () => {
    const lab = await open(TINY);
    await lab.page.evaluate(() => {
      const slider = document.querySelector('[data-testid=slider-buffer_mib]');
      // Positions 300 to 599 (4 to 19 MiB), then 143: 2 MiB.
      for (let i = 0; i < 300; i += 1) {
        slider.value = String(i === 299 ? 143 : 300 + ((i * 37) % 300));
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await lab.page.waitForFunction(() => location.hash.includes('buffer_mib=2&') || location.hash.endsWith('buffer_mib=2'), null, { timeout: 1000 });
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=control-buffer_mib]').value === '2', null, { timeout: 1000 });
    await lab.step(1);
    assert.match(await lab.facts(), /Bytes per copy\s+2\.0 MiB/);
  });

  test('Pause is answered within two seconds at every lab\'s largest settings', async () => {
    const largest = [
      'lab=bandits&arms=16&algo_1=ucb1&algo_2=thompson&algo_3=kl_ucb&algo_4=tsallis_inf&runs=15000&horizon=100000',
      'lab=diffusion&width=128&particles=1300&sample_steps=1000&sample_every=1',
      'lab=digits&particles=400&sample_steps=80&sample_every=1',
      'lab=device&matmul_n=1024&repeats=64&buffer_mib=128&pulls_runs=100000&pulls_steps=1000',
    ];
    for (const hash of largest) {
      const lab = await open(hash);
      assert.equal(await lab.page.locator('[data-testid=notices] li').count(), 0, `${hash} was refused`);
      await lab.testId('play').click();
      await lab.page.waitForTimeout(1000);
      await lab.testId('play').click();
      // Paused by the worker, or the stuck worker replaced (its notice says so)...
      await lab.page.waitForFunction(
        () => /paused/.test(document.querySelector('[data-testid=status]')?.textContent ?? '')
          || /did not answer within 2 s/.test(document.querySelector('[data-testid=notices]')?.textContent ?? ''),
        null,
        { timeout: 2500 },
      );
      // ...and then the run, paused, from its params (a digits run restarted
      // from its checkpoint says it is trained instead).
      await lab.page.waitForFunction(() => /paused|Trained \(/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: SLOW });
      await lab.page.close();
    }
  });

  test('the page makes no request outside its origin (Content-Security-Policy)', async () => {
    const lab = await open(TINY);
    const policy = await lab.page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    assert.match(policy, /default-src 'self'/);
    const blocked = await lab.page.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
      await fetch('https://example.org/tracker.js').catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      return violations;
    });
    assert.deepEqual(blocked, ['https://example.org/tracker.js']);
    lab.forgive(/Content Security Policy/);
  });
});
