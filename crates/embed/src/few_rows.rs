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
        let outer = check_shapes(self.name(), xl, m, k, self.bias.as_deref())?;
        let rows = x.len() / k.max(1);
        let mut out_t = vec![0f32; m * rows];
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(level)) = (rows > 0 && k > 0, x86::level()) {
            let w = pulp::bytemuck::cast_slice::<u32, u16>(&self.packed);
            by_tasks(&mut out_t, rows, |first, count, out| {
                x86::dots_f16(level, &w[first * k..(first + count) * k], x, k, out);
            });
            return Ok(finish(&out_t, rows, m, self.bias.as_deref(), outer));
        }
        if rows > 0 && k > 0 {
            let half_k = k / 2;
            // The token rows split into even and odd elements, to meet the packed pairs.
            let (even, odd): (Vec<f32>, Vec<f32>) = x.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
            by_tasks(&mut out_t, rows, |first, count, out| {
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

/// `task(first, count, out)` for blocks of [`ROWS_PER_TASK`] weight rows in parallel:
/// weight rows `first..first + count`, whose products with the `rows` token rows go to
/// `out` (count, rows).
fn by_tasks(out_t: &mut [f32], rows: usize, task: impl Fn(usize, usize, &mut [f32]) + Sync) {
    out_t
        .par_chunks_mut(ROWS_PER_TASK * rows)
        .enumerate()
        .for_each(|(i, out)| task(i * ROWS_PER_TASK, out.len() / rows, out));
}

/// The leading dimensions of `x` (…, k) for weights (m, k), or an error naming the op and
/// the shapes.
pub(crate) fn check_shapes<'l>(
    op: &str,
    xl: &'l Layout,
    m: usize,
    k: usize,
    bias: Option<&[f32]>,
) -> Result<&'l [usize]> {
    let Some((&xk, outer)) = xl.shape().dims().split_last() else {
        candle_core::bail!("{op} needs a matrix input");
    };
    if xk != k || bias.is_some_and(|b| b.len() != m) {
        candle_core::bail!("{op}: shapes {:?} x ({m}, {k})ᵀ do not match", xl.shape());
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
        let outer = check_shapes(self.name(), xl, m, k, self.bias.as_deref())?;
        let rows = x.len() / k.max(1);
        let mut out_t = vec![0f32; m * rows];
        if rows > 0 && k > 0 {
            by_tasks(&mut out_t, rows, |first, count, out| {
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

/// [`HalfDots`] with the CPU's own f16 → f32 conversion (`vcvtph2ps`), which pulp does not
/// offer: widening by shifts and masks cost ~9 vector operations per 32 weights on the
/// same ports as the fused multiply-adds, and a text query's products are bound by those
/// ports as much as by memory on a small machine (2-vCPU Sapphire Rapids: one text pass's
/// 72 products for 8 tokens 11.3 → 8.7 ms, docs/BENCHMARKS.md). Same rounded weights, so
/// the same products up to summation order.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::{
        __m256, _mm_add_ps, _mm_cvtss_f32, _mm_hadd_ps, _mm_loadu_si128, _mm256_castps256_ps128,
        _mm256_cvtph_ps, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps,
        _mm256_loadu_si256, _mm256_setzero_ps, _mm512_cvtph_ps, _mm512_fmadd_ps, _mm512_loadu_ps,
        _mm512_reduce_add_ps, _mm512_setzero_ps,
    };
    use std::sync::OnceLock;

    use super::BLOCK_T;

    /// The instruction sets the kernels are built for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Level {
        /// 16 lanes.
        Avx512,
        /// 8 lanes, with F16C and FMA (every x86 CPU since 2013–2015).
        Avx2,
    }

    /// The widest level this CPU runs, `None` before AVX2 (pulp's path then).
    pub(super) fn level() -> Option<Level> {
        static LEVEL: OnceLock<Option<Level>> = OnceLock::new();
        *LEVEL.get_or_init(|| {
            if is_x86_feature_detected!("avx512f") {
                Some(Level::Avx512)
            } else if is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c")
            {
                Some(Level::Avx2)
            } else {
                None
            }
        })
    }

    /// Whether this CPU runs `level` (for tests of the narrower level).
    #[cfg(test)]
    pub(super) fn runs(level: Level) -> bool {
        match level {
            Level::Avx512 => self::level() == Some(Level::Avx512),
            Level::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("f16c")
            }
        }
    }

    /// `out[j * rows + t] = w[j] · x[t]` for the weight rows `w` (f16 bits, `k` each) and
    /// the token rows `x` (`k` each). `level` must be one this CPU runs, as [`level`] finds.
    pub(super) fn dots_f16(level: Level, w: &[u16], x: &[f32], k: usize, out: &mut [f32]) {
        let tokens: Vec<&[f32]> = x.chunks_exact(k).collect();
        assert!(
            w.len().is_multiple_of(k) && out.len() == w.len() / k * tokens.len(),
            "dots_f16: {} weights, {} token values, k {k}, {} outputs",
            w.len(),
            x.len(),
            out.len()
        );
        for (row, out) in w.chunks_exact(k).zip(out.chunks_exact_mut(tokens.len())) {
            for (group, out) in tokens.chunks(BLOCK_T).zip(out.chunks_mut(BLOCK_T)) {
                match level {
                    // SAFETY: `level` was detected on this CPU (see above).
                    Level::Avx512 => unsafe { by_len_512(row, group, out) },
                    // SAFETY: as above.
                    Level::Avx2 => unsafe { by_len_256(row, group, out) },
                }
            }
        }
    }

    macro_rules! by_len {
        ($name:ident, $kernel:ident, $features:literal) => {
            #[target_feature(enable = $features)]
            fn $name(w: &[u16], x: &[&[f32]], out: &mut [f32]) {
                match x.len() {
                    1 => $kernel::<1>(w, x, out),
                    2 => $kernel::<2>(w, x, out),
                    3 => $kernel::<3>(w, x, out),
                    4 => $kernel::<4>(w, x, out),
                    5 => $kernel::<5>(w, x, out),
                    6 => $kernel::<6>(w, x, out),
                    7 => $kernel::<7>(w, x, out),
                    _ => $kernel::<BLOCK_T>(w, x, out),
                }
            }
        };
    }
    by_len!(by_len_512, dots_512, "avx512f");
    by_len!(by_len_256, dots_256, "avx2,fma,f16c");

    /// The part of `w · x[t]` past the last whole vector, `w` from `from` on.
    fn tail(w: &[u16], x: &[f32], from: usize) -> f32 {
        w[from..]
            .iter()
            .zip(&x[from..])
            .map(|(&h, &v)| half::f16::from_bits(h).to_f32() * v)
            .sum()
    }

    /// `$name::<T>(w, x, out)`: `out[t] = w · x[t]` for `T` token rows, `$lanes` lanes at a
    /// time; `$widen` turns a pointer to `$lanes` f16 into a vector of f32, `$load` reads
    /// `$lanes` f32, `$sum` adds a vector's lanes. One body for both widths, whose
    /// instructions all differ.
    macro_rules! dots_kernel {
        (
            $name:ident, $features:literal, $lanes:literal, $zero:expr,
            |$wp:ident| $widen:expr, |$xp:ident| $load:expr, $fma:ident, |$acc:ident| $sum:expr
        ) => {
            #[target_feature(enable = $features)]
            fn $name<const T: usize>(w: &[u16], x: &[&[f32]], out: &mut [f32]) {
                let k = w.len();
                assert!(x.len() >= T && out.len() >= T && x[..T].iter().all(|r| r.len() == k));
                let xs: [*const f32; T] = std::array::from_fn(|t| x[t].as_ptr());
                let whole = k / $lanes * $lanes;
                let mut acc = [$zero; T];
                let mut i = 0;
                while i < whole {
                    let $wp = w.as_ptr().wrapping_add(i);
                    // SAFETY: i + lanes <= whole <= k, the length of `w` and of every
                    // token row.
                    let wv = unsafe { $widen };
                    for t in 0..T {
                        let $xp = xs[t].wrapping_add(i);
                        // SAFETY: as above.
                        let xv = unsafe { $load };
                        acc[t] = $fma(wv, xv, acc[t]);
                    }
                    i += $lanes;
                }
                for t in 0..T {
                    let $acc = acc[t];
                    out[t] = $sum + tail(w, x[t], whole);
                }
            }
        };
    }
    dots_kernel!(
        dots_512,
        "avx512f",
        16,
        _mm512_setzero_ps(),
        |p| _mm512_cvtph_ps(_mm256_loadu_si256(p.cast())),
        |p| _mm512_loadu_ps(p),
        _mm512_fmadd_ps,
        |a| _mm512_reduce_add_ps(a)
    );
    dots_kernel!(
        dots_256,
        "avx2,fma,f16c",
        8,
        _mm256_setzero_ps(),
        |p| _mm256_cvtph_ps(_mm_loadu_si128(p.cast())),
        |p| _mm256_loadu_ps(p),
        _mm256_fmadd_ps,
        |a| sum_256(a)
    );

    /// The sum of a vector's 8 lanes.
    #[target_feature(enable = "avx2")]
    fn sum_256(a: __m256) -> f32 {
        let four = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps::<1>(a));
        let two = _mm_hadd_ps(four, four);
        _mm_cvtss_f32(_mm_hadd_ps(two, two))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use candle_core::{Device, Tensor};

    use super::{FewRowsMatmul, HalfWeights};

    /// `n` values in [-1, 1) in a fixed pattern per `seed`.
    pub(crate) fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
            .collect()
    }

    /// `product(x, w, bias)` against candle's own `x·wᵀ + bias` for every count of token
    /// rows, `k` and `m` given, with and without a bias.
    pub(crate) fn matches_candle_matmul(
        rows_list: &[usize],
        ks: &[usize],
        ms: &[usize],
        product: impl Fn(&Tensor, &Tensor, Option<Vec<f32>>) -> candle_core::Result<Tensor>,
    ) -> candle_core::Result<()> {
        let cpu = Device::Cpu;
        for &rows in rows_list {
            for &k in ks {
                for &m in ms {
                    for with_bias in [false, true] {
                        let x = Tensor::from_vec(values(rows * k, 1), (1, rows, k), &cpu)?;
                        let w = Tensor::from_vec(values(m * k, 2), (m, k), &cpu)?;
                        let bias = values(m, 3);
                        let mut want = x.broadcast_matmul(&w.t()?)?;
                        if with_bias {
                            want = want.broadcast_add(&Tensor::new(bias.as_slice(), &cpu)?)?;
                        }
                        let got = product(&x, &w, with_bias.then_some(bias))?;
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

    /// Every remainder of the 8-token groups, SIMD tails (k not a multiple of 8) and task
    /// splits (m around 64) against candle's own matmul.
    #[test]
    fn equals_candle_matmul_for_every_block_remainder() -> candle_core::Result<()> {
        matches_candle_matmul(
            &[1, 2, 3, 7, 8, 9, 16, 17, 32],
            &[1, 5, 8, 37, 512],
            &[1, 3, 64, 65, 130],
            |x, w, bias| x.apply_op2_no_bwd(w, &FewRowsMatmul::new(bias)),
        )
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

    /// Each x86 kernel this CPU runs (the 8-lane one too, which a CPU with 16 lanes never
    /// picks) against the products of the rounded weights summed in f64, with vector tails.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_x86_level_equals_the_rounded_products() {
        use super::x86::{Level, dots_f16, runs};
        let levels: Vec<Level> = [Level::Avx512, Level::Avx2]
            .into_iter()
            .filter(|&l| runs(l))
            .collect();
        for level in levels {
            for rows in [1, 2, 7, 8, 9, 17] {
                for k in [1, 6, 8, 16, 38, 512] {
                    let m = 5;
                    let x = values(rows * k, 1);
                    let w: Vec<u16> = values(m * k, 2)
                        .iter()
                        .map(|&v| half::f16::from_f32(v).to_bits())
                        .collect();
                    let mut out = vec![0f32; m * rows];
                    dots_f16(level, &w, &x, k, &mut out);
                    for j in 0..m {
                        for t in 0..rows {
                            let want: f64 = (0..k)
                                .map(|i| {
                                    f64::from(half::f16::from_bits(w[j * k + i]).to_f32())
                                        * f64::from(x[t * k + i])
                                })
                                .sum();
                            let got = f64::from(out[j * rows + t]);
                            assert!(
                                (got - want).abs() <= 1e-5 * (k as f64).sqrt(),
                                "{level:?} rows {rows} k {k}: w{j}·x{t} {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
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
