//! The whole state of a lab in the URL hash, e.g.
//! `#lab=device&seed=7&matmul_n=512&embed=1&hide=seed,speed`, or a lab's
//! preset and what was changed since: `#lab=bandits&preset=ucb1-log-regret&horizon=5000`.
//!
//! Parsing never fails and never panics: whatever a link holds, the result is a
//! valid state, field by field, plus a list of notices saying what was ignored.

use std::collections::BTreeMap;

use crate::experiment::{LabInfo, RESERVED_KEYS, runner_schema};
use crate::params::{Params, Value};

/// Longest hash read; the rest is ignored with a notice.
pub const MAX_HASH_LEN: usize = 4096;
/// Most `key=value` pairs read.
pub const MAX_PAIRS: usize = 64;
/// Most notices kept, so a hostile link cannot flood the page.
pub const MAX_NOTICES: usize = 12;
const MAX_SHOWN_CHARS: usize = 40;

/// Controls that `hide=` may name besides the lab's own parameters. The run
/// bar is not one of them: without it an embedded lab could never start.
pub const HIDEABLE_PANELS: [&str; 5] = ["explanation", "presets", "recent", "seed", "speed"];

/// The resolved state of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    /// `None` is the gallery.
    pub lab: Option<String>,
    /// The preset the params start from, if any.
    pub preset: Option<String>,
    pub params: Option<Params>,
    pub seed: u64,
    pub speed: u32,
    pub embed: bool,
    pub hide: Vec<String>,
    /// `controls=`: the only params shown (all when empty). What a widget in
    /// a tutorial lets its reader change.
    pub controls: Vec<String>,
    /// `origin=`: the pages (`scheme://host[:port]`) besides this site's own
    /// that may drive this lab from a parent frame ([`crate::embed`]).
    pub origins: Vec<String>,
    /// What was ignored, in words, for the visible notice.
    pub notices: Vec<String>,
}

impl PageState {
    fn gallery(seed: u64, speed: u32) -> Self {
        Self {
            lab: None,
            preset: None,
            params: None,
            seed,
            speed,
            embed: false,
            hide: Vec::new(),
            controls: Vec::new(),
            origins: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Whether the page hides the control or panel `key`: named by `hide=`,
    /// or a param left out of `controls=`.
    pub fn hides(&self, key: &str) -> bool {
        let left_out = !self.controls.is_empty()
            && !HIDEABLE_PANELS.contains(&key)
            && !self.controls.iter().any(|c| c == key);
        left_out || self.hide.iter().any(|h| h == key)
    }

    fn notice(&mut self, message: String) {
        if self.notices.len() < MAX_NOTICES {
            self.notices.push(message);
        } else if self.notices.len() == MAX_NOTICES {
            self.notices
                .push("… and more fields were ignored".to_string());
        }
    }
}

/// Shortens untrusted text for display in a notice.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    if text.chars().count() > MAX_SHOWN_CHARS {
        out.push('…');
    }
    out
}

/// Parses a hash (with or without the leading `#`) against the known labs.
pub fn parse(hash: &str, labs: &[LabInfo]) -> PageState {
    let runner = runner_schema();
    let default_int = |key: &str| match runner.spec(key).map(|s| s.default_value()) {
        Some(Value::Int(i)) => i,
        _ => 1,
    };
    let mut state = PageState::gallery(default_int("seed") as u64, default_int("speed") as u32);

    let hash = hash.strip_prefix('#').unwrap_or(hash);
    let hash = hash.strip_prefix('/').unwrap_or(hash);
    let hash = if hash.len() > MAX_HASH_LEN {
        state.notice(format!(
            "The link's state is {} characters long; only the first {MAX_HASH_LEN} were read.",
            hash.len()
        ));
        let mut end = MAX_HASH_LEN;
        while !hash.is_char_boundary(end) {
            end -= 1;
        }
        &hash[..end]
    } else {
        hash
    };

    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    for (count, (key, value)) in form_urlencoded::parse(hash.as_bytes()).enumerate() {
        if count == MAX_PAIRS {
            state.notice(format!(
                "Only the first {MAX_PAIRS} fields of the link were read."
            ));
            break;
        }
        if key.is_empty() {
            continue;
        }
        if pairs.insert(key.to_string(), value.to_string()).is_some() {
            state.notice(format!(
                "'{}' appears more than once; the last value was used.",
                shown(&key)
            ));
        }
    }

    if let Some(raw) = pairs.remove("seed") {
        match runner.parse("seed", &raw) {
            Ok(Value::Int(seed)) => state.seed = seed as u64,
            Ok(_) | Err(_) => state.notice(format!(
                "Seed '{}' is not a whole number from 0 to 2^53 - 1; using {}.",
                shown(&raw),
                state.seed
            )),
        }
    }
    if let Some(raw) = pairs.remove("speed") {
        match runner.parse("speed", &raw) {
            Ok(Value::Int(speed)) => state.speed = speed as u32,
            Ok(_) | Err(_) => state.notice(format!(
                "Speed '{}' is not a whole number from 1 to 1000; using {}.",
                shown(&raw),
                state.speed
            )),
        }
    }
    if let Some(raw) = pairs.remove("embed") {
        match raw.as_str() {
            "1" | "true" => state.embed = true,
            "0" | "false" => {}
            _ => state.notice(format!("embed='{}' is not 1 or 0; ignored.", shown(&raw))),
        }
    }
    let hide_raw = pairs.remove("hide");
    let controls_raw = pairs.remove("controls");
    if let Some(raw) = pairs.remove("origin") {
        for origin in raw.split(',').filter(|o| !o.is_empty()).take(MAX_PAIRS) {
            if crate::embed::is_origin(origin) {
                state.origins.push(origin.to_string());
            } else {
                state.notice(format!(
                    "origin: '{}' is not a page's origin (scheme://host[:port]); ignored.",
                    shown(origin)
                ));
            }
        }
    }

    let lab = match pairs.remove("lab") {
        None => None,
        Some(id) => match labs.iter().find(|l| l.id == id) {
            Some(lab) => Some(lab),
            None => {
                state.notice(format!(
                    "There is no lab called '{}'; showing the gallery.",
                    shown(&id)
                ));
                None
            }
        },
    };

    let Some(lab) = lab else {
        for key in pairs.keys() {
            state.notice(format!("Ignored '{}': no lab is open.", shown(key)));
        }
        return state;
    };

    let mut params = lab.schema.defaults();
    if let Some(name) = pairs.remove("preset") {
        match lab.preset_params(&name) {
            Ok(preset) => {
                params = preset;
                state.preset = Some(name);
            }
            Err(_) => state.notice(format!(
                "{} has no preset '{}'; starting from the defaults.",
                lab.title,
                shown(&name)
            )),
        }
    }
    for (key, raw) in &pairs {
        let Some(spec) = lab.schema.spec(key) else {
            state.notice(format!("Ignored unknown field '{}'.", shown(key)));
            continue;
        };
        let accepted = spec
            .parse(raw)
            .and_then(|value| params.set(&lab.schema, key, &value));
        if let Err(e) = accepted {
            state.notice(format!(
                "{}; using the default {}.",
                shown_message(&e.message),
                spec.default_value()
            ));
        }
    }

    if let Some(raw) = hide_raw {
        for key in raw.split(',').filter(|k| !k.is_empty()).take(MAX_PAIRS) {
            let known = lab.schema.spec(key).is_some() || HIDEABLE_PANELS.contains(&key);
            if known {
                if !state.hide.iter().any(|h| h == key) {
                    state.hide.push(key.to_string());
                }
            } else if key == "run" {
                state.notice(
                    "hide: the run bar stays, or the lab could never be started.".to_string(),
                );
            } else {
                state.notice(format!(
                    "hide: there is no control called '{}'.",
                    shown(key)
                ));
            }
        }
    }

    if let Some(raw) = controls_raw {
        for key in raw.split(',').filter(|k| !k.is_empty()).take(MAX_PAIRS) {
            if lab.schema.spec(key).is_none() {
                state.notice(format!(
                    "controls: there is no control called '{}'.",
                    shown(key)
                ));
            } else if !state.controls.iter().any(|c| c == key) {
                state.controls.push(key.to_string());
            }
        }
    }

    state.lab = Some(lab.id.clone());
    state.params = Some(params);
    state
}

/// Error messages quote the raw value; keep them short too.
fn shown_message(message: &str) -> String {
    let mut out: String = message.chars().take(3 * MAX_SHOWN_CHARS).collect();
    if message.chars().count() > 3 * MAX_SHOWN_CHARS {
        out.push('…');
    }
    out
}

/// Writes the state of an open lab as a hash (with the leading `#`). Only
/// values that differ from the preset's (or without one, the schema's
/// defaults) are written, so links stay short.
pub fn encode(lab: &LabInfo, params: &Params, state: &PageState) -> String {
    let (seed, speed, embed, hide) = (state.seed, state.speed, state.embed, &state.hide);
    let (controls, origins) = (&state.controls, &state.origins);
    let preset = state
        .preset
        .as_ref()
        .and_then(|name| Some((name, lab.preset_params(name).ok()?)));
    let defaults = preset
        .as_ref()
        .map_or_else(|| lab.schema.defaults(), |(_, params)| params.clone());
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("lab", &lab.id);
    if let Some((name, _)) = &preset {
        out.append_pair("preset", name);
    }
    out.append_pair("seed", &seed.to_string());
    if speed != 1 {
        out.append_pair("speed", &speed.to_string());
    }
    for (key, value) in params.iter() {
        // As the schema stores it: a whole-number float that crossed JSON is an Int.
        let value = lab
            .schema
            .validate(key, value)
            .unwrap_or_else(|_| value.clone());
        if defaults.get(key) != Some(&value) && !RESERVED_KEYS.contains(&key.as_str()) {
            out.append_pair(key, &value.to_string());
        }
    }
    if embed {
        out.append_pair("embed", "1");
    }
    if !hide.is_empty() {
        out.append_pair("hide", &hide.join(","));
    }
    if !controls.is_empty() {
        out.append_pair("controls", &controls.join(","));
    }
    if !origins.is_empty() {
        out.append_pair("origin", &origins.join(","));
    }
    format!("#{}", out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{ParamSpec, Schema};
    use proptest::prelude::*;

    fn labs() -> Vec<LabInfo> {
        vec![LabInfo {
            id: "toy".into(),
            title: "Toy".into(),
            summary: String::new(),
            explanation: vec![],
            assets: vec![],
            panels: vec![],
            checkpoint: false,
            main_chart: "regret".into(),
            presenter: vec!["temperature".into()],
            still: None,
            papers: Vec::new(),
            formula: String::new(),
            presets: vec![crate::experiment::Preset {
                name: "cold".into(),
                title: "Cold".into(),
                claim: String::new(),
                paper: String::new(),
                set: vec!["temperature=0.01".into(), "arms=3".into()],
                steps: 10,
                checks: Vec::new(),
            }],
            schema: Schema::new(vec![
                ParamSpec::float("temperature", "Temperature", 1e-3, 1e3, 1.0)
                    .log()
                    .live(),
                ParamSpec::int("arms", "Arms", 2, 100, 10),
                ParamSpec::choice(
                    "env",
                    "Environment",
                    &[("bern", "Bernoulli"), ("gauss", "Gaussian")],
                    "bern",
                ),
                ParamSpec::toggle("anneal", "Anneal", false),
            ]),
        }]
    }

    #[test]
    fn round_trip_restores_lab_params_seed_and_embed() {
        let labs = labs();
        let mut params = labs[0].schema.defaults();
        params
            .set(&labs[0].schema, "temperature", &Value::Float(0.25))
            .unwrap();
        params
            .set(&labs[0].schema, "env", &Value::Text("gauss".into()))
            .unwrap();
        params
            .set(&labs[0].schema, "anneal", &Value::Bool(true))
            .unwrap();
        let hide = vec!["arms".to_string(), "speed".to_string()];
        let page = PageState {
            seed: 1234,
            speed: 20,
            embed: true,
            hide: hide.clone(),
            ..PageState::gallery(1, 1)
        };
        let hash = encode(&labs[0], &params, &page);
        let state = parse(&hash, &labs);
        assert!(state.notices.is_empty(), "{:?}", state.notices);
        assert_eq!(state.lab.as_deref(), Some("toy"));
        assert_eq!(state.params.as_ref(), Some(&params));
        assert_eq!((state.seed, state.speed, state.embed), (1234, 20, true));
        assert_eq!(state.hide, hide);
    }

    #[test]
    fn defaults_stay_out_of_the_link_even_after_crossing_json() {
        let labs = labs();
        // What the page holds after the worker's params crossed JSON: the
        // default temperature 1.0 arrives as the whole number 1.
        let crossed: Params = serde_json::from_str(
            r#"{"temperature": 1, "arms": 10, "env": "bern", "anneal": false}"#,
        )
        .unwrap();
        assert_eq!(crossed.get("temperature"), Some(&Value::Int(1)));
        let page = PageState::gallery(1, 1);
        let hash = encode(&labs[0], &crossed, &page);
        assert_eq!(hash, "#lab=toy&seed=1");
        // A value that differs is still written.
        let mut params = labs[0].schema.defaults();
        params
            .set(&labs[0].schema, "temperature", &Value::Float(2.0))
            .unwrap();
        assert!(encode(&labs[0], &params, &page).contains("temperature=2"));
    }

    #[test]
    fn a_preset_is_its_name_in_the_link_and_changes_are_written_over_it() {
        let labs = labs();
        let state = parse("#lab=toy&preset=cold", &labs);
        assert!(state.notices.is_empty(), "{:?}", state.notices);
        let params = state.params.clone().unwrap();
        assert_eq!(params.float("temperature").unwrap(), 0.01);
        assert_eq!(params.int("arms").unwrap(), 3);
        assert_eq!(
            encode(&labs[0], &params, &state),
            "#lab=toy&preset=cold&seed=1"
        );
        // A change after the preset is written over it, and read back.
        let mut changed = params.clone();
        changed
            .set(&labs[0].schema, "arms", &Value::Int(5))
            .unwrap();
        let hash = encode(&labs[0], &changed, &state);
        assert_eq!(hash, "#lab=toy&preset=cold&seed=1&arms=5");
        assert_eq!(parse(&hash, &labs).params, Some(changed));
        // An unknown preset: the defaults, with a notice.
        let state = parse("#lab=toy&preset=warm", &labs);
        assert_eq!(state.preset, None);
        assert_eq!(state.params, Some(labs[0].schema.defaults()));
        assert!(
            state.notices[0].contains("no preset 'warm'"),
            "{:?}",
            state.notices
        );
    }

    #[test]
    fn controls_shows_only_its_params_and_origins_must_be_origins() {
        let labs = labs();
        let state = parse(
            "lab=toy&controls=temperature,nope&origin=https://tutor.example:8443,http://a.b/path,*",
            &labs,
        );
        assert_eq!(state.controls, ["temperature"]);
        assert_eq!(state.origins, ["https://tutor.example:8443"]);
        assert_eq!(state.notices.len(), 3, "{:?}", state.notices);
        assert!(!state.hides("temperature"));
        assert!(
            state.hides("arms"),
            "a param left out of controls= is hidden"
        );
        assert!(!state.hides("seed"), "controls= names params, not panels");
        let params = state.params.clone().unwrap();
        let again = parse(&encode(&labs[0], &params, &state), &labs);
        assert_eq!(
            (again.controls, again.origins),
            (state.controls, state.origins)
        );
    }

    #[test]
    fn the_run_bar_cannot_be_hidden() {
        let state = parse("#lab=toy&embed=1&hide=run,arms", &labs());
        assert_eq!(state.hide, ["arms"]);
        assert!(state.notices[0].contains("run bar"), "{:?}", state.notices);
    }

    #[test]
    fn bad_fields_fall_back_one_by_one_with_notices() {
        let state = parse(
            "#lab=toy&temperature=NaN&arms=7&env=poisson&ghost=1&seed=-5",
            &labs(),
        );
        let params = state.params.unwrap();
        assert_eq!(params.float("temperature").unwrap(), 1.0);
        assert_eq!(params.int("arms").unwrap(), 7);
        assert_eq!(params.text("env").unwrap(), "bern");
        assert_eq!(state.seed, 1);
        assert_eq!(state.notices.len(), 4, "{:?}", state.notices);
        assert!(state.notices.iter().any(|n| n.contains("ghost")));
    }

    #[test]
    fn unknown_lab_shows_gallery_with_notice() {
        let state = parse("lab=nope&x=1", &labs());
        assert_eq!(state.lab, None);
        assert_eq!(state.notices.len(), 2);
    }

    #[test]
    fn huge_hash_is_cut_and_notices_are_bounded() {
        let hash = format!("lab=toy&{}", "k=v&".repeat(50_000));
        let state = parse(&hash, &labs());
        assert_eq!(state.lab.as_deref(), Some("toy"));
        assert!(state.notices.len() <= MAX_NOTICES + 1);
        assert!(state.notices.iter().all(|n| n.len() < 400));
        let long_value = format!("lab=toy&env={}", "é".repeat(60_000));
        let state = parse(&long_value, &labs());
        assert!(state.notices.iter().all(|n| n.len() < 400));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parser_never_panics_and_yields_valid_params(hash in ".{0,300}") {
            let labs = labs();
            let state = parse(&hash, &labs);
            if let Some(params) = &state.params {
                for spec in &labs[0].schema.params {
                    let value = params.get(&spec.key).expect("every key present");
                    prop_assert!(spec.validate(value).is_ok());
                }
            }
            prop_assert!(state.speed >= 1 && state.speed <= 1000);
            prop_assert!(state.notices.len() <= MAX_NOTICES + 1);
        }

        #[test]
        fn structured_garbage_never_panics(
            keys in proptest::collection::vec("(lab|seed|speed|embed|hide|temperature|arms|env|anneal|[a-z%=&#]{1,8})", 0..20),
            values in proptest::collection::vec("(toy|-?[0-9eE.+-]{1,30}|NaN|inf|[^&]{0,50})", 0..20),
        ) {
            let hash: Vec<String> = keys.iter().zip(values.iter()).map(|(k, v)| format!("{k}={v}")).collect();
            let state = parse(&hash.join("&"), &labs());
            if let Some(params) = state.params {
                let t = params.float("temperature").unwrap();
                prop_assert!(t.is_finite() && (1e-3..=1e3).contains(&t));
            }
        }
    }
}
