//! Where model files come from: a local Hugging Face-format folder, or a repo on the hub.
//!
//! [`ModelSource::resolve`] turns either into [`ModelFiles`], paths that are checked before
//! anything is loaded: every required file exists, and `model.safetensors` is structurally
//! complete (its header parses and the file is exactly as long as the header says). Hub
//! downloads go into the standard Hugging Face cache (shared with Python's
//! `huggingface_hub`) and are additionally checked against the size and hash the hub
//! announced; a file that fails is discarded, never returned. See [`HubOptions`] for the
//! environment variables honoured (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`,
//! `HF_HUB_OFFLINE`, `HF_TOKEN`).
//!
//! This module does not parse the model's JSON files or load weights; it only finds and
//! vets them.
//!
//! ```no_run
//! use glimpse_models::source::{ModelSource, NoProgress};
//! let files = ModelSource::default().resolve(&mut NoProgress)?;
//! println!("weights at {}, commit {:?}", files.weights_location().display(), files.revision);
//! # Ok::<(), glimpse_models::source::SourceError>(())
//! ```

mod cache;
mod hub;
mod shards;
mod weights;

use std::fmt;
use std::path::{Path, PathBuf};

pub use hub::HubOptions;

/// The model used when the user names none: OpenAI's CLIP ViT-B/32.
pub const DEFAULT_MODEL_REPO: &str = "google/siglip2-base-patch16-224";

/// `config.json`: the model's architecture.
const CONFIG_FILE: &str = "config.json";
/// `tokenizer.json`: the text tokenizer.
const TOKENIZER_FILE: &str = "tokenizer.json";
/// `preprocessor_config.json`: image preprocessing; optional (CLIP's defaults otherwise).
const PREPROCESSOR_FILE: &str = "preprocessor_config.json";
/// `model.safetensors`: the weights.
const WEIGHTS_FILE: &str = "model.safetensors";
/// `model.safetensors.index.json`: names the shards of a sharded checkpoint.
const WEIGHTS_INDEX_FILE: &str = "model.safetensors.index.json";
/// PyTorch pickles, which Glimpse never opens: recognised only to say so.
const PICKLE_FILES: [&str; 2] = ["pytorch_model.bin", "pytorch_model.bin.index.json"];

/// Where to get a model from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A local folder in the Hugging Face layout (`config.json`, `tokenizer.json`,
    /// `model.safetensors`, optionally `preprocessor_config.json`).
    Dir(PathBuf),
    /// A model repo on the Hugging Face hub (or the mirror named by `HF_ENDPOINT`).
    Hub {
        /// The repo id, e.g. `openai/clip-vit-base-patch32`.
        repo: String,
        /// A branch, tag or commit; `None` means `main`.
        revision: Option<String>,
    },
}

impl Default for ModelSource {
    /// [`DEFAULT_MODEL_REPO`] on the hub, branch `main`.
    fn default() -> Self {
        Self::Hub {
            repo: DEFAULT_MODEL_REPO.to_owned(),
            revision: None,
        }
    }
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::Hub {
                repo,
                revision: None,
            } => write!(f, "{repo}"),
            Self::Hub {
                repo,
                revision: Some(rev),
            } => write!(f, "{repo}@{rev}"),
        }
    }
}

impl ModelSource {
    /// Finds the model's files, downloading them from the hub if needed, with the hub
    /// settings read from the environment ([`HubOptions::from_env`]).
    ///
    /// Blocks for as long as a download takes; `progress` hears about each file that is
    /// actually downloaded (cached files make no calls).
    pub fn resolve(&self, progress: &mut dyn DownloadProgress) -> Result<ModelFiles, SourceError> {
        match self {
            Self::Dir(dir) => ModelFiles::from_dir(dir),
            Self::Hub { .. } => self.resolve_with(&HubOptions::from_env()?, progress),
        }
    }

    /// Like [`resolve`](Self::resolve) with explicit hub settings (tests, or an app that
    /// keeps its own settings instead of environment variables).
    pub fn resolve_with(
        &self,
        options: &HubOptions,
        progress: &mut dyn DownloadProgress,
    ) -> Result<ModelFiles, SourceError> {
        match self {
            Self::Dir(dir) => ModelFiles::from_dir(dir),
            Self::Hub { repo, revision } => {
                hub::resolve(repo, revision.as_deref(), options, progress)
            }
        }
    }
}

/// Hears about hub downloads, e.g. to drive a progress bar.
///
/// For each file that is downloaded: one [`start`](Self::start), any number of
/// [`advance`](Self::advance) calls whose bytes add up to the file's size (a resumed
/// download first reports the bytes it already had), and [`finish`](Self::finish) once
/// the file is complete *and* verified. A failed download gets no `finish`; the error
/// comes back from [`ModelSource::resolve`].
pub trait DownloadProgress {
    /// A download of `file` (e.g. `model.safetensors`) begins; `total_bytes` is its size
    /// when the hub announced one.
    fn start(&mut self, file: &str, total_bytes: Option<u64>);
    /// `bytes` more bytes of the current file have been received.
    fn advance(&mut self, bytes: u64);
    /// `file` is downloaded and verified.
    fn finish(&mut self, file: &str);
}

/// A [`DownloadProgress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl DownloadProgress for NoProgress {
    fn start(&mut self, _file: &str, _total_bytes: Option<u64>) {}
    fn advance(&mut self, _bytes: u64) {}
    fn finish(&mut self, _file: &str) {}
}

/// The files of one model in the Hugging Face folder layout, checked to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// Human-readable model name used in the embedder id, e.g. `openai/clip-vit-base-patch32`
    /// for a hub model or the folder's name for a local folder.
    pub name: String,
    /// The hub commit (or `None` for a local folder; then a hash of the weights' size and
    /// mtime may stand in for it).
    pub revision: Option<String>,
    /// `config.json`.
    pub config: PathBuf,
    /// The weights: `model.safetensors`, or the shards `model.safetensors.index.json`
    /// names, in the order of their file names (each checked structurally).
    pub weights: Vec<PathBuf>,
    /// `model.safetensors.index.json` for a sharded checkpoint, `None` for one file.
    pub weights_index: Option<PathBuf>,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `preprocessor_config.json`, when the model has one (CLIP's defaults otherwise).
    pub preprocessor: Option<PathBuf>,
    /// For a hub repo whose `main` has only a pickle: the revision of the hub's
    /// safetensors conversion the files come from (e.g. `refs/pr/15`), as transformers
    /// would use it. `None` when the files are those of the revision asked for.
    pub converted_from: Option<String>,
}

/// Why model files could not be found or fetched.
///
/// Every variant stops the model from loading (there is no per-file skipping here); the
/// message is a sentence meant for the user and names the file, folder or hub concerned.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A required file is missing from a local model folder.
    #[error("{dir}: not a model folder: {file} is missing")]
    MissingFile {
        /// The folder that was given.
        dir: PathBuf,
        /// The missing file's name.
        file: &'static str,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: cannot {action}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What was attempted, e.g. `read` or `write`.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The weights file is shorter than its own header says: a cut-off copy or download.
    #[error(
        "{path}: the weights file is truncated ({actual} of {expected} bytes); \
         copy or download the model again"
    )]
    TruncatedWeights {
        /// The weights file.
        path: PathBuf,
        /// Bytes the header accounts for (at least).
        expected: u64,
        /// Bytes the file has.
        actual: u64,
    },
    /// The weights file is not a well-formed safetensors file.
    #[error("{path}: not a valid safetensors file: {reason}")]
    InvalidWeights {
        /// The weights file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The hub could not be contacted at all (DNS, refused connection, TLS, timeout).
    #[error("cannot reach the model hub at {endpoint}: {reason}")]
    HubUnreachable {
        /// The hub's base URL.
        endpoint: String,
        /// The network error.
        reason: String,
    },
    /// The hub does not know the repo or revision (or it is private or gated).
    #[error(
        "model {repo}{} was not found on {endpoint} (a private or gated model needs a token \
         in HF_TOKEN)",
        revision.as_ref().map(|r| format!(" at revision {r}")).unwrap_or_default()
    )]
    RepoNotFound {
        /// The repo id.
        repo: String,
        /// The revision asked for, if not the default branch.
        revision: Option<String>,
        /// The hub's base URL.
        endpoint: String,
    },
    /// The repo exists but lacks a required file.
    #[error("model {repo} on {endpoint} has no {file}, which Glimpse needs")]
    FileNotOnHub {
        /// The repo id.
        repo: String,
        /// The missing file.
        file: String,
        /// The hub's base URL.
        endpoint: String,
    },
    /// The model's weights exist only as a PyTorch pickle, which Glimpse does not open.
    #[error(
        "{place} has its weights only as a PyTorch pickle ({file}), not as model.safetensors. \
         Glimpse reads only safetensors files, because opening a pickle can run any program \
         hidden in it. Choose a model that includes model.safetensors, or convert this one \
         (in Python, transformers' save_pretrained writes model.safetensors).{hint}"
    )]
    PickleOnly {
        /// The folder, or `model <repo> on <hub>`.
        place: String,
        /// The pickle found, e.g. `pytorch_model.bin`.
        file: &'static str,
        /// More to say (a conversion the hub has), starting with a space; or empty.
        hint: String,
    },
    /// A shard named by `model.safetensors.index.json` is not there.
    #[error("{index} names {file}, which is missing: copy or download the whole model")]
    MissingShard {
        /// The index file.
        index: PathBuf,
        /// The shard's file name.
        file: String,
    },
    /// `model.safetensors.index.json` is not a usable shard index.
    #[error("{path}: not a valid weights index: {reason}")]
    InvalidWeightsIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The hub answered a request with an unexpected HTTP status.
    #[error("{url}: the model hub answered HTTP {status}")]
    HubStatus {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The server answered, but not the way the Hugging Face hub does.
    #[error("{url}: the server does not answer like a Hugging Face hub: {reason}")]
    NotAHub {
        /// The URL requested.
        url: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// A download stopped before the whole file arrived; the bytes so far are kept.
    #[error(
        "download of {file} was interrupted ({got} of {expected} bytes): {reason}; \
         run again to resume"
    )]
    Interrupted {
        /// `repo/file`.
        file: String,
        /// Bytes received so far.
        got: u64,
        /// The file's size on the hub.
        expected: u64,
        /// Why it stopped.
        reason: String,
    },
    /// A download is larger than the hub said; it was discarded.
    #[error(
        "download of {file} has {actual} bytes but the hub announced {expected}; \
         the file was discarded"
    )]
    SizeMismatch {
        /// `repo/file`.
        file: String,
        /// The size the hub announced.
        expected: u64,
        /// The size received.
        actual: u64,
    },
    /// A download's content does not match the hash the hub published; it was discarded.
    #[error(
        "download of {file} does not match the hub's {algorithm} hash (expected {expected}, \
         got {actual}); the file was discarded"
    )]
    HashMismatch {
        /// `repo/file`.
        file: String,
        /// `sha256` (LFS files) or `git-sha1` (files stored in git).
        algorithm: &'static str,
        /// The hash the hub announced.
        expected: String,
        /// The hash of the bytes received.
        actual: String,
    },
    /// Another process holds the download lock for this file.
    #[error("{path}: another process is downloading this file; try again when it has finished")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// Offline mode is on and the cache lacks (part of) the model.
    #[error(
        "model {repo} is not in the cache at {cache} ({missing} is missing) and \
         HF_HUB_OFFLINE is set"
    )]
    NotCached {
        /// The repo id.
        repo: String,
        /// The cache folder searched.
        cache: PathBuf,
        /// The first thing found missing, e.g. `refs/main` or `model.safetensors`.
        missing: String,
    },
    /// No cache folder could be derived from the environment.
    #[error("cannot find a folder for the model cache: set HF_HOME (or HOME)")]
    NoCacheDir,
    /// Any other failure of the hub client.
    #[error("download of {file} from {url} failed: {reason}")]
    Download {
        /// `repo/file`.
        file: String,
        /// The URL requested.
        url: String,
        /// The client's error.
        reason: String,
    },
}

impl ModelFiles {
    /// Checks that `dir` holds a complete model and returns its files.
    ///
    /// The weights are `model.safetensors`, or else the shards named by
    /// `model.safetensors.index.json`; a folder with only `pytorch_model.bin` is refused
    /// with [`SourceError::PickleOnly`]. Besides the files' presence this checks each weights
    /// file structurally (header parses, file length matches), so a truncated copy is
    /// refused here rather than failing obscurely when loaded.
    pub fn from_dir(dir: &Path) -> Result<Self, SourceError> {
        let need = |file: &'static str| {
            let p = dir.join(file);
            if p.is_file() {
                Ok(p)
            } else {
                Err(SourceError::MissingFile {
                    dir: dir.to_path_buf(),
                    file,
                })
            }
        };
        let config = need(CONFIG_FILE)?;
        let tokenizer = need(TOKENIZER_FILE)?;
        let found = shards::find(|name| {
            let p = dir.join(name);
            Ok::<_, SourceError>(p.is_file().then_some(p))
        })?;
        let (weights, weights_index) = match found {
            shards::Found::Single(path) => (vec![path], None),
            shards::Found::Index(index) => (shards::local_shards(dir, &index)?, Some(index)),
            shards::Found::PickleOnly(file) => {
                return Err(SourceError::PickleOnly {
                    place: dir.display().to_string(),
                    file,
                    hint: String::new(),
                });
            }
            shards::Found::Nothing => {
                return Err(SourceError::MissingFile {
                    dir: dir.to_path_buf(),
                    file: WEIGHTS_FILE,
                });
            }
        };
        let preprocessor = dir.join(PREPROCESSOR_FILE);
        let files = Self {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| dir.display().to_string()),
            revision: None,
            config,
            weights,
            weights_index,
            tokenizer,
            preprocessor: preprocessor.is_file().then_some(preprocessor),
            converted_from: None,
        };
        for path in &files.weights {
            let summary = weights::check(path)?;
            tracing::debug!(
                file = %path.display(),
                tensors = summary.tensors,
                data_bytes = summary.data_bytes,
                "local weights file checked"
            );
        }
        Ok(files)
    }

    /// Where the weights are, for messages: the index of a sharded checkpoint, else the
    /// one weights file.
    pub fn weights_location(&self) -> &Path {
        match (&self.weights_index, self.weights.first()) {
            (Some(index), _) => index,
            (None, Some(file)) => file,
            (None, None) => &self.config,
        }
    }
}
