//! The compute worker: a dedicated Web Worker that owns the WebGPU device (or
//! the CPU fallback), runs one lab session, and streams snapshots back. The
//! UI thread only sends [`Request`]s and draws [`Event`]s.

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
fn main() {
    web::start();
}

/// The worker only exists in the browser; natively, the CLI drives the same sessions.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("thermolab-worker runs in a browser; use the `thermolab` CLI natively.");
    std::process::exit(2);
}
