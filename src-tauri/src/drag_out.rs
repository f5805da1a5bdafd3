//! Dragging a result out of the window into other apps, as a file.
//!
//! The UI names a photo by id, never by path: the file and its drag icon (the thumbnail)
//! are looked up here, so the webview cannot make the shell offer an arbitrary file to
//! other apps. The native drag is started with the `drag` crate, the one behind
//! `tauri-plugin-drag`; that plugin is not used because its command takes any path from
//! the webview and its permission has no scope.
#![allow(non_snake_case)]

use std::path::PathBuf;
use std::sync::Arc;

use glimpse_engine::{Library, PhotoId};
use tauri::{AppHandle, State, WebviewWindow};

use crate::commands::CmdResult;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// What a drag of one photo carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DragFiles {
    /// The photo file (must exist).
    pub file: PathBuf,
    /// Its thumbnail, shown under the pointer, when there is one.
    pub icon: Option<PathBuf>,
}

/// Resolves a photo id to the file to drag and its icon. Only photos of the library are
/// accepted, and only while their file is still on disk.
pub fn resolve(library: &Library, photo_id: PhotoId) -> Result<DragFiles, IpcError> {
    let details = library.photo(photo_id).map_err(IpcError::from)?;
    if !details.path.is_file() {
        return Err(IpcError::new(
            ErrorCode::Io,
            format!("{}: the file is no longer there.", details.path.display()),
        ));
    }
    let icon = match details.content {
        Some(content) => library.thumbnail_path(content).map_err(IpcError::from)?,
        None => None,
    };
    Ok(DragFiles {
        file: details.path,
        icon,
    })
}

/// Starts a native drag of a photo of the library from the calling window. Resolves once
/// the drag has started (the drop itself is the receiving app's business).
#[tauri::command]
#[specta::specta]
pub async fn startDrag(
    app: AppHandle,
    window: WebviewWindow,
    state: State<'_, Arc<AppState>>,
    photo_id: PhotoId,
) -> CmdResult<()> {
    let state = state.inner().clone();
    let files = tauri::async_runtime::spawn_blocking(move || {
        let library = state.library()?;
        resolve(&library, photo_id)
    })
    .await
    .map_err(IpcError::internal)??;
    let (tx, rx) = std::sync::mpsc::channel();
    app.run_on_main_thread(move || {
        let _ = tx.send(begin(&window, files));
    })?;
    tauri::async_runtime::spawn_blocking(move || rx.recv())
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::internal)?
}

/// Begins the drag on the GUI thread.
fn begin(window: &WebviewWindow, files: DragFiles) -> CmdResult<()> {
    let failed = |e: &dyn std::fmt::Display| {
        IpcError::new(
            ErrorCode::Io,
            format!("{}: cannot be dragged: {e}", files.file.display()),
        )
    };
    let icon = match &files.icon {
        Some(path) => drag::Image::File(path.clone()),
        // No thumbnail yet: GTK then shows its default drag icon.
        None => drag::Image::Raw(Vec::new()),
    };
    let item = drag::DragItem::Files(vec![files.file.clone()]);
    let done = |result: drag::DragResult, _cursor: drag::CursorPosition| {
        tracing::debug!(?result, "drag out ended");
    };
    #[cfg(target_os = "linux")]
    let started = match window.gtk_window() {
        Ok(gtk) => drag::start_drag(&gtk, item, icon, done, drag::Options::default()),
        Err(e) => return Err(failed(&e)),
    };
    #[cfg(not(target_os = "linux"))]
    let started = drag::start_drag(window, item, icon, done, drag::Options::default());
    started.map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a photo of the library can be dragged, by id: its own file with its thumbnail
    /// as icon; an unknown id and a file gone from disk are refused.
    #[test]
    fn only_library_photos_still_on_disk_resolve_to_a_drag() {
        let fixture = crate::test_support::two_indexed_photos();
        let (lib, hits) = (&fixture.lib, &fixture.hits);

        for hit in hits {
            let files = resolve(lib, hit.photo).expect("a library photo resolves");
            assert_eq!(files.file, hit.path, "the dragged file is the photo itself");
            let icon = files.icon.expect("an indexed photo has a thumbnail icon");
            assert!(
                icon.starts_with(fixture.data.path().join("thumbs")) && icon.is_file(),
                "the icon is a thumbnail of the cache: {}",
                icon.display()
            );
        }
        let unknown = hits.iter().map(|h| h.photo).max().unwrap_or(0) + 1000;
        assert_eq!(
            resolve(lib, unknown).map_err(|e| e.code),
            Err(ErrorCode::UnknownPhoto),
            "an id that is not a photo of the library is refused"
        );
        std::fs::remove_file(&hits[0].path).expect("photo deleted");
        let gone = resolve(lib, hits[0].photo).expect_err("a deleted file is not dragged");
        assert!(gone.message.contains("no longer there"), "{}", gone.message);
    }
}
