//! The 2-D distributions of the playground, all scaled to about [-2, 2]^2,
//! a Gaussian mixture whose noised score is known exactly, and the user's
//! drawing, smoothed into a density (a Gaussian around each drawn point).
//!
//! Every point is a function of (seed, index, draw) through the counter RNG,
//! so the CLI and the browser train on the same points.

use std::f64::consts::PI;

use thermolab_core::rng::CounterRng;
use thermolab_kit::choices;

choices! {
    /// The 2-D distribution the model learns.
    pub enum Dataset {
        /// The toy of "Deep Unsupervised Learning using Nonequilibrium Thermodynamics".
        SwissRoll = ("swiss_roll", "Swiss roll"),
        TwoMoons = ("two_moons", "Two moons"),
        EightGaussians = ("eight_gaussians", "8 Gaussians"),
        Checkerboard = ("checkerboard", "Checkerboard"),
        Mixture = ("mixture", "Gaussian mixture (exact score)"),
        /// Points drawn by the user, each blurred by [`DRAWING_BANDWIDTH`].
        Drawing = ("drawing", "Your drawing (click or drag on the samples chart)"),
    }
}

/// Standard deviation of the Gaussian around each drawn point: the drawing's
/// kernel density estimate.
pub const DRAWING_BANDWIDTH: f64 = 0.08;

impl Dataset {
    /// Point `index` of draw `draw` (a training step, or a fixed draw for
    /// views); `drawing` is used by [`Dataset::Drawing`] only and must then
    /// hold a point.
    pub fn point(self, drawing: &[[f64; 2]], rng: CounterRng, index: u32, draw: u32) -> [f64; 2] {
        let u = |stream: u32| f64::from(rng.uniform(index, draw, stream));
        let n = |stream: u32| f64::from(rng.normal(index, draw, stream));
        match self {
            Self::SwissRoll => {
                let [x, y] = swiss_roll_spiral(u(0));
                [x + SWISS_ROLL_NOISE * n(1), y + SWISS_ROLL_NOISE * n(2)]
            }
            Self::TwoMoons => {
                let [x, y] = two_moons_arc(u(0), u(3) < 0.5);
                [x + TWO_MOONS_NOISE * n(1), y + TWO_MOONS_NOISE * n(2)]
            }
            Self::EightGaussians => {
                let [x, y] = eight_gaussians_centre((u(0) * 8.0).floor().min(7.0));
                [x + 0.1 * n(1), y + 0.1 * n(2)]
            }
            Self::Checkerboard => {
                // FFJORD's checkerboard, halved: 8 unit squares of [-2, 2]^2.
                let x = 4.0 * u(0) - 2.0;
                let column = x.floor().rem_euclid(2.0);
                let y = u(1) - 2.0 * (u(2) * 2.0).floor().min(1.0) + column;
                [x, y]
            }
            Self::Mixture => MIXTURE.sample(u(0), [n(1), n(2)]),
            Self::Drawing => {
                let k = ((u(0) * drawing.len() as f64) as usize).min(drawing.len() - 1);
                let [x, y] = drawing[k];
                [x + DRAWING_BANDWIDTH * n(1), y + DRAWING_BANDWIDTH * n(2)]
            }
        }
    }

    /// The curve or points the data is scattered around, as segments, where
    /// it is one: the swiss roll's spiral, the two moons' arcs, the eight
    /// centres, the drawn points. `None` for the areas (the checkerboard, the
    /// mixture's wide components).
    pub fn generating_set(self, drawing: &[[f64; 2]]) -> Option<Vec<[[f64; 2]; 2]>> {
        fn polyline(curve: impl Fn(f64) -> [f64; 2], pieces: usize) -> Vec<[[f64; 2]; 2]> {
            let at = |k: usize| curve(k as f64 / pieces as f64);
            (0..pieces).map(|k| [at(k), at(k + 1)]).collect()
        }
        let dots = |points: Vec<[f64; 2]>| points.into_iter().map(|p| [p, p]).collect();
        match self {
            // Pieces about 0.04 long: the chords stray from the curve by under 0.001.
            Self::SwissRoll => Some(polyline(swiss_roll_spiral, 400)),
            Self::TwoMoons => Some(
                [true, false]
                    .into_iter()
                    .flat_map(|upper| polyline(|u| two_moons_arc(u, upper), 100))
                    .collect(),
            ),
            Self::EightGaussians => Some(dots(
                (0..8)
                    .map(|k| eight_gaussians_centre(f64::from(k)))
                    .collect(),
            )),
            Self::Drawing if !drawing.is_empty() => Some(dots(drawing.to_vec())),
            Self::Drawing | Self::Checkerboard | Self::Mixture => None,
        }
    }

    /// `count` points of draw `draw`; none from an empty drawing.
    pub fn points(
        self,
        drawing: &[[f64; 2]],
        rng: CounterRng,
        count: usize,
        draw: u32,
    ) -> Vec<[f64; 2]> {
        if self == Self::Drawing && drawing.is_empty() {
            return Vec::new();
        }
        (0..count as u32)
            .map(|i| self.point(drawing, rng, i, draw))
            .collect()
    }
}

/// Standard deviation of the swiss roll's points around its spiral, per coordinate.
const SWISS_ROLL_NOISE: f64 = 0.05;
const TWO_MOONS_NOISE: f64 = 0.06;

/// The swiss roll's spiral at `u` in [0, 1]: theta (cos theta, sin theta) / 6
/// for theta from 1.5 pi to 4.5 pi.
fn swiss_roll_spiral(u: f64) -> [f64; 2] {
    let theta = 1.5 * PI * (1.0 + 2.0 * u);
    [theta * theta.cos() / 6.0, theta * theta.sin() / 6.0]
}

/// One of the two moons' half circles at `u` in [0, 1], scaled by 1.2 and centred.
fn two_moons_arc(u: f64, upper: bool) -> [f64; 2] {
    let angle = PI * u;
    let (x, y) = if upper {
        (angle.cos(), angle.sin())
    } else {
        (1.0 - angle.cos(), 0.5 - angle.sin())
    };
    [1.2 * (x - 0.5), 1.2 * (y - 0.25)]
}

/// Centre `k` of the eight Gaussians, on a circle of radius 1.5.
fn eight_gaussians_centre(k: f64) -> [f64; 2] {
    let angle = k * PI / 4.0;
    [1.5 * angle.cos(), 1.5 * angle.sin()]
}

/// An isotropic Gaussian mixture in 2-D.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    pub weights: &'static [f64],
    pub means: &'static [[f64; 2]],
    pub stds: &'static [f64],
}

pub const MIXTURE: GaussianMixture = GaussianMixture {
    weights: &[0.3, 0.3, 0.4],
    means: &[[-1.2, -0.6], [1.0, -0.8], [0.2, 1.2]],
    stds: &[0.25, 0.35, 0.2],
};

impl GaussianMixture {
    fn sample(&self, u: f64, normals: [f64; 2]) -> [f64; 2] {
        let mut cumulative = 0.0;
        let mut k = self.weights.len() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            cumulative += w;
            if u < cumulative {
                k = i;
                break;
            }
        }
        let [mx, my] = self.means[k];
        [
            mx + self.stds[k] * normals[0],
            my + self.stds[k] * normals[1],
        ]
    }

    /// Under x_t = alpha x_0 + sigma eps the marginal of x_t is again a
    /// mixture: means alpha mu_k, variances alpha^2 s_k^2 + sigma^2. Returns
    /// the posterior weight of each component at `x` and each variance.
    fn responsibilities(&self, x: [f64; 2], alpha: f64, sigma: f64) -> Vec<(f64, f64)> {
        let logs: Vec<(f64, f64)> = self
            .means
            .iter()
            .zip(self.stds)
            .zip(self.weights)
            .map(|((mu, s), w)| {
                let var = alpha * alpha * s * s + sigma * sigma;
                let d2 = (x[0] - alpha * mu[0]).powi(2) + (x[1] - alpha * mu[1]).powi(2);
                (w.ln() - d2 / (2.0 * var) - var.ln(), var)
            })
            .collect();
        let max = logs
            .iter()
            .map(|(l, _)| *l)
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logs.iter().map(|(l, _)| (l - max).exp()).sum();
        logs.into_iter()
            .map(|(l, var)| ((l - max).exp() / total, var))
            .collect()
    }

    /// The exact score grad log p_t(x) of the noised mixture.
    pub fn score(&self, x: [f64; 2], alpha: f64, sigma: f64) -> [f64; 2] {
        let mut score = [0.0; 2];
        for ((r, var), mu) in self
            .responsibilities(x, alpha, sigma)
            .into_iter()
            .zip(self.means)
        {
            for d in 0..2 {
                score[d] -= r * (x[d] - alpha * mu[d]) / var;
            }
        }
        score
    }

    /// E[x_0 | x_t = x]: each component's Gaussian posterior mean, weighted.
    /// Defined at alpha = 0 too, where a division by alpha is not.
    pub fn posterior_mean(&self, x: [f64; 2], alpha: f64, sigma: f64) -> [f64; 2] {
        let mut mean = [0.0; 2];
        let parts = self.responsibilities(x, alpha, sigma);
        for (((r, var), mu), s) in parts.into_iter().zip(self.means).zip(self.stds) {
            let gain = alpha * s * s / var;
            for d in 0..2 {
                mean[d] += r * (mu[d] + gain * (x[d] - alpha * mu[d]));
            }
        }
        mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets_are_deterministic_and_inside_the_view() {
        let rng = CounterRng::new(3);
        let drawing = [[-2.0, 1.0], [0.5, 0.5]];
        for data in Dataset::all() {
            let a = data.points(&drawing, rng, 2000, 0);
            assert_eq!(a, data.points(&drawing, rng, 2000, 0));
            assert_ne!(a, data.points(&drawing, rng, 2000, 1));
            let inside = a
                .iter()
                .filter(|p| p[0].abs() < 2.6 && p[1].abs() < 2.6)
                .count();
            assert!(inside > 1980, "{data:?}: {inside}");
        }
    }

    #[test]
    fn the_data_lies_near_its_generating_curve_and_a_shifted_copy_does_not() {
        // Normal noise of 0.05 across the spiral: 95% within 0.1 (two standard
        // deviations); 0.06 across the moons: 90% (1.67 of them), a little
        // more where the arcs' ends catch points from both sides.
        let rng = CounterRng::new(4);
        for (data, expected) in [(Dataset::SwissRoll, 0.954), (Dataset::TwoMoons, 0.904)] {
            let points = data.points(&[], rng, 4000, 0);
            let curve = data.generating_set(&[]).unwrap();
            let share = crate::metrics::share_near(&points, &curve, 0.1);
            assert!((share - expected).abs() < 0.025, "{data:?}: {share}");
            let shifted: Vec<[f64; 2]> = points.iter().map(|[x, y]| [x + 0.25, *y]).collect();
            let off = crate::metrics::share_near(&shifted, &curve, 0.1);
            assert!(off < 0.5, "{data:?} shifted: {off}");
        }
        assert!(Dataset::Checkerboard.generating_set(&[]).is_none());
        assert!(Dataset::Drawing.generating_set(&[]).is_none());
        assert_eq!(
            Dataset::Drawing
                .generating_set(&[[0.5, 0.5]])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn checkerboard_fills_only_the_dark_squares() {
        let points = Dataset::Checkerboard.points(&[], CounterRng::new(1), 4000, 0);
        for [x, y] in points {
            let parity = (x.floor() + y.floor()).rem_euclid(2.0);
            assert_eq!(parity, 0.0, "({x}, {y})");
        }
    }

    #[test]
    fn mixture_score_is_the_gradient_of_its_log_density() {
        let log_density = |x: [f64; 2], alpha: f64, sigma: f64| {
            let p: f64 = MIXTURE
                .means
                .iter()
                .zip(MIXTURE.stds)
                .zip(MIXTURE.weights)
                .map(|((mu, s), w)| {
                    let var = alpha * alpha * s * s + sigma * sigma;
                    let d2 = (x[0] - alpha * mu[0]).powi(2) + (x[1] - alpha * mu[1]).powi(2);
                    w * (-d2 / (2.0 * var)).exp() / (2.0 * PI * var)
                })
                .sum();
            p.ln()
        };
        let h = 1e-5;
        for (x, alpha, sigma) in [
            ([0.3, -0.2], 0.8, 0.6),
            ([-1.0, 0.9], 0.3, 0.95),
            ([1.1, -0.7], 1.0, 0.0),
        ] {
            let score = MIXTURE.score(x, alpha, sigma);
            for d in 0..2 {
                let mut hi = x;
                let mut lo = x;
                hi[d] += h;
                lo[d] -= h;
                let numeric =
                    (log_density(hi, alpha, sigma) - log_density(lo, alpha, sigma)) / (2.0 * h);
                assert!(
                    (score[d] - numeric).abs() < 1e-4 * (1.0 + numeric.abs()),
                    "{score:?} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn tweedie_links_posterior_mean_and_score() {
        // E[x0 | xt] = (xt + sigma^2 score) / alpha.
        let (alpha, sigma) = (0.7, 0.714);
        for x in [[0.1, 0.2], [-1.5, 0.4], [0.9, -1.1]] {
            let score = MIXTURE.score(x, alpha, sigma);
            let mean = MIXTURE.posterior_mean(x, alpha, sigma);
            for d in 0..2 {
                assert!((mean[d] - (x[d] + sigma * sigma * score[d]) / alpha).abs() < 1e-9);
            }
        }
    }
}
