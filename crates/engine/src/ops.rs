//! The messages that flow between pipeline stages. Everything that changes the catalog or
//! the vector index is a [`WriteOp`] for the one writer thread.

use std::path::PathBuf;

use std::sync::Arc;

use crossbeam_channel::Sender;
use glimpse_catalog::{ContentFacts, ContentId, FolderId, NewPhoto, PhotoId};
use glimpse_embed::Pixels;

use crate::Result;
use crate::models::Slot;

/// A file the decode pool must read.
#[derive(Debug, Clone)]
pub(crate) struct FileJob {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
}

/// A decoded image on its way to the model it was preprocessed for.
pub(crate) struct EmbedJob {
    pub(crate) slot: Arc<Slot>,
    pub(crate) file: FileJob,
    pub(crate) hash: [u8; 32],
    pub(crate) facts: ContentFacts,
    pub(crate) pixels: Pixels,
}

/// One embedded image, for the writer.
pub(crate) struct Embedded {
    pub(crate) file: FileJob,
    pub(crate) hash: [u8; 32],
    pub(crate) facts: ContentFacts,
    pub(crate) vector: Vec<f32>,
}

/// A change for the writer thread, the only code that mutates the catalog and the index.
pub(crate) enum WriteOp {
    /// Files found new or changed by a scan: store them as pending.
    Pending(Vec<NewPhoto>),
    /// Photos whose files are gone.
    Removed(Vec<PhotoId>),
    /// A file whose content is already embedded (rename, move, duplicate).
    Reused {
        file: FileJob,
        content: ContentId,
        thumbnail_written: bool,
    },
    /// Freshly embedded images, with the model that made their vectors.
    Embedded(Arc<Slot>, Vec<Embedded>),
    /// A file that could not be indexed.
    Failed { file: FileJob, reason: String },
    /// A queued file that vanished before it was read.
    Vanished { file: FileJob },
    /// A file or directory moved (a watcher rename): its rows follow it, keeping their
    /// content; moved out of every folder (`to_folder` is `None`), they leave.
    Moved {
        from: PathBuf,
        to: PathBuf,
        to_folder: Option<FolderId>,
    },
    /// Scan bookkeeping finished (counts one unit of outstanding work).
    ScanDone,
    /// Add a folder (merging with existing ones) and reply with its id.
    AddFolder {
        path: PathBuf,
        reply: Sender<Result<FolderId>>,
    },
    /// Remove a folder with its photos.
    RemoveFolder {
        id: FolderId,
        reply: Sender<Result<()>>,
    },
    /// Start switching to a model (or cancel, if it is the search model).
    SwitchTo {
        next: Arc<Slot>,
        reply: Sender<Result<()>>,
    },
    /// Switch to the model being switched to now.
    Promote { reply: Sender<Result<()>> },
    /// Stop switching; keep what was embedded.
    CancelSwitch { reply: Sender<Result<()>> },
    /// The first measured speed of a model on this computer (kept if one is stored).
    RecordSpeed(crate::models::ModelSpeed),
    /// A value for the catalog's `meta` table (a model's summary, the last query).
    SetMeta { key: String, value: String },
    /// A query's text vector, kept so a reopened library answers it before its model loads.
    QueryVector {
        embedder: String,
        text: String,
        vector: Arc<Vec<f32>>,
    },
    /// Delete a model's stored vectors and index file.
    RemoveModel {
        id: String,
        reply: Sender<Result<u64>>,
    },
}
