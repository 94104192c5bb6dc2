//! Typed parameters, declared once. A lab writes its settings as one struct
//! with [`params!`](crate::params!): each field's type, its control (label,
//! range, default, scale, unit, live or restart) and, as its doc comment, its
//! one-line help. From that one declaration come the schema (the page's
//! controls, the URL, CLI flags, `thermolab list` and the docs' tables), the
//! defaults, the typed struct built from validated values, live updates by
//! key, and the words a GPU kernel reads ([`ParamSet::gpu_words`]).
//!
//! Why a `macro_rules!` macro and not a derive: the control of each field is
//! an ordinary Rust expression (`float("Temperature", 1e-3..=1e3, 0.1).log()`)
//! whose type the compiler checks against the field's (a `Spec<f64>` cannot
//! describe a `usize` field), with no proc-macro crate to build and no
//! attribute language to learn.

use std::ops::RangeInclusive;

use thermolab_core::params::{
    Brush, Condition, ParamError, ParamKind, ParamSpec, Params, Schema, Section, Value,
};

/// A set of typed parameters declared with [`params!`](crate::params!).
pub trait ParamSet: Clone + PartialEq + std::fmt::Debug + Sized + 'static {
    /// Every field at its declared default.
    fn defaults() -> Self;

    /// The schema entries of every field, each with its default taken from `defaults`.
    fn specs_into(defaults: &Self, out: &mut Vec<ParamSpec>);

    /// The schema: one entry per field (a group contributes its own fields).
    fn schema() -> Schema {
        let mut specs = Vec::new();
        Self::specs_into(&Self::defaults(), &mut specs);
        Schema::new(specs)
    }

    /// The typed values of validated `params` (built from [`Self::schema`]).
    fn read(params: &Params) -> Result<Self, ParamError>;

    /// Sets the field named `key` from a value already validated against the
    /// schema; `Ok(false)` when no field has that key.
    fn set(&mut self, key: &str, value: &Value) -> Result<bool, ParamError>;

    /// Limits no single param can express: the product of sizes that one
    /// step computes or keeps, say. The error names the param to lower.
    fn limits(&self) -> Result<(), ParamError> {
        Ok(())
    }

    /// The scalar fields as the words a kernel's uniform holds, in order:
    /// numbers as `f32`, whole numbers, toggles and choices as `u32`; lists
    /// have no word. [`crate::wgsl::params_struct`] declares the same struct in WGSL.
    fn gpu_words(&self, out: &mut Vec<(&'static str, GpuWord)>);
}

/// One word of a kernel's params uniform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GpuWord {
    F32(f32),
    U32(u32),
}

impl GpuWord {
    pub fn bits(self) -> u32 {
        match self {
            GpuWord::F32(x) => x.to_bits(),
            GpuWord::U32(u) => u,
        }
    }

    pub fn wgsl_type(self) -> &'static str {
        match self {
            GpuWord::F32(_) => "f32",
            GpuWord::U32(_) => "u32",
        }
    }
}

/// A type a single parameter can have, and how it maps to a [`Value`].
pub trait ParamValue: Clone + PartialEq + std::fmt::Debug + Sized {
    fn to_value(&self) -> Value;
    /// `None` when `value` is not of this type (the schema validated it, so
    /// only a mismatch between schema and struct gets here).
    fn from_value(value: &Value) -> Option<Self>;
    /// Its word in a kernel's params uniform; `None` for lists.
    fn gpu_word(&self) -> Option<GpuWord>;
}

/// A field of a [`params!`](crate::params!) struct: a single parameter
/// ([`ParamValue`]) or a group of them (another [`ParamSet`], whose fields
/// keep their own keys).
pub trait Field: Sized {
    fn read_field(key: &'static str, params: &Params) -> Result<Self, ParamError>;
    /// Sets `target` if it is this field's key (or one of a group's).
    fn set_field(
        &mut self,
        key: &'static str,
        target: &str,
        value: &Value,
    ) -> Result<bool, ParamError>;
    fn gpu_field(&self, key: &'static str, out: &mut Vec<(&'static str, GpuWord)>);
}

fn mismatch(key: &str, value: &Value) -> ParamError {
    ParamError {
        key: key.to_string(),
        message: format!("'{key}' cannot hold '{value}'"),
    }
}

/// [`Field`] for a [`ParamValue`] type (a macro, so that the impls stay
/// concrete and a group can implement [`Field`] too).
#[doc(hidden)]
#[macro_export]
macro_rules! scalar_field {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::params::Field for $ty {
            fn read_field(
                key: &'static str,
                params: &$crate::core::params::Params,
            ) -> Result<Self, $crate::core::params::ParamError> {
                $crate::params::read_scalar(key, params)
            }
            fn set_field(
                &mut self,
                key: &'static str,
                target: &str,
                value: &$crate::core::params::Value,
            ) -> Result<bool, $crate::core::params::ParamError> {
                $crate::params::set_scalar(self, key, target, value)
            }
            fn gpu_field(
                &self,
                key: &'static str,
                out: &mut Vec<(&'static str, $crate::params::GpuWord)>,
            ) {
                out.extend(
                    $crate::params::ParamValue::gpu_word(self).map(|word| (key, word)),
                );
            }
        }
    )*};
}

pub fn read_scalar<T: ParamValue>(key: &str, params: &Params) -> Result<T, ParamError> {
    let value = params.get(key).ok_or_else(|| ParamError {
        key: key.to_string(),
        message: format!("'{key}' is missing"),
    })?;
    T::from_value(value).ok_or_else(|| mismatch(key, value))
}

pub fn set_scalar<T: ParamValue>(
    field: &mut T,
    key: &str,
    target: &str,
    value: &Value,
) -> Result<bool, ParamError> {
    if key != target {
        return Ok(false);
    }
    *field = T::from_value(value).ok_or_else(|| mismatch(key, value))?;
    Ok(true)
}

impl ParamValue for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Float(x) => Some(*x),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    fn gpu_word(&self) -> Option<GpuWord> {
        Some(GpuWord::F32(*self as f32))
    }
}

impl ParamValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn gpu_word(&self) -> Option<GpuWord> {
        Some(GpuWord::U32(u32::from(*self)))
    }
}

/// Whole-number parameter types; the schema's range keeps them in bounds.
macro_rules! whole_number {
    ($($ty:ty),*) => {$(
        impl ParamValue for $ty {
            fn to_value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Int(i) => <$ty>::try_from(*i).ok(),
                    _ => None,
                }
            }
            fn gpu_word(&self) -> Option<GpuWord> {
                Some(GpuWord::U32(u32::try_from(*self).unwrap_or(u32::MAX)))
            }
        }
    )*};
}
whole_number!(i64, u64, u32, usize);

/// A list of numbers (a float-list parameter, such as arm means).
impl ParamValue for Vec<f64> {
    fn to_value(&self) -> Value {
        Value::List(self.clone())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::List(xs) => Some(xs.clone()),
            _ => None,
        }
    }
    fn gpu_word(&self) -> Option<GpuWord> {
        None
    }
}

/// Drawn points (a points parameter), stored flat as x0, y0, x1, ... in a [`Value`].
impl ParamValue for Vec<[f64; 2]> {
    fn to_value(&self) -> Value {
        Value::List(self.iter().flatten().copied().collect())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::List(xs) if xs.len() % 2 == 0 => {
                Some(xs.chunks_exact(2).map(|p| [p[0], p[1]]).collect())
            }
            _ => None,
        }
    }
    fn gpu_word(&self) -> Option<GpuWord> {
        None
    }
}

crate::scalar_field!(f64, bool, i64, u64, u32, usize, Vec<f64>, Vec<[f64; 2]>);

/// A choice among named options, declared with [`choices!`](crate::choices!).
pub trait Choice: Copy + Eq + std::fmt::Debug + 'static {
    /// `(value, label)` of every option, in the order a select lists them.
    const OPTIONS: &'static [(&'static str, &'static str)];

    /// Its position in [`Self::OPTIONS`]: also its code in WGSL.
    fn index(self) -> usize;

    fn from_index(index: usize) -> Option<Self>;

    /// Its value in URLs and on the command line.
    fn key(self) -> &'static str {
        Self::OPTIONS[self.index()].0
    }

    fn label(self) -> &'static str {
        Self::OPTIONS[self.index()].1
    }

    fn from_key(key: &str) -> Option<Self> {
        Self::OPTIONS
            .iter()
            .position(|(value, _)| *value == key)
            .and_then(Self::from_index)
    }

    /// Every option, in order.
    fn all() -> Vec<Self> {
        (0..Self::OPTIONS.len())
            .filter_map(Self::from_index)
            .collect()
    }

    /// One WGSL constant per option, `const {PREFIX}_{VALUE}: u32 = {index}u;`,
    /// so a kernel names the codes the host sends.
    fn wgsl_constants(prefix: &str) -> String {
        Self::all()
            .into_iter()
            .map(|option| {
                format!(
                    "const {prefix}_{}: u32 = {}u;\n",
                    option.key().to_ascii_uppercase(),
                    option.index()
                )
            })
            .collect()
    }
}

/// An optional choice: "none" first, then the options of `C`.
impl<C: Choice> ParamValue for Option<C> {
    fn to_value(&self) -> Value {
        Value::Text(self.map_or(NONE.0, Choice::key).to_string())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(key) if key == NONE.0 => Some(None),
            Value::Text(key) => C::from_key(key).map(Some),
            _ => None,
        }
    }
    fn gpu_word(&self) -> Option<GpuWord> {
        None
    }
}

impl<C: Choice> Field for Option<C> {
    fn read_field(key: &'static str, params: &Params) -> Result<Self, ParamError> {
        read_scalar(key, params)
    }
    fn set_field(
        &mut self,
        key: &'static str,
        target: &str,
        value: &Value,
    ) -> Result<bool, ParamError> {
        set_scalar(self, key, target, value)
    }
    fn gpu_field(&self, _key: &'static str, _out: &mut Vec<(&'static str, GpuWord)>) {}
}

/// The option an optional choice offers for "nothing".
const NONE: (&str, &str) = ("none", "(none)");

/// How a field of a [`params!`](crate::params!) struct is declared: a single
/// control ([`Spec`]) or a group ([`Group`]).
pub trait FieldSpec<T> {
    /// The declared default.
    fn default_value(&self) -> T;
    /// This field's schema entries, keyed `key`, with `default` as default
    /// and `help` (the field's doc comment) as help.
    fn specs(&self, key: &str, default: &T, help: &str, out: &mut Vec<ParamSpec>);
}

/// One control: everything but its key (the field's name) and help (its doc).
#[derive(Clone, Debug)]
pub struct Spec<T> {
    spec: ParamSpec,
    default: T,
}

impl<T: ParamValue> FieldSpec<T> for Spec<T> {
    fn default_value(&self) -> T {
        self.default.clone()
    }

    fn specs(&self, key: &str, default: &T, help: &str, out: &mut Vec<ParamSpec>) {
        let mut spec = self.spec.clone().with_default(&default.to_value());
        spec.key = key.to_string();
        if spec.help.is_empty() {
            spec.help = help.to_string();
        }
        out.push(spec);
    }
}

impl<T> Spec<T> {
    fn new(spec: ParamSpec, default: T) -> Self {
        Self { spec, default }
    }

    /// Slider position linear in ln(value).
    pub fn log(self) -> Self {
        Self {
            spec: self.spec.log(),
            ..self
        }
    }

    /// Applies on the next step of a running experiment (else it restarts the run).
    pub fn live(self) -> Self {
        Self {
            spec: self.spec.live(),
            ..self
        }
    }

    pub fn unit(self, unit: &str) -> Self {
        Self {
            spec: self.spec.unit(unit),
            ..self
        }
    }

    /// Matters only while `condition` holds: the page hides it otherwise.
    pub fn when(self, condition: Condition) -> Self {
        Self {
            spec: self.spec.when(condition),
            ..self
        }
    }
}

impl Spec<Vec<[f64; 2]>> {
    /// Strokes on its chart come here only while the select `key` is
    /// `option` (several points params painted on one chart).
    pub fn brush<C: Choice>(mut self, key: &str, option: C) -> Self {
        if let ParamKind::Points { brush, .. } = &mut self.spec.kind {
            *brush = Some(Brush {
                key: key.to_string(),
                option: option.key().to_string(),
            });
        }
        self
    }
}

/// The choice `key` is one of `options`.
pub fn is<C: Choice>(key: &str, options: &[C]) -> Condition {
    any_is(&[key], options)
}

/// The choice `key` is any option but `options`.
pub fn is_not<C: Choice>(key: &str, options: &[C]) -> Condition {
    let others: Vec<C> = C::all()
        .into_iter()
        .filter(|c| !options.contains(c))
        .collect();
    is(key, &others)
}

/// One of the choices `keys` (slots that offer the same options) is one of `options`.
pub fn any_is<C: Choice>(keys: &[&str], options: &[C]) -> Condition {
    Condition::Is {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        values: options.iter().map(|c| c.key().to_string()).collect(),
    }
}

/// The toggle `key` is on.
pub fn on(key: &str) -> Condition {
    Condition::On {
        key: key.to_string(),
    }
}

/// Gives `specs` that have no heading of their own (a group's may) `section`.
pub fn place_in_section(specs: &mut [ParamSpec], section: &Option<Section>) {
    for spec in specs {
        if spec.section.is_none() {
            spec.section.clone_from(section);
        }
    }
}

/// A number in `range`.
pub fn float(label: &str, range: RangeInclusive<f64>, default: f64) -> Spec<f64> {
    Spec::new(
        ParamSpec::float("", label, *range.start(), *range.end(), default),
        default,
    )
}

/// A whole number in `range`.
pub fn int<T: ParamValue>(label: &str, range: RangeInclusive<i64>, default: T) -> Spec<T> {
    let Value::Int(start) = default.to_value() else {
        unreachable!("whole-number parameters hold Value::Int")
    };
    Spec::new(
        ParamSpec::int("", label, *range.start(), *range.end(), start),
        default,
    )
}

/// On or off.
pub fn toggle(label: &str, default: bool) -> Spec<bool> {
    Spec::new(ParamSpec::toggle("", label, default), default)
}

/// One of the options of `C`.
pub fn choice<C: Choice>(label: &str, default: C) -> Spec<C> {
    Spec::new(
        ParamSpec::choice("", label, C::OPTIONS, default.key()),
        default,
    )
}

/// One of the options of `C`, or none.
pub fn optional_choice<C: Choice>(label: &str, default: Option<C>) -> Spec<Option<C>> {
    let mut all = vec![NONE];
    all.extend_from_slice(C::OPTIONS);
    let default_key = default.map_or(NONE.0, Choice::key);
    Spec::new(ParamSpec::choice("", label, &all, default_key), default)
}

/// A list of numbers in `range`, as long as the whole-number param
/// `length_from` says (at most `max_len`); missing items read as `pad`.
pub fn float_list(
    label: &str,
    range: RangeInclusive<f64>,
    default: &[f64],
    pad: f64,
    (length_from, max_len): (&str, usize),
) -> Spec<Vec<f64>> {
    Spec::new(
        ParamSpec::float_list(
            "",
            label,
            (*range.start(), *range.end()),
            default,
            pad,
            (length_from, max_len),
        ),
        default.to_vec(),
    )
}

/// Points the user draws on the chart `chart`, inside [-extent, extent]^2,
/// at most `max_points`; none by default.
pub fn points(label: &str, extent: f64, max_points: usize, chart: &str) -> Spec<Vec<[f64; 2]>> {
    Spec::new(
        ParamSpec::points("", label, extent, max_points, chart),
        Vec::new(),
    )
}

/// A group of parameters (another [`ParamSet`]) with these defaults; its
/// fields keep their own keys.
pub struct Group<T>(pub T);

impl<T: ParamSet> FieldSpec<T> for Group<T> {
    fn default_value(&self) -> T {
        self.0.clone()
    }

    fn specs(&self, _key: &str, default: &T, _help: &str, out: &mut Vec<ParamSpec>) {
        T::specs_into(default, out);
    }
}

/// A group of parameters with `defaults`.
pub fn group<T: ParamSet>(defaults: T) -> Group<T> {
    Group(defaults)
}

/// A field's help from its doc comment: the lines joined by spaces.
pub fn help(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Declares a struct of typed parameters and implements [`ParamSet`] for it.
/// Each field is `name: Type = control`, its doc comment the control's help;
/// `#[section("Title")]` (or `#[section("Title", closed)]`, folded at first)
/// before a field puts it and the fields after it under that heading; an
/// optional `limits: path` after the struct names a function
/// `fn(&Self) -> Result<(), ParamError>` for [`ParamSet::limits`]:
///
/// ```
/// use thermolab_kit::params::{ParamSet, float, int, toggle};
/// thermolab_kit::params! {
///     /// A lab's settings.
///     pub struct Settings {
///         #[section("Policy")]
///         /// Softmax temperature of the policy.
///         pub temperature: f64 = float("Temperature", 1e-3..=1e3, 0.1).log().live().unit("T"),
///         /// Number of arms.
///         pub arms: usize = int("Arms", 2..=16, 5),
///         pub anneal: bool = toggle("Anneal", false).live(),
///     }
/// }
/// let schema = Settings::schema();
/// assert_eq!(schema.params[0].key, "temperature");
/// assert_eq!(schema.params[0].help, "Softmax temperature of the policy.");
/// assert_eq!(Settings::defaults().arms, 5);
/// assert_eq!(schema.sections()[0].title, "Policy");
/// ```
#[macro_export]
macro_rules! params {
    (
        $(#[doc = $struct_doc:literal])*
        $vis:vis struct $name:ident {
            $(
                $(#[section($section:literal $(, $closed:ident)?)])?
                $(#[doc = $doc:literal])*
                $field_vis:vis $field:ident : $ty:ty = $spec:expr
            ),* $(,)?
        }
        $(limits: $limits:path)?
    ) => {
        $(#[doc = $struct_doc])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $field_vis $field: $ty,
            )*
        }

        impl $crate::params::ParamSet for $name {
            fn defaults() -> Self {
                Self {
                    $($field: $crate::params::FieldSpec::<$ty>::default_value(&$spec),)*
                }
            }

            #[allow(unused_mut, unused_assignments)]
            fn specs_into(defaults: &Self, out: &mut Vec<$crate::core::params::ParamSpec>) {
                let mut section: Option<$crate::core::params::Section> = None;
                $(
                    $( section = Some($crate::core::params::Section::new($section)$(.$closed())?); )?
                    let start = out.len();
                    $crate::params::FieldSpec::<$ty>::specs(
                        &$spec,
                        stringify!($field),
                        &defaults.$field,
                        &$crate::params::help(&[$($doc),*]),
                        out,
                    );
                    $crate::params::place_in_section(&mut out[start..], &section);
                )*
            }

            fn read(
                params: &$crate::core::params::Params,
            ) -> Result<Self, $crate::core::params::ParamError> {
                Ok(Self {
                    $($field: <$ty as $crate::params::Field>::read_field(stringify!($field), params)?,)*
                })
            }

            fn set(
                &mut self,
                key: &str,
                value: &$crate::core::params::Value,
            ) -> Result<bool, $crate::core::params::ParamError> {
                $(
                    if $crate::params::Field::set_field(&mut self.$field, stringify!($field), key, value)? {
                        return Ok(true);
                    }
                )*
                Ok(false)
            }

            fn gpu_words(&self, out: &mut Vec<(&'static str, $crate::params::GpuWord)>) {
                $($crate::params::Field::gpu_field(&self.$field, stringify!($field), out);)*
            }

            $(
                fn limits(&self) -> Result<(), $crate::core::params::ParamError> {
                    $limits(self)
                }
            )?
        }

        impl Default for $name {
            fn default() -> Self {
                <Self as $crate::params::ParamSet>::defaults()
            }
        }

        /// As a group inside another set: its fields keep their keys.
        impl $crate::params::Field for $name {
            fn read_field(
                _key: &'static str,
                params: &$crate::core::params::Params,
            ) -> Result<Self, $crate::core::params::ParamError> {
                <Self as $crate::params::ParamSet>::read(params)
            }

            fn set_field(
                &mut self,
                _key: &'static str,
                target: &str,
                value: &$crate::core::params::Value,
            ) -> Result<bool, $crate::core::params::ParamError> {
                <Self as $crate::params::ParamSet>::set(self, target, value)
            }

            fn gpu_field(
                &self,
                _key: &'static str,
                out: &mut Vec<(&'static str, $crate::params::GpuWord)>,
            ) {
                <Self as $crate::params::ParamSet>::gpu_words(self, out);
            }
        }
    };
}

/// Declares an enum of named options and implements [`Choice`] for it; its
/// doc comments stay docs. Each variant is `Name = ("value", "Label")`:
///
/// ```
/// use thermolab_kit::params::Choice;
/// thermolab_kit::choices! {
///     /// How arms pay.
///     pub enum Rewards {
///         Bernoulli = ("bernoulli", "Bernoulli arms"),
///         Gaussian = ("gaussian", "Gaussian arms"),
///     }
/// }
/// assert_eq!(Rewards::from_key("gaussian"), Some(Rewards::Gaussian));
/// assert_eq!(Rewards::Gaussian.index(), 1);
/// assert_eq!(Rewards::wgsl_constants("REWARDS"), "const REWARDS_BERNOULLI: u32 = 0u;\nconst REWARDS_GAUSSIAN: u32 = 1u;\n");
/// ```
#[macro_export]
macro_rules! choices {
    (
        $(#[doc = $enum_doc:literal])*
        $vis:vis enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = ($value:literal, $label:literal)
            ),* $(,)?
        }
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[doc = $doc])* $variant,)*
        }

        impl $crate::params::Choice for $name {
            const OPTIONS: &'static [(&'static str, &'static str)] = &[$(($value, $label)),*];

            fn index(self) -> usize {
                self as usize
            }

            fn from_index(index: usize) -> Option<Self> {
                [$(Self::$variant),*].get(index).copied()
            }
        }

        // Not every choice calls all of them.
        #[allow(dead_code)]
        impl $name {
            /// Its value in URLs and on the command line.
            pub fn key(self) -> &'static str {
                $crate::params::Choice::key(self)
            }

            /// Its name on the page.
            pub fn label(self) -> &'static str {
                $crate::params::Choice::label(self)
            }

            /// Every option, in order.
            pub fn all() -> Vec<Self> {
                <Self as $crate::params::Choice>::all()
            }
        }

        impl $crate::params::ParamValue for $name {
            fn to_value(&self) -> $crate::core::params::Value {
                $crate::core::params::Value::Text(
                    $crate::params::Choice::key(*self).to_string(),
                )
            }

            fn from_value(value: &$crate::core::params::Value) -> Option<Self> {
                match value {
                    $crate::core::params::Value::Text(key) => {
                        <Self as $crate::params::Choice>::from_key(key)
                    }
                    _ => None,
                }
            }

            fn gpu_word(&self) -> Option<$crate::params::GpuWord> {
                Some($crate::params::GpuWord::U32(
                    $crate::params::Choice::index(*self) as u32,
                ))
            }
        }

        $crate::scalar_field!($name);
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use thermolab_core::params::{ChoiceOption, ParamKind};

    crate::choices! {
        /// Test options.
        pub enum Shape {
            Round = ("round", "Round"),
            Square = ("square", "Square"),
        }
    }

    crate::params! {
        /// A group with its own keys.
        pub struct Inner {
            /// Inner scale.
            pub scale: f64 = float("Scale", 0.0..=2.0, 1.0).live(),
            pub shape: Shape = choice("Shape", Shape::Round),
        }
    }

    crate::params! {
        pub struct Outer {
            /// First line of help,
            /// second line.
            pub rate: f64 = float("Rate", 1e-3..=1.0, 0.1).log().live().unit("per step"),
            pub count: usize = int("Count", 1..=10, 3),
            pub on: bool = toggle("On", true),
            pub other: Option<Shape> = optional_choice("Other", None),
            pub inner: Inner = group(Inner { scale: 1.5, ..Inner::default() }),
            pub list: Vec<f64> = float_list("List", 0.0..=1.0, &[0.2, 0.4], 0.5, ("count", 10)),
            pub drawn: Vec<[f64; 2]> = points("Drawn", 2.0, 5, "chart"),
        }
    }

    crate::params! {
        /// A group that brings its own heading.
        pub struct Brush {
            #[section("Brush", closed)]
            pub width: f64 = float("Width", 0.1..=4.0, 1.0).when(is("shape", &[Shape::Square])),
        }
    }

    crate::params! {
        pub struct Headed {
            pub title_size: f64 = float("Title size", 1.0..=4.0, 2.0),
            #[section("Form")]
            pub shape: Shape = choice("Shape", Shape::Round),
            pub second: Option<Shape> = optional_choice("Second", None),
            pub brush: Brush = group(Brush::default()),
            pub filled: bool = toggle("Filled", false).when(any_is(&["shape", "second"], &[Shape::Round])),
            #[section("Colour")]
            pub hue: f64 = float("Hue", 0.0..=1.0, 0.5).when(on("filled")),
        }
    }

    #[test]
    fn headings_cover_the_fields_after_them_and_conditions_follow_the_values() {
        let schema = Headed::schema();
        let heading = |key: &str| {
            schema
                .spec(key)
                .and_then(|s| s.section.as_ref())
                .map(|s| (s.title.as_str(), s.open))
        };
        assert_eq!(heading("title_size"), None);
        assert_eq!(heading("shape"), Some(("Form", true)));
        assert_eq!(heading("second"), Some(("Form", true)));
        assert_eq!(heading("width"), Some(("Brush", false)));
        assert_eq!(heading("filled"), Some(("Form", true)));
        assert_eq!(heading("hue"), Some(("Colour", true)));
        let titles: Vec<String> = schema.sections().into_iter().map(|s| s.title).collect();
        assert_eq!(titles, ["Form", "Brush", "Colour"]);
        assert!(schema.condition_errors().is_empty());

        let mut values = schema.defaults().values().clone();
        let applies = |values: &BTreeMap<String, Value>, key: &str| {
            schema.spec(key).is_some_and(|s| s.applies(values))
        };
        assert!(applies(&values, "title_size"));
        assert!(!applies(&values, "width"), "the shape is round");
        assert!(applies(&values, "filled") && !applies(&values, "hue"));
        values.insert("shape".into(), Value::Text("square".into()));
        assert!(applies(&values, "width"));
        assert!(!applies(&values, "filled"), "neither select is round");
        values.insert("second".into(), Value::Text("round".into()));
        values.insert("filled".into(), Value::Bool(true));
        assert!(applies(&values, "filled") && applies(&values, "hue"));
    }

    #[test]
    fn one_declaration_gives_the_schema_the_defaults_and_the_typed_values() {
        let schema = Outer::schema();
        let keys: Vec<&str> = schema.params.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "rate", "count", "on", "other", "scale", "shape", "list", "drawn"
            ]
        );
        let rate = schema.spec("rate").unwrap();
        assert_eq!(rate.help, "First line of help, second line.");
        assert_eq!(rate.unit, "per step");
        assert_eq!(rate.apply, thermolab_core::params::Apply::Live);
        assert!(matches!(
            rate.kind,
            ParamKind::Float { scale: thermolab_core::params::Scale::Log, default, .. } if default == 0.1
        ));
        // The group's default comes from the outer declaration.
        assert_eq!(
            schema.spec("scale").unwrap().default_value(),
            Value::Float(1.5)
        );
        assert_eq!(schema.spec("scale").unwrap().help, "Inner scale.");
        let ParamKind::Choice { options, default } = &schema.spec("other").unwrap().kind else {
            panic!("other is a choice");
        };
        assert_eq!(default, "none");
        assert_eq!(options.len(), 3);
        assert_eq!(
            options[1],
            ChoiceOption {
                value: "round".to_string(),
                label: "Round".to_string()
            }
        );
        let defaults = Outer::defaults();
        assert_eq!(defaults.inner.scale, 1.5);
        assert_eq!(defaults.list, vec![0.2, 0.4]);
        assert!(defaults.drawn.is_empty());
        // The schema's defaults read back as the declared defaults.
        let read = Outer::read(&schema.defaults()).unwrap();
        assert_eq!(read, defaults);
    }

    #[test]
    fn values_read_and_set_by_key_into_their_fields() {
        let schema = Outer::schema();
        let values: BTreeMap<String, Value> = [
            ("rate", Value::Float(0.5)),
            ("count", Value::Int(7)),
            ("other", Value::Text("square".into())),
            ("shape", Value::Text("square".into())),
            ("drawn", Value::List(vec![1.0, -1.0, 0.5, 0.25])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let (params, refused) = schema.params_from_values(&values);
        assert!(refused.is_empty());
        let mut typed = Outer::read(&params).unwrap();
        assert_eq!(typed.rate, 0.5);
        assert_eq!(typed.count, 7);
        assert_eq!(typed.other, Some(Shape::Square));
        assert_eq!(typed.inner.shape, Shape::Square);
        assert_eq!(typed.drawn, vec![[1.0, -1.0], [0.5, 0.25]]);
        assert_eq!(typed.set("scale", &Value::Float(0.25)), Ok(true));
        assert_eq!(typed.inner.scale, 0.25);
        assert_eq!(typed.set("other", &Value::Text("none".into())), Ok(true));
        assert_eq!(typed.other, None);
        assert_eq!(typed.set("ghost", &Value::Int(1)), Ok(false));
        assert!(typed.set("count", &Value::Text("x".into())).is_err());
    }

    #[test]
    fn gpu_words_follow_the_declaration_and_skip_lists() {
        let mut words = Vec::new();
        Outer::defaults().gpu_words(&mut words);
        let names: Vec<&str> = words.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["rate", "count", "on", "scale", "shape"]);
        assert_eq!(words[0].1, GpuWord::F32(0.1));
        assert_eq!(words[1].1, GpuWord::U32(3));
        assert_eq!(words[2].1, GpuWord::U32(1));
        assert_eq!(words[4].1, GpuWord::U32(Shape::Round.index() as u32));
    }
}
