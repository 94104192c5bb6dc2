//! Metric series that stay small however long a run goes.
//!
//! A series keeps at most `capacity` buckets. Each bucket summarises `stride`
//! consecutive entries (mean, min, max); when the buckets fill up, neighbours are
//! merged pairwise and the stride doubles. An entry is one point, or one
//! already-summarised range such as the spread of a step's repeats. Memory is O(capacity), each push is
//! amortised O(1), the overall mean, min and max are exact, and a chart of a
//! million steps still gets its spikes (min/max) drawn.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// x of the bucket's first entry.
    pub x: f64,
    /// Mean of the entries' means.
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Entries merged into this bucket.
    pub count: u64,
}

impl Bucket {
    fn merge(self, other: Bucket) -> Self {
        let count = self.count + other.count;
        Self {
            x: self.x,
            mean: (self.mean * self.count as f64 + other.mean * other.count as f64) / count as f64,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            count,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    capacity: usize,
    stride: u64,
    buckets: Vec<Bucket>,
    /// The bucket being filled, not yet `stride` points long.
    open: Option<Bucket>,
}

impl Series {
    /// `capacity` is rounded up to an even number of at least 2.
    pub fn new(name: &str, capacity: usize) -> Self {
        let capacity = capacity.max(2).next_multiple_of(2);
        Self {
            name: name.to_string(),
            capacity,
            stride: 1,
            buckets: Vec::with_capacity(capacity),
            open: None,
        }
    }

    pub fn push(&mut self, x: f64, y: f64) {
        self.push_range(x, y, y, y);
    }

    /// One entry that already spans `[min, max]` around `mean`.
    pub fn push_range(&mut self, x: f64, mean: f64, min: f64, max: f64) {
        let entry = Bucket {
            x,
            mean,
            min,
            max,
            count: 1,
        };
        let bucket = match self.open.take() {
            Some(open) => open.merge(entry),
            None => entry,
        };
        if bucket.count < self.stride {
            self.open = Some(bucket);
            return;
        }
        self.buckets.push(bucket);
        if self.buckets.len() == self.capacity {
            self.buckets = self
                .buckets
                .chunks_exact(2)
                .map(|pair| pair[0].merge(pair[1]))
                .collect();
            self.stride *= 2;
        }
    }

    /// Closed buckets and the open one, in order.
    pub fn buckets(&self) -> Vec<Bucket> {
        self.buckets.iter().copied().chain(self.open).collect()
    }

    pub fn last(&self) -> Option<Bucket> {
        self.open.or_else(|| self.buckets.last().copied())
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty() && self.open.is_none()
    }

    pub fn clear(&mut self) {
        *self = Self::new(&self.name, self.capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_is_kept_exactly() {
        let mut s = Series::new("loss", 8);
        for i in 0..5 {
            s.push(i as f64, (i * i) as f64);
        }
        let b = s.buckets();
        assert_eq!(b.len(), 5);
        assert_eq!(b[3].mean, 9.0);
        assert!(b.iter().all(|b| b.count == 1));
    }

    #[test]
    fn long_series_stays_bounded_and_keeps_mean_min_max() {
        let mut s = Series::new("y", 100);
        let n = 100_003u64;
        let y = |i: u64| ((i * 7919) % 1000) as f64 - 500.0;
        let mut sum = 0.0;
        for i in 0..n {
            sum += y(i);
            s.push(i as f64, y(i));
        }
        let b = s.buckets();
        assert!(b.len() <= 101, "{} buckets", b.len());
        assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), n);
        let mean: f64 = b.iter().map(|b| b.mean * b.count as f64).sum::<f64>() / n as f64;
        assert!((mean - sum / n as f64).abs() < 1e-9);
        assert_eq!(
            b.iter().map(|b| b.min).fold(f64::INFINITY, f64::min),
            -500.0
        );
        assert_eq!(
            b.iter().map(|b| b.max).fold(f64::NEG_INFINITY, f64::max),
            499.0
        );
        // Buckets are in order of x.
        assert!(b.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn ranges_keep_their_spread() {
        let mut s = Series::new("gbps", 4);
        for i in 0..9 {
            s.push_range(i as f64, 10.0, 8.0 - i as f64, 12.0 + i as f64);
        }
        let b = s.buckets();
        assert!(b.iter().all(|b| b.mean == 10.0));
        assert_eq!(b.iter().map(|b| b.min).fold(f64::INFINITY, f64::min), 0.0);
        assert_eq!(
            b.iter().map(|b| b.max).fold(f64::NEG_INFINITY, f64::max),
            20.0
        );
    }

    #[test]
    fn a_spike_survives_downsampling() {
        let mut s = Series::new("y", 16);
        for i in 0..10_000 {
            s.push(i as f64, if i == 6_543 { 1e6 } else { 0.0 });
        }
        assert!(s.buckets().iter().any(|b| b.max == 1e6));
    }
}
