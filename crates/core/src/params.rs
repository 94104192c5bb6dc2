//! The params schema: each lab declares its parameters once, here, and the UI
//! controls, URL encoding, validation, CLI flags and docs are generated from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest raw text accepted for one value; anything longer is refused
/// before parsing. Room for a list of 16 numbers with a few digits each.
pub const MAX_RAW_VALUE_LEN: usize = 160;
/// Characters a drawn point's coordinate may take in text: "-1.23,".
pub const POINT_COORDINATE_CHARS: usize = 8;

/// How a numeric slider maps position to value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    Linear,
    /// Position is linear in `ln(value)`; the range must be positive.
    Log,
}

impl Scale {
    /// The value at fraction `t` (0..=1, clamped) of the way from `min` to `max`.
    pub fn value_at(self, t: f64, min: f64, max: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        match self {
            Scale::Linear => min + (max - min) * t,
            Scale::Log => (min.ln() + (max.ln() - min.ln()) * t).exp(),
        }
    }

    /// Inverse of [`Scale::value_at`], clamped to 0..=1.
    pub fn fraction(self, value: f64, min: f64, max: f64) -> f64 {
        let t = match self {
            Scale::Linear => (value - min) / (max - min),
            Scale::Log => (value.ln() - min.ln()) / (max.ln() - min.ln()),
        };
        if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) }
    }
}

/// When a changed value takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// On the next step of the running experiment.
    Live,
    /// On the next reset: the run restarts with the new value.
    Restart,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamKind {
    Float {
        min: f64,
        max: f64,
        default: f64,
        scale: Scale,
    },
    Int {
        min: i64,
        max: i64,
        default: i64,
        scale: Scale,
    },
    Choice {
        options: Vec<ChoiceOption>,
        default: String,
    },
    Toggle {
        default: bool,
    },
    /// One number per item, each in [min, max]: arm means, say. The list
    /// has as many items as the int param `length_from` says; a shorter one
    /// is padded with `pad`, a longer one cut.
    FloatList {
        min: f64,
        max: f64,
        default: Vec<f64>,
        pad: f64,
        length_from: String,
        max_len: usize,
    },
    /// Points (x, y) in [-extent, extent]^2, stored flat as x0, y0, x1, ...:
    /// at most `max_points`, none by default. The user draws them on the
    /// chart whose key is `chart`; with a `brush`, only while that select
    /// holds its option (several lists painted on one chart).
    Points {
        extent: f64,
        max_points: usize,
        chart: String,
        #[serde(default)]
        brush: Option<Brush>,
    },
}

/// The select that routes strokes on a chart to one of its points params:
/// they go to the param whose brush names the select's current option.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brush {
    pub key: String,
    pub option: String,
}

/// When a parameter matters to the run. The page hides a control whose
/// condition does not hold; the URL and the CLI still accept its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// One of the choices `keys` holds one of `values` (one key for a plain
    /// choice; several for slots such as "Algorithm 1" to "Algorithm 4").
    Is {
        keys: Vec<String>,
        values: Vec<String>,
    },
    /// The toggle `key` is on.
    On { key: String },
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds.
    Any(Vec<Condition>),
}

impl Condition {
    /// Whether the condition holds for `values`; a key with no value (or a
    /// value of another kind) does not satisfy it.
    pub fn holds(&self, values: &BTreeMap<String, Value>) -> bool {
        match self {
            Condition::Is {
                keys,
                values: wanted,
            } => keys
                .iter()
                .any(|key| matches!(values.get(key), Some(Value::Text(v)) if wanted.contains(v))),
            Condition::On { key } => matches!(values.get(key), Some(Value::Bool(true))),
            Condition::All(all) => all.iter().all(|c| c.holds(values)),
            Condition::Any(any) => any.iter().any(|c| c.holds(values)),
        }
    }

    /// Every key the condition reads.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Condition::Is { keys, .. } => keys.iter().map(String::as_str).collect(),
            Condition::On { key } => vec![key.as_str()],
            Condition::All(all) | Condition::Any(all) => all.iter().flat_map(Self::keys).collect(),
        }
    }

    /// In words, with the labels of `schema`: "Environment is Linear contextual".
    pub fn describe(&self, schema: &Schema) -> String {
        let label = |key: &str| {
            schema
                .spec(key)
                .map_or(key, |s| s.label.as_str())
                .to_string()
        };
        match self {
            Condition::Is { keys, values } => {
                let option = |value: &String| {
                    keys.iter()
                        .find_map(|key| match schema.spec(key).map(|s| &s.kind) {
                            Some(ParamKind::Choice { options, .. }) => options
                                .iter()
                                .find(|o| &o.value == value)
                                .map(|o| o.label.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| value.clone())
                };
                let labels: Vec<String> = keys.iter().map(|k| label(k)).collect();
                let options: Vec<String> = values.iter().map(option).collect();
                format!("{} is {}", or_list(&labels), or_list(&options))
            }
            Condition::On { key } => format!("{} is on", label(key)),
            Condition::All(all) => all
                .iter()
                .map(|c| c.describe(schema))
                .collect::<Vec<_>>()
                .join(" and "),
            Condition::Any(any) => any
                .iter()
                .map(|c| c.describe(schema))
                .collect::<Vec<_>>()
                .join(", or "),
        }
    }
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A heading the page groups controls under; a closed one starts folded
/// (the expert settings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub open: bool,
}

impl Section {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            open: true,
        }
    }

    /// Folded until the user opens it.
    pub fn closed(self) -> Self {
        Self {
            open: false,
            ..self
        }
    }
}

/// One parameter: everything the UI, URL, CLI and docs need to know about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    pub key: String,
    pub label: String,
    pub unit: String,
    pub help: String,
    pub apply: Apply,
    pub kind: ParamKind,
    /// When it matters; `None`: always.
    #[serde(default)]
    pub when: Option<Condition>,
    /// The heading it sits under; `None`: above every heading.
    #[serde(default)]
    pub section: Option<Section>,
}

/// A parameter value. Untagged so JSON and JS values map naturally.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<f64>),
}

/// At most four decimals, none from 1,000 up, without trailing noise.
pub fn format_number(x: f64) -> String {
    if (1e3..1e6).contains(&x.abs()) {
        format!("{x:.0}")
    } else if x == 0.0 || (1e-3..1e3).contains(&x.abs()) {
        let s = format!("{:.4}", x);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => write!(f, "{s}"),
            Value::List(xs) => {
                let items: Vec<String> = xs.iter().map(f64::to_string).collect();
                write!(f, "{}", items.join(","))
            }
        }
    }
}

/// Why a value was refused. The message is written for the person who typed it.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct ParamError {
    pub key: String,
    pub message: String,
}

impl ParamError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

impl ParamSpec {
    pub fn float(key: &str, label: &str, min: f64, max: f64, default: f64) -> Self {
        Self::new(
            key,
            label,
            ParamKind::Float {
                min,
                max,
                default,
                scale: Scale::Linear,
            },
        )
    }

    pub fn int(key: &str, label: &str, min: i64, max: i64, default: i64) -> Self {
        Self::new(
            key,
            label,
            ParamKind::Int {
                min,
                max,
                default,
                scale: Scale::Linear,
            },
        )
    }

    /// `options` are `(value, label)` pairs; `default` must be one of the values.
    pub fn choice(key: &str, label: &str, options: &[(&str, &str)], default: &str) -> Self {
        Self::new(
            key,
            label,
            ParamKind::Choice {
                options: options
                    .iter()
                    .map(|(value, label)| ChoiceOption {
                        value: value.to_string(),
                        label: label.to_string(),
                    })
                    .collect(),
                default: default.to_string(),
            },
        )
    }

    pub fn toggle(key: &str, label: &str, default: bool) -> Self {
        Self::new(key, label, ParamKind::Toggle { default })
    }

    /// A list of numbers in [min, max], as long as the int param `length_from`
    /// (at most `max_len`), padded with `pad`.
    pub fn float_list(
        key: &str,
        label: &str,
        (min, max): (f64, f64),
        default: &[f64],
        pad: f64,
        (length_from, max_len): (&str, usize),
    ) -> Self {
        Self::new(
            key,
            label,
            ParamKind::FloatList {
                min,
                max,
                default: default.to_vec(),
                pad,
                length_from: length_from.to_string(),
                max_len,
            },
        )
    }

    /// Points the user draws on the chart `chart`, inside [-extent, extent]^2.
    pub fn points(key: &str, label: &str, extent: f64, max_points: usize, chart: &str) -> Self {
        Self::new(
            key,
            label,
            ParamKind::Points {
                extent,
                max_points,
                chart: chart.to_string(),
                brush: None,
            },
        )
    }

    fn new(key: &str, label: &str, kind: ParamKind) -> Self {
        Self {
            key: key.to_string(),
            label: label.to_string(),
            unit: String::new(),
            help: String::new(),
            apply: Apply::Restart,
            kind,
            when: None,
            section: None,
        }
    }

    /// Matters only while `condition` holds.
    pub fn when(mut self, condition: Condition) -> Self {
        self.when = Some(condition);
        self
    }

    /// Whether it matters for `values` (complete params of its schema).
    pub fn applies(&self, values: &BTreeMap<String, Value>) -> bool {
        self.when.as_ref().is_none_or(|c| c.holds(values))
    }

    pub fn log(mut self) -> Self {
        match &mut self.kind {
            ParamKind::Float { scale, .. } | ParamKind::Int { scale, .. } => *scale = Scale::Log,
            ParamKind::Choice { .. }
            | ParamKind::Toggle { .. }
            | ParamKind::FloatList { .. }
            | ParamKind::Points { .. } => {}
        }
        self
    }

    pub fn live(mut self) -> Self {
        self.apply = Apply::Live;
        self
    }

    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = unit.to_string();
        self
    }

    pub fn help(mut self, help: &str) -> Self {
        self.help = help.to_string();
        self
    }

    /// The same spec with `value` as its default. A value of another kind
    /// (and any value for points, which start empty) leaves it unchanged;
    /// the catalog's tests read every lab's defaults back to catch that.
    pub fn with_default(mut self, value: &Value) -> Self {
        match (&mut self.kind, value) {
            (ParamKind::Float { default, .. }, Value::Float(x)) => *default = *x,
            (ParamKind::Int { default, .. }, Value::Int(i)) => *default = *i,
            (ParamKind::Choice { default, .. }, Value::Text(s)) => default.clone_from(s),
            (ParamKind::Toggle { default }, Value::Bool(b)) => *default = *b,
            (ParamKind::FloatList { default, .. }, Value::List(xs)) => default.clone_from(xs),
            _ => {}
        }
        self
    }

    pub fn default_value(&self) -> Value {
        match &self.kind {
            ParamKind::Float { default, .. } => Value::Float(*default),
            ParamKind::Int { default, .. } => Value::Int(*default),
            ParamKind::Choice { default, .. } => Value::Text(default.clone()),
            ParamKind::Toggle { default } => Value::Bool(*default),
            ParamKind::FloatList { default, .. } => Value::List(default.clone()),
            ParamKind::Points { .. } => Value::List(Vec::new()),
        }
    }

    /// Checks a typed value (from a control or a message) against this spec.
    pub fn validate(&self, value: &Value) -> Result<Value, ParamError> {
        let key = self.key.as_str();
        match (&self.kind, value) {
            (ParamKind::Float { .. }, Value::Int(i)) => self.validate(&Value::Float(*i as f64)),
            (ParamKind::Float { min, max, .. }, Value::Float(x)) => {
                let x = *x;
                if !x.is_finite() {
                    return Err(ParamError::new(
                        key,
                        format!("{} must be a finite number", self.label),
                    ));
                }
                if x < *min || x > *max {
                    return Err(ParamError::new(
                        key,
                        format!("{} = {x} is outside [{min}, {max}]", self.label),
                    ));
                }
                Ok(Value::Float(x))
            }
            (ParamKind::Int { min, max, .. }, Value::Int(i)) => {
                if i < min || i > max {
                    return Err(ParamError::new(
                        key,
                        format!("{} = {i} is outside [{min}, {max}]", self.label),
                    ));
                }
                Ok(Value::Int(*i))
            }
            (ParamKind::Int { .. }, Value::Float(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                self.validate(&Value::Int(*x as i64))
            }
            (ParamKind::Choice { options, .. }, Value::Text(s)) => {
                if options.iter().any(|o| &o.value == s) {
                    Ok(value.clone())
                } else {
                    let allowed: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                    Err(ParamError::new(
                        key,
                        format!("{} must be one of {}", self.label, allowed.join(", ")),
                    ))
                }
            }
            (ParamKind::Toggle { .. }, Value::Bool(_)) => Ok(value.clone()),
            (
                ParamKind::FloatList {
                    min, max, max_len, ..
                },
                Value::List(xs),
            ) => {
                if xs.is_empty() || xs.len() > *max_len {
                    return Err(ParamError::new(
                        key,
                        format!(
                            "{} needs 1 to {max_len} numbers, got {}",
                            self.label,
                            xs.len()
                        ),
                    ));
                }
                if let Some(x) = xs.iter().find(|x| !(**x >= *min && **x <= *max)) {
                    return Err(ParamError::new(
                        key,
                        format!("{} = {x} is outside [{min}, {max}]", self.label),
                    ));
                }
                Ok(value.clone())
            }
            (
                ParamKind::Points {
                    extent, max_points, ..
                },
                Value::List(xs),
            ) => {
                if xs.len() % 2 != 0 || xs.len() > 2 * max_points {
                    return Err(ParamError::new(
                        key,
                        format!(
                            "{} needs x, y pairs, at most {max_points} of them; got {} numbers",
                            self.label,
                            xs.len()
                        ),
                    ));
                }
                if let Some(x) = xs.iter().find(|x| !x.is_finite() || x.abs() > *extent) {
                    return Err(ParamError::new(
                        key,
                        format!("{} = {x} is outside [-{extent}, {extent}]", self.label),
                    ));
                }
                Ok(value.clone())
            }
            _ => Err(ParamError::new(
                key,
                format!("{} expects {}, got '{value}'", self.label, self.kind_name()),
            )),
        }
    }

    /// Parses and validates text from a URL, a number box or a CLI flag.
    pub fn parse(&self, raw: &str) -> Result<Value, ParamError> {
        let key = self.key.as_str();
        let longest = match &self.kind {
            ParamKind::Points { max_points, .. } => 2 * max_points * POINT_COORDINATE_CHARS,
            _ => MAX_RAW_VALUE_LEN,
        };
        if raw.len() > longest {
            return Err(ParamError::new(
                key,
                format!(
                    "{} value is {} characters long; at most {longest} are read",
                    self.label,
                    raw.len()
                ),
            ));
        }
        let raw = raw.trim();
        let value = match &self.kind {
            ParamKind::Float { .. } => Value::Float(raw.parse::<f64>().map_err(|_| {
                ParamError::new(key, format!("{} expects a number, got '{raw}'", self.label))
            })?),
            ParamKind::Int { min, max, .. } => match raw.parse::<i64>() {
                Ok(i) => Value::Int(i),
                // A whole number too long for i64 is out of range, not malformed.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                    ) =>
                {
                    return Err(ParamError::new(
                        key,
                        format!("{} = {raw} is outside [{min}, {max}]", self.label),
                    ));
                }
                Err(_) => match raw.parse::<f64>() {
                    Ok(x) => Value::Float(x),
                    Err(_) => {
                        return Err(ParamError::new(
                            key,
                            format!("{} expects a whole number, got '{raw}'", self.label),
                        ));
                    }
                },
            },
            ParamKind::Choice { .. } => Value::Text(raw.to_string()),
            ParamKind::Points { .. } if raw.is_empty() => Value::List(Vec::new()),
            ParamKind::FloatList { .. } | ParamKind::Points { .. } => Value::List(
                raw.split(',')
                    .map(|item| item.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        ParamError::new(
                            key,
                            format!(
                                "{} expects numbers separated by commas, got '{raw}'",
                                self.label
                            ),
                        )
                    })?,
            ),
            ParamKind::Toggle { .. } => match raw {
                "1" | "true" | "on" | "yes" => Value::Bool(true),
                "0" | "false" | "off" | "no" => Value::Bool(false),
                _ => {
                    return Err(ParamError::new(
                        key,
                        format!("{} expects true or false, got '{raw}'", self.label),
                    ));
                }
            },
        };
        self.validate(&value)
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            ParamKind::Float { .. } => "a number",
            ParamKind::Int { .. } => "a whole number",
            ParamKind::Choice { .. } => "one of its options",
            ParamKind::Toggle { .. } => "true or false",
            ParamKind::FloatList { .. } => "numbers separated by commas",
            ParamKind::Points { .. } => "x, y pairs separated by commas",
        }
    }
}

/// A lab's full list of parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub params: Vec<ParamSpec>,
}

impl Schema {
    pub fn new(params: Vec<ParamSpec>) -> Self {
        Self { params }
    }

    pub fn spec(&self, key: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.key == key)
    }

    /// The headings, in the order their first param comes.
    pub fn sections(&self) -> Vec<Section> {
        let mut sections: Vec<Section> = Vec::new();
        for section in self.params.iter().filter_map(|p| p.section.as_ref()) {
            if !sections.iter().any(|s| s.title == section.title) {
                sections.push(section.clone());
            }
        }
        sections
    }

    /// Problems with the declared conditions: a key that is not a param, a
    /// value that is not one of its choice's options, a toggle condition on
    /// a param that is not a toggle, a param whose condition reads itself.
    pub fn condition_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for spec in &self.params {
            let Some(condition) = &spec.when else {
                continue;
            };
            check_condition(self, &spec.key, condition, &mut errors);
        }
        errors
    }

    pub fn defaults(&self) -> Params {
        Params(
            self.params
                .iter()
                .map(|p| (p.key.clone(), p.default_value()))
                .collect(),
        )
    }

    /// Validates one typed value for `key`.
    pub fn validate(&self, key: &str, value: &Value) -> Result<Value, ParamError> {
        self.spec(key)
            .ok_or_else(|| ParamError::new(key, format!("unknown parameter '{key}'")))?
            .validate(value)
    }

    /// Parses one text value for `key`.
    pub fn parse(&self, key: &str, raw: &str) -> Result<Value, ParamError> {
        self.spec(key)
            .ok_or_else(|| ParamError::new(key, format!("unknown parameter '{key}'")))?
            .parse(raw)
    }

    /// Builds complete params from typed values, keeping defaults where a value is
    /// missing or refused. Every refusal is returned so it can be shown.
    pub fn params_from_values(
        &self,
        values: &BTreeMap<String, Value>,
    ) -> (Params, Vec<ParamError>) {
        let mut params = self.defaults();
        let mut errors = Vec::new();
        for (key, value) in values {
            match self.validate(key, value) {
                Ok(v) => {
                    params.0.insert(key.clone(), v);
                }
                Err(e) => errors.push(e),
            }
        }
        (params, errors)
    }
}

fn check_condition(schema: &Schema, owner: &str, condition: &Condition, errors: &mut Vec<String>) {
    match condition {
        Condition::Is { keys, values } => {
            for key in keys {
                match schema.spec(key).map(|s| &s.kind) {
                    Some(ParamKind::Choice { options, .. }) => {
                        for value in values {
                            if !options.iter().any(|o| &o.value == value) {
                                errors.push(format!("'{owner}': '{key}' has no option '{value}'"));
                            }
                        }
                    }
                    Some(_) => errors.push(format!("'{owner}': '{key}' is not a choice")),
                    None => errors.push(format!("'{owner}': no param '{key}'")),
                }
            }
        }
        Condition::On { key } => {
            if !matches!(
                schema.spec(key).map(|s| &s.kind),
                Some(ParamKind::Toggle { .. })
            ) {
                errors.push(format!("'{owner}': '{key}' is not a toggle"));
            }
        }
        Condition::All(all) | Condition::Any(all) => {
            for c in all {
                check_condition(schema, owner, c, errors);
            }
        }
    }
    if condition.keys().contains(&owner) {
        errors.push(format!("'{owner}': its condition reads itself"));
    }
}

/// A complete, validated set of values for one schema. Built only through
/// [`Schema`], so every key is present and every value is in range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params(BTreeMap<String, Value>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }

    pub fn values(&self) -> &BTreeMap<String, Value> {
        &self.0
    }

    /// Sets a value after validating it against `schema`.
    pub fn set(&mut self, schema: &Schema, key: &str, value: &Value) -> Result<(), ParamError> {
        let value = schema.validate(key, value)?;
        self.0.insert(key.to_string(), value);
        Ok(())
    }

    pub fn float(&self, key: &str) -> Result<f64, ParamError> {
        match self.0.get(key) {
            Some(Value::Float(x)) => Ok(*x),
            Some(Value::Int(i)) => Ok(*i as f64),
            _ => Err(ParamError::new(
                key,
                format!("'{key}' is not a number parameter"),
            )),
        }
    }

    pub fn int(&self, key: &str) -> Result<i64, ParamError> {
        match self.0.get(key) {
            Some(Value::Int(i)) => Ok(*i),
            _ => Err(ParamError::new(
                key,
                format!("'{key}' is not a whole-number parameter"),
            )),
        }
    }

    pub fn text(&self, key: &str) -> Result<&str, ParamError> {
        match self.0.get(key) {
            Some(Value::Text(s)) => Ok(s),
            _ => Err(ParamError::new(
                key,
                format!("'{key}' is not a choice parameter"),
            )),
        }
    }

    /// A list param, padded or cut to the length its `length_from` param says.
    pub fn float_list(&self, schema: &Schema, key: &str) -> Result<Vec<f64>, ParamError> {
        let Some(ParamKind::FloatList {
            pad, length_from, ..
        }) = schema.spec(key).map(|s| &s.kind)
        else {
            return Err(ParamError::new(
                key,
                format!("'{key}' is not a list parameter"),
            ));
        };
        let len = self.int(length_from)?.max(0) as usize;
        match self.0.get(key) {
            Some(Value::List(xs)) => Ok((0..len)
                .map(|i| xs.get(i).copied().unwrap_or(*pad))
                .collect()),
            _ => Err(ParamError::new(
                key,
                format!("'{key}' is not a list parameter"),
            )),
        }
    }

    pub fn toggle(&self, key: &str) -> Result<bool, ParamError> {
        match self.0.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(ParamError::new(
                key,
                format!("'{key}' is not a toggle parameter"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new(vec![
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
            ParamSpec::float_list(
                "means",
                "Means",
                (0.0, 1.0),
                &[0.7, 0.3],
                0.5,
                ("arms", 100),
            ),
        ])
    }

    #[test]
    fn with_default_replaces_the_default_of_its_own_kind_only() {
        let t = ParamSpec::float("t", "T", 0.0, 2.0, 1.0).with_default(&Value::Float(0.5));
        assert_eq!(t.default_value(), Value::Float(0.5));
        let n = ParamSpec::int("n", "N", 1, 9, 3).with_default(&Value::Int(7));
        assert_eq!(n.default_value(), Value::Int(7));
        let c = schema().params[2]
            .clone()
            .with_default(&Value::Text("gauss".into()));
        assert_eq!(c.default_value(), Value::Text("gauss".into()));
        let b = ParamSpec::toggle("b", "B", false).with_default(&Value::Bool(true));
        assert_eq!(b.default_value(), Value::Bool(true));
        let l = schema().params[4]
            .clone()
            .with_default(&Value::List(vec![0.1]));
        assert_eq!(l.default_value(), Value::List(vec![0.1]));
        // Another kind leaves the default as it was.
        let kept = ParamSpec::float("t", "T", 0.0, 2.0, 1.0).with_default(&Value::Bool(true));
        assert_eq!(kept.default_value(), Value::Float(1.0));
    }

    #[test]
    fn drawn_points_come_in_pairs_inside_the_extent_and_up_to_the_cap() {
        let spec = ParamSpec::points("drawing", "Drawing", 2.5, 3, "samples");
        assert_eq!(spec.default_value(), Value::List(Vec::new()));
        assert_eq!(spec.parse(""), Ok(Value::List(Vec::new())));
        assert_eq!(
            spec.parse("1, -2.5, 0.25,0"),
            Ok(Value::List(vec![1.0, -2.5, 0.25, 0.0]))
        );
        assert!(spec.parse("1,2,3").unwrap_err().message.contains("pairs"));
        assert!(spec.parse("1,2.6").unwrap_err().message.contains("outside"));
        assert!(
            spec.parse("0,0,0,0,0,0,0,0").is_err(),
            "four points, cap three"
        );
        assert!(spec.validate(&Value::List(vec![f64::NAN, 0.0])).is_err());
        assert!(spec.parse("0,x").is_err());
        // Longer than any list of three points can be written.
        assert!(
            spec.parse(&"0,".repeat(30))
                .unwrap_err()
                .message
                .contains("characters")
        );
        // 200 points with two decimals fit.
        let many = ParamSpec::points("drawing", "Drawing", 2.5, 200, "samples");
        let text = vec!["-1.25"; 400].join(",");
        assert!(many.parse(&text).is_ok());
    }

    #[test]
    fn lists_parse_validate_and_follow_their_length_param() {
        let s = schema();
        let list = s.parse("means", "0.9, 0.25,1").unwrap();
        assert_eq!(list, Value::List(vec![0.9, 0.25, 1.0]));
        assert_eq!(list.to_string(), "0.9,0.25,1");
        assert_eq!(s.parse("means", &list.to_string()).unwrap(), list);
        for bad in [
            "", "0.5,,0.2", "0.5,x", "0.5,NaN", "1.5", "-0.1,0.2", "0.5,inf",
        ] {
            let err = s.parse("means", bad).unwrap_err();
            assert_eq!(err.key, "means", "{bad}");
        }
        let too_long = vec![0.5; 101];
        assert!(s.validate("means", &Value::List(too_long)).is_err());
        assert!(s.validate("means", &Value::Float(0.5)).is_err());
        let mut p = s.defaults();
        p.set(&s, "arms", &Value::Int(4)).unwrap();
        assert_eq!(p.float_list(&s, "means").unwrap(), vec![0.7, 0.3, 0.5, 0.5]);
        p.set(&s, "means", &Value::List(vec![0.1, 0.2, 0.3]))
            .unwrap();
        p.set(&s, "arms", &Value::Int(2)).unwrap();
        assert_eq!(p.float_list(&s, "means").unwrap(), vec![0.1, 0.2]);
        // JSON arrays, as the UI sends them, are lists.
        let from_json: Value = serde_json::from_str("[0.1, 0.2]").unwrap();
        assert_eq!(from_json, Value::List(vec![0.1, 0.2]));
    }

    #[test]
    fn defaults_cover_every_key() {
        let p = schema().defaults();
        assert_eq!(p.float("temperature").unwrap(), 1.0);
        assert_eq!(p.int("arms").unwrap(), 10);
        assert_eq!(p.text("env").unwrap(), "bern");
        assert!(!p.toggle("anneal").unwrap());
    }

    #[test]
    fn parse_refuses_bad_text_with_a_message() {
        let s = schema();
        for bad in ["NaN", "inf", "-inf", "1e400", "abc", "", "5000"] {
            let err = s.parse("temperature", bad).unwrap_err();
            assert_eq!(err.key, "temperature");
            assert!(!err.message.is_empty());
        }
        assert!(s.parse("arms", "2.5").is_err());
        assert!(s.parse("arms", "101").is_err());
        assert!(
            s.parse("arms", "99999999999999999999999")
                .unwrap_err()
                .message
                .contains("99999999999999999999999 is outside [2, 100]")
        );
        assert!(
            s.parse("env", "poisson")
                .unwrap_err()
                .message
                .contains("bern, gauss")
        );
        assert!(s.parse("anneal", "maybe").is_err());
        assert!(
            s.parse("nope", "1")
                .unwrap_err()
                .message
                .contains("unknown")
        );
        assert!(s.parse("env", &"x".repeat(MAX_RAW_VALUE_LEN + 1)).is_err());
    }

    #[test]
    fn parse_accepts_good_text() {
        let s = schema();
        assert_eq!(
            s.parse("temperature", "0.001").unwrap(),
            Value::Float(0.001)
        );
        assert_eq!(s.parse("arms", " 7 ").unwrap(), Value::Int(7));
        assert_eq!(s.parse("arms", "7.0").unwrap(), Value::Int(7));
        assert_eq!(s.parse("anneal", "on").unwrap(), Value::Bool(true));
    }

    #[test]
    fn params_from_values_keeps_defaults_for_refused_fields() {
        let s = schema();
        let mut values = BTreeMap::new();
        values.insert("temperature".to_string(), Value::Float(f64::NAN));
        values.insert("arms".to_string(), Value::Int(3));
        values.insert("ghost".to_string(), Value::Bool(true));
        let (p, errors) = s.params_from_values(&values);
        assert_eq!(p.float("temperature").unwrap(), 1.0);
        assert_eq!(p.int("arms").unwrap(), 3);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn log_scale_round_trips_and_clamps() {
        for x in [1e-3, 0.1, 1.0, 37.0, 1e3] {
            let t = Scale::Log.fraction(x, 1e-3, 1e3);
            assert!((Scale::Log.value_at(t, 1e-3, 1e3) / x - 1.0).abs() < 1e-9);
        }
        assert_eq!(Scale::Log.fraction(1.0, 1e-3, 1e3), 0.5);
        assert_eq!(Scale::Linear.value_at(2.0, 0.0, 10.0), 10.0);
        assert_eq!(Scale::Linear.fraction(f64::NAN, 0.0, 10.0), 0.0);
    }

    #[test]
    fn conditions_hold_on_choices_in_any_slot_and_on_toggles() {
        let s = schema();
        let mut values = s.defaults().values().clone();
        let gaussian = Condition::Is {
            keys: vec!["env".into()],
            values: vec!["gauss".into()],
        };
        assert!(!gaussian.holds(&values));
        values.insert("env".into(), Value::Text("gauss".into()));
        assert!(gaussian.holds(&values));
        let annealed = Condition::On {
            key: "anneal".into(),
        };
        let both = Condition::All(vec![gaussian.clone(), annealed.clone()]);
        let either = Condition::Any(vec![gaussian.clone(), annealed.clone()]);
        assert!(!both.holds(&values) && either.holds(&values));
        values.insert("anneal".into(), Value::Bool(true));
        assert!(both.holds(&values));
        // Slots: one of the keys holding the option is enough.
        let either_slot = Condition::Is {
            keys: vec!["unset_slot".into(), "env".into()],
            values: vec!["gauss".into()],
        };
        assert!(either_slot.holds(&values));
        let spec = ParamSpec::float("noise", "Noise", 0.0, 1.0, 0.1).when(gaussian.clone());
        assert!(spec.applies(&values));
        values.insert("env".into(), Value::Text("bern".into()));
        assert!(!spec.applies(&values) && either.holds(&values));
        assert_eq!(gaussian.describe(&s), "Environment is Gaussian");
        let slots = Condition::Is {
            keys: vec!["env".into(), "env".into()],
            values: vec!["bern".into(), "gauss".into()],
        };
        assert_eq!(
            slots.describe(&s),
            "Environment or Environment is Bernoulli or Gaussian"
        );
        assert_eq!(
            both.describe(&s),
            "Environment is Gaussian and Anneal is on"
        );
    }

    #[test]
    fn condition_errors_name_unknown_keys_options_and_kinds() {
        let mut s = schema();
        assert!(s.condition_errors().is_empty());
        let bad = [
            Condition::Is {
                keys: vec!["ghost".into()],
                values: vec![],
            },
            Condition::Is {
                keys: vec!["env".into()],
                values: vec!["poisson".into()],
            },
            Condition::Is {
                keys: vec!["arms".into()],
                values: vec![],
            },
            Condition::On { key: "env".into() },
        ];
        for condition in bad {
            s.params[0].when = Some(condition.clone());
            assert_eq!(s.condition_errors().len(), 1, "{condition:?}");
        }
        s.params[3].when = Some(Condition::On {
            key: "anneal".into(),
        });
        s.params[0].when = None;
        assert!(s.condition_errors()[0].contains("reads itself"));
    }

    #[test]
    fn sections_come_in_order_of_their_first_param() {
        let mut s = schema();
        s.params[1].section = Some(Section::new("Environment"));
        s.params[2].section = Some(Section::new("Environment"));
        s.params[0].section = Some(Section::new("Expert").closed());
        let sections = s.sections();
        assert_eq!(sections.len(), 2);
        assert_eq!(
            (sections[0].title.as_str(), sections[0].open),
            ("Expert", false)
        );
        assert_eq!(
            (sections[1].title.as_str(), sections[1].open),
            ("Environment", true)
        );
    }

    #[test]
    fn wrong_type_is_refused() {
        let s = schema();
        assert!(s.validate("anneal", &Value::Int(1)).is_err());
        assert!(s.validate("env", &Value::Float(1.0)).is_err());
        assert!(s.validate("arms", &Value::Text("3".into())).is_err());
    }
}
