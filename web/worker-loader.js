// Starts the compute worker. If its wasm cannot load (a missing or corrupt
// file), the page hears it at once as a `worker_failed` event instead of
// waiting for a worker that never answers. A promise that fails later inside
// the worker is thrown again, so it reaches the page as an error event and
// the page restarts the worker.
self.addEventListener('unhandledrejection', (event) => {
  throw event.reason instanceof Error ? event.reason : new Error(String(event.reason));
});
importScripts('./thermolab-worker.js');
wasm_bindgen('./thermolab-worker_bg.wasm').catch((error) => {
  // As JSON text, like every message from the worker (thermolab_core::protocol::encode).
  postMessage(JSON.stringify({
    type: 'worker_failed',
    message: `The compute worker could not load thermolab-worker_bg.wasm (${error}); reload the page to try again.`,
  }));
});
