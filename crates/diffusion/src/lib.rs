//! Two labs of small diffusion and flow-matching models, trained and sampled
//! live: the Diffusion lab on 2-D data ([`lab_2d`]) and Diffusion: digits on
//! 14x14 MNIST digits ([`digits_lab`]).
//!
//! What both share: [`settings`] (their parameter groups), [`run`] (the
//! training and sampling loop, generic over a [`Domain`]: the plane or the digits), [`model`] (the MLP and Adam), [`path`] (the
//! noising paths), [`denoise`], [`sampler`] with [`ddpm`], [`ddim`] and
//! [`flow_matching`] (one file per method), [`clipping`], [`guidance`],
//! [`metrics`], [`two_sample`] and [`progress`]. The data: [`data`] (2-D) and [`digits`].
//! [`bench`] offers the bench page the denoiser's speed.

pub mod bench;
pub mod clipping;
pub mod data;
pub mod ddim;
pub mod ddpm;
pub mod denoise;
pub mod digits;
pub mod digits_lab;
pub mod flow_matching;
pub mod guidance;
pub mod lab_2d;
pub mod metrics;
pub mod model;
pub mod path;
pub mod presets;
pub mod progress;
pub mod run;
pub mod sampler;
pub mod settings;
pub mod two_sample;

pub use digits_lab::{DigitImages, DigitsLab, DigitsParams};
pub use lab_2d::{DiffusionLab, DiffusionParams, MixtureDenoiser, Plane};
pub use run::{Diffusion, Domain, NetworkDenoiser};
