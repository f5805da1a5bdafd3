//! The settings file (`settings.json` in the data folder) and what its model settings mean:
//! `modelSource` and `nextModelSource` are [`ModelRef`] strings, the one way Glimpse names a
//! model (the CLI's `--model` reads the same).

use std::path::{Path, PathBuf};

use glimpse_models::{ModelRef, ModelRefError};

use crate::dto::Settings;

/// Why the settings could not be read, written or understood.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read or written.
    #[error("{path}: cannot {action}: {source}")]
    Io {
        /// The settings file.
        path: PathBuf,
        /// `read` or `write`.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid JSON for [`Settings`].
    #[error("{path}: not a valid settings file: {source}")]
    Parse {
        /// The settings file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The model setting names no model: not a catalogue name, a hub repo or a folder.
    #[error("“{text}” is not a model: {reason}")]
    BadModelSource {
        /// The setting.
        text: String,
        /// Why, from [`ModelRefError`].
        reason: String,
    },
}

/// The settings file of a data folder.
pub fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Reads the settings; a missing file means the defaults.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(source) => {
            return Err(SettingsError::Io {
                path: path.to_path_buf(),
                action: "read",
                source,
            });
        }
    };
    serde_json::from_str(&text).map_err(|source| SettingsError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the settings atomically (temp file + rename), so a crash never leaves half a file.
pub fn save(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let io = |action, source| SettingsError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("write", e))?;
    }
    let text = serde_json::to_string_pretty(settings).map_err(|e| io("write", e.into()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("write", e))
}

/// The match sensitivity's steps either side of the model's calibrated line: Settings'
/// five positions, Looser (−2) to Stricter (+2). One step is one logit
/// (`Library::set_sensitivity`), the same for every model.
pub const MAX_SENSITIVITY: i8 = 2;

/// A stored sensitivity brought into range (a hand-edited file may say anything).
pub fn clamp_sensitivity(steps: i8) -> i8 {
    steps.clamp(-MAX_SENSITIVITY, MAX_SENSITIVITY)
}

/// The smallest share of the CPU indexing may be limited to, in percent (the engine's
/// floor: below it a large folder would take days).
pub const MIN_CPU_LIMIT: u8 = 10;

/// A stored CPU limit brought into range: 10–100 %.
pub fn clamp_cpu_limit(percent: u8) -> u8 {
    percent.clamp(MIN_CPU_LIMIT, 100)
}

/// Reads a model setting: a catalogue name (`clip-b32`), a hub repo
/// (`hub:org/name[@revision]`, or without `hub:`) or `dir:<folder>`. Settings written before
/// the catalogue (`hub:openai/clip-vit-base-patch32`) name the catalogue model of that repo.
pub fn model_ref(text: &str) -> Result<ModelRef, SettingsError> {
    text.parse()
        .map_err(|e: ModelRefError| SettingsError::BadModelSource {
            text: text.to_string(),
            reason: e.to_string(),
        })
}

/// The repo the first-run download fetches (`defaultRepo` of `ModelState::Missing`).
pub fn default_repo() -> String {
    ModelRef::default_model().entry().map_or_else(
        || ModelRef::default_model().source().to_string(),
        |e| e.repo.to_string(),
    )
}

/// The default model's download size, when the catalogue knows it.
pub fn default_download_bytes() -> Option<u64> {
    ModelRef::default_model().entry().map(|e| e.download_bytes)
}

/// What the UI calls a model: its catalogue title, else the hub repo (with its revision), else
/// the folder's last two components (`clip-reference/model`: a folder is often just `model`).
pub fn title(model: &ModelRef) -> String {
    if let Some(entry) = model.entry() {
        return entry.title.to_string();
    }
    match model {
        ModelRef::Dir(dir) => {
            let parts: Vec<String> = dir
                .components()
                .rev()
                .filter_map(|c| match c {
                    std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                    _ => None,
                })
                .take(2)
                .collect();
            if parts.is_empty() {
                dir.display().to_string()
            } else {
                parts.into_iter().rev().collect::<Vec<_>>().join("/")
            }
        }
        other => other.source().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glimpse_models::source::ModelSource;

    #[test]
    fn settings_written_before_the_catalogue_name_its_models() {
        let old = model_ref("hub:openai/clip-vit-base-patch32").expect("old default");
        assert_eq!(old.entry().map(|e| e.name), Some("clip-b32"));
        assert_eq!(old, model_ref("clip-b32").expect("catalogue name"));
        assert_eq!(
            old.source(),
            ModelSource::Hub {
                repo: "openai/clip-vit-base-patch32".into(),
                revision: Some("refs/pr/15".into()),
            },
            "the catalogue's safetensors revision is used"
        );
        assert_eq!(old.to_setting(), "clip-b32");
        assert_eq!(
            model_ref(&Settings::default().model_source).expect("the default parses"),
            model_ref("siglip2-b16-224").expect("catalogue name"),
            "a new data folder starts with the catalogue's default"
        );
    }

    #[test]
    fn every_kind_of_model_setting_round_trips() {
        for text in [
            "clip-b32",
            "siglip2-b16-224",
            "hub:a/b",
            "hub:a/b@v1",
            "dir:/models/clip",
        ] {
            let model = model_ref(text).expect("valid");
            assert_eq!(model.to_setting(), text);
        }
        assert_eq!(
            model_ref("hub:a/b@refs/pr/3")
                .expect("a pull request")
                .source(),
            ModelSource::Hub {
                repo: "a/b".into(),
                revision: Some("refs/pr/3".into())
            }
        );
    }

    #[test]
    fn malformed_model_settings_are_refused_with_the_reason() {
        for text in [
            "",
            "justone",
            "hub:",
            "hub:justone",
            "dir:",
            "a/b/c",
            "org/x@",
        ] {
            let err = model_ref(text).expect_err(text);
            assert!(err.to_string().contains("is not a model"), "{err}");
        }
    }

    #[test]
    fn titles_say_what_the_user_chose() {
        let title_of = |text: &str| title(&model_ref(text).expect(text));
        assert_eq!(title_of("clip-b32"), "OpenAI CLIP ViT-B/32");
        assert_eq!(
            title_of("hub:openai/clip-vit-base-patch32"),
            "OpenAI CLIP ViT-B/32"
        );
        assert_eq!(title_of("hub:org/my-clip@v2"), "org/my-clip@v2");
        assert_eq!(
            title_of("dir:/work/fixtures/clip-reference/model"),
            "clip-reference/model"
        );
        assert_eq!(title_of("dir:/model"), "model");
        assert_eq!(default_repo(), "google/siglip2-base-patch16-224");
    }

    #[test]
    fn settings_save_and_load_round_trip_and_missing_file_is_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file(dir.path());
        assert_eq!(
            load(&path).expect("missing file is fine"),
            Settings::default()
        );
        let s = Settings {
            cpu_threads: 3,
            model_source: "dir:/m".into(),
            ..Settings::default()
        };
        save(&path, &s).expect("saved");
        assert_eq!(load(&path).expect("loads"), s);
    }

    #[test]
    fn sensitivity_defaults_to_the_calibrated_line_and_stays_in_range() {
        let s: Settings = serde_json::from_str(r#"{"cpuThreads": 0}"#).expect("an older file");
        assert_eq!(s.sensitivity, 0);
        let s: Settings = serde_json::from_str(r#"{"sensitivity": -2}"#).expect("parses");
        assert_eq!(s.sensitivity, -2);
        assert_eq!(clamp_sensitivity(9), 2);
        assert_eq!(clamp_sensitivity(-9), -2);
        assert_eq!(clamp_sensitivity(1), 1);
        assert_eq!(
            s.cpu_limit, 100,
            "a file from before the CPU limit: full speed"
        );
        let s: Settings = serde_json::from_str(r#"{"cpuLimit": 25}"#).expect("parses");
        assert_eq!(s.cpu_limit, 25);
        assert_eq!(clamp_cpu_limit(0), 10);
        assert_eq!(clamp_cpu_limit(250), 100);
    }

    #[test]
    fn corrupt_settings_name_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file(dir.path());
        std::fs::write(&path, "{not json").expect("written");
        let err = load(&path).expect_err("corrupt file is an error");
        assert!(err.to_string().contains("settings.json"), "{err}");
    }
}
