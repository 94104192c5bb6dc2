// The built site in headless Chromium: the gallery lists what the registry
// and the CLI list, the Device lab on WebGPU (SwiftShader) with every lab's
// benchmark and their in-page peers, live controls, URL round trip and
// embed mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site, SLOW } from './fixture.mjs';

// Tiny sizes: SwiftShader runs WebGPU on the CPU.
const TINY = 'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20';

site('site with WebGPU', { webgpu: true }, ({ open, share }) => {
  test('the gallery shows every lab the CLI lists, in order, and the WebGPU badge', async () => {
    const page = await open();
    await page.testId('card-device').waitFor({ timeout: SLOW });
    const cards = await page.page.locator('[data-testid^=card-]').evaluateAll(
      (els) => els.map((el) => el.dataset.testid.slice('card-'.length)),
    );
    const listed = JSON.parse(cli(['list', '--format', 'json'])).map((lab) => lab.id);
    assert.deepEqual(cards, listed);
    assert.match(await page.testId('card-device').innerText(), /Device/);
    // Each card has its lab's picture (public/gallery/<id>.json, drawn) and its papers.
    for (const id of listed) {
      await page.canvasDrawn(`still-${id}`, 3);
      assert.ok(await page.testId(`card-${id}`).locator('.papers li').count() > 0, `${id} names its papers`);
    }
    assert.match(await page.testId('card-diffusion').innerText(), /Ho, Jain & Abbeel 2020/);
    await page.page.waitForFunction(() => /WebGPU:/.test(document.querySelector('[data-testid=device-badge]')?.textContent ?? ''), null, { timeout: SLOW });
    assert.match(await page.testId('device-badge').innerText(), /^WebGPU: .+/);
    await page.testId('card-device').click();
    await page.testId('lab-device').waitFor({ timeout: SLOW });
  });

  test('Device page shows the adapter and the benchmarks, GPU, CPU and plain JavaScript', async () => {
    const lab = await open(TINY);
    await lab.step(1);
    const pulls = ['ucb1', 'thompson'].flatMap((a) => [`pulls_${a}_gpu`, `pulls_${a}_cpu`]);
    for (const key of ['gpu_bandwidth', 'cpu_bandwidth', 'gpu_matmul', 'cpu_matmul', ...pulls]) {
      const value = await lab.figure(key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    // The GPU drew the same random numbers as the CPU, and the RNG charts drew.
    assert.equal(await lab.testId('figure-rng_mismatches').getAttribute('data-value'), '0');
    assert.match(await lab.testId('figure-rng_mismatches').innerText(), /of 4096 compared/);
    await lab.drawn('rng_uniformity', 20);
    await lab.drawn('rng_normals', 2);
    const facts = await lab.facts();
    assert.match(facts, /RNG chi-square \/ dof\s+\d/);
    assert.match(facts, /RNG largest normal difference\s+\d/);
    assert.match(facts, /Max storage binding/);
    assert.match(facts, /Max workgroup size/);
    // The JavaScript peer runs the same bandit loop in this page: same regret, to the bit.
    await lab.testId('measure-js').click();
    for (const [id, name] of [['ucb1', 'UCB1'], ['thompson', 'Thompson sampling']]) {
      const row = lab.testId(`js-${id}`);
      await row.waitFor({ timeout: SLOW });
      assert.ok(Number(await row.getAttribute('data-value')) > 0, `${id}: JS pulls/s`);
      const bench = facts.match(new RegExp(`${name} bench mean regret\\s+CPU (\\S+), GPU (\\S+)`));
      assert.ok(bench, `${name}: no bench regret in the facts`);
      assert.equal(Number(await row.getAttribute('data-regret')), Number(bench[1]), `${id}: JS and wasm regret`);
      assert.ok(Math.abs(Number(bench[2]) - Number(bench[1])) < 1e-3 * Number(bench[1]), `${id}: GPU and CPU regret`);
      assert.match(await row.innerText(), /\d\.\d\dx/);
    }
  });

  test('the diffusion benchmark runs beside TensorFlow.js on its WebGPU and wasm backends', async () => {
    const lab = await open(`${TINY}&diffusion_train_steps=1&diffusion_particles=16&diffusion_sample_steps=2`);
    await lab.step(1);
    for (const key of ['diffusion_train_gpu', 'diffusion_train_cpu', 'diffusion_samples_gpu', 'diffusion_samples_cpu']) {
      const value = await lab.figure(key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    await lab.testId('measure-tfjs').click();
    const wasm = lab.testId('tfjs-wasm');
    await wasm.waitFor({ timeout: SLOW });
    assert.ok(Number(await wasm.getAttribute('data-value')) > 0, `TF.js wasm: ${await wasm.innerText()}`);
    assert.ok(Number(await wasm.getAttribute('data-samples')) > 0);
    assert.match(await wasm.innerText(), /\d\.\d\dx/);
    // TF.js's WebGPU backend answers too: a rate, or why it could not run here.
    const webgpu = lab.testId('tfjs-webgpu');
    await webgpu.waitFor({ timeout: SLOW });
    const answer = await webgpu.innerText();
    assert.ok(Number(await webgpu.getAttribute('data-value')) > 0 || /failed: \S/.test(answer), answer);
    console.log(`TF.js webgpu on SwiftShader: ${answer}`);
  });

  test('the LSVI-UCB benchmark runs on WebGPU and the CPU beside its plain-JavaScript peer', async () => {
    const lab = await open(`${TINY}&lsvi_seeds=3&lsvi_episodes=4`);
    await lab.step(1);
    for (const key of ['lsvi_gpu', 'lsvi_cpu', 'lsvi_plan_tensors', 'lsvi_plan_loops']) {
      const value = await lab.figure(key);
      assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    }
    const facts = await lab.facts();
    const regret = (path) => Number(facts.match(new RegExp(`LSVI-UCB bench mean regret \\(${path}\\)\\s+(\\S+)`))?.[1]);
    const [gpu, cpu] = [regret('GPU'), regret('CPU')];
    assert.ok(cpu > 0, `CPU regret ${cpu}`);
    assert.ok(Math.abs(gpu - cpu) < 1e-3 * cpu, `GPU regret ${gpu} against the CPU's ${cpu}`);
    // burn's planning pass on WebGPU computed the loops' Q tables.
    const difference = Number(facts.match(/largest Q difference (\S+) of/)?.[1]);
    assert.ok(difference < 1e-3, `burn against loops: ${difference}`);
    // The peer replays the same seeds: the same regret up to rounding.
    await lab.testId('measure-lsvi-js').click();
    const row = lab.testId('js-lsvi');
    await row.waitFor({ timeout: SLOW });
    assert.ok(Number(await row.getAttribute('data-value')) > 0, 'JS episodes/s');
    const js = Number(await row.getAttribute('data-regret'));
    assert.ok(Math.abs(js - cpu) < 1e-9 * cpu, `JS regret ${js} against the wasm CPU path's ${cpu}`);
    assert.match(await row.innerText(), /\d\.\d\dx/);
  });

  test('the forward-forward benchmark runs every rule on WebGPU and the CPU beside TensorFlow.js', async () => {
    const lab = await open(`${TINY}&ff_bench_steps=1&ff_bench_width=50&ff_bench_batch=16`);
    await lab.step(1);
    for (const rule of ['ff', 'cff', 'mono_forward', 'backprop']) {
      for (const path of ['gpu', 'cpu']) {
        const value = await lab.figure(`ff_${rule}_${path}`);
        assert.ok(Number.isFinite(value) && value > 0, `${rule} ${path} = ${value}`);
      }
    }
    await lab.testId('measure-tfjs-ff').click();
    const wasm = lab.testId('tfjs-ff-wasm');
    await wasm.waitFor({ timeout: SLOW });
    assert.ok(Number(await wasm.getAttribute('data-value')) > 0, `TF.js wasm: ${await wasm.innerText()}`);
    assert.match(await wasm.innerText(), /\d\.\d\dx/);
  });

  test('the policy-entropy benchmark runs GRPO updates on WebGPU and the CPU beside TensorFlow.js', async () => {
    const lab = await open(`${TINY}&pe_bench_steps=1&pe_bench_prompts=2`);
    await lab.step(1);
    for (const path of ['gpu', 'cpu']) {
      const value = await lab.figure(`pe_updates_${path}`);
      assert.ok(Number.isFinite(value) && value > 0, `${path} = ${value}`);
    }
    await lab.testId('measure-tfjs-grpo').click();
    const wasm = lab.testId('tfjs-grpo-wasm');
    await wasm.waitFor({ timeout: SLOW });
    assert.ok(Number(await wasm.getAttribute('data-value')) > 0, `TF.js wasm: ${await wasm.innerText()}`);
    assert.match(await wasm.innerText(), /\d\.\d\dx/);
  });

  test('a live control changes the running experiment and the URL', async () => {
    const lab = await open(TINY);
    await lab.step(1);
    assert.match(await lab.facts(), /Bytes per copy\s+1\.0 MiB/);
    await lab.set('buffer_mib', '2');
    await lab.step(2);
    assert.match(await lab.facts(), /Bytes per copy\s+2\.0 MiB/);
    // A bad value is refused next to the control and the run keeps its value.
    await lab.type('buffer_mib', '1e9');
    assert.match(await lab.testId('error-buffer_mib').innerText(), /outside \[1, 128\]/);
    assert.equal(await lab.control('buffer_mib').inputValue(), '2');
  });

  test('a shared URL restores lab, params and seed', async () => {
    const lab = await open(TINY);
    await lab.testId('seed').fill('4242');
    await lab.testId('seed').press('Enter');
    // A new seed restarts the run; wait for it so its params do not land mid-edit.
    await lab.hashIncludes('seed=4242');
    await lab.set('matmul_n', '32');
    await lab.hashIncludes('seed=4242');

    const other = await share(lab);
    assert.equal(await other.control('matmul_n').inputValue(), '32');
    assert.equal(await other.control('buffer_mib').inputValue(), '1');
    assert.equal(await other.testId('seed').inputValue(), '4242');
    // Reload keeps it too.
    await other.reload();
    assert.equal(await other.control('matmul_n').inputValue(), '32');
  });

  test('embed mode shows only the lab, without the hidden controls', async () => {
    const lab = await open(`${TINY}&embed=1&hide=repeats,seed,explanation`);
    await lab.testId('lab-device').waitFor({ timeout: SLOW });
    assert.equal(await lab.page.locator('header').count(), 0);
    assert.equal(await lab.control('repeats').count(), 0);
    assert.equal(await lab.testId('seed').count(), 0);
    assert.equal(await lab.page.locator('.explanation').count(), 0);
    assert.equal(await lab.control('matmul_n').count(), 1);
    await lab.step(1);
  });
});
