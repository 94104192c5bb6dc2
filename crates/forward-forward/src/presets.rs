//! The lab's presets: settings that reproduce a claim of its papers, each
//! checked in numbers by the catalog's presets test (seed 1, on the CPU).

use thermolab_core::experiment::{Check, Preset};

pub fn presets() -> Vec<Preset> {
    vec![Preset::new(
        "local-rules-against-backprop",
        "Local rules nearly match backprop, with less kept",
        "Hinton 2022, The Forward-Forward Algorithm, section 3.3; Gong, Li & Abdulla 2025, Mono-Forward, section 3",
        "The shipped networks, trained at the defaults on the same digits: forward-forward, \
         each layer learning only to tell real from wrong-label images, reads 94% of the \
         held-out digits, a couple of points under backprop's 96%; Mono-Forward, each layer \
         with its own class projection, matches backprop while keeping half the activations \
         for its update (no gradient flows back between layers).",
        &[
            "rule_1=ff",
            "rule_2=backprop",
            "rule_3=mono_forward",
            "start=checkpoint",
        ],
        1,
        vec![
            Check::above("accuracy_1", 90.0),
            Check::less("accuracy_1", "accuracy_2"),
            Check::above("accuracy_3", 95.0),
            Check::less("kept_3", "kept_2"),
        ],
    )]
}
