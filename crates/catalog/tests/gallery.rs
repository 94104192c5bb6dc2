//! The gallery's pictures are the labs' own: each `public/gallery/<id>.json`
//! is the chart its lab draws from the lab's still recipe (seed 1, on the
//! CPU). A recipe or a lab that changes without the file, or a file edited by
//! hand, turns this red. `cargo xtask gallery` (this test with
//! `THERMOLAB_GALLERY=write`) writes the files again.

use std::path::PathBuf;

use serde_json::Value as Json;
use thermolab_catalog::{REGISTRY, labs};
use thermolab_core::assets::Assets;
use thermolab_core::experiment::{GalleryStill, LabInfo, Still, parse_assignments};
use thermolab_gpu::Compute;
use thermolab_kit::{Session, StepReport};

/// Numbers may differ this much, relative to themselves, plus
/// [`FLOOR`] of the largest in their chart: the CPU backend's sums may run in
/// another order on another machine's SIMD, and training carries the last
/// bits on. A different recipe or chart differs by far more.
const RELATIVE: f64 = 0.01;
const FLOOR: f64 = 1e-3;

fn gallery_file(id: &str) -> PathBuf {
    Assets::repository_public().join(format!("gallery/{id}.json"))
}

/// The lab's chart after its recipe's steps.
fn draw_still(lab: &LabInfo, still: &Still) -> GalleryStill {
    let values = parse_assignments(&lab.schema, &still.set)
        .unwrap_or_else(|e| panic!("{}: recipe values: {e}", lab.id));
    let compute = Compute::cpu("gallery stills are drawn on the CPU");
    let assets = Assets::read_from(&Assets::repository_public(), &lab.assets);
    let (mut session, refused) = Session::start(REGISTRY, &compute, &lab.id, &values, 1, &assets)
        .unwrap_or_else(|e| panic!("{}: the recipe does not start: {e}", lab.id));
    assert!(refused.is_empty(), "{}: {refused:?}", lab.id);
    for _ in 0..still.steps {
        if pollster::block_on(session.step()) != StepReport::Stepped {
            break;
        }
    }
    let view = session.snapshot().view;
    let chart = view
        .charts
        .into_iter()
        .find(|c| c.key == still.chart)
        .unwrap_or_else(|| panic!("{}: draws no chart {}", lab.id, still.chart));
    GalleryStill {
        still: still.clone(),
        chart,
    }
}

/// `json` with its fractional numbers to six significant digits: a third
/// of the bytes, and far inside the test's tolerance. Whole numbers stay
/// whole (counts read back as integers).
fn rounded(json: Json) -> Json {
    match json {
        Json::Number(n) if n.is_f64() => n
            .as_f64()
            .and_then(|x| format!("{x:.5e}").parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Number(n), Json::Number),
        Json::Array(items) => Json::Array(items.into_iter().map(rounded).collect()),
        Json::Object(fields) => {
            Json::Object(fields.into_iter().map(|(k, v)| (k, rounded(v))).collect())
        }
        other => other,
    }
}

fn largest_number(json: &Json) -> f64 {
    match json {
        Json::Number(n) => n.as_f64().unwrap_or(0.0).abs(),
        Json::Array(items) => items.iter().map(largest_number).fold(0.0, f64::max),
        Json::Object(fields) => fields.values().map(largest_number).fold(0.0, f64::max),
        _ => 0.0,
    }
}

/// Where `found` differs from `wanted` by more than [`RELATIVE`] plus
/// `floor`: a path and both values.
fn difference(wanted: &Json, found: &Json, floor: f64, at: &str) -> Option<String> {
    match (wanted, found) {
        (Json::Number(a), Json::Number(b)) => {
            let (a, b) = (a.as_f64()?, b.as_f64()?);
            let tolerance = RELATIVE * a.abs().max(b.abs()) + floor;
            ((a - b).abs() > tolerance).then(|| format!("{at}: {a} in the file, {b} drawn"))
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| difference(a, b, floor, &format!("{at}[{i}]"))),
        (Json::Object(a), Json::Object(b)) if a.len() == b.len() => {
            a.iter().find_map(|(k, a)| match b.get(k) {
                Some(b) => difference(a, b, floor, &format!("{at}.{k}")),
                None => Some(format!("{at}.{k}: in the file, not drawn")),
            })
        }
        (Json::Array(a), Json::Array(b)) => Some(format!(
            "{at}: {} items in the file, {} drawn",
            a.len(),
            b.len()
        )),
        _ if wanted == found => None,
        _ => Some(format!("{at}: {wanted} in the file, {found} drawn")),
    }
}

#[test]
fn every_gallery_still_is_what_its_lab_draws_from_its_recipe() {
    let write = std::env::var("THERMOLAB_GALLERY").is_ok_and(|v| v == "write");
    let labs = labs();
    assert!(
        labs.iter().all(|lab| lab.still.is_some()),
        "every lab has a gallery picture"
    );
    for lab in &labs {
        let Some(still) = &lab.still else { continue };
        let drawn = serde_json::to_value(draw_still(lab, still)).unwrap();
        let path = gallery_file(&lab.id);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                &path,
                serde_json::to_string(&rounded(drawn)).unwrap() + "\n",
            )
            .unwrap();
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; `cargo xtask gallery` writes it", path.display()));
        let wanted: Json = serde_json::from_str(&text).unwrap();
        let floor = FLOOR * largest_number(&wanted["chart"]);
        if let Some(why) = difference(&wanted, &drawn, floor, &lab.id) {
            panic!("{why}: the gallery still is stale; `cargo xtask gallery` draws it again");
        }
    }
}
