//! Glimpse's desktop shell: a thin Tauri v2 layer over [`glimpse_engine::Library`].
//!
//! It owns what only a desktop app has — the IPC commands and events of `docs/IPC.md`,
//! the `thumb` URI scheme that serves thumbnails, the windows (`main`, `quick`), the tray,
//! the global shortcut, logging and the data/model folders. It owns no photo logic: every
//! command is argument conversion, one Library call and error mapping, and the engine
//! never depends on Tauri.
//!
//! Start-up: the window shows at once while the library opens on a background thread
//! ([`open::start`]); commands wait for it. Without a model (first run) the library opens
//! without one, `status` says `model.state = "missing"`, and `downloadModel` fetches it.
//! Later model changes are switches ([`switch`]): the new model embeds the library in the
//! background while the current one keeps answering.
//! See [`launch`] for the environment variables and demo mode.

pub mod commands;
pub mod drag_out;
pub mod dto;
pub mod error;
pub mod events;
pub mod instance;
pub mod ipc;
pub mod launch;
pub mod logging;
pub mod model;
pub mod open;
pub mod query;
pub mod settings;
pub mod shortcut;
pub mod state;
pub mod switch;
#[cfg(test)]
mod test_support;
pub mod thumb;
pub mod tray;
pub mod windows;

use std::sync::Arc;

use tauri::{Manager, RunEvent};

use crate::launch::Launch;
use crate::state::AppState;

/// Runs the app until it quits. Returns an error message when it cannot start.
pub fn run() -> Result<(), String> {
    windows::choose_compositing();
    let context = tauri::generate_context!();
    // The launch options decide the data folder, which the single-instance claim needs before
    // the app is built, so there is no path API yet: this is the function its
    // `resource_dir()` calls (on Linux `<exe dir>/../lib/Glimpse`, where the .deb puts
    // `bundle.resources`; the exe's folder in a cargo target dir).
    let resource_dir =
        tauri::utils::platform::resource_dir(context.package_info(), &tauri::Env::default()).ok();
    let launch = Launch::parse(
        std::env::args_os().skip(1),
        |k| std::env::var_os(k),
        resource_dir.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let state = Arc::new(AppState::new(launch).map_err(|e| e.to_string())?);
    let _log_guard = logging::init(&launch::log_dir(state.data_dir()));
    glimpse_engine::quiet_decoder_panics();
    let primary = match instance::claim(state.data_dir()) {
        instance::Claim::First(primary) => primary,
        instance::Claim::Forwarded => {
            tracing::info!(data_dir = %state.data_dir().display(), "Glimpse is already running on this data folder; showed its window");
            eprintln!(
                "Glimpse is already running on {}: its window was brought forward.",
                state.data_dir().display()
            );
            return Ok(());
        }
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        data_dir = %state.data_dir().display(),
        demo = state.demo.is_some(),
        "Glimpse starting"
    );

    #[cfg(target_os = "linux")]
    open_display()?;

    let setup_state = state.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(shortcut::plugin())
        // Its own commands are granted to no window: the shell calls it from `setSettings`.
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .manage(state.clone())
        .register_asynchronous_uri_scheme_protocol(thumb::SCHEME, thumb::handle)
        // The commands of src/commands.list, as the generated bindings call them.
        .invoke_handler(ipc::builder().invoke_handler())
        .on_window_event(windows::on_event)
        .setup(move |app| {
            let handle = app.handle();
            let shower = handle.clone();
            let served = primary.serve(move || windows::show(&shower, windows::MAIN));
            app.manage(served);
            // Demo mode types its query; otherwise the window opens on the last search.
            let query = match &setup_state.demo {
                Some(demo) => Some(demo.query.clone()),
                None => setup_state.last_query(),
            };
            windows::create(handle, query.as_deref(), setup_state.e2e)?;
            tray::install(handle);
            shortcut::register(handle);
            open::start(handle.clone(), setup_state.clone());
            Ok(())
        })
        .build(context)
        .map_err(|e| format!("cannot start the app: {e}"))?;

    app.run(move |handle, event| {
        if let RunEvent::Exit = event {
            tracing::info!("Glimpse quitting");
            // Stop the pipeline cleanly so the vector index is saved.
            handle.state::<Arc<AppState>>().close();
        }
    });
    Ok(())
}

/// Opens GTK's display before tao does: tao panics with a backtrace when there is none,
/// and someone who started the app over ssh or from a service should read one line that
/// says what is missing and what works instead.
#[cfg(target_os = "linux")]
fn open_display() -> Result<(), String> {
    gtk::init().map_err(|_| {
        let var = |name| std::env::var(name).unwrap_or_else(|_| "unset".into());
        let message = format!(
            "cannot open a display (DISPLAY={}, WAYLAND_DISPLAY={}): the window needs a \
             graphical session; the `glimpse` command indexes and searches without one",
            var("DISPLAY"),
            var("WAYLAND_DISPLAY"),
        );
        tracing::error!("{message}");
        message
    })
}
