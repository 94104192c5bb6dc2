//! The RNG check: every step draws the shared counter-based RNG on the GPU and
//! compares it with the Rust reference on the same counters. Labs are only
//! reproducible across machines if the two agree bit for bit, so a teacher
//! sees here whether a classroom GPU does. The pairs of draws also show the
//! generator's quality: a flat 2-D histogram of uniforms (its chi-square per
//! degree of freedom near 1) and a round cloud of normals.

use thermolab_core::experiment::{Chart, ChartKind, PointGroup, RunError};
use thermolab_core::rng::{CounterRng, normal_f32, unit_f32};
use thermolab_gpu::{Compute, GpuRng, RngDraws};

/// Counters drawn per step, laid out as this many runs.
pub const DRAWS_PER_STEP: u32 = 4096;
const RUNS: u32 = 64;
/// Cells per side of the uniformity histogram.
pub const GRID: usize = 16;
/// Points in the normal scatter: enough to see the shape, cheap to draw.
const SCATTER_POINTS: usize = 1024;

pub struct RngCheck {
    kernel: Option<GpuRng>,
    /// Draws compared with the reference, and how many differed (words not
    /// bit for bit, or normals beyond WGSL's precision).
    pub compared: u64,
    pub mismatches: u64,
    /// Largest difference of a normal between GPU and CPU.
    pub max_normal_error: f32,
    /// Counts of (u1, u2) pairs per cell, row-major from the bottom row.
    counts: Vec<u64>,
    normals: Vec<[f32; 2]>,
}

impl RngCheck {
    pub fn new(compute: &Compute) -> Self {
        Self {
            kernel: compute.gpu.as_ref().map(GpuRng::new),
            compared: 0,
            mismatches: 0,
            max_normal_error: 0.0,
            counts: vec![0; GRID * GRID],
            normals: Vec::new(),
        }
    }

    /// Draws one step's counters (on the GPU when there is one) and adds them up.
    pub async fn step(
        &mut self,
        compute: &Compute,
        rng: CounterRng,
        step: u64,
    ) -> Result<(), RunError> {
        // A fresh seed per step, derived from the lab's seed.
        let w = rng.words(0, step as u32, (step >> 32) as u32);
        let seed = u64::from(w[0]) | (u64::from(w[1]) << 32);
        let reference = RngDraws::cpu(seed, RUNS, DRAWS_PER_STEP);
        let drawn = match (&self.kernel, &compute.gpu) {
            (Some(kernel), Some(gpu)) => {
                let drawn = kernel
                    .draw(gpu, seed, RUNS, DRAWS_PER_STEP)
                    .await
                    .map_err(RunError::Failed)?;
                self.compared += reference.words.len() as u64;
                let comparison = drawn.compare(&reference);
                self.mismatches +=
                    (comparison.word_mismatches + comparison.normal_mismatches) as u64;
                self.max_normal_error = self.max_normal_error.max(comparison.max_normal_error);
                drawn
            }
            _ => reference,
        };
        for word in &drawn.words {
            let cell = |x: u32| ((unit_f32(x) * GRID as f32) as usize).min(GRID - 1);
            self.counts[cell(word[1]) * GRID + cell(word[0])] += 1;
        }
        self.normals = drawn
            .words
            .iter()
            .zip(&drawn.normals)
            .take(SCATTER_POINTS)
            .map(|(w, n)| [*n, normal_f32(w[2], w[3])])
            .collect();
        Ok(())
    }

    /// Pearson's chi-square of the cell counts against uniform, divided by
    /// its degrees of freedom: about 1 for a good generator, NaN before any draw.
    pub fn chi_square_per_dof(&self) -> f64 {
        chi_square_per_dof(&self.counts)
    }

    pub fn charts(&self) -> [Chart; 2] {
        [
            Chart {
                key: "rng_uniformity".to_string(),
                title: "RNG: pairs of uniforms per cell".to_string(),
                x_label: "u1".to_string(),
                y_label: "u2".to_string(),
                kind: ChartKind::Heatmap {
                    x_range: [0.0, 1.0],
                    y_range: [0.0, 1.0],
                    cols: GRID,
                    rows: GRID,
                    values: self.counts.iter().map(|&c| c as f64).collect(),
                    arrows: Vec::new(),
                    marks: Vec::new(),
                },
            },
            Chart {
                key: "rng_normals".to_string(),
                title: "RNG: pairs of normals (last step)".to_string(),
                x_label: "z1".to_string(),
                y_label: "z2".to_string(),
                kind: ChartKind::Scatter {
                    groups: vec![PointGroup {
                        label: "Box-Muller".to_string(),
                        points: self.normals.clone(),
                        marked: false,
                    }],
                },
            },
        ]
    }
}

fn chi_square_per_dof(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    let chi_square: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    chi_square / (counts.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_is_zero_when_flat_and_large_when_lumped() {
        assert_eq!(chi_square_per_dof(&[5, 5, 5, 5]), 0.0);
        // All 40 in one of 4 cells: expected 10 each, chi-square 90+10+10+10 = 120 over 3 dof.
        assert_eq!(chi_square_per_dof(&[40, 0, 0, 0]), 40.0);
        assert!(chi_square_per_dof(&[0, 0]).is_nan());
    }

    #[test]
    fn cpu_draws_fill_the_grid_evenly_and_the_normals_are_standard() {
        let compute = Compute::cpu("test");
        let mut check = RngCheck::new(&compute);
        for step in 0..4 {
            pollster::block_on(check.step(&compute, CounterRng::new(3), step)).unwrap();
        }
        assert_eq!(
            check.counts.iter().sum::<u64>(),
            4 * u64::from(DRAWS_PER_STEP)
        );
        // 255 degrees of freedom: the statistic's sd is sqrt(2/255) ~ 0.09.
        let chi = check.chi_square_per_dof();
        assert!((0.6..1.5).contains(&chi), "chi-square per dof {chi}");
        let n = check.normals.len() as f32;
        assert_eq!(n as usize, SCATTER_POINTS);
        let mean: f32 = check.normals.iter().map(|p| p[0] + p[1]).sum::<f32>() / (2.0 * n);
        let var: f32 = check
            .normals
            .iter()
            .map(|p| p[0] * p[0] + p[1] * p[1])
            .sum::<f32>()
            / (2.0 * n);
        assert!(
            mean.abs() < 0.1 && (var - 1.0).abs() < 0.1,
            "mean {mean} var {var}"
        );
        assert_eq!(check.compared, 0, "nothing to compare without a GPU");
    }
}
