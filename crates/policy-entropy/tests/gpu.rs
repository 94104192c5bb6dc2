//! The trainer on WebGPU's path (burn on wgpu; lavapipe's Vulkan on a
//! machine without a GPU) against burn's CPU backend: the same seeds, the
//! same uniforms, so the same answers are sampled until f32 rounding moves
//! a cumulative probability across a uniform; then the runs part but
//! follow the same law. Stated tolerance: every seed's entropy within
//! 2e-3 nats and the mean reward within 0.02 at every step, over 20 steps
//! of the table policy and 5 of the MLP (its shared weights carry every
//! prompt's rounding, and its token-by-token sampling turns a flip early in
//! an answer into a different answer: by step 9 a seed is 0.06 nats off).

use thermolab_core::rng::CounterRng;
use thermolab_gpu::{Compute, TensorDevice};
use thermolab_policy_entropy::PeParams;
use thermolab_policy_entropy::controllers::ControllerId;
use thermolab_policy_entropy::params::PolicyKind;
use thermolab_policy_entropy::task::{Dims, Rule};
use thermolab_policy_entropy::trainer::{Draws, Run, StepReport};

fn train(
    controller: ControllerId,
    params: &PeParams,
    steps: u64,
    device: &TensorDevice,
) -> Vec<StepReport> {
    let rng = CounterRng::new(3);
    let rule = Rule::draw(params, rng);
    let mut run = Run::new(controller, params, rng, device);
    (0..steps)
        .map(|step| {
            let draws = Draws::of(rng, Dims::of(params), step);
            pollster::block_on(run.step(params, &rule, &draws)).unwrap()
        })
        .collect()
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|x| f64::from(*x)).sum::<f64>() / values.len() as f64
}

#[test]
fn the_gpu_path_replays_the_cpu_path() {
    let compute = Compute::shared_native();
    compute.require_gpu();
    for (controller, policy, steps) in [
        (ControllerId::None, PolicyKind::Table, 20),
        (ControllerId::Aepo, PolicyKind::Table, 20),
        (ControllerId::ClipCov, PolicyKind::Table, 20),
        (ControllerId::Bapo, PolicyKind::Table, 20),
        (ControllerId::Aent, PolicyKind::Table, 20),
        (ControllerId::Era, PolicyKind::Table, 20),
        (ControllerId::KlCov, PolicyKind::Table, 20),
        (ControllerId::Dual, PolicyKind::Mlp, 5),
    ] {
        let params = PeParams {
            seeds: 4,
            policy,
            learning_rate: 0.05,
            bapo_share: 0.6,
            ..PeParams::default()
        };
        let gpu = train(controller, &params, steps, &compute.tensor_device);
        let cpu = train(controller, &params, steps, &TensorDevice::flex());
        for (step, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
            for (seed, (hg, hc)) in g.entropy.iter().zip(&c.entropy).enumerate() {
                assert!(
                    (hg - hc).abs() < 2e-3,
                    "{} {policy:?}, step {step}, seed {seed}: entropy {hg} on the GPU, {hc} on the CPU",
                    controller.label()
                );
            }
            // BAPO's bounds, picked on each device, are the same.
            for (sg, sc) in g.states.iter().zip(&c.states) {
                assert_eq!(
                    (sg.low, sg.high),
                    (sc.low, sc.high),
                    "{} step {step}",
                    controller.label()
                );
            }
            let (rg, rc) = (mean(&g.rewards), mean(&c.rewards));
            assert!(
                (rg - rc).abs() < 0.02,
                "{} step {step}: reward {rg} vs {rc}",
                controller.label()
            );
        }
        // The runs learned: the comparison is not between two idle policies.
        let last = cpu.last().unwrap();
        assert!(last.entropy[0] < cpu[0].entropy[0] - 0.01);
        if controller == ControllerId::Bapo {
            let moved = cpu.iter().flat_map(|r| &r.states).filter(|x| x.high > 1.2);
            assert!(moved.count() > 0, "BAPO's bounds never moved");
        }
    }
}
