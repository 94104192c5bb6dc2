//! The compute device: WebGPU when the browser (or, natively, Vulkan) gives
//! one, burn's CPU backend (flex) otherwise. One wgpu device is shared by burn
//! and by our own WGSL kernels from `shaders/`. All readback is async.

use std::sync::{Arc, Mutex};

pub use burn::tensor::Device as TensorDevice;
pub use burn::tensor::wgpu::wgpu;
use thermolab_core::protocol::{Backend, DeviceInfo};

pub mod checkpoint;
mod rng_draws;
pub mod shaders;
pub mod tensors;

pub use rng_draws::{GpuRng, NORMAL_TOLERANCE, RngComparison, RngDraws};

/// Handles of the wgpu device that burn also runs on.
#[derive(Clone, Debug)]
pub struct Gpu {
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    lost: Arc<Mutex<Option<String>>>,
    /// The first error the device reported outside any error scope (out of
    /// memory, say), until a run takes it.
    error: Arc<Mutex<Option<String>>>,
}

/// The acquired compute device, cheap to clone.
#[derive(Clone, Debug)]
pub struct Compute {
    /// `None` on the CPU fallback.
    pub gpu: Option<Gpu>,
    /// burn's device: wgpu when `gpu` is set, flex otherwise.
    pub tensor_device: TensorDevice,
    pub info: DeviceInfo,
}

impl Compute {
    /// The CPU fallback, saying why it is used.
    pub fn cpu(reason: &str) -> Self {
        Self {
            gpu: None,
            tensor_device: TensorDevice::flex(),
            info: DeviceInfo {
                backend: Backend::Cpu,
                name: "CPU fallback".to_string(),
                fallback_reason: Some(reason.to_string()),
                details: vec![("Backend".to_string(), "burn flex (CPU)".to_string())],
            },
        }
    }

    /// Acquires the GPU once, or falls back to the CPU with the reason.
    pub async fn acquire() -> Self {
        if let Some(reason) = webgpu_missing() {
            return Self::cpu(&reason);
        }
        match TensorDevice::wgpu_options().init_with_setup_async().await {
            Ok((tensor_device, setup)) => {
                // burn's runtime installs its own device callbacks (its error
                // handler panics) when it first runs: run it once, so that
                // ours, installed next, are the ones that stay.
                let warm_up = burn::tensor::Tensor::<1>::zeros([1], &tensor_device);
                if let Err(e) = warm_up.into_data_async().await {
                    return Self::cpu(&format!("the GPU adapter could not run burn: {e:?}"));
                }
                let lost = Arc::new(Mutex::new(None));
                let flag = lost.clone();
                setup
                    .device
                    .set_device_lost_callback(move |reason, message| {
                        if let Ok(mut slot) = flag.lock() {
                            *slot = Some(format!("{reason:?}: {message}"));
                        }
                    });
                let error = Arc::new(Mutex::new(None));
                let first = error.clone();
                setup
                    .device
                    .on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                        if let Ok(mut slot) = first.lock() {
                            slot.get_or_insert_with(|| e.to_string());
                        }
                    }));
                let mut info = describe(&setup.adapter, &setup.device);
                name_from_browser(&mut info).await;
                Self {
                    gpu: Some(Gpu {
                        adapter: setup.adapter,
                        device: setup.device,
                        queue: setup.queue,
                        lost,
                        error,
                    }),
                    tensor_device,
                    info,
                }
            }
            Err(e) => Self::cpu(&format!("no usable GPU adapter: {e}")),
        }
    }

    /// Natively, the device acquired once for the whole process: burn
    /// registers its wgpu runtime once per process, so tests and benchmarks
    /// that start many labs share it.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn shared_native() -> &'static Self {
        static COMPUTE: std::sync::OnceLock<Compute> = std::sync::OnceLock::new();
        COMPUTE.get_or_init(|| pollster::block_on(Self::acquire()))
    }

    /// The GPU, for code that is meaningless without one (GPU tests); panics
    /// with the reason and the fix otherwise.
    pub fn require_gpu(&self) -> &Gpu {
        self.gpu.as_ref().unwrap_or_else(|| {
            panic!(
                "no wgpu adapter ({:?}); install mesa-vulkan-drivers for lavapipe",
                self.info.fallback_reason
            )
        })
    }

    /// The error the device reported outside any error scope since the last
    /// call, if any: the run that caused it stops with it instead of the page
    /// panicking.
    pub fn take_error(&self) -> Option<String> {
        self.gpu
            .as_ref()
            .and_then(|gpu| gpu.error.lock().ok().and_then(|mut slot| slot.take()))
    }

    /// Why the device was lost, once it has been.
    pub fn lost(&self) -> Option<String> {
        self.gpu
            .as_ref()
            .and_then(|gpu| gpu.lost.lock().ok().and_then(|slot| slot.clone()))
    }
}

#[cfg(target_arch = "wasm32")]
fn webgpu_missing() -> Option<String> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).ok();
    match gpu {
        Some(gpu) if !gpu.is_undefined() && !gpu.is_null() => None,
        _ => Some("this browser does not expose WebGPU (navigator.gpu is missing)".to_string()),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn webgpu_missing() -> Option<String> {
    std::env::var("THERMOLAB_BACKEND")
        .ok()
        .filter(|b| b == "cpu")
        .map(|_| "THERMOLAB_BACKEND=cpu was set".to_string())
}

/// wgpu's WebGPU backend reports no adapter name; the browser's
/// `GPUAdapterInfo` has vendor, architecture and description.
#[cfg(target_arch = "wasm32")]
async fn name_from_browser(info: &mut DeviceInfo) {
    use js_sys::{Promise, Reflect};
    use wasm_bindgen::JsCast;
    let get = |object: &wasm_bindgen::JsValue, key: &str| Reflect::get(object, &key.into()).ok();
    let Some(gpu) = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "gpu")) else {
        return;
    };
    let Some(request) =
        get(&gpu, "requestAdapter").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let Some(promise) = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return;
    };
    let Ok(adapter) = wasm_bindgen_futures::JsFuture::from(promise).await else {
        return;
    };
    let Some(adapter_info) = get(&adapter, "info").filter(|i| i.is_object()) else {
        return;
    };
    let fields: Vec<(&str, String)> = ["vendor", "architecture", "device", "description"]
        .into_iter()
        .filter_map(|key| {
            let value = get(&adapter_info, key)?.as_string()?;
            (!value.is_empty()).then_some((key, value))
        })
        .collect();
    if fields.is_empty() {
        return;
    }
    info.name = fields
        .iter()
        .map(|(_, value)| value.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for (key, value) in fields {
        let mut label = key.to_string();
        label[..1].make_ascii_uppercase();
        info.details.push((label, value));
    }
}

#[cfg(not(target_arch = "wasm32"))]
async fn name_from_browser(_info: &mut DeviceInfo) {}

fn describe(adapter: &wgpu::Adapter, device: &wgpu::Device) -> DeviceInfo {
    let info = adapter.get_info();
    let limits = device.limits();
    let name = [info.name.as_str(), info.vendor_name(), info.driver.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("WebGPU adapter")
        .to_string();
    let mib = |bytes: u64| format!("{} MiB", bytes / (1024 * 1024));
    DeviceInfo {
        backend: Backend::WebGpu,
        name,
        fallback_reason: None,
        details: vec![
            ("Backend".into(), format!("{:?}", info.backend)),
            ("Device type".into(), format!("{:?}", info.device_type)),
            (
                "Driver".into(),
                format!("{} {}", info.driver, info.driver_info)
                    .trim()
                    .to_string(),
            ),
            ("Max buffer size".into(), mib(limits.max_buffer_size)),
            (
                "Max storage binding".into(),
                mib(limits.max_storage_buffer_binding_size),
            ),
            (
                "Max workgroup size".into(),
                format!(
                    "{} x {} x {} ({} invocations)",
                    limits.max_compute_workgroup_size_x,
                    limits.max_compute_workgroup_size_y,
                    limits.max_compute_workgroup_size_z,
                    limits.max_compute_invocations_per_workgroup
                ),
            ),
            (
                "Max workgroups per dimension".into(),
                limits.max_compute_workgroups_per_dimension.to_string(),
            ),
            (
                "Workgroup shared memory".into(),
                format!("{} KiB", limits.max_compute_workgroup_storage_size / 1024),
            ),
        ],
    }
}

trait VendorName {
    fn vendor_name(&self) -> &'static str;
}

impl VendorName for wgpu::AdapterInfo {
    /// PCI vendor ids of the common GPU makers, for adapters that report no name.
    fn vendor_name(&self) -> &'static str {
        match self.vendor {
            0x10de => "NVIDIA GPU",
            0x1002 => "AMD GPU",
            0x8086 => "Intel GPU",
            0x13b5 => "Arm GPU",
            0x5143 => "Qualcomm GPU",
            0x106b => "Apple GPU",
            0x1ae0 => "Google SwiftShader",
            _ => "",
        }
    }
}

impl Gpu {
    /// Compiles a compute pipeline from WGSL with entry point `main`.
    pub fn pipeline(&self, label: &str, source: &str) -> wgpu::ComputePipeline {
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        self.device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            })
    }

    /// Binds `buffers` to bindings 0.. of group 0 of `pipeline`.
    pub fn bind(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    pub fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    pub fn buffer_with<T: bytemuck::Pod>(
        &self,
        label: &str,
        data: &[T],
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let buffer = self.buffer(
            label,
            std::mem::size_of_val(data) as u64,
            usage | wgpu::BufferUsages::COPY_DST,
        );
        self.queue
            .write_buffer(&buffer, 0, bytemuck::cast_slice(data));
        buffer
    }

    /// Resolves once all submitted work has finished.
    pub async fn finish(&self) -> Result<(), String> {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.queue.on_submitted_work_done(move || {
            let _ = tx.send(());
        });
        self.poll();
        rx.await
            .map_err(|_| "the GPU queue was dropped".to_string())
    }

    /// Copies `source` to a staging buffer and reads it back.
    pub async fn read<T: bytemuck::Pod>(&self, source: &wgpu::Buffer) -> Result<Vec<T>, String> {
        let mut parts = self.read_parts(&[(source, source.size())]).await?;
        Ok(parts.pop().unwrap_or_default())
    }

    /// Reads back the first `bytes` (a multiple of 4) of each buffer with one
    /// copy and one mapping: a readback costs a round trip, so a caller that
    /// needs several buffers pays it once.
    pub async fn read_parts<T: bytemuck::Pod>(
        &self,
        parts: &[(&wgpu::Buffer, u64)],
    ) -> Result<Vec<Vec<T>>, String> {
        let sizes: Vec<u64> = parts
            .iter()
            .map(|(buffer, bytes)| (*bytes).min(buffer.size()))
            .collect();
        let staging = self.buffer(
            "readback",
            sizes.iter().sum::<u64>().max(4),
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let mut offset = 0;
        for ((source, _), size) in parts.iter().zip(&sizes) {
            encoder.copy_buffer_to_buffer(source, 0, &staging, offset, *size);
            offset += size;
        }
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = futures_channel::oneshot::channel();
        staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                let _ = tx.send(result);
            });
        self.poll();
        rx.await
            .map_err(|_| "the readback was cancelled".to_string())?
            .map_err(|e| format!("readback failed: {e}"))?;
        let data = {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| format!("readback failed: {e:?}"))?;
            let mut start = 0;
            sizes
                .iter()
                .map(|size| {
                    let size = *size as usize;
                    let part = bytemuck::pod_collect_to_vec(&view[start..start + size]);
                    start += size;
                    part
                })
                .collect()
        };
        staging.unmap();
        Ok(data)
    }

    /// Natively, callbacks run only when the device is polled; in the browser
    /// the event loop runs them and this does nothing.
    fn poll(&self) {
        let _ = self.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: None,
        });
    }
}

/// Splits `invocations` into a 2-D grid of workgroups of `workgroup_size`,
/// keeping each dimension under `max_per_dimension`. Returns the grid and the
/// number of invocations per grid row (for `gid.x + gid.y * row`).
pub fn grid_2d(invocations: u32, workgroup_size: u32, max_per_dimension: u32) -> ([u32; 2], u32) {
    let groups = invocations.div_ceil(workgroup_size).max(1);
    let x = groups.min(max_per_dimension);
    let y = groups.div_ceil(x);
    ([x, y], x * workgroup_size)
}

/// Seconds since an arbitrary start; `performance.now()` in the browser.
pub fn now_seconds() -> f64 {
    thread_local! {
        static START: web_time::Instant = web_time::Instant::now();
    }
    START.with(|start| start.elapsed().as_secs_f64())
}

/// Shortest span worth timing: browsers coarsen `performance.now()` to about
/// 0.1 ms, so a faster operation is repeated until the span is this long.
pub const MIN_TIMED_SECONDS: f64 = 0.005;

/// Runs `op` at least once and until [`MIN_TIMED_SECONDS`] have passed;
/// returns the mean seconds per call and the last call's result.
pub async fn time_per_call<T, E>(mut op: impl AsyncFnMut() -> Result<T, E>) -> Result<(f64, T), E> {
    let start = now_seconds();
    let mut calls = 0u32;
    loop {
        let result = op().await?;
        calls += 1;
        let elapsed = now_seconds() - start;
        if elapsed >= MIN_TIMED_SECONDS {
            return Ok((elapsed / f64::from(calls), result));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_every_invocation_within_limits() {
        for n in [
            1u32,
            255,
            256,
            257,
            65_535 * 256,
            65_535 * 256 + 1,
            16_777_216,
        ] {
            let ([x, y], row) = grid_2d(n, 256, 65_535);
            assert!(x <= 65_535 && y <= 65_535);
            assert!(u64::from(x) * u64::from(y) * 256 >= u64::from(n));
            assert_eq!(row, x * 256);
            // The last row is needed: no empty rows.
            assert!(u64::from(x) * u64::from(y - 1) * 256 < u64::from(n));
        }
    }

    #[test]
    fn fast_operations_are_repeated_until_the_clock_can_see_them() {
        let mut calls = 0u32;
        let (seconds, last) = pollster::block_on(time_per_call(async || {
            calls += 1;
            Ok::<u32, ()>(calls)
        }))
        .unwrap();
        assert!(calls > 1, "a no-op must be repeated, got {calls} call(s)");
        assert_eq!(last, calls);
        assert!(seconds * f64::from(calls) >= MIN_TIMED_SECONDS);
        // A slow operation runs once.
        let mut slow_calls = 0;
        let (slow_seconds, ()) = pollster::block_on(time_per_call(async || {
            slow_calls += 1;
            std::thread::sleep(std::time::Duration::from_secs_f64(2.0 * MIN_TIMED_SECONDS));
            Ok::<(), ()>(())
        }))
        .unwrap();
        assert_eq!(slow_calls, 1);
        assert!(slow_seconds >= 2.0 * MIN_TIMED_SECONDS);
    }
}
