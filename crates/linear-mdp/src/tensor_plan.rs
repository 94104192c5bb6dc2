//! LSVI's planning pass (Jin, Yang, Wang & Jordan 2020, Algorithm 1,
//! lines 4-8) as burn tensor operations batched over seeds, for one
//! measurement: whether burn's batched matmuls would beat the hand-written
//! kernel (`algorithms/lsvi.wgsl`) at the per-seed d x d linear algebra.
//! For h = H-1 .. 0, on every seed at once:
//! future = V_{h+1} [B, 1, S] x sum_to_next [B, S, d];
//! w = Lambda^-1 [B, d, d] x (sum r phi + future) [B, d, 1];
//! Q_h = clamp(w^T Phi^T + beta sqrt(phi^T Lambda^-1 phi), -(H - h), H - h);
//! V_h = max_a Q_h. Twelve tensor operations per step h, each a dispatch on
//! the GPU, where the kernel does whole episodes in one dispatch. The bench
//! page times it against `Lsvi::q_tables` (the same pass in Rust loops) on
//! the regressions the CPU path has learnt; it is not a path the lab runs.

use burn::tensor::{Tensor, TensorData};
use thermolab_gpu::TensorDevice;

use crate::algorithms::lsvi::Lsvi;
use crate::features::Features;
use crate::mdp::Mdp;

/// One step h's regressions of every seed, on the device.
struct StepTensors {
    a_inv: Tensor<3>,
    b: Tensor<3>,
    to_next: Tensor<3>,
    quadratic: Tensor<2>,
}

pub struct TensorPlanner {
    seeds: usize,
    states: usize,
    actions: usize,
    /// Phi^T, d x (S A).
    phi_t: Tensor<2>,
    /// Per h.
    steps: Vec<StepTensors>,
    device: TensorDevice,
}

impl TensorPlanner {
    /// Uploads `lsvi`'s regressions of `seeds` seeds, regrouped by h.
    pub fn new(
        lsvi: &Lsvi,
        mdp: &Mdp,
        features: &Features,
        seeds: usize,
        device: &TensorDevice,
    ) -> Self {
        let (horizon, s, a, d) = (mdp.horizon, mdp.states, mdp.actions, features.dim);
        let [a_inv, b, to_next, quadratic] = lsvi.tables();
        // Run seed * H + h's block of `table`, blocks of `size`, for every seed.
        let by_h = |table: &[f64], size: usize, h: usize| -> Vec<f32> {
            (0..seeds)
                .flat_map(|seed| {
                    let run = seed * horizon + h;
                    table[run * size..(run + 1) * size]
                        .iter()
                        .map(|x| *x as f32)
                })
                .collect()
        };
        let tensor3 = |values: Vec<f32>, shape: [usize; 3]| {
            Tensor::<3>::from_data(TensorData::new(values, shape), device)
        };
        let steps = (0..horizon)
            .map(|h| StepTensors {
                a_inv: tensor3(by_h(a_inv, d * d, h), [seeds, d, d]),
                b: tensor3(by_h(b, d, h), [seeds, d, 1]),
                to_next: tensor3(by_h(to_next, s * d, h), [seeds, s, d]),
                quadratic: Tensor::from_data(
                    TensorData::new(by_h(quadratic, s * a, h), [seeds, s * a]),
                    device,
                ),
            })
            .collect();
        let phi: Vec<f32> = features.phi.iter().map(|x| *x as f32).collect();
        let phi_t = Tensor::<2>::from_data(TensorData::new(phi, [s * a, d]), device).transpose();
        Self {
            seeds,
            states: s,
            actions: a,
            phi_t,
            steps,
            device: device.clone(),
        }
    }

    /// Q_h of every seed, read back: `[h][seed * S * A + pair]`.
    pub async fn q_tables(&self, beta: f64) -> Result<Vec<Vec<f32>>, String> {
        let (seeds, s, a) = (self.seeds, self.states, self.actions);
        let horizon = self.steps.len();
        let d = self.phi_t.dims()[0];
        let mut v_next = Tensor::<3>::zeros([seeds, 1, s], &self.device);
        let mut q = Vec::with_capacity(horizon);
        for (h, step) in self.steps.iter().enumerate().rev() {
            let future = v_next.matmul(step.to_next.clone()).swap_dims(1, 2);
            let w = step.a_inv.clone().matmul(step.b.clone() + future);
            let fit = w.reshape([seeds, d]).matmul(self.phi_t.clone());
            let bonus = step
                .quadratic
                .clone()
                .clamp_min(0.0)
                .sqrt()
                .mul_scalar(beta);
            let cap = (horizon - h) as f64;
            let qh = (fit + bonus).clamp(-cap, cap);
            v_next = qh
                .clone()
                .reshape([seeds, s, a])
                .max_dim(2)
                .reshape([seeds, 1, s]);
            q.push(qh);
        }
        q.reverse();
        let data = Tensor::cat(q, 0)
            .into_data_async()
            .await
            .map_err(|e| format!("readback failed: {e:?}"))?;
        let values = data
            .try_to_vec::<f32>()
            .map_err(|e| format!("unexpected result type: {e:?}"))?;
        Ok(values
            .chunks_exact(seeds * s * a)
            .map(<[f32]>::to_vec)
            .collect())
    }
}
