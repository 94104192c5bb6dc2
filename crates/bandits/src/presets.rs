//! The lab's presets: settings that reproduce a claim of its papers, each
//! checked in numbers by the catalog's presets test (seed 1, on the CPU).

use thermolab_core::experiment::{Check, Preset};

pub fn presets() -> Vec<Preset> {
    vec![
        Preset::new(
            "ucb1-log-regret",
            "UCB1's logarithmic regret",
            "Auer, Cesa-Bianchi & Fischer 2002, Finite-time Analysis of the Multiarmed Bandit Problem, Theorem 1",
            "Two Gaussian arms 0.5 apart. UCB1 pulls the worse arm O(ln T / gap^2) times, so its \
             regret grows like log T: on the log time axis its curve straightens into a line, the \
             shape of Lai and Robbins' lower bound, well under the theorem's 8 ln T / gap. \
             Epsilon-greedy with a fixed epsilon = 0.1 explores at random forever: its regret grows \
             linearly (epsilon x gap / 2 a step) and passes UCB1's.",
            &[
                "env=gaussian",
                "arms=2",
                "gap=0.5",
                "algo_1=ucb1",
                "algo_2=epsilon_greedy",
                "algo_3=none",
                "runs=200",
                "horizon=2000",
                "log_time=true",
            ],
            2000,
            // 8 ln(2000) / 0.5 = 121.6
            vec![
                Check::less("regret_1", "regret_2"),
                Check::below("regret_1", 121.6),
            ],
        ),
        Preset::new(
            "entropy-target-dual-ascent",
            "An entropy target held by dual ascent",
            "Haarnoja et al. 2018, Soft Actor-Critic Algorithms and Applications (its temperature update); Sutton & Barto 2018, section 2.8",
            "The gradient bandit's policy would collapse onto the best arm. With Hold entropy target \
             on, its entropy bonus is a Lagrange multiplier raised while the entropy is under the \
             target and lowered while it is over: the policy's entropy settles at the target \
             (0.7 nats of the 1.61 five arms allow) instead of falling to zero. Move the target \
             while it plays.",
            &[
                "arms=5",
                "algo_1=gradient",
                "algo_2=none",
                "algo_3=none",
                "step_size=0.2",
                "hold_entropy=true",
                "entropy_target=0.7",
                "dual_step=0.1",
                "runs=100",
                "horizon=3000",
            ],
            3000,
            vec![
                Check::above("entropy_1", 0.6),
                Check::below("entropy_1", 0.8),
            ],
        ),
        Preset::new(
            "linucb-aligned-misspecification",
            "LinUCB fails on the aligned design, the threshold rule does not",
            "Zhang, He, Fan & Gu 2023 (ICML), On the Interplay Between Misspecification and Sub-optimality Gap in Linear Contextual Bandits",
            "Rewards linear in the features up to a misspecification zeta = 0.3, larger than \
             gap / sqrt(d), on contexts aligned with it. LinUCB's optimism trusts its linear fit \
             and keeps choosing the wrong arm: its regret grows linearly. The threshold rule \
             (DS-OFUL) updates its fit only on rounds whose uncertainty is above Gamma, so the \
             misspecification cannot pull it off the best arm: its regret stays flat.",
            &[
                "env=linear",
                "contexts=aligned",
                "arms=2",
                "zeta=0.3",
                "algo_1=linucb",
                "algo_2=threshold",
                "algo_3=none",
                "runs=50",
                "horizon=4000",
            ],
            4000,
            vec![
                Check::less("regret_2", "regret_1"),
                Check::below("regret_2", 10.0),
                Check::above("regret_1", 30.0),
            ],
        ),
    ]
}
