//! `make-model`: a random-weight CLIP with the exact tensor names and shapes of Hugging
//! Face `CLIPModel`'s state dict for a given `config.json`.
//!
//! Timing does not depend on the weights' values, so a random ViT-B/32 measures the real
//! model's speed without shipping 600 MB of weights.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use glimpse_embed::ClipConfig;

use crate::rng::Rng;

/// The files copied next to the weights; the first three are required.
const COPIED_FILES: [(&str, bool); 5] = [
    ("config.json", true),
    ("preprocessor_config.json", true),
    ("tokenizer.json", true),
    ("tokenizer_config.json", false),
    ("special_tokens_map.json", false),
];

/// Standard deviation of the random weights (Hugging Face's `initializer_range`).
pub const WEIGHT_STD: f32 = 0.02;

/// CLIP's initial `logit_scale`, ln(1 / 0.07), used when the config does not say.
pub const DEFAULT_LOGIT_SCALE: f32 = 2.6592;

/// How one tensor is filled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    /// Normal with mean 0 and [`WEIGHT_STD`].
    Random,
    /// Every element equal (layer-norm weights 1, biases of layer norms 0, logit scale).
    Constant(f32),
}

/// One tensor of the state dict: name, shape and fill.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    /// The state-dict name, e.g. `vision_model.pre_layrnorm.weight`.
    pub name: String,
    /// The shape (empty for the scalar `logit_scale`).
    pub shape: Vec<usize>,
    /// How to fill it.
    pub fill: Fill,
}

impl TensorSpec {
    fn new(name: impl Into<String>, shape: &[usize], fill: Fill) -> Self {
        Self {
            name: name.into(),
            shape: shape.to_vec(),
            fill,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn layer_norm(specs: &mut Vec<TensorSpec>, prefix: &str, width: usize) {
    specs.push(TensorSpec::new(
        format!("{prefix}.weight"),
        &[width],
        Fill::Constant(1.0),
    ));
    specs.push(TensorSpec::new(
        format!("{prefix}.bias"),
        &[width],
        Fill::Constant(0.0),
    ));
}

fn linear(specs: &mut Vec<TensorSpec>, prefix: &str, input: usize, output: usize) {
    specs.push(TensorSpec::new(
        format!("{prefix}.weight"),
        &[output, input],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        format!("{prefix}.bias"),
        &[output],
        Fill::Random,
    ));
}

fn encoder(specs: &mut Vec<TensorSpec>, tower: &str, layers: usize, hidden: usize, mlp: usize) {
    for i in 0..layers {
        let layer = format!("{tower}.encoder.layers.{i}");
        for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
            linear(specs, &format!("{layer}.self_attn.{proj}"), hidden, hidden);
        }
        layer_norm(specs, &format!("{layer}.layer_norm1"), hidden);
        linear(specs, &format!("{layer}.mlp.fc1"), hidden, mlp);
        linear(specs, &format!("{layer}.mlp.fc2"), mlp, hidden);
        layer_norm(specs, &format!("{layer}.layer_norm2"), hidden);
    }
}

/// Every tensor of `CLIPModel`'s state dict for `config`, in a fixed order. (Recent
/// `transformers` no longer saves the `position_ids` buffers, so neither do we.)
pub fn clip_tensor_specs(config: &ClipConfig, logit_scale: f32) -> Vec<TensorSpec> {
    let (t, v) = (&config.text, &config.vision);
    let mut specs = Vec::new();
    specs.push(TensorSpec::new(
        "text_model.embeddings.token_embedding.weight",
        &[t.vocab_size, t.hidden_size],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        "text_model.embeddings.position_embedding.weight",
        &[t.max_position_embeddings, t.hidden_size],
        Fill::Random,
    ));
    encoder(
        &mut specs,
        "text_model",
        t.num_hidden_layers,
        t.hidden_size,
        t.intermediate_size,
    );
    layer_norm(&mut specs, "text_model.final_layer_norm", t.hidden_size);

    specs.push(TensorSpec::new(
        "vision_model.embeddings.class_embedding",
        &[v.hidden_size],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        "vision_model.embeddings.patch_embedding.weight",
        &[v.hidden_size, v.num_channels, v.patch_size, v.patch_size],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        "vision_model.embeddings.position_embedding.weight",
        &[v.num_patches() + 1, v.hidden_size],
        Fill::Random,
    ));
    layer_norm(&mut specs, "vision_model.pre_layrnorm", v.hidden_size);
    encoder(
        &mut specs,
        "vision_model",
        v.num_hidden_layers,
        v.hidden_size,
        v.intermediate_size,
    );
    layer_norm(&mut specs, "vision_model.post_layernorm", v.hidden_size);

    specs.push(TensorSpec::new(
        "visual_projection.weight",
        &[config.projection_dim, v.hidden_size],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        "text_projection.weight",
        &[config.projection_dim, t.hidden_size],
        Fill::Random,
    ));
    specs.push(TensorSpec::new(
        "logit_scale",
        &[],
        Fill::Constant(logit_scale),
    ));
    specs
}

/// What [`make_model`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// Tensors written.
    pub tensors: usize,
    /// Parameters (elements) over all tensors.
    pub parameters: usize,
    /// Size of `model.safetensors` in bytes.
    pub weights_bytes: u64,
}

/// Copies the config files from `config_dir` into `out` and writes `model.safetensors`
/// with random weights for that config (deterministic for a given `seed`).
pub fn make_model(config_dir: &Path, out: &Path, seed: u64) -> Result<ModelSummary> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    for (file, required) in COPIED_FILES {
        let from = config_dir.join(file);
        if !from.is_file() {
            anyhow::ensure!(!required, "{}: missing", from.display());
            continue;
        }
        let to = out.join(file);
        std::fs::copy(&from, &to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    let config_path = out.join("config.json");
    let config = ClipConfig::from_file(&config_path)?;
    let raw: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&config_path)
            .with_context(|| format!("{}: cannot read", config_path.display()))?,
    )
    .with_context(|| format!("{}: not JSON", config_path.display()))?;
    let logit_scale = raw
        .get("logit_scale_init_value")
        .and_then(serde_json::Value::as_f64)
        .map_or(DEFAULT_LOGIT_SCALE, |v| v as f32);

    let specs = clip_tensor_specs(&config, logit_scale);
    let mut tensors = HashMap::with_capacity(specs.len());
    let mut parameters = 0;
    for (i, spec) in specs.iter().enumerate() {
        let values: Vec<f32> = match spec.fill {
            Fill::Constant(c) => vec![c; spec.len()],
            Fill::Random => {
                let mut rng = Rng::for_item(seed, i as u64);
                (0..spec.len()).map(|_| rng.normal() * WEIGHT_STD).collect()
            }
        };
        parameters += values.len();
        let tensor = Tensor::from_vec(values, spec.shape.as_slice(), &Device::Cpu)
            .with_context(|| format!("cannot make tensor {}", spec.name))?;
        tensors.insert(spec.name.clone(), tensor);
    }
    let weights = out.join("model.safetensors");
    candle_core::safetensors::save(&tensors, &weights)
        .with_context(|| format!("{}: cannot write", weights.display()))?;
    let weights_bytes = std::fs::metadata(&weights)
        .with_context(|| format!("{}: cannot stat", weights.display()))?
        .len();
    Ok(ModelSummary {
        tensors: specs.len(),
        parameters,
        weights_bytes,
    })
}
