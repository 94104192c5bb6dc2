//! The Linear MDP lab's learners against what theory and exact computation
//! say. Every run is seeded, so these are replays, not flaky statistics.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{ChartKind, StepOutcome};
use thermolab_core::math::log_sum_exp;
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_gpu::Compute;
use thermolab_kit::{Hosted, ParamSet};
use thermolab_linear_mdp::algorithms::Context;
use thermolab_linear_mdp::algorithms::lsvi::{Backup, Lsvi};
use thermolab_linear_mdp::algorithms::mdvi::Mdvi;
use thermolab_linear_mdp::algorithms::sarsa::Sarsa;
use thermolab_linear_mdp::env::Environment;
use thermolab_linear_mdp::episode::play;
use thermolab_linear_mdp::features::{self, FeatureKind};
use thermolab_linear_mdp::mdp::Mdp;
use thermolab_linear_mdp::{LinearMdpLab, LinearMdpParams};

type Lab = Hosted<LinearMdpLab>;

fn values(settings: &[(&str, &str)]) -> BTreeMap<String, Value> {
    let schema = LinearMdpParams::schema();
    settings
        .iter()
        .map(|(k, raw)| (k.to_string(), schema.parse(k, raw).unwrap()))
        .collect()
}

fn lab(settings: &[(&str, &str)], seed: u64) -> Lab {
    let compute = Compute::cpu("tests run the CPU path");
    Hosted::from_values(&compute, &values(settings), seed, &Assets::default()).unwrap()
}

fn run_to(lab: &mut Lab, episodes: u64) {
    while lab.episodes_played() < episodes {
        if pollster::block_on(lab.step()).unwrap() == StepOutcome::Finished {
            break;
        }
    }
}

/// Typed params with `settings` over the defaults.
fn params(settings: &[(&str, &str)]) -> LinearMdpParams {
    let mut p = LinearMdpParams::default();
    for (key, value) in values(settings) {
        p.set(&key, &value).unwrap();
    }
    p
}

const WALLED_GRID: &[(&str, &str)] = &[
    ("env", "gridworld"),
    ("size", "5"),
    ("walls", "0.1,0.1,0.1,-0.3,-0.3,0.5"),
    ("rewards", "-0.9,0.9"),
    ("penalties", "0.5,-0.5"),
];

fn environments() -> Vec<(&'static str, Environment)> {
    let rng = CounterRng::new(5);
    vec![
        (
            "gridworld",
            Environment::of(&params(WALLED_GRID), rng).unwrap(),
        ),
        (
            "river",
            Environment::of(&params(&[("env", "river_swim")]), rng).unwrap(),
        ),
        (
            "linear",
            Environment::of(&params(&[("env", "linear_mdp")]), rng).unwrap(),
        ),
    ]
}

#[test]
fn optimal_values_satisfy_the_bellman_optimality_equation_on_every_environment() {
    for (name, env) in environments() {
        let mdp = &env.mdp;
        let values = mdp.optimal_values();
        for h in 0..mdp.horizon {
            for s in 0..mdp.states {
                let best = (0..mdp.actions)
                    .map(|a| {
                        mdp.reward[s * mdp.actions + a]
                            + mdp.expect(s * mdp.actions + a, &values.v[h + 1])
                    })
                    .fold(f64::NEG_INFINITY, f64::max);
                assert!((values.v[h][s] - best).abs() < 1e-9, "{name} h {h} s {s}");
            }
        }
        assert!(
            values.v[0][mdp.start] > 0.0,
            "{name}: some reward is reachable"
        );
    }
}

#[test]
fn cold_soft_values_are_the_optimal_ones_and_satisfy_the_soft_bellman_equation() {
    for (name, env) in environments() {
        let mdp = &env.mdp;
        let exact = mdp.optimal_values();
        let cold = mdp.soft_values(1e-3);
        let worst = cold
            .v
            .iter()
            .flatten()
            .zip(exact.v.iter().flatten())
            .map(|(s, e)| (s - e).abs())
            .fold(0.0, f64::max);
        // The soft value exceeds the max by at most T ln A per step: 1e-3 ln 4 x H.
        assert!(
            worst <= 1e-3 * (mdp.actions as f64).ln() * mdp.horizon as f64 + 1e-12,
            "{name}: {worst}"
        );
        for temperature in [1e-3, 0.5] {
            let soft = mdp.soft_values(temperature);
            for h in 0..mdp.horizon {
                for s in 0..mdp.states {
                    let q: Vec<f64> = (0..mdp.actions)
                        .map(|a| {
                            (mdp.reward[s * mdp.actions + a]
                                + mdp.expect(s * mdp.actions + a, &soft.v[h + 1]))
                                / temperature
                        })
                        .collect();
                    let want = temperature * log_sum_exp(&q);
                    assert!((soft.v[h][s] - want).abs() < 1e-6, "{name} T {temperature}");
                }
            }
        }
    }
}

#[test]
fn at_a_large_temperature_soft_vi_acts_uniformly_and_cold_it_stays_finite() {
    // A reward cell beside the start: Q tables that are not all tied.
    let soft = |t: &str| {
        let settings = [
            ("rewards", "-0.4,-0.9"),
            ("algo_1", "soft_vi"),
            ("algo_2", "none"),
            ("algo_3", "none"),
            ("temperature", t),
            ("seeds", "4"),
        ];
        let mut run = lab(&settings, 1);
        run_to(&mut run, 30);
        run.last(0, "entropy").unwrap()
    };
    let hot = soft("1000");
    assert!((hot - 4f64.ln()).abs() < 1e-3, "{hot}");
    // Cold, softmax(Q / T) is the greedy policy but for exact ties (actions
    // never tried tie at 0), and stays finite.
    let cold = soft("0.001");
    assert!(cold.is_finite() && cold < 0.1, "{cold}");
}

#[test]
fn mdvi_without_entropy_follows_the_exponential_of_the_summed_q_values() {
    let env = Environment::of(&params(WALLED_GRID), CounterRng::new(2)).unwrap();
    let features = features::build(FeatureKind::Exact, &env, (3, 0.3), 8, CounterRng::new(2));
    let p = params(&[
        ("model", "learning"),
        ("samples", "2"),
        ("kl_weight", "0.3"),
        ("entropy_weight", "0"),
    ]);
    let mut mdvi = Mdvi::new(3, &env.mdp);
    let a = env.mdp.actions;
    let mut summed = vec![vec![0.0; env.mdp.states * a]; env.mdp.horizon];
    for k in 0..6 {
        let context = Context {
            mdp: &env.mdp,
            features: &features,
            rng: CounterRng::new(9),
            episode: k,
        };
        let (q, _) = mdvi.iterate(2, &context, &p);
        for h in 0..env.mdp.horizon {
            summed[h]
                .iter_mut()
                .zip(&q[h])
                .for_each(|(s, q)| *s += q / p.kl_weight);
            for s in 0..env.mdp.states {
                let row = &summed[h][s * a..(s + 1) * a];
                let norm = log_sum_exp(row);
                for (action, want) in row.iter().enumerate() {
                    let got = mdvi.log_policy(2, h)[s * a + action];
                    assert!(
                        (got - (want - norm)).abs() < 1e-9,
                        "k {k} h {h} s {s}: {got} vs {}",
                        want - norm
                    );
                }
            }
        }
    }
}

#[test]
fn under_sampling_noise_mdvi_ends_closer_to_optimal_than_value_iteration() {
    let settings = [
        ("env", "gridworld"),
        ("size", "5"),
        ("slip", "0.3"),
        ("algo_1", "mdvi"),
        ("algo_2", "value_iteration"),
        ("algo_3", "none"),
        ("model", "learning"),
        ("samples", "1"),
        ("kl_weight", "0.3"),
        ("seeds", "32"),
    ];
    let mut run = lab(&settings, 4);
    run_to(&mut run, 60);
    // The mean over seeds of the last iterations' value errors.
    let (mdvi, vi) = (
        run.last(0, "suboptimality").unwrap(),
        run.last(1, "suboptimality").unwrap(),
    );
    assert!(mdvi < 0.5 * vi, "MDVI {mdvi} against value iteration {vi}");
    // With the model known both are exact.
    // With the model known value iteration is exact at once, and MDVI's
    // policy, proportional to exp(sum q / tau), closes in on the optimal one.
    let mut planning = lab(&[settings.as_slice(), &[("model", "planning")]].concat(), 4);
    run_to(&mut planning, 60);
    assert!(planning.last(1, "suboptimality").unwrap().abs() < 1e-9);
    let planned = planning.last(0, "suboptimality").unwrap();
    assert!(
        planned < 0.5 * mdvi,
        "MDVI planning {planned}, learning {mdvi}"
    );
}

/// Mean regret after `k` and `4 k` episodes.
fn regret_at(settings: &[(&str, &str)], k: u64) -> (f64, f64) {
    let mut run = lab(settings, 3);
    run_to(&mut run, k);
    let early = run.mean_regrets()[0];
    run_to(&mut run, 4 * k);
    (early, run.mean_regrets()[0])
}

#[test]
fn lsvi_ucb_regret_is_sublinear_on_the_one_hot_gridworld_and_the_linear_mdp() {
    for env in [
        [("env", "gridworld"), ("size", "4"), ("horizon", "8")],
        [
            ("env", "linear_mdp"),
            ("linear_states", "12"),
            ("horizon", "6"),
        ],
    ] {
        let settings = [
            &env[..],
            &[
                ("algo_2", "none"),
                ("algo_3", "none"),
                ("seeds", "8"),
                ("beta", "2"),
            ],
        ]
        .concat();
        let (early, late) = regret_at(&settings, 200);
        assert!(early > 0.0);
        assert!(
            late / early < 2.5,
            "{env:?}: regret {early} at K, {late} at 4K"
        );
    }
}

#[test]
fn on_riverswim_lsvi_ucb_beats_epsilon_greedy_by_a_large_factor() {
    let settings = [
        ("env", "river_swim"),
        ("river_states", "6"),
        ("horizon", "12"),
        ("algo_3", "none"),
        ("beta", "2"),
        ("seeds", "4"),
        ("episodes", "4000"),
    ];
    let mut run = lab(&settings, 6);
    run_to(&mut run, 4000);
    let regrets = run.mean_regrets();
    assert!(
        regrets[1] > 2.0 * regrets[0],
        "UCB {} against epsilon-greedy {}",
        regrets[0],
        regrets[1]
    );
    // Epsilon-greedy dithers at the left bank; LSVI-UCB has found the far end.
    let (ucb, greedy) = (
        run.last(0, "suboptimality").unwrap(),
        run.last(1, "suboptimality").unwrap(),
    );
    assert!(
        greedy > 5.0 * ucb,
        "value error: UCB {ucb}, epsilon-greedy {greedy}"
    );
}

#[test]
fn the_lsvi_weights_are_the_ridge_regression_of_every_transition_seen() {
    // The lab keeps sums per next state; the reference regresses on the stored transitions.
    let env = Environment::of(&params(&[("env", "linear_mdp")]), CounterRng::new(4)).unwrap();
    let features = features::build(FeatureKind::Random, &env, (3, 0.3), 6, CounterRng::new(4));
    let (lambda, d, a) = (0.7, features.dim, env.mdp.actions);
    let mut lsvi = Lsvi::new(2, &env.mdp, &features, lambda);
    let mut seen = Vec::new();
    let uniform = vec![vec![1.0 / a as f64; env.mdp.states * a]; env.mdp.horizon];
    for k in 0..20 {
        let context = Context {
            mdp: &env.mdp,
            features: &features,
            rng: CounterRng::new(1),
            episode: k,
        };
        let episode = play(&env.mdp, &uniform, context.rng, 1, k);
        lsvi.learn(1, &episode, &context);
        seen.push(episode);
    }
    let q = lsvi.q_tables(1, &features, 0.0, Backup::Max);
    let h = env.mdp.horizon - 2;
    let v_next: Vec<f64> = q[h + 1]
        .chunks_exact(a)
        .map(|r| r.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let mut gram = vec![0.0; d * d];
    (0..d).for_each(|i| gram[i * d + i] = lambda);
    let mut xty = vec![0.0; d];
    for episode in &seen {
        let x = features.at(episode.states[h] * a + episode.actions[h]);
        let y = episode.rewards[h] + v_next[episode.states[h + 1]];
        for i in 0..d {
            xty[i] += x[i] * y;
            for j in 0..d {
                gram[i * d + j] += x[i] * x[j];
            }
        }
    }
    let w: Vec<f64> = thermolab_core::ridge::invert_spd(&gram, d)
        .chunks_exact(d)
        .map(|row| row.iter().zip(&xty).map(|(g, y)| g * y).sum())
        .collect();
    let cap = (env.mdp.horizon - h) as f64;
    for (pair, got) in q[h].iter().enumerate() {
        let want: f64 = features
            .at(pair)
            .iter()
            .zip(&w)
            .map(|(x, w)| x * w)
            .sum::<f64>()
            .clamp(-cap, cap);
        assert!(
            (*got - want).abs() < 1e-9,
            "pair {pair}: {} vs {want}",
            *got
        );
    }
}

#[test]
fn a_live_change_of_lambda_gives_the_regression_a_fresh_one_with_it_gives() {
    let env = Environment::of(&params(&[("env", "river_swim")]), CounterRng::new(4)).unwrap();
    let features = features::build(FeatureKind::Rbf, &env, (3, 0.3), 6, CounterRng::new(4));
    let a = env.mdp.actions;
    let mut changed = Lsvi::new(1, &env.mdp, &features, 1.0);
    let mut fresh = Lsvi::new(1, &env.mdp, &features, 5.0);
    let uniform = vec![vec![1.0 / a as f64; env.mdp.states * a]; env.mdp.horizon];
    for k in 0..15 {
        let context = Context {
            mdp: &env.mdp,
            features: &features,
            rng: CounterRng::new(1),
            episode: k,
        };
        let episode = play(&env.mdp, &uniform, context.rng, 0, k);
        changed.learn(0, &episode, &context);
        fresh.learn(0, &episode, &context);
    }
    changed.set_lambda(1.0, 5.0, &features);
    let (got, want) = (
        changed.q_tables(0, &features, 1.0, Backup::Max),
        fresh.q_tables(0, &features, 1.0, Backup::Max),
    );
    for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
        assert!((g - w).abs() < 1e-9, "{g} vs {w}");
    }
    // Through the lab: the change acts on the next episodes.
    let base = [
        ("env", "river_swim"),
        ("algo_2", "none"),
        ("algo_3", "none"),
        ("seeds", "3"),
    ];
    let mut kept = lab(&base, 2);
    run_to(&mut kept, 40);
    let mut moved = lab(&base, 2);
    run_to(&mut moved, 10);
    moved.set("ridge_lambda", &Value::Float(100.0)).unwrap();
    run_to(&mut moved, 40);
    assert_ne!(kept.mean_regrets(), moved.mean_regrets());
}

#[test]
fn projected_sarsa_never_leaves_the_ball_and_with_a_large_radius_is_plain_sarsa() {
    // A reward cell beside the start, so the weights have something to learn.
    let settings = [
        ("env", "gridworld"),
        ("size", "4"),
        ("rewards", "-0.4,-0.9"),
        ("algo_1", "sarsa"),
        ("algo_2", "none"),
        ("algo_3", "none"),
        ("features", "random"),
        ("feature_dim", "16"),
        ("radius", "0.5"),
        ("step_size", "0.5"),
        ("seeds", "6"),
    ];
    let mut run = lab(&settings, 8);
    for _ in 0..80 {
        pollster::block_on(run.step()).unwrap();
        let largest = run.largest_weight_norm(0).unwrap();
        assert!(largest <= 0.5 + 1e-12, "{largest}");
    }
    assert!(
        run.largest_weight_norm(0).unwrap() > 0.49,
        "the bound is reached"
    );
    // R = 1000 against no projection at all, the same episodes.
    let env = Environment::of(&params(&settings), CounterRng::new(8)).unwrap();
    let features = features::build(FeatureKind::Random, &env, (3, 0.3), 16, CounterRng::new(8));
    let mut wide = params(&[("radius", "1000"), ("step_size", "0.5")]);
    let mut projected = Sarsa::new(1, &env.mdp, &features);
    let mut plain = Sarsa::new(1, &env.mdp, &features);
    for k in 0..50 {
        let context = Context {
            mdp: &env.mdp,
            features: &features,
            rng: CounterRng::new(8),
            episode: k,
        };
        let plan = projected.plan(0, &context, &wide);
        let episode = play(&env.mdp, &plan.policy, context.rng, 0, k);
        projected.learn(0, &episode, &context, &wide);
        wide.radius = f64::INFINITY;
        plain.learn(0, &episode, &context, &wide);
        wide.radius = 1000.0;
    }
    assert!(projected.norm(0) < 1000.0);
    assert_eq!(projected.norm(0), plain.norm(0));
}

#[test]
fn exact_features_are_linear_and_coarse_ones_are_said_to_miss() {
    let exact = lab(&[("env", "gridworld"), ("size", "4")], 1);
    assert!(exact.realizability_error().unwrap() < 1e-6);
    let linear = lab(&[("env", "linear_mdp")], 1);
    assert!(linear.realizability_error().unwrap() < 1e-6);
    let rbf = lab(
        &[
            ("env", "gridworld"),
            ("size", "6"),
            ("features", "rbf"),
            ("rbf_centers", "2"),
        ],
        1,
    );
    let error = rbf.realizability_error().unwrap();
    assert!(error > 0.05, "{error}");
    let facts = rbf.view().facts;
    assert!(
        facts
            .iter()
            .any(|(k, v)| k == "Linear MDP?" && v.starts_with("no")),
        "{facts:?}"
    );
}

#[test]
fn a_gridworld_without_reachable_reward_runs_and_says_so() {
    // Walls around the goal's corner of a 4 x 4 grid: cells (2, 3) and (3, 2).
    let mut run = lab(
        &[
            ("env", "gridworld"),
            ("size", "4"),
            ("walls", "0.25,0.75,0.75,0.25"),
            ("seeds", "2"),
        ],
        1,
    );
    run_to(&mut run, 5);
    assert_eq!(run.optimal_value(), 0.0);
    let view = run.view();
    assert!(
        view.facts
            .iter()
            .any(|(k, v)| k == "Reward" && v.contains("none is reachable")),
        "{:?}",
        view.facts
    );
    assert!(
        view.figures
            .iter()
            .all(|f| f.value.is_some_and(f64::is_finite))
    );
    for chart in &view.charts {
        if let ChartKind::Lines { lines, .. } = &chart.kind {
            assert!(
                lines
                    .iter()
                    .flat_map(|l| &l.points)
                    .all(|b| b.mean.is_finite()),
                "{}",
                chart.key
            );
        }
    }
}

#[test]
fn painted_lists_that_are_too_long_off_the_grid_or_malformed_are_refused() {
    let schema = LinearMdpParams::schema();
    let too_many = (0..65).map(|_| "0.1,0.1").collect::<Vec<_>>().join(",");
    assert!(schema.parse("walls", &too_many).is_err());
    assert!(schema.parse("walls", "1.5,0.2").is_err(), "off the grid");
    assert!(schema.parse("walls", "0.2").is_err(), "half a point");
    assert!(schema.parse("walls", "a,b").is_err());
    assert!(schema.parse("walls", "0.2,NaN").is_err());
    assert!(schema.parse("walls", "0.2,-0.3").is_ok());
    // A painted point lands in the cell under it.
    assert_eq!(Environment::cell_at([-0.99, -0.99], 5), 0);
    assert_eq!(Environment::cell_at([0.99, 0.99], 5), 24);
    assert_eq!(Environment::cell_at([1.0, -1.0], 5), 4);
}

#[test]
fn sizes_past_the_limits_are_refused_with_the_param_to_lower() {
    let refused = |settings: &[(&str, &str)]| {
        let p = params(settings);
        thermolab_kit::ParamSet::limits(&p).unwrap_err().key
    };
    assert_eq!(refused(&[("size", "16")]), "size");
    assert_eq!(
        refused(&[
            ("size", "16"),
            ("features", "random"),
            ("feature_dim", "256"),
            ("seeds", "1024")
        ]),
        "seeds"
    );
    assert_eq!(refused(&[("size", "8"), ("seeds", "64")]), "seeds");
    assert!(thermolab_kit::ParamSet::limits(&params(&[("size", "8"), ("seeds", "4")])).is_ok());
}

#[test]
fn the_models_are_proper_laws_and_the_linear_mdp_is_low_rank() {
    for (name, env) in environments() {
        env.mdp.check().unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let env = Environment::of(
        &params(&[("env", "linear_mdp"), ("linear_dim", "3")]),
        CounterRng::new(1),
    )
    .unwrap();
    let (d, phi) = env.features.as_ref().unwrap();
    assert_eq!(*d, 3);
    assert!(
        phi.chunks_exact(3)
            .all(|f| (f.iter().sum::<f64>() - 1.0).abs() < 1e-12 && f.iter().all(|x| *x >= 0.0))
    );
    let _: &Mdp = &env.mdp;
}
