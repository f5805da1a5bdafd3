//! Opening the library: at start in the background (the window shows at once), and again
//! when the first model arrives (download, model folder) or the thumbnail cache moves. A
//! model switch remembered in the settings is opened with it, so it goes on.

use std::sync::Arc;
use std::time::Duration;

use glimpse_engine::{Library, LibraryConfig, LibraryError};
use glimpse_models::{ModelFiles, ModelRef};
use tauri::AppHandle;

use crate::dto::ModelState;
use crate::error::{ErrorCode, IpcError};
use crate::events;
use crate::events::contract::{FoldersChangedEvent, ModelEvent};
use crate::model;
use crate::settings;
use crate::state::AppState;
use crate::switch;

/// How long a reopen waits for commands still using the old library.
pub const REOPEN_PATIENCE: Duration = Duration::from_secs(30);

/// The model to open with, and how to describe it.
pub struct ModelChoice {
    /// The files, when the model is here.
    pub files: Option<ModelFiles>,
    /// `ready` once loaded, or `missing` / `error`.
    pub state: ModelState,
    /// What the UI shows as the source.
    pub source: String,
    /// The model a switch (remembered in the settings) is going to, when its files are here.
    pub next: Option<NextModel>,
    /// Why the remembered switch cannot go on, if it cannot.
    pub next_error: Option<String>,
}

/// The model a switch in progress is going to.
pub struct NextModel {
    /// The model.
    pub model: ModelRef,
    /// Its files.
    pub files: ModelFiles,
}

impl ModelChoice {
    /// A choice without a switch: the model given, or none.
    pub fn single(files: Option<ModelFiles>, state: ModelState, source: String) -> Self {
        Self {
            files,
            state,
            source,
            next: None,
            next_error: None,
        }
    }
}

/// The model the settings choose (the environment's folder overrides them), with the
/// default when the setting cannot be read.
pub fn current_model(state: &AppState) -> ModelRef {
    match &state.model_override {
        Some(dir) => ModelRef::Dir(dir.clone()),
        None => settings::model_ref(&state.settings().model_source).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "bad model in the settings; using the default");
            ModelRef::default_model()
        }),
    }
}

/// The model a remembered switch is going to (never with the environment's folder, which
/// decides the model for the whole session).
pub fn next_model(state: &AppState) -> Option<ModelRef> {
    if state.model_override.is_some() {
        return None;
    }
    let text = state.settings().next_model_source?;
    match settings::model_ref(&text) {
        Ok(model) => Some(model),
        Err(e) => {
            tracing::warn!(error = %e, "bad next model in the settings; the switch is dropped");
            None
        }
    }
}

/// Decides the model at start without going online: the environment's folder, else the
/// settings' model (a hub model only if it is already in the cache), and the model a
/// remembered switch is going to, found the same way.
pub fn choose_at_start(state: &AppState) -> ModelChoice {
    let current = current_model(state);
    let source = current.source();
    let label = source.to_string();
    let missing = ModelState::Missing {
        default_repo: settings::default_repo(),
        download_bytes: settings::default_download_bytes(),
    };
    let mut choice = match model::locate(&source) {
        Ok(files) => ModelChoice::single(files, missing, label),
        Err(e) => ModelChoice::single(
            None,
            ModelState::Error {
                message: model::describe(&e),
            },
            label,
        ),
    };
    if choice.files.is_some()
        && let Some(next) = next_model(state)
    {
        match model::locate(&next.source()) {
            Ok(Some(files)) => choice.next = Some(NextModel { model: next, files }),
            Ok(None) => {
                choice.next_error = Some(format!(
                    "The switch to {} cannot go on: its files are no longer on this computer. \
                     Choose it again in Settings to download it.",
                    settings::title(&next)
                ));
            }
            Err(e) => {
                choice.next_error = Some(format!(
                    "The switch to {} cannot go on: {}",
                    settings::title(&next),
                    model::describe(&e)
                ));
            }
        }
    }
    choice
}

/// The library's configuration for the current settings.
pub fn config(
    state: &AppState,
    files: Option<ModelFiles>,
    next: Option<ModelFiles>,
) -> LibraryConfig {
    let mut config = LibraryConfig::new(state.data_dir());
    config.model = files;
    config.next_model = next;
    let settings = state.settings();
    if settings.cpu_threads > 0 {
        config.decode_threads = settings.cpu_threads as usize;
    }
    config.thumbnail_dir = settings.thumbnail_dir.map(std::path::PathBuf::from);
    config.cpu_percent = crate::settings::clamp_cpu_limit(settings.cpu_limit);
    config
}

/// How often the app tries again to open a library that another process has open.
pub const IN_USE_RETRY: Duration = Duration::from_secs(2);

/// Opens the library with `choice`, replacing any open one, and tells the UI. Blocks for
/// as long as loading the model takes. Returns the model's new state.
pub fn reopen(app: &AppHandle, state: &Arc<AppState>, choice: ModelChoice) -> ModelState {
    if let Some(old) = state.take_for_reopen(REOPEN_PATIENCE) {
        drop(old); // joins its threads; the index is saved
    }
    let opened = open(state, choice);
    publish(app, state, opened)
}

/// What an open did.
struct Opened {
    outcome: Result<Library, IpcError>,
    model_state: ModelState,
    /// Why a remembered switch was dropped, if it was.
    next_error: Option<String>,
}

/// Opens a library for `choice` without touching the app's state.
fn open(state: &AppState, choice: ModelChoice) -> Opened {
    let ModelChoice {
        files,
        state: fallback,
        source,
        next,
        next_error,
    } = choice;
    let had_model = files.is_some();
    let next_files = next.as_ref().map(|n| n.files.clone());
    match Library::open(config(state, files.clone(), next_files)) {
        Ok(lib) => {
            // The engine starts on the calibrated line; the user's choice is in the settings.
            lib.set_sensitivity(f32::from(crate::settings::clamp_sensitivity(
                state.settings().sensitivity,
            )));
            let model_state = match lib.embedder_id() {
                Some(id) => ModelState::Ready { id, source },
                None => fallback,
            };
            Opened {
                outcome: Ok(lib),
                model_state,
                next_error,
            }
        }
        // Another process has the data folder: the model is not the problem.
        Err(e @ LibraryError::InUse { .. }) => Opened {
            outcome: Err(in_use(e)),
            model_state: fallback,
            next_error,
        },
        // The model being switched to does not load: keep searching with the current one
        // and say why the switch stopped.
        Err(e) if next.is_some() => {
            let title = next
                .as_ref()
                .map_or_else(String::new, |n| settings::title(&n.model));
            tracing::error!(error = %e, model = %title, "cannot load the model being switched to; opening without the switch");
            let mut opened = open(state, ModelChoice::single(files, fallback, source));
            opened.next_error = Some(format!("{title} could not be loaded: {e}"));
            opened
        }
        // A model that does not load must not lock the user out of their folders: open
        // without it and say why.
        Err(e) if had_model => {
            tracing::error!(error = %e, "cannot load the model; opening without it");
            let message = format!("The model could not be loaded: {e}");
            Opened {
                outcome: Library::open(config(state, None, None)).map_err(|e| match e {
                    e @ LibraryError::InUse { .. } => in_use(e),
                    e => IpcError::from(e),
                }),
                model_state: ModelState::Error { message },
                next_error,
            }
        }
        Err(e) => Opened {
            outcome: Err(IpcError::from(e)),
            model_state: fallback,
            next_error,
        },
    }
}

/// The `in_use` error as the app words it: the engine's sentence tells a terminal user to
/// close the other one, but the app waits for it ([`wait_until_free`]) and says so.
fn in_use(e: LibraryError) -> IpcError {
    let LibraryError::InUse { data_dir, holder } = &e else {
        return IpcError::from(e);
    };
    let who = holder.map_or_else(
        || "Another Glimpse".to_string(),
        |pid| format!("Another Glimpse (process {pid})"),
    );
    IpcError::new(
        ErrorCode::of(&e),
        format!(
            "{who} has the library in {} open: a glimpse command in a terminal, or another copy of the app.",
            data_dir.display()
        ),
    )
}

/// Publishes an open's outcome to the app's state and the UI; returns the model's state.
fn publish(app: &AppHandle, state: &Arc<AppState>, opened: Opened) -> ModelState {
    let Opened {
        outcome,
        model_state,
        next_error,
    } = opened;
    match outcome {
        Ok(lib) => {
            // Subscribe before queuing work so no event is missed.
            events::forward(app.clone(), state.clone(), lib.subscribe());
            lib.set_paused(state.paused());
            if lib.embedder_id().is_some() {
                // Catch up with changes made while Glimpse was closed, then follow the
                // folders live so new photos appear without pressing anything.
                if let Err(e) = lib.resume() {
                    tracing::error!(error = %e, "cannot rescan the folders");
                }
                if let Err(e) = lib.watch() {
                    tracing::error!(error = %e, "cannot watch the folders");
                }
            }
            state.set_model_state(model_state.clone());
            switch::after_open(app, state, &lib, next_error);
            state.set_library(Ok(lib));
        }
        Err(e) => {
            tracing::error!(error = %e.message, "cannot open the library");
            state.set_model_state(model_state.clone());
            state.set_library(Err(e));
        }
    }
    let _ = events::send(app, ModelEvent(model_state.clone()));
    let _ = events::send(app, FoldersChangedEvent);
    model_state
}

/// While another process (`glimpse index`, say) has the data folder open, tries again
/// every [`IN_USE_RETRY`], quietly: the UI keeps showing the `in_use` message until the
/// library opens, then reloads. Stops when the app quits or something else opened it.
fn wait_until_free(app: &AppHandle, state: &Arc<AppState>) {
    let mut logged = false;
    while state.failed_in_use() {
        if !logged {
            tracing::info!(
                "the library is open in another process; trying again every {:?}",
                IN_USE_RETRY
            );
            logged = true;
        }
        std::thread::sleep(IN_USE_RETRY);
        if !state.failed_in_use() {
            return;
        }
        let opened = open(state, choose_at_start(state));
        match &opened.outcome {
            Err(e) if e.code == ErrorCode::InUse => continue,
            _ => {
                tracing::info!("the other process let go of the library; opening it");
                publish(app, state, opened);
                return;
            }
        }
    }
}

/// Opens the library in the background at start; in demo mode, then adds the demo photos.
pub fn start(app: AppHandle, state: Arc<AppState>) {
    let spawned = std::thread::Builder::new()
        .name("glimpse-open".into())
        .spawn(move || {
            let choice = choose_at_start(&state);
            reopen(&app, &state, choice);
            wait_until_free(&app, &state);
            let model_state = state.model_state();
            tracing::info!(data_dir = %state.data_dir().display(), model = ?model_state, "library open");
            if let Some(demo) = &state.demo
                && let Ok(lib) = state.library()
                && let Err(e) = lib.add_folder(&demo.photos)
            {
                tracing::error!(error = %e, "cannot add the demo photos");
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start opening the library");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::Launch;

    /// The stored settings reach the engine when the library opens: the CPU limit (a
    /// share the engine keeps to) and the decode threads.
    #[test]
    fn the_cpu_settings_are_in_effect_in_the_opened_library() {
        let data = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            crate::settings::file(data.path()),
            r#"{"cpuLimit": 25, "cpuThreads": 3}"#,
        )
        .expect("settings written");
        let state = AppState::new(Launch {
            data_dir: Some(data.path().to_path_buf()),
            model_dir: None,
            demo: None,
            e2e: false,
        })
        .expect("state");
        let model = ModelFiles::from_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/shapes-clip"),
        )
        .expect("shapes model");
        let config = config(&state, Some(model), None);
        assert_eq!((config.cpu_percent, config.decode_threads), (25, 3));
        let lib = Library::open(config).expect("opens");
        assert_eq!(lib.cpu_limit(), 25, "indexing is limited from the start");
        lib.set_cpu_limit(5);
        assert_eq!(lib.cpu_limit(), 10, "the engine's floor");
    }
}
