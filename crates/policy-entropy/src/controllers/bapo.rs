//! BAPO (Xi et al. 2025, "BAPO: Stabilizing Off-Policy Reinforcement
//! Learning for LLMs via Balanced Policy Optimization with Adaptive
//! Clipping", Algorithm 1): fixed clip bounds stop entropy-raising updates
//! of negative-advantage tokens from being balanced by positive ones.
//! Before each update the bounds start at [a_-, a_+] = [0.6, 1.2] and, while
//! the positive-advantage tokens carry less than the target share rho_0 of
//! the update, c_high grows by 0.05 (up to b_+ = 2.0) and c_low by 0.05 (up
//! to b_- = 0.8, clipping more of the negative tokens); a token's share is
//! |A rho| if the clip leaves its gradient, nothing otherwise.

/// Where each update starts, the limits and the step (the paper's values).
pub const START: (f64, f64) = (0.6, 1.2);
pub const LIMITS: (f64, f64) = (0.8, 2.0);
pub const STEP: f64 = 0.05;

/// The share of the update that positive-advantage tokens carry under bounds (low, high).
pub fn positive_share(ratios: &[f32], advantages: &[f32], (low, high): (f64, f64)) -> f64 {
    let (mut positive, mut total) = (0.0, 0.0);
    for (&rho, &a) in ratios.iter().zip(advantages) {
        let (rho, a) = (f64::from(rho), f64::from(a));
        let stopped = (a > 0.0 && rho > high) || (a < 0.0 && rho < low);
        if stopped {
            continue;
        }
        let contribution = (a * rho).abs();
        total += contribution;
        if a > 0.0 {
            positive += contribution;
        }
    }
    if total > 0.0 { positive / total } else { 1.0 }
}

/// One seed's bounds for this update, from its tokens' ratios and advantages.
pub fn bounds(ratios: &[f32], advantages: &[f32], target: f64) -> (f64, f64) {
    let (mut low, mut high) = START;
    while positive_share(ratios, advantages, (low, high)) < target {
        let raise_high = high + STEP <= LIMITS.1 + 1e-9;
        let raise_low = low + STEP <= LIMITS.0 + 1e-9;
        if !raise_high && !raise_low {
            break;
        }
        if raise_high {
            high += STEP;
        }
        if raise_low {
            low += STEP;
        }
    }
    (low, high)
}
