// Shared set-up for the end-to-end tests: a static server for dist/ under a
// sub-path (the site must work from any path), and headless Chromium with or
// without WebGPU (SwiftShader), collecting console errors and page crashes.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const DIST = resolve(process.env.THERMOLAB_DIST ?? '../../dist');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const PREFIX = '/some/sub/path/';
// SwiftShader is slow: a step with burn's first kernels can take a while.
export const SLOW = 120_000;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.md': 'text/markdown',
};

export async function startServer() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    const rel = normalize(path.slice(PREFIX.length) || 'index.html');
    if (rel.startsWith('..')) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(join(DIST, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}${PREFIX}`, close: () => server.close() };
}

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch({ webgpu = true } = {}) {
  const args = webgpu ? [...BASE_FLAGS, '--enable-unsafe-webgpu'] : BASE_FLAGS;
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

// A page that records console errors, uncaught exceptions and wasm panics.
export async function openPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('crash', () => problems.push('page crashed'));
  page.problems = problems;
  return page;
}

// Console errors, uncaught exceptions and crashes seen so far: a clean page has none.
export function problemsOf(page) {
  return page.problems;
}

export async function stepOnce(page, expectedStep) {
  await page.getByTestId('step').click();
  await page.waitForSelector(`[data-testid=status][data-step="${expectedStep}"]`, { timeout: SLOW });
}

// Waits until the worker has started the lab and sent its first snapshot.
export async function waitStarted(page) {
  await page.waitForSelector('[data-testid=status][data-step]', { timeout: SLOW });
}

// Waits until the chart canvas `testid` shows more than `minColours`
// distinct colours: proof that something was drawn on it.
export async function waitForDrawing(page, testid, minColours) {
  await page.waitForFunction(([id, min]) => {
    const canvas = document.querySelector(`[data-testid="${id}"]`);
    if (!canvas) return false;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (colours.size > min) return true;
    }
    return false;
  }, [testid, minColours], { timeout: SLOW });
}

// The facts table's text.
export async function facts(page) {
  return page.getByTestId('facts').innerText();
}

// The value of the figure `key` as drawn (its data-value attribute).
export async function figure(page, key) {
  return Number(await page.getByTestId(`figure-${key}`).getAttribute('data-value'));
}

// Sets a control and waits until the URL (so the worker) has taken it.
export async function setControl(page, key, value) {
  const control = page.getByTestId(`control-${key}`);
  if ((await control.evaluate((el) => el.tagName)) === 'SELECT') {
    await control.selectOption(value);
  } else {
    await control.fill(String(value));
    await control.press('Enter');
  }
  await page.waitForFunction((pair) => location.hash.includes(pair), `${key}=${value}`, { timeout: SLOW });
}

// The worker answers a live change with fresh samples: wait for the figure to move.
export async function waitForNewFigure(page, key, old) {
  await page.waitForFunction(
    ([k, v]) => {
      const value = document.querySelector(`[data-testid=figure-${k}]`)?.dataset.value;
      return value !== undefined && Number(value) !== v;
    },
    [key, old],
    { timeout: SLOW },
  );
  return figure(page, key);
}
