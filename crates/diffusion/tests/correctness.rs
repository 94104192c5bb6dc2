//! The Diffusion lab against what is known independently: the forward
//! chain's closed form, the Gaussian mixture's exact score and posterior
//! mean, the data-versus-data floor of the sliced Wasserstein distance, and
//! the identities between samplers (DDIM at eta = 1 is DDPM's ancestral
//! sampler; on straight paths DDIM at eta = 0 is Euler).

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::ChartKind;
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_diffusion::clipping::X0Clip;
use thermolab_diffusion::data::Dataset;
use thermolab_diffusion::denoise::{Denoised, Denoiser, Objective};
use thermolab_diffusion::metrics::sliced_wasserstein;
use thermolab_diffusion::path::{NoisePath, Schedule};
use thermolab_diffusion::sampler::{self, NoiseSource, Sampler, Samples, Settings, Shape};
use thermolab_diffusion::{DiffusionLab, MixtureDenoiser};
use thermolab_gpu::Compute;
use thermolab_kit::Hosted;

type Lab = Hosted<DiffusionLab>;

fn mean_and_variance(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (
        mean,
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

#[test]
fn the_forward_chain_matches_its_closed_form() {
    // Run x_k = sqrt(1 - beta_k) x_{k-1} + sqrt(beta_k) z step by step and
    // compare x_k's mean and variance with q(x_t | x_0) = N(alpha x_0, sigma^2).
    let rng = CounterRng::new(4);
    let x0 = 1.3;
    for schedule in [Schedule::Linear, Schedule::Cosine] {
        let path = NoisePath::ddpm(schedule, 50);
        let betas = path.betas();
        let chains = 20_000;
        let mut x = vec![x0; chains];
        for (k, beta) in betas.iter().enumerate() {
            for (i, xi) in x.iter_mut().enumerate() {
                let z = f64::from(rng.normal(i as u32, k as u32, 0));
                *xi = (1.0 - beta).sqrt() * *xi + beta.sqrt() * z;
            }
            if [4, 24, 49].contains(&k) {
                let (alpha, sigma) = path.alpha_sigma((k + 1) as f64 / 50.0);
                let (mean, variance) = mean_and_variance(&x);
                let se = sigma / (chains as f64).sqrt();
                assert!(
                    (mean - alpha * x0).abs() < 4.0 * se,
                    "{schedule:?} k={k}: mean {mean} vs {}",
                    alpha * x0
                );
                assert!(
                    (variance / (sigma * sigma) - 1.0).abs() < 0.05,
                    "{schedule:?} k={k}: {variance} vs {}",
                    sigma * sigma
                );
            }
        }
    }
}

#[test]
fn training_inputs_follow_the_forward_process_plus_the_perturbation() {
    // At fixed x_0 and t the input is alpha x_0 + sigma (eps + gamma xi):
    // variance sigma^2 (1 + gamma^2); DDPM's target is eps or x_0, flow
    // matching's eps - x_0.
    let rng = CounterRng::new(8);
    let (x0, t, gamma) = (-0.7, 0.4, 0.3);
    for objective in [Objective::Ddpm, Objective::DdpmX0, Objective::FlowMatching] {
        let path = objective.path(Schedule::Cosine, 100);
        let (alpha, sigma) = path.alpha_sigma(t);
        let pairs: Vec<(f64, f64)> = (0..20_000u32)
            .map(|i| {
                let (eps, xi) = (
                    f64::from(rng.normal(i, 0, 0)),
                    f64::from(rng.normal(i, 0, 1)),
                );
                let (input, target) = objective.training_example(&path, x0, eps, xi, gamma, t);
                let expected = match objective {
                    Objective::Ddpm => eps,
                    Objective::DdpmX0 => x0,
                    Objective::FlowMatching => eps - x0,
                };
                assert_eq!(target, expected);
                (input, target)
            })
            .collect();
        let inputs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let (mean, variance) = mean_and_variance(&inputs);
        assert!((mean - alpha * x0).abs() < 0.02, "{objective:?}: {mean}");
        let expected = sigma * sigma * (1.0 + gamma * gamma);
        assert!(
            (variance / expected - 1.0).abs() < 0.05,
            "{objective:?}: {variance} vs {expected}"
        );
    }
}

#[test]
fn each_objectives_exact_target_gives_back_x0_and_eps() {
    // The network that outputs its training target exactly lets the sampler
    // recover both x_0 and eps from x_t, whichever it predicts.
    let (x0, eps, t) = ([-1.0, 0.3], [0.8, -1.6], 0.3);
    for objective in [Objective::Ddpm, Objective::DdpmX0, Objective::FlowMatching] {
        let path = objective.path(Schedule::Cosine, 100);
        let (x, target): (Vec<f64>, Vec<f64>) = (0..2)
            .map(|d| objective.training_example(&path, x0[d], eps[d], 0.0, 0.0, t))
            .unzip();
        let denoised = objective.denoised(&path, &x, &target, t);
        for d in 0..2 {
            assert!(
                (denoised.x0[d] - x0[d]).abs() < 1e-12,
                "{objective:?}: {denoised:?}"
            );
            assert!(
                (denoised.eps[d] - eps[d]).abs() < 1e-12,
                "{objective:?}: {denoised:?}"
            );
        }
    }
}

fn mixture_data(count: usize, draw: u32) -> Vec<[f64; 2]> {
    Dataset::Mixture.points(&[], CounterRng::new(11), count, draw)
}

fn settings(sampler: Sampler, steps: usize, eta: f64, clip: X0Clip) -> Settings {
    Settings {
        sampler,
        steps,
        eta,
        temperature: 1.0,
        clip,
    }
}

fn noise(injected: u32) -> NoiseSource {
    NoiseSource {
        rng: CounterRng::new(21),
        initial: 0,
        injected,
    }
}

fn run(
    denoiser: &dyn Denoiser,
    path: &NoisePath,
    settings: &Settings,
    injected: u32,
    n: usize,
) -> Samples {
    let shape = Shape {
        particles: n,
        dims: 2,
        traced: 8,
        clip_group: 2 * n,
    };
    pollster::block_on(sampler::sample(
        denoiser,
        path,
        settings,
        noise(injected),
        shape,
    ))
    .unwrap()
}

fn points(samples: &Samples) -> Vec<[f64; 2]> {
    samples.x.chunks(2).map(|p| [p[0], p[1]]).collect()
}

#[test]
fn samplers_with_the_exact_denoiser_reach_the_mixture() {
    // With E[x_0 | x_t] exact, only the samplers' discretization stands
    // between their samples and the data. The floor is the mean distance of
    // five independent data sets to the reference set (one draw varies by
    // +-30%). The ODE samplers come within 1.3x of it; DDPM's ancestral
    // sampler with the posterior variance beta tilde is known to
    // under-disperse (the missing term of "Analytic-DPM", Bao et al. 2022):
    // within 2x.
    let n = 2000;
    let reference = mixture_data(n, 0);
    let floor = (1..=5)
        .map(|k| sliced_wasserstein(&reference, &mixture_data(n, k)))
        .sum::<f64>()
        / 5.0;
    let ddpm = NoisePath::ddpm(Schedule::Linear, 1000);
    let cosine = NoisePath::ddpm(Schedule::Cosine, 100);
    let flow = NoisePath::FlowMatching;
    let cases = [
        (&ddpm, settings(Sampler::Ddim, 50, 0.0, X0Clip::None), 1.3),
        (&ddpm, settings(Sampler::Euler, 200, 0.0, X0Clip::None), 1.3),
        (&flow, settings(Sampler::Euler, 50, 0.0, X0Clip::None), 1.3),
        (&flow, settings(Sampler::Ddim, 50, 0.5, X0Clip::None), 1.3),
        (
            &ddpm,
            settings(Sampler::Ancestral, 200, 0.0, X0Clip::None),
            2.0,
        ),
        (
            &cosine,
            settings(Sampler::Ancestral, 100, 0.0, X0Clip::None),
            2.0,
        ),
    ];
    for (path, settings, factor) in cases {
        let samples = run(&MixtureDenoiser { path }, path, &settings, 1, n);
        let distance = sliced_wasserstein(&points(&samples), &reference);
        assert!(
            distance < factor * floor,
            "{settings:?}: {distance} vs floor {floor}"
        );
    }
    // Temperature 0 collapses the ODE onto a few points: far from the data.
    let cold = Settings {
        temperature: 0.0,
        ..settings(Sampler::Ddim, 50, 0.0, X0Clip::None)
    };
    let samples = run(&MixtureDenoiser { path: &ddpm }, &ddpm, &cold, 1, n);
    assert!(sliced_wasserstein(&points(&samples), &reference) > 3.0 * floor);
}

/// An x_0 estimate fixed in advance, whatever x_t is.
struct Constant<'a> {
    path: &'a NoisePath,
    x0: f64,
}

#[async_trait::async_trait(?Send)]
impl Denoiser for Constant<'_> {
    async fn denoise(
        &self,
        x: &[f64],
        t: f64,
    ) -> Result<Denoised, thermolab_core::experiment::RunError> {
        let (alpha, sigma) = self.path.alpha_sigma(t);
        Ok(Denoised::from_x0(x, vec![self.x0; x.len()], alpha, sigma))
    }
}

#[test]
fn every_sampler_ends_on_the_last_x0_estimate_without_injected_noise() {
    // Whatever the step count and temperature, the last step from t to 0
    // lands on the estimate itself: no noise is added at t = 0.
    let path = NoisePath::ddpm(Schedule::Linear, 100);
    for sampler in [Sampler::Ancestral, Sampler::Ddim] {
        for steps in [1, 7, 50] {
            let mut settings = settings(sampler, steps, 1.0, X0Clip::None);
            settings.temperature = 2.0;
            let constant = Constant {
                path: &path,
                x0: 0.375,
            };
            let samples = run(&constant, &path, &settings, 5, 64);
            assert!(
                samples.x.iter().all(|v| *v == 0.375),
                "{sampler:?} at {steps} steps: {:?}",
                &samples.x[..4]
            );
        }
    }
}

#[test]
fn ddim_at_eta_zero_is_deterministic_given_the_initial_noise() {
    let path = NoisePath::ddpm(Schedule::Cosine, 100);
    let denoiser = MixtureDenoiser { path: &path };
    let deterministic = settings(Sampler::Ddim, 20, 0.0, X0Clip::None);
    let a = run(&denoiser, &path, &deterministic, 50, 300);
    let b = run(&denoiser, &path, &deterministic, 60, 300);
    assert_eq!(a.x, b.x);
    let stochastic = settings(Sampler::Ddim, 20, 0.5, X0Clip::None);
    let c = run(&denoiser, &path, &stochastic, 50, 300);
    let d = run(&denoiser, &path, &stochastic, 60, 300);
    assert_ne!(c.x, d.x);
}

#[test]
fn ddim_at_eta_one_is_the_ancestral_sampler_and_euler_is_ddim_on_straight_paths() {
    let ddpm = NoisePath::ddpm(Schedule::Linear, 200);
    let ancestral = run(
        &MixtureDenoiser { path: &ddpm },
        &ddpm,
        &settings(Sampler::Ancestral, 40, 0.0, X0Clip::None),
        5,
        200,
    );
    let ddim = run(
        &MixtureDenoiser { path: &ddpm },
        &ddpm,
        &settings(Sampler::Ddim, 40, 1.0, X0Clip::None),
        5,
        200,
    );
    let gap = ancestral
        .x
        .iter()
        .zip(&ddim.x)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-9, "{gap}");
    let flow = NoisePath::FlowMatching;
    let euler = run(
        &MixtureDenoiser { path: &flow },
        &flow,
        &settings(Sampler::Euler, 30, 0.0, X0Clip::None),
        5,
        200,
    );
    let ddim = run(
        &MixtureDenoiser { path: &flow },
        &flow,
        &settings(Sampler::Ddim, 30, 0.0, X0Clip::None),
        5,
        200,
    );
    let gap = euler
        .x
        .iter()
        .zip(&ddim.x)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-9, "{gap}");
}

/// A denoiser whose x_0 estimate overshoots: three times the exact one.
struct Overshooting<'a>(MixtureDenoiser<'a>);

#[async_trait::async_trait(?Send)]
impl Denoiser for Overshooting<'_> {
    async fn denoise(
        &self,
        x: &[f64],
        t: f64,
    ) -> Result<Denoised, thermolab_core::experiment::RunError> {
        let exact = self.0.denoise(x, t).await?;
        let (alpha, sigma) = self.0.path.alpha_sigma(t);
        let x0: Vec<f64> = exact.x0.iter().map(|v| 3.0 * v).collect();
        Ok(Denoised::from_x0(x, x0, alpha, sigma))
    }
}

#[test]
fn clipping_keeps_every_x0_estimate_inside_the_bound() {
    let path = NoisePath::ddpm(Schedule::Linear, 100);
    let denoiser = Overshooting(MixtureDenoiser { path: &path });
    for clip in [
        X0Clip::Static { bound: 1.0 },
        X0Clip::Dynamic {
            bound: 1.0,
            percentile: 0.9,
        },
    ] {
        for sampler in [Sampler::Ancestral, Sampler::Ddim] {
            let samples = run(&denoiser, &path, &settings(sampler, 25, 0.0, clip), 3, 500);
            assert!(
                samples.largest_raw_x0 > 2.0,
                "{clip:?}: the test needs estimates beyond the bound"
            );
            assert!(
                samples.largest_x0 <= 1.0 + 1e-12,
                "{clip:?} {sampler:?}: {}",
                samples.largest_x0
            );
            // The last step lands on the clipped estimate.
            assert!(
                samples.x.iter().all(|v| v.abs() <= 1.0 + 1e-9),
                "{clip:?} {sampler:?}"
            );
        }
    }
    let unclipped = run(
        &denoiser,
        &path,
        &settings(Sampler::Ddim, 25, 0.0, X0Clip::None),
        3,
        500,
    );
    assert!(unclipped.x.iter().any(|v| v.abs() > 1.5));
}

fn lab(compute: &Compute, settings: &[(&str, Value)]) -> Lab {
    let values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Hosted::from_values(compute, &values, 7, &Assets::default()).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn train_to_the_end(lab: &mut Lab) {
    while lab.trained_steps() < 100_000 {
        if pollster::block_on(lab.step()).unwrap()
            == thermolab_core::experiment::StepOutcome::Finished
        {
            return;
        }
    }
}

#[test]
fn a_trained_denoiser_learns_the_mixtures_exact_score() {
    let compute = Compute::cpu("test");
    let mut lab = lab(
        &compute,
        &[
            ("data", text("mixture")),
            ("width", Value::Int(64)),
            ("batch", Value::Int(256)),
            ("train_steps", Value::Int(1500)),
            ("sample_every", Value::Int(5000)),
            ("particles", Value::Int(200)),
            ("sample_steps", Value::Int(10)),
            ("view_t", Value::Float(0.3)),
        ],
    );
    pollster::block_on(lab.step()).unwrap();
    let untrained = lab.domain().score_error().unwrap();
    train_to_the_end(&mut lab);
    // Relative squared error of eps (that is, of sigma times the score).
    for t in [0.3, 0.5] {
        lab.set("view_t", &Value::Float(t)).unwrap();
        pollster::block_on(lab.refresh()).unwrap();
        let error = lab.domain().score_error().unwrap();
        println!("mixture score error at t = {t}: {error} (untrained {untrained})");
        assert!(error < 0.05, "t = {t}: {error} (untrained {untrained})");
    }
    assert!(untrained > 0.5, "{untrained}");
}

#[test]
fn a_drawing_is_learned_as_its_blurred_density() {
    // Three points on the left, one on the right: the drawing's density puts
    // three quarters of its mass on the left, and so should the samples.
    let compute = Compute::cpu("test");
    let drawing = Value::List(vec![-1.0, 0.0, -1.0, 0.5, -1.0, -0.5, 1.0, 0.0]);
    let mut lab = lab(
        &compute,
        &[
            ("data", text("drawing")),
            ("drawing", drawing),
            ("width", Value::Int(64)),
            ("batch", Value::Int(256)),
            ("train_steps", Value::Int(1000)),
            ("sample_every", Value::Int(5000)),
            ("particles", Value::Int(1000)),
            ("sample_steps", Value::Int(50)),
        ],
    );
    train_to_the_end(&mut lab);
    let x = &lab.samples().unwrap().x;
    let left = x.iter().step_by(2).filter(|x| **x < 0.0).count() as f64 / 1000.0;
    let (quality, floor) = (lab.quality().unwrap(), lab.floor());
    println!("drawing: {left} on the left, sliced W2 {quality}, floor {floor}");
    // Binomial standard error at 1,000 samples is 0.014; a short training
    // favours the larger mode a little (0.81 here).
    assert!((left - 0.75).abs() < 0.08, "{left} on the left");
    assert!(
        quality < 3.0 * floor,
        "sliced W2 {quality} vs floor {floor}"
    );
    let view = lab.view();
    let ChartKind::Scatter { groups } = &view.charts[0].kind else {
        panic!("the samples chart is a scatter");
    };
    let drawn = groups.iter().find(|g| g.label == "your points").unwrap();
    assert_eq!(drawn.points.len(), 4);
    // An empty drawing cannot be trained on, and says what to do.
    let mut empty = self::lab(&compute, &[("data", text("drawing"))]);
    let error = pollster::block_on(empty.step()).unwrap_err();
    assert!(error.to_string().contains("click or drag"), "{error}");
}

#[test]
fn at_the_labs_defaults_the_swiss_rolls_samples_end_on_its_spiral() {
    // The data: 95% within 0.1 of the spiral. 2,000 steps at a constant
    // learning rate without weight averaging (the lab before it decayed and
    // averaged) leave 20% to 40% there, between the arms; sliced W2 passed
    // "within 3x its floor" all the same.
    let compute = Compute::cpu("test");
    let mut lab = lab(&compute, &[("data", text("swiss_roll"))]);
    train_to_the_end(&mut lab);
    let (samples, data) = lab.domain().near_curve().unwrap();
    println!(
        "swiss roll: {samples} of the samples near the spiral (data {data}), sliced W2 {:?}, floor {}, loss {:?}",
        lab.quality(),
        lab.floor(),
        lab.last_loss()
    );
    assert!(data > 0.93, "{data}");
    assert!(samples >= 0.9, "{samples} near the spiral");
}

fn gpu() -> &'static Compute {
    let compute = Compute::shared_native();
    compute.require_gpu();
    compute
}

#[test]
fn training_on_wgpu_follows_the_cpu_reference() {
    // Same initial weights, same batches: the losses agree to f32 rounding
    // for the first steps, and the samples then agree closely.
    let settings = [
        ("data", text("eight_gaussians")),
        ("width", Value::Int(32)),
        ("batch", Value::Int(128)),
        ("train_steps", Value::Int(20)),
        ("particles", Value::Int(64)),
        ("sample_steps", Value::Int(10)),
        ("sampler", text("ddim")),
    ];
    let mut cpu = lab(&Compute::cpu("reference"), &settings);
    let mut gpu = lab(gpu(), &settings);
    for _ in 0..20 {
        pollster::block_on(cpu.step()).unwrap();
        pollster::block_on(gpu.step()).unwrap();
        let (a, b) = (cpu.last_loss().unwrap(), gpu.last_loss().unwrap());
        assert!((a - b).abs() < 1e-3 * a.abs().max(1.0), "{a} vs {b}");
    }
    let (a, b) = (cpu.samples().unwrap(), gpu.samples().unwrap());
    let gap =
        a.x.iter()
            .zip(&b.x)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
    assert!(gap < 1e-2, "{gap}");
}

#[test]
fn the_benchmark_times_the_labs_own_training_step() {
    // One warm-up and five timed steps are the lab's first six steps: same
    // batches, same loss to the last bit on the CPU backend.
    let compute = Compute::cpu("test");
    let measured =
        pollster::block_on(thermolab_diffusion::bench::measure(&compute, 5, 64, 4, 9)).unwrap();
    let values: BTreeMap<String, Value> = [
        ("data", text("two_moons")),
        ("batch", Value::Int(1024)),
        ("width", Value::Int(128)),
        ("depth", Value::Int(3)),
        ("sample_every", Value::Int(5000)),
        ("particles", Value::Int(16)),
        ("sample_steps", Value::Int(2)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut lab: Lab = Hosted::from_values(&compute, &values, 9, &Assets::default()).unwrap();
    for _ in 0..6 {
        pollster::block_on(lab.step()).unwrap();
    }
    assert_eq!(lab.last_loss(), Some(measured.final_loss));
    assert!(measured.train_steps_per_second.is_finite() && measured.train_steps_per_second > 0.0);
    assert!(measured.samples_per_second.is_finite() && measured.samples_per_second > 0.0);
}

#[test]
fn an_exploding_loss_stops_the_run_though_it_stays_finite() {
    // At the largest learning rate Adam blows the network up within a few
    // hundred steps; the run stops there and says why, instead of training
    // on at a loss thousands of times the targets' size.
    let compute = Compute::cpu("test");
    let mut wild = lab(
        &compute,
        &[
            ("lr", Value::Float(0.1)),
            ("sample_every", Value::Int(5000)),
        ],
    );
    let error = loop {
        match pollster::block_on(wild.step()) {
            Ok(_) if wild.trained_steps() < 1000 => continue,
            Ok(_) => panic!("no divergence in 1,000 steps at lr = 0.1"),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(&error, thermolab_core::experiment::RunError::Diverged(what) if what.contains("learning rate")),
        "{error}"
    );
    // At the default learning rate the same model trains without tripping it.
    let mut calm = lab(
        &compute,
        &[
            ("train_steps", Value::Int(300)),
            ("sample_every", Value::Int(5000)),
        ],
    );
    train_to_the_end(&mut calm);
    assert_eq!(calm.trained_steps(), 300);
}
