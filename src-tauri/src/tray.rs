//! The tray icon and its menu: Open Glimpse, Quick search, Pause/Resume indexing, Quit.
//!
//! Building a tray on Linux loads libayatana-appindicator at run time and *panics* when it
//! is missing, so the build runs inside `catch_unwind`; without a tray the app still works
//! (and closing the main window then quits it).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::state::AppState;
use crate::windows;

const OPEN: &str = "open";
const QUICK: &str = "quick";
const PAUSE: &str = "pause";
const QUIT: &str = "quit";

/// The tray, kept in managed state while it exists.
pub struct Tray {
    _icon: TrayIcon,
    pause: MenuItem<Wry>,
}

/// Whether the app has a tray icon.
pub fn exists(app: &AppHandle) -> bool {
    app.try_state::<Tray>().is_some()
}

fn pause_label(paused: bool) -> &'static str {
    if paused {
        "Resume indexing"
    } else {
        "Pause indexing"
    }
}

/// Updates the Pause/Resume item after a change from anywhere (UI or tray).
pub fn show_paused(app: &AppHandle, paused: bool) {
    if let Some(tray) = app.try_state::<Tray>() {
        let _ = tray.pause.set_text(pause_label(paused));
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let pause = MenuItem::with_id(app, PAUSE, pause_label(false), true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, OPEN, "Open Glimpse", true, None::<&str>)?,
            &MenuItem::with_id(app, QUICK, "Quick search", true, None::<&str>)?,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("glimpse")
        .tooltip("Glimpse")
        .menu(&menu)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    Ok(Tray { _icon: icon, pause })
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        OPEN => windows::show(app, windows::MAIN),
        QUICK => windows::toggle_quick(app),
        PAUSE => {
            let state = app.state::<Arc<AppState>>();
            let paused = !state.paused();
            state.set_paused(paused);
            show_paused(app, paused);
            crate::commands::emit_progress(app, &state);
        }
        QUIT => app.exit(0),
        _ => {}
    }
}

/// Installs the tray if the platform allows; logs and carries on without one otherwise.
pub fn install(app: &AppHandle) {
    match std::panic::catch_unwind(AssertUnwindSafe(|| build(app))) {
        Ok(Ok(tray)) => {
            app.manage(tray);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "no tray icon"),
        Err(_) => tracing::warn!(
            "no tray icon: building it panicked (is libayatana-appindicator3-1 installed?)"
        ),
    }
}
