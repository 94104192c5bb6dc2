//! Matrix multiply throughput through burn, on whichever device it is given:
//! 2 n^3 floating-point operations per product.

use burn::tensor::{Tensor, TensorData};
use thermolab_core::rng::CounterRng;
use thermolab_gpu::{TensorDevice, time_per_call};

pub fn flops(n: usize) -> f64 {
    2.0 * (n as f64).powi(3)
}

/// An n x n matrix with entries uniform in [-1, 1) from the counter RNG, so every
/// backend multiplies the same numbers.
pub fn random_matrix(n: usize, rng: CounterRng, stream: u32, device: &TensorDevice) -> Tensor<2> {
    let values: Vec<f32> = (0..n * n)
        .map(|i| 2.0 * rng.uniform(i as u32, 0, stream) - 1.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [n, n]), device)
}

/// A pair of operands kept on one device between steps.
pub struct Operands {
    pub n: usize,
    a: Tensor<2>,
    b: Tensor<2>,
}

impl Operands {
    pub async fn new(n: usize, rng: CounterRng, device: &TensorDevice) -> Result<Self, String> {
        let operands = Self {
            n,
            a: random_matrix(n, rng, 0, device),
            b: random_matrix(n, rng, 1, device),
        };
        // The first product compiles kernels; keep it out of the timings.
        operands.product_sum().await?;
        Ok(operands)
    }

    /// Sum of all entries of a·b; reading it back waits for the product.
    pub async fn product_sum(&self) -> Result<f64, String> {
        let sum = self.a.clone().matmul(self.b.clone()).sum();
        let data = sum
            .into_data_async()
            .await
            .map_err(|e| format!("readback failed: {e:?}"))?;
        data.try_to_vec::<f32>()
            .map_err(|e| format!("unexpected result type: {e:?}"))?
            .first()
            .map(|x| f64::from(*x))
            .ok_or_else(|| "empty result".to_string())
    }

    /// Times products, readback included, in GFLOP/s; also returns the sum.
    pub async fn measure(&self) -> Result<(f64, f64), String> {
        let (seconds, sum) = time_per_call(async || self.product_sum().await).await?;
        Ok((flops(self.n) / seconds / 1e9, sum))
    }
}
