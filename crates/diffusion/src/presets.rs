//! The presets of the two diffusion labs: settings that reproduce a claim
//! of their papers, each checked in numbers by the catalog's presets test
//! (seed 1, on the CPU).

use thermolab_core::experiment::{Check, Preset};

/// The 2-D lab's.
pub fn plane() -> Vec<Preset> {
    vec![
        Preset::new(
            "flow-matching-euler",
            "Flow matching: straight paths, few Euler steps",
            "Lipman et al. 2023, Flow Matching for Generative Modeling; Liu et al. 2023, Flow Straight and Fast",
            "The network learns the velocity of the straight line from data to noise. Straight \
             paths are easy to follow: 20 Euler steps put four in five samples on the two moons \
             after 1,500 training steps, where DDPM's ancestral sampler, 50 steps on a model \
             trained as long, puts under three in five there. Lower Sample steps and watch how \
             few it needs.",
            &[
                "data=two_moons",
                "objective=flow",
                "sampler=euler",
                "sample_steps=20",
                "width=64",
                "batch=256",
                "train_steps=1500",
                "sample_every=300",
            ],
            1500,
            vec![
                Check::above("near_curve", 70.0),
                Check::below("quality", 0.08),
            ],
        ),
        Preset::new(
            "clipping-needs-the-datas-range",
            "x0 clipping assumes the data's range",
            "Saharia et al. 2022, Photorealistic Text-to-Image Diffusion Models with Deep Language Understanding, section 2.3",
            "Clipping the estimate of x0 to [-1, 1] at every sampling step helps images, whose \
             pixels live in [-1, 1]: it removes outliers. The swiss roll reaches past 1 on both \
             axes: clipped to [-1, 1], the samples are pulled inside the square and the sliced W2 \
             to the data is several times what the same model gives unclipped (about 0.15). Set \
             the bound to 2.5, or clipping to none, and the roll comes back.",
            &[
                "data=swiss_roll",
                "clip=static",
                "clip_bound=1",
                "width=64",
                "batch=256",
                "train_steps=600",
                "sample_every=200",
            ],
            600,
            vec![Check::above("quality", 0.3)],
        ),
    ]
}

/// The digits lab's.
pub fn digits() -> Vec<Preset> {
    vec![Preset::new(
        "guidance-sharpens-digits",
        "Classifier-free guidance sharpens digits",
        "Ho & Salimans 2022, Classifier-Free Diffusion Guidance",
        "Guidance extrapolates from the unconditional prediction toward the conditional one, \
         (1 + w) f(x, c) - w f(x) for the network's f: at w = 3 the nearest-class reader agrees with the \
         digit asked for 96% of the time, against 87% without guidance (w = 0), and the \
         samples lose variety (their sliced W2 to real digits grows). Move w while it samples.",
        &[
            "guidance=3",
            "particles=100",
            "sample_steps=20",
            "sampler=ddim",
        ],
        1,
        vec![Check::above("agreement", 92.0)],
    )]
}
