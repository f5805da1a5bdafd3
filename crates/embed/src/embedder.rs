//! The loaded model with its tokenizer and preprocessor: the one type callers run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use image::DynamicImage;

use crate::config::{Architecture, ClipConfig, PreprocessConfig, SiglipConfig};
use crate::device::DeviceChoice;
use crate::error::EmbedError;
use crate::model::{self, ClipModel, MODEL_DTYPE};
use crate::preprocess::{PREPROCESS_VERSION, Pixels, Preprocessor};
use crate::siglip::{self, SiglipModel};
use crate::tokenize::{ClipTokenizer, SiglipTokenizer};
use crate::weights_stream::Want;
use glimpse_models::source::ModelFiles;

/// The network and its tokenizer, per architecture (boxed: the two differ in size).
enum Net {
    Clip {
        model: Box<ClipModel>,
        tokenizer: ClipTokenizer,
    },
    Siglip {
        model: Box<SiglipModel>,
        tokenizer: SiglipTokenizer,
    },
}

/// A parsed `config.json` of either architecture.
enum Config {
    Clip(ClipConfig),
    Siglip(SiglipConfig),
}

impl Config {
    fn read(path: &Path, bytes: &[u8]) -> Result<Self, EmbedError> {
        Ok(match Architecture::from_config_slice(path, bytes)? {
            Architecture::Clip => Self::Clip(ClipConfig::from_slice(path, bytes)?),
            Architecture::Siglip => Self::Siglip(SiglipConfig::from_slice(path, bytes)?),
        })
    }

    fn architecture(&self) -> Architecture {
        match self {
            Self::Clip(_) => Architecture::Clip,
            Self::Siglip(_) => Architecture::Siglip,
        }
    }

    fn image_size(&self) -> usize {
        match self {
            Self::Clip(c) => c.vision.image_size,
            Self::Siglip(c) => c.vision.image_size,
        }
    }

    /// Length of the output vectors.
    fn dim(&self) -> usize {
        match self {
            Self::Clip(c) => c.projection_dim,
            Self::Siglip(c) => c.projection_size,
        }
    }

    /// Every tensor the model reads, and how.
    fn tensor_names(&self) -> Vec<(String, Want)> {
        match self {
            Self::Clip(c) => model::tensor_names(c)
                .into_iter()
                .map(|n| {
                    let want = if n == model::TOKEN_EMBEDDING {
                        Want::OnDisk
                    } else {
                        Want::Load
                    };
                    (n, want)
                })
                .collect(),
            Self::Siglip(c) => siglip::tensor_names(c),
        }
    }
}

/// A config with its tokenizer, made before the (slow) weights are read so that a bad
/// `tokenizer.json` fails fast.
enum Parts {
    Clip(ClipConfig, ClipTokenizer),
    Siglip(SiglipConfig, SiglipTokenizer),
}

/// A CLIP or SigLIP model ready to embed texts and images into one unit-length vector
/// space.
///
/// The architecture comes from `config.json`'s `model_type` ([`Embedder::architecture`]);
/// everything else works the same for both. SigLIP models also score a (text, image) pair
/// with a calibrated probability ([`Embedder::pair_probability`]).
///
/// It is `Send` but meant to be owned by one thread (the embedder thread), which feeds it
/// batches; preprocessing can run elsewhere with a clone of [`Embedder::preprocessor`].
pub struct Embedder {
    net: Net,
    architecture: Architecture,
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
    /// Where the image tower comes from when it is built again after a release.
    vision_source: TowerSource,
    /// The same for the text tower.
    text_source: TowerSource,
    /// When a text was last embedded (or the model loaded).
    last_text: std::sync::Mutex<std::time::Instant>,
}

/// One of the two towers.
#[derive(Clone, Copy, Debug)]
enum Tower {
    Text,
    Vision,
}

/// The weights files (with the size and time they had when the model was loaded) and one
/// tower's tensors in them.
struct TowerSource {
    files: Vec<(PathBuf, Option<(u64, std::time::SystemTime)>)>,
    names: Vec<String>,
    /// Held while the tower is built again, so two callers build it once.
    turn: std::sync::Mutex<()>,
}

fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
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
    /// `config.json`'s `model_type` picks the architecture: `clip` (or none, as older
    /// exports have it) or `siglip`; anything else (e.g. `siglip2`, the variable-resolution
    /// NaFlex variant) is refused with [`EmbedError::UnsupportedArchitecture`]. Checks the
    /// config (sizes, activation), that the preprocessor's output fits the vision tower,
    /// and that every weight tensor exists with the right shape.
    pub fn load(files: &ModelFiles, device: DeviceChoice) -> Result<Self, EmbedError> {
        let config_bytes = read(&files.config)?;
        let config = Config::read(&files.config, &config_bytes)?;
        let architecture = config.architecture();

        let (preprocess_config, preprocess_bytes) = match &files.preprocessor {
            Some(path) => {
                let bytes = read(path)?;
                (
                    PreprocessConfig::from_slice_for(architecture, path, &bytes)?,
                    bytes,
                )
            }
            None => (PreprocessConfig::default_for(architecture), Vec::new()),
        };
        let image_size = config.image_size();
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
        let needed = config.tensor_names();
        type IsIn = fn(&str) -> bool;
        let (is_vision, is_text): (IsIn, IsIn) = match architecture {
            Architecture::Clip => (model::is_vision_tensor, model::is_text_tensor),
            Architecture::Siglip => (siglip::is_vision_tensor, siglip::is_text_tensor),
        };
        let source = |is_in: fn(&str) -> bool| TowerSource {
            files: files
                .weights
                .iter()
                .map(|p| (p.clone(), stamp(p)))
                .collect(),
            names: needed
                .iter()
                .map(|(n, _)| n)
                .filter(|n| is_in(n))
                .cloned()
                .collect(),
            turn: std::sync::Mutex::new(()),
        };
        let (vision_source, text_source) = (source(is_vision), source(is_text));
        let dim = config.dim();
        let parts = match config {
            Config::Clip(c) => {
                let t = ClipTokenizer::from_bytes(&files.tokenizer, &tokenizer_bytes, &c.text)?;
                Parts::Clip(c, t)
            }
            Config::Siglip(c) => {
                let t = SiglipTokenizer::from_bytes(&files.tokenizer, &tokenizer_bytes, &c.text)?;
                Parts::Siglip(c, t)
            }
        };

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
        let mut wanted: HashMap<String, Want> = needed.iter().cloned().collect();
        // Not needed to embed CLIP, but it scales cosines into the model's logits (the
        // good-match line's units); read when the checkpoint has it. SigLIP needs it anyway.
        wanted.entry(LOGIT_SCALE.to_owned()).or_insert(Want::Load);
        let paths: Vec<&Path> = files.weights.iter().map(PathBuf::as_path).collect();
        let mut weights = crate::weights_stream::load(&paths, prefix, &wanted, MODEL_DTYPE)?;
        let location = files.weights_location().to_path_buf();
        let weights_error = |source: candle_core::Error| EmbedError::Weights {
            path: location.clone(),
            source,
        };
        // CLIP's scale is read here (defaulting to the config's initial value); SigLIP's
        // model keeps its own, with the bias.
        let clip_logit_scale = match &parts {
            Parts::Clip(c, _) => Some(match weights.tensors.remove(LOGIT_SCALE) {
                Some(t) => t
                    .flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .ok()
                    .and_then(|v| v.first().copied())
                    .filter(|v| v.is_finite())
                    .map_or(c.logit_scale_init.exp(), f32::exp),
                None => c.logit_scale_init.exp(),
            }),
            Parts::Siglip(..) => None,
        };
        if let Some((name, _)) = needed.into_iter().find(|(n, _)| !weights.contains(n)) {
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
        let mut on_disk = std::mem::take(&mut weights.on_disk);
        let vb = crate::weights_stream::taking_var_builder(weights.tensors, MODEL_DTYPE, &device);
        let net = match parts {
            Parts::Clip(c, tokenizer) => {
                let token_embedding = on_disk.remove(model::TOKEN_EMBEDDING).ok_or_else(|| {
                    EmbedError::MissingTensor {
                        path: location.clone(),
                        name: model::TOKEN_EMBEDDING.to_owned(),
                    }
                })?;
                Net::Clip {
                    model: Box::new(
                        ClipModel::new(&c, token_embedding, vb).map_err(weights_error)?,
                    ),
                    tokenizer,
                }
            }
            Parts::Siglip(c, tokenizer) => {
                let token_embedding = on_disk.remove(siglip::TOKEN_EMBEDDING).ok_or_else(|| {
                    EmbedError::MissingTensor {
                        path: location.clone(),
                        name: siglip::TOKEN_EMBEDDING.to_owned(),
                    }
                })?;
                Net::Siglip {
                    model: Box::new(
                        SiglipModel::new(&c, token_embedding, vb).map_err(weights_error)?,
                    ),
                    tokenizer,
                }
            }
        };

        let logit_scale = match &net {
            Net::Siglip { model, .. } => model.logit_scale(),
            Net::Clip { .. } => clip_logit_scale.unwrap_or(1.0),
        };
        let id = format!("{}@{revision}+pp{PREPROCESS_VERSION}", files.name);
        tracing::info!(%id, %architecture, device = %device_name, "model loaded");
        Ok(Self {
            net,
            architecture,
            preprocessor,
            device,
            device_name,
            name: files.name.clone(),
            id,
            dim,
            image_hw: (image_size, image_size),
            logit_scale,
            vision_source,
            text_source,
            last_text: std::sync::Mutex::new(std::time::Instant::now()),
        })
    }

    /// Whether the image tower is in memory (it is after [`Embedder::load`]).
    pub fn images_loaded(&self) -> bool {
        match &self.net {
            Net::Clip { model, .. } => model.vision().is_loaded(),
            Net::Siglip { model, .. } => model.vision().is_loaded(),
        }
    }

    /// Frees the image tower (most of the model: 350 MB of ViT-B/32's 600), for a model
    /// that only answers text queries for a while. The next image embedded builds it again
    /// from the same weights files (about half a second for ViT-B/32), or fails if they
    /// changed since the model was loaded. Returns whether it was in memory.
    pub fn release_images(&self) -> bool {
        let loaded = self.images_loaded();
        match &self.net {
            Net::Clip { model, .. } => model.vision().release(),
            Net::Siglip { model, .. } => model.vision().release(),
        }
        if loaded {
            tracing::debug!(id = %self.id, "image tower released");
        }
        loaded
    }

    /// Whether the text tower is in memory (it is after [`Embedder::load`]).
    pub fn texts_loaded(&self) -> bool {
        match &self.net {
            Net::Clip { model, .. } => model.text().is_loaded(),
            Net::Siglip { model, .. } => model.text().is_loaded(),
        }
    }

    /// How long since a text was last embedded (or the model loaded, or
    /// [`Embedder::load_texts`] called).
    pub fn text_idle(&self) -> std::time::Duration {
        self.last_text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
    }

    /// Frees the text tower but its token embedding, which stays on disk (ViT-B/32: 76 MB),
    /// for a model that answers nothing for a while. The next text embedded, or
    /// [`Embedder::load_texts`], builds it again from the same weights files, or fails if
    /// they changed since the model was loaded. Returns whether it was in memory.
    pub fn release_texts(&self) -> bool {
        let loaded = self.texts_loaded();
        match &self.net {
            Net::Clip { model, .. } => model.text().release(),
            Net::Siglip { model, .. } => model.text().release(),
        }
        if loaded {
            tracing::debug!(id = %self.id, "text tower released");
        }
        loaded
    }

    /// Builds the text tower again if it was released: before a text is likely to come,
    /// so that it does not wait for it.
    /// Counts as a use: the tower then stays for the idle time the caller allows.
    pub fn load_texts(&self) -> Result<(), EmbedError> {
        self.touch_texts();
        self.restore(Tower::Text)
    }

    fn touch_texts(&self) {
        *self
            .last_text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::time::Instant::now();
    }

    /// Builds a tower again after [`Embedder::release_images`] or
    /// [`Embedder::release_texts`]; nothing when it is loaded.
    fn restore(&self, tower: Tower) -> Result<(), EmbedError> {
        let source = match tower {
            Tower::Text => &self.text_source,
            Tower::Vision => &self.vision_source,
        };
        let _turn = source
            .turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let loaded = match tower {
            Tower::Text => self.texts_loaded(),
            Tower::Vision => self.images_loaded(),
        };
        if loaded {
            return Ok(());
        }
        for (path, was) in &source.files {
            if stamp(path) != *was {
                return Err(EmbedError::Config {
                    path: path.clone(),
                    reason: "the weights changed since the model was loaded: load it again"
                        .to_owned(),
                });
            }
        }
        let started = std::time::Instant::now();
        let wanted: HashMap<String, Want> = source
            .names
            .iter()
            .map(|n| (n.clone(), Want::Load))
            .collect();
        let paths: Vec<&Path> = source.files.iter().map(|(p, _)| p.as_path()).collect();
        let weights = crate::weights_stream::load_unhashed(&paths, &wanted, MODEL_DTYPE)?;
        let location = paths.first().map(|p| p.to_path_buf()).unwrap_or_default();
        let vb =
            crate::weights_stream::taking_var_builder(weights.tensors, MODEL_DTYPE, &self.device);
        match (&self.net, tower) {
            (Net::Clip { model, .. }, Tower::Vision) => model.restore_vision(vb),
            (Net::Siglip { model, .. }, Tower::Vision) => model.restore_vision(vb),
            (Net::Clip { model, .. }, Tower::Text) => model.restore_text(vb),
            (Net::Siglip { model, .. }, Tower::Text) => model.restore_text(vb),
        }
        .map_err(|source| EmbedError::Weights {
            path: location,
            source,
        })?;
        tracing::debug!(
            id = %self.id,
            ?tower,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tower loaded again"
        );
        Ok(())
    }

    /// Which family the model belongs to (from `config.json`'s `model_type`).
    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// The model's probability that a text and an image whose vectors have cosine
    /// `cosine` match: `sigmoid(exp(logit_scale) · cosine + logit_bias)` for SigLIP, whose
    /// sigmoid training calibrates it per pair. `None` for CLIP, whose softmax training
    /// only ranks images against each other.
    pub fn pair_probability(&self, cosine: f32) -> Option<f32> {
        match &self.net {
            Net::Clip { .. } => None,
            Net::Siglip { model, .. } => Some(model.pair_probability(cosine)),
        }
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

    /// `exp(logit_scale)` of the checkpoint (for CLIP, the config's
    /// `logit_scale_init_value` when the file has none): logit units per unit of cosine.
    pub fn logit_scale(&self) -> f32 {
        self.logit_scale
    }

    /// The bias of the model's own text–image logits: SigLIP's `logit_bias`; `None` for
    /// CLIP, whose logits have no calibrated offset.
    pub fn logit_bias(&self) -> Option<f32> {
        match &self.net {
            Net::Clip { .. } => None,
            Net::Siglip { model, .. } => Some(model.logit_bias()),
        }
    }

    /// Length of every vector (CLIP's `projection_dim`, SigLIP's text
    /// `projection_size`).
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

    /// The token ids the model sees for `text`. CLIP: start token, BPE ids, end token, cut
    /// to the model's positions (keeping the end token). SigLIP: the lowercased text's ids,
    /// `<eos>`, then `<pad>` up to exactly the model's positions (64), cut to keep the
    /// `<eos>`.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        match &self.net {
            Net::Clip { tokenizer, .. } => tokenizer.encode(text),
            Net::Siglip { tokenizer, .. } => tokenizer.encode(text),
        }
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
        self.touch_texts();
        let run = || {
            // A tower released between the check and the pass is built again once more.
            for _ in 0..2 {
                if let Some(features) = self.text_features(texts.len(), &encoded)? {
                    return features.to_vec2::<f32>().map_err(EmbedError::Inference);
                }
                self.restore(Tower::Text)?;
            }
            Err(EmbedError::Inference(candle_core::Error::Msg(
                "the text tower was released while a text waited for it".into(),
            )))
        };
        match text_pool() {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    /// The texts' features, `None` while the text tower is released.
    fn text_features(
        &self,
        count: usize,
        encoded: &[Vec<u32>],
    ) -> Result<Option<Tensor>, EmbedError> {
        let (model, tokenizer) = match &self.net {
            Net::Clip { model, tokenizer } => (model, tokenizer),
            Net::Siglip { model, .. } => {
                // Every text is exactly the model's positions long: nothing to pad.
                let flat: Vec<u32> = encoded.iter().flatten().copied().collect();
                return model.text_features(&flat, count, &self.device);
            }
        };
        let longest = encoded.iter().map(Vec::len).max().unwrap_or(0);
        let end = tokenizer.end_id();
        let mut flat = Vec::with_capacity(count * longest);
        let mut pool_at = Vec::with_capacity(count);
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
        model.text_features(&flat, count, &pool_at, &self.device)
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
        let run = || match &self.net {
            Net::Clip { model, .. } => model.image_features(&pixels),
            Net::Siglip { model, .. } => model.image_features(&pixels),
        };
        let features = match run().map_err(EmbedError::Inference)? {
            Some(features) => features,
            None => {
                self.restore(Tower::Vision)?;
                run().map_err(EmbedError::Inference)?.ok_or_else(|| {
                    EmbedError::Inference(candle_core::Error::Msg(
                        "the image tower was released while an image waited for it".into(),
                    ))
                })?
            }
        };
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

/// The threads a text pass runs its parallel products on, its own pool. A pass is ~70
/// small products; called from a thread outside rayon, each one woke the global pool's
/// workers and put the caller to sleep until they were done (a profile of typed queries
/// spent ~10 % in waking and parking threads). Run inside a pool, the caller is a worker
/// and takes part, and the pool's other workers are still awake from the last product.
/// Its own, so that a query does not queue behind an indexing batch in the global pool.
/// `None` if the threads cannot be started (the pass then runs as before).
fn text_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads())
            .thread_name(|i| format!("glimpse-text-{i}"))
            .build()
            .map_err(|e| tracing::warn!(error = %e, "no thread pool for text passes"))
            .ok()
    })
    .as_ref()
}
