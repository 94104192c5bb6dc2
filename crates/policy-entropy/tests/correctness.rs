//! The lab against hand computation and against what its papers claim, on
//! burn's CPU backend: rewards, advantages and the PPO clip's gradient by
//! hand; pass@k, Top-H, top-p, min-p and EM-INF; the entropy collapse and
//! its R = -a e^H + b law; the first-order entropy change; the dual
//! coefficient, AEnt and AEPO holding three targets; what clip-higher and
//! BAPO change; the params' limits.

use burn::module::Param;
use burn::tensor::{Int, Tensor, TensorData};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::TensorDevice;
use thermolab_gpu::tensors::read_f32;
use thermolab_kit::ParamSet;
use thermolab_policy_entropy::PeParams;
use thermolab_policy_entropy::analysis::{fit_reward_entropy, pass_at_k};
use thermolab_policy_entropy::controllers::{ControllerId, aent, bapo, dual, era};
use thermolab_policy_entropy::decoding::{
    decode, em_inf_temperature, entropy, min_p, softmax_at, top_h, top_p,
};
use thermolab_policy_entropy::grpo::{clipped_surrogate, token_advantages};
use thermolab_policy_entropy::params::{Decoding, Task};
use thermolab_policy_entropy::policy::Policy;
use thermolab_policy_entropy::task::{Dims, Rule};
use thermolab_policy_entropy::trainer::{Draws, Run, StepReport};

fn read<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    pollster::block_on(read_f32(tensor)).unwrap()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// `steps` steps of one controller on seed set 1; the reports.
fn train(controller: ControllerId, params: &PeParams, steps: u64) -> Vec<StepReport> {
    let rng = CounterRng::new(1);
    let rule = Rule::draw(params, rng);
    let mut run = Run::new(controller, params, rng, &TensorDevice::flex());
    (0..steps)
        .map(|step| {
            let draws = Draws::of(rng, Dims::of(params), step);
            pollster::block_on(run.step(params, &rule, &draws)).unwrap()
        })
        .collect()
}

fn small() -> PeParams {
    PeParams {
        seeds: 4,
        ..PeParams::default()
    }
}

#[test]
fn digit_sum_and_hidden_answer_rewards_match_hand_checks() {
    let device = TensorDevice::flex();
    let dims = Dims {
        seeds: 1,
        prompts: 2,
        group: 2,
        length: 3,
        vocab: 16,
    };
    // Digits are tokens mod 10: 12 -> 2.
    let tokens = Tensor::<4, Int>::from_data(
        TensorData::new(vec![1i64, 2, 3, 12, 2, 2, 9, 9, 0, 0, 0, 15], [1, 2, 2, 3]),
        &device,
    );
    let sums = Rule::DigitSum {
        targets: vec![6, 18],
    };
    assert_eq!(
        read(sums.rewards(tokens.clone(), dims, &device).reshape([4])),
        [1.0, 1.0, 1.0, 0.0]
    );
    let answers = Rule::Answers {
        answers: vec![
            vec![vec![1, 2, 3], vec![4, 4, 4]],
            vec![vec![0, 0, 15], vec![9, 9, 1]],
        ],
    };
    assert_eq!(
        read(answers.rewards(tokens, dims, &device).reshape([4])),
        [1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn group_advantages_are_normalized_within_each_group() {
    let device = TensorDevice::flex();
    let dims = Dims {
        seeds: 1,
        prompts: 2,
        group: 4,
        length: 2,
        vocab: 8,
    };
    let rewards = Tensor::<3>::from_data(
        TensorData::new(vec![1.0f32, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0], [1, 2, 4]),
        &device,
    );
    let a = read(token_advantages(rewards, dims));
    // One of four right: mean 0.25, sample std sqrt(0.25) = 0.5.
    let expected = [1.5, 1.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5];
    for (got, want) in a[..8].iter().zip(expected) {
        assert!((f64::from(*got) - want).abs() < 1e-4, "{a:?}");
    }
    // All right: no signal.
    assert!(a[8..].iter().all(|x| x.abs() < 1e-6), "{a:?}");
}

#[test]
fn the_clip_stops_exactly_the_tokens_outside_its_bounds_with_the_matching_sign() {
    let device = TensorDevice::flex().autodiff();
    // (ratio, advantage): inside; above the upper bound with A > 0 (stopped);
    // above with A < 0 (flows); below the lower bound with A < 0 (stopped);
    // below with A > 0 (flows).
    let cases = [
        (1.0f32, 2.0f32),
        (1.5, 2.0),
        (1.5, -1.0),
        (0.5, -1.0),
        (0.5, 3.0),
    ];
    let ratio = Param::from_tensor(Tensor::<2>::from_data(
        TensorData::new(cases.map(|c| c.0).to_vec(), [1, 5]),
        &device,
    ));
    let advantages = Tensor::<2>::from_data(
        TensorData::new(cases.map(|c| c.1).to_vec(), [1, 5]),
        &device,
    );
    let bound = |v: f32| Tensor::<2>::from_data(TensorData::new(vec![v], [1, 1]), &device);
    let surrogate = clipped_surrogate(ratio.val(), advantages, bound(0.8), bound(1.28));
    assert_eq!(
        read(surrogate.clone().inner()),
        [2.0, 2.56, -1.5, -0.8, 1.5]
    );
    let grads = surrogate.sum().backward();
    let gradient = ratio.val().grad(&grads).unwrap();
    assert_eq!(read(gradient), [2.0, 0.0, -1.0, 0.0, 3.0]);
}

#[test]
fn pass_at_k_is_the_unbiased_estimator() {
    // 1 - C(3, 2) / C(4, 2) = 1 - 3/6.
    assert!((pass_at_k(4, 1, 2) - 0.5).abs() < 1e-12);
    assert!((pass_at_k(8, 2, 1) - 0.25).abs() < 1e-12);
    assert_eq!(pass_at_k(8, 0, 4), 0.0);
    assert_eq!(pass_at_k(8, 6, 4), 1.0);
    // 1 - C(5, 3) / C(8, 3) = 1 - 10/56.
    assert!((pass_at_k(8, 3, 3) - (1.0 - 10.0 / 56.0)).abs() < 1e-12);
}

#[test]
fn top_h_keeps_tokens_while_the_kept_entropy_stays_under_its_bound() {
    let p = [0.5, 0.25, 0.15, 0.1];
    let h = entropy(&p);
    // Kept {0, 1}: 0.6365 = 0.527 H(p); {0, 1, 2}: 0.9810 = 0.812 H(p).
    let two = entropy(&[2.0 / 3.0, 1.0 / 3.0]);
    let three = entropy(&[0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9]);
    assert!((h - 1.207_974).abs() < 1e-6);
    assert!((two - 0.636_514).abs() < 1e-6 && (three - 0.980_990).abs() < 1e-6);
    assert_eq!(top_h(&p, 0.5), vec![0]);
    assert_eq!(top_h(&p, 0.53), vec![0, 1]);
    assert_eq!(top_h(&p, 0.81), vec![0, 1]);
    assert_eq!(top_h(&p, 0.82), vec![0, 1, 2]);
    assert_eq!(top_h(&p, 0.999), vec![0, 1, 2]);
    assert_eq!(top_p(&p, 0.7), vec![0, 1]);
    assert_eq!(top_p(&p, 0.76), vec![0, 1, 2]);
    assert_eq!(min_p(&p, 0.3), vec![0, 1, 2]);
    assert_eq!(min_p(&p, 0.5), vec![0, 1]);
}

#[test]
fn em_inf_bisection_reaches_the_target_and_extreme_temperatures_stay_finite() {
    let logits = [2.0, 1.0, 0.5, -1.0, 0.0, 3.0];
    for target in [0.1, 0.7, 1.5] {
        let (t, h) = em_inf_temperature(&logits, target);
        assert!((h - target).abs() < 1e-4, "target {target}: T {t}, H {h}");
        assert!((entropy(&softmax_at(&logits, t)) - target).abs() < 1e-4);
    }
    let cold = softmax_at(&logits, 1e-3);
    assert_eq!(cold[5], 1.0);
    assert!(cold.iter().all(|p| p.is_finite()));
    let hot = softmax_at(&logits, 1e3);
    assert!(hot.iter().all(|p| (p - 1.0 / 6.0).abs() < 1e-3), "{hot:?}");
    let decoded = decode(&logits, Decoding::Temperature, 1e-3, 0.0);
    assert_eq!(decoded.kept_entropy, 0.0);
    assert!((entropy(&decoded.law)).abs() < 1e-9);
}

#[test]
fn the_controllers_formulas_match_their_papers() {
    // Dual ascent: c + lr (H* - H), never below 0.
    assert!((dual::update(0.1, 0.5, 1.0, 0.2) - 0.2).abs() < 1e-12);
    assert_eq!(dual::update(0.01, 2.0, 1.0, 0.2), 0.0);
    // AEnt: moves only outside the band, boxed.
    assert_eq!(aent::update(0.1, 1.0, (0.9, 1.1), 0.5, 0.3), 0.1);
    assert!((aent::update(0.1, 0.7, (0.9, 1.1), 0.5, 0.3) - 0.2).abs() < 1e-12);
    assert_eq!(aent::update(0.25, 0.1, (0.9, 1.1), 0.5, 0.3), 0.3);
    assert!((aent::update(0.1, 1.2, (0.9, 1.1), 0.5, 0.3) - 0.05).abs() < 1e-12);
    assert_eq!(aent::kept(16, 0.3), 12);
    // BAPO: positive tokens carry 2 of 2 + 0.68 + 3; the target needs the
    // negative token with rho 0.68 clipped.
    let ratios = [1.0f32, 0.68, 1.0];
    let advantages = [2.0f32, -1.0, -3.0];
    let shares = read(bapo::positive_shares(row(&ratios), row(&advantages)));
    assert!((shares[0] - 2.0 / 5.68).abs() < 1e-6, "{shares:?}");
    // Two raises put c_low at 0.70, above the 0.68 token: 2 of 5.
    assert_eq!(bapo_bounds(&ratios, &advantages, 0.39), (0.7, 1.3));
    assert_eq!(bapo_bounds(&ratios, &advantages, 0.3), bapo::START);
    assert_eq!(bapo_bounds(&ratios, &advantages, 0.9), bapo::LIMITS);
    // A share exactly at the target is reached; tokens that all have A = 0
    // leave nothing to balance.
    assert_eq!(bapo_bounds(&[1.0, 1.0], &[1.0, -1.0], 0.5), bapo::START);
    assert_eq!(bapo_bounds(&[1.3, 0.7], &[0.0, 0.0], 0.9), bapo::START);
}

fn row(values: &[f32]) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [1, values.len()]),
        &TensorDevice::flex(),
    )
}

/// BAPO's bounds for one seed's tokens, as the device picks them.
fn bapo_bounds(ratios: &[f32], advantages: &[f32], target: f64) -> (f64, f64) {
    let choice = bapo::choice(row(ratios), row(advantages), target);
    let index = pollster::block_on(read_f32(choice.float())).unwrap()[0];
    bapo::candidates()[index as usize]
}

/// BAPO's Algorithm 1 as the paper writes it, a loop over one seed's tokens.
fn bapo_reference(ratios: &[f32], advantages: &[f32], target: f64) -> (f64, f64) {
    let share = |(low, high): (f64, f64)| {
        let (mut positive, mut total) = (0.0, 0.0);
        for (&rho, &a) in ratios.iter().zip(advantages) {
            let (rho, a) = (f64::from(rho), f64::from(a));
            if (a > 0.0 && rho > high) || (a < 0.0 && rho < low) {
                continue;
            }
            total += (a * rho).abs();
            if a > 0.0 {
                positive += (a * rho).abs();
            }
        }
        if total > 0.0 { positive / total } else { 1.0 }
    };
    let (mut low, mut high) = bapo::START;
    while share((low, high)) < target {
        let raise_high = high + bapo::STEP <= bapo::LIMITS.1 + 1e-9;
        let raise_low = low + bapo::STEP <= bapo::LIMITS.0 + 1e-9;
        if !raise_high && !raise_low {
            break;
        }
        if raise_high {
            high += bapo::STEP;
        }
        if raise_low {
            low += bapo::STEP;
        }
    }
    (low, high)
}

#[test]
fn bapo_on_the_device_picks_the_bounds_of_the_papers_loop() {
    // 64 seeds of 40 tokens: ratios spread over [0.4, 2.4], advantages of
    // both signs (a few zero), targets across the range.
    let rng = CounterRng::new(7);
    let (seeds, tokens) = (64, 40);
    let ratios: Vec<f32> = (0..seeds * tokens)
        .map(|i| 0.4 + 2.0 * rng.uniform(i as u32, 0, 1))
        .collect();
    let advantages: Vec<f32> = (0..seeds * tokens)
        .map(|i| (rng.normal(i as u32, 0, 2) * 2.0).round() / 2.0)
        .collect();
    let device = TensorDevice::flex();
    let batch = |values: &[f32]| {
        Tensor::<2>::from_data(TensorData::new(values.to_vec(), [seeds, tokens]), &device)
    };
    let mut moved = 0;
    for target in [0.3, 0.45, 0.5, 0.55, 0.7] {
        let choice = bapo::choice(batch(&ratios), batch(&advantages), target);
        let (low, high) = bapo::bounds(choice);
        let (low, high) = (read(low), read(high));
        for seed in 0..seeds {
            let range = seed * tokens..(seed + 1) * tokens;
            let expected = bapo_reference(&ratios[range.clone()], &advantages[range], target);
            let got = (f64::from(low[seed]), f64::from(high[seed]));
            assert!(
                (got.0 - expected.0).abs() < 1e-6 && (got.1 - expected.1).abs() < 1e-6,
                "seed {seed}, target {target}: {got:?} vs {expected:?}"
            );
            moved += usize::from(expected != bapo::START && expected != bapo::LIMITS);
        }
    }
    // The cases are not all at the loop's two ends.
    assert!(moved > 20, "only {moved} seeds stopped between the ends");
}

#[test]
fn era_scales_the_logits_of_positive_advantage_tokens_only() {
    // One seed, one prompt, a group of 2, L = 2, V = 3: the table's logits
    // are shared by the two answers; answer 0 has A > 0, answer 1 A < 0.
    let params = PeParams {
        seeds: 1,
        prompts: 1,
        group: 2,
        length: 2,
        vocab: 3,
        ..PeParams::default()
    };
    let device = TensorDevice::flex();
    let mut policy = Policy::new(&params, CounterRng::new(1), &device);
    let z = [[0.5f32, -1.0, 2.0], [1.5, 0.0, -0.5]];
    if let Policy::Table(table) = &mut policy {
        let values: Vec<f32> = z.iter().flatten().copied().collect();
        table.logits = Param::from_tensor(Tensor::from_data(
            TensorData::new(values, [1, 1, 2, 3]),
            &device,
        ));
    }
    let tokens = [[2i64, 0], [1, 2]];
    let flat: Vec<i64> = tokens.iter().flatten().copied().collect();
    let tokens_tensor = Tensor::<4, Int>::from_data(TensorData::new(flat, [1, 1, 2, 2]), &device);
    let logits = policy.logits(tokens_tensor, Dims::of(&params));
    let advantages = Tensor::<2>::from_data(
        TensorData::new(vec![1.0f32, 1.0, -1.0, -1.0], [1, 4]),
        &device,
    );
    let scale = 4.0;
    let scales = Tensor::<2>::from_data(TensorData::new(vec![scale as f32], [1, 1]), &device);
    let got = read(era::token_log_probs(&logits, advantages, scales));
    let log_softmax = |row: &[f32], k: f64, token: i64| {
        let scaled: Vec<f64> = row.iter().map(|x| k * f64::from(*x)).collect();
        let norm = scaled.iter().map(|x| x.exp()).sum::<f64>().ln();
        scaled[token as usize] - norm
    };
    let want = [
        log_softmax(&z[0], scale, 2),
        log_softmax(&z[1], scale, 0),
        log_softmax(&z[0], 1.0, 1),
        log_softmax(&z[1], 1.0, 2),
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((f64::from(*g) - w).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

#[test]
fn without_control_the_entropy_collapses_along_r_equals_minus_a_e_to_the_h_plus_b() {
    let reports = train(ControllerId::None, &small(), 200);
    let start = mean(&reports[0].entropy);
    let end = mean(&reports[199].entropy);
    assert!(start > 2.0 && end < 0.5, "entropy {start:.3} -> {end:.3}");
    let points: Vec<(f64, f64)> = reports
        .iter()
        .map(|r| {
            let reward =
                r.rewards.iter().map(|x| f64::from(*x)).sum::<f64>() / r.rewards.len() as f64;
            (mean(&r.entropy), reward)
        })
        .collect();
    let (a, b) = fit_reward_entropy(&points).unwrap();
    assert!(a > 0.05 && b > 0.8, "R = -{a:.3} e^H + {b:.3}");
    // The fit explains the pairs: residuals well under the reward's spread.
    let residual = mean(
        &points
            .iter()
            .map(|(h, r)| (r - (b - a * h.exp())).powi(2))
            .collect::<Vec<_>>(),
    );
    let spread = mean(
        &points
            .iter()
            .map(|(_, r)| (r - 0.5).powi(2))
            .collect::<Vec<_>>(),
    );
    assert!(
        residual < 0.2 * spread,
        "residual {residual:.4}, spread {spread:.4}"
    );
}

#[test]
fn the_covariance_predicts_the_entropy_change_of_a_small_step() {
    let params = PeParams {
        learning_rate: 5e-3,
        epochs: 1,
        ..small()
    };
    let mut compared = 0;
    for report in train(ControllerId::None, &params, 8) {
        for seed in 0..params.seeds {
            let measured = report.entropy_after[seed] - report.entropy[seed];
            let predicted = report.predicted_change[seed];
            // A seed with no rewarded answer (or all) has no gradient.
            if measured.abs() < 1e-4 {
                continue;
            }
            compared += 1;
            assert!(
                (measured - predicted).abs() < 0.1 * measured.abs(),
                "seed {seed}: measured {measured:.3e}, predicted {predicted:.3e}"
            );
        }
    }
    assert!(compared >= 10, "only {compared} steps moved the entropy");
}

/// The largest distance of the seeds' mean entropy from `target` over the
/// steps after the burn-in, and the mean over them.
fn holding(controller: ControllerId, target: f64) -> (f64, f64) {
    let params = PeParams {
        entropy_target: target,
        ..small()
    };
    let reports = train(controller, &params, 300);
    let after: Vec<f64> = reports[150..].iter().map(|r| mean(&r.entropy)).collect();
    let worst = after.iter().map(|h| (h - target).abs()).fold(0.0, f64::max);
    (worst, mean(&after))
}

#[test]
fn dual_ascent_aent_and_aepo_hold_three_targets() {
    for target in [0.5, 1.0, 1.5] {
        for (controller, tolerance) in [
            (ControllerId::Dual, 0.35),
            (ControllerId::Aent, 0.4),
            (ControllerId::Aepo, 0.3),
        ] {
            let (worst, average) = holding(controller, target);
            assert!(
                worst < tolerance && (average - target).abs() < 0.15,
                "{} at {target}: mean {average:.3}, worst step {worst:.3} off",
                controller.label()
            );
        }
    }
}

#[test]
fn clip_higher_clips_fewer_positive_tokens_and_learns_faster() {
    // Clipping bites when an update moves the policy well away from the
    // one that sampled: a large step, many epochs.
    let with = |eps_high: f64| {
        let params = PeParams {
            learning_rate: 0.1,
            epochs: 8,
            eps_low: 0.2,
            eps_high,
            ..small()
        };
        let reports = train(ControllerId::None, &params, 20);
        let clipped = mean(
            &reports
                .iter()
                .map(|r| mean(&r.clipped_positive))
                .collect::<Vec<_>>(),
        );
        let reward = reports[19]
            .rewards
            .iter()
            .map(|x| f64::from(*x))
            .sum::<f64>()
            / reports[19].rewards.len() as f64;
        (clipped, reward)
    };
    let (symmetric_clipped, symmetric_reward) = with(0.2);
    let (higher_clipped, higher_reward) = with(0.5);
    assert!(
        symmetric_clipped > 0.05,
        "the symmetric clip bites: {symmetric_clipped:.3}"
    );
    assert!(
        higher_clipped < 0.7 * symmetric_clipped,
        "{higher_clipped:.3} vs {symmetric_clipped:.3}"
    );
    assert!(
        higher_reward > symmetric_reward,
        "{higher_reward:.3} vs {symmetric_reward:.3}"
    );
}

#[test]
fn bapo_raises_its_bounds_toward_the_positive_share() {
    let params = PeParams {
        learning_rate: 0.1,
        epochs: 8,
        bapo_share: 0.6,
        ..small()
    };
    let reports = train(ControllerId::Bapo, &params, 10);
    let moved = reports
        .iter()
        .flat_map(|r| &r.states)
        .filter(|s| (s.low, s.high) != bapo::START)
        .count();
    assert!(moved > 0, "BAPO never moved its bounds");
    for state in reports.iter().flat_map(|r| &r.states) {
        assert!(state.low >= bapo::START.0 - 1e-9 && state.low <= bapo::LIMITS.0 + 1e-9);
        assert!(state.high >= bapo::START.1 - 1e-9 && state.high <= bapo::LIMITS.1 + 1e-9);
    }
}

#[test]
fn the_mlp_policy_learns_the_hidden_answers() {
    let params = PeParams {
        task: Task::Answers,
        policy: thermolab_policy_entropy::params::PolicyKind::Mlp,
        vocab: 8,
        length: 2,
        answers: 2,
        learning_rate: 0.01,
        ..small()
    };
    let reports = train(ControllerId::None, &params, 150);
    let reward = |r: &StepReport| {
        r.rewards.iter().map(|x| f64::from(*x)).sum::<f64>() / r.rewards.len() as f64
    };
    let first = reward(&reports[0]);
    let last = mean(&reports[140..].iter().map(reward).collect::<Vec<_>>());
    assert!(first < 0.1 && last > 0.35, "reward {first:.3} -> {last:.3}");
}

#[test]
fn bad_settings_are_refused_with_the_setting_named() {
    let schema = PeParams::schema();
    for (key, raw) in [
        ("vocab", "1000"),
        ("group", "1"),
        ("learning_rate", "-1"),
        ("seeds", "0"),
    ] {
        assert!(schema.parse(key, raw).is_err(), "{key} = {raw}");
    }
    let mut params = PeParams::default();
    params.view_prompt = params.prompts;
    assert_eq!(params.limits().unwrap_err().key, "view_prompt");
    let mut params = PeParams::default();
    params.pass_k = params.group + 1;
    assert_eq!(params.limits().unwrap_err().key, "pass_k");
    let params = PeParams {
        seeds: 256,
        prompts: 256,
        group: 64,
        ..PeParams::default()
    };
    assert_eq!(params.limits().unwrap_err().key, "seeds");
}
