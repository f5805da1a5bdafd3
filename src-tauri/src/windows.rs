//! The two windows (docs/IPC.md "Windows"): `main`, the search window, and `quick`, a
//! small always-on-top search box shown by the global shortcut and the tray.

use tauri::{
    AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder, Window, WindowEvent,
};

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
        .build()?;
    Ok(())
}

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
}

/// Shows and focuses a window.
pub fn show(app: &AppHandle, label: &str) {
    if let Some(w) = app.get_webview_window(label) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Hides a window.
pub fn hide(app: &AppHandle, label: &str) {
    if let Some(w) = app.get_webview_window(label) {
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
        let _ = w.hide();
    } else {
        show_quick(&w);
    }
}

/// Centres, shows and focuses the quick window.
pub fn show_quick(w: &WebviewWindow) {
    let _ = w.center();
    let _ = w.unminimize();
    let _ = w.show();
    let _ = w.set_focus();
}

/// Window events: closing the quick window hides it; closing the main window hides it when
/// a tray icon can bring it back, and quits otherwise.
pub fn on_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    match window.label() {
        QUICK => {
            api.prevent_close();
            let _ = window.hide();
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
