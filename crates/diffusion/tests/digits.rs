//! The Digits lab against what is known independently: the committed data
//! file's documented layout and class counts, a nearest-class-mean judge that
//! reads real digits right most of the time, guidance as the literal
//! combination of two network calls, and a checkpoint that loads back to the
//! same network.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::StepOutcome;
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_diffusion::NetworkDenoiser;
use thermolab_diffusion::denoise::{Denoiser, Objective};
use thermolab_diffusion::digits::{DIGITS_FILE, Digits, NearestMean};
use thermolab_diffusion::digits_lab::{BACKGROUND_TOLERANCE, CHECKPOINT_FILE, DigitsLab};
use thermolab_diffusion::metrics::share_within;
use thermolab_diffusion::model::{Shape, Trainer};
use thermolab_diffusion::path::Schedule;
use thermolab_diffusion::two_sample::classifier_two_sample;
use thermolab_gpu::Compute;
use thermolab_gpu::checkpoint::metadata as checkpoint_metadata;
use thermolab_kit::{Hosted, Lab};

type Run = Hosted<DigitsLab>;

fn assets() -> Assets {
    let names: Vec<String> = DigitsLab::about()
        .assets
        .iter()
        .map(|a| a.to_string())
        .collect();
    Assets::read_from(&Assets::repository_public(), &names)
}

fn digits() -> Digits {
    Digits::parse(assets().get(DIGITS_FILE).unwrap()).unwrap()
}

#[test]
fn the_data_file_holds_the_documented_digits() {
    let digits = digits();
    assert_eq!(
        (digits.len(), digits.side(), digits.dims()),
        (10_000, 14, 196)
    );
    let mut counts = [0; 10];
    (0..digits.len()).for_each(|i| counts[digits.label(i)] += 1);
    // public/data/mnist14.md lists these.
    assert_eq!(
        counts,
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    let pixels: Vec<f64> = digits.scaled(0).collect();
    assert!(pixels.iter().all(|p| (-1.0..=1.0).contains(p)));
    // Background is -1 and full ink near +1: the models' range.
    assert_eq!(pixels.iter().copied().fold(f64::INFINITY, f64::min), -1.0);
    assert!(pixels.iter().copied().fold(f64::NEG_INFINITY, f64::max) > 0.9);
    // Mostly background with some ink: MNIST digits cover about a fifth.
    let inked = pixels.iter().filter(|p| **p > 0.0).count();
    assert!((15..100).contains(&inked), "{inked}");
    let bytes = assets().get(DIGITS_FILE).unwrap().to_vec();
    assert!(Digits::parse(&bytes[..500]).is_err(), "a cut file");
    let mut bad_label = bytes.clone();
    bad_label[13] = 10;
    assert!(Digits::parse(&bad_label).is_err(), "a label outside 0..9");
}

#[test]
fn the_nearest_class_mean_reads_most_real_digits_right() {
    let digits = digits();
    let judge = NearestMean::fit(&digits);
    // About 80% on MNIST; a wrong label order or pixel layout drops it to 10%.
    let accuracy = judge.accuracy_on_data(&digits, 3);
    assert!((0.7..0.95).contains(&accuracy), "{accuracy}");
}

fn shape(classes: usize) -> Shape {
    Shape {
        dims: 196,
        classes,
        width: 32,
        depth: 2,
    }
}

#[test]
fn guidance_combines_the_conditional_and_unconditional_calls() {
    let compute = Compute::cpu("test");
    let path = Objective::Ddpm.path(Schedule::Cosine, 1000);
    let network =
        Trainer::new(shape(10), (CounterRng::new(3), 400), &compute.tensor_device).network();
    let x: Vec<f64> = (0..3 * 196)
        .map(|i| ((i * 13 % 29) as f64) / 14.5 - 1.0)
        .collect();
    let labels = [Some(2), Some(7), Some(0)];
    let t = 0.4;
    let conditional = pollster::block_on(network.predict(&x, t, &labels)).unwrap();
    let unconditional = pollster::block_on(network.predict(&x, t, &[None; 3])).unwrap();
    assert!(
        conditional != unconditional,
        "the label must reach the network"
    );
    let w = 2.5;
    let denoiser = NetworkDenoiser {
        network: &network,
        objective: Objective::Ddpm,
        path: &path,
        labels: &labels,
        guidance: w,
    };
    let guided = pollster::block_on(denoiser.denoise(&x, t)).unwrap();
    for (j, eps) in guided.eps.iter().enumerate() {
        let expected = (1.0 + w) * conditional[j] - w * unconditional[j];
        assert!((eps - expected).abs() < 1e-4, "{j}: {eps} vs {expected}");
    }
}

#[test]
fn a_checkpoint_with_a_nan_or_infinite_weight_is_refused() {
    let compute = Compute::cpu("test");
    let device = &compute.tensor_device;
    let trainer = Trainer::new(shape(10), (CounterRng::new(5), 400), device);
    let bytes = pollster::block_on(trainer.checkpoint(BTreeMap::new())).unwrap();
    for bad in [f32::NAN, f32::INFINITY] {
        let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
            .tensors()
            .into_iter()
            .map(|(name, view)| (name, view.shape().to_vec(), view.data().to_vec()))
            .collect();
        let bias = owned
            .iter_mut()
            .find(|(name, ..)| name == "layers.1.bias")
            .unwrap();
        bias.2[4..8].copy_from_slice(&bad.to_le_bytes());
        let views: Vec<(String, safetensors::tensor::TensorView)> = owned
            .iter()
            .map(|(name, shape, data)| {
                let view = safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    shape.clone(),
                    data,
                )
                .unwrap();
                (name.clone(), view)
            })
            .collect();
        let corrupted = safetensors::serialize(views, None).unwrap();
        let refused = Trainer::from_checkpoint(&corrupted, shape(10), device)
            .err()
            .unwrap();
        assert!(
            refused.contains("layers.1.bias") && refused.contains(&bad.to_string()),
            "{refused}"
        );
    }
}

#[test]
fn a_checkpoint_loads_back_to_the_same_network_and_refuses_another_shape() {
    let compute = Compute::cpu("test");
    let device = &compute.tensor_device;
    let trainer = Trainer::new(shape(10), (CounterRng::new(5), 400), device);
    let metadata = BTreeMap::from([("trained_steps".to_string(), "12".to_string())]);
    let bytes = pollster::block_on(trainer.checkpoint(metadata.clone())).unwrap();
    let loaded = Trainer::from_checkpoint(&bytes, shape(10), device).unwrap();
    assert_eq!(checkpoint_metadata(&bytes).unwrap(), metadata);
    let x: Vec<f64> = (0..2 * 196).map(|i| (i as f64 * 0.37).sin()).collect();
    let labels = [Some(4), None];
    let a = pollster::block_on(trainer.network().predict(&x, 0.3, &labels)).unwrap();
    let b = pollster::block_on(loaded.network().predict(&x, 0.3, &labels)).unwrap();
    assert_eq!(a, b);
    let wider = Shape {
        width: 64,
        ..shape(10)
    };
    let refused = Trainer::from_checkpoint(&bytes, wider, device)
        .err()
        .unwrap();
    assert!(refused.contains("layers.0.weight"), "{refused}");
    assert!(Trainer::from_checkpoint(&bytes[..100], shape(10), device).is_err());
}

/// Every weight of a checkpoint, tensor after tensor in name order.
fn weights(bytes: &[u8]) -> Vec<f32> {
    let tensors = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let mut named = tensors.tensors();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
        .iter()
        .flat_map(|(_, view)| view.data().chunks_exact(4))
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn the_weight_average_follows_its_recursion_with_the_warm_up_decay() {
    // avg_0 = w_0, avg_n+1 = d_n avg_n + (1 - d_n) w_n+1 with
    // d_n = min(0.999, (1 + n) / (10 + n)): 0.1, then 2/11, ... The raw
    // weights w_n come from a twin trainer without an average, on the same batches.
    let compute = Compute::cpu("test");
    let device = &compute.tensor_device;
    let init = (CounterRng::new(5), 400);
    let mut raw = Trainer::new(shape(0), init, device);
    let mut averaged = Trainer::new(shape(0), init, device).with_ema(0.999);
    let checkpoint =
        |t: &Trainer| weights(&pollster::block_on(t.checkpoint(BTreeMap::new())).unwrap());
    let mut expected = checkpoint(&raw);
    assert_eq!(checkpoint(&averaged), expected);
    let x: Vec<f64> = (0..4 * 196).map(|i| (i as f64 * 0.11).cos()).collect();
    let targets: Vec<f64> = (0..4 * 196).map(|i| (i as f64 * 0.07).sin()).collect();
    let times = [0.1, 0.4, 0.7, 0.9];
    for n in 0..3 {
        for trainer in [&mut raw, &mut averaged] {
            pollster::block_on(trainer.step(&x, &times, &[], &targets, 1e-2)).unwrap();
        }
        let decay = (1.0 + n as f32) / (10.0 + n as f32);
        let now = checkpoint(&raw);
        for (e, w) in expected.iter_mut().zip(&now) {
            *e = decay * *e + (1.0 - decay) * w;
        }
        let got = checkpoint(&averaged);
        let worst = got
            .iter()
            .zip(&expected)
            .map(|(g, e)| (g - e).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-6, "update {n}: {worst}");
        assert_ne!(got, now, "the average is not the weights");
    }
}

fn lab(settings: &[(&str, Value)]) -> Run {
    let values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Hosted::from_values(&Compute::cpu("test"), &values, 1, &assets()).unwrap()
}

fn fact(lab: &Run, key: &str) -> String {
    lab.view()
        .facts
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[test]
fn the_shipped_checkpoint_draws_the_digits_it_is_asked_for() {
    // The checkpoint's own settings (the defaults): it opens trained, and
    // sampling takes one step.
    let mut lab = lab(&[("particles", Value::Int(200))]);
    assert!(fact(&lab, "Started from").contains("checkpoint"));
    let outcome = pollster::block_on(lab.step()).unwrap();
    assert_eq!(outcome, StepOutcome::Finished);
    let guided = lab.domain().agreement().unwrap();
    let (quality, floor) = (lab.quality().unwrap(), lab.floor());
    println!(
        "checkpoint: agreement {guided} (judge on data {}), sliced W2 {quality}, floor {floor}",
        lab.domain().judge_accuracy()
    );
    // The judge reads ~80% of real digits right; a model that ignored its
    // label would score ~10%.
    assert!(guided > 0.6, "{guided}");
    // Three quarters of MNIST's pixels are background, exactly -1.
    let (background, real_background) = lab.domain().background().unwrap();
    println!("checkpoint: background pixels {background} (real digits {real_background})");
    assert!((0.7..0.8).contains(&real_background), "{real_background}");
    assert!(
        quality < 3.0 * floor,
        "sliced W2 {quality} vs floor {floor}"
    );
    // Without guidance the samples are less typical of their class.
    lab.set("guidance", &Value::Float(0.0)).unwrap();
    pollster::block_on(lab.refresh()).unwrap();
    let unguided = lab.domain().agreement().unwrap();
    println!("checkpoint without guidance: agreement {unguided}");
    assert!(unguided < guided, "{unguided} vs {guided}");
    // Asking for one digit only: every sample is asked for a 3.
    lab.set("digit", &Value::Text("3".to_string())).unwrap();
    pollster::block_on(lab.refresh()).unwrap();
    assert!(lab.domain().sample_labels().iter().all(|l| *l == Some(3)));
    assert!(lab.domain().agreement().unwrap() > 0.5);
}

#[test]
fn the_shipped_checkpoints_digits_look_like_real_ones() {
    // 2,000 samples at the lab's defaults (five seeds of 400) against 2,000
    // real digits: background pixels, a classifier two-sample test, and the
    // class agreement of the judge.
    let dims = digits().dims();
    let (mut samples, mut asked) = (Vec::new(), Vec::new());
    for seed in 1..=5 {
        let values = BTreeMap::from([("particles".to_string(), Value::Int(400))]);
        let mut lab: Run =
            Hosted::from_values(&Compute::cpu("test"), &values, seed, &assets()).unwrap();
        pollster::block_on(lab.step()).unwrap();
        samples.extend_from_slice(&lab.samples().unwrap().x);
        asked.extend(lab.domain().sample_labels().iter().flatten().copied());
    }
    let data = digits();
    let real = data.batch(&(0..2000).map(|i| 5 * i).collect::<Vec<_>>());
    let background = share_within(&samples, -1.0, BACKGROUND_TOLERANCE);
    let real_background = share_within(&real, -1.0, BACKGROUND_TOLERANCE);
    let test = classifier_two_sample(&samples, &real, dims).unwrap();
    let agreement = NearestMean::fit(&data).agreement(&samples, &asked);
    println!(
        "2,000 samples: background {background} (real {real_background}), \
         real-or-generated accuracy {} on {}, agreement {agreement}",
        test.accuracy, test.tested
    );
    assert_eq!(test.tested, 2000);
    assert!(background >= 0.6, "{background}");
    assert!(test.accuracy <= 0.75, "{test:?}");
    assert!(agreement >= 0.9, "{agreement}");
}

#[test]
fn a_checkpoint_that_does_not_fit_the_settings_is_not_used() {
    let lab = lab(&[("width", Value::Int(64))]);
    let start = fact(&lab, "Started from");
    assert!(
        start.contains("scratch") && start.contains("width = 64"),
        "{start}"
    );
    assert_eq!(lab.trained_steps(), 0);
    let lab = self::lab(&[("start", Value::Text("scratch".to_string()))]);
    assert_eq!(fact(&lab, "Started from"), "from scratch");
}

#[test]
fn training_from_scratch_lowers_the_loss_and_clipping_holds_the_bound() {
    let mut lab = lab(&[
        ("start", Value::Text("scratch".to_string())),
        ("width", Value::Int(256)),
        ("batch", Value::Int(128)),
        ("train_steps", Value::Int(300)),
        ("sample_every", Value::Int(5000)),
        ("particles", Value::Int(20)),
        ("sample_steps", Value::Int(10)),
        ("clip_bound", Value::Float(0.8)),
    ]);
    pollster::block_on(lab.step()).unwrap();
    let first = lab.last_loss().unwrap();
    while pollster::block_on(lab.step()).unwrap() == StepOutcome::Continue {}
    let last = lab.last_loss().unwrap();
    assert!(last < 0.7 * first, "{first} -> {last}");
    let samples = lab.samples().unwrap();
    assert!(samples.largest_x0 <= 0.8 + 1e-12, "{}", samples.largest_x0);
    assert!(samples.largest_raw_x0 > 0.8);
}

#[test]
fn the_checkpoint_file_is_the_one_the_lab_loads() {
    assert!(DigitsLab::about().assets.contains(&CHECKPOINT_FILE));
    assert!(assets().get(CHECKPOINT_FILE).is_ok());
}

/// The first layer's weights on the class inputs (rows 196 + 32 onwards of
/// `layers.0.weight`, stored [inputs, width]) in a digits lab's checkpoint.
fn class_weights(lab: &Run) -> Vec<u8> {
    let bytes = pollster::block_on(lab.checkpoint()).unwrap().unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let weight = tensors.tensor("layers.0.weight").unwrap();
    let width = weight.shape()[1];
    let first_class_row = 196 + thermolab_diffusion::model::TIME_FEATURES;
    weight.data()[first_class_row * width * 4..].to_vec()
}

#[test]
fn label_dropout_decides_whether_the_class_inputs_learn() {
    // With p = 1 every class input is zero in training, so Adam never moves
    // their weights; with p = 0 it does. The checkpoint holds the weights
    // themselves without an average (whose f32 blend rounds even unmoved weights).
    let run = |dropout: f64| {
        let mut lab = lab(&[
            ("start", Value::Text("scratch".to_string())),
            ("ema", Value::Float(0.0)),
            ("width", Value::Int(32)),
            ("batch", Value::Int(64)),
            ("train_steps", Value::Int(5)),
            ("particles", Value::Int(10)),
            ("sample_steps", Value::Int(2)),
            ("label_dropout", Value::Float(dropout)),
        ]);
        let before = class_weights(&lab);
        while pollster::block_on(lab.step()).unwrap() == StepOutcome::Continue {}
        before != class_weights(&lab)
    };
    assert!(
        !run(1.0),
        "the class weights moved though every label was dropped"
    );
    assert!(run(0.0), "the class weights did not learn from the labels");
}
