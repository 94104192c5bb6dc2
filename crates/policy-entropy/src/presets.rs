//! The lab's presets: settings that reproduce a claim of its papers, each
//! checked in numbers by the catalog's presets test (seed 1, on the CPU).

use thermolab_core::experiment::{Check, Preset};

pub fn presets() -> Vec<Preset> {
    vec![
        Preset::new(
            "entropy-collapse",
            "The entropy collapse, reward bought with entropy",
            "Cui et al. 2025, The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models, eq. 1",
            "GRPO with no entropy control on the digit-sum task: the policy's entropy falls from \
             about 2.3 nats to under 0.8 in 150 steps while the reward climbs past 0.6, and the \
             pairs (entropy, reward) lie on R = -a e^H + b with a > 0: reward is bought with \
             entropy, and once the entropy is spent the reward stops rising.",
            &[
                "controller_1=uncontrolled",
                "controller_2=none",
                "controller_3=none",
            ],
            150,
            vec![
                Check::below("entropy_1", 0.8),
                Check::above("reward_1", 0.6),
                Check::above("fit_a_1", 0.0),
            ],
        ),
        Preset::new(
            "entropy-target-dual-ascent",
            "An entropy target held by dual ascent",
            "Haarnoja et al. 2018, Soft Actor-Critic Algorithms and Applications, eq. 18",
            "The entropy bonus's coefficient is a Lagrange multiplier of H >= target, raised \
             while the entropy is under the target and lowered while it is over: instead of \
             collapsing, the entropy swings around 1.2 nats and settles within a few tenths of \
             it (the dual variable's momentum makes it overshoot first). Move the target while \
             it plays.",
            &[
                "controller_1=dual",
                "controller_2=none",
                "controller_3=none",
                "entropy_target=1.2",
            ],
            300,
            vec![
                Check::above("entropy_1", 0.9),
                Check::below("entropy_1", 1.5),
            ],
        ),
    ]
}
