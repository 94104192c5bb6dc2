//! The nearest-class-mean judge of the Digits lab, on the shared MNIST
//! digits of [`thermolab_core::digits`].

pub use thermolab_core::digits::{CLASSES, DIGITS_FILE, Digits};

/// The nearest class mean of the data, in pixel space: a fixed, independent
/// judge of which digit an image looks like. It is right on most real digits
/// (see [`NearestMean::accuracy_on_data`]), so a conditional model whose
/// samples of class k it reads as k has learned something of class k.
pub struct NearestMean {
    means: Vec<Vec<f64>>,
}

impl NearestMean {
    pub fn fit(digits: &Digits) -> Self {
        let dims = digits.dims();
        let mut means = vec![vec![0.0; dims]; CLASSES];
        let mut counts = [0usize; CLASSES];
        for i in 0..digits.len() {
            let label = digits.label(i);
            counts[label] += 1;
            for (m, v) in means[label].iter_mut().zip(digits.scaled(i)) {
                *m += v;
            }
        }
        for (mean, count) in means.iter_mut().zip(counts) {
            mean.iter_mut().for_each(|m| *m /= count.max(1) as f64);
        }
        Self { means }
    }

    pub fn classify(&self, image: &[f64]) -> usize {
        let distance =
            |mean: &[f64]| -> f64 { mean.iter().zip(image).map(|(m, x)| (m - x).powi(2)).sum() };
        (0..CLASSES)
            .min_by(|a, b| distance(&self.means[*a]).total_cmp(&distance(&self.means[*b])))
            .unwrap_or(0)
    }

    /// The share of `images` (flat) it reads as their `labels`.
    pub fn agreement(&self, images: &[f64], labels: &[usize]) -> f64 {
        let dims = self.means[0].len();
        let hits = images
            .chunks_exact(dims)
            .zip(labels)
            .filter(|(image, label)| self.classify(image) == **label)
            .count();
        hits as f64 / labels.len().max(1) as f64
    }

    /// Its agreement with the true labels on every `stride`-th digit.
    pub fn accuracy_on_data(&self, digits: &Digits, stride: usize) -> f64 {
        let indices: Vec<usize> = (0..digits.len()).step_by(stride.max(1)).collect();
        let labels: Vec<usize> = indices.iter().map(|i| digits.label(*i)).collect();
        self.agreement(&digits.batch(&indices), &labels)
    }
}
