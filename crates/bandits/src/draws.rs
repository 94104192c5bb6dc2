//! The random numbers of one run at one step, drawn from the shared
//! counter-based RNG: word `i` of stream block `s` is lane `i % 4` of
//! `words(run, step, s + i / 4)`. A pure function of its counters, so any run
//! and step can be replayed, and a GPU kernel can draw the same numbers.

use thermolab_core::rng::{CounterRng, normal_f32, unit_f32, unit_open_f32};

/// Each algorithm slot draws from its own block of RNG streams, far from the
/// environment's streams 0..arms.
pub fn slot_stream(slot: usize) -> u32 {
    (1 << 16) * (slot as u32 + 1)
}

pub struct Draws {
    rng: CounterRng,
    run: u32,
    step: u32,
    stream: u32,
    block: [u32; 4],
    used: usize,
}

impl Draws {
    pub fn new(rng: CounterRng, run: u32, step: u32, stream: u32) -> Self {
        Self {
            rng,
            run,
            step,
            stream,
            block: [0; 4],
            used: 4,
        }
    }

    pub fn word(&mut self) -> u32 {
        if self.used == 4 {
            self.block = self.rng.words(self.run, self.step, self.stream);
            self.stream = self.stream.wrapping_add(1);
            self.used = 0;
        }
        self.used += 1;
        self.block[self.used - 1]
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        f64::from(unit_f32(self.word()))
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn uniform_open(&mut self) -> f64 {
        f64::from(unit_open_f32(self.word()))
    }

    pub fn normal(&mut self) -> f64 {
        let (a, b) = (self.word(), self.word());
        f64::from(normal_f32(a, b))
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang, "A Simple Method for Generating
    /// Gamma Variables", ACM TOMS 26(3), 2000; shape < 1 by boosting with U^(1/shape).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.uniform_open().powf(1.0 / shape);
            return self.gamma(shape + 1.0) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform_open();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }

    /// An index drawn from `probs` (which sum to 1) by inversion.
    pub fn categorical(&mut self, probs: &[f64]) -> usize {
        let u = self.uniform();
        let mut acc = 0.0;
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if u < acc {
                return i;
            }
        }
        // Rounding can leave the sum a hair under u.
        probs.iter().rposition(|p| *p > 0.0).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(run: u32) -> Draws {
        Draws::new(CounterRng::new(11), run, 0, 0)
    }

    #[test]
    fn words_replay_the_counter_rng_lane_by_lane() {
        let rng = CounterRng::new(11);
        let mut d = draws(3);
        let got: Vec<u32> = (0..8).map(|_| d.word()).collect();
        let mut want = rng.words(3, 0, 0).to_vec();
        want.extend(rng.words(3, 0, 1));
        assert_eq!(got, want);
    }

    #[test]
    fn gamma_and_beta_have_their_closed_form_moments() {
        let n = 20_000;
        for shape in [0.5, 1.0, 3.0, 40.0] {
            let xs: Vec<f64> = (0..n).map(|r| draws(r).gamma(shape)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // Gamma(k, 1): mean k, variance k.
            assert!(
                (mean - shape).abs() < 0.05 * shape.max(1.0),
                "shape {shape}: mean {mean}"
            );
            assert!(
                (var - shape).abs() < 0.1 * shape.max(1.0),
                "shape {shape}: var {var}"
            );
        }
        let (a, b) = (2.0, 5.0);
        let mean = (0..n).map(|r| draws(r).beta(a, b)).sum::<f64>() / n as f64;
        assert!((mean - a / (a + b)).abs() < 0.01, "beta mean {mean}");
    }

    #[test]
    fn categorical_follows_its_probabilities() {
        let probs = [0.1, 0.0, 0.6, 0.3];
        let n = 20_000;
        let mut counts = [0usize; 4];
        for r in 0..n {
            counts[draws(r).categorical(&probs)] += 1;
        }
        assert_eq!(counts[1], 0);
        for (c, p) in counts.iter().zip(probs) {
            assert!((*c as f64 / n as f64 - p).abs() < 0.015, "{counts:?}");
        }
    }
}
