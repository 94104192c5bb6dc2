// The example tutorial's script: what a tutorial author writes to drive
// Thermolab's widgets from the text (web/tutorial.html).

const softmax = document.getElementById('softmax');
const softmaxProgress = document.getElementById('softmax-progress');
document.getElementById('make-greedy').addEventListener('click', () => softmax.setParams({ temperature: 0.01 }));
softmax.addEventListener('thermolab-progress', (event) => {
  const { step, status, figures } = event.detail;
  const regret = figures.regret_1;
  softmaxProgress.textContent = `Step ${step} (${status.state})${regret === undefined ? '' : `, regret ${regret.toFixed(1)}`}.`;
});
softmax.addEventListener('thermolab-rejected', (event) => {
  softmaxProgress.textContent = `The lab refused: ${event.detail.message}`;
});

const fineTuning = document.getElementById('fine-tuning');
fineTuning.addEventListener('thermolab-progress', (event) => {
  const { step, status } = event.detail;
  document.getElementById('fine-tuning-progress').textContent = `Step ${step} (${status.state}).`;
});

// The iframe speaks the same protocol by hand: commands go to the lab's
// origin, and only its messages are read.
const frame = document.getElementById('plain-frame');
const labOrigin = new URL(frame.src).origin;
document.getElementById('frame-step').addEventListener('click', () => {
  frame.contentWindow.postMessage({ thermolab: 1, type: 'step' }, labOrigin);
});
window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow || event.origin !== labOrigin) return;
  const message = event.data;
  if (message?.thermolab !== 1) return;
  const output = document.getElementById('frame-progress');
  if (message.type === 'ready') output.textContent = `The ${message.lab} lab is ready.`;
  if (message.type === 'progress') output.textContent = `The iframe's lab is at step ${message.step}.`;
  if (message.type === 'size') frame.style.height = `${Math.min(4000, Math.max(160, message.height))}px`;
});
