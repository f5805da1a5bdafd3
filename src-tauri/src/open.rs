//! Opening the library: at start in the background (the window shows at once), and again
//! when the model changes (download, model folder, settings).

use std::sync::Arc;
use std::time::Duration;

use glimpse_embed::ModelFiles;
use glimpse_embed::source::{DEFAULT_MODEL_REPO, ModelSource};
use glimpse_engine::{Library, LibraryConfig, LibraryError};
use tauri::{AppHandle, Emitter};

use crate::dto::ModelState;
use crate::error::IpcError;
use crate::events::{self, names};
use crate::model;
use crate::settings;
use crate::state::AppState;

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
}

/// Decides the model at start without going online: the environment's folder, else the
/// settings' source (a hub model only if it is already in the cache).
pub fn choose_at_start(state: &AppState) -> ModelChoice {
    let source = match &state.model_override {
        Some(dir) => ModelSource::Dir(dir.clone()),
        None => settings::model_source(&state.settings().model_source).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "bad model source in the settings; using the default");
            settings::default_source()
        }),
    };
    let label = source.to_string();
    match model::locate(&source) {
        Ok(Some(files)) => ModelChoice {
            files: Some(files),
            state: ModelState::Missing {
                default_repo: DEFAULT_MODEL_REPO.to_string(),
            },
            source: label,
        },
        Ok(None) => ModelChoice {
            files: None,
            state: ModelState::Missing {
                default_repo: DEFAULT_MODEL_REPO.to_string(),
            },
            source: label,
        },
        Err(e) => ModelChoice {
            files: None,
            state: ModelState::Error {
                message: model::describe(&e),
            },
            source: label,
        },
    }
}

/// The library's configuration for the current settings.
pub fn config(state: &AppState, files: Option<ModelFiles>) -> LibraryConfig {
    let mut config = LibraryConfig::new(state.data_dir());
    config.model = files;
    let settings = state.settings();
    if settings.cpu_threads > 0 {
        config.decode_threads = settings.cpu_threads as usize;
    }
    config.thumbnail_dir = settings.thumbnail_dir.map(std::path::PathBuf::from);
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
    let (outcome, model_state) = open(state, choice);
    publish(app, state, outcome, model_state)
}

/// Opens a library for `choice` without touching the app's state.
fn open(state: &AppState, choice: ModelChoice) -> (Result<Library, IpcError>, ModelState) {
    let had_model = choice.files.is_some();
    match Library::open(config(state, choice.files)) {
        Ok(lib) => {
            let model_state = match lib.embedder_id() {
                Some(id) => ModelState::Ready {
                    id: id.to_string(),
                    source: choice.source,
                },
                None => choice.state,
            };
            (Ok(lib), model_state)
        }
        // Another process has the data folder: the model is not the problem.
        Err(e @ LibraryError::InUse { .. }) => (Err(in_use(e)), choice.state),
        // A model that does not load must not lock the user out of their folders: open
        // without it and say why.
        Err(e) if had_model => {
            tracing::error!(error = %e, "cannot load the model; opening without it");
            let message = format!("The model could not be loaded: {e}");
            (
                Library::open(config(state, None)).map_err(|e| match e {
                    e @ LibraryError::InUse { .. } => in_use(e),
                    e => IpcError::from(e),
                }),
                ModelState::Error { message },
            )
        }
        Err(e) => (Err(IpcError::from(e)), choice.state),
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
        e.code(),
        format!(
            "{who} has the library in {} open: a glimpse command in a terminal, or another copy of the app.",
            data_dir.display()
        ),
    )
}

/// Publishes an open's outcome to the app's state and the UI; returns the model's state.
fn publish(
    app: &AppHandle,
    state: &Arc<AppState>,
    outcome: Result<Library, IpcError>,
    model_state: ModelState,
) -> ModelState {
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
            state.set_library(Ok(lib));
        }
        Err(e) => {
            tracing::error!(error = %e.message, "cannot open the library");
            state.set_library(Err(e));
        }
    }
    state.set_model_state(model_state.clone());
    let _ = app.emit(names::MODEL, &model_state);
    let _ = app.emit(names::FOLDERS_CHANGED, ());
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
        match open(state, choose_at_start(state)) {
            (Err(e), _) if e.code == "in_use" => continue,
            (outcome, model_state) => {
                tracing::info!("the other process let go of the library; opening it");
                publish(app, state, outcome, model_state);
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
