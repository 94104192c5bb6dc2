//! The *Start from* choice of the labs that ship a trained model.

use crate::choices;

choices! {
    /// Where a run's networks start.
    pub enum Start {
        Checkpoint = ("checkpoint", "The shipped checkpoint"),
        Scratch = ("scratch", "Scratch (train live)"),
    }
}
