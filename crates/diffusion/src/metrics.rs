//! Sample quality: the sliced Wasserstein-2 distance ("Sliced and Radon
//! Wasserstein Barycenters of Measures", Bonneel et al. 2015) between two
//! equally sized 2-D point sets: the 1-D W2 of their projections, which is
//! exact by sorting, averaged over evenly spread directions.

const DIRECTIONS: usize = 64;

pub fn sliced_wasserstein(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return f64::NAN;
    }
    let mut total = 0.0;
    for k in 0..DIRECTIONS {
        let angle = std::f64::consts::PI * k as f64 / DIRECTIONS as f64;
        let (c, s) = (angle.cos(), angle.sin());
        let project = |points: &[[f64; 2]]| {
            let mut p: Vec<f64> = points[..n].iter().map(|[x, y]| c * x + s * y).collect();
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
    fn order_of_points_does_not_matter() {
        let a: Vec<[f64; 2]> = (0..50)
            .map(|i| [(i as f64).sin(), (i as f64).cos()])
            .collect();
        let mut b = a.clone();
        b.reverse();
        assert!(sliced_wasserstein(&a, &b) < 1e-12);
    }
}
