//! Memory bandwidth: copy a buffer with `bandwidth.wgsl` (beside this file) on the GPU,
//! and with a plain slice copy on the CPU. Each copy reads and writes every
//! byte once, so GB/s = 2 * bytes / seconds / 1e9.

use std::convert::Infallible;

use thermolab_gpu::{Gpu, grid_2d, time_per_call, wgpu};

/// The copy kernel: one invocation per 16 bytes, on a 2-D grid.
pub const KERNEL: &str = include_str!("bandwidth.wgsl");
const WORKGROUP_SIZE: u32 = 256;

/// Bytes moved by one copy of `bytes`: one read and one write.
pub fn bytes_moved(bytes: u64) -> f64 {
    2.0 * bytes as f64
}

/// GPU buffers for one size, kept between steps and rebuilt when the size changes.
pub struct GpuCopy {
    bytes: u64,
    pipeline: wgpu::ComputePipeline,
    bind: wgpu::BindGroup,
    grid: [u32; 2],
    dst: wgpu::Buffer,
}

impl GpuCopy {
    pub fn new(gpu: &Gpu, bytes: u64) -> Self {
        let len = (bytes / 16) as u32;
        let max_groups = gpu.device.limits().max_compute_workgroups_per_dimension;
        let (grid, row) = grid_2d(len, WORKGROUP_SIZE, max_groups);
        let params = gpu.buffer_with(
            "bandwidth params",
            &[len, row, 0, 0],
            wgpu::BufferUsages::UNIFORM,
        );
        let src = gpu.buffer("bandwidth src", bytes, wgpu::BufferUsages::STORAGE);
        let dst = gpu.buffer(
            "bandwidth dst",
            bytes,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        let pipeline = gpu.pipeline("bandwidth", KERNEL);
        let bind = gpu.bind(&pipeline, &[&params, &src, &dst]);
        Self {
            bytes,
            pipeline,
            bind,
            grid,
            dst,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Times launches, from submission to completion, in GB/s.
    pub async fn measure(&self, gpu: &Gpu) -> Result<f64, String> {
        let (seconds, ()) = time_per_call(async || {
            let mut encoder = gpu.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &self.bind, &[]);
                pass.dispatch_workgroups(self.grid[0], self.grid[1], 1);
            }
            gpu.queue.submit([encoder.finish()]);
            gpu.finish().await
        })
        .await?;
        Ok(bytes_moved(self.bytes) / seconds / 1e9)
    }

    /// The destination buffer, for tests that check the copy.
    pub fn destination(&self) -> &wgpu::Buffer {
        &self.dst
    }
}

/// The same copy on the CPU.
pub struct CpuCopy {
    src: Vec<f32>,
    dst: Vec<f32>,
}

impl CpuCopy {
    pub fn new(bytes: u64) -> Self {
        let len = (bytes / 4) as usize;
        Self {
            src: (0..len).map(|i| i as f32).collect(),
            dst: vec![0.0; len],
        }
    }

    pub fn bytes(&self) -> u64 {
        self.src.len() as u64 * 4
    }

    pub async fn measure(&mut self) -> f64 {
        let bytes = self.bytes();
        let Ok((seconds, ())) = time_per_call(async || {
            self.dst.copy_from_slice(&self.src);
            std::hint::black_box(&self.dst);
            Ok::<(), Infallible>(())
        })
        .await;
        bytes_moved(bytes) / seconds / 1e9
    }

    pub fn copied(&self) -> bool {
        self.src == self.dst
    }
}
