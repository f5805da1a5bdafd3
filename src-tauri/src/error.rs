//! The one error shape that crosses IPC: `{ code, message }` (see docs/IPC.md). The UI
//! branches on `code` only and shows `message`, a full sentence, to the user.

use glimpse_engine::LibraryError;
use serde::Serialize;

/// Declares [`ErrorCode`] and its list from one table, so the enum, its wire names and
/// [`ErrorCode::ALL`] cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// What went wrong, for the UI to branch on (never shown): the `code` of every
        /// failed command. The generated bindings (`ui/src/ipc/bindings.ts`) carry it as a
        /// union of these strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, specta::Type)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            /// The code as it crosses IPC (`unknown_photo`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// No model is loaded yet (first run): download one or choose a folder.
    NoModel = "no_model",
    /// A model could not be downloaded.
    ModelDownload = "model_download",
    /// The path is not a folder.
    NotAFolder = "not_a_folder",
    /// The folder is not one of the library's.
    UnknownFolder = "unknown_folder",
    /// The id is not a (searchable) photo of the library.
    UnknownPhoto = "unknown_photo",
    /// An image could not be decoded.
    Image = "image",
    /// A file could not be read or written; also the shell's own failures.
    Io = "io",
    /// The catalog (SQLite) failed.
    Catalog = "catalog",
    /// The vector index failed.
    Vectors = "vectors",
    /// The model could not be loaded or run.
    Model = "model",
    /// `removeModelVectors` on the model that answers searches or the one being switched to.
    ModelInUse = "model_in_use",
    /// The pipeline or the app is stopping.
    Stopped = "stopped",
    /// Another Glimpse process has the data folder open.
    InUse = "in_use",
    /// A folder could not be watched.
    Watch = "watch",
    /// Bad arguments from the UI.
    Invalid = "invalid",
    /// The search box's text does not parse; the message names the token at fault.
    Query = "query",
    /// A `query` that waited for the text encoder gave way to a newer text.
    Superseded = "superseded",
}

impl ErrorCode {
    /// The code of an engine error (`LibraryError::code`); one the app does not know (a
    /// code the engine added since) becomes `io`, which the UI shows as a failure.
    pub fn of(error: &LibraryError) -> Self {
        let code = error.code();
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| {
                tracing::warn!(code, "an engine error code the app does not know");
                Self::Io
            })
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    /// Stable machine-readable code (`no_model`, `unknown_photo`, `io`, …).
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
}

impl IpcError {
    /// An error with an explicit code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Bad arguments from the UI.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }

    /// The shell itself failed (a panicked worker, a window that cannot be created).
    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Io, format!("Glimpse failed internally: {what}"))
    }
}

impl From<LibraryError> for IpcError {
    fn from(error: LibraryError) -> Self {
        let message = match &error {
            // The engine's sentence names the CLI's flags; the app has its own ways.
            LibraryError::NoModel => {
                "No model is loaded yet: download one or choose a model folder in Settings."
                    .to_string()
            }
            other => other.to_string(),
        };
        Self {
            code: ErrorCode::of(&error),
            message,
        }
    }
}

impl From<tauri::Error> for IpcError {
    fn from(error: tauri::Error) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_keep_their_code_and_serialize_as_code_and_message() {
        let e = IpcError::from(LibraryError::UnknownPhoto("42".into()));
        assert_eq!(e.code, ErrorCode::UnknownPhoto);
        let json = serde_json::to_value(&e).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"code": "unknown_photo", "message": "42: not a photo of this library"}),
            "the UI expects exactly {{code, message}}"
        );
    }

    #[test]
    fn no_model_message_does_not_mention_cli_flags() {
        let e = IpcError::from(LibraryError::NoModel);
        assert_eq!(e.code, ErrorCode::NoModel);
        assert!(!e.message.contains("--model"), "message was: {}", e.message);
    }

    /// Every code the engine returns is one of the contract's: scraped from
    /// `LibraryError::code` so a code added there fails here, not as `io` in the UI.
    #[test]
    fn every_engine_code_is_a_contract_code() {
        let engine = include_str!("../../crates/engine/src/error.rs");
        let body = engine
            .split("pub fn code(&self)")
            .nth(1)
            .and_then(|rest| rest.split("\n    }\n").next())
            .expect("LibraryError::code in crates/engine/src/error.rs");
        let codes: Vec<&str> = body
            .lines()
            .filter_map(|line| line.split("=> \"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(codes.len() >= 10, "the engine's codes were read: {codes:?}");
        for code in codes {
            assert!(
                ErrorCode::ALL.iter().any(|c| c.as_str() == code),
                "the engine's code {code:?} is missing from ErrorCode (src-tauri/src/error.rs)"
            );
        }
    }

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).expect("serializable"),
                serde_json::json!(code.as_str())
            );
        }
    }
}
