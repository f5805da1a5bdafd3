//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in a vector index.
///
/// Two kinds, and the caller treats them differently:
/// - **item errors** (`DimensionMismatch`, `InvalidVector`, `ReservedKey`): this one vector
///   or query is unusable; skip the item, the index is unchanged and still healthy.
/// - **store errors** (`Io`, `Usearch`, `Corrupt`, `SettingsMismatch`, `InvalidSettings`):
///   the index itself cannot be used as asked; stop and report. For `Corrupt` and
///   `SettingsMismatch` the index file is unusable and should be rebuilt from the catalog
///   (see [`VectorError::requires_rebuild`]).
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A vector or query has the wrong number of dimensions. Item error.
    #[error("vector has {got} dimensions, the index expects {expected}")]
    DimensionMismatch {
        /// Dimensions of the index.
        expected: usize,
        /// Dimensions of the vector given.
        got: usize,
    },

    /// A vector or query cannot be compared by cosine: it contains NaN/infinity or is all
    /// zeros. Item error.
    #[error("vector is unusable: {reason}")]
    InvalidVector {
        /// Why, in words.
        reason: &'static str,
    },

    /// `u64::MAX` marks deleted slots inside USearch and cannot be used as a key. Item error.
    #[error("key {key} is reserved by USearch to mark deleted entries")]
    ReservedKey {
        /// The key refused.
        key: u64,
    },

    /// The settings cannot build an index (zero dimensions, connectivity below 2, ...).
    /// Store error.
    #[error("invalid index settings: {message}")]
    InvalidSettings {
        /// What is wrong.
        message: String,
    },

    /// Reading or writing the index file failed. Store error.
    #[error("{path}: {action}: {source}", path = path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// USearch refused an operation (out of memory, internal error). Store error.
    #[error("USearch {op} failed: {message}")]
    Usearch {
        /// The operation, e.g. "add", "search", "reserve".
        op: &'static str,
        /// USearch's message.
        message: String,
    },

    /// The index file is damaged, truncated, or not an index file at all. The index must
    /// be rebuilt. Store error.
    #[error("{path}: corrupt vector index: {message}", path = path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What check failed.
        message: String,
    },

    /// The index file is healthy but was built with other settings (dimensions or
    /// quantization) than those requested, e.g. after a model change. The index must be
    /// rebuilt. Store error.
    #[error(
        "{path}: index file has {setting} = {in_file}, but {requested} was requested",
        path = path.display()
    )]
    SettingsMismatch {
        /// The file.
        path: PathBuf,
        /// Which setting differs: "dimensions" or "quantization".
        setting: &'static str,
        /// The value stored in the file.
        in_file: String,
        /// The value the caller asked for.
        requested: String,
    },
}

impl VectorError {
    /// True when the index file on disk is unusable and the index should be rebuilt from
    /// the catalog (the catalog, not this file, is the source of truth).
    pub fn requires_rebuild(&self) -> bool {
        matches!(self, Self::Corrupt { .. } | Self::SettingsMismatch { .. })
    }

    /// True when only the one vector or query was unusable and the index is unaffected.
    pub fn is_item_error(&self) -> bool {
        matches!(
            self,
            Self::DimensionMismatch { .. } | Self::InvalidVector { .. } | Self::ReservedKey { .. }
        )
    }

    pub(crate) fn usearch(op: &'static str, error: impl std::fmt::Display) -> Self {
        Self::Usearch {
            op,
            message: error.to_string(),
        }
    }
}
