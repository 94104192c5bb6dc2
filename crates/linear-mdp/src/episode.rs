//! One episode of one seed under a policy, on the model, with the seed's
//! counter random numbers: (seed, episode * H + h) with one stream for the
//! action and one for the transition, the same for every algorithm (common
//! random numbers: the gaps between curves are the algorithms').

use thermolab_core::math::entropy;
use thermolab_core::rng::CounterRng;

use crate::mdp::{Mdp, Policy, draw};

pub const ACTION_STREAM: u32 = 1;
pub const TRANSITION_STREAM: u32 = 2;

/// s_0 .. s_H, a_0 .. a_{H-1}, r_0 .. r_{H-1}.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub states: Vec<usize>,
    pub actions: Vec<usize>,
    pub rewards: Vec<f64>,
    /// Mean over h of the policy's entropy at s_h, in nats.
    pub entropy: f64,
}

impl Episode {
    pub fn total_reward(&self) -> f64 {
        self.rewards.iter().sum()
    }
}

pub fn play(mdp: &Mdp, policy: &Policy, rng: CounterRng, seed: usize, episode: u64) -> Episode {
    let (h_max, a) = (mdp.horizon, mdp.actions);
    let mut states = vec![mdp.start];
    let mut actions = Vec::with_capacity(h_max);
    let mut rewards = Vec::with_capacity(h_max);
    let mut total_entropy = 0.0;
    for h in 0..h_max {
        let s = states[h];
        let counter = (episode * h_max as u64 + h as u64) as u32;
        let probs = &policy[h][s * a..(s + 1) * a];
        let action = draw(
            probs,
            f64::from(rng.uniform(seed as u32, counter, ACTION_STREAM)),
        );
        let pair = s * a + action;
        let u = f64::from(rng.uniform(seed as u32, counter, TRANSITION_STREAM));
        total_entropy += entropy(&probs.iter().map(|p| p.ln()).collect::<Vec<_>>());
        actions.push(action);
        rewards.push(mdp.reward[pair]);
        states.push(mdp.next_state(pair, u));
    }
    Episode {
        states,
        actions,
        rewards,
        entropy: total_entropy / h_max as f64,
    }
}
