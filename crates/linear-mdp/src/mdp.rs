//! A finite episodic MDP with a known model (S states, A actions, horizon H,
//! a sparse transition law and rewards), and what the model gives exactly:
//! the optimal values by backward induction (Bellman 1957; Puterman 1994,
//! §4.5), the value of any policy, and next states drawn from the law.

use thermolab_core::math::log_sum_exp;

/// Sums of probabilities this far from 1 are refused when a model is built.
const LAW_TOLERANCE: f64 = 1e-9;

/// A finite-horizon MDP: the agent starts in `start`, takes `horizon` actions
/// and collects `reward[s * A + a]` for each.
#[derive(Clone, Debug, PartialEq)]
pub struct Mdp {
    pub states: usize,
    pub actions: usize,
    pub horizon: usize,
    pub start: usize,
    /// r(s, a), row-major by state.
    pub reward: Vec<f64>,
    /// For each (s, a), the next states with positive probability.
    pub next: Vec<Vec<(usize, f64)>>,
}

/// Q_h(s, a) and V_h(s) for h = 0..H (V_H = 0), row-major: `q[h][s * A + a]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub q: Vec<Vec<f64>>,
    pub v: Vec<Vec<f64>>,
}

/// A time-dependent stochastic policy: `probs[h][s * A + a]` = pi_h(a | s).
pub type Policy = Vec<Vec<f64>>;

impl Mdp {
    /// Checks the law: every (s, a) has next states inside the MDP whose
    /// probabilities are non-negative and sum to 1.
    pub fn check(&self) -> Result<(), String> {
        let pairs = self.states * self.actions;
        if self.reward.len() != pairs || self.next.len() != pairs || self.start >= self.states {
            return Err("the model's tables do not match its sizes".to_string());
        }
        for (pair, law) in self.next.iter().enumerate() {
            let total: f64 = law.iter().map(|(_, p)| p).sum();
            let inside = law.iter().all(|&(s, p)| s < self.states && p >= 0.0);
            if !inside || (total - 1.0).abs() > LAW_TOLERANCE {
                return Err(format!(
                    "state {} action {}: its next-state law sums to {total}",
                    pair / self.actions,
                    pair % self.actions
                ));
            }
        }
        Ok(())
    }

    /// E[f(s') | s, a] under the model.
    pub fn expect(&self, pair: usize, f: &[f64]) -> f64 {
        self.next[pair].iter().map(|&(s, p)| p * f[s]).sum()
    }

    /// The Bellman backup r(s, a) + E[f(s') | s, a] of every pair.
    pub fn backup(&self, f: &[f64]) -> Vec<f64> {
        (0..self.states * self.actions)
            .map(|pair| self.reward[pair] + self.expect(pair, f))
            .collect()
    }

    /// Backward induction with `reduce` turning Q_h(s, .) into V_h(s).
    fn induction(&self, reduce: impl Fn(&[f64]) -> f64) -> Values {
        let (h_max, a) = (self.horizon, self.actions);
        let mut v = vec![vec![0.0; self.states]; h_max + 1];
        let mut q = vec![Vec::new(); h_max];
        for h in (0..h_max).rev() {
            q[h] = self.backup(&v[h + 1]);
            v[h] = q[h].chunks_exact(a).map(&reduce).collect();
        }
        Values { q, v }
    }

    /// The optimal values: V_h(s) = max_a r(s, a) + E V_{h+1}(s').
    pub fn optimal_values(&self) -> Values {
        self.induction(|q| q.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    }

    /// The soft (entropy-regularized) values at temperature T:
    /// V_h(s) = T ln sum_a exp(Q_h(s, a) / T), by a shifted log-sum-exp so
    /// that T = 1e-3 neither overflows nor loses the maximum (Ziebart 2010,
    /// eq. 6.4; Haarnoja et al. 2017, eq. 4).
    pub fn soft_values(&self, temperature: f64) -> Values {
        self.induction(|q| {
            let scaled: Vec<f64> = q.iter().map(|x| x / temperature).collect();
            temperature * log_sum_exp(&scaled)
        })
    }

    /// The value V^pi_h(s) of a time-dependent policy.
    pub fn policy_values(&self, policy: &Policy) -> Vec<Vec<f64>> {
        let a = self.actions;
        let mut v = vec![vec![0.0; self.states]; self.horizon + 1];
        for h in (0..self.horizon).rev() {
            let q = self.backup(&v[h + 1]);
            v[h] = q
                .chunks_exact(a)
                .zip(policy[h].chunks_exact(a))
                .map(|(q, p)| q.iter().zip(p).map(|(q, p)| q * p).sum())
                .collect();
        }
        v
    }

    /// The value of `policy` from the start state.
    pub fn start_value(&self, policy: &Policy) -> f64 {
        self.policy_values(policy)[0][self.start]
    }

    /// The next state after (s, a) for a uniform `u` in [0, 1): the first
    /// whose cumulative probability passes `u` (inverse transform).
    pub fn next_state(&self, pair: usize, u: f64) -> usize {
        let law = &self.next[pair];
        let mut total = 0.0;
        for &(s, p) in law {
            total += p;
            if u < total {
                return s;
            }
        }
        law.last().map_or(0, |&(s, _)| s)
    }

    /// The states reachable from the start within the horizon.
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.states];
        seen[self.start] = true;
        let mut frontier = vec![self.start];
        for _ in 0..self.horizon {
            let mut next = Vec::new();
            for &s in &frontier {
                for pair in s * self.actions..(s + 1) * self.actions {
                    for &(t, p) in &self.next[pair] {
                        if p > 0.0 && !seen[t] {
                            seen[t] = true;
                            next.push(t);
                        }
                    }
                }
            }
            frontier = next;
        }
        seen
    }
}

/// Values this close to the largest (relative, at least 1e-5 absolute) count
/// as ties, on the CPU (f64) and in the kernel (f32) alike, where without a
/// tolerance each machine's rounding would pick among them.
pub const TIE_TOLERANCE: f64 = 1e-5;

/// The greedy policy of Q tables: uniform over the actions tied for the
/// largest value. A fixed tie-break would decide exploration where
/// optimism clamps several actions at the same cap (LSVI-UCB's
/// min(Q, H - h)): RiverSwim's left bank would win every tie.
pub fn greedy(q: &[Vec<f64>], actions: usize) -> Policy {
    q.iter()
        .map(|qh| qh.chunks_exact(actions).flat_map(greedy_row).collect())
        .collect()
}

/// Uniform over the entries within [`TIE_TOLERANCE`] of the largest.
pub fn greedy_row(row: &[f64]) -> Vec<f64> {
    let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = best - TIE_TOLERANCE * best.abs().max(1.0);
    let tied = row.iter().filter(|x| **x >= floor).count().max(1) as f64;
    row.iter()
        .map(|x| if *x >= floor { 1.0 / tied } else { 0.0 })
        .collect()
}

/// Draws an action from `probs` with a uniform `u` in [0, 1).
pub fn draw(probs: &[f64], u: f64) -> usize {
    let mut total = 0.0;
    for (a, p) in probs.iter().enumerate() {
        total += p;
        if u < total {
            return a;
        }
    }
    // Rounding left the total just under 1: the last action with mass.
    probs.iter().rposition(|p| *p > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermolab_core::math::softmax;

    /// Two states, two actions: in state 0, action 0 stays (reward 0.5),
    /// action 1 moves to state 1 (reward 0); state 1 pays 1 for either
    /// action and stays. Solved by hand for H = 3.
    fn two_state() -> Mdp {
        Mdp {
            states: 2,
            actions: 2,
            horizon: 3,
            start: 0,
            reward: vec![0.5, 0.0, 1.0, 1.0],
            next: vec![
                vec![(0, 1.0)],
                vec![(1, 1.0)],
                vec![(1, 1.0)],
                vec![(1, 1.0)],
            ],
        }
    }

    #[test]
    fn value_iteration_solves_the_two_state_mdp_by_hand() {
        let values = two_state().optimal_values();
        // h = 2 (one step left): V(0) = 0.5, V(1) = 1.
        assert_eq!(values.v[2], vec![0.5, 1.0]);
        // h = 1: Q(0, stay) = 0.5 + 0.5 = 1, Q(0, move) = 0 + 1 = 1; V(1) = 2.
        assert_eq!(values.q[1], vec![1.0, 1.0, 2.0, 2.0]);
        // h = 0: Q(0, stay) = 0.5 + 1 = 1.5, Q(0, move) = 0 + 2 = 2; V(1) = 3.
        assert_eq!(values.q[0], vec![1.5, 2.0, 3.0, 3.0]);
        assert_eq!(values.v[0], vec![2.0, 3.0]);
    }

    #[test]
    fn soft_values_are_optimal_when_cold_and_soft_bellman_holds() {
        let mdp = two_state();
        let exact = mdp.optimal_values();
        let cold = mdp.soft_values(1e-3);
        // max <= T lse(x / T) <= max + T ln A at each of the H steps; state 0
        // has two tied actions at h = 1, so the gap there is T ln 2 at least.
        let bound = 1e-3 * 2f64.ln() * mdp.horizon as f64;
        for (soft, hard) in cold.v.iter().flatten().zip(exact.v.iter().flatten()) {
            assert!(
                soft.is_finite() && *soft >= *hard && soft - hard <= bound,
                "{soft} vs {hard}"
            );
        }
        assert!(cold.v[1][0] - exact.v[1][0] >= 1e-3 * 2f64.ln() - 1e-12);
        for temperature in [1e-3, 0.3, 5.0] {
            let soft = mdp.soft_values(temperature);
            for h in 0..mdp.horizon {
                for s in 0..2 {
                    let q: Vec<f64> = (0..2)
                        .map(|a| mdp.reward[s * 2 + a] + mdp.expect(s * 2 + a, &soft.v[h + 1]))
                        .collect();
                    let lse = temperature
                        * ((q[0] / temperature).exp() + (q[1] / temperature).exp()).ln();
                    let want = if lse.is_finite() { lse } else { soft.v[h][s] };
                    assert!((soft.v[h][s] - want).abs() < 1e-6);
                }
            }
        }
        let hot = mdp.soft_values(1e3);
        let p = softmax(&hot.q[0][0..2], 1e3);
        assert!((p[0] - 0.5).abs() < 1e-3, "{p:?}");
    }

    #[test]
    fn the_value_of_the_greedy_policy_is_the_optimal_value() {
        let mdp = two_state();
        let values = mdp.optimal_values();
        let policy = greedy(&values.q, 2);
        assert_eq!(mdp.policy_values(&policy), values.v);
        let uniform: Policy = vec![vec![0.5; 4]; 3];
        // Uniform from state 0: hand value 1.125 + ... checked as the mean of the two backups.
        let v = mdp.policy_values(&uniform);
        assert!((v[2][0] - 0.25).abs() < 1e-12);
        assert!(mdp.start_value(&uniform) < values.v[0][0]);
    }

    #[test]
    fn greedy_spreads_over_ties_within_the_tolerance() {
        assert_eq!(greedy_row(&[1.0, 1.0 + 1e-7, 0.5]), vec![0.5, 0.5, 0.0]);
        assert_eq!(greedy_row(&[2.0, 2.0, 2.0, 2.0]), vec![0.25; 4]);
        assert_eq!(greedy_row(&[0.0, 1e-3, 0.0]), vec![0.0, 1.0, 0.0]);
        // Relative above 1: 1e-5 of 1,000 is 0.01.
        assert_eq!(greedy_row(&[1000.0, 999.995]), vec![0.5, 0.5]);
    }

    #[test]
    fn draws_follow_the_cumulative_law() {
        let mdp = Mdp {
            next: vec![vec![(0, 0.25), (1, 0.75)]; 4],
            ..two_state()
        };
        assert_eq!(mdp.next_state(0, 0.2), 0);
        assert_eq!(mdp.next_state(0, 0.25), 1);
        assert_eq!(mdp.next_state(0, 0.999), 1);
        assert_eq!(draw(&[0.0, 1.0, 0.0], 0.5), 1);
        assert_eq!(draw(&[0.5, 0.5 - 1e-17, 0.0], 0.9999999), 1);
        assert!(mdp.check().is_ok());
        let broken = Mdp {
            next: vec![vec![(0, 0.5)]; 4],
            ..two_state()
        };
        assert!(broken.check().is_err());
    }
}
