//! WGSL from the lab's declarations, so a kernel and its host cannot drift:
//! a lab's params as a uniform struct ([`params_struct`], [`params_uniform`]),
//! choice codes as constants ([`crate::params::Choice::wgsl_constants`]),
//! and, natively, the layout of any struct of a kernel as naga reads it
//! ([`struct_layout`]), for tests that hold a hand-written uniform and its
//! `#[repr(C)]` mirror (listed by [`layout_of!`](crate::layout_of)) together.

use crate::params::{GpuWord, ParamSet};

/// `params`'s scalar fields as a WGSL struct named `name`, in declaration
/// order, one 4-byte word each (numbers `f32`; whole numbers, toggles and
/// choices `u32`).
pub fn params_struct<P: ParamSet>(name: &str, params: &P) -> String {
    let mut words = Vec::new();
    params.gpu_words(&mut words);
    let members: String = words
        .iter()
        .map(|(key, word)| format!("    {key}: {},\n", word.wgsl_type()))
        .collect();
    format!("struct {name} {{\n{members}}}\n")
}

/// The words of [`params_struct`], padded to a whole number of 16 bytes
/// (what a uniform binding is sized in).
pub fn params_uniform<P: ParamSet>(params: &P) -> Vec<u32> {
    let mut words = Vec::new();
    params.gpu_words(&mut words);
    let mut bits: Vec<u32> = words.iter().map(|(_, word)| GpuWord::bits(*word)).collect();
    bits.resize(bits.len().next_multiple_of(4), 0);
    bits
}

/// `(field, byte offset)` of each named field of a `#[repr(C)]` struct, to
/// hold against [`struct_layout`] of its WGSL twin.
#[macro_export]
macro_rules! layout_of {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        vec![$((stringify!($field).to_string(), std::mem::offset_of!($ty, $field) as u32)),*]
    };
}

/// `(member, byte offset)` of the struct `name` in the WGSL `source`, as
/// naga lays it out (the layout the GPU reads).
#[cfg(not(target_arch = "wasm32"))]
pub fn struct_layout(source: &str, name: &str) -> Result<Vec<(String, u32)>, String> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| format!("the WGSL does not parse: {}", e.emit_to_string(source)))?;
    module
        .types
        .iter()
        .find(|(_, ty)| ty.name.as_deref() == Some(name))
        .and_then(|(_, ty)| match &ty.inner {
            naga::TypeInner::Struct { members, .. } => Some(
                members
                    .iter()
                    .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                    .collect(),
            ),
            _ => None,
        })
        .ok_or_else(|| format!("the WGSL has no struct {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{float, int, toggle};

    crate::params! {
        struct Knobs {
            pub rate: f64 = float("Rate", 0.0..=1.0, 0.25).live(),
            pub count: usize = int("Count", 1..=9, 3),
            pub on: bool = toggle("On", true),
            pub list: Vec<f64> = crate::params::float_list("List", 0.0..=1.0, &[0.5], 0.5, ("count", 9)),
        }
    }

    #[repr(C)]
    struct Mirror {
        seed: [u32; 2],
        steps: u32,
        pad: u32,
        means: [[f32; 4]; 2],
    }

    #[test]
    fn the_params_struct_has_a_word_per_scalar_field_at_its_offset() {
        let knobs = Knobs::defaults();
        let source = params_struct("Knobs", &knobs);
        assert_eq!(
            source,
            "struct Knobs {\n    rate: f32,\n    count: u32,\n    on: u32,\n}\n"
        );
        let layout = struct_layout(&source, "Knobs").unwrap();
        assert_eq!(
            layout,
            [("rate".into(), 0), ("count".into(), 4), ("on".into(), 8)]
        );
        assert_eq!(params_uniform(&knobs), [0.25f32.to_bits(), 3, 1, 0]);
    }

    #[test]
    fn naga_reads_the_offsets_a_repr_c_mirror_must_match() {
        let source = "struct Mirror { seed: vec2<u32>, steps: u32, means: array<vec4<f32>, 2> }";
        let wgsl = struct_layout(source, "Mirror").unwrap();
        let rust = crate::layout_of!(Mirror { seed, steps, means });
        assert_eq!(wgsl, rust);
        // A field out of order is seen.
        let swapped = "struct Mirror { steps: u32, seed: vec2<u32>, means: array<vec4<f32>, 2> }";
        assert_ne!(struct_layout(swapped, "Mirror").unwrap(), rust);
        assert!(struct_layout(source, "Nope").is_err());
        assert!(struct_layout("struct {", "Mirror").is_err());
        let _ = Mirror {
            seed: [0; 2],
            steps: 0,
            pad: 0,
            means: [[0.0; 4]; 2],
        };
    }
}
