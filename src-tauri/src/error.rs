//! The one error shape that crosses IPC: `{ code, message }` (see docs/IPC.md). The UI
//! branches on `code` only and shows `message`, a full sentence, to the user.

use glimpse_engine::LibraryError;
use serde::Serialize;

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    /// Stable machine-readable code (`no_model`, `unknown_photo`, `io`, …).
    pub code: &'static str,
    /// A sentence for the user.
    pub message: String,
}

impl IpcError {
    /// An error with an explicit code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Bad arguments from the UI.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }

    /// The shell itself failed (a panicked worker, a window that cannot be created).
    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::new("io", format!("Glimpse failed internally: {what}"))
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
            code: error.code(),
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
        assert_eq!(e.code, "unknown_photo");
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
        assert_eq!(e.code, "no_model");
        assert!(!e.message.contains("--model"), "message was: {}", e.message);
    }
}
