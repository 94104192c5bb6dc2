// `cargo xtask bench`'s browser part for the Policy entropy lab: the Device
// page's GRPO benchmark (V 64, L 8, G 16, 64 prompts, 20 updates timed) in
// headless Chromium, the lab's update on WebGPU (SwiftShader: a software
// GPU on the CPU) and on the CPU path (wasm), then the TensorFlow.js peer
// of the same update in the same page on its WebGPU and wasm backends. The
// rates are printed as JSON. Not a test: nothing here is asserted.

import { LabPage, SLOW, launch, startServer } from './fixture.mjs';

const SIZE = 'pe_bench_steps=20&pe_bench_prompts=64';
// The Device lab's other benchmarks at their smallest, so the step is the GRPO one.
const QUIET = 'buffer_mib=1&matmul_n=16&repeats=1&pulls_runs=1&pulls_steps=1';

const server = await startServer();
const browser = await launch({ webgpu: true });
const results = {};
try {
  const lab = new LabPage(await (await browser.newContext()).newPage(), server.url);
  await lab.goto(`lab=device&${QUIET}&${SIZE}`);
  await lab.step(1);
  results.labWebgpu = await lab.figure('pe_updates_gpu');
  results.labCpu = await lab.figure('pe_updates_cpu');
  await lab.testId('measure-tfjs-grpo').click();
  for (const backend of ['webgpu', 'wasm']) {
    const row = lab.testId(`tfjs-grpo-${backend}`);
    await row.waitFor({ timeout: 3 * SLOW });
    results[`tfjs_${backend}`] = Number(await row.getAttribute('data-value'));
  }
  results.problems = lab.problems;
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(results));
