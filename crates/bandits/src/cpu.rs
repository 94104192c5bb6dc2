//! The CPU reference path: one round of every run of every algorithm at a
//! time, in f64. Every algorithm and environment runs here; the GPU path
//! (`gpu.rs`) runs the K-armed ones and is tested against this.

use thermolab_core::math::entropy;
use thermolab_core::rng::CounterRng;

use thermolab_core::stats::mean_and_half_width;

use crate::algorithms::AlgorithmId;
use crate::draws::{Draws, slot_stream};
use crate::env::{Environment, Kind, RoundData};
use crate::params::BanditsParams;
use crate::policy::{Algorithm, Round, Setup};
use crate::stats::RoundStats;

struct CpuSlot {
    algorithm: Box<dyn Algorithm>,
    /// Cumulative regret of each run.
    regret: Vec<f64>,
    /// Reward collected by each run (for regret against an adversary).
    collected: Vec<f64>,
    pulls: Vec<u64>,
}

pub struct CpuRuns {
    setup: Setup,
    rng: CounterRng,
    slots: Vec<CpuSlot>,
    /// Cumulative reward of each (run, arm), for the best arm in hindsight.
    arm_totals: Vec<f64>,
}

impl CpuRuns {
    pub fn new(
        algorithms: &[AlgorithmId],
        setup: &Setup,
        params: &BanditsParams,
        rng: CounterRng,
    ) -> Self {
        let slots = algorithms
            .iter()
            .map(|id| id.create(setup, params))
            .map(|algorithm| CpuSlot {
                algorithm,
                regret: vec![0.0; setup.runs],
                collected: vec![0.0; setup.runs],
                pulls: vec![0; setup.arms],
            })
            .collect();
        Self {
            setup: *setup,
            rng,
            slots,
            arm_totals: vec![0.0; setup.runs * setup.arms],
        }
    }

    /// Plays round `t` of every run, each algorithm against the same rewards.
    pub fn round(&mut self, env: &Environment, params: &BanditsParams, t: u64) -> Vec<RoundStats> {
        let arms = self.setup.arms;
        let adversarial = env.kind == Kind::Adversarial;
        // K-armed environments offer the same (one-hot) round to every run.
        let shared = (env.kind != Kind::Linear).then(|| env.round(0, t));
        let mut on_best = vec![0usize; self.slots.len()];
        for run in 0..self.setup.runs {
            let drawn;
            let data: &RoundData = match &shared {
                Some(data) => data,
                None => {
                    drawn = env.round(run as u32, t);
                    &drawn
                }
            };
            let means = &data.means;
            let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let round = Round {
                t,
                dim: data.dim,
                contexts: &data.contexts,
                params,
            };
            if adversarial {
                for arm in 0..arms {
                    self.arm_totals[run * arms + arm] += env.reward(means, run as u32, t, arm);
                }
            }
            for (index, slot) in self.slots.iter_mut().enumerate() {
                let mut draws = Draws::new(self.rng, run as u32, t as u32, slot_stream(index));
                let arm = slot.algorithm.choose(run, &round, &mut draws);
                let reward = env.reward(means, run as u32, t, arm);
                slot.algorithm.update(run, &round, arm, reward);
                slot.pulls[arm] += 1;
                slot.collected[run] += reward;
                slot.regret[run] = if adversarial {
                    let totals = &self.arm_totals[run * arms..(run + 1) * arms];
                    totals.iter().copied().fold(f64::NEG_INFINITY, f64::max) - slot.collected[run]
                } else {
                    slot.regret[run] + best - means[arm]
                };
                on_best[index] += usize::from(means[arm] == best);
            }
        }
        self.slots
            .iter()
            .zip(on_best)
            .map(|(slot, on_best)| RoundStats {
                regret: mean_and_half_width(&slot.regret),
                best_share: on_best as f64 / self.setup.runs as f64,
                entropy: policy_entropies(slot.algorithm.as_ref(), self.setup.runs)
                    .map(|e| mean_and_half_width(&e)),
                policy: mean_policy(slot.algorithm.as_ref(), self.setup.runs),
            })
            .collect()
    }

    /// Cumulative regret of every run of slot `slot`.
    pub fn regrets(&self, slot: usize) -> &[f64] {
        &self.slots[slot].regret
    }

    pub fn pulls(&self, slot: usize) -> &[u64] {
        &self.slots[slot].pulls
    }

    pub fn algorithm(&self, slot: usize) -> &dyn Algorithm {
        self.slots[slot].algorithm.as_ref()
    }
}

/// The policy entropy of every run, if the algorithm keeps an explicit policy.
fn policy_entropies(algorithm: &dyn Algorithm, runs: usize) -> Option<Vec<f64>> {
    (0..runs)
        .map(|run| algorithm.log_policy(run).map(entropy))
        .collect()
}

/// Each arm's probability under the policy, averaged over runs.
fn mean_policy(algorithm: &dyn Algorithm, runs: usize) -> Option<Vec<f64>> {
    let mut sums = vec![0.0; algorithm.log_policy(0)?.len()];
    for run in 0..runs {
        for (sum, log_p) in sums.iter_mut().zip(algorithm.log_policy(run)?) {
            *sum += log_p.exp();
        }
    }
    Some(sums.into_iter().map(|s| s / runs as f64).collect())
}
