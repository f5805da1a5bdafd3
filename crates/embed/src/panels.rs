//! `x·Wᵀ + b` on the CPU with `W` packed once, when the model loads, into panels of
//! [`PANEL`] output columns: SigLIP's text tower.
//!
//! A SigLIP text query is 64 token rows through every layer (its processor pads to 64 and
//! the model has no attention mask), which gemm multiplies at a third of PyTorch's speed:
//! each call packs the whole weight matrix into its own layout first, and a profile of a
//! query spent more time in that packing (42 %) than in its micro-kernels (34 %). Packed
//! here once, each call runs only the micro-kernel: for a block of token rows and one
//! panel, every step along `k` loads the panel's row of weights (two AVX-512 vectors),
//! broadcasts one value of each token row and does a fused multiply-add per pair, so the
//! accumulators never leave registers and no horizontal sums are needed. Same products in
//! f32, summed in `k` order (the parity tests hold).

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::few_rows::check_shapes;

/// Output columns per panel: two vectors of 16 lanes, four of 8.
const PANEL: usize = 32;

/// Token rows per block with two vectors per panel row (AVX-512): 16 accumulators, two
/// weight vectors and room for the broadcasts; a SigLIP query's 64 rows are 8 blocks.
const BLOCK_WIDE: usize = 8;

/// Token rows per block with four or more vectors per panel row (AVX2's 16 registers, or
/// NEON's 4 lanes): 8 accumulators per two rows fit beside the weight vectors.
const BLOCK_NARROW: usize = 2;

/// A weight matrix (m, k) in panels: panel `p` holds columns `p·PANEL..` of `Wᵀ`, row `i`
/// of it (the `PANEL` weights of input `i`) contiguous; the last panel is zero-padded.
pub(crate) struct PanelWeights {
    panels: Vec<f32>,
    m: usize,
    k: usize,
    bias: Option<Vec<f32>>,
}

impl PanelWeights {
    /// From an f32 matrix `w` (m, k) on the CPU; `None` for another dtype or device (then
    /// the caller keeps `w`).
    pub(crate) fn new(w: &Tensor, bias: Option<Vec<f32>>) -> Result<Option<Self>> {
        let (m, k) = w.dims2()?;
        if w.dtype() != DType::F32 || !w.device().is_cpu() {
            return Ok(None);
        }
        let flat = w.flatten_all()?.to_vec1::<f32>()?;
        let count = m.div_ceil(PANEL);
        let mut panels = vec![0f32; count * k * PANEL];
        if k > 0 {
            panels
                .par_chunks_exact_mut(k * PANEL)
                .enumerate()
                .for_each(|(p, panel)| {
                    // Written in order, read as `PANEL` sequential streams: writing a
                    // column at a time (a 128-byte stride) made a SigLIP 2 B/16 load ~2.7 s
                    // slower.
                    let rows: Vec<&[f32]> =
                        flat[p * PANEL * k..].chunks_exact(k).take(PANEL).collect();
                    for (i, dst) in panel.chunks_exact_mut(PANEL).enumerate() {
                        for (d, row) in dst.iter_mut().zip(&rows) {
                            *d = row[i];
                        }
                    }
                });
        }
        Ok(Some(Self { panels, m, k, bias }))
    }

    /// The matrix (m, k) as it was given.
    #[cfg(test)]
    pub(crate) fn weight(&self, device: &candle_core::Device) -> Result<Tensor> {
        let mut w = vec![0f32; self.m * self.k];
        for (j, row) in w.chunks_exact_mut(self.k).enumerate() {
            let panel = &self.panels[j / PANEL * self.k * PANEL..];
            for (i, v) in row.iter_mut().enumerate() {
                *v = panel[i * PANEL + j % PANEL];
            }
        }
        Tensor::from_vec(w, (self.m, self.k), device)
    }
}

impl CustomOp1 for PanelWeights {
    fn name(&self) -> &'static str {
        "panel-matmul"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let Some((x0, x1)) = xl.contiguous_offsets() else {
            candle_core::bail!("panel-matmul needs a contiguous input");
        };
        let x = &xs.as_slice::<f32>()?[x0..x1];
        let (m, k) = (self.m, self.k);
        let outer = check_shapes(self.name(), xl, m, k, self.bias.as_deref())?;
        let rows = x.len() / k.max(1);
        let count = m.div_ceil(PANEL);
        // Per panel, its (rows, PANEL) block of the output.
        let mut blocks = vec![0f32; count * rows * PANEL];
        if rows > 0 && k > 0 {
            blocks
                .par_chunks_mut(rows * PANEL)
                .zip(self.panels.par_chunks_exact(k * PANEL))
                .for_each(|(out, panel)| {
                    Arch::new().dispatch(PanelDots { panel, x, k, out });
                });
        }
        let mut y = vec![0f32; rows * m];
        for (p, block) in blocks.chunks_exact(rows.max(1) * PANEL).enumerate() {
            let width = PANEL.min(m - p * PANEL);
            for (t, out) in block.chunks_exact(PANEL).enumerate() {
                let dst = &mut y[t * m + p * PANEL..][..width];
                dst.copy_from_slice(&out[..width]);
                if let Some(b) = &self.bias {
                    for (d, b) in dst.iter_mut().zip(&b[p * PANEL..]) {
                        *d += b;
                    }
                }
            }
        }
        let mut shape = outer.to_vec();
        shape.push(m);
        Ok((CpuStorage::F32(y), Shape::from(shape)))
    }
}

/// One panel against every token row: `out[t·PANEL + c] = x[t] · Wᵀ[.., c]`.
struct PanelDots<'a> {
    panel: &'a [f32],
    x: &'a [f32],
    k: usize,
    out: &'a mut [f32],
}

impl WithSimd for PanelDots<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        match PANEL / (size_of::<S::f32s>() / size_of::<f32>()) {
            2 => blocks::<S, 2, BLOCK_WIDE>(simd, self),
            4 => blocks::<S, 4, BLOCK_NARROW>(simd, self),
            8 => blocks::<S, 8, BLOCK_NARROW>(simd, self),
            _ => blocks::<S, PANEL, 1>(simd, self),
        }
    }
}

/// The token rows in blocks of `T`, the rest one at a time (`V` vectors per panel row).
#[inline(always)]
fn blocks<S: Simd, const V: usize, const T: usize>(simd: S, d: PanelDots<'_>) {
    let PanelDots { panel, x, k, out } = d;
    let tokens: Vec<&[f32]> = x.chunks_exact(k).collect();
    let (weights, _) = S::as_simd_f32s(panel);
    let mut full = tokens.chunks_exact(T);
    let mut outs = out.chunks_exact_mut(T * PANEL);
    for (group, out) in full.by_ref().zip(outs.by_ref()) {
        block::<S, V, T>(simd, weights, group, out);
    }
    for (token, out) in full
        .remainder()
        .chunks(1)
        .zip(outs.into_remainder().chunks_exact_mut(PANEL))
    {
        block::<S, V, 1>(simd, weights, token, out);
    }
}

/// `T` token rows against one panel (`weights`: `k` rows of `V` vectors).
#[inline(always)]
fn block<S: Simd, const V: usize, const T: usize>(
    simd: S,
    weights: &[S::f32s],
    x: &[&[f32]],
    out: &mut [f32],
) {
    let k = weights.len() / V;
    let xs: [&[f32]; T] = std::array::from_fn(|t| x[t]);
    assert!(
        weights.len() == k * V && xs.iter().all(|r| r.len() == k) && out.len() == T * PANEL,
        "panel rows, token rows and outputs come from the same k"
    );
    let mut acc = [[simd.splat_f32s(0.0); V]; T];
    for (i, w) in weights.chunks_exact(V).enumerate() {
        for t in 0..T {
            let xv = simd.splat_f32s(xs[t][i]);
            for v in 0..V {
                acc[t][v] = simd.mul_add_e_f32s(w[v], xv, acc[t][v]);
            }
        }
    }
    for (acc, out) in acc.iter().zip(out.chunks_exact_mut(PANEL)) {
        let (out, _) = S::as_mut_simd_f32s(out);
        out.copy_from_slice(acc);
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::PanelWeights;
    use crate::few_rows::tests::matches_candle_matmul;

    /// Every block remainder (rows around 8), partial last panels (m around 32) and odd
    /// `k`, with and without a bias, against candle's own matmul; the panels unpack to the
    /// matrix given.
    #[test]
    fn equals_candle_matmul_for_every_remainder() -> candle_core::Result<()> {
        matches_candle_matmul(
            &[1, 2, 3, 7, 8, 9, 16, 17, 64],
            &[1, 5, 37, 768],
            &[1, 31, 32, 33, 96],
            |x, w, bias| {
                let op = PanelWeights::new(w, bias)?.expect("an f32 matrix on the CPU");
                let unpacked = (op.weight(&Device::Cpu)? - w)?.abs()?.max_all()?;
                assert_eq!(
                    unpacked.to_scalar::<f32>()?,
                    0.0,
                    "{:?}: unpacked",
                    w.dims()
                );
                x.apply_op1_no_bwd(&op)
            },
        )
    }

    #[test]
    fn refuses_mismatched_shapes() -> candle_core::Result<()> {
        let cpu = Device::Cpu;
        let x = Tensor::zeros((2, 8), candle_core::DType::F32, &cpu)?;
        let w = Tensor::zeros((4, 7), candle_core::DType::F32, &cpu)?;
        let op = PanelWeights::new(&w, None)?.expect("an f32 matrix on the CPU");
        assert!(x.apply_op1_no_bwd(&op).is_err());
        Ok(())
    }
}
