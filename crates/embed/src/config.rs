//! The model's shape (`config.json`) and its image preprocessing (`preprocessor_config.json`),
//! parsed from the Hugging Face files into our own types.
//!
//! `model_type` picks the [`Architecture`]: `clip` ([`ClipConfig`]) or `siglip`
//! ([`SiglipConfig`], SigLIP and SigLIP 2 at a fixed resolution).
//!
//! Sizes come from the file; a field the file leaves out takes the default transformers'
//! `CLIPTextConfig` / `CLIPVisionConfig` give it (which are ViT-B/32's), because that is what
//! transformers loads. Old exports (e.g. `openai/clip-vit-large-patch14`) keep the real sizes
//! in `text_config_dict` / `vision_config_dict` beside a `text_config` of defaults; as in
//! transformers, such a `*_config_dict` replaces its `*_config` whole. SigLIP's hub files
//! hold even less (`google/siglip2-base-patch16-224` states only its vocabulary size), so
//! `SiglipTextConfig` / `SiglipVisionConfig`'s defaults (B/16 at 224 px) matter there.

use std::path::Path;

use serde::Deserialize;

use crate::error::EmbedError;

/// The activation inside the encoder MLPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `x * sigmoid(1.702 x)`: OpenAI's checkpoints.
    QuickGelu,
    /// The exact (erf) GELU: many LAION/OpenCLIP exports.
    Gelu,
    /// The tanh approximation of GELU (`gelu_pytorch_tanh`, `gelu_new`): SigLIP's.
    GeluTanh,
}

impl Activation {
    fn parse(name: &str, path: &Path) -> Result<Self, EmbedError> {
        match name {
            "quick_gelu" => Ok(Self::QuickGelu),
            "gelu" => Ok(Self::Gelu),
            other => Err(EmbedError::UnsupportedActivation {
                path: path.to_path_buf(),
                activation: other.to_owned(),
            }),
        }
    }
}

/// The text tower's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct TextConfig {
    /// Width of the token embeddings and the encoder.
    pub hidden_size: usize,
    /// Width of the MLP inside each encoder layer.
    pub intermediate_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Positions, i.e. the most token ids one text may have (77 for CLIP).
    pub max_position_embeddings: usize,
    /// Size of the token vocabulary.
    pub vocab_size: usize,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
    /// MLP activation.
    pub hidden_act: Activation,
    /// The end-of-text id as the config states it. Old exports say `2` (a placeholder that
    /// makes Hugging Face pool at `argmax(ids)`); the tokenizer then supplies the real id.
    pub eos_token_id: u32,
    /// The start-of-text id as the config states it (same caveat as `eos_token_id`).
    pub bos_token_id: u32,
}

/// The vision tower's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct VisionConfig {
    /// Width of the patch embeddings and the encoder.
    pub hidden_size: usize,
    /// Width of the MLP inside each encoder layer.
    pub intermediate_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Side of the square input image in pixels.
    pub image_size: usize,
    /// Side of one square patch in pixels.
    pub patch_size: usize,
    /// Input channels (must be 3: we feed RGB).
    pub num_channels: usize,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
    /// MLP activation.
    pub hidden_act: Activation,
}

impl VisionConfig {
    /// Patches per image (without the class token); a remainder of the image that does not
    /// fill a patch is not seen, as in transformers.
    pub fn num_patches(&self) -> usize {
        (self.image_size / self.patch_size).pow(2)
    }
}

/// A CLIP model's shape, from its `config.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipConfig {
    /// The text tower.
    pub text: TextConfig,
    /// The vision tower.
    pub vision: VisionConfig,
    /// Length of the shared embedding space, i.e. of every output vector.
    pub projection_dim: usize,
    /// `logit_scale_init_value` (ln of the logit scale a checkpoint without a
    /// `logit_scale` tensor starts from).
    pub logit_scale_init: f32,
}

#[derive(Deserialize)]
struct RawClip {
    #[serde(default = "default_projection")]
    projection_dim: usize,
    #[serde(default = "default_logit_scale_init")]
    logit_scale_init_value: f32,
    // `null` in many hub files, so each is an optional raw value, resolved by `sub_config`.
    #[serde(default)]
    text_config: Option<serde_json::Value>,
    #[serde(default)]
    text_config_dict: Option<serde_json::Value>,
    #[serde(default)]
    vision_config: Option<serde_json::Value>,
    #[serde(default)]
    vision_config_dict: Option<serde_json::Value>,
}

/// What transformers builds a sub-config from: `*_config_dict` when the file has one (over
/// the class defaults, ignoring `*_config`: `CLIPConfig.__post_init__` updates `*_config`
/// with the complete config made from the dict), else `*_config`, else the defaults.
fn sub_config<T: serde::de::DeserializeOwned>(
    path: &Path,
    config: Option<serde_json::Value>,
    dict: Option<serde_json::Value>,
) -> Result<T, EmbedError> {
    let chosen = dict
        .or(config)
        .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    serde_json::from_value(chosen).map_err(|source| EmbedError::Json {
        path: path.to_path_buf(),
        source,
    })
}

#[derive(Deserialize)]
struct RawText {
    #[serde(default = "default_text_hidden")]
    hidden_size: usize,
    #[serde(default = "default_text_intermediate")]
    intermediate_size: usize,
    #[serde(default = "default_layers")]
    num_hidden_layers: usize,
    #[serde(default = "default_text_heads")]
    num_attention_heads: usize,
    #[serde(default = "default_max_positions")]
    max_position_embeddings: usize,
    #[serde(default = "default_vocab_size")]
    vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default = "default_eos")]
    eos_token_id: u32,
    #[serde(default = "default_bos")]
    bos_token_id: u32,
}

#[derive(Deserialize)]
struct RawVision {
    #[serde(default = "default_vision_hidden")]
    hidden_size: usize,
    #[serde(default = "default_vision_intermediate")]
    intermediate_size: usize,
    #[serde(default = "default_layers")]
    num_hidden_layers: usize,
    #[serde(default = "default_vision_heads")]
    num_attention_heads: usize,
    #[serde(default = "default_image_size")]
    image_size: usize,
    #[serde(default = "default_patch_size")]
    patch_size: usize,
    #[serde(default = "default_channels")]
    num_channels: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_act")]
    hidden_act: String,
}

// Hugging Face's own defaults for CLIPConfig / CLIPTextConfig / CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py).
fn default_projection() -> usize {
    512
}
fn default_logit_scale_init() -> f32 {
    2.6592
}
fn default_text_hidden() -> usize {
    512
}
fn default_text_intermediate() -> usize {
    2048
}
fn default_text_heads() -> usize {
    8
}
fn default_layers() -> usize {
    12
}
fn default_vision_hidden() -> usize {
    768
}
fn default_vision_intermediate() -> usize {
    3072
}
fn default_vision_heads() -> usize {
    12
}
fn default_image_size() -> usize {
    224
}
fn default_patch_size() -> usize {
    32
}
fn default_max_positions() -> usize {
    77
}
fn default_vocab_size() -> usize {
    49408
}
fn default_eps() -> f64 {
    1e-5
}
fn default_act() -> String {
    "quick_gelu".to_owned()
}
fn default_eos() -> u32 {
    49407
}
fn default_bos() -> u32 {
    49406
}
fn default_channels() -> usize {
    3
}

fn read(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, EmbedError> {
    serde_json::from_slice(bytes).map_err(|source| EmbedError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn invalid(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Config {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The model families this crate runs, told apart by `model_type` in `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// OpenAI's CLIP and its re-trainings (`model_type: clip`): softmax-trained, a causal
    /// text tower pooled at the end token, vectors compared by cosine only.
    Clip,
    /// Google's SigLIP and SigLIP 2 at a fixed resolution (`model_type: siglip`):
    /// sigmoid-trained, so a (text, image) pair has a calibrated probability; bidirectional
    /// text tower on exactly 64 lowercased tokens, attention-pooled image tower.
    Siglip,
}

impl Architecture {
    /// The `model_type` value that names this architecture.
    pub fn model_type(self) -> &'static str {
        match self {
            Self::Clip => "clip",
            Self::Siglip => "siglip",
        }
    }

    /// Reads `model_type` from `config.json` content; `path` only names the file in errors.
    ///
    /// A file without `model_type` is taken as CLIP, as Glimpse always read it. Any other
    /// value is refused by name: `siglip2` is SigLIP 2's variable-resolution (NaFlex) model,
    /// whose image input and tokenizer differ, and single towers (`clip_vision_model`, ...)
    /// cannot embed both texts and images.
    pub fn from_config_slice(path: &Path, bytes: &[u8]) -> Result<Self, EmbedError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            model_type: Option<String>,
        }
        let raw: Raw = parse_json(path, bytes)?;
        match raw.model_type.as_deref() {
            None | Some("clip") => Ok(Self::Clip),
            Some("siglip") => Ok(Self::Siglip),
            Some(other) => Err(EmbedError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                model_type: other.to_owned(),
            }),
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.model_type())
    }
}

impl ClipConfig {
    /// Reads and checks a Hugging Face CLIP `config.json`.
    pub fn from_file(path: &Path) -> Result<Self, EmbedError> {
        Self::from_slice(path, &read(path)?)
    }

    /// Parses `config.json` content; `path` only names the file in errors.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Self, EmbedError> {
        let raw: RawClip = parse_json(path, bytes)?;
        let t: RawText = sub_config(path, raw.text_config, raw.text_config_dict)?;
        let v: RawVision = sub_config(path, raw.vision_config, raw.vision_config_dict)?;
        let config = Self {
            text: TextConfig {
                hidden_size: t.hidden_size,
                intermediate_size: t.intermediate_size,
                num_hidden_layers: t.num_hidden_layers,
                num_attention_heads: t.num_attention_heads,
                max_position_embeddings: t.max_position_embeddings,
                vocab_size: t.vocab_size,
                layer_norm_eps: t.layer_norm_eps,
                hidden_act: Activation::parse(&t.hidden_act, path)?,
                eos_token_id: t.eos_token_id,
                bos_token_id: t.bos_token_id,
            },
            vision: VisionConfig {
                hidden_size: v.hidden_size,
                intermediate_size: v.intermediate_size,
                num_hidden_layers: v.num_hidden_layers,
                num_attention_heads: v.num_attention_heads,
                image_size: v.image_size,
                patch_size: v.patch_size,
                num_channels: v.num_channels,
                layer_norm_eps: v.layer_norm_eps,
                hidden_act: Activation::parse(&v.hidden_act, path)?,
            },
            projection_dim: raw.projection_dim,
            logit_scale_init: raw.logit_scale_init_value,
        };
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<(), EmbedError> {
        check_towers(
            path,
            ("projection_dim", self.projection_dim),
            &self.text,
            &self.vision,
            true,
        )
    }
}

/// The checks both architectures need: positive sizes, heads that divide the width, RGB
/// input, and with `patches_tile` patches that tile the image. `projection` names the
/// output width's field.
fn check_towers(
    path: &Path,
    projection: (&str, usize),
    t: &TextConfig,
    v: &VisionConfig,
    patches_tile: bool,
) -> Result<(), EmbedError> {
    let sizes = [
        projection,
        ("text_config.hidden_size", t.hidden_size),
        ("text_config.intermediate_size", t.intermediate_size),
        ("text_config.num_hidden_layers", t.num_hidden_layers),
        ("text_config.num_attention_heads", t.num_attention_heads),
        ("text_config.vocab_size", t.vocab_size),
        ("vision_config.hidden_size", v.hidden_size),
        ("vision_config.intermediate_size", v.intermediate_size),
        ("vision_config.num_hidden_layers", v.num_hidden_layers),
        ("vision_config.num_attention_heads", v.num_attention_heads),
        ("vision_config.image_size", v.image_size),
        ("vision_config.patch_size", v.patch_size),
    ];
    if let Some((name, _)) = sizes.iter().find(|(_, n)| *n == 0) {
        return Err(invalid(path, format!("{name} must be positive")));
    }
    // Two positions at least: CLIP's start and end token, SigLIP's content and end token.
    if t.max_position_embeddings < 2 {
        return Err(invalid(
            path,
            "text_config.max_position_embeddings must be at least 2",
        ));
    }
    if !t.hidden_size.is_multiple_of(t.num_attention_heads) {
        return Err(invalid(
            path,
            "text_config.hidden_size is not a multiple of num_attention_heads",
        ));
    }
    if !v.hidden_size.is_multiple_of(v.num_attention_heads) {
        return Err(invalid(
            path,
            "vision_config.hidden_size is not a multiple of num_attention_heads",
        ));
    }
    if patches_tile && !v.image_size.is_multiple_of(v.patch_size) {
        return Err(invalid(
            path,
            "vision_config.image_size is not a multiple of patch_size",
        ));
    }
    if v.num_channels != 3 {
        return Err(invalid(
            path,
            format!(
                "vision_config.num_channels is {}, only RGB (3) is supported",
                v.num_channels
            ),
        ));
    }
    Ok(())
}

/// A SigLIP model's shape (`model_type: siglip`), from its `config.json`: SigLIP, and
/// SigLIP 2 at a fixed resolution (`google/siglip2-base-patch16-224` and its -256/-384/-512
/// and so400m siblings, which are the same `SiglipModel` with another vocabulary and size).
///
/// The towers reuse CLIP's [`TextConfig`] / [`VisionConfig`]; their `eos_token_id` and
/// `bos_token_id` are only what the file says (`SiglipTextConfig`'s defaults are CLIP
/// leftovers, and its `pad_token_id` 1 is Gemma's `<eos>`): the special tokens come from
/// `tokenizer.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct SiglipConfig {
    /// The text tower (no causal mask; pooled at its last position).
    pub text: TextConfig,
    /// The vision tower (no class token, no pre-encoder layer norm; attention-pooled).
    pub vision: VisionConfig,
    /// Width of the text tower's `head`, i.e. of every output vector
    /// (`text_config.projection_size`, the text width when absent). It must equal the vision
    /// width: the image vector is the pooling head's output, which has no projection.
    pub projection_size: usize,
}

#[derive(Deserialize)]
struct RawSiglip {
    #[serde(default)]
    text_config: Option<serde_json::Value>,
    #[serde(default)]
    vision_config: Option<serde_json::Value>,
}

// transformers' `SiglipTextConfig` / `SiglipVisionConfig` defaults
// (transformers/models/siglip/configuration_siglip.py, 5.25): B/16, 224 px, 64 positions.
#[derive(Deserialize)]
struct RawSiglipText {
    #[serde(default = "siglip_width")]
    hidden_size: usize,
    #[serde(default = "siglip_mlp")]
    intermediate_size: usize,
    #[serde(default = "default_layers")]
    num_hidden_layers: usize,
    #[serde(default = "default_vision_heads")]
    num_attention_heads: usize,
    #[serde(default = "siglip_positions")]
    max_position_embeddings: usize,
    #[serde(default = "siglip_vocab")]
    vocab_size: usize,
    #[serde(default = "siglip_eps")]
    layer_norm_eps: f64,
    #[serde(default = "siglip_act")]
    hidden_act: String,
    #[serde(default = "default_eos")]
    eos_token_id: u32,
    #[serde(default = "default_bos")]
    bos_token_id: u32,
    // `null` or absent: the text width.
    #[serde(default)]
    projection_size: Option<usize>,
}

#[derive(Deserialize)]
struct RawSiglipVision {
    #[serde(default = "siglip_width")]
    hidden_size: usize,
    #[serde(default = "siglip_mlp")]
    intermediate_size: usize,
    #[serde(default = "default_layers")]
    num_hidden_layers: usize,
    #[serde(default = "default_vision_heads")]
    num_attention_heads: usize,
    #[serde(default = "default_image_size")]
    image_size: usize,
    #[serde(default = "siglip_patch")]
    patch_size: usize,
    #[serde(default = "default_channels")]
    num_channels: usize,
    #[serde(default = "siglip_eps")]
    layer_norm_eps: f64,
    #[serde(default = "siglip_act")]
    hidden_act: String,
    #[serde(default = "siglip_use_head")]
    vision_use_head: bool,
}

fn siglip_width() -> usize {
    768
}
fn siglip_mlp() -> usize {
    3072
}
fn siglip_positions() -> usize {
    64
}
fn siglip_vocab() -> usize {
    32000
}
fn siglip_eps() -> f64 {
    1e-6
}
fn siglip_act() -> String {
    "gelu_pytorch_tanh".to_owned()
}
fn siglip_patch() -> usize {
    16
}
fn siglip_use_head() -> bool {
    true
}

/// SigLIP's activations: transformers' `ACT2FN` names of the functions Candle has.
fn siglip_activation(name: &str, path: &Path, field: &str) -> Result<Activation, EmbedError> {
    match name {
        // `gelu_new` is the same tanh formula as `gelu_pytorch_tanh`.
        "gelu_pytorch_tanh" | "gelu_new" => Ok(Activation::GeluTanh),
        "gelu" => Ok(Activation::Gelu),
        "quick_gelu" => Ok(Activation::QuickGelu),
        other => Err(invalid(
            path,
            format!(
                "{field} is {other:?}; SigLIP models use \"gelu_pytorch_tanh\" (also known: \
                 \"gelu_new\", \"gelu\", \"quick_gelu\")"
            ),
        )),
    }
}

impl SiglipConfig {
    /// Reads and checks a Hugging Face SigLIP `config.json`.
    pub fn from_file(path: &Path) -> Result<Self, EmbedError> {
        Self::from_slice(path, &read(path)?)
    }

    /// Parses `config.json` content; `path` only names the file in errors. The file's
    /// `model_type` is not checked here (see [`Architecture::from_config_slice`]).
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Self, EmbedError> {
        let raw: RawSiglip = parse_json(path, bytes)?;
        let t: RawSiglipText = sub_config(path, raw.text_config, None)?;
        let v: RawSiglipVision = sub_config(path, raw.vision_config, None)?;
        if !v.vision_use_head {
            return Err(invalid(
                path,
                "vision_config.vision_use_head is false: the image vector is the \
                 attention-pooling head's output, which this model does not have",
            ));
        }
        let config = Self {
            projection_size: t.projection_size.unwrap_or(t.hidden_size),
            text: TextConfig {
                hidden_size: t.hidden_size,
                intermediate_size: t.intermediate_size,
                num_hidden_layers: t.num_hidden_layers,
                num_attention_heads: t.num_attention_heads,
                max_position_embeddings: t.max_position_embeddings,
                vocab_size: t.vocab_size,
                layer_norm_eps: t.layer_norm_eps,
                hidden_act: siglip_activation(&t.hidden_act, path, "text_config.hidden_act")?,
                eos_token_id: t.eos_token_id,
                bos_token_id: t.bos_token_id,
            },
            vision: VisionConfig {
                hidden_size: v.hidden_size,
                intermediate_size: v.intermediate_size,
                num_hidden_layers: v.num_hidden_layers,
                num_attention_heads: v.num_attention_heads,
                image_size: v.image_size,
                patch_size: v.patch_size,
                num_channels: v.num_channels,
                layer_norm_eps: v.layer_norm_eps,
                hidden_act: siglip_activation(&v.hidden_act, path, "vision_config.hidden_act")?,
            },
        };
        // SigLIP's patch convolution drops what is left over, as so400m-patch14-384 needs
        // (384 = 27 × 14 + 6): transformers counts `(image_size // patch_size)²` patches.
        check_towers(
            path,
            ("text_config.projection_size", config.projection_size),
            &config.text,
            &config.vision,
            false,
        )?;
        if config.vision.patch_size > config.vision.image_size {
            return Err(invalid(
                path,
                "vision_config.patch_size is larger than image_size",
            ));
        }
        if config.projection_size != config.vision.hidden_size {
            return Err(invalid(
                path,
                format!(
                    "text_config.projection_size ({}) differs from vision_config.hidden_size \
                     ({}): text and image vectors would not be comparable",
                    config.projection_size, config.vision.hidden_size
                ),
            ));
        }
        Ok(config)
    }
}

/// How the shorter side (or both sides) of an image is resized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeTarget {
    /// Scale so the shorter side has this length, keeping the aspect ratio (the long side
    /// is truncated, as Hugging Face does). CLIP's choice.
    ShortestEdge(u32),
    /// Scale to exactly this size, ignoring the aspect ratio.
    Exact {
        /// Output height.
        height: u32,
        /// Output width.
        width: u32,
    },
}

/// The filter a resize uses, as PIL applies it (antialiased when shrinking: the kernel
/// widens by the shrink factor) and as `preprocessor_config.json`'s `resample` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resample {
    /// PIL's `BILINEAR` (2): a triangle kernel. SigLIP 2's hub files ask for it.
    Bilinear,
    /// PIL's `BICUBIC` (3): the cubic kernel with a = -0.5. CLIP's, and the default of
    /// both `CLIPImageProcessor` and `SiglipImageProcessor`.
    #[default]
    Bicubic,
}

impl Resample {
    /// The filter PIL numbers `code`, if it is one of the two implemented.
    pub fn from_pil_code(code: u32) -> Option<Self> {
        match code {
            2 => Some(Self::Bilinear),
            3 => Some(Self::Bicubic),
            _ => None,
        }
    }

    /// PIL's number for this filter.
    pub fn pil_code(self) -> u32 {
        match self {
            Self::Bilinear => 2,
            Self::Bicubic => 3,
        }
    }
}

/// The image preprocessing a model expects, from its `preprocessor_config.json`
/// (Hugging Face `CLIPImageProcessor` or `SiglipImageProcessor` fields).
#[derive(Debug, Clone, PartialEq)]
pub struct PreprocessConfig {
    /// The resize step, or `None` when `do_resize` is false.
    pub resize: Option<ResizeTarget>,
    /// The resize filter (`resample`).
    pub resample: Resample,
    /// The center crop as (height, width), or `None` when `do_center_crop` is false.
    pub crop: Option<(u32, u32)>,
    /// Factor applied to 8-bit values, or `None` when `do_rescale` is false.
    pub rescale: Option<f32>,
    /// Per-channel (mean, std) in RGB order, or `None` when `do_normalize` is false.
    pub normalize: Option<([f32; 3], [f32; 3])>,
}

/// OpenAI CLIP's channel means, as in `preprocessor_config.json` of the OpenAI models.
pub const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
/// OpenAI CLIP's channel standard deviations.
// Written digit for digit as in the OpenAI `preprocessor_config.json`, for easy comparison;
// the f32 values are the same.
#[allow(clippy::excessive_precision)]
pub const CLIP_STD: [f32; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

impl Default for PreprocessConfig {
    /// Hugging Face `CLIPImageProcessor`'s defaults: shortest edge 224, center crop 224,
    /// ×1/255, CLIP mean and std.
    fn default() -> Self {
        Self {
            resize: Some(ResizeTarget::ShortestEdge(224)),
            resample: Resample::Bicubic,
            crop: Some((224, 224)),
            rescale: Some(1.0 / 255.0),
            normalize: Some((CLIP_MEAN, CLIP_STD)),
        }
    }
}

/// SigLIP's channel means and standard deviations (transformers' `IMAGENET_STANDARD_*`):
/// pixels end up in [-1, 1].
pub const SIGLIP_MEAN_STD: f32 = 0.5;

/// A size given either as a number or as an object, as Hugging Face allows.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSize {
    Square(u32),
    Object {
        shortest_edge: Option<u32>,
        longest_edge: Option<u32>,
        height: Option<u32>,
        width: Option<u32>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawStats {
    One(f32),
    Three([f32; 3]),
}

impl RawStats {
    fn channels(self) -> [f32; 3] {
        match self {
            Self::One(v) => [v; 3],
            Self::Three(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawPreprocess {
    do_resize: Option<bool>,
    size: Option<RawSize>,
    resample: Option<u32>,
    do_center_crop: Option<bool>,
    crop_size: Option<RawSize>,
    do_rescale: Option<bool>,
    rescale_factor: Option<f32>,
    do_normalize: Option<bool>,
    image_mean: Option<RawStats>,
    image_std: Option<RawStats>,
}

/// PIL's code for bicubic resampling, the only one implemented.
impl PreprocessConfig {
    /// Hugging Face `SiglipImageProcessor`'s defaults: exactly 224×224 (aspect ratio not
    /// kept, no crop), bicubic, ×1/255, mean and std 0.5. (SigLIP 2's hub files say
    /// bilinear.)
    pub fn siglip_default() -> Self {
        Self {
            resize: Some(ResizeTarget::Exact {
                height: 224,
                width: 224,
            }),
            resample: Resample::Bicubic,
            crop: None,
            rescale: Some(1.0 / 255.0),
            normalize: Some(([SIGLIP_MEAN_STD; 3], [SIGLIP_MEAN_STD; 3])),
        }
    }

    /// The defaults of `architecture`'s image processor (what a model without
    /// `preprocessor_config.json` gets).
    pub fn default_for(architecture: Architecture) -> Self {
        match architecture {
            Architecture::Clip => Self::default(),
            Architecture::Siglip => Self::siglip_default(),
        }
    }

    /// Reads `preprocessor_config.json`; `None` gives CLIP's defaults.
    pub fn from_file(path: Option<&Path>) -> Result<Self, EmbedError> {
        match path {
            None => Ok(Self::default()),
            Some(path) => Self::from_slice(path, &read(path)?),
        }
    }

    /// Parses `preprocessor_config.json` content; `path` only names the file in errors.
    /// Absent fields take `CLIPImageProcessor`'s defaults.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Self, EmbedError> {
        Self::from_slice_for(Architecture::Clip, path, bytes)
    }

    /// Parses `preprocessor_config.json` content for a model of `architecture`: absent
    /// fields take the defaults of its image processor ([`Self::default_for`]). SigLIP's
    /// processor crops only when the file asks for it (`do_center_crop: true` with a
    /// `crop_size`); CLIP's crops unless told not to.
    pub fn from_slice_for(
        architecture: Architecture,
        path: &Path,
        bytes: &[u8],
    ) -> Result<Self, EmbedError> {
        let raw: RawPreprocess = parse_json(path, bytes)?;
        let defaults = Self::default_for(architecture);
        let resample = match raw.resample {
            None => defaults.resample,
            Some(code) => Resample::from_pil_code(code).ok_or_else(|| {
                invalid(
                    path,
                    format!("resample = {code}: only bilinear (2) and bicubic (3) are implemented"),
                )
            })?,
        };
        let resize = if raw.do_resize.unwrap_or(true) {
            match raw.size {
                None => defaults.resize,
                Some(RawSize::Square(s)) => Some(ResizeTarget::ShortestEdge(s)),
                Some(RawSize::Object {
                    shortest_edge: Some(s),
                    longest_edge: None,
                    ..
                }) => Some(ResizeTarget::ShortestEdge(s)),
                Some(RawSize::Object {
                    shortest_edge: None,
                    longest_edge: None,
                    height: Some(height),
                    width: Some(width),
                }) => Some(ResizeTarget::Exact { height, width }),
                Some(_) => {
                    return Err(invalid(
                        path,
                        "size must be a number, {shortest_edge} or {height, width}",
                    ));
                }
            }
        } else {
            None
        };
        let crop_by_default = defaults.crop.is_some();
        let crop = if raw.do_center_crop.unwrap_or(crop_by_default) {
            match raw.crop_size {
                None if crop_by_default => defaults.crop,
                None => {
                    return Err(invalid(
                        path,
                        "do_center_crop is true but there is no crop_size",
                    ));
                }
                Some(RawSize::Square(s)) => Some((s, s)),
                Some(RawSize::Object {
                    height: Some(h),
                    width: Some(w),
                    ..
                }) => Some((h, w)),
                Some(_) => {
                    return Err(invalid(
                        path,
                        "crop_size must be a number or {height, width}",
                    ));
                }
            }
        } else {
            None
        };
        let rescale = if raw.do_rescale.unwrap_or(true) {
            Some(raw.rescale_factor.unwrap_or(1.0 / 255.0))
        } else {
            None
        };
        let normalize = if raw.do_normalize.unwrap_or(true) {
            let (default_mean, default_std) = defaults
                .normalize
                .unwrap_or(([SIGLIP_MEAN_STD; 3], [SIGLIP_MEAN_STD; 3]));
            let mean = raw
                .image_mean
                .map(RawStats::channels)
                .unwrap_or(default_mean);
            let std = raw.image_std.map(RawStats::channels).unwrap_or(default_std);
            if std.iter().any(|s| *s == 0.0 || !s.is_finite()) {
                return Err(invalid(path, "image_std must be finite and non-zero"));
            }
            Some((mean, std))
        } else {
            None
        };
        let sides = [
            resize.map(|r| match r {
                ResizeTarget::ShortestEdge(s) => s,
                ResizeTarget::Exact { height, width } => height.min(width),
            }),
            crop.map(|(h, w)| h.min(w)),
        ];
        if sides.into_iter().flatten().any(|s| s == 0) {
            return Err(invalid(path, "size and crop_size must be positive"));
        }
        Ok(Self {
            resize,
            resample,
            crop,
            rescale,
            normalize,
        })
    }

    /// The (height, width) of the output for an input of `width`×`height`, or `None` when
    /// it depends on the input (no crop and no exact resize).
    pub fn fixed_output(&self) -> Option<(u32, u32)> {
        match (self.crop, self.resize) {
            (Some(hw), _) => Some(hw),
            (None, Some(ResizeTarget::Exact { height, width })) => Some((height, width)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pp(json: &str) -> Result<PreprocessConfig, EmbedError> {
        PreprocessConfig::from_slice(Path::new("preprocessor_config.json"), json.as_bytes())
    }

    #[test]
    fn preprocessor_sizes_in_every_hf_spelling() {
        let legacy = pp(r#"{"size": 336, "crop_size": 336}"#).expect("numbers");
        assert_eq!(legacy.resize, Some(ResizeTarget::ShortestEdge(336)));
        assert_eq!(legacy.crop, Some((336, 336)));
        let exact = pp(r#"{"size": {"height": 256, "width": 320}, "do_center_crop": false}"#)
            .expect("height/width");
        assert_eq!(
            exact.resize,
            Some(ResizeTarget::Exact {
                height: 256,
                width: 320
            })
        );
        assert_eq!(exact.fixed_output(), Some((256, 320)));
        assert_eq!(pp("{}").expect("empty object"), PreprocessConfig::default());
    }

    #[test]
    fn preprocessor_options_we_cannot_honour_are_refused() {
        let lanczos = pp(r#"{"resample": 1}"#).expect_err("lanczos is not implemented");
        assert!(lanczos.to_string().contains("resample = 1"), "{lanczos}");
        assert_eq!(
            pp(r#"{"resample": 2}"#).expect("bilinear").resample,
            Resample::Bilinear
        );
        assert!(
            pp(r#"{"size": {"longest_edge": 224}}"#).is_err(),
            "longest_edge alone"
        );
        assert!(pp(r#"{"image_std": [0.5, 0, 0.5]}"#).is_err(), "zero std");
    }

    #[test]
    fn activations_other_than_the_two_clip_ones_are_refused() {
        let config = include_str!("../../../tests/fixtures/clip-reference/model/config.json");
        let path = Path::new("config.json");
        let ok = ClipConfig::from_slice(path, config.as_bytes()).expect("fixture config");
        assert_eq!(ok.text.hidden_act, Activation::QuickGelu);
        assert_eq!(ok.vision.num_patches(), 49);
        let gelu = config.replacen("quick_gelu", "gelu", 1);
        let gelu = ClipConfig::from_slice(path, gelu.as_bytes()).expect("gelu is supported");
        assert_eq!(gelu.text.hidden_act, Activation::Gelu);
        let tanh = config.replacen("quick_gelu", "gelu_new", 1);
        let err = ClipConfig::from_slice(path, tanh.as_bytes()).expect_err("gelu_new");
        assert!(
            matches!(err, EmbedError::UnsupportedActivation { .. }),
            "{err}"
        );
    }

    #[test]
    fn legacy_config_dicts_replace_the_sub_configs_as_transformers_does() {
        // The shape of old exports such as openai/clip-vit-large-patch14: the real sizes in
        // `*_config_dict`, a `text_config` of defaults beside it, `null`s elsewhere.
        let legacy = r#"{
            "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 768,
            "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
                            "hidden_act": "quick_gelu", "eos_token_id": 2, "bos_token_id": 0},
            "text_config_dict": {"hidden_size": 768, "intermediate_size": 3072,
                                 "num_attention_heads": 12, "num_hidden_layers": 12,
                                 "projection_dim": 768},
            "vision_config": null,
            "vision_config_dict": {"hidden_size": 1024, "intermediate_size": 4096,
                                   "num_attention_heads": 16, "num_hidden_layers": 24,
                                   "patch_size": 14, "projection_dim": 768}
        }"#;
        let c = ClipConfig::from_slice(Path::new("config.json"), legacy.as_bytes())
            .expect("legacy layout");
        assert_eq!(
            (
                c.text.hidden_size,
                c.text.intermediate_size,
                c.text.num_attention_heads
            ),
            (768, 3072, 12)
        );
        // The dict wins whole: text_config's old placeholder ids are not taken either.
        assert_eq!((c.text.eos_token_id, c.text.bos_token_id), (49407, 49406));
        assert_eq!(
            (
                c.vision.hidden_size,
                c.vision.num_hidden_layers,
                c.vision.patch_size
            ),
            (1024, 24, 14)
        );
        assert_eq!((c.vision.image_size, c.projection_dim), (224, 768));

        // No sub-configs at all: transformers' defaults, i.e. ViT-B/32.
        let bare = ClipConfig::from_slice(Path::new("config.json"), b"{}").expect("defaults");
        assert_eq!(
            (
                bare.text.hidden_size,
                bare.vision.hidden_size,
                bare.vision.patch_size
            ),
            (512, 768, 32)
        );
        assert_eq!(bare.projection_dim, 512);
    }

    #[test]
    fn siglip2_hub_config_takes_siglip_defaults() {
        // google/siglip2-base-patch16-224's config.json, whole.
        let hub = r#"{"initializer_factor": 1.0, "model_type": "siglip",
            "text_config": {"model_type": "siglip_text_model", "vocab_size": 256000},
            "transformers_version": "4.49.0.dev0",
            "vision_config": {"model_type": "siglip_vision_model"}}"#;
        let path = Path::new("config.json");
        assert_eq!(
            Architecture::from_config_slice(path, hub.as_bytes()).expect("model_type"),
            Architecture::Siglip
        );
        let c = SiglipConfig::from_slice(path, hub.as_bytes()).expect("hub config");
        let (t, v) = (&c.text, &c.vision);
        assert_eq!(
            (
                t.vocab_size,
                t.hidden_size,
                t.intermediate_size,
                t.num_hidden_layers
            ),
            (256_000, 768, 3072, 12)
        );
        assert_eq!((t.num_attention_heads, t.max_position_embeddings), (12, 64));
        assert_eq!(
            (t.layer_norm_eps, t.hidden_act),
            (1e-6, Activation::GeluTanh)
        );
        assert_eq!(
            c.projection_size, 768,
            "projection_size defaults to the text width"
        );
        assert_eq!(
            (v.image_size, v.patch_size, v.num_patches()),
            (224, 16, 196)
        );
        assert_eq!(
            (v.layer_norm_eps, v.hidden_act),
            (1e-6, Activation::GeluTanh)
        );
        // so400m-patch14-384's shape, written out as its hub file does.
        let so400m = r#"{"model_type": "siglip",
            "text_config": {"hidden_size": 1152, "intermediate_size": 4304,
                            "num_attention_heads": 16, "num_hidden_layers": 27,
                            "vocab_size": 256000},
            "vision_config": {"hidden_size": 1152, "image_size": 384, "intermediate_size": 4304,
                              "num_attention_heads": 16, "num_hidden_layers": 27,
                              "patch_size": 14}}"#;
        let c = SiglipConfig::from_slice(path, so400m.as_bytes()).expect("so400m");
        assert_eq!((c.projection_size, c.vision.num_patches()), (1152, 729));
    }

    #[test]
    fn model_types_other_than_clip_and_siglip_are_refused_by_name() {
        let path = Path::new("dir/config.json");
        let arch = |json: &str| Architecture::from_config_slice(path, json.as_bytes());
        assert_eq!(arch("{}").expect("none"), Architecture::Clip, "old exports");
        assert_eq!(
            arch(r#"{"model_type": "clip"}"#).expect("clip"),
            Architecture::Clip
        );
        for other in ["siglip2", "clip_vision_model", "chinese_clip"] {
            let err = arch(&format!(r#"{{"model_type": "{other}"}}"#)).expect_err(other);
            let message = err.to_string();
            assert!(
                matches!(err, EmbedError::UnsupportedArchitecture { .. })
                    && message.contains("dir/config.json")
                    && message.contains(&format!("\"{other}\"")),
                "{message}"
            );
        }
    }

    #[test]
    fn siglip_preprocessing_squashes_without_cropping() {
        let path = Path::new("preprocessor_config.json");
        let hub = r#"{"do_convert_rgb": null, "do_normalize": true, "do_rescale": true,
            "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
            "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
            "processor_class": "SiglipProcessor", "resample": 2,
            "rescale_factor": 0.00392156862745098, "size": {"height": 512, "width": 512}}"#;
        let c = PreprocessConfig::from_slice_for(Architecture::Siglip, path, hub.as_bytes())
            .expect("siglip2-base-patch16-512's file");
        assert_eq!(
            c.resize,
            Some(ResizeTarget::Exact {
                height: 512,
                width: 512
            })
        );
        assert_eq!((c.crop, c.resample), (None, Resample::Bilinear));
        assert_eq!(c.fixed_output(), Some((512, 512)));
        // The same file read with CLIP's rules would crop at CLIP's default 224.
        let clip = PreprocessConfig::from_slice(path, hub.as_bytes()).expect("clip rules");
        assert_eq!(clip.crop, Some((224, 224)));
        // SigLIP crops only when asked, and then needs a size.
        let asked = PreprocessConfig::from_slice_for(
            Architecture::Siglip,
            path,
            br#"{"do_center_crop": true}"#,
        );
        assert!(asked.is_err(), "a crop without crop_size");
        let empty = PreprocessConfig::from_slice_for(Architecture::Siglip, path, b"{}")
            .expect("class defaults");
        assert_eq!(empty, PreprocessConfig::siglip_default());
    }
}
