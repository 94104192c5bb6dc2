//! Feature maps phi(s, a) in R^d, and how far a map is from making the MDP
//! linear: the error of the best linear fit of the true Bellman backup
//! r + P V (Jin et al. 2020, Proposition 2.3: in a linear MDP every backup
//! is linear in phi, so the error is 0; misspecification shows as more).

use thermolab_core::ridge::invert_spd;
use thermolab_core::rng::CounterRng;
use thermolab_kit::choices;

use crate::env::{Environment, MODEL_RUN};
use crate::mdp::Values;

choices! {
    /// The features the learners regress on.
    pub enum FeatureKind {
        /// One-hot per (s, a) on the grid and the river (tabular), the model's own phi on the linear MDP.
        Exact = ("exact", "Exact (one-hot, or the linear MDP's phi)"),
        Rbf = ("rbf", "RBF on state coordinates"),
        Random = ("random", "Random projections"),
    }
}

/// phi(s, a) for every pair, d numbers each, row-major by pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    pub dim: usize,
    pub phi: Vec<f64>,
}

impl Features {
    pub fn at(&self, pair: usize) -> &[f64] {
        &self.phi[pair * self.dim..(pair + 1) * self.dim]
    }
}

/// The dimension `kind` gives on `env` (for the limits, before building it).
pub fn dimension(
    kind: FeatureKind,
    env: &Environment,
    rbf_centers: usize,
    random_dim: usize,
) -> usize {
    let (s, a) = (env.mdp.states, env.mdp.actions);
    match kind {
        FeatureKind::Exact => env.features.as_ref().map_or(s * a, |(d, _)| *d),
        FeatureKind::Rbf => a * rbf_centers.pow(if env.rows > 1 { 2 } else { 1 }),
        FeatureKind::Random => random_dim,
    }
}

/// Builds the map: one-hot (or the model's phi), RBF bumps
/// exp(-|c(s) - c_j|^2 / (2 w^2)) on a lattice of centres, one block per
/// action, or a Gaussian random projection of the one-hot vector, scaled
/// by 1/sqrt(d) (Johnson-Lindenstrauss).
pub fn build(
    kind: FeatureKind,
    env: &Environment,
    (rbf_centers, rbf_width): (usize, f64),
    random_dim: usize,
    rng: CounterRng,
) -> Features {
    let (states, actions) = (env.mdp.states, env.mdp.actions);
    let dim = dimension(kind, env, rbf_centers, random_dim);
    let mut phi = vec![0.0; states * actions * dim];
    match kind {
        FeatureKind::Exact => match &env.features {
            Some((_, model)) => phi.copy_from_slice(model),
            None => (0..states * actions).for_each(|pair| phi[pair * dim + pair] = 1.0),
        },
        FeatureKind::Rbf => {
            let two_d = env.rows > 1;
            let per_action = dim / actions;
            let lattice = |j: usize| {
                let step = |i: usize| {
                    if rbf_centers > 1 {
                        i as f64 / (rbf_centers - 1) as f64
                    } else {
                        0.5
                    }
                };
                if two_d {
                    [step(j % rbf_centers), step(j / rbf_centers)]
                } else {
                    [step(j), 0.0]
                }
            };
            for s in 0..states {
                let c = env.coordinates[s];
                for j in 0..per_action {
                    let centre = lattice(j);
                    let distance2 = (c[0] - centre[0]).powi(2) + (c[1] - centre[1]).powi(2);
                    let bump = (-distance2 / (2.0 * rbf_width * rbf_width)).exp();
                    for a in 0..actions {
                        phi[(s * actions + a) * dim + a * per_action + j] = bump;
                    }
                }
            }
        }
        FeatureKind::Random => {
            let scale = 1.0 / (dim as f64).sqrt();
            for pair in 0..states * actions {
                for i in 0..dim {
                    phi[pair * dim + i] =
                        scale * f64::from(rng.normal(MODEL_RUN, (pair * dim + i) as u32, 7));
                }
            }
        }
    }
    Features { dim, phi }
}

/// How far the features are from a linear MDP on the states reachable from
/// the start: the largest error, over h, of the least-squares fit of the
/// backup r + P V*_{h+1} by phi, and of the backups of `probes` random
/// value functions with values in [0, H - h]. Each pair weighs the same.
pub fn realizability_error(
    env: &Environment,
    features: &Features,
    optimal: &Values,
    rng: CounterRng,
) -> f64 {
    let mdp = &env.mdp;
    let d = features.dim;
    let reachable = mdp.reachable();
    let pairs: Vec<usize> = (0..mdp.states * mdp.actions)
        .filter(|pair| reachable[pair / mdp.actions])
        .collect();
    let mut gram = vec![0.0; d * d];
    for &pair in &pairs {
        let x = features.at(pair);
        for i in 0..d {
            if x[i] != 0.0 {
                for j in 0..d {
                    gram[i * d + j] += x[i] * x[j];
                }
            }
        }
    }
    // A whisper of ridge keeps a rank-deficient Gram invertible; the fit is
    // then the minimum-norm least-squares one to within it.
    let largest = (0..d)
        .map(|i| gram[i * d + i])
        .fold(0.0, f64::max)
        .max(1e-300);
    (0..d).for_each(|i| gram[i * d + i] += 1e-10 * largest);
    let inverse = invert_spd(&gram, d);
    let probes = 4;
    let mut worst = 0.0f64;
    for h in 0..mdp.horizon {
        let mut targets = vec![optimal.v[h + 1].clone()];
        let top = (mdp.horizon - h - 1) as f64;
        targets.extend((0..probes).map(|probe| {
            (0..mdp.states)
                .map(|s| {
                    top * f64::from(rng.uniform(
                        MODEL_RUN,
                        (h * mdp.states + s) as u32,
                        100 + probe,
                    ))
                })
                .collect()
        }));
        for v in targets {
            let backup = mdp.backup(&v);
            let mut xty = vec![0.0; d];
            for &pair in &pairs {
                for (acc, x) in xty.iter_mut().zip(features.at(pair)) {
                    *acc += x * backup[pair];
                }
            }
            let w: Vec<f64> = inverse
                .chunks_exact(d)
                .map(|row| row.iter().zip(&xty).map(|(a, b)| a * b).sum())
                .collect();
            for &pair in &pairs {
                let fit: f64 = features.at(pair).iter().zip(&w).map(|(x, w)| x * w).sum();
                worst = worst.max((fit - backup[pair]).abs());
            }
        }
    }
    worst
}
