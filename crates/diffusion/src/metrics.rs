//! Sample quality: the sliced Wasserstein-2 distance ("Sliced and Radon
//! Wasserstein Barycenters of Measures", Bonneel et al. 2015) between two
//! equally sized point sets: the 1-D W2 of their projections, which is exact
//! by sorting, averaged over directions: evenly spread in the plane, fixed
//! random ones (the same for every call) in more dimensions.
//!
//! Sliced W2 averages over directions and barely sees samples that fill the
//! gaps between a spiral's arms; the share of samples near the curve the
//! data is drawn around sees exactly those.

use thermolab_core::rng::CounterRng;

const DIRECTIONS: usize = 64;
/// Seed of the random directions; any fixed value does.
const DIRECTION_SEED: u64 = 0x5EED;

pub fn sliced_wasserstein(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    sliced_wasserstein_in(&a.concat(), &b.concat(), 2)
}

fn directions(dims: usize) -> Vec<Vec<f64>> {
    if dims == 2 {
        return (0..DIRECTIONS)
            .map(|k| {
                let angle = std::f64::consts::PI * k as f64 / DIRECTIONS as f64;
                vec![angle.cos(), angle.sin()]
            })
            .collect();
    }
    let rng = CounterRng::new(DIRECTION_SEED);
    (0..DIRECTIONS)
        .map(|k| {
            let v: Vec<f64> = (0..dims)
                .map(|d| f64::from(rng.normal(d as u32, k as u32, 0)))
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Sliced W2 between point sets stored flat, `dims` values per point.
pub fn sliced_wasserstein_in(a: &[f64], b: &[f64], dims: usize) -> f64 {
    let n = (a.len() / dims).min(b.len() / dims);
    if n == 0 {
        return f64::NAN;
    }
    let mut total = 0.0;
    for direction in directions(dims) {
        let project = |points: &[f64]| {
            let mut p: Vec<f64> = points
                .chunks_exact(dims)
                .take(n)
                .map(|x| x.iter().zip(&direction).map(|(x, d)| x * d).sum())
                .collect();
            p.sort_by(f64::total_cmp);
            p
        };
        let (pa, pb) = (project(a), project(b));
        total += pa
            .iter()
            .zip(&pb)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            / n as f64;
    }
    (total / DIRECTIONS as f64).sqrt()
}

/// Distance from `p` to the segment from `a` to `b` (a point where `a == b`).
fn distance_to_segment(p: [f64; 2], [a, b]: [[f64; 2]; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    let along = if length2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - along * dx).hypot(p[1] - a[1] - along * dy)
}

/// The share of `points` within `radius` of any of `segments`; NaN for no points.
pub fn share_near(points: &[[f64; 2]], segments: &[[[f64; 2]; 2]], radius: f64) -> f64 {
    let near = points
        .iter()
        .filter(|p| {
            segments
                .iter()
                .any(|s| distance_to_segment(**p, *s) <= radius)
        })
        .count();
    near as f64 / points.len() as f64
}

/// The share of `values` within `tolerance` of `target`: for digits, how
/// many pixels are background (MNIST's are exactly -1 in three of four).
pub fn share_within(values: &[f64], target: f64, tolerance: f64) -> f64 {
    let near = values
        .iter()
        .filter(|v| (**v - target).abs() <= tolerance)
        .count();
    near as f64 / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shift_costs_its_length_averaged_over_directions() {
        // Projections of a shift by (d, 0) move by d cos(angle): SW2^2 = d^2 / 2.
        let a: Vec<[f64; 2]> = (0..100)
            .map(|i| [i as f64 * 0.01, (i * 7 % 13) as f64])
            .collect();
        let b: Vec<[f64; 2]> = a.iter().map(|[x, y]| [x + 0.5, *y]).collect();
        assert!((sliced_wasserstein(&a, &b) - 0.5 / 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(sliced_wasserstein(&a, &a), 0.0);
    }

    #[test]
    fn in_many_dimensions_a_shift_costs_its_length_over_sqrt_dims() {
        // A random unit direction u has E[u_0^2] = 1/D: SW2^2 = d^2 / D on average.
        let dims = 50;
        let a: Vec<f64> = (0..200 * dims)
            .map(|i| ((i * 37 % 101) as f64).sin())
            .collect();
        let b: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| if i % dims == 0 { x + 3.0 } else { *x })
            .collect();
        let expected = 3.0 / (dims as f64).sqrt();
        let distance = sliced_wasserstein_in(&a, &b, dims);
        assert!(
            (distance / expected - 1.0).abs() < 0.3,
            "{distance} vs {expected}"
        );
        assert_eq!(sliced_wasserstein_in(&a, &a, dims), 0.0);
    }

    #[test]
    fn the_share_near_a_line_is_the_normal_mass_within_the_radius() {
        // Points at normal offsets from the x axis: within one standard
        // deviation of the line lie 68.3% of them (erf(1 / sqrt 2)).
        let rng = CounterRng::new(9);
        let points: Vec<[f64; 2]> = (0..20_000)
            .map(|i| {
                [
                    f64::from(rng.uniform(i, 0, 0)),
                    0.1 * f64::from(rng.normal(i, 0, 1)),
                ]
            })
            .collect();
        let line = [[[-1.0, 0.0], [0.5, 0.0]], [[0.5, 0.0], [2.0, 0.0]]];
        let share = share_near(&points, &line, 0.1);
        assert!((share - 0.6827).abs() < 0.01, "{share}");
        // Past a segment's end the distance is to the end point.
        assert_eq!(
            distance_to_segment([3.0, 4.0], [[0.0, 0.0], [0.0, -1.0]]),
            5.0
        );
        assert_eq!(
            distance_to_segment([3.0, 4.0], [[0.0, 0.0], [0.0, 0.0]]),
            5.0
        );
        assert!(share_near(&[], &line, 0.1).is_nan());
    }

    #[test]
    fn the_share_within_a_tolerance_counts_both_sides() {
        let values = [-1.0, -0.99, -0.97, -1.01, -1.03, 0.5, f64::NAN, -1.0];
        assert_eq!(share_within(&values, -1.0, 0.02), 4.0 / 8.0);
    }

    #[test]
    fn order_of_points_does_not_matter() {
        let a: Vec<[f64; 2]> = (0..50)
            .map(|i| [(i as f64).sin(), (i as f64).cos()])
            .collect();
        let mut b = a.clone();
        b.reverse();
        assert!(sliced_wasserstein(&a, &b) < 1e-12);
    }
}
