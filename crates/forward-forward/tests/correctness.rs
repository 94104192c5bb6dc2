//! The rules against hand computation and against what their papers claim,
//! on burn's CPU backend: goodness, the forward-forward loss and its
//! gradient on a width-3 net, no gradient across layers for the local rules
//! (and one for backprop), the unit-length hand-off, the negative data, and
//! held-out accuracy after a training budget that fits the test suite.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use thermolab_core::assets::Assets;
use thermolab_core::experiment::StepOutcome;
use thermolab_core::params::Value;
use thermolab_core::rng::CounterRng;
use thermolab_forward_forward::data::{hybrid_mask, random_wrong_label, rasterize};
use thermolab_forward_forward::net::{IMAGE_PIXELS, Net, goodness, unit_length};
use thermolab_forward_forward::params::{Goodness, Negatives};
use thermolab_forward_forward::rules::{
    RuleId, Settings, backprop, collaborative, forward_forward, label_goodness, mono_forward,
};
use thermolab_forward_forward::{FfLab, FfParams};
use thermolab_gpu::tensors::linear_from;
use thermolab_gpu::{Compute, TensorDevice};
use thermolab_kit::{Hosted, Lab, ParamSet};

fn device() -> TensorDevice {
    TensorDevice::flex().autodiff()
}

fn rows(values: Vec<f32>, columns: usize, device: &TensorDevice) -> Tensor<2> {
    let count = values.len() / columns;
    Tensor::from_data(TensorData::new(values, [count, columns]), device)
}

fn read(tensor: Tensor<2>) -> Vec<f32> {
    pollster::block_on(thermolab_gpu::tensors::read_f32(tensor)).unwrap()
}

/// The width-3 net: its first layer reads pixels 0, 1 and 2 only.
const W1: [[f64; 3]; 3] = [[0.5, -0.2, 0.3], [0.1, 0.4, -0.6], [-0.3, 0.2, 0.8]];
const B1: [f64; 3] = [0.05, -0.1, 0.2];
const W2: [[f64; 3]; 3] = [[0.7, -0.4, 0.2], [0.3, 0.9, -0.5], [-0.2, 0.6, 0.4]];
const B2: [f64; 3] = [0.1, 0.0, -0.05];

/// A 196 -> 3 -> 3 net with [`W1`], [`B1`], [`W2`], [`B2`].
fn tiny_net(device: &TensorDevice) -> Net {
    let (w1, b1, w2, b2) = (W1, B1, W2, B2);
    let mut first = vec![0.0f32; IMAGE_PIXELS * 3];
    for (i, row) in w1.iter().enumerate() {
        for (j, w) in row.iter().enumerate() {
            first[i * 3 + j] = *w as f32;
        }
    }
    let flat = |m: &[[f64; 3]; 3]| m.iter().flatten().map(|w| *w as f32).collect::<Vec<_>>();
    let bias = |b: &[f64; 3]| Some(b.iter().map(|w| *w as f32).collect());
    Net {
        hidden: vec![
            linear_from(first, bias(&b1), IMAGE_PIXELS, 3, device),
            linear_from(flat(&w2), bias(&b2), 3, 3, device),
        ],
        heads: Vec::new(),
    }
}

/// An image with ink only in pixels 0, 1 and 2.
fn image(pixels: [f64; 3]) -> Vec<f32> {
    let mut x = vec![0.0f32; IMAGE_PIXELS];
    for (i, p) in pixels.iter().enumerate() {
        x[i] = *p as f32;
    }
    x
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The two-layer forward pass by hand: unit-length input, ReLU, sum of squares.
struct Hand {
    input: [f64; 3],
    z1: [f64; 3],
    h1: [f64; 3],
    g1: f64,
    g2: f64,
}

fn by_hand(x: [f64; 3]) -> Hand {
    let (w1, b1, w2, b2) = (&W1, &B1, &W2, &B2);
    let norm = (x.iter().map(|v| v * v).sum::<f64>()).sqrt();
    let input = x.map(|v| v / norm);
    let layer = |a: [f64; 3], w: &[[f64; 3]; 3], b: &[f64; 3]| -> [f64; 3] {
        let mut z = *b;
        for i in 0..3 {
            for j in 0..3 {
                z[j] += a[i] * w[i][j];
            }
        }
        z
    };
    let z1 = layer(input, w1, b1);
    let h1 = z1.map(|v| v.max(0.0));
    let g1 = h1.iter().map(|v| v * v).sum();
    let n1 = h1.iter().map(|v| v * v).sum::<f64>().sqrt();
    let h2 = layer(h1.map(|v| v / n1), w2, b2).map(|v| v.max(0.0));
    Hand {
        input,
        z1,
        h1,
        g1,
        g2: h2.iter().map(|v| v * v).sum(),
    }
}

#[test]
fn goodness_the_ff_loss_and_its_gradient_match_hand_computed_values_on_a_width_3_net() {
    let device = device();
    let net = tiny_net(&device);
    let (theta, temperature) = (0.4, 0.5);
    let settings = Settings {
        goodness: Goodness::SumOfSquares,
        theta,
        temperature,
        negatives: Negatives::Random,
    };
    let (xp, xn) = ([0.9, 0.2, 0.4], [0.1, 0.8, 0.3]);
    let positive = by_hand(xp);
    let negative = by_hand(xn);
    // Goodness per layer.
    let g =
        forward_forward::layer_goodness(&net, rows(image(xp), IMAGE_PIXELS, &device), &settings);
    let got: Vec<f32> = g
        .into_iter()
        .flat_map(|g| read(g.reshape([1, 1])))
        .collect();
    for (got, expected) in got.iter().zip([positive.g1, positive.g2]) {
        assert!(
            (f64::from(*got) - expected).abs() < 1e-5,
            "goodness {got} against {expected}"
        );
    }
    // The loss: per layer softplus(-(G+ - theta)/T) + softplus((G- - theta)/T).
    let loss = forward_forward::loss(
        &net,
        rows(image(xp), IMAGE_PIXELS, &device),
        rows(image(xn), IMAGE_PIXELS, &device),
        &settings,
    );
    let expected_loss = softplus(-(positive.g1 - theta) / temperature)
        + softplus((negative.g1 - theta) / temperature)
        + softplus(-(positive.g2 - theta) / temperature)
        + softplus((negative.g2 - theta) / temperature);
    let got_loss = f64::from(read(loss.clone().reshape([1, 1]))[0]);
    assert!(
        (got_loss - expected_loss).abs() < 1e-5,
        "loss {got_loss} against {expected_loss}"
    );
    // dL/dW1 from layer 1's loss alone: dL/dG = -sigmoid(-(G+ - theta)/T)/T
    // for the positive, +sigmoid((G- - theta)/T)/T for the negative, and
    // dG/dW1[i][j] = 2 h_j [z_j > 0] input_i.
    let grads = loss.backward();
    let grad_w1 = read(net.hidden[0].weight.val().grad(&grads).unwrap());
    let d_positive = -sigmoid(-(positive.g1 - theta) / temperature) / temperature;
    let d_negative = sigmoid((negative.g1 - theta) / temperature) / temperature;
    for i in 0..3 {
        for j in 0..3 {
            let part = |hand: &Hand, d: f64| {
                if hand.z1[j] > 0.0 {
                    d * 2.0 * hand.h1[j] * hand.input[i]
                } else {
                    0.0
                }
            };
            let expected = part(&positive, d_positive) + part(&negative, d_negative);
            let got = f64::from(grad_w1[i * 3 + j]);
            assert!(
                (got - expected).abs() < 1e-5,
                "dL/dW1[{i}][{j}] = {got}, by hand {expected}"
            );
        }
    }
    // Pixels without ink get no gradient.
    assert!(grad_w1[3 * 3..].iter().all(|g| *g == 0.0));
}

fn first_layer_gradient(loss: Tensor<1>, net: &Net) -> f32 {
    let grads = loss.backward();
    net.hidden[0]
        .weight
        .val()
        .grad(&grads)
        .map_or(0.0, |g| read(g).iter().fold(0.0f32, |m, v| m.max(v.abs())))
}

#[test]
fn no_gradient_crosses_layers_in_ff_collaborative_ff_and_mono_forward_but_it_does_in_backprop() {
    let device = device();
    let rng = CounterRng::new(3);
    let x = || {
        let values: Vec<f32> = (0..4 * IMAGE_PIXELS)
            .map(|i| rng.uniform(i as u32, 0, 9))
            .collect();
        rows(values, IMAGE_PIXELS, &device)
    };
    let targets = rows(
        (0..40)
            .map(|i| if i % 11 == 0 { 1.0 } else { 0.0 })
            .collect(),
        10,
        &device,
    );
    let settings = Settings {
        goodness: Goodness::SumOfSquares,
        theta: 2.0,
        temperature: 1.0,
        negatives: Negatives::Random,
    };
    use thermolab_forward_forward::net::Heads;
    // Forward-forward: a loss on layer 2's goodness alone.
    let ff = Net::new((16, 2), Heads::None, rng, &device);
    let g2 = forward_forward::layer_goodness(&ff, x(), &settings).remove(1);
    let layer_2_loss = forward_forward::layer_loss(g2.clone(), g2, 2.0, 1.0);
    assert_eq!(first_layer_gradient(layer_2_loss, &ff), 0.0);
    // Collaborative FF: layer 2 sees G_1 + G_2, but only its own G_2 carries a gradient.
    let layers = forward_forward::layer_goodness(&ff, x(), &settings);
    let sum = read((layers[0].clone() + layers[1].clone()).reshape([4, 1]));
    let seen = collaborative::collaborative_goodness(layers).remove(1);
    for (seen, sum) in read(seen.clone().reshape([4, 1])).iter().zip(&sum) {
        assert!(
            (seen - sum).abs() < 1e-5,
            "gamma_2 + G_2 = {seen}, G_1 + G_2 = {sum}"
        );
    }
    let layer_2_loss = forward_forward::layer_loss(seen.clone(), seen, 4.0, 1.0);
    assert_eq!(first_layer_gradient(layer_2_loss, &ff), 0.0);
    // Mono-Forward: layer 2's cross-entropy alone.
    let mf = Net::new((16, 2), Heads::PerLayer, rng, &device);
    let scores = mono_forward::layer_scores(&mf, x()).remove(1);
    let layer_2_loss = thermolab_forward_forward::net::cross_entropy(scores, targets.clone());
    assert_eq!(first_layer_gradient(layer_2_loss, &mf), 0.0);
    // Backprop: the top loss reaches layer 1.
    let bp = Net::new((16, 2), Heads::Softmax, rng, &device);
    assert!(first_layer_gradient(backprop::loss(&bp, x(), targets), &bp) > 1e-6);
}

#[test]
fn the_next_layer_sees_unit_length_whatever_the_scale_of_the_activity() {
    let device = TensorDevice::flex();
    let activity = vec![0.0f32, 3.0, 4.0, 0.5, 1.0, 0.0, 2.0, 0.0];
    let base = read(unit_length(rows(activity.clone(), 4, &device)));
    for scale in [1e-3f32, 1.0, 7.0, 1e4] {
        let scaled = read(unit_length(rows(
            activity.iter().map(|a| a * scale).collect(),
            4,
            &device,
        )));
        for row in scaled.chunks_exact(4) {
            let norm: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "scale {scale}: norm {norm}");
        }
        for (a, b) in scaled.iter().zip(&base) {
            assert!((a - b).abs() < 1e-5, "scale {scale} changed the direction");
        }
    }
    // Goodness reads the activity itself: sum, minus sum, mean of squares.
    let y = rows(vec![1.0, 2.0, 2.0, 0.0], 4, &device);
    let of = |kind| read(goodness(y.clone(), kind).reshape([1, 1]))[0];
    assert_eq!(of(Goodness::SumOfSquares), 9.0);
    assert_eq!(of(Goodness::NegativeSumOfSquares), -9.0);
    assert_eq!(of(Goodness::MeanOfSquares), 2.25);
}

#[test]
fn negative_data_is_a_wrong_label_or_a_two_region_hybrid() {
    let rng = CounterRng::new(5);
    for label in 0..10 {
        let mut seen = [false; 10];
        for i in 0..400 {
            let wrong = random_wrong_label(rng, 7, i, label);
            assert_ne!(wrong, label);
            seen[wrong] = true;
        }
        assert_eq!(
            seen.iter().filter(|s| **s).count(),
            9,
            "label {label}: every other label drawn"
        );
    }
    for i in 0..20 {
        let mask = hybrid_mask(rng, 3, i, 14);
        assert!(mask.iter().all(|m| *m == 0.0 || *m == 1.0));
        let ones = mask.iter().filter(|m| **m == 1.0).count();
        assert!(
            (10..186).contains(&ones),
            "mask {i}: {ones} of 196 from the first image"
        );
        // Blurred: most pixels agree with their right-hand neighbour (a raw
        // coin-flip image agrees half the time).
        let agree = (0..14)
            .flat_map(|y| (0..13).map(move |x| (y, x)))
            .filter(|(y, x)| mask[y * 14 + x] == mask[y * 14 + x + 1])
            .count();
        assert!(
            agree as f64 > 0.75 * 182.0,
            "mask {i}: {agree} of 182 neighbours agree"
        );
    }
}

fn lab(settings: &[(&str, &str)]) -> Hosted<FfLab> {
    let schema = FfParams::schema();
    let values: BTreeMap<String, Value> = settings
        .iter()
        .map(|(k, raw)| (k.to_string(), schema.parse(k, raw).unwrap()))
        .collect();
    let files: Vec<String> = FfLab::about()
        .assets
        .iter()
        .map(|f| f.to_string())
        .collect();
    let assets = Assets::read_from(&Assets::repository_public(), &files);
    Hosted::from_values(&Compute::cpu("test"), &values, 1, &assets).unwrap()
}

/// Seed 1, width 256, depth 2, batch 64, 2,000 steps (16 epochs of the
/// 8,000 training digits), learning rate 1e-3, sum-of-squares goodness,
/// theta 2, T 0.3: the figures the README states.
#[test]
fn on_the_held_out_digits_backprop_reaches_95_mono_forward_93_and_ff_90_percent() {
    let mut run = lab(&[
        ("width", "256"),
        ("steps", "2000"),
        ("eval_every", "1000"),
        ("rule_1", "ff"),
        ("rule_2", "backprop"),
        ("rule_3", "mono_forward"),
        ("rule_4", "cff"),
        ("compute", "cpu"),
    ]);
    while pollster::block_on(run.step()).unwrap() == StepOutcome::Continue {}
    assert_eq!(run.steps_taken(), 2000);
    let accuracy: Vec<f64> = (0..4).map(|s| run.test_accuracy(s).unwrap()).collect();
    println!("held-out accuracy: FF, backprop, Mono-Forward, collaborative FF = {accuracy:?}");
    assert!(accuracy[0] >= 0.90, "forward-forward {}", accuracy[0]);
    assert!(accuracy[1] >= 0.95, "backprop {}", accuracy[1]);
    assert!(accuracy[2] >= 0.93, "Mono-Forward {}", accuracy[2]);
    // Collaborative FF is not worse than FF beyond the noise of 2,000
    // digits (one standard error of 90% is 0.7%).
    assert!(
        accuracy[3] >= accuracy[0] - 0.01,
        "collaborative {}",
        accuracy[3]
    );
}

#[test]
fn a_width_or_depth_out_of_range_is_refused_and_the_limits_name_the_param() {
    let schema = FfParams::schema();
    assert!(schema.parse("width", "2001").is_err());
    assert!(schema.parse("width", "49").is_err());
    assert!(schema.parse("depth", "5").is_err());
    assert!(schema.parse("depth", "0").is_err());
    assert!(schema.parse("width", "wide").is_err());
    // Four rules of 2,000 x 4 are past the weight budget: width is named.
    let mut params = FfParams {
        width: 2000,
        depth: 4,
        ..FfParams::default()
    };
    params.rule_4 = params.rule_3;
    let error = params.limits().unwrap_err();
    assert_eq!(error.key, "width");
    assert!(FfParams::default().limits().is_ok());
}

#[test]
fn a_drawn_digit_is_always_a_valid_14_by_14_image() {
    assert_eq!(rasterize(&[], 14), vec![0.0; 196]);
    // A vertical stroke down the middle inks the two middle columns, not the edges.
    let stroke: Vec<[f64; 2]> = (0..=20)
        .map(|i| [0.0, -0.8 + 0.08 * f64::from(i)])
        .collect();
    let image = rasterize(&stroke, 14);
    assert_eq!(image.len(), 196);
    assert!(image[7 * 14 + 6] > 0.5 && image[7 * 14 + 7] > 0.5);
    assert!(image[7 * 14] < 1e-6 && image[7 * 14 + 13] < 1e-6);
    // Row 0 is the top: a point at the top-left corner inks pixel 0.
    assert!(rasterize(&[[-0.93, 0.93]], 14)[0] > 0.9);
    // Any pile of points, on the edges too, stays ink in [0, 1].
    for points in [
        vec![[1.0, 1.0]; 200],
        vec![[-1.0, -1.0], [1.0, -1.0], [0.0, 0.0]],
    ] {
        let image = rasterize(&points, 14);
        assert_eq!(image.len(), 196);
        assert!(image.iter().all(|v| (0.0..=1.0).contains(v)), "{points:?}");
    }
    assert_eq!(rasterize(&[[1.0, 1.0]; 200], 14)[13], 1.0);
}

#[test]
fn every_rule_answers_a_drawn_digit_and_the_goodness_rules_give_each_labels_goodness() {
    let mut run = lab(&[
        ("width", "64"),
        ("steps", "20"),
        ("eval_every", "10"),
        ("eval_digits", "100"),
        ("rule_4", "cff"),
        ("compute", "cpu"),
    ]);
    let one: Vec<f64> = (0..=20)
        .flat_map(|i| [0.0, -0.8 + 0.08 * f64::from(i)])
        .collect();
    run.set("drawing", &Value::List(one)).unwrap();
    while pollster::block_on(run.step()).unwrap() == StepOutcome::Continue {}
    let view = run.view();
    for slot in 1..=4 {
        let answer = view
            .figures
            .iter()
            .find(|f| f.key == format!("answer_{slot}"))
            .unwrap();
        let digit = answer.value.unwrap();
        assert!(
            (0.0..=9.0).contains(&digit) && digit.fract() == 0.0,
            "slot {slot}: {digit}"
        );
    }
    assert!(view.charts.iter().any(|c| c.key == "drawn_goodness"));
    // Cleared: no answers, and the finished run still takes the change.
    run.set("drawing", &Value::List(Vec::new())).unwrap();
    pollster::block_on(run.refresh()).unwrap();
    let view = run.view();
    assert!(
        view.figures
            .iter()
            .filter(|f| f.key.starts_with("answer_"))
            .all(|f| f.value.is_none())
    );
}

/// Held-out accuracy of the shipped FF, backprop, Mono-Forward and collaborative FF.
const SHIPPED_ACCURACY: [f64; 4] = [0.9395, 0.9635, 0.961, 0.9515];

/// The shipped networks (`public/models/ff.safetensors`, trained by the
/// CLI at the defaults with rule 4 = collaborative FF, 3,000 steps, seed 1)
/// load at the defaults and score on the 2,000 held-out digits what the
/// README says; a stroke down the middle is a one to each; another width is
/// refused with the reason and trains from scratch.
#[test]
fn the_shipped_networks_load_score_what_the_readme_says_and_are_refused_where_they_do_not_fit() {
    let mut run = lab(&[("rule_4", "cff"), ("compute", "cpu")]);
    assert_eq!(run.trained(), Some(3000));
    assert_eq!(
        pollster::block_on(run.step()).unwrap(),
        StepOutcome::Finished
    );
    let accuracy: Vec<f64> = (0..4).map(|s| run.test_accuracy(s).unwrap()).collect();
    println!("shipped networks, held-out accuracy: {accuracy:?}");
    for (got, stated) in accuracy.iter().zip(SHIPPED_ACCURACY) {
        assert!(
            (got - stated).abs() < 1e-9,
            "{got} against the README's {stated}"
        );
    }
    let one: Vec<f64> = (0..=20)
        .flat_map(|i| [0.0, -0.8 + 0.08 * f64::from(i)])
        .collect();
    run.set("drawing", &Value::List(one)).unwrap();
    pollster::block_on(run.refresh()).unwrap();
    let view = run.view();
    for slot in 1..=4 {
        let answer = view
            .figures
            .iter()
            .find(|f| f.key == format!("answer_{slot}"))
            .unwrap();
        assert_eq!(
            answer.value,
            Some(1.0),
            "rule {slot} reads the stroke as {:?}",
            answer.value
        );
    }
    let other = lab(&[("width", "400"), ("compute", "cpu")]);
    assert_eq!(other.trained(), None);
    let started = other
        .view()
        .facts
        .into_iter()
        .find(|(k, _)| k == "Started from")
        .unwrap()
        .1;
    assert_eq!(
        started,
        "from scratch: the checkpoint does not fit width = 400 (checkpoint: 500)"
    );
}

/// Hard negatives (Hinton 2022, section 3.3) are the wrong label the network
/// finds best: on the shipped FF, every digit's hard label is not its own
/// and has the most goodness (summed over the layers a prediction sums) of
/// its nine wrong labels.
#[test]
fn hard_negatives_carry_the_wrong_label_with_the_most_goodness() {
    let run = lab(&[("compute", "cpu")]);
    let learner = run.learner(0);
    assert_eq!(learner.rule, RuleId::ForwardForward);
    let rng = CounterRng::new(4);
    let images: Vec<f32> = (0..8 * IMAGE_PIXELS)
        .map(|i| rng.uniform(i as u32, 0, 1))
        .collect();
    let labels: Vec<usize> = (0..8).map(|i| i % 10).collect();
    let settings = Settings::of(&FfParams::default());
    let hard = pollster::block_on(learner.hard_labels(&images, &labels, &settings)).unwrap();
    let inner = TensorDevice::flex();
    let scores = pollster::block_on(label_goodness(
        &learner.net().valid(),
        &images,
        &settings,
        &inner,
    ))
    .unwrap();
    for (i, (&label, &wrong)) in labels.iter().zip(&hard).enumerate() {
        assert_ne!(wrong, label);
        // Depth 2: the second layer's goodness is what a prediction reads.
        let g = |c: usize| scores[1][i * 10 + c];
        for c in (0..10).filter(|c| *c != label) {
            assert!(
                g(wrong) >= g(c),
                "digit {i}: hard label {wrong} below label {c}"
            );
        }
    }
}
