//! Decoding the trained policy's next-token law, in f64 on the host:
//! temperature, top-p (Holtzman et al. 2020, "The Curious Case of Neural
//! Text Degeneration"), min-p (Nguyen et al. 2024, "Turning Up the Heat:
//! Min-p Sampling"), Top-H (Potraghloo et al. 2025, "Top-H Decoding:
//! Adapting the Creativity and Coherence with Bounded Entropy in Text
//! Generation", Algorithm 1: tokens join in order of probability while the
//! entropy of the kept set, renormalized, stays at most alpha H(p); the
//! first that would break the bound ends it), and EM-INF's temperature
//! (Agarwal et al. 2025, "The Unreasonable Effectiveness of Entropy
//! Minimization in LLM Reasoning", section 5: bisect T so that
//! H(softmax(z / T)) meets a target entropy).

use crate::params::Decoding;

/// The temperatures EM-INF searches between.
pub const TEMPERATURE_RANGE: (f64, f64) = (1e-3, 1e3);

/// softmax(z / T), stable for any T in the range (the largest logit is subtracted first).
pub fn softmax_at(logits: &[f64], temperature: f64) -> Vec<f64> {
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits
        .iter()
        .map(|z| ((z - top) / temperature).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// Entropy in nats of a law (its zero entries contribute nothing).
pub fn entropy(p: &[f64]) -> f64 {
    -p.iter()
        .filter(|x| **x > 0.0)
        .map(|x| x * x.ln())
        .sum::<f64>()
}

/// Token indices in order of decreasing probability.
fn by_probability(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
    order
}

/// The tokens Top-H keeps of law `p`, in order of probability (never one of probability 0).
pub fn top_h(p: &[f64], alpha: f64) -> Vec<usize> {
    let bound = alpha * entropy(p);
    let order = by_probability(p);
    let mut kept = vec![order[0]];
    for &token in &order[1..] {
        // A token the law never draws adds nothing to keep.
        if p[token] == 0.0 {
            break;
        }
        let mut trial: Vec<f64> = kept.iter().chain([&token]).map(|&t| p[t]).collect();
        let mass: f64 = trial.iter().sum();
        trial.iter_mut().for_each(|x| *x /= mass);
        if entropy(&trial) > bound {
            break;
        }
        kept.push(token);
    }
    kept
}

/// The smallest set of most likely tokens holding at least `mass`.
pub fn top_p(p: &[f64], mass: f64) -> Vec<usize> {
    let mut kept = Vec::new();
    let mut held = 0.0;
    for token in by_probability(p) {
        kept.push(token);
        held += p[token];
        if held >= mass - 1e-12 {
            break;
        }
    }
    kept
}

/// The tokens with at least `share` of the most likely token's probability.
pub fn min_p(p: &[f64], share: f64) -> Vec<usize> {
    let top = p.iter().copied().fold(0.0, f64::max);
    by_probability(p)
        .into_iter()
        .filter(|&t| p[t] >= share * top)
        .collect()
}

/// What the decoding panel shows: the law at the decoding temperature,
/// the tokens kept (in order of probability) and the kept set's law.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub law: Vec<f64>,
    pub kept: Vec<usize>,
    pub kept_entropy: f64,
}

pub fn decode(logits: &[f64], method: Decoding, temperature: f64, knob: f64) -> Decoded {
    let law = softmax_at(logits, temperature);
    let kept = match method {
        Decoding::Temperature => by_probability(&law),
        Decoding::TopP => top_p(&law, knob),
        Decoding::MinP => min_p(&law, knob),
        Decoding::TopH => top_h(&law, knob),
    };
    let mass: f64 = kept.iter().map(|&t| law[t]).sum();
    let kept_law: Vec<f64> = kept.iter().map(|&t| law[t] / mass).collect();
    Decoded {
        kept_entropy: entropy(&kept_law),
        law,
        kept,
    }
}

/// EM-INF: the temperature (and the entropy it gives) whose law has
/// entropy `target`, by bisection on log T; a target out of reach gives
/// the nearest end of the range. The entropy rises with T for any logits
/// that are not all equal.
pub fn em_inf_temperature(logits: &[f64], target: f64) -> (f64, f64) {
    let at = |log_t: f64| entropy(&softmax_at(logits, log_t.exp()));
    let (mut lo, mut hi) = (TEMPERATURE_RANGE.0.ln(), TEMPERATURE_RANGE.1.ln());
    if at(lo) >= target {
        return (lo.exp(), at(lo));
    }
    if at(hi) <= target {
        return (hi.exp(), at(hi));
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if at(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    (t.exp(), at(t))
}
