// A classroom without internet: `thermolab serve --host 0.0.0.0` gives the
// built site to a browser over the machine's LAN address (wasm with its MIME
// type, a path outside the folder refused), and index.html opened from
// file:// says how to serve it instead of showing a blank page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { launch, SLOW } from './fixture.mjs';

const DIST = resolve(process.env.THERMOLAB_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url)));
const CLI = process.env.THERMOLAB_CLI ?? fileURLToPath(new URL('../../target/debug/thermolab', import.meta.url));

// Starts `thermolab serve` and resolves with the URLs it prints.
function serve(args) {
  const child = spawn(CLI, ['serve', DIST, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const urls = new Promise((ok, fail) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('Stop with Ctrl-C.')) ok(text.match(/http:\/\/\S+/g) ?? []);
    });
    child.on('exit', (code) => fail(new Error(`thermolab serve exited with ${code}: ${text}`)));
  });
  return { child, urls };
}

describe('thermolab serve and file://', () => {
  let browser;
  let server;
  before(async () => {
    assert.ok(existsSync(CLI), `no CLI binary at ${CLI}: run cargo test --workspace first`);
    browser = await launch({ webgpu: false });
  });
  after(async () => {
    server?.child.kill();
    await browser?.close();
  });

  test('a student opens the site over the LAN address: the page runs, wasm as application/wasm, nothing outside dist', async () => {
    server = serve(['--host', '0.0.0.0', '--port', '0']);
    const urls = await server.urls;
    const lan = urls.find((url) => !url.includes('127.0.0.1'));
    assert.ok(lan, `serve printed no LAN address: ${urls.join(', ')}`);
    const page = await browser.newPage();
    const wasmTypes = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.wasm')) wasmTypes.push(response.headers()['content-type']);
    });
    await page.goto(`${lan}#lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20`);
    await page.waitForSelector('[data-testid=status][data-step]', { timeout: SLOW });
    assert.ok(wasmTypes.length >= 1, 'no wasm was fetched');
    assert.deepEqual([...new Set(wasmTypes)], ['application/wasm']);
    for (const outside of ['../Cargo.toml', '%2e%2e/Cargo.toml', '..%2fCargo.toml']) {
      const response = await page.request.get(`${lan}${outside}`);
      assert.ok([403, 404].includes(response.status()), `${outside}: ${response.status()}`);
      assert.doesNotMatch(await response.text(), /\[workspace\]/);
    }
    await page.close();
  });

  test('index.html opened from file:// explains how to serve the site', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(resolve(DIST, 'index.html')).href);
    const notice = page.locator('#file-notice');
    await notice.waitFor({ state: 'visible', timeout: SLOW });
    assert.match(await notice.innerText(), /thermolab serve/);
    await page.close();
  });
});
