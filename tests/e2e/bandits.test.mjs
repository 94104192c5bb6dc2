// The Bandits lab in the built site: two algorithms run, a live temperature
// change reaches the running Boltzmann policy, a shared URL restores the
// state, a linear bandit draws its ellipses, the CLI computes the same curves
// as the browser, dragged bars set the arm means, and 100,000 runs leave the
// page responsive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site, SLOW } from './fixture.mjs';

const LAB = 'lab=bandits&arms=3&algo_1=ucb1&algo_2=boltzmann&algo_3=none&runs=20&horizon=100000';

site('bandits lab', { webgpu: true }, ({ open, share }) => {
  test('a live temperature change reaches the running Boltzmann policy; the URL restores it', async () => {
    const lab = await open(LAB);
    await lab.playFor(60);
    assert.ok((await lab.figure('regret_1')) > 0, 'UCB1 has regret');
    const cool = await lab.figure('entropy_2');
    // At T = 0.1 the policy leans on the better-looking arms.
    assert.ok(cool < Math.log(3) - 0.02, `entropy at T = 0.1: ${cool}`);
    await lab.drawn('regret', 4);
    // Boltzmann's policy, one line per arm.
    await lab.drawn('policy_2', 3);

    await lab.set('temperature', '1000');
    const stepAtChange = await lab.stepNow();
    // The GPU kernels take a live value at their next dispatch, at most 32 rounds on.
    await lab.playFor(40);
    // Same run (not restarted), now uniform: entropy ln 3.
    assert.ok((await lab.stepNow()) > stepAtChange, 'the run went on');
    const hot = await lab.figure('entropy_2');
    assert.ok(Math.abs(hot - Math.log(3)) < 1e-3, `entropy at T = 1000: ${hot}`);

    const other = await share(lab);
    assert.equal(await other.control('temperature').inputValue(), '1000');
    assert.equal(await other.control('algo_2').inputValue(), 'boltzmann');
    assert.equal(await other.control('runs').inputValue(), '20');
  });

  test('a linear contextual bandit at d = 2 draws the confidence ellipses', async () => {
    const lab = await open('lab=bandits&env=linear&algo_1=linucb&algo_2=lints&algo_3=none&runs=5&horizon=1000');
    await lab.playFor(20);
    assert.match(await lab.facts(), /True theta/);
    await lab.drawn('ellipse', 3);
    assert.ok(Number.isFinite(await lab.figure('regret_2')));
  });

  test('the CLI computes the same regret as the browser, on the CPU path and on WebGPU', async () => {
    const steps = 25;
    const params = `seed=9&arms=4&algo_1=ucb1&algo_2=epsilon_greedy&algo_3=thompson&runs=30&horizon=${steps}`;
    const runInBrowser = async (compute) => {
      const lab = await open(`lab=bandits&${params}&compute=${compute}`);
      await lab.playTo(steps);
      return lab;
    };
    const cpuPage = await runInBrowser('cpu');
    const gpuPage = await runInBrowser('auto');
    assert.match(await cpuPage.facts(), /CPU reference/);
    assert.match(await gpuPage.facts(), /WebGPU kernels/);
    const native = JSON.parse(cli([
      'run', 'bandits', '--seed', '9', '--steps', String(steps), '--backend', 'cpu', '--format', 'json',
      '--set', 'arms=4', '--set', 'algo_1=ucb1', '--set', 'algo_2=epsilon_greedy', '--set', 'algo_3=thompson',
      '--set', 'runs=30', '--set', `horizon=${steps}`,
    ]));
    assert.equal(native.step, steps);
    for (const key of ['regret_1', 'regret_2', 'regret_3']) {
      const expected = native.figures.find((f) => f.key === key).value;
      const got = await cpuPage.figure(key);
      assert.ok(Math.abs(got - expected) < 1e-9, `${key}: browser ${got}, CLI ${expected}`);
      // The kernels replay the same runs in f32.
      const onGpu = await gpuPage.figure(key);
      assert.ok(Math.abs(onGpu - expected) < 1e-3 * (1 + expected), `${key}: WebGPU ${onGpu}, CLI ${expected}`);
    }
  });

  test('only the controls that apply are shown: LinUCB\'s width appears when a slot runs LinUCB', async () => {
    const lab = await open('lab=bandits&env=bernoulli&algo_1=ucb1&algo_2=none&algo_3=none&runs=5&horizon=100');
    await lab.control('ucb_width').waitFor({ timeout: SLOW });
    await lab.testId('section-environment').waitFor({ timeout: SLOW });
    for (const key of ['linear_width', 'ridge_lambda', 'dim', 'noise', 'zeta', 'contexts', 'temperature', 'switch_step']) {
      assert.equal(await lab.control(key).count(), 0, `${key} does not apply to UCB1 on Bernoulli arms`);
    }
    await lab.set('algo_2', 'linucb');
    await lab.control('linear_width').waitFor({ timeout: SLOW });
    await lab.control('ridge_lambda').waitFor({ timeout: SLOW });
    assert.equal(await lab.control('dim').count(), 0, 'the linear environment\'s knobs stay hidden');
    await lab.set('env', 'linear');
    await lab.control('dim').waitFor({ timeout: SLOW });
    assert.equal(await lab.control('instance').count(), 0, 'linear arms have no hand-set means');
  });

  test('dragging a bar sets that arm\'s mean; the URL keeps it', async () => {
    const lab = await open('lab=bandits&instance=custom&arms=3&means=0.2,0.5,0.4&algo_1=ucb1&algo_2=none&algo_3=none&runs=10&horizon=1000');
    const bar = lab.testId('bar-2');
    await bar.waitFor({ timeout: SLOW });
    const box = await bar.boundingBox();
    const x = box.x + box.width / 2;
    await lab.page.mouse.move(x, box.y + box.height / 2);
    await lab.page.mouse.down();
    // A tenth of the way down from the top: a mean of 0.9 (to a pixel).
    await lab.page.mouse.move(x, box.y + box.height * 0.1, { steps: 4 });
    await lab.page.mouse.up();
    await lab.page.waitForFunction(() => /means=0\.2,0\.5,0\.(89|9|91)(&|$)/.test(decodeURIComponent(location.hash)), null, { timeout: SLOW });
    await lab.playFor(3);
    assert.match(await lab.facts(), /Arm means\s+0\.20 0\.50 0\.9/);
    const other = await share(lab);
    assert.match(await other.control('means').inputValue(), /^0\.2,0\.5,0\.(89|9|91)$/);
    // A typed list that is out of range is refused next to the control.
    await other.type('means', '0.2,1.5,0.4');
    await other.testId('error-means').waitFor({ timeout: SLOW });
    assert.match(await other.testId('error-means').innerText(), /outside \[0, 1\]/);
  });

  test('100,000 runs keep the page responsive', async () => {
    const lab = await open('lab=bandits&arms=2&algo_1=ucb1&algo_2=none&algo_3=none&runs=100000&horizon=1000');
    await lab.testId('play').click();
    // The main thread's timers stay on time while the worker computes.
    const worstLateness = await lab.page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 40; i += 1) {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 25));
        worst = Math.max(worst, performance.now() - start - 25);
      }
      return worst;
    });
    assert.ok(worstLateness < 250, `a 25 ms timer came ${worstLateness} ms late`);
    await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= 2, null, { timeout: SLOW });
    await lab.testId('play').click();
    assert.ok((await lab.figure('regret_1')) > 0);
  });
});
