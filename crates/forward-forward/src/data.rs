//! The data every rule sees: the shipped 14 x 14 digits split once into
//! 8,000 training and 2,000 held-out digits (every fifth digit of each
//! class held out: the file is sorted by class), batches drawn by the seed,
//! the label written into the image for the forward-forward rules, and
//! their negative data (Hinton 2022, sections 3.2-3.3).

use thermolab_core::digits::{CLASSES, Digits};
use thermolab_core::rng::CounterRng;

/// Pixels that carry the one-hot label in a forward-forward input: the
/// first row's first ten (Hinton 2022, section 3.3).
pub const LABEL_PIXELS: usize = CLASSES;
/// Counter streams of the batch draws and of the negative data: partner
/// tries use 3 + 256 k and mask pixels 4 + 4 p, apart by their residue mod 4.
const BATCH_STREAM: u32 = 1;
const WRONG_LABEL_STREAM: u32 = 2;
const PARTNER_STREAM: u32 = 3;
const MASK_STREAM: u32 = 4;
/// Blurs of the random bit image before the threshold (Hinton 2022, 3.2).
const MASK_BLURS: usize = 6;

/// Digit indices of each part.
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

impl Split {
    pub fn of(digits: &Digits) -> Self {
        let (test, train) = (0..digits.len()).partition(|i| i % 5 == 4);
        Self { train, test }
    }

    /// Step `step`'s batch: `size` training digits drawn uniformly with
    /// replacement by the seed's counter numbers.
    pub fn batch(&self, rng: CounterRng, step: u64, size: usize) -> Vec<usize> {
        (0..size)
            .map(|i| {
                let u = f64::from(rng.uniform(i as u32, step as u32, BATCH_STREAM));
                self.train[((u * self.train.len() as f64) as usize).min(self.train.len() - 1)]
            })
            .collect()
    }
}

/// The pen's reach, in the drawing's units ([-1, 1] across, a pixel 1/7):
/// a line of points 0.08 apart inks two pixels across, as the 14 x 14
/// digits' strokes are; at 0.09 the shipped backprop read a long vertical
/// stroke as an 8, at 0.07 every rule reads it as a 1.
const PEN_SIGMA: f64 = 0.07;

/// A drawing (points in [-1, 1]^2, y up) as a `side` x `side` image, rows
/// from the top, ink in [0, 1]: each pixel sums a Gaussian of every point
/// at its centre, capped at 1. Whatever the points, the image is valid.
pub fn rasterize(points: &[[f64; 2]], side: usize) -> Vec<f32> {
    let cell = 2.0 / side as f64;
    (0..side * side)
        .map(|p| {
            let (row, column) = (p / side, p % side);
            let x = -1.0 + (column as f64 + 0.5) * cell;
            let y = 1.0 - (row as f64 + 0.5) * cell;
            let ink: f64 = points
                .iter()
                .map(|q| {
                    let distance2 = (q[0] - x).powi(2) + (q[1] - y).powi(2);
                    (-distance2 / (2.0 * PEN_SIGMA * PEN_SIGMA)).exp()
                })
                .sum();
            if ink.is_nan() {
                0.0
            } else {
                ink.clamp(0.0, 1.0) as f32
            }
        })
        .collect()
}

/// The images of `indices`, ink in [0, 1], flat.
pub fn images(digits: &Digits, indices: &[usize]) -> Vec<f32> {
    indices.iter().flat_map(|&i| digits.ink(i)).collect()
}

/// Writes `label` one-hot into the first [`LABEL_PIXELS`] pixels of `image`.
pub fn write_label(image: &mut [f32], label: usize) {
    for (c, pixel) in image[..LABEL_PIXELS].iter_mut().enumerate() {
        *pixel = if c == label { 1.0 } else { 0.0 };
    }
}

/// `images` (rows of `dims`) with `labels` written in.
pub fn labelled(images: &[f32], labels: &[usize], dims: usize) -> Vec<f32> {
    let mut out = images.to_vec();
    for (image, label) in out.chunks_exact_mut(dims).zip(labels) {
        write_label(image, *label);
    }
    out
}

/// A uniformly random label other than `label`: draw `i` of step `step`.
pub fn random_wrong_label(rng: CounterRng, step: u64, i: usize, label: usize) -> usize {
    let u = f64::from(rng.uniform(i as u32, step as u32, WRONG_LABEL_STREAM));
    let offset = 1 + ((u * (CLASSES - 1) as f64) as usize).min(CLASSES - 2);
    (label + offset) % CLASSES
}

/// Hinton's mask for hybrid images (2022, section 3.2): a random bit image
/// blurred [`MASK_BLURS`] times with [1/4, 1/2, 1/4] along rows and along
/// columns, then thresholded at 0.5.
pub fn hybrid_mask(rng: CounterRng, step: u64, i: usize, side: usize) -> Vec<f32> {
    let mut mask: Vec<f32> = (0..side * side)
        .map(|p| {
            let u = rng.uniform(i as u32, step as u32, MASK_STREAM + 4 * p as u32);
            if u < 0.5 { 0.0 } else { 1.0 }
        })
        .collect();
    let at = |m: &[f32], x: isize, y: isize| {
        let clamp = |v: isize| v.clamp(0, side as isize - 1) as usize;
        m[clamp(y) * side + clamp(x)]
    };
    for _ in 0..MASK_BLURS {
        for (dx, dy) in [(1, 0), (0, 1)] {
            let previous = mask.clone();
            for y in 0..side as isize {
                for x in 0..side as isize {
                    mask[y as usize * side + x as usize] = 0.25 * at(&previous, x - dx, y - dy)
                        + 0.5 * at(&previous, x, y)
                        + 0.25 * at(&previous, x + dx, y + dy);
                }
            }
        }
    }
    mask.iter()
        .map(|m| if *m > 0.5 { 1.0 } else { 0.0 })
        .collect()
}

/// Step `step`'s mixed negatives: each image blended by a hybrid mask with
/// a training digit of another class, carrying the image's own label.
pub fn mixed_images(
    digits: &Digits,
    split: &Split,
    (rng, step): (CounterRng, u64),
    indices: &[usize],
) -> Vec<f32> {
    let side = digits.side();
    let mut out = Vec::with_capacity(indices.len() * side * side);
    for (i, &index) in indices.iter().enumerate() {
        let label = digits.label(index);
        // Up to 32 tries for a partner of another class; the classes are
        // balanced, so the first nearly always is.
        let partner = (0..32u32)
            .map(|k| {
                let u = f64::from(rng.uniform(i as u32, step as u32, PARTNER_STREAM + (k << 8)));
                split.train[((u * split.train.len() as f64) as usize).min(split.train.len() - 1)]
            })
            .find(|p| digits.label(*p) != label)
            .unwrap_or(index);
        let mask = hybrid_mask(rng, step, i, side);
        let mut image: Vec<f32> = digits
            .ink(index)
            .zip(digits.ink(partner))
            .zip(&mask)
            .map(|((a, b), m)| m * a + (1.0 - m) * b)
            .collect();
        write_label(&mut image, label);
        out.extend(image);
    }
    out
}
