// Offline after one visit: the service worker caches the build, every lab
// then opens and runs with the network off, and a new build's worker
// replaces the old cache once the page lets it take over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { site, SLOW, TINY_LABS } from './fixture.mjs';

const DIST = resolve(process.env.THERMOLAB_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url)));


async function readyOffline(lab) {
  await lab.page.locator('[data-testid=offline-status][data-state=ready]').waitFor({ timeout: SLOW });
  await lab.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: SLOW });
}

site('offline', { webgpu: true }, ({ open }) => {
  test('after one visit, every lab opens and runs with the network off', async () => {
    const lab = await open('', { offline: true });
    await readyOffline(lab);
    await lab.page.context().setOffline(true);
    for (const hash of TINY_LABS) {
      await lab.page.goto(`${lab.base}#${hash}`);
      await lab.page.reload();
      await lab.started();
      await lab.step(1);
    }
  });

  test('a new build replaces the old cache when the page lets it take over', async () => {
    const lab = await open('', { offline: true });
    await readyOffline(lab);
    const [old] = await lab.page.evaluate(() => caches.keys());
    assert.match(old, /^thermolab-[0-9a-f]{16}$/);
    // The next build: the same files under a new version (the server reads
    // dist/ at each request; the file is put back afterwards).
    const sw = join(DIST, 'sw.js');
    const built = readFileSync(sw, 'utf8');
    writeFileSync(sw, built.replace(/const VERSION = "[0-9a-f]+"/, 'const VERSION = "0000000000000000"'));
    try {
      await lab.page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
      await lab.page.locator('[data-testid=offline-status][data-state=update]').waitFor({ timeout: SLOW });
      await Promise.all([lab.page.waitForEvent('load', { timeout: SLOW }), lab.testId('offline-action').click()]);
      await lab.page.waitForFunction(async () => {
        const keys = await caches.keys();
        return keys.length === 1 && keys[0] === 'thermolab-0000000000000000';
      }, null, { timeout: SLOW });
    } finally {
      writeFileSync(sw, built);
    }
  });
});
