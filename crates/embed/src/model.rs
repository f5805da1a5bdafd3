//! A small CLIP on `candle-nn` with Hugging Face `CLIPModel` semantics and weight names,
//! and the building blocks (linear layers, attention, pre-LN encoder) `siglip.rs` shares.
//!
//! Written here rather than taken from `candle-transformers` because that one hard-wires
//! `quick_gelu` and layer-norm eps in the text tower (wrong for many LAION exports) and is
//! slow to build.

use candle_core::{D, DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, LayerNorm, VarBuilder, conv2d_no_bias, layer_norm};

use crate::config::{Activation, ClipConfig, TextConfig, VisionConfig};
use crate::error::EmbedError;
use crate::few_rows::{FewRowsMatmul, HalfWeights};
use crate::panels::PanelWeights;
use crate::rows::DiskRows;

/// The token embedding (49,408 × 512 for ViT-B/32: 101 MB as f32): left in the weights file,
/// its rows read per query, as SigLIP's is; a query reads a dozen rows.
pub(crate) const TOKEN_EMBEDDING: &str = "text_model.embeddings.token_embedding.weight";

/// Every tensor name `ClipModel::new` reads, so a checkpoint can be checked up front and
/// a missing one reported by name (Candle's own CLIP would put random values there).
/// Whether `name` is a tensor of the image tower (all that [`ClipModel::restore_vision`]
/// reads).
pub(crate) fn is_vision_tensor(name: &str) -> bool {
    name.starts_with("vision_model.") || name.starts_with("visual_projection.")
}

/// Whether `name` is a tensor [`ClipModel::restore_text`] reads: the text tower but its
/// token embedding, which stays on disk.
pub(crate) fn is_text_tensor(name: &str) -> bool {
    (name.starts_with("text_model.") || name.starts_with("text_projection."))
        && name != TOKEN_EMBEDDING
}

pub(crate) fn tensor_names(config: &ClipConfig) -> Vec<String> {
    let mut names = vec![
        TOKEN_EMBEDDING.to_owned(),
        "text_model.embeddings.position_embedding.weight".to_owned(),
        "text_model.final_layer_norm.weight".to_owned(),
        "text_model.final_layer_norm.bias".to_owned(),
        "text_projection.weight".to_owned(),
        "vision_model.embeddings.class_embedding".to_owned(),
        "vision_model.embeddings.patch_embedding.weight".to_owned(),
        "vision_model.embeddings.position_embedding.weight".to_owned(),
        "vision_model.pre_layrnorm.weight".to_owned(),
        "vision_model.pre_layrnorm.bias".to_owned(),
        "vision_model.post_layernorm.weight".to_owned(),
        "vision_model.post_layernorm.bias".to_owned(),
        "visual_projection.weight".to_owned(),
    ];
    let towers = [
        ("text_model", config.text.num_hidden_layers),
        ("vision_model", config.vision.num_hidden_layers),
    ];
    for (tower, layers) in towers {
        for i in 0..layers {
            let layer = format!("{tower}.encoder.layers.{i}");
            for part in [
                "self_attn.q_proj",
                "self_attn.k_proj",
                "self_attn.v_proj",
                "self_attn.out_proj",
                "layer_norm1",
                "layer_norm2",
                "mlp.fc1",
                "mlp.fc2",
            ] {
                names.push(format!("{layer}.{part}.weight"));
                names.push(format!("{layer}.{part}.bias"));
            }
        }
    }
    names
}

/// Inputs with at most this many rows (tokens over the whole batch) are multiplied by
/// [`FewRowsMatmul`] on the CPU, not by gemm, which is built for the image tower's
/// hundreds of rows (a ViT-B/32 text query: p95 31 → 24 ms, docs/BENCHMARKS.md).
const FEW_ROWS: usize = 32;

/// How a layer stores its weights.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weights {
    /// f32, as in the file (the image tower: gemm over hundreds of rows is compute-bound).
    F32,
    /// Only as f16 on the CPU ([`HalfWeights`]; rounded to f16 in an f32 tensor on other
    /// devices): the text tower. A text query reads every weight once, so memory bounds it,
    /// and half the bytes are read; at rest the tower holds half the memory. The rounding
    /// moves text vectors by 1-cos ~4e-7 against the reference (parity tests); big batches
    /// go through gemm on the same rounded values, so a text embeds the same alone or in a
    /// batch.
    F16,
    /// f32 packed once into panels of output columns on the CPU ([`PanelWeights`]; as in
    /// the file on other devices): SigLIP's text tower, whose 64-row queries gemm
    /// multiplied mostly by repacking the weights on every call.
    Panels,
}

/// `candle_nn::Linear` with the few-rows paths of `few_rows.rs`, which is what a text query
/// hits.
pub(crate) enum Linear {
    Full {
        weight: Tensor,
        few_rows: FewRowsMatmul,
        inner: candle_nn::Linear,
    },
    Half {
        weights: HalfWeights,
        bias: Option<Tensor>,
    },
    Panels(PanelWeights),
}

impl Linear {
    pub(crate) fn new(weight: Tensor, bias: Option<Tensor>, weights: Weights) -> Result<Self> {
        let bias_values = || bias.as_ref().map(|b| b.to_vec1::<f32>()).transpose();
        if weights == Weights::Panels
            && let Some(panels) = PanelWeights::new(&weight, bias_values()?)?
        {
            return Ok(Self::Panels(panels));
        }
        if weights == Weights::F16 {
            if let Some(half) = HalfWeights::new(&weight, bias_values()?)? {
                return Ok(Self::Half {
                    weights: half,
                    bias,
                });
            }
            if weight.dtype() == DType::F32 {
                let rounded: Vec<f32> = weight
                    .flatten_all()?
                    .to_vec1::<f32>()?
                    .into_iter()
                    .map(crate::few_rows::round_to_f16)
                    .collect();
                let rounded = Tensor::from_vec(rounded, weight.shape(), weight.device())?;
                return Self::full(rounded, bias);
            }
        }
        Self::full(weight, bias)
    }

    fn full(weight: Tensor, bias: Option<Tensor>) -> Result<Self> {
        let few_rows = FewRowsMatmul::new(bias.as_ref().map(|b| b.to_vec1::<f32>()).transpose()?);
        Ok(Self::Full {
            inner: candle_nn::Linear::new(weight.clone(), bias),
            weight,
            few_rows,
        })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rows = x.elem_count() / x.dims().last().copied().unwrap_or(1).max(1);
        let few = rows <= FEW_ROWS && x.device().is_cpu() && x.dtype() == DType::F32;
        match self {
            Self::Full {
                weight,
                few_rows,
                inner,
            } => {
                if few && weight.dtype() == DType::F32 {
                    return x
                        .contiguous()?
                        .apply_op2_no_bwd(&weight.contiguous()?, few_rows);
                }
                inner.forward(x)
            }
            Self::Panels(panels) => x.contiguous()?.apply_op1_no_bwd(panels),
            Self::Half { weights, bias } => {
                if few {
                    return x.contiguous()?.apply_op1_no_bwd(weights);
                }
                // Long texts and batches: gemm over the widened weights, made for this
                // call (4 MB for B/32's largest layer) and dropped after it.
                candle_nn::Linear::new(weights.widened(x.device())?, bias.clone()).forward(x)
            }
        }
    }
}

pub(crate) fn linear(
    in_dim: usize,
    out_dim: usize,
    weights: Weights,
    vb: VarBuilder,
) -> Result<Linear> {
    let weight = vb.get((out_dim, in_dim), "weight")?;
    let bias = vb.get(out_dim, "bias")?;
    Linear::new(weight, Some(bias), weights)
}

fn linear_no_bias(
    in_dim: usize,
    out_dim: usize,
    weights: Weights,
    vb: VarBuilder,
) -> Result<Linear> {
    Linear::new(vb.get((out_dim, in_dim), "weight")?, None, weights)
}

/// Multi-head attention with a bias on every projection, as in CLIP, SigLIP and
/// `torch.nn.MultiheadAttention`.
pub(crate) struct Attention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
    scale: f64,
}

impl Attention {
    /// From the q, k, v and output projections of a `hidden`-wide layer.
    pub(crate) fn from_projections(
        [q_proj, k_proj, v_proj, out_proj]: [Linear; 4],
        hidden: usize,
        heads: usize,
    ) -> Self {
        let head_dim = hidden / heads;
        Self {
            q_proj,
            k_proj,
            v_proj,
            out_proj,
            heads,
            head_dim,
            scale: (head_dim as f64).powf(-0.5),
        }
    }

    /// Self-attention. `x`: (batch, tokens, hidden); `mask`: (tokens, tokens), added to the
    /// scores.
    fn forward(&self, x: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        self.attend(x, x, mask)
    }

    /// `queries` (batch, q, hidden) attend to `keys` (batch, k, hidden), unmasked unless
    /// `mask` (q, k) is given; (batch, q, hidden) out.
    pub(crate) fn attend(
        &self,
        queries: &Tensor,
        keys: &Tensor,
        mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (b, nq, hidden) = queries.dims3()?;
        let nk = keys.dim(1)?;
        let split = |t: Tensor, n: usize| -> Result<Tensor> {
            t.reshape((b, n, self.heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split((self.q_proj.forward(queries)? * self.scale)?, nq)?;
        let k = split(self.k_proj.forward(keys)?, nk)?;
        let v = split(self.v_proj.forward(keys)?, nk)?;
        let scores = q.matmul(&k.t()?)?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask)?,
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((b, nq, hidden))?;
        self.out_proj.forward(&out)
    }
}

/// fc1, activation, fc2.
pub(crate) struct Mlp {
    fc1: Linear,
    fc2: Linear,
    act: Activation,
}

impl Mlp {
    /// `fc1` and `fc2` under `vb` (`{vb}.fc1.weight`, ...).
    pub(crate) fn new(
        hidden: usize,
        intermediate: usize,
        act: Activation,
        weights: Weights,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            fc1: linear(hidden, intermediate, weights, vb.pp("fc1"))?,
            fc2: linear(intermediate, hidden, weights, vb.pp("fc2"))?,
            act,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = self.fc1.forward(x)?;
        let x = crate::activation::apply(&x, self.act)?;
        self.fc2.forward(&x)
    }
}

/// One pre-layer-norm transformer block.
struct EncoderLayer {
    attn: Attention,
    norm1: LayerNorm,
    mlp: Mlp,
    norm2: LayerNorm,
}

/// The pre-layer-norm transformer both architectures use for both towers.
pub(crate) struct Encoder {
    layers: Vec<EncoderLayer>,
}

/// The sizes one encoder needs; both towers have them.
pub(crate) struct EncoderShape {
    pub(crate) hidden: usize,
    pub(crate) intermediate: usize,
    pub(crate) layers: usize,
    pub(crate) heads: usize,
    pub(crate) eps: f64,
    pub(crate) act: Activation,
    pub(crate) weights: Weights,
}

impl EncoderShape {
    /// A text tower's encoder, with `weights`.
    pub(crate) fn text(c: &TextConfig, weights: Weights) -> Self {
        Self {
            hidden: c.hidden_size,
            intermediate: c.intermediate_size,
            layers: c.num_hidden_layers,
            heads: c.num_attention_heads,
            eps: c.layer_norm_eps,
            act: c.hidden_act,
            weights,
        }
    }

    /// A vision tower's encoder, with `weights`.
    pub(crate) fn vision(c: &VisionConfig, weights: Weights) -> Self {
        Self {
            hidden: c.hidden_size,
            intermediate: c.intermediate_size,
            layers: c.num_hidden_layers,
            heads: c.num_attention_heads,
            eps: c.layer_norm_eps,
            act: c.hidden_act,
            weights,
        }
    }
}

impl Encoder {
    pub(crate) fn new(s: &EncoderShape, vb: VarBuilder) -> Result<Self> {
        let layers = (0..s.layers)
            .map(|i| {
                let vb = vb.pp(format!("layers.{i}"));
                let attn = vb.pp("self_attn");
                Ok(EncoderLayer {
                    attn: Attention::from_projections(
                        [
                            linear(s.hidden, s.hidden, s.weights, attn.pp("q_proj"))?,
                            linear(s.hidden, s.hidden, s.weights, attn.pp("k_proj"))?,
                            linear(s.hidden, s.hidden, s.weights, attn.pp("v_proj"))?,
                            linear(s.hidden, s.hidden, s.weights, attn.pp("out_proj"))?,
                        ],
                        s.hidden,
                        s.heads,
                    ),
                    norm1: layer_norm(s.hidden, s.eps, vb.pp("layer_norm1"))?,
                    mlp: Mlp::new(s.hidden, s.intermediate, s.act, s.weights, vb.pp("mlp"))?,
                    norm2: layer_norm(s.hidden, s.eps, vb.pp("layer_norm2"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }

    pub(crate) fn forward(&self, x: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let mut x = x.clone();
        for layer in &self.layers {
            let h = layer.attn.forward(&layer.norm1.forward(&x)?, mask)?;
            x = (x + h)?;
            let h = layer.mlp.forward(&layer.norm2.forward(&x)?)?;
            x = (x + h)?;
        }
        Ok(x)
    }

    /// The output at the last position only, for an unmasked encoder: every layer but the
    /// last runs on all tokens, the last one computes keys and values for all of them but
    /// the query, attention output and MLP for the last token alone (the others' outputs
    /// would be thrown away). Same maths as `forward(x, None)` then taking token `n - 1`,
    /// with 7 % fewer multiply-adds in a 12-layer tower. `x`: (batch, tokens, hidden);
    /// out: (batch, 1, hidden).
    pub(crate) fn forward_last_token(&self, x: &Tensor) -> Result<Tensor> {
        let Some((last, earlier)) = self.layers.split_last() else {
            let n = x.dim(1)?;
            return x.narrow(1, n - 1, 1);
        };
        let mut x = x.clone();
        for layer in earlier {
            let h = layer.attn.forward(&layer.norm1.forward(&x)?, None)?;
            x = (x + h)?;
            let h = layer.mlp.forward(&layer.norm2.forward(&x)?)?;
            x = (x + h)?;
        }
        let n = x.dim(1)?;
        let normed = last.norm1.forward(&x)?;
        let query = normed.narrow(1, n - 1, 1)?;
        let h = last.attn.attend(&query, &normed, None)?;
        let x = (x.narrow(1, n - 1, 1)? + h)?;
        let h = last.mlp.forward(&last.norm2.forward(&x)?)?;
        x + h
    }
}

pub(crate) struct TextTower {
    token_embedding: DiskRows,
    position_embedding: Tensor,
    encoder: Encoder,
    final_layer_norm: LayerNorm,
    projection: Linear,
}

impl TextTower {
    fn new(
        c: &TextConfig,
        projection_dim: usize,
        token_embedding: DiskRows,
        vb: VarBuilder,
    ) -> Result<Self> {
        token_embedding.check_token_embedding(TOKEN_EMBEDDING, c.vocab_size, c.hidden_size)?;
        let shape = EncoderShape::text(c, Weights::F16);
        let tm = vb.pp("text_model");
        let emb = tm.pp("embeddings");
        Ok(Self {
            token_embedding,
            position_embedding: emb.get(
                (c.max_position_embeddings, c.hidden_size),
                "position_embedding.weight",
            )?,
            encoder: Encoder::new(&shape, tm.pp("encoder"))?,
            final_layer_norm: layer_norm(
                c.hidden_size,
                c.layer_norm_eps,
                tm.pp("final_layer_norm"),
            )?,
            projection: linear_no_bias(
                c.hidden_size,
                projection_dim,
                Weights::F16,
                vb.pp("text_projection"),
            )?,
        })
    }

    /// `ids`: `batch` texts of the same length, one after the other; `pool_at[i]`: the
    /// position of item i's first end token.
    fn forward(
        &self,
        ids: &[u32],
        batch: usize,
        pool_at: &[usize],
        device: &Device,
    ) -> std::result::Result<Tensor, EmbedError> {
        let n = ids.len() / batch.max(1);
        let tokens = self.token_embedding.embed(ids, batch, device)?;
        let run = || -> Result<Tensor> {
            let x = tokens.broadcast_add(&self.position_embedding.narrow(0, 0, n)?)?;
            let mask = causal_mask(n, x.device())?;
            let x = self.encoder.forward(&x, Some(&mask))?;
            // Pool first, then normalise: the final layer norm works per token, so this is
            // the same as HF's order and cheaper.
            let rows: Vec<u32> = pool_at
                .iter()
                .enumerate()
                .map(|(i, &p)| (i * n + p) as u32)
                .collect();
            let rows = Tensor::new(rows.as_slice(), x.device())?;
            let pooled = x.reshape((batch * n, ()))?.index_select(&rows, 0)?;
            let pooled = self.final_layer_norm.forward(&pooled)?;
            self.projection.forward(&pooled)
        };
        run().map_err(EmbedError::Inference)
    }
}

/// (n, n) with 0 on and below the diagonal and -inf above: a token sees only earlier ones,
/// which is also why padding after the end token cannot change the pooled output.
fn causal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..n)
        .flat_map(|i| (0..n).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(values, (n, n), device)
}

pub(crate) struct VisionTower {
    patch_embedding: Conv2d,
    class_embedding: Tensor,
    position_embedding: Tensor,
    pre_layrnorm: LayerNorm,
    encoder: Encoder,
    post_layernorm: LayerNorm,
    projection: Linear,
    hidden: usize,
}

impl VisionTower {
    fn new(c: &VisionConfig, projection_dim: usize, vb: VarBuilder) -> Result<Self> {
        let shape = EncoderShape::vision(c, Weights::F32);
        let vm = vb.pp("vision_model");
        let emb = vm.pp("embeddings");
        let conv = Conv2dConfig {
            stride: c.patch_size,
            ..Default::default()
        };
        Ok(Self {
            patch_embedding: conv2d_no_bias(
                c.num_channels,
                c.hidden_size,
                c.patch_size,
                conv,
                emb.pp("patch_embedding"),
            )?,
            class_embedding: emb.get(c.hidden_size, "class_embedding")?,
            position_embedding: emb.get(
                (c.num_patches() + 1, c.hidden_size),
                "position_embedding.weight",
            )?,
            pre_layrnorm: layer_norm(c.hidden_size, c.layer_norm_eps, vm.pp("pre_layrnorm"))?,
            encoder: Encoder::new(&shape, vm.pp("encoder"))?,
            post_layernorm: layer_norm(c.hidden_size, c.layer_norm_eps, vm.pp("post_layernorm"))?,
            projection: linear_no_bias(
                c.hidden_size,
                projection_dim,
                Weights::F32,
                vb.pp("visual_projection"),
            )?,
            hidden: c.hidden_size,
        })
    }

    /// `pixels`: (batch, 3, size, size) f32.
    fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        let b = pixels.dim(0)?;
        // (b, hidden, gh, gw) -> (b, patches, hidden)
        let patches = self
            .patch_embedding
            .forward(pixels)?
            .flatten_from(2)?
            .transpose(1, 2)?;
        let class = self
            .class_embedding
            .reshape((1, 1, self.hidden))?
            .broadcast_as((b, 1, self.hidden))?;
        let x = Tensor::cat(&[&class, &patches], 1)?.broadcast_add(&self.position_embedding)?;
        let x = self.pre_layrnorm.forward(&x)?;
        let x = self.encoder.forward(&x, None)?;
        let pooled = self.post_layernorm.forward(&x.i((.., 0, ..))?)?;
        self.projection.forward(&pooled)
    }
}

/// A tower that can be freed while nothing needs it and built again: a forward pass under
/// way keeps its own reference until it ends.
pub(crate) struct Releasable<T>(std::sync::Mutex<Option<std::sync::Arc<T>>>);

impl<T> Releasable<T> {
    pub(crate) fn new(tower: T) -> Self {
        Self(std::sync::Mutex::new(Some(std::sync::Arc::new(tower))))
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<T>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tower, unless it is released.
    pub(crate) fn get(&self) -> Option<std::sync::Arc<T>> {
        self.slot().clone()
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.slot().is_some()
    }

    pub(crate) fn release(&self) {
        self.slot().take();
    }

    pub(crate) fn set(&self, tower: T) {
        *self.slot() = Some(std::sync::Arc::new(tower));
    }
}

/// Both towers; outputs are L2-normalised projections. Either tower can be released while
/// nothing needs it ([`Releasable`]) and built again from the weights.
pub(crate) struct ClipModel {
    text: Releasable<TextTower>,
    vision: Releasable<VisionTower>,
    /// Kept to build the text tower again.
    token_embedding: DiskRows,
    config: ClipConfig,
}

impl ClipModel {
    /// The model from `vb`, with the token embedding left on disk as `token_embedding`.
    pub(crate) fn new(
        config: &ClipConfig,
        token_embedding: DiskRows,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            text: Releasable::new(TextTower::new(
                &config.text,
                config.projection_dim,
                token_embedding.clone(),
                vb.clone(),
            )?),
            vision: Releasable::new(VisionTower::new(&config.vision, config.projection_dim, vb)?),
            token_embedding,
            config: config.clone(),
        })
    }

    /// The text tower but its token embedding (ViT-B/32: 38M weights, 76 MB as f16).
    pub(crate) fn text(&self) -> &Releasable<TextTower> {
        &self.text
    }

    /// Builds the text tower again from `vb` (the text tensors of the same weights).
    pub(crate) fn restore_text(&self, vb: VarBuilder) -> Result<()> {
        let tower = TextTower::new(
            &self.config.text,
            self.config.projection_dim,
            self.token_embedding.clone(),
            vb,
        )?;
        self.text.set(tower);
        Ok(())
    }

    /// The image tower, freed while nothing needs it (ViT-B/32: 88M weights, 350 MB).
    pub(crate) fn vision(&self) -> &Releasable<VisionTower> {
        &self.vision
    }

    /// Builds the image tower again from `vb` (the vision tensors of the same weights).
    pub(crate) fn restore_vision(&self, vb: VarBuilder) -> Result<()> {
        let tower = VisionTower::new(&self.config.vision, self.config.projection_dim, vb)?;
        self.vision.set(tower);
        Ok(())
    }

    /// `ids`: `batch` texts of the same length, one after the other → (batch,
    /// projection_dim), unit rows; `None` while the text tower is released.
    pub(crate) fn text_features(
        &self,
        ids: &[u32],
        batch: usize,
        pool_at: &[usize],
        device: &Device,
    ) -> std::result::Result<Option<Tensor>, EmbedError> {
        let Some(text) = self.text.get() else {
            return Ok(None);
        };
        l2_normalize(&text.forward(ids, batch, pool_at, device)?)
            .map(Some)
            .map_err(EmbedError::Inference)
    }

    /// (batch, projection_dim), unit rows; `None` while the image tower is released.
    pub(crate) fn image_features(&self, pixels: &Tensor) -> Result<Option<Tensor>> {
        self.vision
            .get()
            .map(|v| l2_normalize(&v.forward(pixels)?))
            .transpose()
    }
}

/// Rows divided by their L2 norm. The norm is floored (as torch's `F.normalize` does) so a
/// degenerate all-zero output gives zeros instead of NaN, which would poison a vector index.
pub(crate) fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    const MIN_NORM: f64 = 1e-12;
    x.broadcast_div(&x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.maximum(MIN_NORM)?)
}

/// The dtype the model runs in: `f32` everywhere, for parity with the reference.
pub(crate) const MODEL_DTYPE: DType = DType::F32;
