//! The lab's presets: settings that reproduce a claim of its papers, each
//! checked in numbers by the catalog's presets test (seed 1, on the CPU).

use thermolab_core::experiment::{Check, Preset};

pub fn presets() -> Vec<Preset> {
    vec![
        Preset::new(
            "optimism-on-riverswim",
            "Optimism against dithering on RiverSwim",
            "Jin, Yang, Wang & Jordan 2020, Provably Efficient Reinforcement Learning with Linear Function Approximation, Theorem 3.1",
            "RiverSwim pays a little on its left bank and a lot upstream, behind a current that \
             pushes back. LSVI-UCB's bonus makes the unvisited upstream states look good until \
             they are known, so it swims up and its regret grows like the square root of the \
             episodes; epsilon-greedy LSVI dithers near the bank and its regret grows linearly: \
             after 3,000 episodes it is more than twice LSVI-UCB's.",
            &[
                "env=river_swim",
                "horizon=12",
                "algo_1=lsvi_ucb",
                "algo_2=lsvi_greedy",
                "algo_3=none",
                "seeds=16",
                "episodes=3000",
            ],
            3000,
            vec![
                Check::less("regret_1", "regret_2"),
                Check::below("regret_1", 1000.0),
            ],
        ),
        Preset::new(
            "mdvi-averages-errors",
            "KL regularization averages sampling errors",
            "Vieillard et al. 2020, Leverage the Average: an Analysis of KL Regularization in Reinforcement Learning, Theorem 1",
            "Both learners plan with one sampled next state per state and action each iteration, \
             on a gridworld whose moves slip 30% of the time. Value iteration takes each noisy \
             backup at face value and its greedy policy keeps jumping; MDVI's KL term to its last \
             policy makes its policy the softmax of the sum of all its Q estimates, so their \
             errors average out: after 100 iterations its regret is a tenth of value iteration's.",
            &[
                "slip=0.3",
                "algo_1=mdvi",
                "algo_2=value_iteration",
                "algo_3=none",
                "kl_weight=0.3",
                "seeds=32",
                "episodes=100",
            ],
            100,
            vec![
                Check::less("regret_1", "regret_2"),
                Check::below("regret_1", 10.0),
                Check::above("regret_2", 20.0),
            ],
        ),
    ]
}
