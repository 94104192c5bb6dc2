//! Ridge regression of targets on features, per run, kept as the inverse Gram
//! matrix A^-1 (A = lambda I + sum x x^T) and b = sum r x, updated in O(d^2)
//! by the Sherman-Morrison formula instead of re-inverting A each round. The
//! Bandits lab's linear algorithms and the Linear MDP lab's least-squares
//! value iteration (one regression per seed and step h) share it.

/// A^-1 and b of every run, run-major.
pub struct Ridge {
    pub dim: usize,
    a_inv: Vec<f64>,
    b: Vec<f64>,
}

impl Ridge {
    pub fn new(runs: usize, dim: usize, lambda: f64) -> Self {
        let mut a_inv = vec![0.0; runs * dim * dim];
        for run in 0..runs {
            for i in 0..dim {
                a_inv[run * dim * dim + i * dim + i] = 1.0 / lambda;
            }
        }
        Self {
            dim,
            a_inv,
            b: vec![0.0; runs * dim],
        }
    }

    pub fn a_inv(&self, run: usize) -> &[f64] {
        &self.a_inv[run * self.dim * self.dim..(run + 1) * self.dim * self.dim]
    }

    /// A^-1 and b of every run, run-major (d x d and d each).
    pub fn tables(&self) -> (&[f64], &[f64]) {
        (&self.a_inv, &self.b)
    }

    /// A^-1 v.
    pub fn apply(&self, run: usize, v: &[f64]) -> Vec<f64> {
        self.a_inv(run)
            .chunks_exact(self.dim)
            .map(|row| row.iter().zip(v).map(|(a, x)| a * x).sum())
            .collect()
    }

    /// The estimate theta_hat = A^-1 b.
    pub fn theta(&self, run: usize) -> Vec<f64> {
        self.apply(run, &self.b[run * self.dim..(run + 1) * self.dim])
    }

    /// ||x||_{A^-1} = sqrt(x^T A^-1 x): how uncertain the estimate is along x.
    pub fn width(&self, run: usize, x: &[f64]) -> f64 {
        let ax = self.apply(run, x);
        ax.iter()
            .zip(x)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .max(0.0)
            .sqrt()
    }

    /// Adds the observation (x, r): A += x x^T by Sherman-Morrison, b += r x.
    /// Returns A^-1 x before the update and 1 + x^T A^-1 x, with which a
    /// caller updates its own quadratic forms phi^T A^-1 phi in O(d).
    pub fn observe(&mut self, run: usize, x: &[f64], reward: f64) -> (Vec<f64>, f64) {
        let d = self.dim;
        let ax = self.apply(run, x);
        let denominator = 1.0 + ax.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
        let a_inv = &mut self.a_inv[run * d * d..(run + 1) * d * d];
        for i in 0..d {
            for j in 0..d {
                a_inv[i * d + j] -= ax[i] * ax[j] / denominator;
            }
        }
        let b = &mut self.b[run * d..(run + 1) * d];
        b.iter_mut().zip(x).for_each(|(bi, xi)| *bi += reward * xi);
        (ax, denominator)
    }

    /// Changes the ridge penalty of every run from `old` to `new` without
    /// the data: A = (A^-1)^-1, then (A + (new - old) I)^-1. Two inversions
    /// of d x d per run, for a live change of lambda.
    pub fn set_lambda(&mut self, old: f64, new: f64) {
        let d = self.dim;
        for a_inv in self.a_inv.chunks_exact_mut(d * d) {
            let mut a = invert_spd(a_inv, d);
            (0..d).for_each(|i| a[i * d + i] += new - old);
            a_inv.copy_from_slice(&invert_spd(&a, d));
        }
    }

    /// The lower-triangular L with L L^T = A^-1 (Cholesky), for sampling
    /// from N(theta_hat, v^2 A^-1). Rounding that makes a pivot slightly
    /// negative is clamped to zero.
    pub fn cholesky(&self, run: usize) -> Vec<f64> {
        let d = self.dim;
        let a = self.a_inv(run);
        let mut l = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let partial: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
                if i == j {
                    l[i * d + i] = (a[i * d + i] - partial).max(0.0).sqrt();
                } else if l[j * d + j] > 0.0 {
                    l[i * d + j] = (a[i * d + j] - partial) / l[j * d + j];
                }
            }
        }
        l
    }
}

/// The inverse of a symmetric positive definite d x d matrix (row-major), by
/// Gauss-Jordan elimination with partial pivoting; a pivot that rounding
/// made zero leaves its row and column zero rather than dividing by it.
pub fn invert_spd(matrix: &[f64], d: usize) -> Vec<f64> {
    let mut a = matrix.to_vec();
    let mut inv = vec![0.0; d * d];
    (0..d).for_each(|i| inv[i * d + i] = 1.0);
    for col in 0..d {
        let pivot_row = (col..d)
            .max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))
            .unwrap_or(col);
        if pivot_row != col {
            for k in 0..d {
                a.swap(col * d + k, pivot_row * d + k);
                inv.swap(col * d + k, pivot_row * d + k);
            }
        }
        let pivot = a[col * d + col];
        if pivot.abs() < 1e-300 {
            continue;
        }
        for k in 0..d {
            a[col * d + k] /= pivot;
            inv[col * d + k] /= pivot;
        }
        for row in (0..d).filter(|r| *r != col) {
            let f = a[row * d + col];
            if f != 0.0 {
                for k in 0..d {
                    a[row * d + k] -= f * a[col * d + k];
                    inv[row * d + k] -= f * inv[col * d + k];
                }
            }
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gauss-Jordan inverse without pivoting, an independent reference.
    fn invert(mut a: Vec<f64>, d: usize) -> Vec<f64> {
        let mut inv = vec![0.0; d * d];
        (0..d).for_each(|i| inv[i * d + i] = 1.0);
        for col in 0..d {
            let pivot = a[col * d + col];
            for k in 0..d {
                a[col * d + k] /= pivot;
                inv[col * d + k] /= pivot;
            }
            for row in (0..d).filter(|r| *r != col) {
                let f = a[row * d + col];
                for k in 0..d {
                    a[row * d + k] -= f * a[col * d + k];
                    inv[row * d + k] -= f * inv[col * d + k];
                }
            }
        }
        inv
    }

    #[test]
    fn sherman_morrison_matches_a_direct_inverse_and_least_squares() {
        let (d, lambda) = (3, 0.5);
        let xs = [
            [1.0, 0.2, -0.3],
            [0.1, -1.0, 0.4],
            [0.5, 0.5, 0.5],
            [-0.2, 0.3, 1.0],
        ];
        let rs = [0.7, -0.2, 0.9, 0.1];
        let mut ridge = Ridge::new(2, d, lambda);
        let mut a = vec![0.0; d * d];
        (0..d).for_each(|i| a[i * d + i] = lambda);
        let mut b = vec![0.0; d];
        for (x, r) in xs.iter().zip(rs) {
            ridge.observe(1, x, r);
            for i in 0..d {
                b[i] += r * x[i];
                for j in 0..d {
                    a[i * d + j] += x[i] * x[j];
                }
            }
        }
        let inv = invert(a, d);
        for (got, want) in ridge.a_inv(1).iter().zip(&inv) {
            assert!((got - want).abs() < 1e-12);
        }
        let theta: Vec<f64> = inv
            .chunks_exact(d)
            .map(|row| row.iter().zip(&b).map(|(a, x)| a * x).sum())
            .collect();
        for (got, want) in ridge.theta(1).iter().zip(&theta) {
            assert!((got - want).abs() < 1e-12);
        }
        // Run 0 saw nothing: A^-1 = I / lambda.
        assert_eq!(ridge.width(0, &[1.0, 0.0, 0.0]), (1.0f64 / lambda).sqrt());
        let l = ridge.cholesky(1);
        for i in 0..d {
            for j in 0..d {
                let llt: f64 = (0..d).map(|k| l[i * d + k] * l[j * d + k]).sum();
                assert!((llt - inv[i * d + j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_live_change_of_lambda_is_a_fresh_regression_with_the_new_lambda() {
        let xs = [[1.0, 0.2, -0.3], [0.1, -1.0, 0.4], [0.5, 0.5, 0.5]];
        let mut changed = Ridge::new(1, 3, 0.5);
        let mut fresh = Ridge::new(1, 3, 4.0);
        for x in &xs {
            changed.observe(0, x, 1.0);
            fresh.observe(0, x, 1.0);
        }
        changed.set_lambda(0.5, 4.0);
        for (got, want) in changed.a_inv(0).iter().zip(fresh.a_inv(0)) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let identity = invert_spd(&invert_spd(&[2.0, 1.0, 1.0, 3.0], 2), 2);
        for (got, want) in identity.iter().zip([2.0, 1.0, 1.0, 3.0]) {
            assert!((got - want).abs() < 1e-12);
        }
    }
}
