//! `x·Wᵀ + b` for inputs of a few rows (a text query's tokens), on the CPU.
//!
//! gemm is built for big products: it runs outer-product micro-kernels over panels of 16×6
//! and, with only ~8 token rows, spends most of its arithmetic on padding and its time on
//! waking threads per call (measured: 65 % of a text query in its micro-kernels, ~15 % in
//! the scheduler). Here each output is a dot product of a weight row with a token row,
//! both contiguous along `k`: the weight matrix streams from memory once, four rows at a
//! time, while the token rows stay in L1, and each weight vector loaded feeds three
//! fused multiply-adds. Same products, summed in a different order (differences ~1e-7
//! relative), no copies, no packing.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Device, Layout, Result, Shape, Tensor};
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

/// Weight rows handed to one task: enough work to pay for the hand-off, small enough that
/// both cores get an even share of a 512-row matrix.
const ROWS_PER_TASK: usize = 64;

/// Token rows per pass over a weight row: 8 accumulators are enough independent fused
/// multiply-adds to hide their latency and leave registers for the loads (16 with AVX2).
const BLOCK_T: usize = 8;

/// The op: `apply_op2_no_bwd(x, w)` with `x` (…, k) and `w` (m, k), both f32.
pub(crate) struct FewRowsMatmul {
    pub(crate) bias: Option<Vec<f32>>,
}

impl FewRowsMatmul {
    pub(crate) fn new(bias: Option<Vec<f32>>) -> Self {
        Self { bias }
    }
}

/// `v` as f16 bits, f16 subnormals (|v| < 6.1e-5) made zero: widening then never meets an
/// f32 subnormal, which costs a microcode assist per vector.
fn f16_bits(v: f32) -> u16 {
    let b = half::f16::from_f32(v).to_bits();
    if b & 0x7c00 == 0 { b & 0x8000 } else { b }
}

/// `v` rounded as [`HalfWeights`] stores it: weights rounded with this once give the same
/// products on every path.
pub(crate) fn round_to_f16(v: f32) -> f32 {
    half::f16::from_bits(f16_bits(v)).to_f32()
}

/// Widens one f16 (in the low 16 bits) to f32, as [`dots_f16`] does in registers.
fn widen(h: u32) -> f32 {
    half::f16::from_bits((h & 0xffff) as u16).to_f32()
}

/// A weight matrix (m, k) kept only as f16, for `x·Wᵀ + b` on the CPU: a text query reads
/// every weight once, so memory bounds it and f16 halves the bytes read; and a text tower
/// kept this way holds half the memory at rest (ViT-B/32: 76 MB instead of 152 MB, or of
/// 228 MB when an f32 copy was kept beside it for batches). Rounding the weights to f16
/// moves the products by ~1e-4 relative; the parity tests hold.
///
/// Few rows (`apply_op1_no_bwd`) are multiplied straight from the f16 words; more rows go
/// through gemm on a widened copy made for the call ([`HalfWeights::widened`]), which gives
/// the same rounded values, so a text embeds the same alone or in a batch.
pub(crate) struct HalfWeights {
    /// Element `2i` in the low half of word `i`, `2i + 1` in the high half.
    packed: Vec<u32>,
    m: usize,
    k: usize,
    bias: Option<Vec<f32>>,
}

impl HalfWeights {
    /// From an f32 matrix `w` (m, k) with `k` even (rows of f16 pairs), on the CPU; `None`
    /// for another shape, dtype or device (then the caller keeps `w`).
    pub(crate) fn new(w: &Tensor, bias: Option<Vec<f32>>) -> Result<Option<Self>> {
        let (m, k) = w.dims2()?;
        if k % 2 != 0 || w.dtype() != DType::F32 || !w.device().is_cpu() {
            return Ok(None);
        }
        let packed = w
            .flatten_all()?
            .to_vec1::<f32>()?
            .chunks_exact(2)
            .map(|p| u32::from(f16_bits(p[0])) | (u32::from(f16_bits(p[1])) << 16))
            .collect();
        Ok(Some(Self { packed, m, k, bias }))
    }

    /// The matrix as f32 (the rounded values), for gemm.
    pub(crate) fn widened(&self, device: &Device) -> Result<Tensor> {
        let w: Vec<f32> = self
            .packed
            .iter()
            .flat_map(|&p| [widen(p), widen(p >> 16)])
            .collect();
        Tensor::from_vec(w, (self.m, self.k), device)
    }
}

impl CustomOp1 for HalfWeights {
    fn name(&self) -> &'static str {
        "few-rows-matmul-f16"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let Some((x0, x1)) = xl.contiguous_offsets() else {
            candle_core::bail!("few-rows-matmul needs a contiguous input");
        };
        let x = &xs.as_slice::<f32>()?[x0..x1];
        let (m, k) = (self.m, self.k);
        let outer = check_shapes(xl, m, k, self.bias.as_deref())?;
        let rows = x.len() / k.max(1);
        let mut out_t = vec![0f32; m * rows];
        if rows > 0 && k > 0 {
            let half_k = k / 2;
            // The token rows split into even and odd elements, to meet the packed pairs.
            let (even, odd): (Vec<f32>, Vec<f32>) = x.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
            out_t
                .par_chunks_mut(ROWS_PER_TASK * rows)
                .enumerate()
                .for_each(|(task, out)| {
                    let first = task * ROWS_PER_TASK;
                    let count = out.len() / rows;
                    Arch::new().dispatch(HalfDots {
                        w: &self.packed[first * half_k..(first + count) * half_k],
                        even: &even,
                        odd: &odd,
                        half_k,
                        rows,
                        out,
                    });
                });
        }
        Ok(finish(&out_t, rows, m, self.bias.as_deref(), outer))
    }
}

/// The leading dimensions of `x` (…, k) for weights (m, k), or an error naming the shapes.
fn check_shapes<'l>(
    xl: &'l Layout,
    m: usize,
    k: usize,
    bias: Option<&[f32]>,
) -> Result<&'l [usize]> {
    let Some((&xk, outer)) = xl.shape().dims().split_last() else {
        candle_core::bail!("few-rows-matmul needs a matrix input");
    };
    if xk != k || bias.is_some_and(|b| b.len() != m) {
        candle_core::bail!(
            "few-rows-matmul: shapes {:?} x ({m}, {k})ᵀ do not match",
            xl.shape()
        );
    }
    Ok(outer)
}

/// Transposes the products (m, rows) → (rows, m), adds the bias, and shapes the output
/// like the input with `m` last.
fn finish(
    out_t: &[f32],
    rows: usize,
    m: usize,
    bias: Option<&[f32]>,
    outer: &[usize],
) -> (CpuStorage, Shape) {
    let mut y = vec![0f32; rows * m];
    for (j, col) in out_t.chunks_exact(rows.max(1)).enumerate() {
        let b = bias.map_or(0.0, |b| b[j]);
        for (t, v) in col.iter().enumerate() {
            y[t * m + j] = v + b;
        }
    }
    let mut shape = outer.to_vec();
    shape.push(m);
    (CpuStorage::F32(y), Shape::from(shape))
}

impl CustomOp2 for FewRowsMatmul {
    fn name(&self) -> &'static str {
        "few-rows-matmul"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (Some((x0, x1)), Some((w0, w1))) = (xl.contiguous_offsets(), wl.contiguous_offsets())
        else {
            candle_core::bail!("few-rows-matmul needs contiguous inputs");
        };
        let x = &xs.as_slice::<f32>()?[x0..x1];
        let w = &ws.as_slice::<f32>()?[w0..w1];
        let (m, k) = wl.shape().dims2()?;
        let outer = check_shapes(xl, m, k, self.bias.as_deref())?;
        let rows = x.len() / k.max(1);
        let mut out_t = vec![0f32; m * rows];
        if rows > 0 && k > 0 {
            out_t
                .par_chunks_mut(ROWS_PER_TASK * rows)
                .enumerate()
                .for_each(|(task, out)| {
                    let first = task * ROWS_PER_TASK;
                    let count = out.len() / rows;
                    Arch::new().dispatch(Dots {
                        w: &w[first * k..(first + count) * k],
                        x,
                        k,
                        rows,
                        out,
                    });
                });
        }
        Ok(finish(&out_t, rows, m, self.bias.as_deref(), outer))
    }
}

/// Calls `kernel::<S, T>(args)` with `T` the group's length (1..=[`BLOCK_T`]): the
/// accumulators are an array of `T`, so each length is its own instance.
macro_rules! by_group_len {
    ($len:expr, $kernel:ident::<$s:ty>($($arg:expr),*)) => {
        match $len {
            1 => $kernel::<$s, 1>($($arg),*),
            2 => $kernel::<$s, 2>($($arg),*),
            3 => $kernel::<$s, 3>($($arg),*),
            4 => $kernel::<$s, 4>($($arg),*),
            5 => $kernel::<$s, 5>($($arg),*),
            6 => $kernel::<$s, 6>($($arg),*),
            7 => $kernel::<$s, 7>($($arg),*),
            _ => $kernel::<$s, BLOCK_T>($($arg),*),
        }
    };
}

/// One task: `out[j * rows + t] = w[j] · x[t]` for this task's weight rows `j`.
struct Dots<'a> {
    w: &'a [f32],
    x: &'a [f32],
    k: usize,
    rows: usize,
    out: &'a mut [f32],
}

impl WithSimd for Dots<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self { w, x, k, rows, out } = self;
        let tokens: Vec<&[f32]> = x.chunks_exact(k).collect();
        for (row, out) in w.chunks_exact(k).zip(out.chunks_exact_mut(rows)) {
            // One pass over the weight row per group of up to 8 tokens; the row is read from
            // memory once and stays in L1 for the next group.
            for (group, out) in tokens.chunks(BLOCK_T).zip(out.chunks_mut(BLOCK_T)) {
                by_group_len!(group.len(), dots::<S>(simd, row, group, out));
            }
        }
    }
}

/// `out[t] = w · x[t]` for `T` token rows, in `T` SIMD accumulators.
#[inline(always)]
fn dots<S: Simd, const T: usize>(simd: S, w: &[f32], x: &[&[f32]], out: &mut [f32]) {
    let (wv, wt) = S::as_simd_f32s(w);
    let xs: [(&[S::f32s], &[f32]); T] = std::array::from_fn(|t| S::as_simd_f32s(x[t]));
    let n = wv.len();
    // All rows come from `chunks_exact(k)`; stating it lets the compiler drop the bounds
    // checks in the loop.
    assert!(xs.iter().all(|(h, _)| h.len() == n) && out.len() >= T);
    let mut acc = [simd.splat_f32s(0.0); T];
    for (i, &v) in wv.iter().enumerate() {
        for t in 0..T {
            acc[t] = simd.mul_add_e_f32s(v, xs[t].0[i], acc[t]);
        }
    }
    for t in 0..T {
        let tail: f32 = wt.iter().zip(xs[t].1).map(|(p, q)| p * q).sum();
        out[t] = simd.reduce_sum_f32s(acc[t]) + tail;
    }
}

/// [`Dots`] over f16 pairs: `out[j * rows + t] = w[j] · x[t]`, `w` widened in registers.
struct HalfDots<'a> {
    w: &'a [u32],
    even: &'a [f32],
    odd: &'a [f32],
    half_k: usize,
    rows: usize,
    out: &'a mut [f32],
}

impl WithSimd for HalfDots<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            w,
            even,
            odd,
            half_k,
            rows,
            out,
        } = self;
        let even: Vec<&[f32]> = even.chunks_exact(half_k).collect();
        let odd: Vec<&[f32]> = odd.chunks_exact(half_k).collect();
        for (row, out) in w.chunks_exact(half_k).zip(out.chunks_exact_mut(rows)) {
            for ((e, o), out) in even
                .chunks(BLOCK_T)
                .zip(odd.chunks(BLOCK_T))
                .zip(out.chunks_mut(BLOCK_T))
            {
                by_group_len!(e.len(), dots_f16::<S>(simd, row, e, o, out));
            }
        }
    }
}

/// `out[t] = w · x[t]` for `T` token rows, `w` as packed f16 pairs. An f16's magnitude
/// bits shifted into an f32's place read as the value times 2⁻¹¹²; one multiply puts it
/// right (exact, subnormals having been flushed), and the sign bit moves over as is.
#[inline(always)]
fn dots_f16<S: Simd, const T: usize>(
    simd: S,
    w: &[u32],
    even: &[&[f32]],
    odd: &[&[f32]],
    out: &mut [f32],
) {
    use pulp::bytemuck::cast;
    let (wv, wt) = S::as_simd_u32s(w);
    let es: [(&[S::f32s], &[f32]); T] = std::array::from_fn(|t| S::as_simd_f32s(even[t]));
    let os: [(&[S::f32s], &[f32]); T] = std::array::from_fn(|t| S::as_simd_f32s(odd[t]));
    let n = wv.len();
    assert!(
        es.iter().chain(&os).all(|(h, _)| h.len() == n) && out.len() >= T,
        "rows come from chunks_exact(half_k)"
    );
    let low_mag = simd.splat_u32s(0x7fff);
    let low_sign = simd.splat_u32s(0x8000);
    let high_mag = simd.splat_u32s(0x7fff_0000);
    let high_sign = simd.splat_u32s(0x8000_0000);
    let by13 = simd.splat_u32s(13);
    let by16 = simd.splat_u32s(16);
    let by3 = simd.splat_u32s(3);
    let scale = simd.splat_f32s(f32::from_bits(0x7780_0000)); // 2¹¹²
    let mut acc = [simd.splat_f32s(0.0); T];
    for (i, &v) in wv.iter().enumerate() {
        let lo_mag: S::f32s = cast(simd.wrapping_dyn_shl_u32s(simd.and_u32s(v, low_mag), by13));
        let lo_sign = simd.wrapping_dyn_shl_u32s(simd.and_u32s(v, low_sign), by16);
        let lo: S::f32s = cast(simd.or_u32s(cast(simd.mul_f32s(lo_mag, scale)), lo_sign));
        let hi_mag: S::f32s = cast(simd.wrapping_dyn_shr_u32s(simd.and_u32s(v, high_mag), by3));
        let hi_sign = simd.and_u32s(v, high_sign);
        let hi: S::f32s = cast(simd.or_u32s(cast(simd.mul_f32s(hi_mag, scale)), hi_sign));
        for t in 0..T {
            acc[t] = simd.mul_add_e_f32s(lo, es[t].0[i], acc[t]);
            acc[t] = simd.mul_add_e_f32s(hi, os[t].0[i], acc[t]);
        }
    }
    for t in 0..T {
        let tail: f32 = wt
            .iter()
            .zip(es[t].1.iter().zip(os[t].1))
            .map(|(&p, (&e, &o))| widen(p) * e + widen(p >> 16) * o)
            .sum();
        out[t] = simd.reduce_sum_f32s(acc[t]) + tail;
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::{FewRowsMatmul, HalfWeights};

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
            .collect()
    }

    /// Every remainder of the 8-token groups, SIMD tails (k not a multiple of 8) and task
    /// splits (m around 64) against candle's own matmul.
    #[test]
    fn equals_candle_matmul_for_every_block_remainder() -> candle_core::Result<()> {
        let cpu = Device::Cpu;
        for rows in [1, 2, 3, 7, 8, 9, 16, 17, 32] {
            for k in [1, 5, 8, 37, 512] {
                for m in [1, 3, 64, 65, 130] {
                    for with_bias in [false, true] {
                        let x = Tensor::from_vec(values(rows * k, 1), (1, rows, k), &cpu)?;
                        let w = Tensor::from_vec(values(m * k, 2), (m, k), &cpu)?;
                        let bias = values(m, 3);
                        let mut want = x.broadcast_matmul(&w.t()?)?;
                        if with_bias {
                            want = want.broadcast_add(&Tensor::new(bias.as_slice(), &cpu)?)?;
                        }
                        let op = FewRowsMatmul::new(with_bias.then_some(bias));
                        let got = x.apply_op2_no_bwd(&w, &op)?;
                        assert_eq!(got.dims(), want.dims(), "rows {rows} k {k} m {m}");
                        let diff = (got - &want)?.abs()?.max_all()?.to_scalar::<f32>()?;
                        let scale = want.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
                        assert!(
                            diff <= 1e-5 * scale * (k as f32).sqrt(),
                            "rows {rows} k {k} m {m} bias {with_bias}: off by {diff}"
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// With f16 weights: the products of the weights rounded to f16 (subnormals flushed),
    /// for every token-group remainder, SIMD tail and task split; the widened copy (the
    /// gemm path) holds the same rounded values; an odd `k` is left to the f32 path.
    #[test]
    fn half_weights_equal_the_products_of_rounded_weights() -> candle_core::Result<()> {
        let cpu = Device::Cpu;
        for rows in [1, 3, 8, 9, 32] {
            for k in [2, 5, 38, 512, 2048] {
                for m in [1, 7, 64, 65, 130] {
                    let x = Tensor::from_vec(values(rows * k, 1), (1, rows, k), &cpu)?;
                    // Spread over f16's range, with signs, zeros and would-be subnormals.
                    let wv: Vec<f32> = values(m * k, 2)
                        .iter()
                        .enumerate()
                        .map(|(i, v)| v * [1.0, 0.02, 3e-5, 0.0, 250.0][i % 5])
                        .collect();
                    let rounded: Vec<f32> = wv
                        .iter()
                        .map(|&v| {
                            let h = half::f16::from_f32(v);
                            if h.is_normal() { h.to_f32() } else { 0.0 }
                        })
                        .collect();
                    let w = Tensor::from_vec(wv.clone(), (m, k), &cpu)?;
                    let bias = values(m, 3);
                    let Some(op) = HalfWeights::new(&w, Some(bias.clone()))? else {
                        assert!(k % 2 == 1, "k {k} is even: f16 pairs fit");
                        continue;
                    };
                    assert!(k % 2 == 0, "k {k} is odd: no f16 pairs");
                    let widened = op.widened(&cpu)?.flatten_all()?.to_vec1::<f32>()?;
                    assert_eq!(widened, rounded, "m {m} k {k}: widened copy");
                    let bias_t = Tensor::new(bias.as_slice(), &cpu)?;
                    let want = x
                        .broadcast_matmul(&Tensor::from_vec(rounded, (m, k), &cpu)?.t()?)?
                        .broadcast_add(&bias_t)?;
                    let got = x.apply_op1_no_bwd(&op)?;
                    let scale = want.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
                    let diff = (&got - &want)?.abs()?.max_all()?.to_scalar::<f32>()?;
                    assert!(
                        diff <= 1e-5 * scale * (k as f32).sqrt(),
                        "rows {rows} k {k} m {m}: off the rounded product by {diff}"
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn refuses_mismatched_shapes() -> candle_core::Result<()> {
        let cpu = Device::Cpu;
        let x = Tensor::zeros((2, 8), candle_core::DType::F32, &cpu)?;
        let w = Tensor::zeros((4, 7), candle_core::DType::F32, &cpu)?;
        let op = FewRowsMatmul::new(None);
        assert!(x.apply_op2_no_bwd(&w, &op).is_err());
        Ok(())
    }
}
