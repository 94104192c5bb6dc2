// The Bandits lab in the built site: two algorithms run, a live temperature
// change reaches the running Boltzmann policy, a shared URL restores the
// state, a linear bandit draws its ellipses, the CLI computes the same curves
// as the browser, dragged bars set the arm means, and 100,000 runs leave the
// page responsive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { figure, launch, openPage, problemsOf, startServer, waitForDrawing, waitStarted, SLOW } from './helpers.mjs';

const LAB = 'lab=bandits&arms=3&algo_1=ucb1&algo_2=boltzmann&algo_3=none&runs=20&horizon=100000';

async function stepNow(page) {
  return Number(await page.getByTestId('status').getAttribute('data-step'));
}

// Plays until the run has advanced `steps` more steps, then pauses.
async function playFor(page, steps) {
  const target = (await stepNow(page)) + steps;
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= t,
    target,
    { timeout: SLOW },
  );
  await page.getByTestId('play').click();
}

describe('bandits lab', () => {
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

  test('a live temperature change reaches the running Boltzmann policy; the URL restores it', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#${LAB}`);
    await waitStarted(page);
    await playFor(page, 60);
    assert.ok((await figure(page, 'regret_1')) > 0, 'UCB1 has regret');
    const cool = await figure(page, 'entropy_2');
    // At T = 0.1 the policy leans on the better-looking arms.
    assert.ok(cool < Math.log(3) - 0.02, `entropy at T = 0.1: ${cool}`);
    await waitForDrawing(page, 'chart-regret', 4);
    // Boltzmann's policy, one line per arm.
    await waitForDrawing(page, 'chart-policy_2', 3);

    const box = page.getByTestId('control-temperature');
    await box.fill('1000');
    await box.press('Enter');
    await page.waitForFunction(() => location.hash.includes('temperature=1000'), null, { timeout: SLOW });
    const stepAtChange = await stepNow(page);
    // The GPU kernels take a live value at their next dispatch, at most 32 rounds on.
    await playFor(page, 40);
    // Same run (not restarted), now uniform: entropy ln 3.
    assert.ok((await stepNow(page)) > stepAtChange, 'the run went on');
    const hot = await figure(page, 'entropy_2');
    assert.ok(Math.abs(hot - Math.log(3)) < 1e-3, `entropy at T = 1000: ${hot}`);

    const shared = await page.evaluate(() => location.href);
    const other = await openPage(browser);
    await other.goto(shared);
    await waitStarted(other);
    assert.equal(await other.getByTestId('control-temperature').inputValue(), '1000');
    assert.equal(await other.getByTestId('control-algo_2').inputValue(), 'boltzmann');
    assert.equal(await other.getByTestId('control-runs').inputValue(), '20');
    assert.deepEqual(problemsOf(page), []);
    assert.deepEqual(problemsOf(other), []);
  });

  test('a linear contextual bandit at d = 2 draws the confidence ellipses', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#lab=bandits&env=linear&algo_1=linucb&algo_2=lints&algo_3=none&runs=5&horizon=1000`);
    await waitStarted(page);
    await playFor(page, 20);
    assert.match(await page.getByTestId('facts').innerText(), /True theta/);
    await waitForDrawing(page, 'chart-ellipse', 3);
    assert.ok(Number.isFinite(await figure(page, 'regret_2')));
    assert.deepEqual(problemsOf(page), []);
  });

  test('the CLI computes the same regret as the browser, on the CPU path and on WebGPU', async () => {
    // `cargo test --workspace` (the first part of the test command) builds it.
    const cli = process.env.THERMOLAB_CLI ?? fileURLToPath(new URL('../../target/debug/thermolab', import.meta.url));
    assert.ok(existsSync(cli), `no CLI binary at ${cli}: run cargo test --workspace first`);
    const steps = 25;
    const lab = `lab=bandits&seed=9&arms=4&algo_1=ucb1&algo_2=epsilon_greedy&algo_3=thompson&runs=30&horizon=${steps}`;
    const runInBrowser = async (compute) => {
      const page = await openPage(browser);
      await page.goto(`${server.url}#${lab}&compute=${compute}`);
      await waitStarted(page);
      await page.getByTestId('play').click();
      await page.waitForSelector(`[data-testid=status][data-step="${steps}"]`, { timeout: SLOW });
      return page;
    };
    const cpuPage = await runInBrowser('cpu');
    const gpuPage = await runInBrowser('auto');
    assert.match(await cpuPage.getByTestId('facts').innerText(), /CPU reference/);
    assert.match(await gpuPage.getByTestId('facts').innerText(), /WebGPU kernels/);
    const out = execFileSync(cli, [
      'run', 'bandits', '--seed', '9', '--steps', String(steps), '--backend', 'cpu', '--format', 'json',
      '--set', 'arms=4', '--set', 'algo_1=ucb1', '--set', 'algo_2=epsilon_greedy', '--set', 'algo_3=thompson',
      '--set', 'runs=30', '--set', `horizon=${steps}`,
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const native = JSON.parse(out);
    assert.equal(native.step, steps);
    for (const key of ['regret_1', 'regret_2', 'regret_3']) {
      const expected = native.figures.find((f) => f.key === key).value;
      const got = await figure(cpuPage, key);
      assert.ok(Math.abs(got - expected) < 1e-9, `${key}: browser ${got}, CLI ${expected}`);
      // The kernels replay the same runs in f32.
      const onGpu = await figure(gpuPage, key);
      assert.ok(Math.abs(onGpu - expected) < 1e-3 * (1 + expected), `${key}: WebGPU ${onGpu}, CLI ${expected}`);
    }
    assert.deepEqual(problemsOf(cpuPage), []);
    assert.deepEqual(problemsOf(gpuPage), []);
  });

  test('dragging a bar sets that arm\'s mean; the URL keeps it', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#lab=bandits&instance=custom&arms=3&means=0.2,0.5,0.4&algo_1=ucb1&algo_2=none&algo_3=none&runs=10&horizon=1000`);
    await waitStarted(page);
    const bar = page.getByTestId('bar-2');
    await bar.waitFor({ timeout: SLOW });
    const box = await bar.boundingBox();
    const x = box.x + box.width / 2;
    await page.mouse.move(x, box.y + box.height / 2);
    await page.mouse.down();
    // A tenth of the way down from the top: a mean of 0.9 (to a pixel).
    await page.mouse.move(x, box.y + box.height * 0.1, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => /means=0\.2,0\.5,0\.(89|9|91)(&|$)/.test(decodeURIComponent(location.hash)), null, { timeout: SLOW });
    await playFor(page, 3);
    assert.match(await page.getByTestId('facts').innerText(), /Arm means\s+0\.20 0\.50 0\.9/);
    const shared = await page.evaluate(() => location.href);
    const other = await openPage(browser);
    await other.goto(shared);
    await waitStarted(other);
    assert.match(await other.getByTestId('control-means').inputValue(), /^0\.2,0\.5,0\.(89|9|91)$/);
    // A typed list that is out of range is refused next to the control.
    const typed = other.getByTestId('control-means');
    await typed.fill('0.2,1.5,0.4');
    await typed.press('Enter');
    await other.getByTestId('error-means').waitFor({ timeout: SLOW });
    assert.match(await other.getByTestId('error-means').innerText(), /outside \[0, 1\]/);
    assert.deepEqual(problemsOf(page), []);
    assert.deepEqual(problemsOf(other), []);
  });

  test('100,000 runs keep the page responsive', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}#lab=bandits&arms=2&algo_1=ucb1&algo_2=none&algo_3=none&runs=100000&horizon=1000`);
    await waitStarted(page);
    await page.getByTestId('play').click();
    // The main thread's timers stay on time while the worker computes.
    const worstLateness = await page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 40; i += 1) {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 25));
        worst = Math.max(worst, performance.now() - start - 25);
      }
      return worst;
    });
    assert.ok(worstLateness < 250, `a 25 ms timer came ${worstLateness} ms late`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= 2, null, { timeout: SLOW });
    await page.getByTestId('play').click();
    assert.ok((await figure(page, 'regret_1')) > 0);
    assert.deepEqual(problemsOf(page), []);
  });
});
