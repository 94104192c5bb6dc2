//! LSVI with epsilon-greedy exploration: Algorithm 1 of Jin et al. 2020
//! without the bonus (beta = 0), acting uniformly at random with
//! probability epsilon (Sutton & Barto 2018, §2.2): the dithering baseline
//! that LSVI-UCB's optimism must beat where exploration is hard (RiverSwim).

use super::lsvi::{Backup, Lsvi, start_values};
use super::{Context, Plan};
use crate::mdp::greedy;
use crate::params::LinearMdpParams;

pub struct LsviGreedy(pub Lsvi);

/// Greedy in Q, and uniformly random with probability epsilon.
pub fn plan_from_q(q: &[Vec<f64>], actions: usize, params: &LinearMdpParams) -> Plan {
    let uniform = params.epsilon / actions as f64;
    let policy = greedy(q, actions)
        .into_iter()
        .map(|ph| {
            ph.iter()
                .map(|p| (1.0 - params.epsilon) * p + uniform)
                .collect()
        })
        .collect();
    Plan {
        policy,
        values: start_values(q, actions, Backup::Max),
    }
}

impl LsviGreedy {
    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        let q = self.0.q_tables(seed, context.features, 0.0, Backup::Max);
        plan_from_q(&q, context.mdp.actions, params)
    }
}
