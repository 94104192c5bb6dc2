//! What the page reads off a run: pass@k, the reward-entropy law and the
//! first-order entropy change.
//!
//! - pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on
//!   Code", eq. 1): from n answers of which c are right, the unbiased
//!   1 - C(n - c, k) / C(n, k).
//! - R = -a e^H + b (Cui et al. 2025, "The Entropy Mechanism...", eq. 1):
//!   reward traded for entropy; fitted by least squares, linear in e^H.
//! - The entropy change of one update (Cui et al. 2025, Lemma 1): for a
//!   softmax law moved by a logit change dz, dH = -Cov_{a ~ pi}(log pi(a),
//!   dz(a)) to first order; measured on the device for every sampled state.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};

/// Unbiased pass@k of `n` answers with `correct` right ones.
pub fn pass_at_k(n: usize, correct: usize, k: usize) -> f64 {
    if n - correct < k {
        return 1.0;
    }
    // C(n - c, k) / C(n, k) = prod_{i = n - c + 1}^{n} (1 - k / i)
    let miss: f64 = ((n - correct + 1)..=n)
        .map(|i| 1.0 - k as f64 / i as f64)
        .product();
    1.0 - miss
}

/// The least-squares fit of R = -a e^H + b to (H, R) pairs: (a, b), or
/// None with fewer than two distinct entropies.
pub fn fit_reward_entropy(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|(h, _)| h.exp()).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_r = points.iter().map(|(_, r)| r).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    if points.len() < 2 || sxx <= 1e-12 * n {
        return None;
    }
    let sxr: f64 = xs
        .iter()
        .zip(points)
        .map(|(x, (_, r))| (x - mean_x) * (r - mean_r))
        .sum();
    let slope = sxr / sxx;
    Some((-slope, mean_r - slope * mean_x))
}

/// The first-order entropy change -Cov_pi(log pi, dz) of each row, from
/// the logits before and after an update [S, R, V], averaged per seed [S].
pub fn predicted_entropy_change(before: Tensor<3>, after: Tensor<3>) -> Tensor<1> {
    let [s, m, _] = before.dims();
    let p = softmax(before.clone(), 2);
    let log_p = log_softmax(before.clone(), 2);
    let dz = after - before;
    let expected = |t: Tensor<3>| (p.clone() * t).sum_dim(2);
    let covariance = expected(log_p.clone() * dz.clone()) - expected(log_p) * expected(dz);
    -covariance.reshape([s, m]).mean_dim(1).reshape([s])
}
