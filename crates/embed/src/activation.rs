//! The MLP activations (GELU, its tanh approximation, quick GELU) on the CPU, vectorized and on every core.
//!
//! Candle computes them one element at a time, on one thread, through libm's `tanhf` (or
//! `expf`): for SigLIP 2 B/16 that was ~75 ms of the ~250 ms an image takes on two cores
//! (perf: `__expm1f` and `__tanhf` 16 % of the CPU, while the other core waited). Both
//! are `x · sigmoid(c(x))`, so one branch-free `exp` serves them: written as plain
//! arithmetic (as is `erf`, for the exact GELU), it is vectorized by the compiler inside pulp's dispatch (AVX-512 or AVX2
//! where the CPU has them), and rayon splits the tensor between the cores.
//!
//! Accuracy: the `exp` is Cephes' `expf` (range reduction by ln 2, degree-6 polynomial),
//! within 2 ulp; `x / (1 + e^(−2u))` equals `0.5·x·(1 + tanh u)` exactly in real numbers
//! and is more accurate than it in f32 for large negative `x`, where `1 + tanh u`
//! cancels. The unit tests bound the difference from candle's own at 1e-6 relative; the
//! transformers parity fixtures (1−cos ≤ 1e-5 text, 5e-5 image) run through these ops.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::config::Activation;

/// Elements per task: a few hundred microseconds of work, so both cores get even shares
/// of a layer's activations without paying a hand-off per row.
const CHUNK: usize = 1 << 15;

/// `sqrt(2/π)`, as in the tanh approximation of GELU.
const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// `x` through the MLP activation `kind`: CPU f32 tensors take the vectorized path,
/// others candle's ops.
pub(crate) fn apply(x: &Tensor, kind: Activation) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        return x.contiguous()?.apply_op1_no_bwd(&Vectorized(kind));
    }
    match kind {
        Activation::GeluTanh => x.gelu(),
        Activation::QuickGelu => x * candle_nn::ops::sigmoid(&(x * 1.702)?)?,
        Activation::Gelu => x.gelu_erf(),
    }
}

struct Vectorized(Activation);

impl CustomOp1 for Vectorized {
    fn name(&self) -> &'static str {
        match self.0 {
            Activation::GeluTanh => "gelu-tanh-vectorized",
            Activation::QuickGelu => "quick-gelu-vectorized",
            Activation::Gelu => "gelu-erf-vectorized",
        }
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("{} needs a contiguous input", self.name());
        };
        let x = &storage.as_slice::<f32>()?[start..end];
        let mut out = vec![0f32; x.len()];
        let kind = self.0;
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(out, x)| Arch::new().dispatch(Kernel { kind, x, out }));
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

struct Kernel<'a> {
    kind: Activation,
    x: &'a [f32],
    out: &'a mut [f32],
}

impl WithSimd for Kernel<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        // Plain loops: inlined here, they are compiled with the dispatched target features
        // and vectorized (no branches, no calls).
        let Self { kind, x, out } = self;
        match kind {
            Activation::GeluTanh => {
                for (o, &v) in out.iter_mut().zip(x) {
                    let u = SQRT_2_OVER_PI * (v + 0.044_715 * v * v * v);
                    *o = v / (1.0 + exp(-2.0 * u));
                }
            }
            Activation::QuickGelu => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = v / (1.0 + exp(-1.702 * v));
                }
            }
            Activation::Gelu => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
                }
            }
        }
    }
}

/// `e^x` without branches or calls (Cephes `expf`): `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`,
/// `e^r` by a degree-6 polynomial, `2^n` written into the exponent bits. Inputs are
/// clamped to where `e^x` and `2^n` are normal f32s (below, `e^x` < 1.2e-38; above 88.3,
/// `n` would reach 128, which has no exponent bits).
#[inline(always)]
fn exp(x: f32) -> f32 {
    // Adding 1.5·2²³ rounds to an integer, which the low bits of the sum then hold.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.3, 88.3);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let n_int = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    // Two steps so that `n·ln 2` loses no bits (Cody–Waite).
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    er * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// `erf(x)` without branches (Abramowitz and Stegun 7.1.26: absolute error ≤ 1.5e-7, so
/// GELU's is ≤ 0.75e-7·|x|).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let mut p = 1.061_405_4;
    p = p * t - 1.453_152;
    p = p * t + 1.421_413_8;
    p = p * t - 0.284_496_74;
    p = p * t + 0.254_829_6;
    (1.0 - p * t * exp(-a * a)).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Values across the range activations take, dense near 0 where GELU bends.
    fn inputs() -> Vec<f32> {
        let mut v: Vec<f32> = (-20_000..=20_000).map(|i| i as f32 * 1e-3).collect();
        v.extend((-100..=100).map(|i| i as f32 * 0.9));
        v.extend([0.0, -0.0, 1e-30, -1e-30, 1e6, -1e6, f32::MAX, f32::MIN]);
        v
    }

    #[test]
    fn exp_is_within_two_ulp_of_libm_where_it_is_normal() {
        let mut worst = 0f64;
        for i in -87_000..=88_000 {
            let x = i as f32 * 1e-3;
            let want = x.exp() as f64;
            let got = exp(x) as f64;
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 2.5e-7, "worst relative error {worst:e}");
        assert!(exp(-1000.0) > 0.0 && exp(-1000.0) < 1.3e-38);
        assert!(exp(1000.0).is_finite() && exp(1000.0) > 1e38);
    }

    fn compare(kind: Activation, reference: impl Fn(&Tensor) -> Result<Tensor>) -> Result<()> {
        let x = inputs();
        let n = x.len();
        let t = Tensor::from_vec(x.clone(), n, &Device::Cpu)?;
        let ours = apply(&t, kind)?.to_vec1::<f32>()?;
        let theirs = reference(&t)?.to_vec1::<f32>()?;
        for ((x, a), b) in x.iter().zip(&ours).zip(&theirs) {
            let tolerance = 1e-6 * x.abs().max(1.0);
            assert!(
                (a - b).abs() <= tolerance,
                "{kind:?}({x}): {a} here, {b} by candle"
            );
        }
        Ok(())
    }

    #[test]
    fn gelu_tanh_matches_candles() -> Result<()> {
        compare(Activation::GeluTanh, |t| t.gelu())
    }

    #[test]
    fn quick_gelu_matches_candles() -> Result<()> {
        compare(Activation::QuickGelu, |t| {
            t * candle_nn::ops::sigmoid(&(t * 1.702)?)?
        })
    }

    #[test]
    fn gelu_erf_matches_candles() -> Result<()> {
        compare(Activation::Gelu, |t| t.gelu_erf())
    }

    #[test]
    fn strided_and_batched_inputs_keep_their_shape_and_values() -> Result<()> {
        // A transposed (non-contiguous) input, bigger than one task.
        let n = 7 * (CHUNK / 2 + 5);
        let values: Vec<f32> = (0..n).map(|i| ((i % 997) as f32 - 498.0) * 0.01).collect();
        let t = Tensor::from_vec(values, (n / 7, 7), &Device::Cpu)?.t()?;
        let ours = apply(&t, Activation::GeluTanh)?;
        assert_eq!(ours.dims(), &[7, n / 7]);
        let diff = (ours - t.gelu()?)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "largest difference {diff}");
        Ok(())
    }
}
