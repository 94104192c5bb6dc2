//! The learners, one file each naming its paper. Each plans a policy for a
//! seed's next episode and learns from the episode it produced; the lab
//! rolls the episodes out (`crate::episode`) and scores them exactly.
//!
//! - [`lsvi`]: the least-squares value iteration the LSVI learners share.
//! - [`lsvi_ucb`], [`lsvi_greedy`], [`soft_vi`]: LSVI with a bonus, with
//!   epsilon-greedy actions, with the soft backup and a softmax policy.
//! - [`mdvi`] and [`value_iteration`]: mirror-descent and plain value
//!   iteration on the model or on sampled transitions.
//! - [`sarsa`]: linear SARSA projected onto a ball.

pub mod lsvi;
pub mod lsvi_greedy;
pub mod lsvi_ucb;
pub mod mdvi;
pub mod sarsa;
pub mod soft_vi;
pub mod value_iteration;

use thermolab_core::rng::CounterRng;
use thermolab_kit::choices;

use crate::episode::Episode;
use crate::features::Features;
use crate::mdp::{Mdp, Policy};
use crate::params::LinearMdpParams;

choices! {
    /// The learners.
    pub enum AlgorithmId {
        LsviUcb = ("lsvi_ucb", "LSVI-UCB"),
        LsviGreedy = ("lsvi_greedy", "LSVI, epsilon-greedy"),
        SoftVi = ("soft_vi", "Soft VI"),
        Mdvi = ("mdvi", "MDVI"),
        ValueIteration = ("value_iteration", "Value iteration"),
        Sarsa = ("sarsa", "Linear SARSA"),
    }
}

impl AlgorithmId {
    /// Those that regress on the features.
    pub const FEATURED: [AlgorithmId; 4] = [
        AlgorithmId::LsviUcb,
        AlgorithmId::LsviGreedy,
        AlgorithmId::SoftVi,
        AlgorithmId::Sarsa,
    ];
    /// Those that solve a ridge regression (and read lambda).
    pub const LEAST_SQUARES: [AlgorithmId; 3] = [
        AlgorithmId::LsviUcb,
        AlgorithmId::LsviGreedy,
        AlgorithmId::SoftVi,
    ];
    /// Those that back up through the model or samples drawn from it.
    pub const GENERATIVE: [AlgorithmId; 2] = [AlgorithmId::Mdvi, AlgorithmId::ValueIteration];

    pub fn featured(self) -> bool {
        Self::FEATURED.contains(&self)
    }

    pub fn generative(self) -> bool {
        Self::GENERATIVE.contains(&self)
    }
}

/// What a learner sees besides its params: the model (the generative
/// learners sample it; nobody else reads it), the features and the seed's
/// random numbers.
pub struct Context<'a> {
    pub mdp: &'a Mdp,
    pub features: &'a Features,
    pub rng: CounterRng,
    /// The episode about to be played (0-based).
    pub episode: u64,
}

/// A learner's policy for the next episode and its own estimate of V_0.
pub struct Plan {
    pub policy: Policy,
    pub values: Vec<f64>,
}

/// The plan an LSVI learner makes of its Q tables (the kernel's, read back).
pub fn lsvi_plan(
    id: AlgorithmId,
    q: &[Vec<f64>],
    actions: usize,
    params: &LinearMdpParams,
) -> Option<Plan> {
    match id {
        AlgorithmId::LsviUcb => Some(lsvi_ucb::plan_from_q(q, actions)),
        AlgorithmId::LsviGreedy => Some(lsvi_greedy::plan_from_q(q, actions, params)),
        AlgorithmId::SoftVi => Some(soft_vi::plan_from_q(q, actions, params)),
        _ => None,
    }
}

/// A learner over every seed of a run.
pub enum Learner {
    LsviUcb(lsvi_ucb::LsviUcb),
    LsviGreedy(lsvi_greedy::LsviGreedy),
    SoftVi(soft_vi::SoftVi),
    Mdvi(mdvi::Mdvi),
    ValueIteration(value_iteration::ValueIteration),
    Sarsa(sarsa::Sarsa),
}

impl Learner {
    pub fn new(
        id: AlgorithmId,
        seeds: usize,
        mdp: &Mdp,
        features: &Features,
        params: &LinearMdpParams,
    ) -> Self {
        let lsvi = || lsvi::Lsvi::new(seeds, mdp, features, params.ridge_lambda);
        match id {
            AlgorithmId::LsviUcb => Learner::LsviUcb(lsvi_ucb::LsviUcb(lsvi())),
            AlgorithmId::LsviGreedy => Learner::LsviGreedy(lsvi_greedy::LsviGreedy(lsvi())),
            AlgorithmId::SoftVi => Learner::SoftVi(soft_vi::SoftVi(lsvi())),
            AlgorithmId::Mdvi => Learner::Mdvi(mdvi::Mdvi::new(seeds, mdp)),
            AlgorithmId::ValueIteration => Learner::ValueIteration(value_iteration::ValueIteration),
            AlgorithmId::Sarsa => Learner::Sarsa(sarsa::Sarsa::new(seeds, mdp, features)),
        }
    }

    pub fn plan(&mut self, seed: usize, context: &Context, params: &LinearMdpParams) -> Plan {
        match self {
            Learner::LsviUcb(l) => l.plan(seed, context, params),
            Learner::LsviGreedy(l) => l.plan(seed, context, params),
            Learner::SoftVi(l) => l.plan(seed, context, params),
            Learner::Mdvi(l) => l.plan(seed, context, params),
            Learner::ValueIteration(l) => l.plan(seed, context, params),
            Learner::Sarsa(l) => l.plan(seed, context, params),
        }
    }

    pub fn learn(
        &mut self,
        seed: usize,
        episode: &Episode,
        context: &Context,
        params: &LinearMdpParams,
    ) {
        match self {
            Learner::LsviUcb(lsvi_ucb::LsviUcb(l))
            | Learner::LsviGreedy(lsvi_greedy::LsviGreedy(l))
            | Learner::SoftVi(soft_vi::SoftVi(l)) => l.learn(seed, episode, context),
            Learner::Sarsa(l) => l.learn(seed, episode, context, params),
            // They learn from their own samples of the model, not from episodes.
            Learner::Mdvi(_) | Learner::ValueIteration(_) => {}
        }
    }

    /// Lambda changed: the ridge regressions take the new penalty.
    pub fn lambda_changed(&mut self, old: f64, new: f64, features: &Features) {
        if let Learner::LsviUcb(lsvi_ucb::LsviUcb(l))
        | Learner::LsviGreedy(lsvi_greedy::LsviGreedy(l))
        | Learner::SoftVi(soft_vi::SoftVi(l)) = self
        {
            l.set_lambda(old, new, features);
        }
    }

    /// LSVI-UCB's mean bonus beta ||phi||_{Lambda^-1} along `episode` (before it was learnt).
    pub fn bonus(
        &self,
        seed: usize,
        episode: &Episode,
        context: &Context,
        params: &LinearMdpParams,
    ) -> Option<f64> {
        match self {
            Learner::LsviUcb(l) => Some(l.mean_bonus(seed, episode, context, params)),
            _ => None,
        }
    }

    /// The LSVI regressions of the least-squares learners.
    pub fn lsvi(&self) -> Option<&lsvi::Lsvi> {
        match self {
            Learner::LsviUcb(lsvi_ucb::LsviUcb(l))
            | Learner::LsviGreedy(lsvi_greedy::LsviGreedy(l))
            | Learner::SoftVi(soft_vi::SoftVi(l)) => Some(l),
            _ => None,
        }
    }

    /// Linear SARSA's weight norm.
    pub fn weight_norm(&self, seed: usize) -> Option<f64> {
        match self {
            Learner::Sarsa(l) => Some(l.norm(seed)),
            _ => None,
        }
    }
}
