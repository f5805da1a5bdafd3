//! SigLIP (and SigLIP 2 at a fixed resolution) on `candle-nn`, with Hugging Face
//! `SiglipModel` semantics and weight names (transformers 5.25,
//! `models/siglip/modeling_siglip.py`; checked step by step in
//! `tests/fixtures/siglip-reference/README.md`).
//!
//! What differs from CLIP: the text tower attends both ways with no mask over exactly 64
//! tokens (padding included) and is pooled at its *last* position, then `text_model.head`
//! (with bias); the vision tower has no class token and no layer norm before the encoder,
//! its patch convolution has a bias, and it is pooled by an attention head (a learnt probe
//! attends to the tokens, then a residual MLP). Both towers use the tanh GELU and layer-norm
//! eps 1e-6 (from the config). The model also keeps `logit_scale` and `logit_bias`, which
//! turn a cosine into the probability that the pair matches.
//!
//! Candle's own `siglip` is not used: it ignores `projection_size`, and its configs need
//! every field that the hub's files leave out.

use candle_core::{Device, IndexOp, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, LayerNorm, VarBuilder, conv2d, layer_norm};

use crate::config::{SiglipConfig, TextConfig, VisionConfig};
use crate::error::EmbedError;
use crate::model::{
    Attention, Encoder, EncoderShape, Linear, Mlp, Releasable, Weights, l2_normalize,
};
use crate::rows::DiskRows;
use crate::weights_stream::Want;

/// The text tower's token embedding, left in the weights file (`rows.rs`): SigLIP 2's is
/// 256,000 × 768, 786 MB as f32 and half the model, and a query reads 64 of its rows.
pub(crate) const TOKEN_EMBEDDING: &str = "text_model.embeddings.token_embedding.weight";

/// Every tensor [`SiglipModel::new`] reads and how, so a checkpoint can be checked up front
/// and a missing one reported by name.
pub(crate) fn tensor_names(config: &SiglipConfig) -> Vec<(String, Want)> {
    let mut names = vec![
        TOKEN_EMBEDDING.to_owned(),
        "text_model.embeddings.position_embedding.weight".to_owned(),
        "text_model.final_layer_norm.weight".to_owned(),
        "text_model.final_layer_norm.bias".to_owned(),
        "text_model.head.weight".to_owned(),
        "text_model.head.bias".to_owned(),
        "vision_model.embeddings.patch_embedding.weight".to_owned(),
        "vision_model.embeddings.patch_embedding.bias".to_owned(),
        "vision_model.embeddings.position_embedding.weight".to_owned(),
        "vision_model.post_layernorm.weight".to_owned(),
        "vision_model.post_layernorm.bias".to_owned(),
        "vision_model.head.probe".to_owned(),
        "vision_model.head.attention.in_proj_weight".to_owned(),
        "vision_model.head.attention.in_proj_bias".to_owned(),
        "vision_model.head.attention.out_proj.weight".to_owned(),
        "vision_model.head.attention.out_proj.bias".to_owned(),
        "vision_model.head.layernorm.weight".to_owned(),
        "vision_model.head.layernorm.bias".to_owned(),
        "vision_model.head.mlp.fc1.weight".to_owned(),
        "vision_model.head.mlp.fc1.bias".to_owned(),
        "vision_model.head.mlp.fc2.weight".to_owned(),
        "vision_model.head.mlp.fc2.bias".to_owned(),
        "logit_scale".to_owned(),
        "logit_bias".to_owned(),
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
        .into_iter()
        .map(|name| {
            let want = if name == TOKEN_EMBEDDING {
                Want::OnDisk
            } else {
                Want::Load
            };
            (name, want)
        })
        .collect()
}

pub(crate) struct TextTower {
    /// (vocab, hidden); see [`TOKEN_EMBEDDING`].
    token_embedding: DiskRows,
    position_embedding: Tensor,
    encoder: Encoder,
    final_layer_norm: LayerNorm,
    head: Linear,
}

impl TextTower {
    fn new(
        c: &TextConfig,
        projection_size: usize,
        token_embedding: DiskRows,
        vb: VarBuilder,
    ) -> Result<Self> {
        // f32, unlike CLIP's text tower: rounding these weights to f16 moved the parity
        // fixture's probabilities by up to 4e-4 (the contract is 1e-4), and a query's 64
        // rows are compute-bound. Packed into panels at load: gemm repacked them on every
        // call (panels.rs). The image tower stays on gemm, which is faster there (a batch
        // of 8 images is ~1,600 rows: 175 vs 200 ms an image with panels).
        let shape = EncoderShape::text(c, Weights::Panels);
        let tm = vb.pp("text_model");
        let emb = tm.pp("embeddings");
        let head = tm.pp("head");
        token_embedding.check_token_embedding(TOKEN_EMBEDDING, c.vocab_size, c.hidden_size)?;
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
            head: Linear::new(
                head.get((projection_size, c.hidden_size), "weight")?,
                Some(head.get(projection_size, "bias")?),
                Weights::Panels,
            )?,
        })
    }

    /// `ids`: `batch` texts of `n` ids each, one after the other, as the tokenizer made
    /// them; out: (batch, projection_size), not normalised.
    fn forward(
        &self,
        ids: &[u32],
        batch: usize,
        device: &Device,
    ) -> std::result::Result<Tensor, EmbedError> {
        let tokens = self.token_embedding.embed(ids, batch, device)?;
        self.after_embedding(&tokens).map_err(EmbedError::Inference)
    }

    /// The tower from the token embeddings (batch, n, hidden) on.
    fn after_embedding(&self, tokens: &Tensor) -> Result<Tensor> {
        let n = tokens.dim(1)?;
        let x = tokens.broadcast_add(&self.position_embedding.narrow(0, 0, n)?)?;
        // Pooled at the last position, after the final layer norm (per token, so it can
        // come after the pooling).
        let last = self.encoder.forward_last_token(&x)?.squeeze(1)?;
        let pooled = self.final_layer_norm.forward(&last)?;
        self.head.forward(&pooled)
    }
}

/// `SiglipMultiheadAttentionPoolingHead`: a learnt probe attends to the tokens
/// (`torch.nn.MultiheadAttention`, whose `in_proj_weight` stacks the q, k, v projections in
/// that order), then `y = a + mlp(layernorm(a))`.
struct PoolingHead {
    probe: Tensor,
    attention: Attention,
    layernorm: LayerNorm,
    mlp: Mlp,
}

impl PoolingHead {
    fn new(c: &VisionConfig, vb: VarBuilder) -> Result<Self> {
        let h = c.hidden_size;
        let attn = vb.pp("attention");
        let in_w = attn.get((3 * h, h), "in_proj_weight")?;
        let in_b = attn.get(3 * h, "in_proj_bias")?;
        let part = |i: usize| -> Result<Linear> {
            Linear::new(
                in_w.narrow(0, i * h, h)?.contiguous()?,
                Some(in_b.narrow(0, i * h, h)?.contiguous()?),
                Weights::F32,
            )
        };
        let out = attn.pp("out_proj");
        let out_proj = Linear::new(
            out.get((h, h), "weight")?,
            Some(out.get(h, "bias")?),
            Weights::F32,
        )?;
        Ok(Self {
            probe: vb.get((1, 1, h), "probe")?,
            attention: Attention::from_projections(
                [part(0)?, part(1)?, part(2)?, out_proj],
                h,
                c.num_attention_heads,
            ),
            layernorm: layer_norm(h, c.layer_norm_eps, vb.pp("layernorm"))?,
            mlp: Mlp::new(
                h,
                c.intermediate_size,
                c.hidden_act,
                Weights::F32,
                vb.pp("mlp"),
            )?,
        })
    }

    /// `x`: (batch, tokens, hidden) → (batch, hidden).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let b = x.dim(0)?;
        let probe = self.probe.broadcast_as((b, 1, self.probe.dim(2)?))?;
        let a = self.attention.attend(&probe, x, None)?;
        let y = (&a + self.mlp.forward(&self.layernorm.forward(&a)?)?)?;
        y.i((.., 0, ..))
    }
}

pub(crate) struct VisionTower {
    patch_embedding: Conv2d,
    position_embedding: Tensor,
    encoder: Encoder,
    post_layernorm: LayerNorm,
    head: PoolingHead,
}

impl VisionTower {
    fn new(c: &VisionConfig, vb: VarBuilder) -> Result<Self> {
        let vm = vb.pp("vision_model");
        let emb = vm.pp("embeddings");
        let conv = Conv2dConfig {
            stride: c.patch_size,
            ..Default::default()
        };
        Ok(Self {
            patch_embedding: conv2d(
                c.num_channels,
                c.hidden_size,
                c.patch_size,
                conv,
                emb.pp("patch_embedding"),
            )?,
            position_embedding: emb.get(
                (c.num_patches(), c.hidden_size),
                "position_embedding.weight",
            )?,
            encoder: Encoder::new(&EncoderShape::vision(c, Weights::F32), vm.pp("encoder"))?,
            post_layernorm: layer_norm(c.hidden_size, c.layer_norm_eps, vm.pp("post_layernorm"))?,
            head: PoolingHead::new(c, vm.pp("head"))?,
        })
    }

    /// `pixels`: (batch, 3, size, size) f32 → (batch, hidden), not normalised.
    fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        // (b, hidden, gh, gw) -> (b, patches, hidden), patches in row-major order.
        let patches = self
            .patch_embedding
            .forward(pixels)?
            .flatten_from(2)?
            .transpose(1, 2)?;
        let x = patches.broadcast_add(&self.position_embedding)?;
        let x = self.encoder.forward(&x, None)?;
        let x = self.post_layernorm.forward(&x)?;
        self.head.forward(&x)
    }
}

/// Both towers and the pair calibration; outputs are L2-normalised.
pub(crate) struct SiglipModel {
    /// Both towers are released while nothing needs them, as CLIP's (see `Releasable`).
    text: Releasable<TextTower>,
    vision: Releasable<VisionTower>,
    /// Kept to build the text tower again.
    token_embedding: DiskRows,
    config: SiglipConfig,
    logit_scale: f32,
    logit_bias: f32,
}

/// Whether `name` is a tensor of the image tower.
pub(crate) fn is_vision_tensor(name: &str) -> bool {
    name.starts_with("vision_model.")
}

/// Whether `name` is a tensor of the text tower but its token embedding (on disk).
pub(crate) fn is_text_tensor(name: &str) -> bool {
    name.starts_with("text_model.") && name != TOKEN_EMBEDDING
}

impl SiglipModel {
    /// The model from `vb`, with the token embedding left on disk as `token_embedding`.
    pub(crate) fn new(
        config: &SiglipConfig,
        token_embedding: DiskRows,
        vb: VarBuilder,
    ) -> Result<Self> {
        let scalar = |name: &str| -> Result<f32> { Ok(vb.get(1, name)?.to_vec1::<f32>()?[0]) };
        Ok(Self {
            text: Releasable::new(TextTower::new(
                &config.text,
                config.projection_size,
                token_embedding.clone(),
                vb.clone(),
            )?),
            vision: Releasable::new(VisionTower::new(&config.vision, vb.clone())?),
            token_embedding,
            config: config.clone(),
            logit_scale: scalar("logit_scale")?,
            logit_bias: scalar("logit_bias")?,
        })
    }

    /// `ids`: `batch` texts of 64 ids, one after the other → (batch, projection_size),
    /// unit rows; `None` while the text tower is released.
    pub(crate) fn text_features(
        &self,
        ids: &[u32],
        batch: usize,
        device: &Device,
    ) -> std::result::Result<Option<Tensor>, EmbedError> {
        let Some(text) = self.text.get() else {
            return Ok(None);
        };
        let features = text.forward(ids, batch, device)?;
        l2_normalize(&features)
            .map(Some)
            .map_err(EmbedError::Inference)
    }

    /// The text tower, freed while nothing needs it.
    pub(crate) fn text(&self) -> &Releasable<TextTower> {
        &self.text
    }

    /// Builds the text tower again from `vb` (the text tensors of the same weights).
    pub(crate) fn restore_text(&self, vb: VarBuilder) -> Result<()> {
        self.text.set(TextTower::new(
            &self.config.text,
            self.config.projection_size,
            self.token_embedding.clone(),
            vb,
        )?);
        Ok(())
    }

    /// `pixels`: (batch, 3, size, size) → (batch, hidden), unit rows; `None` while the
    /// image tower is released.
    pub(crate) fn image_features(&self, pixels: &Tensor) -> Result<Option<Tensor>> {
        self.vision
            .get()
            .map(|v| l2_normalize(&v.forward(pixels)?))
            .transpose()
    }

    /// The image tower, freed while nothing needs it.
    pub(crate) fn vision(&self) -> &Releasable<VisionTower> {
        &self.vision
    }

    /// Builds the image tower again from `vb` (the vision tensors of the same weights).
    pub(crate) fn restore_vision(&self, vb: VarBuilder) -> Result<()> {
        self.vision.set(VisionTower::new(&self.config.vision, vb)?);
        Ok(())
    }

    /// `exp(logit_scale)`: logit units per unit of cosine.
    pub(crate) fn logit_scale(&self) -> f32 {
        self.logit_scale.exp()
    }

    /// `logit_bias`: the logit of a pair at cosine 0.
    pub(crate) fn logit_bias(&self) -> f32 {
        self.logit_bias
    }

    /// `sigmoid(exp(logit_scale) · cosine + logit_bias)`, as `SiglipModel.forward` and the
    /// zero-shot pipeline compute it.
    pub(crate) fn pair_probability(&self, cosine: f32) -> f32 {
        let logit =
            f64::from(self.logit_scale).exp() * f64::from(cosine) + f64::from(self.logit_bias);
        (1.0 / (1.0 + (-logit).exp())) as f32
    }
}
