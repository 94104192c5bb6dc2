//! One file per algorithm, each naming its paper, with its GPU twin beside
//! it (`ucb1.rs` and `ucb1.wgsl`): the WGSL file defines `choose_<id>(t)`
//! and `learn_<id>(arm, r, t)`, and the kernel dispatches on the codes of
//! [`AlgorithmId`], the one list of algorithms.

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

use thermolab_kit::choices;

use crate::params::BanditsParams;
use crate::policy::{Algorithm, Setup};

choices! {
    /// Every algorithm, in the order the selects list them; its index is its
    /// code in the kernel (`ALGO_UCB1`, ...).
    pub enum AlgorithmId {
        Ucb1 = ("ucb1", "UCB1"),
        KlUcb = ("kl_ucb", "KL-UCB"),
        Thompson = ("thompson", "Thompson sampling"),
        EpsilonGreedy = ("epsilon_greedy", "epsilon-greedy"),
        Boltzmann = ("boltzmann", "Boltzmann (softmax)"),
        Gradient = ("gradient", "Gradient bandit"),
        Exp3 = ("exp3", "Exp3"),
        TsallisInf = ("tsallis_inf", "Tsallis-INF"),
        LinUcb = ("linucb", "LinUCB"),
        LinTs = ("lints", "LinTS"),
        Threshold = ("threshold", "LinUCB + threshold (DS-OFUL)"),
    }
}

impl AlgorithmId {
    pub fn create(self, setup: &Setup, params: &BanditsParams) -> Box<dyn Algorithm> {
        match self {
            Self::Ucb1 => Box::new(ucb1::Ucb1::new(setup)),
            Self::KlUcb => Box::new(kl_ucb::KlUcb::new(setup)),
            Self::Thompson => Box::new(thompson::Thompson::new(setup)),
            Self::EpsilonGreedy => Box::new(epsilon_greedy::EpsilonGreedy::new(setup)),
            Self::Boltzmann => Box::new(boltzmann::Boltzmann::new(setup)),
            Self::Gradient => Box::new(gradient::GradientBandit::new(setup, params)),
            Self::Exp3 => Box::new(exp3::Exp3::new(setup)),
            Self::TsallisInf => Box::new(tsallis_inf::TsallisInf::new(setup)),
            Self::LinUcb => Box::new(linucb::LinUcb::new(setup, false)),
            Self::LinTs => Box::new(lints::LinTs::new(setup)),
            Self::Threshold => Box::new(linucb::LinUcb::new(setup, true)),
        }
    }

    /// The algorithm's WGSL: `choose_<id>` and `learn_<id>`.
    pub fn wgsl(self) -> &'static str {
        match self {
            Self::Ucb1 => include_str!("ucb1.wgsl"),
            Self::KlUcb => include_str!("kl_ucb.wgsl"),
            Self::Thompson => include_str!("thompson.wgsl"),
            Self::EpsilonGreedy => include_str!("epsilon_greedy.wgsl"),
            Self::Boltzmann => include_str!("boltzmann.wgsl"),
            Self::Gradient => include_str!("gradient.wgsl"),
            Self::Exp3 => include_str!("exp3.wgsl"),
            Self::TsallisInf => include_str!("tsallis_inf.wgsl"),
            Self::LinUcb => include_str!("linucb.wgsl"),
            Self::LinTs => include_str!("lints.wgsl"),
            Self::Threshold => include_str!("threshold.wgsl"),
        }
    }

    /// It samples its arm from an explicit policy, whose entropy and
    /// probabilities the page shows.
    pub fn explicit_policy(self) -> bool {
        matches!(
            self,
            Self::Boltzmann | Self::Gradient | Self::Exp3 | Self::TsallisInf
        )
    }

    /// It keeps a ridge estimate of theta over the features.
    pub fn linear(self) -> bool {
        matches!(self, Self::LinUcb | Self::LinTs | Self::Threshold)
    }
}

/// Every algorithm's WGSL, then `choose` and `learn`, which dispatch on the
/// slot's code to them.
pub fn kernel_wgsl() -> String {
    let all = AlgorithmId::all();
    let mut source: String = all.iter().map(|a| a.wgsl()).collect::<Vec<_>>().join("\n");
    let cases = |call: &dyn Fn(&str) -> String| -> String {
        all.iter()
            .map(|a| {
                format!(
                    "        case ALGO_{}: {{\n            {}\n        }}\n",
                    a.key().to_ascii_uppercase(),
                    call(a.key())
                )
            })
            .collect()
    };
    source.push_str(&format!(
        "\n// Generated from AlgorithmId (algorithms/mod.rs).\n\
         fn choose(t: u32) -> u32 {{\n    switch dispatch.algorithm {{\n{}        default: {{\n            return 0u;\n        }}\n    }}\n}}\n\n\
         fn learn(arm: u32, r: f32, t: u32) {{\n    counts[arm] += 1u;\n    switch dispatch.algorithm {{\n{}        default: {{}}\n    }}\n}}\n",
        cases(&|id| format!("return choose_{id}(t);")),
        cases(&|id| format!("learn_{id}(arm, r, t);")),
    ));
    source
}
