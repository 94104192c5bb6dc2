//! The schema's conditions against what the labs do: for every lab and every
//! value of each of its selects, a param whose condition holds (the page
//! shows its control) changes the view when it is nudged, and one whose
//! condition fails (the page hides it) changes nothing. A condition that
//! hides a working control, or shows a dead one, turns this red.

use std::collections::BTreeMap;

use thermolab_catalog::REGISTRY;
use thermolab_core::assets::Assets;
use thermolab_core::experiment::View;
use thermolab_core::params::{ParamKind, ParamSpec, Scale, Value};
use thermolab_gpu::Compute;
use thermolab_kit::{Session, StepReport};

/// The view after `steps` steps from `values`, or `None` when the values
/// are refused (a limit) or the run cannot start.
fn view_after(
    lab: &str,
    values: &BTreeMap<String, Value>,
    steps: usize,
    assets: &Assets,
) -> Option<View> {
    let compute = Compute::cpu("conditions test");
    let (mut session, refused) = Session::start(REGISTRY, &compute, lab, values, 3, assets).ok()?;
    if !refused.is_empty() {
        return None;
    }
    for _ in 0..steps {
        if pollster::block_on(session.step()) != StepReport::Stepped {
            break;
        }
    }
    let mut view = session.snapshot().view;
    // A rate measured by the clock (a unit per second) differs from run to
    // run whatever the params: it is left out of the comparison.
    view.figures.retain(|f| !f.unit.ends_with("/s"));
    Some(view)
}

/// Other values for `spec` than `value`, far enough to show: the far end of
/// its range and a near neighbour, the other options, the toggle flipped.
fn nudges(spec: &ParamSpec, value: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = match (&spec.kind, value) {
        (
            ParamKind::Float {
                min, max, scale, ..
            },
            Value::Float(v),
        ) => {
            let near = match scale {
                Scale::Log => v * 3.0,
                Scale::Linear => v + 0.25 * (max - min),
            };
            let far = if max - v > v - min { *max } else { *min };
            vec![
                Value::Float(far),
                Value::Float(near.clamp(*min, *max)),
                Value::Float(v - 0.25 * (max - min)),
            ]
        }
        (ParamKind::Int { min, max, .. }, Value::Int(v)) => {
            vec![Value::Int(*min), Value::Int(v + 1), Value::Int(v - 1)]
                .into_iter()
                .filter(|c| matches!(c, Value::Int(c) if (*min..=*max).contains(c)))
                .collect()
        }
        (ParamKind::Choice { options, .. }, _) => options
            .iter()
            .map(|o| Value::Text(o.value.clone()))
            .collect(),
        (ParamKind::Toggle { .. }, Value::Bool(b)) => vec![Value::Bool(!b)],
        (ParamKind::FloatList { min, max, .. }, Value::List(xs)) => vec![
            Value::List(xs.iter().map(|_| *max).collect()),
            Value::List(xs.iter().map(|_| *min).collect()),
        ],
        (ParamKind::Points { extent, .. }, Value::List(xs)) => {
            let e = extent * 0.5;
            let mut more = xs.clone();
            more.extend([e, e, -e, 0.4 * e, 0.1 * e, -e]);
            vec![Value::List(more), Value::List(Vec::new())]
        }
        _ => Vec::new(),
    };
    out.retain(|candidate| {
        spec.validate(candidate)
            .is_ok_and(|valid| &valid != value && spec.validate(value).as_ref() != Ok(&valid))
    });
    out.dedup();
    out.truncate(3);
    out
}

/// A lab at small sizes: the defaults with `base` over them (so the
/// thousands of runs stay quick), stepped `steps` times; `same_numbers`
/// names params that by design change where the numbers are computed, not
/// what they are (the tests of each lab hold the paths equal);
/// `repeated_selects` names selects with the same options and knobs as one
/// the case already walks (its pass covers them).
struct Case<'a> {
    lab: &'a str,
    base: &'a [(&'a str, Value)],
    steps: usize,
    same_numbers: &'a [&'a str],
    repeated_selects: &'a [&'a str],
    assets: Assets,
}

/// Every mismatch between a lab's conditions and what its params do.
fn mismatches(case: &Case) -> Vec<String> {
    let Case {
        lab,
        base,
        steps,
        same_numbers,
        repeated_selects,
        ref assets,
    } = *case;
    let info = REGISTRY.lab(lab).unwrap();
    let base: BTreeMap<String, Value> = base
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let defaults = info.schema.defaults();
    let mut found = Vec::new();
    let selects = info
        .schema
        .params
        .iter()
        .filter(|spec| matches!(spec.kind, ParamKind::Choice { .. }))
        .filter(|spec| !repeated_selects.contains(&spec.key.as_str()));
    for select in selects {
        let ParamKind::Choice { options, .. } = &select.kind else {
            unreachable!("filtered above");
        };
        for option in options {
            let mut values = defaults.values().clone();
            values.extend(base.clone());
            values.insert(select.key.clone(), Value::Text(option.value.clone()));
            let Some(before) = view_after(lab, &values, steps, assets) else {
                continue;
            };
            let situation = format!("{lab} with {} = {}", select.key, option.value);
            let others = info.schema.params.iter().filter(|s| s.key != select.key);
            for spec in others.filter(|s| !same_numbers.contains(&s.key.as_str())) {
                let current = values[&spec.key].clone();
                let changed = nudges(spec, &current).into_iter().filter_map(|nudge| {
                    let mut nudged = values.clone();
                    nudged.insert(spec.key.clone(), nudge.clone());
                    view_after(lab, &nudged, steps, assets).map(|after| (nudge, after != before))
                });
                let changed: Vec<(Value, bool)> = changed.collect();
                if changed.is_empty() {
                    continue;
                }
                let shown = spec.applies(&values);
                if shown && changed.iter().all(|(_, differs)| !differs) {
                    found.push(format!(
                        "{situation}: '{}' is shown but {:?} change nothing",
                        spec.key,
                        changed.iter().map(|(v, _)| v).collect::<Vec<_>>()
                    ));
                }
                if let Some((nudge, _)) = changed.iter().find(|(_, differs)| *differs)
                    && !shown
                {
                    found.push(format!(
                        "{situation}: '{}' is hidden but {nudge:?} changes the view",
                        spec.key
                    ));
                }
            }
        }
    }
    found
}

fn assert_none(found: Vec<String>) {
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn bandits_controls_are_shown_exactly_when_they_act() {
    let base = [
        ("runs", Value::Int(16)),
        ("horizon", Value::Int(40)),
        ("compute", Value::Text("cpu".to_string())),
    ];
    assert_none(mismatches(&Case {
        lab: "bandits",
        base: &base,
        steps: 30,
        same_numbers: &["compute"],
        repeated_selects: &[],
        assets: Assets::default(),
    }));
}

#[test]
fn diffusion_controls_are_shown_exactly_when_they_act() {
    let base = [
        ("train_steps", Value::Int(3)),
        ("width", Value::Int(8)),
        ("batch", Value::Int(16)),
        ("particles", Value::Int(32)),
        ("sample_steps", Value::Int(4)),
        // What a user drew: "Your drawing" has data to learn.
        (
            "drawing",
            Value::List(vec![0.5, 0.5, -1.0, 0.2, 1.5, -0.5, 0.0, 1.0]),
        ),
    ];
    assert_none(mismatches(&Case {
        lab: "diffusion",
        base: &base,
        steps: 3,
        same_numbers: &[],
        repeated_selects: &[],
        assets: Assets::default(),
    }));
}

#[test]
fn digits_controls_are_shown_exactly_when_they_act() {
    let info = REGISTRY.lab("digits").unwrap();
    let assets = Assets::read_from(&Assets::repository_public(), &info.assets);
    // A width the checkpoint does not fit: every run trains from scratch,
    // so the training controls act (on the checkpoint they wait for Start
    // from: scratch).
    let base = [
        ("particles", Value::Int(10)),
        ("sample_steps", Value::Int(3)),
        ("width", Value::Int(16)),
        ("batch", Value::Int(8)),
        ("train_steps", Value::Int(4)),
    ];
    assert_none(mismatches(&Case {
        lab: "digits",
        base: &base,
        steps: 3,
        same_numbers: &[],
        repeated_selects: &[],
        assets,
    }));
}

#[test]
fn linear_mdp_controls_are_shown_exactly_when_they_act() {
    let base = [
        ("size", Value::Int(4)),
        ("horizon", Value::Int(3)),
        ("seeds", Value::Int(2)),
        ("episodes", Value::Int(10)),
        ("river_states", Value::Int(4)),
        ("linear_states", Value::Int(6)),
        ("feature_dim", Value::Int(4)),
        // A reward cell beside the start, reachable within the horizon.
        ("rewards", Value::List(vec![-0.4, -0.9])),
        // MDVI and the rest beside LSVI-UCB, so their knobs act.
        ("algo_2", Value::Text("mdvi".to_string())),
        ("algo_3", Value::Text("sarsa".to_string())),
        ("algo_4", Value::Text("soft_vi".to_string())),
    ];
    assert_none(mismatches(&Case {
        lab: "linear-mdp",
        base: &base,
        steps: 3,
        same_numbers: &[],
        repeated_selects: &[],
        assets: Assets::default(),
    }));
}

#[test]
fn ff_controls_are_shown_exactly_when_they_act() {
    let info = REGISTRY.lab("ff").unwrap();
    let assets = Assets::read_from(&Assets::repository_public(), &info.assets);
    let base = [
        ("width", Value::Int(50)),
        ("depth", Value::Int(1)),
        ("batch", Value::Int(8)),
        ("steps", Value::Int(10)),
        ("eval_every", Value::Int(1)),
        ("eval_digits", Value::Int(100)),
    ];
    assert_none(mismatches(&Case {
        lab: "ff",
        base: &base,
        steps: 3,
        same_numbers: &[],
        repeated_selects: &[],
        assets,
    }));
}

#[test]
fn policy_entropy_controls_are_shown_exactly_when_they_act() {
    let text = |s: &str| Value::Text(s.to_string());
    // One token per answer and spread-out initial logits: the seeds start
    // on both sides of the entropy target, so every targeting knob acts at
    // once; eight epochs, so the clip bites (a larger step moves every
    // ratio past any bound at once). Controller
    // 1's pass walks every controller, so the other slots stay empty (each
    // run is then cheap) and their selects, the same options, are not walked.
    let base = [
        ("seeds", Value::Int(8)),
        ("prompts", Value::Int(4)),
        ("length", Value::Int(1)),
        ("vocab", Value::Int(8)),
        ("init_spread", Value::Float(3.0)),
        ("entropy_target", Value::Float(1.0)),
        ("learning_rate", Value::Float(0.05)),
        ("epochs", Value::Int(8)),
        ("group", Value::Int(8)),
        ("pass_k", Value::Int(2)),
        // A covariance band from 0: Clip-Cov has tokens to pick.
        ("cov_low", Value::Float(0.0)),
        ("cov_high", Value::Float(0.3)),
        ("cov_ratio", Value::Float(0.2)),
        ("controller_1", text("aent")),
        ("controller_2", text("none")),
        ("controller_3", text("none")),
    ];
    assert_none(mismatches(&Case {
        lab: "policy-entropy",
        base: &base,
        steps: 3,
        same_numbers: &[],
        repeated_selects: &["controller_2", "controller_3", "controller_4"],
        assets: Assets::default(),
    }));
}
