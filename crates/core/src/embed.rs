//! The embedding protocol: how a page that embeds a lab (in an iframe, or
//! through the `<thermolab-lab>` element of `web/embed.js`, which wraps one)
//! drives it and hears from it with `window.postMessage`.
//!
//! Every message is a JSON object carrying `"thermolab": 1` and a `"type"`.
//! The host sends a [`Command`] (`set`, `play`, `pause`, `step`, `reset`);
//! the lab answers with [`Report`]s (`ready`, `progress`, `size`,
//! `rejected`). The lab takes commands only from its parent frame and only
//! from its own origin or one its link names (`origin=`); the rest, and any
//! message that does not parse, change nothing (the page logs them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::experiment::{RunStatus, parse_assignments};
use crate::params::{Schema, Value};

/// The protocol's version, the value of every message's `thermolab` field.
pub const VERSION: u64 = 1;
/// Most params one `set` may carry.
pub const MAX_SET: usize = 64;
/// Longest origin read from a link.
const MAX_ORIGIN_LEN: usize = 256;

/// What the host page asks of the lab.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Changes params, given as numbers, booleans or the text their control
    /// takes; checked against the lab's schema, all or nothing.
    Set {
        params: BTreeMap<String, serde_json::Value>,
    },
    Play,
    Pause,
    Step,
    Reset,
}

/// What the lab tells the host page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Report {
    /// The lab's run has started and takes commands.
    Ready {
        lab: String,
        params: BTreeMap<String, Value>,
    },
    /// The run moved or changed state: its step, status and figures.
    Progress {
        step: u64,
        status: RunStatus,
        figures: BTreeMap<String, f64>,
    },
    /// The lab's page is this tall (CSS pixels): what its frame should be.
    Size { height: u32 },
    /// A command was refused, and why.
    Rejected { message: String },
}

/// Reads a host's message; `Err` says why it is not a command.
pub fn parse_command(message: &serde_json::Value) -> Result<Command, String> {
    let serde_json::Value::Object(fields) = message else {
        return Err("not a JSON object".to_string());
    };
    if fields.get("thermolab").and_then(serde_json::Value::as_u64) != Some(VERSION) {
        return Err(format!("no \"thermolab\": {VERSION} field"));
    }
    let mut command = fields.clone();
    command.remove("thermolab");
    serde_json::from_value(serde_json::Value::Object(command)).map_err(|e| e.to_string())
}

/// `report` as the message the lab posts.
pub fn report_message(report: &Report) -> serde_json::Value {
    let mut message = serde_json::to_value(report).expect("reports are plain data");
    message["thermolab"] = VERSION.into();
    message
}

/// A `set` command's params parsed against `schema`: every one valid, or the
/// first refusal.
pub fn assignments(
    schema: &Schema,
    params: &BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, Value>, String> {
    if params.len() > MAX_SET {
        return Err(format!("a set may change at most {MAX_SET} params"));
    }
    let pairs = params
        .iter()
        .map(|(key, value)| {
            let raw = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                _ => return Err(format!("{key}: give a number, true or false, or text")),
            };
            Ok(format!("{key}={raw}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    parse_assignments(schema, &pairs)
}

/// Whether `text` is a web page's origin: `http` or `https`, a host, an
/// optional port, nothing after.
pub fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let (host_ok, port) = match rest.strip_prefix('[') {
        // An IPv6 address: [hex and colons], then an optional port.
        Some(v6) => {
            let Some((inner, after)) = v6.split_once(']') else {
                return false;
            };
            let port = match after {
                "" => None,
                _ => match after.strip_prefix(':') {
                    Some(port) => Some(port),
                    None => return false,
                },
            };
            let host_ok =
                !inner.is_empty() && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
            (host_ok, port)
        }
        None => {
            let (host, port) = match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            };
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            (host_ok, port)
        }
    };
    let port_ok =
        port.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok());
    text.len() <= MAX_ORIGIN_LEN && host_ok && port_ok
}

/// Whether a message from `origin` may drive a lab served from `own` whose
/// link names `allowed`.
pub fn may_drive(origin: &str, own: &str, allowed: &[String]) -> bool {
    origin == own || allowed.iter().any(|a| a == origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSpec;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::new(vec![
            ParamSpec::float("temperature", "Temperature", 1e-3, 1e3, 1.0).live(),
            ParamSpec::int("arms", "Arms", 2, 100, 10),
            ParamSpec::toggle("anneal", "Anneal", false),
        ])
    }

    #[test]
    fn commands_need_the_version_and_nothing_unknown() {
        let play = json!({"thermolab": 1, "type": "play"});
        assert_eq!(parse_command(&play), Ok(Command::Play));
        let set = json!({"thermolab": 1, "type": "set", "params": {"temperature": 0.1}});
        assert_eq!(
            parse_command(&set),
            Ok(Command::Set {
                params: [("temperature".to_string(), json!(0.1))].into()
            })
        );
        for bad in [
            json!("play"),
            json!([1]),
            json!({"type": "play"}),
            json!({"thermolab": 2, "type": "play"}),
            json!({"thermolab": "1", "type": "play"}),
            json!({"thermolab": 1, "type": "explode"}),
            json!({"thermolab": 1}),
            json!({"thermolab": 1, "type": "set"}),
            json!({"thermolab": 1, "type": "set", "params": {}, "extra": 1}),
            json!({"thermolab": 1, "type": "set", "params": [1, 2]}),
        ] {
            assert!(parse_command(&bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn a_set_is_checked_against_the_schema_all_or_nothing() {
        let schema = schema();
        let params = [
            ("temperature".to_string(), json!(0.25)),
            ("arms".to_string(), json!("5")),
            ("anneal".to_string(), json!(true)),
        ]
        .into();
        let values = assignments(&schema, &params).unwrap();
        assert_eq!(values["temperature"], Value::Float(0.25));
        assert_eq!(values["arms"], Value::Int(5));
        assert_eq!(values["anneal"], Value::Bool(true));
        for bad in [
            json!({"temperature": 1e9}),
            json!({"temperature": 0.5, "arms": 1000}),
            json!({"nope": 1}),
            json!({"arms": [1, 2]}),
            json!({"temperature": null}),
        ] {
            let params: BTreeMap<String, serde_json::Value> =
                serde_json::from_value(bad.clone()).unwrap();
            assert!(assignments(&schema, &params).is_err(), "{bad} was taken");
        }
        let many = (0..=MAX_SET).map(|i| (format!("k{i}"), json!(1))).collect();
        assert!(assignments(&schema, &many).unwrap_err().contains("at most"));
    }

    #[test]
    fn reports_carry_the_version_and_read_back() {
        let report = Report::Progress {
            step: 12,
            status: RunStatus::Running,
            figures: [("regret".to_string(), 3.5)].into(),
        };
        let message = report_message(&report);
        assert_eq!(message["thermolab"], json!(1));
        assert_eq!(message["type"], json!("progress"));
        assert_eq!(message["status"], json!({"state": "running"}));
        let back: Report = serde_json::from_value(message).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in [
            "https://tutor.example",
            "http://127.0.0.1:8080",
            "https://a-b.c.example:443",
            "http://[::1]:3000",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "*",
            "null",
            "file://",
            "https://",
            "ftp://x.example",
            "https://x.example/",
            "https://x.example/path",
            "https://x.example:99999",
            "https://x.example:",
            "https://user@x.example",
            "https://x.example?q",
            "javascript:alert(1)",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
        let allowed = vec!["https://tutor.example".to_string()];
        assert!(may_drive("https://tutor.example", "http://own", &allowed));
        assert!(may_drive("http://own", "http://own", &allowed));
        assert!(!may_drive("https://evil.example", "http://own", &allowed));
        assert!(!may_drive(
            "https://tutor.example.evil",
            "http://own",
            &allowed
        ));
    }
}
