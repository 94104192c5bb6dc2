//! A classifier two-sample test ("Revisiting Classifier Two-Sample Tests",
//! Lopez-Paz & Oquab, ICLR 2017): train a classifier to tell set A from set
//! B on half of each, and report its accuracy on the other half. Near 0.5,
//! the classifier cannot tell them apart; near 1, every sample gives itself
//! away. Under the null hypothesis (one distribution) the held-out accuracy
//! is about normal with mean 1/2 and variance 1 / (4 n_test), section 3.
//!
//! The classifier is L2-regularized logistic regression on each coordinate
//! and its square (so it sees a shift of a pixel's mean and of its spread:
//! grain on a background that should be exactly -1 is both), standardized on
//! the training half, fit by Nesterov's accelerated gradient descent with the
//! step 1/L of the loss's smoothness bound: deterministic and the same on
//! every machine.

/// Ridge penalty on the standardized weights: enough that a few hundred
/// samples cannot be memorized, little enough not to hide a real difference.
const PENALTY: f64 = 0.05;
const ITERATIONS: usize = 300;
const POWER_ITERATIONS: usize = 30;

/// The held-out accuracy and the size of its test half.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwoSample {
    pub accuracy: f64,
    pub tested: usize,
}

impl TwoSample {
    /// Two standard deviations of the accuracy of a classifier that can only
    /// guess (the null hypothesis): sqrt(1 / n_test).
    pub fn chance_band(&self) -> f64 {
        (1.0 / self.tested as f64).sqrt()
    }
}

/// [x, x^2] of a point.
fn features(point: &[f64]) -> impl Iterator<Item = f64> + '_ {
    point.iter().copied().chain(point.iter().map(|x| x * x))
}

/// Tells `a` from `b` (flat, `dims` values per point; the first
/// min(|a|, |b|) points of each): even-numbered points train, odd ones test.
/// `None` with fewer than two points in either set.
pub fn classifier_two_sample(a: &[f64], b: &[f64], dims: usize) -> Option<TwoSample> {
    let n = (a.len() / dims).min(b.len() / dims);
    if n < 2 {
        return None;
    }
    let half = |set: &[f64], parity: usize| -> Vec<Vec<f64>> {
        set.chunks_exact(dims)
            .take(n)
            .skip(parity)
            .step_by(2)
            .map(|p| features(p).collect())
            .collect()
    };
    let labelled = |parity: usize| -> (Vec<Vec<f64>>, Vec<f64>) {
        let (from_a, from_b) = (half(a, parity), half(b, parity));
        let labels = std::iter::repeat_n(1.0, from_a.len())
            .chain(std::iter::repeat_n(0.0, from_b.len()))
            .collect();
        (from_a.into_iter().chain(from_b).collect(), labels)
    };
    let (mut train, train_labels) = labelled(0);
    let (mut test, test_labels) = labelled(1);
    let standardize = Standardize::fit(&train);
    standardize.apply(&mut train);
    standardize.apply(&mut test);
    let weights = fit_logistic(&train, &train_labels);
    let right = test
        .iter()
        .zip(&test_labels)
        .filter(|(x, label)| (score(&weights, x) > 0.0) == (**label > 0.5))
        .count();
    Some(TwoSample {
        accuracy: right as f64 / test.len() as f64,
        tested: test.len(),
    })
}

/// Each feature's mean and standard deviation on the training half; a
/// constant feature (a pixel that is -1 in every training digit) maps to 0.
struct Standardize {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Standardize {
    fn fit(rows: &[Vec<f64>]) -> Self {
        let columns = rows[0].len();
        let count = rows.len() as f64;
        let mean: Vec<f64> = (0..columns)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / count)
            .collect();
        let scale = (0..columns)
            .map(|j| {
                let variance = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / count;
                if variance > 1e-12 {
                    1.0 / variance.sqrt()
                } else {
                    0.0
                }
            })
            .collect();
        Self { mean, scale }
    }

    fn apply(&self, rows: &mut [Vec<f64>]) {
        for row in rows {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) * s;
            }
        }
    }
}

/// w . x + bias (the bias is the last weight).
fn score(weights: &[f64], x: &[f64]) -> f64 {
    let (bias, w) = weights.split_last().expect("a bias");
    w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + bias
}

/// Gradient of the mean logistic loss plus PENALTY/2 |w|^2 (bias unpenalized).
fn gradient(weights: &[f64], rows: &[Vec<f64>], labels: &[f64]) -> Vec<f64> {
    let mut grad = vec![0.0; weights.len()];
    let count = rows.len() as f64;
    for (x, y) in rows.iter().zip(labels) {
        let residual = (1.0 / (1.0 + (-score(weights, x)).exp()) - y) / count;
        grad.iter_mut().zip(x).for_each(|(g, x)| *g += residual * x);
        *grad.last_mut().expect("a bias") += residual;
    }
    let penalized = weights.len() - 1;
    grad.iter_mut()
        .zip(weights)
        .take(penalized)
        .for_each(|(g, w)| *g += PENALTY * w);
    grad
}

/// The largest eigenvalue of X^T X / n with a column of ones for the bias, by
/// power iteration: the logistic loss is (1/4 of it)-smooth.
fn gram_top_eigenvalue(rows: &[Vec<f64>]) -> f64 {
    let columns = rows[0].len() + 1;
    let mut v = vec![1.0 / (columns as f64).sqrt(); columns];
    let mut eigenvalue = 0.0;
    for _ in 0..POWER_ITERATIONS {
        let mut next = vec![0.0; columns];
        for x in rows {
            let dot = score(&v, x);
            next.iter_mut().zip(x).for_each(|(n, x)| *n += dot * x);
            *next.last_mut().expect("a bias") += dot;
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt() / rows.len() as f64;
        if norm == 0.0 {
            return 0.0;
        }
        eigenvalue = norm;
        v = next
            .iter()
            .map(|x| x / (norm * rows.len() as f64))
            .collect();
    }
    eigenvalue
}

/// Minimizes the penalized logistic loss (labels 0 or 1) by Nesterov's
/// accelerated gradient from zero weights.
fn fit_logistic(rows: &[Vec<f64>], labels: &[f64]) -> Vec<f64> {
    let columns = rows[0].len() + 1;
    // Power iteration from below: a margin keeps the step inside 1/L.
    let smoothness = 1.1 * gram_top_eigenvalue(rows) / 4.0 + PENALTY;
    let step = 1.0 / smoothness;
    let mut weights = vec![0.0; columns];
    let mut previous = weights.clone();
    for k in 0..ITERATIONS {
        let momentum = k as f64 / (k as f64 + 3.0);
        let lookahead: Vec<f64> = weights
            .iter()
            .zip(&previous)
            .map(|(w, p)| w + momentum * (w - p))
            .collect();
        let grad = gradient(&lookahead, rows, labels);
        previous = std::mem::replace(
            &mut weights,
            lookahead
                .iter()
                .zip(&grad)
                .map(|(w, g)| w - step * g)
                .collect(),
        );
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermolab_core::rng::CounterRng;

    fn normal_points(
        rng: CounterRng,
        n: usize,
        dims: usize,
        stream: u32,
        shift: f64,
        spread: f64,
    ) -> Vec<f64> {
        (0..n * dims)
            .map(|i| shift + spread * f64::from(rng.normal(i as u32, 0, stream)))
            .collect()
    }

    #[test]
    fn two_draws_of_one_distribution_cannot_be_told_apart() {
        let rng = CounterRng::new(3);
        let (a, b) = (
            normal_points(rng, 1000, 20, 1, 0.0, 1.0),
            normal_points(rng, 1000, 20, 2, 0.0, 1.0),
        );
        let test = classifier_two_sample(&a, &b, 20).unwrap();
        assert_eq!(test.tested, 1000);
        // Within three standard deviations of chance, 1.5 / sqrt(1000) = 0.047.
        assert!(
            (test.accuracy - 0.5).abs() < 1.5 * test.chance_band(),
            "{test:?}"
        );
    }

    #[test]
    fn a_shift_of_the_mean_is_told_at_the_bayes_accuracy() {
        // N(0, I) against N(delta, I) in 20 dimensions: the best rule thresholds
        // the sum, and is right Phi(|delta| / 2) of the time; |delta| = 1.5
        // (0.335 per coordinate) gives Phi(0.75) = 0.773.
        let rng = CounterRng::new(4);
        let shift = 1.5 / 20f64.sqrt();
        let (a, b) = (
            normal_points(rng, 2000, 20, 1, shift, 1.0),
            normal_points(rng, 2000, 20, 2, 0.0, 1.0),
        );
        let test = classifier_two_sample(&a, &b, 20).unwrap();
        assert!((test.accuracy - 0.773).abs() < 0.03, "{test:?}");
    }

    #[test]
    fn a_change_of_spread_alone_is_seen_through_the_squares() {
        // Same mean, standard deviation 2 against 1: no linear rule in x tells
        // them apart; the sum of the squares is right 93% of the time (the
        // chi-square likelihood ratio in 10 dimensions).
        let rng = CounterRng::new(5);
        let (a, b) = (
            normal_points(rng, 1000, 10, 1, 0.0, 2.0),
            normal_points(rng, 1000, 10, 2, 0.0, 1.0),
        );
        let test = classifier_two_sample(&a, &b, 10).unwrap();
        assert!(test.accuracy > 0.88, "{test:?}");
    }

    #[test]
    fn too_few_points_give_no_answer() {
        assert_eq!(classifier_two_sample(&[0.0], &[1.0, 2.0], 1), None);
    }
}
