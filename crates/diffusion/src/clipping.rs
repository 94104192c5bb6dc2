//! Keeping the predicted x_0 in range during sampling.
//!
//! Static clipping clamps every coordinate of the x_0 estimate to [-c, c] (Ho
//! et al.'s `clip_denoised`). Dynamic thresholding ("Photorealistic
//! Text-to-Image Diffusion Models with Deep Language Understanding", Saharia
//! et al. 2022, sec. 2.3) takes s, the p-th percentile of |x_0|; if s > c it
//! clamps to [-s, s] and scales by c / s, so saturated estimates are pulled
//! in instead of piling up on the bound. The paper's images live in [-1, 1]
//! (c = 1); here c is the user's bound. The percentile is taken over a group:
//! one image, or, for 2-D points, the whole batch.

use thermolab_core::math::{clip, quantile};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum X0Clip {
    None,
    Static { bound: f64 },
    Dynamic { bound: f64, percentile: f64 },
}

impl X0Clip {
    /// Clips `x0` in place, `group` values at a time; returns each group's
    /// threshold s (the bound itself for static clipping).
    pub fn apply(&self, x0: &mut [f64], group: usize) -> Vec<f64> {
        match *self {
            X0Clip::None => Vec::new(),
            X0Clip::Static { bound } => {
                x0.iter_mut().for_each(|v| *v = clip(*v, -bound, bound));
                vec![bound]
            }
            X0Clip::Dynamic { bound, percentile } => x0
                .chunks_mut(group.max(1))
                .map(|values| {
                    let magnitudes: Vec<f64> = values.iter().map(|v| v.abs()).collect();
                    let s = quantile(&magnitudes, percentile).max(bound);
                    values
                        .iter_mut()
                        .for_each(|v| *v = clip(*v, -s, s) * bound / s);
                    s
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermolab_core::rng::CounterRng;

    fn wide_normals(n: usize) -> Vec<f64> {
        let rng = CounterRng::new(9);
        (0..n as u32)
            .map(|i| 3.0 * f64::from(rng.normal(i, 0, 0)))
            .collect()
    }

    #[test]
    fn static_clipping_keeps_every_value_in_bounds() {
        let mut x = wide_normals(1000);
        X0Clip::Static { bound: 1.5 }.apply(&mut x, 2);
        assert!(x.iter().all(|v| v.abs() <= 1.5));
        assert!(x.iter().filter(|v| v.abs() == 1.5).count() > 500);
    }

    #[test]
    fn dynamic_thresholding_clips_at_the_percentile_and_rescales() {
        let raw = wide_normals(4000);
        let mut x = raw.clone();
        let thresholds = X0Clip::Dynamic {
            bound: 1.0,
            percentile: 0.9,
        }
        .apply(&mut x, 1000);
        assert_eq!(thresholds.len(), 4);
        for ((group, clipped), s) in raw.chunks(1000).zip(x.chunks(1000)).zip(&thresholds) {
            // 10% of the group lies beyond s, and s is about 3 * 1.645.
            let beyond = group.iter().filter(|v| v.abs() > *s).count();
            assert_eq!(beyond, 100);
            assert!((s - 3.0 * 1.645).abs() < 0.5, "{s}");
            for (r, c) in group.iter().zip(clipped) {
                assert!(c.abs() <= 1.0 + 1e-12);
                if r.abs() <= *s {
                    assert!((c - r / s).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn dynamic_thresholding_leaves_values_inside_the_bound_alone() {
        let mut x = vec![0.2, -0.5, 0.9, 0.1];
        X0Clip::Dynamic {
            bound: 1.0,
            percentile: 0.99,
        }
        .apply(&mut x, 4);
        assert_eq!(x, vec![0.2, -0.5, 0.9, 0.1]);
    }
}
