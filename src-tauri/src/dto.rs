//! The IPC payload types of docs/IPC.md, serialized camelCase, and their conversion from the
//! engine's types. Paths cross as strings (display only: the UI never opens files).

use std::path::Path;

use glimpse_engine::{FailedFile, FolderStatus, Hit, PhotoDetails};
use serde::{Deserialize, Serialize};

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path_string(path))
}

/// One search result (`Hit` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HitDto {
    /// For details, open, reveal and similar.
    pub photo_id: i64,
    /// The thumbnail key.
    pub content_id: i64,
    /// Absolute path, for display.
    pub path: String,
    /// File name.
    pub name: String,
    /// Cosine similarity, higher is closer.
    pub score: f32,
    /// How many other files show this picture: identical copies, and the raw/JPEG files of
    /// the same shot.
    pub duplicates: usize,
    /// Those other files' names (copies first), for display.
    pub others: Vec<String>,
}

impl From<Hit> for HitDto {
    fn from(hit: Hit) -> Self {
        Self {
            photo_id: hit.photo,
            content_id: hit.content,
            name: file_name(&hit.path),
            path: path_string(&hit.path),
            score: hit.score,
            duplicates: hit.duplicates.len(),
            others: hit.duplicates.iter().map(|p| file_name(p)).collect(),
        }
    }
}

/// A folder of the library with its counts (`Folder` in IPC.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderDto {
    /// Folder id.
    pub id: i64,
    /// Absolute path.
    pub path: String,
    /// Photo files known under it.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Waiting to be indexed.
    pub pending: u64,
    /// Could not be indexed.
    pub failed: u64,
}

impl From<FolderStatus> for FolderDto {
    fn from(f: FolderStatus) -> Self {
        Self {
            id: f.id,
            path: path_string(&f.path),
            photos: f.photos,
            indexed: f.indexed,
            pending: f.pending,
            failed: f.failed,
        }
    }
}

/// Indexing progress (`Progress` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressDto {
    /// Files finished since the work started.
    pub done: u64,
    /// Files known to need work.
    pub total: u64,
    /// The file last finished.
    pub current: Option<String>,
    /// Files per second, recently.
    pub rate: f32,
    /// Whether indexing is paused.
    pub paused: bool,
}

/// A file that could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureDto {
    /// The file.
    pub path: String,
    /// Why, in words.
    pub reason: String,
}

impl From<FailedFile> for FailureDto {
    fn from(f: FailedFile) -> Self {
        Self {
            path: path_string(&f.path),
            reason: f.reason,
        }
    }
}

/// Where the model stands (`ModelState` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ModelState {
    /// Loaded: search and indexing work.
    Ready {
        /// The embedder id (model, revision, preprocessing version).
        id: String,
        /// Where it came from: a hub repo or a folder.
        source: String,
    },
    /// No model yet (first run): the UI offers a download or a local folder.
    Missing {
        /// The repo `downloadModel(null)` fetches.
        default_repo: String,
    },
    /// A download is under way.
    Downloading {
        /// The file being downloaded.
        file: String,
        /// Bytes received.
        done: u64,
        /// Its size, when the hub announced one.
        total: Option<u64>,
    },
    /// The model could not be found, fetched or loaded.
    Error {
        /// Why, as a sentence.
        message: String,
    },
}

/// The state of the library (`Status` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDto {
    /// The model.
    pub model: ModelState,
    /// Every folder with its counts.
    pub folders: Vec<FolderDto>,
    /// Photo files known.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Waiting to be indexed.
    pub pending: u64,
    /// Could not be indexed.
    pub failed: u64,
    /// Work under way.
    pub progress: ProgressDto,
    /// Up to 1000 failed files.
    pub failures: Vec<FailureDto>,
}

/// Details of one photo (`PhotoDetails` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoDetailsDto {
    /// Photo id.
    pub id: i64,
    /// Absolute path.
    pub path: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Thumbnail key, once indexed.
    pub content_id: Option<i64>,
    /// Pixel width after orientation.
    pub width: Option<u32>,
    /// Pixel height after orientation.
    pub height: Option<u32>,
    /// Detected format.
    pub format: Option<String>,
    /// EXIF capture time, seconds since the Unix epoch.
    pub taken_at: Option<i64>,
    /// Camera, from EXIF.
    pub camera: Option<String>,
    /// Why indexing failed, if it did.
    pub failure: Option<String>,
}

impl From<PhotoDetails> for PhotoDetailsDto {
    fn from(p: PhotoDetails) -> Self {
        Self {
            id: p.id,
            name: file_name(&p.path),
            path: path_string(&p.path),
            size: p.size,
            content_id: p.content,
            width: p.width,
            height: p.height,
            format: p.format,
            taken_at: p.taken_at,
            camera: p.camera,
            failure: p.failure,
        }
    }
}

/// User settings (`Settings` in IPC.md), kept in `settings.json` in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `hub:<repo>[@revision]` or `dir:<path>`.
    pub model_source: String,
    /// Threads that decode photos while indexing (0 = cores − 1). Applies at the next start.
    pub cpu_threads: u32,
    /// Where thumbnails are kept (`null`: `thumbs/` in the data folder). Changing it moves
    /// the cache (see [`crate::thumbcache`]).
    pub thumbnail_dir: Option<String>,
    /// Start with the session (an XDG autostart entry on Linux).
    pub launch_at_login: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model_source: format!("hub:{}", glimpse_embed::source::DEFAULT_MODEL_REPO),
            cpu_threads: 0,
            thumbnail_dir: None,
            launch_at_login: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_state_is_tagged_by_state_with_camel_case_fields() {
        let missing = serde_json::to_value(ModelState::Missing {
            default_repo: "openai/clip-vit-base-patch32".into(),
        })
        .expect("serializable");
        assert_eq!(
            missing,
            serde_json::json!({"state": "missing", "defaultRepo": "openai/clip-vit-base-patch32"})
        );
        let downloading = serde_json::to_value(ModelState::Downloading {
            file: "model.safetensors".into(),
            done: 5,
            total: None,
        })
        .expect("serializable");
        assert_eq!(
            downloading,
            serde_json::json!({"state": "downloading", "file": "model.safetensors", "done": 5, "total": null})
        );
    }

    #[test]
    fn hit_carries_name_and_duplicate_count() {
        let hit = Hit {
            photo: 7,
            content: 3,
            path: "/photos/red-circle-001.png".into(),
            score: 0.5,
            duplicates: vec!["/photos/copy.png".into()],
        };
        let json = serde_json::to_value(HitDto::from(hit)).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"photoId": 7, "contentId": 3, "path": "/photos/red-circle-001.png",
                "name": "red-circle-001.png", "score": 0.5, "duplicates": 1,
                "others": ["copy.png"]})
        );
    }

    #[test]
    fn settings_read_with_missing_fields_fall_back_to_defaults() {
        let s: Settings = serde_json::from_str(r#"{"cpuThreads": 3}"#).expect("parses");
        assert_eq!(s.cpu_threads, 3);
        assert_eq!(s.model_source, Settings::default().model_source);
    }
}
