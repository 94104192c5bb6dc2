// The Linear MDP lab in the built site: paint a wall and a reward cell on the
// value map, run LSVI-UCB beside soft VI, turn the temperature up mid-run and
// see soft VI's policy entropy move, restore it all from the shared URL; the
// CLI prints the same regret as the browser for the same params and seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, site, SLOW } from './fixture.mjs';

const LAB = 'lab=linear-mdp&env=gridworld&size=5&algo_1=lsvi_ucb&algo_2=soft_vi&algo_3=none&seeds=4&episodes=2000';

site('linear MDP lab', { webgpu: true }, ({ open, share }) => {
  test('paint a wall and a reward cell, change the temperature mid-run, restore from the URL', async () => {
    const lab = await open(LAB);
    await lab.drawn('value_map', 6);
    const map = lab.testId('chart-value_map');
    const click = async (fx, fy) => {
      const box = await map.boundingBox();
      await lab.page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    };
    // The default brush paints walls.
    await click(0.5, 0.5);
    await lab.page.waitForFunction(() => /walls=[-\d]/.test(location.hash), null, { timeout: SLOW });
    assert.match(await lab.testId('count-walls').innerText(), /^1 of 64/);
    await lab.set('brush', 'rewards');
    await click(0.35, 0.6);
    await lab.page.waitForFunction(() => /rewards=[-\d]/.test(location.hash), null, { timeout: SLOW });
    await lab.waitForFacts(/Optimal value/);

    await lab.playFor(8);
    assert.ok((await lab.figure('regret_1')) > 0, 'LSVI-UCB has regret');
    const cool = await lab.figure('entropy_2');
    assert.ok(cool < Math.log(4) - 0.05, `soft VI's entropy at T = 0.1: ${cool}`);
    await lab.drawn('regret', 4);
    await lab.drawn('entropy', 3);

    assert.match(await lab.facts(), /Soft VI runs on\s+WebGPU kernel/);
    await lab.set('temperature', '1000');
    const stepAtChange = await lab.stepNow();
    // The kernel takes a live value at its next dispatch, at most 8 episodes on.
    await lab.playFor(10);
    assert.ok((await lab.stepNow()) > stepAtChange, 'the run went on, not restarted');
    const hot = await lab.figure('entropy_2');
    assert.ok(Math.abs(hot - Math.log(4)) < 1e-3, `soft VI's entropy at T = 1000: ${hot}`);

    const other = await share(lab);
    assert.equal(await other.control('temperature').inputValue(), '1000');
    assert.match(await other.testId('count-walls').innerText(), /^1 of 64/);
    assert.match(await other.testId('count-rewards').innerText(), /^1 of 64/);
    assert.equal(await other.control('brush').inputValue(), 'rewards');
  });

  test('a click past the cap of painted cells is refused next to its control; a malformed list in a link falls back with a notice', async () => {
    // 64 walls along the top row's edge: the cap.
    const full = Array.from({ length: 64 }, (_, i) => `${(-0.95 + 0.03 * i).toFixed(2)},0.95`).join(',');
    const lab = await open(`${LAB}&walls=${full}`);
    await lab.drawn('value_map', 6);
    assert.match(await lab.testId('count-walls').innerText(), /^64 of 64/);
    const box = await lab.testId('chart-value_map').boundingBox();
    await lab.page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await lab.testId('error-walls').waitFor({ timeout: SLOW });
    assert.match(await lab.testId('error-walls').innerText(), /At most 64 points/);
    assert.match(await lab.testId('count-walls').innerText(), /^64 of 64/);
    await lab.playFor(2);
    assert.ok(Number.isFinite(await lab.figure('regret_1')), 'the run goes on');

    const bad = await open(`${LAB}&walls=0.2,nope&rewards=0.5,0.5`);
    await bad.page.waitForSelector('[data-testid=notices] li', { timeout: SLOW });
    assert.match(await bad.testId('notices').innerText(), /walls/i);
    assert.match(await bad.testId('count-walls').innerText(), /^0 of 64/);
    assert.match(await bad.testId('count-rewards').innerText(), /^1 of 64/);
  });

  test('the CLI prints the same regret as the browser, on the CPU path and on WebGPU', async () => {
    const steps = 12;
    const set = ['env=river_swim', 'algo_1=lsvi_ucb', 'algo_2=lsvi_greedy', 'algo_3=mdvi', 'seeds=5', `episodes=${steps}`];
    const runInBrowser = async (compute) => {
      const lab = await open(`lab=linear-mdp&seed=9&${set.join('&')}&compute=${compute}`);
      await lab.playTo(steps);
      return lab;
    };
    const cpuPage = await runInBrowser('cpu');
    const gpuPage = await runInBrowser('auto');
    assert.match(await gpuPage.facts(), /LSVI-UCB runs on\s+WebGPU kernel/);
    assert.match(await gpuPage.facts(), /MDVI runs on\s+CPU/);
    const native = JSON.parse(cli([
      'run', 'linear-mdp', '--seed', '9', '--steps', String(steps), '--backend', 'cpu', '--format', 'json',
      ...set.flatMap((s) => ['--set', s]),
    ]));
    assert.equal(native.step, steps);
    for (const key of ['regret_1', 'regret_2', 'regret_3']) {
      const expected = native.figures.find((f) => f.key === key).value;
      const got = await cpuPage.figure(key);
      assert.ok(Math.abs(got - expected) < 1e-9, `${key}: browser ${got}, CLI ${expected}`);
      // The kernel replays the same seeds in f32.
      const onGpu = await gpuPage.figure(key);
      assert.ok(Math.abs(onGpu - expected) < 1e-3 * (1 + expected), `${key}: WebGPU ${onGpu}, CLI ${expected}`);
    }
  });
});
