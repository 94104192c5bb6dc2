//! The entropy controllers, one file each naming its paper and formula.
//! Each acts on one of: the loss (a bonus on the entropy, a penalty or a
//! stopped gradient on chosen tokens, an extra policy-gradient term), the
//! logits the loss sees, or the clip bounds. Their per-seed state (a
//! coefficient, a temperature, the bounds) lives in [`SeedState`] and is
//! updated on the host from each step's measured entropy.
//!
//! - [`bonus`]: a fixed coefficient on the entropy.
//! - [`dual`]: the coefficient by dual ascent toward a target.
//! - [`aent`]: AEnt, a clamped entropy with a boxed adaptive coefficient.
//! - [`aepo`]: AEPO, a REINFORCE term on answers sampled at a switched temperature.
//! - [`era`]: ERA, logit scaling outside a band.
//! - [`clip_cov`]: Clip-Cov, stopped gradients on high-covariance tokens.
//! - [`kl_cov`]: KL-Cov, a KL penalty on the highest-covariance tokens.
//! - [`bapo`]: BAPO, clip bounds adapted toward a share of positive contributions.

pub mod aent;
pub mod aepo;
pub mod bapo;
pub mod bonus;
pub mod clip_cov;
pub mod dual;
pub mod era;
pub mod kl_cov;

use thermolab_kit::choices;

use crate::params::PeParams;

choices! {
    /// How (and whether) the entropy is controlled.
    pub enum ControllerId {
        None = ("uncontrolled", "No control"),
        Bonus = ("bonus", "Fixed entropy bonus"),
        Dual = ("dual", "Dual ascent to a target"),
        Aent = ("aent", "AEnt"),
        Aepo = ("aepo", "AEPO"),
        Era = ("era", "ERA"),
        ClipCov = ("clip_cov", "Clip-Cov"),
        KlCov = ("kl_cov", "KL-Cov"),
        Bapo = ("bapo", "BAPO"),
    }
}

impl ControllerId {
    /// The controllers that aim at the entropy target.
    pub const TARGETING: [ControllerId; 4] = [
        ControllerId::Dual,
        ControllerId::Aent,
        ControllerId::Aepo,
        ControllerId::Era,
    ];

    /// The controllers that clip at 1 -+ eps (all but BAPO, which moves its bounds).
    pub const FIXED_CLIP: [ControllerId; 8] = [
        ControllerId::None,
        ControllerId::Bonus,
        ControllerId::Dual,
        ControllerId::Aent,
        ControllerId::Aepo,
        ControllerId::Era,
        ControllerId::ClipCov,
        ControllerId::KlCov,
    ];

    pub fn targets(self) -> bool {
        Self::TARGETING.contains(&self)
    }
}

/// One seed's controller state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedState {
    /// The entropy bonus's coefficient (bonus, dual, AEnt).
    pub coefficient: f64,
    /// The clip bounds on the ratio (BAPO moves them; otherwise 1 -+ eps).
    pub low: f64,
    pub high: f64,
    /// AEPO's sampling temperature for its extra answers.
    pub aepo_temperature: f64,
    /// ERA's logit scale for positive-advantage tokens.
    pub era_scale: f64,
}

impl SeedState {
    pub fn new(controller: ControllerId, params: &PeParams) -> Self {
        Self {
            coefficient: match controller {
                ControllerId::Bonus => params.bonus,
                _ => 0.0,
            },
            low: 1.0 - params.eps_low,
            high: 1.0 + params.eps_high,
            aepo_temperature: params.aepo_t_high,
            era_scale: 1.0,
        }
    }

    /// The state for the next step, given the entropy this one measured.
    pub fn after(self, controller: ControllerId, entropy: f64, params: &PeParams) -> Self {
        let band = (
            params.entropy_target - params.entropy_band,
            params.entropy_target + params.entropy_band,
        );
        let mut next = Self {
            low: 1.0 - params.eps_low,
            high: 1.0 + params.eps_high,
            ..self
        };
        match controller {
            ControllerId::Bonus => next.coefficient = params.bonus,
            ControllerId::Dual => {
                next.coefficient = dual::update(
                    self.coefficient,
                    entropy,
                    params.entropy_target,
                    params.coef_lr,
                )
            }
            ControllerId::Aent => {
                next.coefficient = aent::update(
                    self.coefficient,
                    entropy,
                    band,
                    params.coef_lr,
                    params.aent_max,
                )
            }
            ControllerId::Aepo => {
                next.aepo_temperature = aepo::temperature(
                    entropy,
                    params.entropy_target,
                    (params.aepo_t_low, params.aepo_t_high),
                )
            }
            ControllerId::Era => next.era_scale = era::scale(entropy, band, params.era_k),
            ControllerId::None
            | ControllerId::ClipCov
            | ControllerId::KlCov
            | ControllerId::Bapo => {}
        }
        next
    }
}
