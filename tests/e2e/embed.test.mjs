// Embedding: the example tutorial page (web/tutorial.html) with two
// <thermolab-lab> widgets and a plain iframe, and the postMessage protocol's
// origin and format checks.
import { test } from 'node:test';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';
import { SLOW, site } from './fixture.mjs';

const QUIET_MS = 1500;

// The text of the output `id` on `page`, once it matches `pattern`.
async function outputMatches(page, id, pattern) {
  await page.waitForFunction(
    ([testId, source]) => new RegExp(source).test(document.querySelector(`[data-testid=${testId}]`)?.textContent ?? ''),
    [id, pattern.source],
    { timeout: SLOW },
  );
  return page.getByTestId(id).textContent();
}

function labFrame(page, fragment) {
  return page.frames().find((f) => f.url().includes(fragment));
}

site('Embedding', {}, ({ open, url }) => {
  test('the tutorial page: widgets start on view, pause off screen, the text drives them and hears them', async () => {
    const lab = await open();
    const { page } = lab;
    await page.setViewportSize({ width: 1100, height: 500 });
    await page.goto(`${url()}tutorial.html`);

    // The first widget is on screen: it loads and plays by itself, and its
    // progress events reach the page's text.
    await outputMatches(page, 'softmax-progress', /Step [1-9]\d* \(running\), regret/);
    const softmax = page.frameLocator('[data-testid=widget-softmax] iframe');
    await softmax.getByTestId('control-temperature').waitFor();
    assert.equal(await softmax.getByTestId('control-runs').count(), 0, 'controls= shows the temperature alone');
    // The second is far below: no lab runs in it yet.
    assert.equal(await page.locator('[data-testid=widget-fine-tuning] iframe').count(), 0);

    // The text's button sets the widget's temperature.
    await page.getByTestId('make-greedy').click();
    const frame = labFrame(page, 'algo_1=boltzmann');
    await frame.waitForFunction(() => location.hash.includes('temperature=0.01'), null, { timeout: SLOW });
    assert.equal(Number(await softmax.getByTestId('control-temperature').inputValue()), 0.01);

    // Scrolled to the second widget: it loads and reports; the first, now off
    // screen, is paused, and plays again when scrolled back.
    await page.getByTestId('widget-fine-tuning').scrollIntoViewIfNeeded();
    await outputMatches(page, 'fine-tuning-progress', /Step 0 \(paused\)/);

    // The plain iframe at the end, stepped by postMessage from the page;
    // the first widget, far above now, is paused.
    await page.getByTestId('plain-frame').scrollIntoViewIfNeeded();
    await outputMatches(page, 'softmax-progress', /\(paused\)/);
    await outputMatches(page, 'frame-progress', /ready|step 0/);
    await page.getByTestId('frame-step').click();
    await outputMatches(page, 'frame-progress', /at step 1\b/);

    // Back at the first widget: it plays again.
    await page.getByTestId('widget-softmax').scrollIntoViewIfNeeded();
    await outputMatches(page, 'softmax-progress', /\(running\)/);
  });

  test('a message from another origin, or a malformed one, changes nothing', async (t) => {
    const lab = await open();
    const context = lab.page.context();
    const link = 'lab=bandits&algo_2=none&algo_3=none&runs=5&horizon=100&embed=1';
    // A tutorial on another site (another port is another origin; a local
    // one, as Chromium keeps public pages off local servers): one frame
    // names it (origin=), one does not.
    const tutorial = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><body>
        <iframe id="stranger" src="${url()}index.html#${link}&seed=5"></iframe>
        <iframe id="friend" src="${url()}index.html#${link}&seed=6&origin=${tutorialOrigin}"></iframe>
        <script>
          window.reports = [];
          addEventListener('message', (e) => window.reports.push(e.data));
        </script>`);
    });
    await new Promise((ok) => tutorial.listen(0, '127.0.0.1', ok));
    const tutorialOrigin = `http://127.0.0.1:${tutorial.address().port}`;
    t.after(() => tutorial.close());
    const host = await context.newPage();
    const problems = [];
    host.on('pageerror', (err) => problems.push(err.message));
    host.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
    await host.goto(`${tutorialOrigin}/lesson.html`);
    const stranger = await (await host.$('#stranger')).contentFrame();
    const friend = await (await host.$('#friend')).contentFrame();
    for (const frame of [stranger, friend]) {
      await frame.waitForSelector('[data-testid=status][data-step="0"]', { timeout: SLOW });
    }
    const send = (id, messages) => host.evaluate(([frameId, list]) => {
      const target = document.getElementById(frameId).contentWindow;
      for (const message of list) target.postMessage(message, '*');
    }, [id, messages]);

    // From an origin the lab's link does not name: valid commands, ignored.
    await send('stranger', [
      { thermolab: 1, type: 'step' },
      { thermolab: 1, type: 'set', params: { runs: 7 } },
    ]);
    // From the named origin, but malformed: ignored too.
    await send('friend', [
      'step',
      { type: 'step' },
      { thermolab: 2, type: 'step' },
      { thermolab: 1, type: 'explode' },
      { thermolab: 1, type: 'set', params: { temperature: 'hot' } },
      { thermolab: 1, type: 'set', params: { runs: 7, nope: 1 } },
    ]);
    await host.waitForTimeout(QUIET_MS);
    for (const frame of [stranger, friend]) {
      assert.equal(await frame.getAttribute('[data-testid=status]', 'data-step'), '0');
      assert.ok(!(await frame.evaluate(() => location.hash)).includes('runs=7'));
    }
    // The named origin hears only its own frame, and a refused set is answered.
    const reports = await host.evaluate(() => window.reports);
    assert.ok(reports.some((r) => r.type === 'rejected' && /temperature|Temperature/.test(r.message)), JSON.stringify(reports));
    assert.ok(reports.some((r) => r.type === 'ready' && r.lab === 'bandits'));

    // A well-formed command from the named origin works.
    await send('friend', [{ thermolab: 1, type: 'step' }]);
    await friend.waitForSelector('[data-testid=status][data-step="1"]', { timeout: SLOW });
    assert.equal(await stranger.getAttribute('[data-testid=status]', 'data-step'), '0');
    assert.deepEqual(problems, []);
  });
});
