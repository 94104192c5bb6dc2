//! Linear SARSA with a softmax policy, its weights projected onto the ball
//! of radius R after every update (Zhang, Yao & Whiteson 2023, "On the
//! Convergence of SARSA with Linear Function Approximation", ICML, the
//! projected update of §3; Gordon 2000 for the chattering without it):
//!
//!   w <- Pi_R(w + alpha (r_h + Q_{h+1}(s', a') - Q_h(s, a)) phi(s, a)),
//!   Pi_R(w) = w min(1, R / ||w||),   pi_h(a | s) = softmax(Q_h(s, .) / T).
//!
//! Finite-horizon: one weight vector per step h (Q_H = 0), projected
//! together, so ||w|| <= R holds for all of them at once. The episode is
//! played with the weights it starts with; the updates follow it in order.

use super::soft_vi::softmax_policy;
use super::{Context, Plan};
use crate::episode::Episode;
use crate::features::Features;
use crate::mdp::Mdp;
use crate::params::LinearMdpParams;

pub struct Sarsa {
    horizon: usize,
    dim: usize,
    /// w_0 .. w_{H-1} of every seed.
    weights: Vec<f64>,
}

impl Sarsa {
    pub fn new(seeds: usize, mdp: &Mdp, features: &Features) -> Self {
        Self {
            horizon: mdp.horizon,
            dim: features.dim,
            weights: vec![0.0; seeds * mdp.horizon * features.dim],
        }
    }

    fn weights(&self, seed: usize) -> &[f64] {
        let n = self.horizon * self.dim;
        &self.weights[seed * n..(seed + 1) * n]
    }

    /// ||w|| of seed `seed`, all steps together.
    pub fn norm(&self, seed: usize) -> f64 {
        self.weights(seed).iter().map(|w| w * w).sum::<f64>().sqrt()
    }

    fn q(&self, seed: usize, h: usize, pair: usize, features: &Features) -> f64 {
        let w = &self.weights(seed)[h * self.dim..(h + 1) * self.dim];
        features.at(pair).iter().zip(w).map(|(x, w)| x * w).sum()
    }

    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let mdp = context.mdp;
        let a = mdp.actions;
        let q: Vec<Vec<f64>> = (0..self.horizon)
            .map(|h| {
                (0..mdp.states * a)
                    .map(|pair| self.q(seed, h, pair, context.features))
                    .collect()
            })
            .collect();
        let policy = softmax_policy(&q, a, params.sarsa_temperature);
        let values = q[0]
            .chunks_exact(a)
            .zip(policy[0].chunks_exact(a))
            .map(|(q, p)| q.iter().zip(p).map(|(q, p)| q * p).sum())
            .collect();
        Plan { policy, values }
    }

    pub fn learn(
        &mut self,
        seed: usize,
        episode: &Episode,
        context: &Context,
        params: &LinearMdpParams,
    ) {
        let a = context.mdp.actions;
        let features = context.features;
        let n = self.horizon * self.dim;
        for h in 0..self.horizon {
            let pair = episode.states[h] * a + episode.actions[h];
            // Q_H = 0: the episode ends.
            let next = if h + 1 < self.horizon {
                let next_pair = episode.states[h + 1] * a + episode.actions[h + 1];
                self.q(seed, h + 1, next_pair, features)
            } else {
                0.0
            };
            let delta = episode.rewards[h] + next - self.q(seed, h, pair, features);
            let w = &mut self.weights[seed * n + h * self.dim..seed * n + (h + 1) * self.dim];
            w.iter_mut()
                .zip(features.at(pair))
                .for_each(|(w, x)| *w += params.step_size * delta * x);
            project(&mut self.weights[seed * n..(seed + 1) * n], params.radius);
        }
    }
}

/// Pi_R: scales `w` onto the ball of radius `radius` if it lies outside.
pub fn project(w: &mut [f64], radius: f64) {
    let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > radius {
        let scale = radius / norm;
        w.iter_mut().for_each(|x| *x *= scale);
    }
}
