// The built site in headless Chromium: gallery, Device lab on WebGPU
// (SwiftShader), live controls, URL round trip and embed mode.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { figure, launch, openPage, problemsOf, startServer, stepOnce, waitForDrawing, waitStarted, SLOW } from './helpers.mjs';

// Tiny sizes: SwiftShader runs WebGPU on the CPU.
const TINY = 'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20';

describe('site with WebGPU', () => {
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

  test('gallery renders its cards and the WebGPU badge', async () => {
    const page = await openPage(browser);
    await page.goto(server.url);
    await page.getByTestId('card-device').waitFor({ timeout: SLOW });
    assert.match(await page.getByTestId('card-device').innerText(), /Device/);
    const badge = page.getByTestId('device-badge');
    await page.waitForFunction(() => /WebGPU:/.test(document.querySelector('[data-testid=device-badge]')?.textContent ?? ''), null, { timeout: SLOW });
    assert.match(await badge.innerText(), /^WebGPU: .+/);
    await page.getByTestId('card-device').click();
    await page.getByTestId('lab-device').waitFor({ timeout: SLOW });
    assert.deepEqual(problemsOf(page), []);
  });

  test('Device page shows the adapter and the benchmarks, GPU, CPU and plain JavaScript', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${TINY}`);
    await stepOnce(page, 1);
    const pulls = ['ucb1', 'thompson'].flatMap((a) => [`pulls_${a}_gpu`, `pulls_${a}_cpu`]);
    for (const key of ['gpu_bandwidth', 'cpu_bandwidth', 'gpu_matmul', 'cpu_matmul', ...pulls]) {
      const value = await figure(page, key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    // The GPU drew the same random numbers as the CPU, and the RNG charts drew.
    assert.equal(await page.getByTestId('figure-rng_mismatches').getAttribute('data-value'), '0');
    assert.match(await page.getByTestId('figure-rng_mismatches').innerText(), /of 4096 compared/);
    await waitForDrawing(page, 'chart-rng_uniformity', 20);
    await waitForDrawing(page, 'chart-rng_normals', 2);
    const facts = await page.getByTestId('facts').innerText();
    assert.match(facts, /RNG chi-square \/ dof\s+\d/);
    assert.match(facts, /RNG largest normal difference\s+\d/);
    assert.match(facts, /Max storage binding/);
    assert.match(facts, /Max workgroup size/);
    // The JavaScript peer runs the same bandit loop in this page: same regret, to the bit.
    await page.getByTestId('measure-js').click();
    for (const [id, name] of [['ucb1', 'UCB1'], ['thompson', 'Thompson sampling']]) {
      const row = page.getByTestId(`js-${id}`);
      await row.waitFor({ timeout: SLOW });
      assert.ok(Number(await row.getAttribute('data-value')) > 0, `${id}: JS pulls/s`);
      const lab = facts.match(new RegExp(`${name} bench mean regret\\s+CPU (\\S+), GPU (\\S+)`));
      assert.ok(lab, `${name}: no bench regret in the facts`);
      assert.equal(Number(await row.getAttribute('data-regret')), Number(lab[1]), `${id}: JS and wasm regret`);
      assert.ok(Math.abs(Number(lab[2]) - Number(lab[1])) < 1e-3 * Number(lab[1]), `${id}: GPU and CPU regret`);
      assert.match(await row.innerText(), /\d\.\d\dx/);
    }
    assert.deepEqual(problemsOf(page), []);
  });

  test('the diffusion benchmark runs beside TensorFlow.js on its WebGPU and wasm backends', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${TINY}&diffusion_train_steps=1&diffusion_particles=16&diffusion_sample_steps=2`);
    await stepOnce(page, 1);
    for (const key of ['diffusion_train_gpu', 'diffusion_train_cpu', 'diffusion_samples_gpu', 'diffusion_samples_cpu']) {
      const value = await figure(page, key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    await page.getByTestId('measure-tfjs').click();
    const wasm = page.getByTestId('tfjs-wasm');
    await wasm.waitFor({ timeout: SLOW });
    assert.ok(Number(await wasm.getAttribute('data-value')) > 0, `TF.js wasm: ${await wasm.innerText()}`);
    assert.ok(Number(await wasm.getAttribute('data-samples')) > 0);
    assert.match(await wasm.innerText(), /\d\.\d\dx/);
    // TF.js's WebGPU backend answers too: a rate, or why it could not run here.
    const webgpu = page.getByTestId('tfjs-webgpu');
    await webgpu.waitFor({ timeout: SLOW });
    const answer = await webgpu.innerText();
    assert.ok(Number(await webgpu.getAttribute('data-value')) > 0 || /failed: \S/.test(answer), answer);
    console.log(`TF.js webgpu on SwiftShader: ${answer}`);
    assert.deepEqual(problemsOf(page), []);
  });

  test('a live control changes the running experiment and the URL', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${TINY}`);
    await stepOnce(page, 1);
    assert.match(await page.getByTestId('facts').innerText(), /Bytes per copy\s+1\.0 MiB/);
    const box = page.getByTestId('control-buffer_mib');
    await box.fill('2');
    await box.press('Enter');
    await page.waitForFunction(() => location.hash.includes('buffer_mib=2'), null, { timeout: SLOW });
    await stepOnce(page, 2);
    assert.match(await page.getByTestId('facts').innerText(), /Bytes per copy\s+2\.0 MiB/);
    // A bad value is refused next to the control and the run keeps its value.
    await box.fill('1e9');
    await box.press('Enter');
    assert.match(await page.getByTestId('error-buffer_mib').innerText(), /outside \[1, 128\]/);
    assert.equal(await box.inputValue(), '2');
    assert.deepEqual(problemsOf(page), []);
  });

  test('a shared URL restores lab, params and seed', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${TINY}`);
    await waitStarted(page);
    const seed = page.getByTestId('seed');
    await seed.fill('4242');
    await seed.press('Enter');
    // A new seed restarts the run; wait for it so its params do not land mid-edit.
    await page.waitForFunction(() => location.hash.includes('seed=4242'), null, { timeout: SLOW });
    const box = page.getByTestId('control-matmul_n');
    await box.fill('32');
    await box.press('Enter');
    await page.waitForFunction(() => location.hash.includes('matmul_n=32') && location.hash.includes('seed=4242'), null, { timeout: SLOW });
    const shared = await page.evaluate(() => location.href);

    const other = await openPage(browser);
    await other.goto(shared);
    await waitStarted(other);
    assert.equal(await other.getByTestId('control-matmul_n').inputValue(), '32');
    assert.equal(await other.getByTestId('control-buffer_mib').inputValue(), '1');
    assert.equal(await other.getByTestId('seed').inputValue(), '4242');
    // Reload keeps it too.
    await other.reload();
    await waitStarted(other);
    assert.equal(await other.getByTestId('control-matmul_n').inputValue(), '32');
    assert.deepEqual(problemsOf(page), []);
    assert.deepEqual(problemsOf(other), []);
  });

  test('embed mode shows only the lab, without the hidden controls', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${TINY}&embed=1&hide=repeats,seed,explanation`);
    await page.getByTestId('lab-device').waitFor({ timeout: SLOW });
    assert.equal(await page.locator('header').count(), 0);
    assert.equal(await page.getByTestId('control-repeats').count(), 0);
    assert.equal(await page.getByTestId('seed').count(), 0);
    assert.equal(await page.locator('.explanation').count(), 0);
    assert.equal(await page.getByTestId('control-matmul_n').count(), 1);
    await stepOnce(page, 1);
    assert.deepEqual(problemsOf(page), []);
  });
});
