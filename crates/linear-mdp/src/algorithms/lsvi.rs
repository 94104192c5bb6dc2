//! Least-squares value iteration on features (Jin, Yang, Wang & Jordan 2020,
//! "Provably Efficient Reinforcement Learning with Linear Function
//! Approximation", Algorithm 1), shared by LSVI-UCB, epsilon-greedy LSVI
//! and soft VI. For each step h and seed it keeps
//! Lambda_h = lambda I + sum_tau phi phi^T (as its inverse, by
//! Sherman-Morrison: `thermolab_core::ridge`), sum_tau r phi, and, for each
//! next state s', sum_{tau: s'_tau = s'} phi: then
//! sum_tau phi [r + V_{h+1}(s'_tau)] (Algorithm 1, line 6) costs S d for a new
//! V instead of a pass over every past episode.

use thermolab_core::math::log_sum_exp;
use thermolab_core::ridge::Ridge;

use super::Context;
use crate::episode::Episode;
use crate::features::Features;
use crate::mdp::Mdp;

/// How V_h(s) is read from Q_h(s, .).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backup {
    /// max_a Q (Algorithm 1, line 7).
    Max,
    /// T log sum_a exp(Q / T), shifted: stable down to T = 1e-3.
    Soft(f64),
}

impl Backup {
    pub fn value(self, q: &[f64]) -> f64 {
        match self {
            Backup::Max => q.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Backup::Soft(t) => t * log_sum_exp(&q.iter().map(|x| x / t).collect::<Vec<_>>()),
        }
    }
}

pub struct Lsvi {
    horizon: usize,
    states: usize,
    actions: usize,
    dim: usize,
    /// One regression per (seed, h): run seed * H + h.
    ridge: Ridge,
    /// sum phi(s_tau, a_tau) over the episodes that went to s', per (seed, h): S x d.
    to_next: Vec<f64>,
    /// phi^T Lambda_h^-1 phi of every pair, per (seed, h): S x A.
    quadratic: Vec<f64>,
}

impl Lsvi {
    pub fn new(seeds: usize, mdp: &Mdp, features: &Features, lambda: f64) -> Self {
        let (h, s, a, d) = (mdp.horizon, mdp.states, mdp.actions, features.dim);
        let quadratic_at_start: Vec<f64> = (0..s * a)
            .map(|pair| features.at(pair).iter().map(|x| x * x).sum::<f64>() / lambda)
            .collect();
        Self {
            horizon: h,
            states: s,
            actions: a,
            dim: d,
            ridge: Ridge::new(seeds * h, d, lambda),
            to_next: vec![0.0; seeds * h * s * d],
            quadratic: quadratic_at_start.repeat(seeds * h),
        }
    }

    fn run(&self, seed: usize, h: usize) -> usize {
        seed * self.horizon + h
    }

    fn quadratic(&self, seed: usize, h: usize) -> &[f64] {
        let n = self.states * self.actions;
        let at = self.run(seed, h) * n;
        &self.quadratic[at..at + n]
    }

    /// Lambda^-1, the sums of r phi, the sums of phi per next state and the
    /// quadratic forms of every run (seed * H + h), run-major: d x d, d,
    /// S x d and S x A each.
    pub fn tables(&self) -> [&[f64]; 4] {
        let (a_inv, b) = self.ridge.tables();
        [a_inv, b, &self.to_next, &self.quadratic]
    }

    /// ||phi(s, a)||_{Lambda_h^-1} of seed `seed`.
    pub fn width(&self, seed: usize, h: usize, pair: usize) -> f64 {
        self.quadratic(seed, h)[pair].max(0.0).sqrt()
    }

    /// Q_h for h = H-1 .. 0 (Algorithm 1, lines 4-8): w_h = Lambda_h^-1
    /// sum phi [r + V_{h+1}(s')], Q_h = w_h^T phi + beta ||phi||_{Lambda_h^-1},
    /// kept within [-(H - h), H - h] (|r| <= 1), V_h read by `backup`.
    pub fn q_tables(
        &self,
        seed: usize,
        features: &Features,
        beta: f64,
        backup: Backup,
    ) -> Vec<Vec<f64>> {
        let (s_count, a, d) = (self.states, self.actions, self.dim);
        let mut v_next = vec![0.0; s_count];
        let mut q = vec![Vec::new(); self.horizon];
        for h in (0..self.horizon).rev() {
            let run = self.run(seed, h);
            let to_next = &self.to_next[run * s_count * d..(run + 1) * s_count * d];
            let mut future = vec![0.0; d];
            for (v, row) in v_next.iter().zip(to_next.chunks_exact(d)) {
                if *v != 0.0 {
                    future.iter_mut().zip(row).for_each(|(f, x)| *f += v * x);
                }
            }
            let mut w = self.ridge.theta(run);
            w.iter_mut()
                .zip(self.ridge.apply(run, &future))
                .for_each(|(w, f)| *w += f);
            let cap = (self.horizon - h) as f64;
            let quadratic = self.quadratic(seed, h);
            let qh: Vec<f64> = (0..s_count * a)
                .map(|pair| {
                    let fit: f64 = features.at(pair).iter().zip(&w).map(|(x, w)| x * w).sum();
                    let bonus = beta * quadratic[pair].max(0.0).sqrt();
                    (fit + bonus).clamp(-cap, cap)
                })
                .collect();
            v_next = qh.chunks_exact(a).map(|row| backup.value(row)).collect();
            q[h] = qh;
        }
        q
    }

    /// Adds the episode's transitions to the regressions (Algorithm 1, line 5)
    /// and updates every pair's phi^T Lambda^-1 phi by Sherman-Morrison.
    pub fn learn(&mut self, seed: usize, episode: &Episode, context: &Context) {
        let (s_count, a, d) = (self.states, self.actions, self.dim);
        let features = context.features;
        for h in 0..self.horizon {
            let run = self.run(seed, h);
            let pair = episode.states[h] * a + episode.actions[h];
            let x = features.at(pair);
            let (direction, denominator) = self.ridge.observe(run, x, episode.rewards[h]);
            let next = episode.states[h + 1];
            let row = &mut self.to_next[(run * s_count + next) * d..(run * s_count + next + 1) * d];
            row.iter_mut().zip(x).for_each(|(r, x)| *r += x);
            let quadratic = &mut self.quadratic[run * s_count * a..(run + 1) * s_count * a];
            for (other, q) in quadratic.iter_mut().enumerate() {
                let along: f64 = features
                    .at(other)
                    .iter()
                    .zip(&direction)
                    .map(|(x, g)| x * g)
                    .sum();
                *q -= along * along / denominator;
            }
        }
    }

    /// A live change of lambda: every Lambda^-1 and quadratic form anew.
    pub fn set_lambda(&mut self, old: f64, new: f64, features: &Features) {
        self.ridge.set_lambda(old, new);
        let n = self.states * self.actions;
        for run in 0..self.quadratic.len() / n {
            for pair in 0..n {
                let width = self.ridge.width(run, features.at(pair));
                self.quadratic[run * n + pair] = width * width;
            }
        }
    }
}

/// The values V_0 of Q tables under `backup`.
pub fn start_values(q: &[Vec<f64>], actions: usize, backup: Backup) -> Vec<f64> {
    q.first()
        .map(|q0| {
            q0.chunks_exact(actions)
                .map(|row| backup.value(row))
                .collect()
        })
        .unwrap_or_default()
}
