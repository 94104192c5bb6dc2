//! Every lab ships presets, and every preset does what its paragraph says:
//! its values are valid for its lab, and after its steps from seed 1 on the
//! CPU the figures bear out each of its checks. A preset whose claim stops
//! holding (a changed algorithm, a changed default under it) turns this red.

use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::experiment::RunStatus;
use thermolab_gpu::Compute;
use thermolab_kit::{Session, StepReport};

/// The Device lab measures machines: it makes no paper's claim to reproduce.
const WITHOUT_CLAIMS: [&str; 1] = ["device"];

#[test]
fn every_lab_ships_presets_with_a_checked_claim_and_a_paper() {
    for lab in labs() {
        assert!(
            !lab.presets.is_empty() || WITHOUT_CLAIMS.contains(&lab.id.as_str()),
            "{} ships no preset",
            lab.id
        );
        for preset in &lab.presets {
            let at = format!("{} preset {}", lab.id, preset.name);
            assert!(!preset.checks.is_empty(), "{at}: its claim is not checked");
            assert!(!preset.paper.is_empty() && !preset.claim.is_empty(), "{at}");
            assert!(
                preset
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{at}: a name for URLs is lowercase words joined by -"
            );
            lab.preset_params(&preset.name)
                .unwrap_or_else(|e| panic!("{at}: {e}"));
        }
    }
}

#[test]
fn every_presets_claim_holds_after_its_steps() {
    let compute = Compute::cpu("presets are checked on the CPU");
    for lab in labs() {
        let assets = Assets::read_from(&Assets::repository_public(), &lab.assets);
        for preset in &lab.presets {
            let at = format!("{} preset {}", lab.id, preset.name);
            let params = lab.preset_params(&preset.name).unwrap();
            let (mut session, refused) =
                Session::start(REGISTRY, &compute, &lab.id, params.values(), 1, &assets)
                    .unwrap_or_else(|e| panic!("{at}: does not start: {e}"));
            assert!(refused.is_empty(), "{at}: {refused:?}");
            for _ in 0..preset.steps {
                if pollster::block_on(session.step()) != StepReport::Stepped {
                    break;
                }
            }
            let snapshot = session.snapshot();
            assert!(
                matches!(snapshot.status, RunStatus::Paused | RunStatus::Finished),
                "{at}: {:?} at step {}",
                snapshot.status,
                snapshot.step
            );
            assert_eq!(snapshot.step, preset.steps, "{at}: stopped early");
            let view = snapshot.view;
            for check in &preset.checks {
                check.holds(&view).unwrap_or_else(|e| panic!("{at}: {e}"));
            }
        }
    }
}
