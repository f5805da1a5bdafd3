//! The loaded model with its tokenizer and preprocessor: the one type callers run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use image::DynamicImage;

use crate::config::{ClipConfig, PreprocessConfig};
use crate::device::DeviceChoice;
use crate::error::EmbedError;
use crate::model::{self, ClipModel, MODEL_DTYPE};
use crate::preprocess::{PREPROCESS_VERSION, Pixels, Preprocessor};
use crate::source::ModelFiles;
use crate::tokenize::ClipTokenizer;

/// A CLIP model ready to embed texts and images into one unit-length vector space.
///
/// It is `Send` but meant to be owned by one thread (the embedder thread), which feeds it
/// batches; preprocessing can run elsewhere with a clone of [`Embedder::preprocessor`].
pub struct Embedder {
    model: ClipModel,
    tokenizer: ClipTokenizer,
    preprocessor: Preprocessor,
    device: Device,
    device_name: String,
    name: String,
    id: String,
    dim: usize,
    /// (height, width) the vision tower takes.
    image_hw: (usize, usize),
    /// `exp(logit_scale)`: how the model scales cosines into logits.
    logit_scale: f32,
}

// The engine moves the embedder into its own thread and shares preprocessors across
// decode threads; keep that true at compile time.
const _: () = {
    const fn send<T: Send>() {}
    const fn share<T: Send + Sync + Clone>() {}
    send::<Embedder>();
    share::<Preprocessor>();
};

/// The checkpoint tensor holding `ln` of the logit scale.
const LOGIT_SCALE: &str = "logit_scale";

fn read(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Embedder {
    /// Loads a model from its files onto `device`.
    ///
    /// Checks the config (sizes, activation), that the preprocessor's output fits the
    /// vision tower, and that every weight tensor exists with the right shape.
    pub fn load(files: &ModelFiles, device: DeviceChoice) -> Result<Self, EmbedError> {
        let config_bytes = read(&files.config)?;
        let config = ClipConfig::from_slice(&files.config, &config_bytes)?;

        let (preprocess_config, preprocess_bytes) = match &files.preprocessor {
            Some(path) => {
                let bytes = read(path)?;
                (PreprocessConfig::from_slice(path, &bytes)?, bytes)
            }
            None => (PreprocessConfig::default(), Vec::new()),
        };
        let image_size = config.vision.image_size;
        let fits = preprocess_config.fixed_output() == Some((image_size as u32, image_size as u32));
        if !fits {
            return Err(EmbedError::Config {
                path: files
                    .preprocessor
                    .clone()
                    .unwrap_or_else(|| files.config.clone()),
                reason: format!(
                    "preprocessing gives {:?} (height, width), the vision model takes {image_size}x{image_size}",
                    preprocess_config.fixed_output()
                ),
            });
        }
        let preprocessor = Preprocessor::new(preprocess_config);

        let tokenizer_bytes = read(&files.tokenizer)?;
        let tokenizer =
            ClipTokenizer::from_bytes(&files.tokenizer, &tokenizer_bytes, &config.text)?;

        let (device, device_name) = device.open()?;

        // Streamed one tensor at a time, hashing the files on the way for the local id.
        let mut prefix = blake3::Hasher::new();
        prefix.update(b"glimpse-embed local model v1");
        let index_bytes = files.weights_index.as_deref().map(read).transpose()?;
        // A single file keeps the framing ids had before shards were read, so local
        // models already indexed keep their vectors.
        let mut framed = vec![&config_bytes, &preprocess_bytes, &tokenizer_bytes];
        framed.extend(index_bytes.as_ref());
        for bytes in framed {
            prefix.update(&(bytes.len() as u64).to_le_bytes());
            prefix.update(bytes);
        }
        let needed = model::tensor_names(&config);
        let mut wanted: HashSet<String> = needed.iter().cloned().collect();
        // Not needed to embed, but it scales cosines into the model's logits (the
        // good-match line's units); read when the checkpoint has it.
        wanted.insert(LOGIT_SCALE.to_owned());
        let paths: Vec<&Path> = files.weights.iter().map(PathBuf::as_path).collect();
        let weights = crate::weights_stream::load(&paths, prefix, &wanted, MODEL_DTYPE)?;
        let location = files.weights_location().to_path_buf();
        let weights_error = |source: candle_core::Error| EmbedError::Weights {
            path: location.clone(),
            source,
        };
        let mut tensors = weights.tensors;
        let logit_scale = match tensors.remove(LOGIT_SCALE) {
            Some(t) => t
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .ok()
                .and_then(|v| v.first().copied())
                .filter(|v| v.is_finite())
                .map_or(config.logit_scale_init.exp(), f32::exp),
            None => config.logit_scale_init.exp(),
        };
        if let Some(name) = needed.into_iter().find(|n| !tensors.contains_key(n)) {
            return Err(EmbedError::MissingTensor {
                path: location,
                name,
            });
        }
        let revision = match &files.revision {
            Some(revision) => revision.clone(),
            None => {
                let hex = weights.hasher.finalize().to_hex();
                format!("local-{}", &hex.as_str()[..16])
            }
        };
        let vb = VarBuilder::from_tensors(tensors, MODEL_DTYPE, &device);
        let model = ClipModel::new(&config, vb).map_err(weights_error)?;

        let id = format!("{}@{revision}+pp{PREPROCESS_VERSION}", files.name);
        tracing::info!(%id, device = %device_name, "CLIP model loaded");
        Ok(Self {
            model,
            tokenizer,
            preprocessor,
            device,
            device_name,
            name: files.name.clone(),
            id,
            dim: config.projection_dim,
            image_hw: (image_size, image_size),
            logit_scale,
        })
    }

    /// Identifies the vectors this embedder makes: `<name>@<revision>+pp<PREPROCESS_VERSION>`.
    ///
    /// `revision` is the hub commit, or for a local folder `local-` and the first 16 hex
    /// digits of a BLAKE3 hash over `config.json`, `preprocessor_config.json`,
    /// `tokenizer.json` and the weights (all read anyway while loading): stable across
    /// copies and touches, different as soon as any byte that affects vectors differs.
    /// Vectors with different ids must not be compared.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model's name (hub repo or folder name).
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// `exp(logit_scale)` of the checkpoint (or of the config's `logit_scale_init_value`
    /// when the file has none): logit units per unit of cosine.
    pub fn logit_scale(&self) -> f32 {
        self.logit_scale
    }

    /// The bias of the model's own text–image logits: SigLIP's `logit_bias`; `None` for
    /// CLIP, whose logits have no calibrated offset.
    pub fn logit_bias(&self) -> Option<f32> {
        None
    }

    /// Length of every vector (the config's `projection_dim`).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The device in use, e.g. `cpu` or `cuda:0`.
    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    /// The preprocessing this model needs; clone it to preprocess on other threads.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    /// The token ids the model sees for `text`: start token, BPE ids, end token, cut to the
    /// model's positions (keeping the end token).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        self.tokenizer.encode(text)
    }

    /// Unit vectors for `texts`, in order. A batch gives the same vectors as one text at a
    /// time (up to float noise).
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encoded = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<Vec<_>, _>>()?;
        let longest = encoded.iter().map(Vec::len).max().unwrap_or(0);
        let end = self.tokenizer.end_id();
        let mut flat = Vec::with_capacity(texts.len() * longest);
        let mut pool_at = Vec::with_capacity(texts.len());
        for ids in encoded {
            // HF pools at the first end token; ids always contain one.
            pool_at.push(
                ids.iter()
                    .position(|&id| id == end)
                    .unwrap_or(ids.len() - 1),
            );
            // Padding with the end token after the first one changes nothing: the causal
            // mask hides later positions from the pooled one.
            flat.extend(
                ids.iter()
                    .copied()
                    .chain(std::iter::repeat(end))
                    .take(longest),
            );
        }
        let ids = Tensor::from_vec(flat, (texts.len(), longest), &self.device)
            .map_err(EmbedError::Inference)?;
        let features = self
            .model
            .text_features(&ids, &pool_at)
            .map_err(EmbedError::Inference)?;
        features.to_vec2::<f32>().map_err(EmbedError::Inference)
    }

    /// Unit vectors for preprocessed images, in order. Pixels must come from this model's
    /// [`Preprocessor`] (checked).
    pub fn embed_pixels(&self, batch: &[Pixels]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let (height, width) = self.image_hw;
        let mut flat = Vec::with_capacity(batch.len() * 3 * height * width);
        for p in batch {
            if (p.height(), p.width()) != (height, width)
                || p.as_slice().len() != 3 * height * width
            {
                return Err(EmbedError::PixelsShape {
                    height,
                    width,
                    got_height: p.height(),
                    got_width: p.width(),
                    got_len: p.as_slice().len(),
                });
            }
            flat.extend_from_slice(p.as_slice());
        }
        let pixels = Tensor::from_vec(flat, (batch.len(), 3, height, width), &self.device)
            .map_err(EmbedError::Inference)?;
        let features = self
            .model
            .image_features(&pixels)
            .map_err(EmbedError::Inference)?;
        features.to_vec2::<f32>().map_err(EmbedError::Inference)
    }

    /// Preprocesses and embeds oriented images (convenience for callers without a decode
    /// pool). One unusable image fails the whole call; to skip bad images instead, run
    /// [`Preprocessor::pixels`] per image and [`Embedder::embed_pixels`] on the good ones.
    pub fn embed_images(&self, imgs: &[DynamicImage]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let pixels = imgs
            .iter()
            .map(|img| self.preprocessor.pixels(img))
            .collect::<Result<Vec<_>, _>>()?;
        self.embed_pixels(&pixels)
    }
}
