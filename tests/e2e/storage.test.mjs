// Runs kept in the browser (IndexedDB): a reload resumes a paused run and a
// running one at their kept steps, *Recent runs* reopens a run from another
// page, a paused neural lab comes back with its trained model and the
// curves that trained it, and with storage blocked the page says so and
// still runs.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SLOW, TINY_LABS, site } from './fixture.mjs';

const RUN = 'lab=bandits&runs=20&horizon=100000&seed=9&compute=cpu&algo_2=none&algo_3=none';
// A running run is kept every 3 s (crates/app/src/storage.rs).
const KEEP_EVERY_MS = 3000;

async function statusText(lab) {
  return lab.testId('status').innerText();
}

site('runs kept in the browser', {}, ({ open }) => {
  test('a reload resumes a paused run and a running one; Recent runs reopens a run', async () => {
    const lab = await open(RUN);
    await lab.stepTo(5);
    const regret = await lab.figure('regret_1');
    await lab.testId('recent-runs').waitFor({ timeout: SLOW });
    await lab.page.reload();
    await lab.page.waitForSelector('[data-testid=status][data-step="5"]', { timeout: SLOW });
    assert.match(await statusText(lab), /paused/);
    assert.equal(await lab.figure('regret_1'), regret, 'the same run, replayed to its step');

    // Reloaded while it plays: back at least where it was last kept.
    await lab.testId('play').click();
    await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= 20, null, { timeout: SLOW });
    await lab.page.waitForTimeout(KEEP_EVERY_MS + 500);
    const playedTo = await lab.stepNow();
    await lab.page.reload();
    await lab.page.waitForFunction(
      (least) => {
        const status = document.querySelector('[data-testid=status]');
        return Number(status?.dataset.step) >= least && /paused/.test(status.textContent);
      },
      playedTo - Math.ceil(KEEP_EVERY_MS / 10),
      { timeout: SLOW },
    );
    const resumedAt = await lab.stepNow();
    assert.ok(resumedAt > 20, `resumed at step ${resumedAt}`);

    // Another lab on the same browser: the kept run is one click away.
    await lab.page.goto(`${lab.base}#lab=linear-mdp&env=gridworld&size=4&algo_2=none&algo_3=none&seeds=2&episodes=50`);
    await lab.started();
    await lab.testId('recent-runs').locator('summary').click();
    const first = lab.testId('recent-run').first();
    assert.match(await first.innerText(), new RegExp(`Bandits.*seed 9, step ${resumedAt}\\b`));
    await first.click();
    await lab.page.waitForSelector(`[data-testid=status][data-step="${resumedAt}"]`, { timeout: SLOW });
    await lab.hashIncludes('lab=bandits');
  });

  test('a paused neural lab keeps its trained model: a reload opens it trained, with its curves, instead of training again', async () => {
    const lab = await open(TINY_LABS.find((hash) => hash.startsWith('lab=ff&')));
    await lab.stepTo(4);
    const accuracy = await lab.figure('accuracy_1');
    // The worker's checkpoint reaches the store a moment after the run rests.
    await lab.page.waitForFunction(() => new Promise((resolve) => {
      const opened = indexedDB.open('thermolab');
      opened.onerror = () => resolve(false);
      opened.onsuccess = () => {
        const db = opened.result;
        if (!db.objectStoreNames.contains('models')) { db.close(); resolve(false); return; }
        const count = db.transaction('models').objectStore('models').count();
        count.onsuccess = () => { db.close(); resolve(count.result > 0); };
        count.onerror = () => { db.close(); resolve(false); };
      };
    }), null, { timeout: SLOW, polling: 250 });
    await lab.page.reload();
    await lab.started();
    assert.equal(await lab.stepNow(), 0);
    assert.match(await statusText(lab), /Trained \(4 steps\)/);
    // Its first step scores the kept networks: the accuracy they had.
    await lab.step(1);
    assert.equal(await lab.figure('accuracy_1'), accuracy);
    // Its curves start with the four steps that trained it, then go on.
    const [download] = await Promise.all([lab.page.waitForEvent('download', { timeout: SLOW }), lab.testId('export-csv').click()]);
    const steps = new Map();
    for (const row of readFileSync(await download.path(), 'utf8').trim().split('\n').slice(1)) {
      const [chart, line, x] = row.split(',');
      const key = `${chart}/${line}`;
      steps.set(key, [...(steps.get(key) ?? []), Number(x)]);
    }
    const whole = [...steps].filter(([, xs]) => xs.includes(1) && xs.includes(5));
    assert.ok(whole.length > 0, `no line runs from step 1 to 5: ${JSON.stringify([...steps])}`);
  });

  test('with storage blocked the page says so and the lab still runs', async () => {
    const lab = await open(RUN, {
      before: (context) => context.addInitScript(() => {
        Object.defineProperty(window, 'indexedDB', {
          configurable: true,
          get() { throw new DOMException('The test blocked storage.', 'SecurityError'); },
        });
      }),
    });
    await lab.page.waitForFunction(() => /does not let the page store runs/.test(document.querySelector('[data-testid=notices]')?.textContent ?? ''), null, { timeout: SLOW });
    await lab.stepTo(3);
    await lab.playFor(5);
    await lab.page.reload();
    await lab.started();
    assert.equal(await lab.stepNow(), 0, 'nothing was kept, so the run starts again');
  });
});
