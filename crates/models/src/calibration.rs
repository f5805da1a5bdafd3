//! Where a model's good matches begin: the catalogue's calibration for a catalogue repo, or
//! the `glimpse.json` a local model folder may carry beside its `config.json`.
//!
//! ```json
//! { "goodMatch": { "textCosine": 0.83, "imageCosine": 0.89 }, "source": "how it was measured" }
//! ```

use std::path::{Path, PathBuf};

use crate::source::ModelFiles;
use serde::Deserialize;

use crate::catalogue::{Calibration, find_repo};

/// The file a local model folder may carry its calibration in.
pub const CALIBRATION_FILE: &str = "glimpse.json";

/// A model's calibration and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    /// The line.
    pub calibration: Calibration,
    /// Its provenance, in words.
    pub source: String,
}

/// `glimpse.json` could not be read or understood.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not a usable calibration: {reason}")]
pub struct CalibrationError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    good_match: Calibration,
    #[serde(default)]
    source: String,
}

/// The calibration of `files`: from `glimpse.json` in its folder if there is one, else the
/// catalogue's for its repo, else `None` (the engine then uses its family's default).
pub fn calibration_for(files: &ModelFiles) -> Result<Option<Calibrated>, CalibrationError> {
    if let Some(dir) = files.config.parent() {
        let path = dir.join(CALIBRATION_FILE);
        if path.is_file() {
            return read(&path).map(Some);
        }
    }
    Ok(find_repo(&files.name).map(|entry| Calibrated {
        calibration: entry.calibration,
        source: entry.calibration_source.to_owned(),
    }))
}

fn read(path: &Path) -> Result<Calibrated, CalibrationError> {
    let fail = |reason: String| CalibrationError {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let file: File = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    let c = file.good_match;
    let ok = |x: f32| x.is_finite() && (-1.0..=1.0).contains(&x);
    if !ok(c.image_cosine) || c.text_cosine.is_some_and(|t| !ok(t)) {
        return Err(fail("cosines must lie between -1 and 1".into()));
    }
    Ok(Calibrated {
        calibration: c,
        source: if file.source.is_empty() {
            format!("{}", path.display())
        } else {
            file.source
        },
    })
}
