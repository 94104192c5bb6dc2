//! The shared RNG drawn on the GPU by `shaders/rng_check.wgsl`, and the same
//! counters drawn by the Rust reference, so the two can be compared on any
//! machine. Counter `i` is (run `i % runs`, step `i / runs`, stream `i % 5`).

use thermolab_core::rng;

use crate::{Gpu, shaders, wgpu};

const WORKGROUP_SIZE: u32 = 64;

/// Words and the normal drawn from each word's first two lanes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RngDraws {
    pub words: Vec<[u32; 4]>,
    pub normals: Vec<f32>,
}

impl RngDraws {
    /// The Rust reference for the same counters as [`GpuRng::draw`].
    pub fn cpu(seed: u64, runs: u32, count: u32) -> Self {
        let runs = runs.max(1);
        let words: Vec<[u32; 4]> = (0..count)
            .map(|i| rng::random_u32x4(seed, i % runs, i / runs, i % 5))
            .collect();
        let normals = words.iter().map(|w| rng::normal_f32(w[0], w[1])).collect();
        Self { words, normals }
    }

    /// Compares with `reference` draw by draw: words must agree bit for bit;
    /// normals within [`NORMAL_TOLERANCE`], since WGSL lets `log` and `cos`
    /// round differently from the CPU.
    pub fn compare(&self, reference: &RngDraws) -> RngComparison {
        let missing = self.words.len().abs_diff(reference.words.len());
        let word_mismatches = missing
            + self
                .words
                .iter()
                .zip(&reference.words)
                .filter(|(w, r)| w != r)
                .count();
        let errors: Vec<(f32, f32)> = self
            .normals
            .iter()
            .zip(&reference.normals)
            .map(|(n, r)| ((n - r).abs(), r.abs()))
            .collect();
        RngComparison {
            word_mismatches,
            normal_mismatches: missing
                + errors
                    .iter()
                    .filter(|(e, r)| e.is_nan() || *e > NORMAL_TOLERANCE * (1.0 + r))
                    .count(),
            max_normal_error: errors.iter().map(|(e, _)| *e).fold(0.0, f32::max),
        }
    }
}

/// Allowed normal difference, relative to 1 + |z|: WGSL promises `cos` to
/// 2^-11 absolute on [-pi, pi] and `log` to 2^-21 near 1 (3 ULP elsewhere);
/// through Box-Muller's radius (at most 5.8) that is about 2e-3.
pub const NORMAL_TOLERANCE: f32 = 2e-3;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RngComparison {
    pub word_mismatches: usize,
    pub normal_mismatches: usize,
    pub max_normal_error: f32,
}

/// The compiled `rng_check` kernel.
pub struct GpuRng {
    pipeline: wgpu::ComputePipeline,
}

impl GpuRng {
    pub fn new(gpu: &Gpu) -> Self {
        Self {
            pipeline: gpu.pipeline("rng_check", &shaders::with_rng(shaders::RNG_CHECK)),
        }
    }

    /// Draws `count` counters on the GPU and reads them back.
    pub async fn draw(
        &self,
        gpu: &Gpu,
        seed: u64,
        runs: u32,
        count: u32,
    ) -> Result<RngDraws, String> {
        let count = count.max(1);
        let params = gpu.buffer_with(
            "rng params",
            &[seed as u32, (seed >> 32) as u32, count, runs.max(1)],
            wgpu::BufferUsages::UNIFORM,
        );
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let words = gpu.buffer("rng words", u64::from(count) * 16, storage);
        let normals = gpu.buffer("rng normals", u64::from(count) * 4, storage);
        let bind = gpu.bind(&self.pipeline, &[&params, &words, &normals]);
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(count.div_ceil(WORKGROUP_SIZE), 1, 1);
        }
        gpu.queue.submit([encoder.finish()]);
        let flat: Vec<u32> = gpu.read(&words).await?;
        Ok(RngDraws {
            words: flat
                .chunks_exact(4)
                .map(|w| [w[0], w[1], w[2], w[3]])
                .collect(),
            normals: gpu.read(&normals).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_counts_changed_words_and_far_normals() {
        let reference = RngDraws::cpu(7, 4, 32);
        let mut other = reference.clone();
        let same = other.compare(&reference);
        assert_eq!((same.word_mismatches, same.normal_mismatches), (0, 0));
        assert_eq!(same.max_normal_error, 0.0);
        other.words[3][2] ^= 1;
        other.normals[5] += 1e-4;
        other.normals[9] += 0.5;
        let c = other.compare(&reference);
        assert_eq!((c.word_mismatches, c.normal_mismatches), (1, 1));
        assert!((c.max_normal_error - 0.5).abs() < 1e-3);
        other.normals[9] = f32::NAN;
        assert_eq!(other.compare(&reference).normal_mismatches, 1);
        other.words.pop();
        other.normals.pop();
        assert_eq!(other.compare(&reference).word_mismatches, 2);
    }
}
