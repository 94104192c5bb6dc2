//! Statistics over many independent runs: a mean with its 95% confidence
//! interval, and the merge of per-group partials (what a GPU workgroup
//! reduces its runs to) into the statistics of the whole.

/// Normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_985;

/// Mean and the half-width of its 95% confidence interval.
pub fn mean_and_half_width(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n.max(1.0);
    if xs.len() < 2 {
        return (m, 0.0);
    }
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, half_width(var, n))
}

/// Half-width of the 95% interval of a mean of `n` samples of variance `variance`.
pub fn half_width(variance: f64, n: f64) -> f64 {
    Z95 * (variance / n.max(1.0)).sqrt()
}

/// One group's share: how many samples, their mean and their sum of
/// squared deviations from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Partial {
    pub count: f64,
    pub mean: f64,
    pub m2: f64,
}

/// Mean and 95% half-width of the union of `groups`, merged pairwise: Chan,
/// Golub & LeVeque, "Updating Formulae and a Pairwise Algorithm for
/// Computing Sample Variances", 1979.
pub fn merge(groups: impl Iterator<Item = Partial>) -> (f64, f64) {
    let (mut n, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for group in groups {
        if group.count == 0.0 {
            continue;
        }
        let total = n + group.count;
        let delta = group.mean - mean;
        mean += delta * group.count / total;
        m2 += group.m2 + delta * delta * n * group.count / total;
        n = total;
    }
    let variance = if n > 1.0 { m2 / (n - 1.0) } else { 0.0 };
    (mean, half_width(variance, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_groups_give_the_mean_and_interval_of_the_whole() {
        let xs: Vec<f64> = (0..150)
            .map(|i| ((i * 37) % 23) as f64 * 0.7 - 3.0)
            .collect();
        // Rounded to f32 as a GPU's partials are.
        let groups = xs.chunks(64).map(|g| {
            let (m, _) = mean_and_half_width(g);
            let m2: f64 = g.iter().map(|x| (x - m).powi(2)).sum();
            Partial {
                count: f64::from(g.len() as f32),
                mean: f64::from(m as f32),
                m2: f64::from(m2 as f32),
            }
        });
        let (mean, half) = merge(groups);
        let (want_mean, want_half) = mean_and_half_width(&xs);
        assert!((mean - want_mean).abs() < 1e-5, "{mean} vs {want_mean}");
        assert!((half - want_half).abs() < 1e-5, "{half} vs {want_half}");
    }

    #[test]
    fn the_interval_is_the_normal_one() {
        let (m, half) = mean_and_half_width(&[1.0, 3.0]);
        assert_eq!(m, 2.0);
        // Sample variance 2, n = 2: 1.96 sqrt(2 / 2).
        assert!((half - Z95).abs() < 1e-12);
        assert_eq!(mean_and_half_width(&[5.0]), (5.0, 0.0));
    }
}
