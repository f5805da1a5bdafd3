//! The IPC payload types of docs/IPC.md, serialized camelCase, and their conversion from the
//! engine's types. Paths cross as strings (display only: the UI never opens files).

use std::path::Path;

use glimpse_engine::{FailedFile, FolderStatus, Hit, ModelSpeed, PhotoDetails, StoredModel};
use glimpse_models::{CATALOGUE, Entry, ModelRef};
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
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Hit")]
pub struct HitDto {
    /// For details, open, reveal and similar.
    pub photo_id: i64,
    /// The thumbnail key.
    pub content_id: i64,
    /// Absolute path, for display.
    pub path: String,
    /// File name.
    pub name: String,
    /// How well it matches (cosine units of the query's main line), higher is closer.
    pub score: f32,
    /// A good match (docs/GOOD-MATCHES.md).
    pub good: bool,
    /// EXIF capture time, seconds since the epoch.
    pub taken: Option<i64>,
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
            good: hit.good,
            taken: hit.taken,
            duplicates: hit.duplicates.len(),
            others: hit.duplicates.iter().map(|p| file_name(p)).collect(),
        }
    }
}

/// A folder of the library with its counts (`Folder` in IPC.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Folder")]
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
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Progress")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Failure")]
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
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
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
        /// Its download size in bytes, when the catalogue knows it.
        download_bytes: Option<u64>,
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
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Status")]
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
    /// The model switch under way, if any.
    pub switch: Option<ModelSwitchDto>,
    /// Why indexing stopped for the whole library (disk full, thumbnail folder gone), if
    /// it did; `retryIndexing` tries again.
    pub stopped: Option<String>,
}

/// A model switch under way (`ModelSwitch` in IPC.md): the model being switched to and
/// where the switch stands.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "ModelSwitch")]
pub struct ModelSwitchDto {
    /// The model being switched to, as settings store it (`clip-b32`, `hub:…`, `dir:…`).
    pub model: String,
    /// Its name for people.
    pub title: String,
    /// The model that answers searches meanwhile, for people (`None`: unknown).
    pub from_title: Option<String>,
    /// Where the switch stands.
    #[serde(flatten)]
    pub phase: SwitchPhase,
}

/// The phases of a model switch, in order (`error` can end any of them).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(
    tag = "phase",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SwitchPhase {
    /// The model's files are being downloaded.
    Downloading {
        /// The file being downloaded.
        file: String,
        /// Bytes received so far (all files).
        done: u64,
        /// The whole download's size when known (a catalogue model's).
        total: Option<u64>,
    },
    /// The model is being loaded.
    Loading,
    /// The library is being re-embedded with it while the old model answers.
    Embedding {
        /// Distinct pictures it has a vector for.
        done: u64,
        /// Distinct pictures in the library.
        total: u64,
    },
    /// The switch failed; the old model still answers.
    Error {
        /// Why, as a sentence.
        message: String,
    },
}

/// One catalogue model with what this computer and library know of it (`CatalogueModel`).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "CatalogueModel")]
pub struct CatalogueModelDto {
    /// The catalogue's facts: name, title, repo, sizes, languages, retrieval figures.
    #[serde(flatten)]
    pub entry: &'static Entry,
    /// Images/second measured here the first time it indexed.
    pub measured_images_per_second: Option<f64>,
    /// Where that was measured (`cpu`, `cuda:0`).
    pub measured_device: Option<String>,
    /// Vectors this library keeps for it.
    pub stored_vectors: u64,
    /// It answers searches now.
    pub in_use: bool,
    /// A switch to it is under way.
    pub switching_to: bool,
    /// The model Glimpse uses when none is chosen.
    pub default: bool,
    /// Its files are in the Hugging Face cache (switching needs no download).
    pub downloaded: bool,
}

/// A model whose vectors the library keeps (`StoredModel` in IPC.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "StoredModel")]
pub struct StoredModelDto {
    /// Its embedder id: what `removeModelVectors` takes.
    pub id: String,
    /// Its name for people.
    pub title: String,
    /// Its catalogue name, if it is a catalogue model.
    pub catalogue_name: Option<String>,
    /// Vectors kept (one per distinct picture).
    pub vectors: u64,
    /// It answers searches now.
    pub searching: bool,
    /// A switch to it is under way.
    pub switching_to: bool,
}

/// The answer of `listModels`.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "ModelList")]
pub struct ModelListDto {
    /// The catalogue, in its order.
    pub models: Vec<CatalogueModelDto>,
    /// Every model with vectors in the library, those outside the catalogue included.
    pub stored: Vec<StoredModelDto>,
    /// The switch under way, if any.
    pub switch: Option<ModelSwitchDto>,
}

/// What [`model_list`] needs to know besides the catalogue.
pub struct ModelFacts<'a> {
    /// Speeds measured here.
    pub speeds: &'a [ModelSpeed],
    /// Models with vectors in the library.
    pub stored: &'a [StoredModel],
    /// The model that answers searches, if one is loaded.
    pub current: Option<&'a ModelRef>,
    /// The model being switched to, if any.
    pub next: Option<&'a ModelRef>,
    /// The switch under way.
    pub switch: Option<ModelSwitchDto>,
}

/// Whether embedder id `id` (`name@revision+ppN`) is a vector of catalogue model `entry`.
fn is_of(id: &str, entry: &Entry) -> bool {
    id.strip_prefix(entry.repo)
        .is_some_and(|rest| rest.starts_with('@'))
}

/// Builds the `listModels` answer; `downloaded` says whether an entry is in the cache.
pub fn model_list(
    facts: ModelFacts<'_>,
    downloaded: impl Fn(&'static Entry) -> bool,
) -> ModelListDto {
    let default = ModelRef::default_model().entry();
    let current_entry = facts.current.and_then(ModelRef::entry);
    let next_entry = facts.next.and_then(ModelRef::entry);
    let models = CATALOGUE
        .iter()
        .map(|entry| {
            let speed = facts.speeds.iter().find(|s| s.model == entry.repo);
            CatalogueModelDto {
                entry,
                measured_images_per_second: speed.map(|s| s.images_per_second),
                measured_device: speed.map(|s| s.device.clone()),
                stored_vectors: facts
                    .stored
                    .iter()
                    .filter(|m| is_of(&m.id, entry))
                    .map(|m| m.vectors)
                    .sum(),
                in_use: current_entry == Some(entry),
                switching_to: next_entry == Some(entry),
                default: default == Some(entry),
                downloaded: downloaded(entry),
            }
        })
        .collect();
    let stored = facts
        .stored
        .iter()
        .map(|m| {
            let entry = CATALOGUE.iter().find(|e| is_of(&m.id, e));
            let title = match (entry, m.searching, m.switching_to) {
                (Some(e), _, _) => Some(e.title.to_string()),
                (None, true, _) => facts.current.map(crate::settings::title),
                (None, _, true) => facts.next.map(crate::settings::title),
                _ => None,
            }
            .unwrap_or_else(|| m.id.split('@').next().unwrap_or(&m.id).to_string());
            StoredModelDto {
                id: m.id.clone(),
                title,
                catalogue_name: entry.map(|e| e.name.to_string()),
                vectors: m.vectors,
                searching: m.searching,
                switching_to: m.switching_to,
            }
        })
        .collect();
    ModelListDto {
        models,
        stored,
        switch: facts.switch,
    }
}

/// Details of one photo (`PhotoDetails` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "PhotoDetails")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The model that answers searches: a catalogue name, `hub:<repo>[@revision]` or
    /// `dir:<path>` (see [`crate::settings::model_ref`]).
    pub model_source: String,
    /// The model being switched to, kept so a switch goes on after a restart; `None` when no
    /// switch is under way.
    pub next_model_source: Option<String>,
    /// Threads that decode photos while indexing (0 = cores − 1). Applies at the next start.
    pub cpu_threads: u32,
    /// The share of the CPU indexing may use, in percent (10–100; 100 = full speed).
    /// Applied at once and at every start (`Library::set_cpu_limit`); searches are never
    /// slowed by it.
    pub cpu_limit: u8,
    /// Where thumbnails are kept (`null`: `thumbs/` in the data folder). Changing it moves
    /// the cache (see [`glimpse_engine::thumbcache`]).
    pub thumbnail_dir: Option<String>,
    /// Start with the session (an XDG autostart entry on Linux).
    pub launch_at_login: bool,
    /// Where good matches end, in steps from the model's calibrated line: −2 (looser, more
    /// good matches) to +2 (stricter). Applied at once and at every start.
    pub sensitivity: i8,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model_source: glimpse_models::ModelRef::default_model().to_setting(),
            next_model_source: None,
            cpu_threads: 0,
            cpu_limit: 100,
            thumbnail_dir: None,
            launch_at_login: false,
            sensitivity: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_state_is_tagged_by_state_with_camel_case_fields() {
        let missing = serde_json::to_value(ModelState::Missing {
            default_repo: "google/siglip2-base-patch16-224".into(),
            download_bytes: Some(1_535_168_000),
        })
        .expect("serializable");
        assert_eq!(
            missing,
            serde_json::json!({
                "state": "missing",
                "defaultRepo": "google/siglip2-base-patch16-224",
                "downloadBytes": 1_535_168_000u64
            })
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
            good: true,
            taken: None,
            duplicates: vec!["/photos/copy.png".into()],
        };
        let json = serde_json::to_value(HitDto::from(hit)).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"photoId": 7, "contentId": 3, "path": "/photos/red-circle-001.png",
                "name": "red-circle-001.png", "score": 0.5, "good": true, "taken": null,
                "duplicates": 1, "others": ["copy.png"]})
        );
    }

    #[test]
    fn settings_read_with_missing_fields_fall_back_to_defaults() {
        let s: Settings = serde_json::from_str(r#"{"cpuThreads": 3}"#).expect("parses");
        assert_eq!(s.cpu_threads, 3);
        assert_eq!(s.model_source, Settings::default().model_source);
    }
    #[test]
    fn settings_files_from_before_the_catalogue_still_read() {
        let s: Settings = serde_json::from_str(
            r#"{"modelSource": "hub:openai/clip-vit-base-patch32", "cpuThreads": 0,
                "thumbnailDir": null, "launchAtLogin": false}"#,
        )
        .expect("an old file parses");
        assert_eq!(s.next_model_source, None);
        assert_eq!(Settings::default().model_source, "siglip2-b16-224");
        let json = serde_json::to_value(Settings {
            next_model_source: Some("siglip2-b16-224".into()),
            ..Settings::default()
        })
        .expect("serializable");
        assert_eq!(json["nextModelSource"], "siglip2-b16-224");
    }

    #[test]
    fn a_switch_serializes_flat_with_its_phase() {
        let shown = |phase| {
            serde_json::to_value(ModelSwitchDto {
                model: "clip-b32".into(),
                title: "OpenAI CLIP ViT-B/32".into(),
                from_title: Some("clip-reference/model".into()),
                phase,
            })
            .expect("serializable")
        };
        let base = serde_json::json!({"model": "clip-b32", "title": "OpenAI CLIP ViT-B/32",
            "fromTitle": "clip-reference/model"});
        let with = |extra: serde_json::Value| {
            let mut v = base.clone();
            for (k, x) in extra.as_object().expect("object") {
                v[k] = x.clone();
            }
            v
        };
        assert_eq!(
            shown(SwitchPhase::Downloading {
                file: "model.safetensors".into(),
                done: 340,
                total: Some(1500)
            }),
            with(
                serde_json::json!({"phase": "downloading", "file": "model.safetensors",
                "done": 340, "total": 1500})
            )
        );
        assert_eq!(
            shown(SwitchPhase::Loading),
            with(serde_json::json!({"phase": "loading"}))
        );
        assert_eq!(
            shown(SwitchPhase::Embedding {
                done: 12,
                total: 240
            }),
            with(serde_json::json!({"phase": "embedding", "done": 12, "total": 240}))
        );
        assert_eq!(
            shown(SwitchPhase::Error {
                message: "no".into()
            }),
            with(serde_json::json!({"phase": "error", "message": "no"}))
        );
    }

    fn stored(id: &str, vectors: u64, searching: bool, switching_to: bool) -> StoredModel {
        StoredModel {
            id: id.into(),
            vectors,
            searching,
            switching_to,
        }
    }

    #[test]
    fn the_model_list_marks_use_switch_speed_and_kept_vectors() {
        let speeds = [ModelSpeed {
            model: "openai/clip-vit-base-patch32".into(),
            images_per_second: 12.5,
            device: "cpu".into(),
            measured_at: 1,
        }];
        let kept = [
            stored("model@1234+pp1", 240, true, false),
            stored("openai/clip-vit-base-patch32@fedcba+pp1", 17, false, true),
            stored(
                "laion/CLIP-ViT-B-32-laion2B-s34B-b79K@aa+pp1",
                240,
                false,
                false,
            ),
            stored("someone/else@bb+pp1", 3, false, false),
        ];
        let current = ModelRef::Dir("/fixtures/clip-reference/model".into());
        let next: ModelRef = "clip-b32".parse().expect("catalogue name");
        let list = model_list(
            ModelFacts {
                speeds: &speeds,
                stored: &kept,
                current: Some(&current),
                next: Some(&next),
                switch: None,
            },
            |e| e.name == "laion-b32",
        );
        let json = serde_json::to_value(&list).expect("serializable");
        let models = json["models"].as_array().expect("rows");
        assert_eq!(models.len(), CATALOGUE.len());
        let b32 = &models[0];
        assert_eq!(b32["name"], "clip-b32");
        assert_eq!(b32["repo"], "openai/clip-vit-base-patch32");
        assert_eq!(b32["downloadBytes"], CATALOGUE[0].download_bytes);
        assert_eq!(
            b32["retrieval"]["cocoTextToImageR1"]
                .as_f64()
                .map(|v| (v * 100.0).round()),
            Some(3044.0)
        );
        assert!(
            b32["retrieval"]["source"]
                .as_str()
                .is_some_and(|s| s.contains("open_clip"))
        );
        assert_eq!(b32["measuredImagesPerSecond"], 12.5);
        assert_eq!(b32["measuredDevice"], "cpu");
        assert_eq!(b32["storedVectors"], 17);
        assert_eq!(
            (
                b32["inUse"].as_bool(),
                b32["switchingTo"].as_bool(),
                b32["default"].as_bool()
            ),
            (Some(false), Some(true), Some(false))
        );
        let default = models
            .iter()
            .find(|m| m["default"] == true)
            .expect("one model is the default");
        assert_eq!(default["name"], glimpse_models::DEFAULT_MODEL);
        assert_eq!(default["name"], "siglip2-b16-224");
        assert_eq!(b32["downloaded"], false);
        let laion = models
            .iter()
            .find(|m| m["name"] == "laion-b32")
            .expect("laion");
        assert_eq!(
            (
                laion["storedVectors"].as_u64(),
                laion["downloaded"].as_bool()
            ),
            (Some(240), Some(true))
        );
        assert!(
            laion["measuredImagesPerSecond"].is_null(),
            "not measured yet"
        );
        assert!(
            models.iter().all(|m| m["inUse"] == false),
            "a folder model is no catalogue row"
        );

        let titles: Vec<(&str, &str)> = list
            .stored
            .iter()
            .map(|m| (m.title.as_str(), m.catalogue_name.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(
            titles,
            vec![
                ("clip-reference/model", "-"),
                ("OpenAI CLIP ViT-B/32", "clip-b32"),
                ("LAION-2B CLIP ViT-B/32", "laion-b32"),
                ("someone/else", "-"),
            ]
        );
        assert!(json["switch"].is_null());
    }

    #[test]
    fn a_catalogue_model_in_use_is_marked_and_only_its_own_repo_counts() {
        let current: ModelRef = "hub:openai/clip-vit-base-patch32"
            .parse()
            .expect("old setting");
        // B/16's repo name starts like B/32's would not: ids match on the whole repo.
        let kept = [stored(
            "openai/clip-vit-base-patch16@x+pp1",
            5,
            false,
            false,
        )];
        let list = model_list(
            ModelFacts {
                speeds: &[],
                stored: &kept,
                current: Some(&current),
                next: None,
                switch: None,
            },
            |_| true,
        );
        let row = |name: &str| {
            list.models
                .iter()
                .find(|m| m.entry.name == name)
                .expect(name)
        };
        assert!(row("clip-b32").in_use && !row("clip-b16").in_use);
        assert_eq!(
            (
                row("clip-b32").stored_vectors,
                row("clip-b16").stored_vectors
            ),
            (0, 5)
        );
        assert!(list.models.iter().all(|m| !m.switching_to));
    }
}
