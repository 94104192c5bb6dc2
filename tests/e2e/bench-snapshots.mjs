// `cargo xtask bench`'s browser part: each lab at its defaults plays for a
// few seconds in headless Chromium on its CPU path (WebGPU off: SwiftShader
// would measure a software GPU), and the worker's own timings, read from the
// run bar, are printed as JSON: the median and worst snapshot (building the
// view, serializing and posting it) and the steps per second while playing.
// Not a test: nothing here is asserted.

import { LabPage, launch, startServer } from './fixture.mjs';

const LABS = ['bandits', 'diffusion', 'digits', 'device'];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null;

const server = await startServer();
const browser = await launch({ webgpu: false });
const results = {};
try {
  for (const id of LABS) {
    const context = await browser.newContext();
    const lab = new LabPage(await context.newPage(), server.url);
    await lab.goto(`lab=${id}`);
    await lab.testId('play').click();
    const samples = [];
    let last = '';
    for (let i = 0; i < SECONDS * 10; i += 1) {
      await lab.page.waitForTimeout(100);
      const data = await lab.testId('status').evaluate((el) => ({ ...el.dataset }));
      // One reading per snapshot: the run bar changes when one arrives.
      const key = `${data.step}/${data.viewMs}/${data.postMs}`;
      if (key !== last) samples.push(data);
      last = key;
    }
    await lab.testId('play').click();
    // A reading's post time is that of the snapshot before it; the first
    // one (the wasm code and buffers warming up) is reported on its own.
    const costs = samples.map((d) => Number(d.viewMs) + Number(d.postMs));
    const [first, ...snapshot] = costs;
    const rates = samples.map((d) => Number(d.stepsPerSecond)).filter((r) => r > 0);
    results[id] = {
      snapshots: samples.length,
      steps: Number(samples.at(-1)?.step ?? 0),
      firstSnapshotMs: first ?? null,
      snapshotMedianMs: median(snapshot),
      snapshotWorstMs: snapshot.length ? Math.max(...snapshot) : null,
      stepsPerSecond: median(rates),
      problems: lab.problems,
    };
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(results));
