//! The models Glimpse knows, one way to name a model, and where its files come from.
//!
//! [`CATALOGUE`] lists the models offered to users (in `glimpse models` and the app's
//! Settings): where each is downloaded from, how large it is, what it is good for, with a
//! published retrieval figure and its source. [`ModelRef`] is the one parser of a model
//! name, shared by the CLI (`--model`) and the app's settings: a catalogue name, any hub
//! repo id (`org/name[@revision]`), or a local folder. [`source`] finds a model's files
//! (a local folder, or the Hugging Face hub's cache, downloading with progress when asked)
//! and vets them before anything is loaded: [`ModelFiles`] is what `glimpse-embed` loads.
//!
//! ```
//! use glimpse_models::ModelRef;
//! let named: ModelRef = "siglip2-b16-224".parse().unwrap();
//! assert_eq!(named.entry().map(|e| e.repo), Some("google/siglip2-base-patch16-224"));
//! let repo: ModelRef = "org/my-clip@v2".parse().unwrap();
//! assert!(repo.entry().is_none());
//! ```

mod calibration;
mod catalogue;
mod reference;
pub mod source;

pub use calibration::{CALIBRATION_FILE, Calibrated, CalibrationError, calibration_for};
pub use catalogue::{
    Architecture, CATALOGUE, Calibration, DEFAULT_MODEL, Entry, Retrieval, find, find_repo,
};
pub use reference::{ModelRef, ModelRefError};
pub use source::{DownloadProgress, ModelFiles, ModelSource, NoProgress, SourceError};
