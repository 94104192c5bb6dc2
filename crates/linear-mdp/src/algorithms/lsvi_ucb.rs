//! LSVI-UCB: Jin, Yang, Wang & Jordan 2020, "Provably Efficient
//! Reinforcement Learning with Linear Function Approximation" (COLT),
//! Algorithm 1. Greedy in the optimistic
//! Q_h(s, a) = min(w_h^T phi + beta sqrt(phi^T Lambda_h^-1 phi), H) (eq. 3.1
//! and line 7); regret O~(sqrt(d^3 H^3 T)) on a linear MDP (Theorem 3.1).

use super::lsvi::{Backup, Lsvi, start_values};
use super::{Context, Plan};
use crate::episode::Episode;
use crate::mdp::greedy;
use crate::params::LinearMdpParams;

pub struct LsviUcb(pub Lsvi);

/// Greedy in the optimistic Q (Algorithm 1, line 9).
pub fn plan_from_q(q: &[Vec<f64>], actions: usize) -> Plan {
    Plan {
        policy: greedy(q, actions),
        values: start_values(q, actions, Backup::Max),
    }
}

impl LsviUcb {
    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let q = self
            .0
            .q_tables(seed, context.features, params.beta, Backup::Max);
        plan_from_q(&q, context.mdp.actions)
    }

    /// The mean bonus beta ||phi(s_h, a_h)||_{Lambda_h^-1} along the episode.
    pub fn mean_bonus(
        &self,
        seed: usize,
        episode: &Episode,
        context: &Context,
        params: &LinearMdpParams,
    ) -> f64 {
        let a = context.mdp.actions;
        let total: f64 = (0..episode.actions.len())
            .map(|h| {
                params.beta
                    * self
                        .0
                        .width(seed, h, episode.states[h] * a + episode.actions[h])
            })
            .sum();
        total / episode.actions.len().max(1) as f64
    }
}
