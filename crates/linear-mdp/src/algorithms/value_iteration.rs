//! Approximate value iteration with a generative model (Munos 2007,
//! "Performance Bounds in Lp-norm for Approximate Value Iteration"; Azar,
//! Munos & Kappen 2013, "Minimax PAC bounds on the sample complexity of
//! reinforcement learning with a generative model"): each iteration backs
//! Q_h = r + P_hat V_{h+1} up through M next states drawn fresh per
//! state-action (or the true law P in planning mode) and acts greedily in
//! it, so each iteration's sampling error lands in the policy whole. The
//! baseline MDVI averages against.

use super::{Context, Plan};
use crate::mdp::{Mdp, greedy};
use crate::params::{LinearMdpParams, ModelAccess};

/// The stream of the generative samples: counter (seed, iteration, this +
/// index of (h, s, a, m)); the same numbers for MDVI and value iteration.
pub const SAMPLE_STREAM: u32 = 1 << 20;

/// r + P_hat V_next for every pair at step h of iteration `context.episode`:
/// the true expectation when planning, else the mean over M sampled next states.
pub fn sampled_backup(
    seed: usize,
    h: usize,
    v_next: &[f64],
    context: &Context,
    params: &LinearMdpParams,
) -> Vec<f64> {
    let mdp = context.mdp;
    if params.model == ModelAccess::Planning {
        return mdp.backup(v_next);
    }
    let m = params.samples;
    let pairs = mdp.states * mdp.actions;
    (0..pairs)
        .map(|pair| {
            let total: f64 = (0..m)
                .map(|i| {
                    let counter = SAMPLE_STREAM + ((h * pairs + pair) * m + i) as u32;
                    let u = f64::from(context.rng.uniform(
                        seed as u32,
                        context.episode as u32,
                        counter,
                    ));
                    v_next[mdp.next_state(pair, u)]
                })
                .sum();
            mdp.reward[pair] + total / m as f64
        })
        .collect()
}

pub struct ValueIteration;

impl ValueIteration {
    /// One iteration: the greedy policy of the freshly backed-up Q.
    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let mdp: &Mdp = context.mdp;
        let a = mdp.actions;
        let mut v_next = vec![0.0; mdp.states];
        let mut q = vec![Vec::new(); mdp.horizon];
        for h in (0..mdp.horizon).rev() {
            let qh = sampled_backup(seed, h, &v_next, context, params);
            v_next = qh
                .chunks_exact(a)
                .map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                .collect();
            q[h] = qh;
        }
        Plan {
            policy: greedy(&q, a),
            values: v_next,
        }
    }
}
