// The one end-to-end fixture. `site(title, options, tests)` serves dist/
// under a sub-path (the site must work from any path), starts headless
// Chromium with or without WebGPU (SwiftShader), and hands `tests` an
// `open(hash)` that returns a LabPage: a page object that steps, plays and
// reads a lab the way a user does. After every test, each page it opened
// must have logged no console error, uncaught exception, wasm panic or crash.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const DIST = resolve(process.env.THERMOLAB_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const PREFIX = '/some/sub/path/';
// Every lab at settings small enough for SwiftShader, on the CPU path where
// a lab has one: for tests that visit them all.
export const TINY_LABS = [
  'lab=bandits&runs=5&horizon=100&algo_2=none&algo_3=none',
  'lab=diffusion&train_steps=3&width=8&batch=16&particles=64&sample_steps=4',
  'lab=digits&particles=20&sample_steps=6&sampler=ddim',
  'lab=linear-mdp&env=gridworld&size=4&algo_2=none&algo_3=none&seeds=2&episodes=50',
  'lab=ff&width=50&depth=2&batch=16&eval_every=2&eval_digits=100&rule_3=none&compute=cpu',
  'lab=policy-entropy&controller_2=none&controller_3=none&prompts=4&compute=cpu',
  'lab=device&buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=64&pulls_steps=20&diffusion_particles=16&diffusion_sample_steps=2',
];
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

export function launch({ webgpu }) {
  const args = webgpu ? [...BASE_FLAGS, '--enable-unsafe-webgpu'] : BASE_FLAGS;
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

// The native CLI, built by `cargo test --workspace` (the first part of the test command).
export function cli(args) {
  const binary = process.env.THERMOLAB_CLI ?? fileURLToPath(new URL('../../target/debug/thermolab', import.meta.url));
  assert.ok(existsSync(binary), `no CLI binary at ${binary}: run cargo test --workspace first`);
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

// One browser page on the site, and what a user does and reads there.
// `problems` collects what the page logged as errors; a test that injects a
// fault lets the ones it caused go with `forgive`.
export class LabPage {
  constructor(page, base) {
    this.page = page;
    this.base = base;
    this.problems = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('crash', () => this.problems.push('page crashed'));
  }

  // Opens `hash` (a lab's state, `lab=...`) and, when it names a lab, waits
  // until the worker has started it and sent its first snapshot.
  async goto(hash) {
    await this.page.goto(hash ? `${this.base}#${hash}` : this.base);
    if (/(^|&)lab=/.test(hash)) await this.started();
  }

  testId(id) {
    return this.page.getByTestId(id);
  }

  control(key) {
    return this.testId(`control-${key}`);
  }

  async started() {
    await this.page.waitForSelector('[data-testid=status][data-step]', { timeout: SLOW });
  }

  async stepNow() {
    return Number(await this.testId('status').getAttribute('data-step'));
  }

  // Presses Step and waits for the run to reach `expected`.
  async step(expected) {
    await this.testId('step').click();
    await this.page.waitForSelector(`[data-testid=status][data-step="${expected}"]`, { timeout: SLOW });
  }

  // Steps one at a time up to step `last`.
  async stepTo(last) {
    for (let step = (await this.stepNow()) + 1; step <= last; step += 1) await this.step(step);
  }

  // Plays until the run has advanced `steps` more steps, then pauses.
  async playFor(steps) {
    const target = (await this.stepNow()) + steps;
    await this.testId('play').click();
    await this.page.waitForFunction(
      (t) => Number(document.querySelector('[data-testid=status]')?.dataset.step) >= t,
      target,
      { timeout: SLOW },
    );
    await this.testId('play').click();
  }

  // Plays until the run stops by itself at step `last` (its horizon).
  async playTo(last) {
    await this.testId('play').click();
    await this.page.waitForSelector(`[data-testid=status][data-step="${last}"]`, { timeout: SLOW });
  }

  // The value of the figure `key` as drawn (its data-value attribute).
  async figure(key) {
    return Number(await this.testId(`figure-${key}`).getAttribute('data-value'));
  }

  // The worker answers a live change with fresh samples: waits for the figure to move.
  async newFigure(key, old) {
    await this.page.waitForFunction(
      ([k, v]) => {
        const value = document.querySelector(`[data-testid=figure-${k}]`)?.dataset.value;
        return value !== undefined && Number(value) !== v;
      },
      [key, old],
      { timeout: SLOW },
    );
    return this.figure(key);
  }

  // The facts table's text.
  async facts() {
    return this.testId('facts').innerText();
  }

  async waitForFacts(pattern) {
    await this.page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('[data-testid=facts]')?.innerText ?? ''),
      pattern.source,
      { timeout: SLOW },
    );
  }

  // Sets a control as a user does (choose an option, or type and press
  // Enter) and waits until the URL, so the worker, has taken it.
  async set(key, value) {
    const control = this.control(key);
    if ((await control.evaluate((el) => el.tagName)) === 'SELECT') {
      await control.selectOption(String(value));
    } else {
      await control.fill(String(value));
      await control.press('Enter');
    }
    await this.page.waitForFunction((pair) => location.hash.includes(pair), `${key}=${value}`, { timeout: SLOW });
  }

  // Types `value` into a control and presses Enter, without waiting for the run.
  async type(key, value) {
    await this.control(key).fill(String(value));
    await this.control(key).press('Enter');
  }

  async hashIncludes(text) {
    await this.page.waitForFunction((t) => location.hash.includes(t), text, { timeout: SLOW });
  }

  // Waits until the chart canvas `key` shows more than `minColours`
  // distinct colours: proof that something was drawn on it.
  async drawn(key, minColours) {
    await this.canvasDrawn(`chart-${key}`, minColours);
  }

  // The same for any canvas, by test id.
  async canvasDrawn(testId, minColours) {
    await this.page.waitForFunction(([id, min]) => {
      const canvas = document.querySelector(`[data-testid="${id}"]`);
      if (!canvas) return false;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set();
      for (let i = 0; i < data.length; i += 4) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        if (colours.size > min) return true;
      }
      return false;
    }, [testId, minColours], { timeout: SLOW });
  }

  // Lets go of the logged problems that match `pattern`: the fault a test injected.
  forgive(pattern) {
    this.problems = this.problems.filter((p) => !pattern.test(p));
  }

  // The compute worker, to run code in it (inject a fault, watch its messages).
  computeWorker() {
    const worker = this.page.workers().find((w) => w.url().endsWith('worker-loader.js'));
    assert.ok(worker, 'no compute worker');
    return worker;
  }

  async href() {
    return this.page.evaluate(() => location.href);
  }

  async reload() {
    await this.page.reload();
    await this.started();
  }
}

// A suite on the built site: `tests({ open, url })` declares the tests.
export function site(title, { webgpu = true } = {}, tests) {
  describe(title, () => {
    let server;
    let browser;
    const opened = [];
    before(async () => {
      server = await startServer();
      browser = await launch({ webgpu });
    });
    after(async () => {
      await browser?.close();
      server?.close();
    });
    afterEach(() => {
      for (const lab of opened.splice(0)) assert.deepEqual(lab.problems, [], 'a page logged problems');
    });
    // `before(context)` runs before the page loads: routes that drop,
    // delay or corrupt files go there. The service worker (offline use)
    // is blocked unless asked for: routes do not see what it answers.
    const open = async (hash = '', { before, offline = false } = {}) => {
      const context = await browser.newContext({ serviceWorkers: offline ? 'allow' : 'block' });
      await before?.(context);
      const lab = new LabPage(await context.newPage(), server.url);
      opened.push(lab);
      await lab.goto(hash);
      return lab;
    };
    // Opens another page on the URL `from` shows: a shared link.
    const share = async (from) => open((await from.href()).split('#')[1] ?? '');
    tests({ open, share, url: () => server.url });
  });
}
