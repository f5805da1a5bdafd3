//! The two windows (docs/IPC.md "Windows"): `main`, the search window, and `quick`, a
//! small always-on-top search box shown by the global shortcut and the tray.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{
    AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder, Window, WindowEvent,
};

use crate::state::AppState;

/// Label of the search window.
pub const MAIN: &str = "main";
/// Label of the quick-search window.
pub const QUICK: &str = "quick";

/// Percent-encodes a query for the page URL (`?q=`): everything but unreserved characters.
fn encode_query(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The main window's page: `index.html`, with `q=` when a query is to be typed in (demo
/// mode) and `e2e=1` for end-to-end tests.
pub fn main_url(query: Option<&str>, e2e: bool) -> String {
    let mut params = Vec::new();
    if let Some(q) = query {
        params.push(format!("q={}", encode_query(q)));
    }
    if e2e {
        params.push("e2e=1".to_string());
    }
    if params.is_empty() {
        "index.html".to_string()
    } else {
        format!("index.html?{}", params.join("&"))
    }
}

/// Creates the search window. The quick-search window is made on first use
/// ([`quick_window`]): a hidden webview still runs its own web process, which added
/// 34–43 MB to the app's total PSS here (413–416 vs 373–379 MB, empty library), for a
/// window many people never open.
pub fn create(app: &AppHandle, query: Option<&str>, e2e: bool) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(main_url(query, e2e).into()))
        .title("Glimpse")
        .inner_size(1100.0, 720.0)
        .min_inner_size(640.0, 420.0)
        .center()
        .build()
        .inspect(tune_webview)?;
    Ok(())
}

/// Draws web pages without GL compositing unless the user asks for it
/// (`GLIMPSE_WEBVIEW_GPU=1`) or set WebKit's own switch (`WEBKIT_DISABLE_COMPOSITING_MODE`).
/// With compositing each web process holds a GL context and its buffers (with Mesa's
/// software renderer, where there is no GPU driver, ~95–110 MB of the web process's PSS
/// measured here: docs/BENCHMARKS.md), for a grid of still images that the CPU path draws
/// as fast (keystroke → grid painted p50 within 12 ms of it).
///
/// WebKit reads the variable when it starts, so the whole app, every window and web
/// process, starts in one mode. Switching a running view over (its settings' hardware
/// acceleration policy) instead made WebKitWebDriver stop answering while it took
/// screenshots: the page left compositing mode under it.
///
/// Must be called before any thread is started (it changes the environment).
// The one way to choose before WebKit starts is its environment variable, and changing the
// environment is `unsafe` since Rust 2024.
#[allow(unsafe_code)]
pub fn choose_compositing() {
    #[cfg(target_os = "linux")]
    {
        let gpu = std::env::var_os("GLIMPSE_WEBVIEW_GPU").is_some_and(|v| v == "1");
        if !gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
            // SAFETY: called first thing in `run`, while the process has one thread, so no
            // other thread reads or writes the environment meanwhile.
            unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
        }
    }
}

/// Sets up a window's WebKitGTK view for a page that shows local thumbnails: the
/// "document viewer" cache model, since the page's resources all come from the app, so
/// WebKit's memory and disk caches for browsing would only hold copies.
#[cfg(target_os = "linux")]
fn tune_webview(window: &WebviewWindow) {
    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
    let done = window.with_webview(move |webview| {
        if let Some(context) = webview.inner().context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot set up the web view's cache model");
    }
}

#[cfg(not(target_os = "linux"))]
fn tune_webview(_window: &WebviewWindow) {}

/// The quick-search window, created hidden if it does not exist yet.
pub fn quick_window(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    if let Some(w) = app.get_webview_window(QUICK) {
        return Ok(w);
    }
    WebviewWindowBuilder::new(app, QUICK, WebviewUrl::App("index.html?view=quick".into()))
        .title("Glimpse quick search")
        .inner_size(680.0, 420.0)
        .resizable(false)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .visible(false)
        .center()
        .build()
        .inspect(tune_webview)
}

/// How long a hidden quick window is kept: shown again within it (the shortcut pressed
/// twice, a second look), it appears at once; after it, the window is closed and its web
/// process (34–43 MB of PSS measured here) given back. The next use makes it again.
pub const QUICK_RELEASE_AFTER: Duration = Duration::from_secs(60);

/// The same for end-to-end tests (debug builds with `GLIMPSE_E2E`), which check the release.
const QUICK_RELEASE_AFTER_E2E: Duration = Duration::from_secs(1);

/// Counts the quick window's showings: a release planned at a hide is dropped when the
/// window was shown again since.
static QUICK_SHOWINGS: AtomicU64 = AtomicU64::new(0);

/// Hides the quick window and plans its release ([`QUICK_RELEASE_AFTER`]).
pub fn hide_quick(app: &AppHandle) {
    let Some(w) = app.get_webview_window(QUICK) else {
        return;
    };
    let _ = w.hide();
    let shown = QUICK_SHOWINGS.load(Ordering::SeqCst);
    let after = match app.try_state::<Arc<AppState>>() {
        Some(state) if state.e2e => QUICK_RELEASE_AFTER_E2E,
        _ => QUICK_RELEASE_AFTER,
    };
    let app = app.clone();
    let planned = std::thread::Builder::new()
        .name("glimpse-quick-release".into())
        .spawn(move || {
            std::thread::sleep(after);
            if QUICK_SHOWINGS.load(Ordering::SeqCst) != shown {
                return;
            }
            if let Some(w) = app.get_webview_window(QUICK)
                && !w.is_visible().unwrap_or(true)
            {
                tracing::debug!("quick-search window released");
                if let Err(e) = w.destroy() {
                    tracing::warn!(error = %e, "cannot close the hidden quick-search window");
                }
            }
        });
    if let Err(e) = planned {
        tracing::warn!(error = %e, "cannot plan the quick-search window's release");
    }
}

/// Shows and focuses a window.
pub fn show(app: &AppHandle, label: &str) {
    if let Some(w) = app.get_webview_window(label) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Hides a window (the quick window: see [`hide_quick`]).
pub fn hide(app: &AppHandle, label: &str) {
    if label == QUICK {
        hide_quick(app);
    } else if let Some(w) = app.get_webview_window(label) {
        let _ = w.hide();
    }
}

/// Shows the quick window (creating it on first use) if hidden, hides it if shown.
pub fn toggle_quick(app: &AppHandle) {
    let w = match quick_window(app) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the quick-search window");
            return;
        }
    };
    if w.is_visible().unwrap_or(false) {
        hide_quick(app);
    } else {
        show_quick(&w);
    }
}

/// Centres, shows and focuses the quick window.
pub fn show_quick(w: &WebviewWindow) {
    QUICK_SHOWINGS.fetch_add(1, Ordering::SeqCst);
    let _ = w.center();
    let _ = w.unminimize();
    let _ = w.show();
    let _ = w.set_focus();
}

/// Window events: a window coming to the front has the text tower built if it was freed;
/// closing the quick window hides it; closing the main window hides it when
/// a tray icon can bring it back, and quits otherwise.
pub fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::Focused(true) = event {
        // A search window came to the front: a text is likely soon, and the engine frees
        // the text tower at rest (`text_tower_idle`); building it now (0.16 s for ViT-B/32) keeps the
        // first keystroke from waiting for it.
        if let Some(library) = window
            .app_handle()
            .try_state::<Arc<AppState>>()
            .and_then(|state| state.library_now())
        {
            library.load_texts();
        }
        return;
    }
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    match window.label() {
        QUICK => {
            api.prevent_close();
            hide_quick(window.app_handle());
        }
        MAIN if crate::tray::exists(window.app_handle()) => {
            api.prevent_close();
            let _ = window.hide();
        }
        // No tray: nothing could bring a hidden window back, so closing means quitting
        // (the hidden quick window would otherwise keep the app alive).
        MAIN => window.app_handle().exit(0),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_query_is_percent_encoded_into_the_url() {
        assert_eq!(main_url(None, false), "index.html");
        assert_eq!(
            main_url(Some("a red circle"), false),
            "index.html?q=a%20red%20circle"
        );
        assert_eq!(
            main_url(Some("a&b=c#d"), false),
            "index.html?q=a%26b%3Dc%23d"
        );
        assert_eq!(main_url(Some("café"), true), "index.html?q=caf%C3%A9&e2e=1");
        assert_eq!(main_url(None, true), "index.html?e2e=1");
    }
}
