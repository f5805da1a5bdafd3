//! How a library is opened.

use std::path::{Path, PathBuf};

use glimpse_embed::{DeviceChoice, ModelFiles};
use glimpse_vectors::Quantization;

/// Settings for [`crate::Library::open`].
#[derive(Debug, Clone)]
pub struct LibraryConfig {
    /// Where the catalog, the vector index and the thumbnails live.
    pub data_dir: PathBuf,
    /// The model that answers queries. Without one the library can list and forget
    /// folders and report status, but not index or search.
    pub model: Option<ModelFiles>,
    /// A model being switched to (see [`crate::Library::start_model_switch`]): a switch
    /// the app remembered across a restart goes on where it stopped.
    pub next_model: Option<ModelFiles>,
    /// Where the model runs.
    pub device: DeviceChoice,
    /// How vectors are stored in the approximate index.
    pub quantization: Quantization,
    /// Threads that read, hash, decode and thumbnail files. The model uses its own thread
    /// (and its matrix kernels use every core), so one less than the core count keeps the
    /// machine responsive.
    pub decode_threads: usize,
    /// Most images embedded in one forward pass.
    pub batch_size: usize,
    /// Longest edge of thumbnails, in pixels.
    pub thumbnail_edge_px: u32,
    /// Where thumbnails live; `None`: `thumbs/` in the data directory. Thumbnails are a
    /// cache (rebuilt from the photos), so they may live on another disk.
    pub thumbnail_dir: Option<PathBuf>,
    /// Share of the CPU indexing may use, in percent (10–100); see
    /// [`crate::Library::set_cpu_limit`].
    pub cpu_percent: u8,
    /// How file-system changes are debounced while watching.
    pub watch: glimpse_watch::WatchOptions,
    /// How long the models' image towers stay in memory after the last image embedded
    /// (most of a model's memory; text queries do not need them). Default 20 s.
    pub image_tower_idle: std::time::Duration,
    /// How long the models' text towers stay in memory after the last text embedded
    /// (ViT-B/32: 76 MB); the next text builds it again (0.16 s for ViT-B/32 here), or
    /// [`crate::Library::load_texts`] ahead of it. Default 60 s.
    pub text_tower_idle: std::time::Duration,
}

impl LibraryConfig {
    /// Defaults for a data directory: no model, CPU, f16 vectors, cores − 1 decode threads.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self {
            data_dir: data_dir.into(),
            model: None,
            next_model: None,
            device: DeviceChoice::Cpu,
            quantization: Quantization::F16,
            decode_threads: cores.saturating_sub(1).max(1),
            batch_size: 16,
            thumbnail_edge_px: glimpse_media::THUMBNAIL_MAX_EDGE_PX,
            thumbnail_dir: None,
            cpu_percent: 100,
            watch: glimpse_watch::WatchOptions::default(),
            image_tower_idle: std::time::Duration::from_secs(20),
            text_tower_idle: std::time::Duration::from_secs(60),
        }
    }

    /// The same with a model.
    pub fn with_model(mut self, model: ModelFiles) -> Self {
        self.model = Some(model);
        self
    }

    /// The folder thumbnails are written to: [`Self::thumbnail_dir`] or the default.
    pub fn thumbnails(&self) -> PathBuf {
        self.thumbnail_dir
            .clone()
            .unwrap_or_else(|| default_thumbnail_dir(&self.data_dir))
    }
}

/// The default thumbnail folder of a data directory (`<data_dir>/thumbs`).
fn default_thumbnail_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("thumbs")
}

/// Where each store lives inside the data directory.
#[derive(Debug, Clone)]
pub(crate) struct DataPaths {
    pub(crate) root: PathBuf,
    thumbs: PathBuf,
}

impl DataPaths {
    pub(crate) fn catalog(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    /// One index file per embedder: switching models never mixes vector spaces, and
    /// switching back finds the old index still valid.
    pub(crate) fn vector_index(&self, embedder_id: &str) -> PathBuf {
        let tag = blake3::hash(embedder_id.as_bytes()).to_hex();
        self.vectors_dir().join(format!("{}.usearch", &tag[..16]))
    }

    pub(crate) fn vectors_dir(&self) -> PathBuf {
        self.root.join("vectors")
    }

    pub(crate) fn thumbnails(&self) -> PathBuf {
        self.thumbs.clone()
    }

    /// Thumbnails are named by content hash: a renamed file keeps its thumbnail, and a
    /// thumbnail written before a crash is simply found again.
    pub(crate) fn thumbnail(&self, hash: &[u8; 32]) -> PathBuf {
        let hex = blake3::Hash::from_bytes(*hash).to_hex();
        self.thumbnails().join(&hex[..2]).join(format!("{hex}.jpg"))
    }

    pub(crate) fn new(config: &LibraryConfig) -> Self {
        Self {
            root: config.data_dir.clone(),
            thumbs: config.thumbnails(),
        }
    }
}
