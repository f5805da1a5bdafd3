//! The global shortcut `CmdOrCtrl+Shift+Space`, which toggles the quick-search window.
//! Registration can fail (another app owns the keys, no X server grabs under some Wayland
//! compositors); that is logged, and the tray still opens quick search.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Wry};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

use crate::windows;

/// The shortcut.
pub const QUICK_SEARCH: &str = "CmdOrCtrl+Shift+Space";

/// The plugin, with a handler that toggles the quick window on key press.
pub fn plugin() -> TauriPlugin<Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state() == ShortcutState::Pressed {
                windows::toggle_quick(app);
            }
        })
        .build()
}

/// Registers the shortcut; failure is not fatal.
pub fn register(app: &AppHandle) {
    match app.global_shortcut().register(QUICK_SEARCH) {
        Ok(()) => tracing::info!(shortcut = QUICK_SEARCH, "global shortcut registered"),
        Err(e) => {
            tracing::warn!(shortcut = QUICK_SEARCH, error = %e, "cannot register the global shortcut")
        }
    }
}
