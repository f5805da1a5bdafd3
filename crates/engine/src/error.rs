//! Errors of the Library facade.

use std::path::PathBuf;

/// Why a Library call failed.
///
/// Per-file problems (a corrupt photo, a vanished file) never surface here: they are recorded
/// on the photo's row and reported as [`crate::Event::ItemFailed`]. These are errors of the
/// call itself or of the store.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The catalog failed (disk full, corruption): the pipeline stops.
    #[error(transparent)]
    Catalog(#[from] glimpse_catalog::CatalogError),
    /// The vector index failed: the pipeline stops.
    #[error(transparent)]
    Vectors(#[from] glimpse_vectors::VectorError),
    /// The model failed to load or to embed.
    #[error(transparent)]
    Embed(#[from] glimpse_embed::EmbedError),
    /// An image given to a query (e.g. `similar`) could not be read.
    #[error(transparent)]
    Media(#[from] glimpse_media::MediaError),
    /// A file-system operation on the data directory failed.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The operation needs a model and none is configured.
    #[error("no model is configured: pass --model-dir DIR or --model REPO_ID")]
    NoModel,
    /// A model's vectors cannot be removed while it answers queries or is being switched to.
    #[error("{0} is in use: switch to another model before removing its vectors")]
    ModelInUse(String),
    /// A model folder's `glimpse.json` is unusable.
    #[error(transparent)]
    Calibration(#[from] glimpse_models::CalibrationError),
    /// A folder to add is not a directory.
    #[error("{0}: not a folder")]
    NotAFolder(PathBuf),
    /// A folder to remove is not in the library.
    #[error("{0}: not a folder of this library")]
    UnknownFolder(PathBuf),
    /// A photo id or path is not in the library.
    #[error("{0}: not a photo of this library")]
    UnknownPhoto(String),
    /// Watching folders for changes failed.
    #[error(transparent)]
    Watch(#[from] glimpse_watch::WatchError),
    /// A [`crate::Query::latest_only`] query gave way to a newer text while it waited for
    /// the text encoder: whoever typed on wants that one's answer, not this one's.
    #[error("a newer search replaced this one")]
    Superseded,
    /// The model, loaded in the background after the library opened, could not be loaded.
    #[error("the model could not be loaded: {0}")]
    ModelLoad(String),
    /// The library's background threads have stopped (after a store failure).
    #[error("the indexing pipeline has stopped: {0}")]
    Stopped(String),
    /// Another process (or a library this process has not finished closing) has the data
    /// folder open.
    #[error(
        "{}: this library is already open in another Glimpse{}: close it first, or use another data folder",
        data_dir.display(),
        holder.map(|pid| format!(" (process {pid})")).unwrap_or_default()
    )]
    InUse {
        /// The data folder.
        data_dir: PathBuf,
        /// The holder's process id, when it could be read.
        holder: Option<u32>,
    },
}

impl LibraryError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// A stable, machine-readable code for this error (for the app's `{code, message}` shape).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalog(_) => "catalog",
            Self::Vectors(_) => "vectors",
            Self::Embed(_) => "model",
            Self::Media(_) => "image",
            Self::Io { .. } => "io",
            Self::NoModel => "no_model",
            Self::ModelInUse(_) => "model_in_use",
            Self::Calibration(_) | Self::ModelLoad(_) => "model",
            Self::NotAFolder(_) => "not_a_folder",
            Self::UnknownFolder(_) => "unknown_folder",
            Self::UnknownPhoto(_) => "unknown_photo",
            Self::Stopped(_) => "stopped",
            Self::Superseded => "superseded",
            Self::Watch(_) => "watch",
            Self::InUse { .. } => "in_use",
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = LibraryError> = std::result::Result<T, E>;
