//! One file per algorithm, each naming its paper.

pub mod boltzmann;
pub mod epsilon_greedy;
pub mod exp3;
pub mod gradient;
pub mod kl_ucb;
pub mod lints;
pub mod linucb;
pub mod thompson;
pub mod tsallis_inf;
pub mod ucb1;

use crate::policy::{Algorithm, Live, Setup};

/// Ids and names, in the order the selects list them.
pub const ALGORITHMS: [(&str, &str); 11] = [
    ("ucb1", "UCB1"),
    ("kl_ucb", "KL-UCB"),
    ("thompson", "Thompson sampling"),
    ("epsilon_greedy", "epsilon-greedy"),
    ("boltzmann", "Boltzmann (softmax)"),
    ("gradient", "Gradient bandit"),
    ("exp3", "Exp3"),
    ("tsallis_inf", "Tsallis-INF"),
    ("linucb", "LinUCB"),
    ("lints", "LinTS"),
    ("threshold", "LinUCB + threshold (DS-OFUL)"),
];

pub fn name(id: &str) -> &'static str {
    ALGORITHMS
        .iter()
        .find(|(i, _)| *i == id)
        .map_or("?", |(_, name)| name)
}

pub fn create(id: &str, setup: &Setup, live: &Live) -> Option<Box<dyn Algorithm>> {
    Some(match id {
        "ucb1" => Box::new(ucb1::Ucb1::new(setup)),
        "kl_ucb" => Box::new(kl_ucb::KlUcb::new(setup)),
        "thompson" => Box::new(thompson::Thompson::new(setup)),
        "epsilon_greedy" => Box::new(epsilon_greedy::EpsilonGreedy::new(setup)),
        "boltzmann" => Box::new(boltzmann::Boltzmann::new(setup)),
        "gradient" => Box::new(gradient::GradientBandit::new(setup, live)),
        "exp3" => Box::new(exp3::Exp3::new(setup)),
        "tsallis_inf" => Box::new(tsallis_inf::TsallisInf::new(setup)),
        "linucb" => Box::new(linucb::LinUcb::new(setup, false)),
        "lints" => Box::new(lints::LinTs::new(setup)),
        "threshold" => Box::new(linucb::LinUcb::new(setup, true)),
        _ => return None,
    })
}
