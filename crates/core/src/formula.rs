//! A lab's update rule as MathML (browsers render it natively, no
//! JavaScript maths library), with `{key}` standing for the value of the
//! lab's param `key`: the page shows the rule with the controls' live
//! values in place. A rule in several `<p>` paragraphs (one per algorithm,
//! say) shows only those whose params act on the run.

use crate::params::{Params, Schema, Value, format_number};

/// `template` with every `{key}` replaced by param `key`'s value; a key
/// the params lack is left as written. A `<p>` paragraph naming a param
/// that does not act under `params` (the page hides its control) is left
/// out: the rule of an algorithm that is not running is not shown.
pub fn fill(template: &str, params: &Params, schema: &Schema) -> String {
    let acts = |paragraph: &str| {
        placeholders(paragraph).all(|key| {
            schema
                .spec(key)
                .is_none_or(|spec| spec.applies(params.values()))
        })
    };
    let mut shown = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("<p>") {
        shown.push_str(&rest[..open]);
        let close = rest[open..]
            .find("</p>")
            .map_or(rest.len(), |close| open + close + "</p>".len());
        if acts(&rest[open..close]) {
            shown.push_str(&rest[open..close]);
        }
        rest = &rest[close..];
    }
    shown.push_str(rest);
    substitute(&shown, params)
}

/// The keys of the `{key}` placeholders in `text`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|after| after.find('}').map(|close| &after[..close]))
}

fn substitute(template: &str, params: &Params) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                match params.get(key) {
                    Some(value) => out.push_str(&shown(value)),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn shown(value: &Value) -> String {
    match value {
        Value::Float(x) => format_number(*x),
        other => other.to_string(),
    }
}

/// What is wrong with a template for `schema`: a placeholder that names no
/// param, tags that do not nest, no `<math>` at all. `None` when sound.
pub fn check(template: &str, schema: &Schema) -> Option<String> {
    if !template.contains("<math") {
        return Some("the formula has no <math> element".to_string());
    }
    if template
        .split('{')
        .skip(1)
        .any(|after| !after.contains('}'))
    {
        return Some("a { is never closed".to_string());
    }
    if let Some(key) = placeholders(template).find(|key| schema.spec(key).is_none()) {
        return Some(format!("{{{key}}} names no param"));
    }
    let mut open_tags: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>').map(|end| end + start) else {
            return Some("a < is never closed".to_string());
        };
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.ends_with('/') {
            continue;
        }
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or_default();
        if tag.starts_with('/') {
            if open_tags.pop() != Some(name) {
                return Some(format!("</{name}> closes nothing open"));
            }
        } else {
            open_tags.push(name);
        }
    }
    open_tags
        .last()
        .map(|name| format!("<{name}> is never closed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Condition, ParamSpec};

    fn schema() -> Schema {
        Schema::new(vec![
            ParamSpec::float("temperature", "Temperature", 1e-3, 1e3, 0.25),
            ParamSpec::int("arms", "Arms", 2, 10, 5),
        ])
    }

    #[test]
    fn placeholders_take_the_params_values() {
        let schema = schema();
        let mut params = schema.defaults();
        let template =
            "<math><mn>{temperature}</mn><mo>,</mo><mn>{arms}</mn><mi>{other}</mi></math>";
        assert_eq!(
            fill(template, &params, &schema),
            "<math><mn>0.25</mn><mo>,</mo><mn>5</mn><mi>{other}</mi></math>"
        );
        params
            .set(&schema, "temperature", &Value::Float(1.0 / 3.0))
            .unwrap();
        assert!(fill(template, &params, &schema).starts_with("<math><mn>0.3333</mn>"));
    }

    #[test]
    fn a_paragraph_whose_param_does_not_act_is_left_out() {
        let acts_with = |option: &str| Condition::Is {
            keys: vec!["algo".into()],
            values: vec![option.into()],
        };
        let schema = Schema::new(vec![
            ParamSpec::choice(
                "algo",
                "Algorithm",
                &[("ucb", "UCB"), ("soft", "Softmax")],
                "ucb",
            ),
            ParamSpec::float("width", "Width", 0.0, 5.0, 2.0).when(acts_with("ucb")),
            ParamSpec::float("temperature", "Temperature", 1e-3, 1e3, 0.25).when(acts_with("soft")),
        ]);
        let template = "<p><math><mn>{width}</mn></math></p><p><math><mn>{temperature}</mn></math></p><p><math><mi>{algo}</mi></math></p>";
        let mut params = schema.defaults();
        assert_eq!(
            fill(template, &params, &schema),
            "<p><math><mn>2</mn></math></p><p><math><mi>ucb</mi></math></p>"
        );
        params
            .set(&schema, "algo", &Value::Text("soft".into()))
            .unwrap();
        assert_eq!(
            fill(template, &params, &schema),
            "<p><math><mn>0.25</mn></math></p><p><math><mi>soft</mi></math></p>"
        );
    }

    #[test]
    fn a_template_naming_a_missing_param_or_with_unnested_tags_is_refused() {
        let schema = schema();
        assert_eq!(check("<math><mn>{arms}</mn></math>", &schema), None);
        assert!(
            check("<math><mn>{ghost}</mn></math>", &schema)
                .unwrap()
                .contains("ghost")
        );
        assert!(check("<math><mn>1</mi></math>", &schema).is_some());
        assert!(check("<math><mn>1</mn>", &schema).is_some());
        assert!(check("<p>no maths</p>", &schema).is_some());
    }
}
