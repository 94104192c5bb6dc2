//! Classifier-free guidance ("Classifier-Free Diffusion Guidance", Ho &
//! Salimans 2022): one network trained with its label dropped now and then
//! predicts both with the label, f(x, c), and without, f(x, null); sampling
//! uses (1 + w) f(x, c) - w f(x, null), pushing away from the unconditional
//! prediction. w = 0 is the plain conditional model.

/// The guided output from the conditional and unconditional ones.
pub fn guided(conditional: &[f64], unconditional: &[f64], w: f64) -> Vec<f64> {
    conditional
        .iter()
        .zip(unconditional)
        .map(|(c, u)| (1.0 + w) * c - w * u)
        .collect()
}

/// Training labels with classifier-free dropout: each label is replaced by
/// the null class where its uniform draw is below `p_uncond`.
pub fn drop_labels(labels: &[usize], uniforms: &[f64], p_uncond: f64) -> Vec<Option<usize>> {
    labels
        .iter()
        .zip(uniforms)
        .map(|(label, u)| (*u >= p_uncond).then_some(*label))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_extrapolates_from_the_unconditional_prediction() {
        assert_eq!(guided(&[1.0, 2.0], &[0.0, 2.0], 0.0), vec![1.0, 2.0]);
        // w = 2: 3 c - 2 u.
        assert_eq!(guided(&[1.0, 2.0], &[0.0, 2.0], 2.0), vec![3.0, 2.0]);
    }

    #[test]
    fn dropout_keeps_labels_above_the_threshold() {
        let kept = drop_labels(&[3, 4, 5], &[0.05, 0.5, 0.1], 0.1);
        assert_eq!(kept, vec![None, Some(4), Some(5)]);
    }
}
