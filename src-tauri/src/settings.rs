//! The settings file (`settings.json` in the data folder) and what its model source means.

use std::path::{Path, PathBuf};

use glimpse_embed::source::{DEFAULT_MODEL_REPO, ModelSource};

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
    /// The model source is neither `hub:<repo>` nor `dir:<path>`.
    #[error("“{0}” is not a model source: use hub:<owner/name> or dir:<folder>")]
    BadModelSource(String),
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

/// Parses `hub:<repo>[@revision]` or `dir:<path>`.
pub fn model_source(text: &str) -> Result<ModelSource, SettingsError> {
    let bad = || SettingsError::BadModelSource(text.to_string());
    if let Some(dir) = text.strip_prefix("dir:") {
        if dir.is_empty() {
            return Err(bad());
        }
        return Ok(ModelSource::Dir(PathBuf::from(dir)));
    }
    let repo = text.strip_prefix("hub:").ok_or_else(bad)?;
    let (repo, revision) = match repo.split_once('@') {
        Some((r, rev)) => (r, Some(rev.to_string())),
        None => (repo, None),
    };
    if repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
        return Err(bad());
    }
    Ok(ModelSource::Hub {
        repo: repo.to_string(),
        revision,
    })
}

/// The settings string of a model source.
pub fn model_source_string(source: &ModelSource) -> String {
    match source {
        ModelSource::Dir(dir) => format!("dir:{}", dir.display()),
        ModelSource::Hub { repo, revision } => match revision {
            Some(rev) => format!("hub:{repo}@{rev}"),
            None => format!("hub:{repo}"),
        },
    }
}

/// The default hub model.
pub fn default_source() -> ModelSource {
    ModelSource::Hub {
        repo: DEFAULT_MODEL_REPO.to_string(),
        revision: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_sources_round_trip() {
        for text in [
            "hub:openai/clip-vit-base-patch32",
            "hub:a/b@v1",
            "dir:/models/clip",
        ] {
            let source = model_source(text).expect("valid");
            assert_eq!(model_source_string(&source), text);
        }
    }

    #[test]
    fn malformed_model_sources_are_refused() {
        for text in ["", "openai/clip", "hub:", "hub:justone", "dir:", "ftp:x/y"] {
            assert!(model_source(text).is_err(), "{text:?} must be refused");
        }
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
    fn corrupt_settings_name_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file(dir.path());
        std::fs::write(&path, "{not json").expect("written");
        let err = load(&path).expect_err("corrupt file is an error");
        assert!(err.to_string().contains("settings.json"), "{err}");
    }
}
