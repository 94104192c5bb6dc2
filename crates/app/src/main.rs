//! Thermolab's single-page app. It draws and takes input; every experiment runs
//! in the compute worker, reached only through the protocol in
//! `thermolab_core::protocol`.

#[cfg(target_arch = "wasm32")]
mod charts;
#[cfg(target_arch = "wasm32")]
mod controls;
#[cfg(target_arch = "wasm32")]
mod embed;
#[cfg(target_arch = "wasm32")]
mod export;
#[cfg(target_arch = "wasm32")]
mod js_peer;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(target_arch = "wasm32")]
mod tfjs_peer;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(pages::App);
}

/// The app only exists in the browser: `cargo xtask serve` builds and serves it.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("thermolab-app runs in a browser; run `cargo xtask serve`.");
    std::process::exit(2);
}
