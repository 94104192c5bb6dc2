//! What one round of one algorithm leaves over all its runs, as both paths
//! report it (`thermolab_core::stats` computes the intervals).

/// One round's statistics of one algorithm over all runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundStats {
    /// Mean cumulative regret and the half-width of its 95% interval.
    pub regret: (f64, f64),
    /// Share of runs that pulled a best arm this round.
    pub best_share: f64,
    /// Mean policy entropy and its half-width, for explicit policies.
    pub entropy: Option<(f64, f64)>,
    /// Each arm's policy probability, averaged over runs, for explicit policies.
    pub policy: Option<Vec<f64>>,
}
