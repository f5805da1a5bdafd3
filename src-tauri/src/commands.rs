//! The IPC commands of docs/IPC.md. Each is argument conversion, one Library call and
//! error mapping; calls that touch the catalog, the model or the disk run on the blocking
//! pool so the main thread never waits on them.
//!
//! The functions are named in camelCase on purpose: Tauri invokes a command by its Rust
//! name, and the contract (and the UI) use camelCase names.
#![allow(non_snake_case)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use glimpse_engine::{Library, LibraryError};
use glimpse_models::ModelRef;
use glimpse_models::source::{DownloadProgress, ModelSource, SourceError};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_opener::OpenerExt;

use crate::dto::{FolderDto, ModelState, PhotoDetailsDto, ProgressDto, Settings, StatusDto};
use crate::error::{ErrorCode, IpcError};
use crate::events::contract::{ModelEvent, ProgressEvent};
use crate::events::{self, MAX_RATE_HZ};
use crate::open::{self, ModelChoice};
use crate::state::AppState;
use crate::{model, settings, tray, windows};
use glimpse_engine::thumbcache;

/// What every command returns.
pub type CmdResult<T> = Result<T, IpcError>;

/// Runs `f` on the blocking pool with the library (waiting while it opens).
async fn with_library<T: Send + 'static>(
    state: &State<'_, Arc<AppState>>,
    f: impl FnOnce(&Library) -> Result<T, LibraryError> + Send + 'static,
) -> CmdResult<T> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let library = state.library()?;
        f(&library).map_err(IpcError::from)
    })
    .await
    .map_err(IpcError::internal)?
}

fn folder_path(path: &str) -> CmdResult<PathBuf> {
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(IpcError::invalid(format!(
            "“{}” is not an absolute folder path.",
            path.display()
        )));
    }
    Ok(path)
}

/// Encodes the text being typed, ahead of its debounced `query`, which then finds the
/// vector ready: the positive words of the query grammar (what the engine encodes for
/// them), not the filters. A text that does not parse yet (a quote still open) is skipped:
/// `query` reports it. A keystroke's prefetch that a newer one overtakes while waiting is
/// skipped too. The UI ignores failures here: the query reports them.
#[tauri::command]
#[specta::specta]
pub async fn prefetchQuery(state: State<'_, Arc<AppState>>, query: String) -> CmdResult<()> {
    let Ok(parsed) = glimpse_engine::grammar::ParsedQuery::parse(&query) else {
        return Ok(());
    };
    let text = parsed.positive_text();
    if text.trim().is_empty() {
        return Ok(());
    }
    with_library(&state, move |lib| lib.prefetch_text(&text).map(drop)).await
}

/// Adds a folder and starts indexing it; returns the folder that covers it.
#[tauri::command]
#[specta::specta]
pub async fn addFolder(state: State<'_, Arc<AppState>>, path: String) -> CmdResult<FolderDto> {
    let path = folder_path(&path)?;
    with_library(&state, move |lib| {
        let id = lib.add_folder(&path)?;
        let folder = lib.folders()?.into_iter().find(|f| f.id == id);
        folder.ok_or_else(|| LibraryError::UnknownFolder(path.clone()))
    })
    .await
    .map(FolderDto::from)
}

/// Forgets a folder and its photos (the files are untouched).
#[tauri::command]
#[specta::specta]
pub async fn removeFolder(state: State<'_, Arc<AppState>>, path: String) -> CmdResult<()> {
    let path = folder_path(&path)?;
    with_library(&state, move |lib| lib.remove_folder(&path)).await
}

/// The folders with their counts.
#[tauri::command]
#[specta::specta]
pub async fn folders(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<FolderDto>> {
    with_library(&state, |lib| lib.folders())
        .await
        .map(|f| f.into_iter().map(FolderDto::from).collect())
}

fn progress_of(state: &AppState, lib: &Library) -> ProgressDto {
    let (done, total) = lib.status().map(|s| s.progress).unwrap_or((0, 0));
    let last = state.last_progress();
    ProgressDto {
        done,
        total,
        current: last.as_ref().and_then(|p| p.current.clone()),
        rate: last.map_or(0.0, |p| p.rate),
        paused: state.paused(),
    }
}

/// Model, folders, counts, progress and failures.
#[tauri::command]
#[specta::specta]
pub async fn status(state: State<'_, Arc<AppState>>) -> CmdResult<StatusDto> {
    let app_state = state.inner().clone();
    with_library(&state, move |lib| {
        let s = lib.status()?;
        let last = app_state.last_progress();
        Ok(StatusDto {
            model: app_state.model_state(),
            folders: s.folders.into_iter().map(FolderDto::from).collect(),
            photos: s.photos,
            indexed: s.indexed,
            pending: s.pending,
            failed: s.failed,
            progress: ProgressDto {
                done: s.progress.0,
                total: s.progress.1,
                current: last.as_ref().and_then(|p| p.current.clone()),
                rate: last.map_or(0.0, |p| p.rate),
                paused: app_state.paused(),
            },
            failures: s.failures.into_iter().map(Into::into).collect(),
            switch: app_state.switch().shown.clone(),
            stopped: s.stopped,
        })
    })
    .await
}

/// Details of one photo.
#[tauri::command]
#[specta::specta]
pub async fn photoDetails(
    state: State<'_, Arc<AppState>>,
    photo_id: i64,
) -> CmdResult<PhotoDetailsDto> {
    with_library(&state, move |lib| lib.photo(photo_id))
        .await
        .map(PhotoDetailsDto::from)
}

/// Opens a photo of the library in the default app. Only ids of the library are accepted,
/// so the UI cannot make the shell open arbitrary paths.
#[tauri::command]
#[specta::specta]
pub async fn openPhoto(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    photo_id: i64,
) -> CmdResult<()> {
    let path = with_library(&state, move |lib| lib.photo_path(photo_id)).await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Io,
                format!("{}: cannot open: {e}", path.display()),
            )
        })
}

/// Shows a photo of the library in the file manager.
#[tauri::command]
#[specta::specta]
pub async fn revealPhoto(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    photo_id: i64,
) -> CmdResult<()> {
    let path = with_library(&state, move |lib| lib.photo_path(photo_id)).await?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        IpcError::new(
            ErrorCode::Io,
            format!("{}: cannot show in the file manager: {e}", path.display()),
        )
    })
}

/// Emits the current progress (after a pause or resume, which the engine does not report).
pub fn emit_progress(app: &AppHandle, state: &AppState) {
    if let Some(lib) = state.library_now() {
        let _ = events::send(app, ProgressEvent(progress_of(state, &lib)));
    }
}

/// Pauses or resumes indexing (searches keep working).
#[tauri::command]
#[specta::specta]
pub fn setPaused(app: AppHandle, state: State<'_, Arc<AppState>>, paused: bool) -> CmdResult<()> {
    state.set_paused(paused);
    tray::show_paused(&app, paused);
    emit_progress(&app, &state);
    Ok(())
}

/// Starts indexing again after it stopped (`glimpse://stopped`: a full disk, a thumbnail
/// folder that went away) by reopening the library, which rescans every folder. Resolves
/// once the library is open again; a cause still there stops it again, with a new event.
#[tauri::command]
#[specta::specta]
pub async fn retryIndexing(app: AppHandle, state: State<'_, Arc<AppState>>) -> CmdResult<()> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        // The same turn as a model switch: a retry never reopens under one being set up.
        let _turn = state.switch_turn();
        open::reopen(&app, &state, current_choice(&state));
    })
    .await
    .map_err(IpcError::internal)?;
    Ok(())
}

/// Reports download progress as `glimpse://model` events, at most [`MAX_RATE_HZ`] a second.
struct ModelProgress {
    app: AppHandle,
    state: Arc<AppState>,
    file: String,
    done: u64,
    total: Option<u64>,
    last_emit: Option<Instant>,
}

impl ModelProgress {
    fn emit(&mut self, force: bool) {
        let now = Instant::now();
        let interval = Duration::from_secs(1) / MAX_RATE_HZ;
        if !force
            && self
                .last_emit
                .is_some_and(|t| now.duration_since(t) < interval)
        {
            return;
        }
        self.last_emit = Some(now);
        let model_state = ModelState::Downloading {
            file: self.file.clone(),
            done: self.done,
            total: self.total,
        };
        self.state.set_model_state(model_state.clone());
        let _ = events::send(&self.app, ModelEvent(model_state));
    }
}

impl DownloadProgress for ModelProgress {
    fn start(&mut self, file: &str, total_bytes: Option<u64>) {
        self.file = file.to_string();
        self.done = 0;
        self.total = total_bytes;
        self.emit(true);
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        self.emit(false);
    }

    fn finish(&mut self, _file: &str) {
        self.emit(true);
    }
}

/// Downloads a hub model (`null`: the default; else a catalogue name or `org/name[@rev]`)
/// with progress events, then opens the library with it. Resolves once the model is ready;
/// rejects with `model_download`.
#[tauri::command]
#[specta::specta]
pub async fn downloadModel(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    repo: Option<String>,
) -> CmdResult<()> {
    let model = match repo {
        None => ModelRef::default_model(),
        Some(repo) => settings::model_ref(&repo).map_err(|e| IpcError::invalid(e.to_string()))?,
    };
    if let ModelRef::Dir(_) = model {
        return Err(IpcError::invalid(
            "A model folder is not downloaded: use it with useModelDir.",
        ));
    }
    if state.downloading.swap(true, Ordering::SeqCst) {
        return Err(IpcError::new(
            ErrorCode::ModelDownload,
            "A model download is already running.",
        ));
    }
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let outcome = download_and_open(&app, &state, &model);
        state.downloading.store(false, Ordering::SeqCst);
        outcome
    })
    .await
    .map_err(IpcError::internal)?
}

/// Downloads `model` with `glimpse://model` progress and opens the library with it (the
/// first-run flow).
pub(crate) fn download_and_open(
    app: &AppHandle,
    state: &Arc<AppState>,
    model: &ModelRef,
) -> CmdResult<()> {
    let source = model.source();
    let mut progress = ModelProgress {
        app: app.clone(),
        state: state.clone(),
        file: String::new(),
        done: 0,
        total: None,
        last_emit: None,
    };
    let files = model::download(&source, &mut progress).map_err(|e| {
        let message = match e {
            SourceError::PickleOnly { .. } => model::describe(&e),
            _ => format!("The model could not be downloaded: {e}"),
        };
        let model_state = ModelState::Error { message };
        state.set_model_state(model_state.clone());
        let _ = events::send(app, ModelEvent(model_state));
        IpcError::new(ErrorCode::ModelDownload, e.to_string())
    })?;
    remember_model(state, model)?;
    let choice = ModelChoice::single(Some(files), state.model_state(), source.to_string());
    match open::reopen(app, state, choice) {
        ModelState::Error { message } => Err(IpcError::new(ErrorCode::Model, message)),
        _ => Ok(()),
    }
}

/// Makes `model` the settings' model; a switch to another one is forgotten (the library
/// reopens with this model alone).
pub(crate) fn remember_model(state: &AppState, model: &ModelRef) -> CmdResult<()> {
    state
        .update_settings(|s| {
            s.model_source = model.to_setting();
            s.next_model_source = None;
        })
        .map(drop)
        .map_err(|e| IpcError::new(ErrorCode::Io, e.to_string()))
}

/// Uses a model from a local folder (checked first), reopening the library with it.
#[tauri::command]
#[specta::specta]
pub async fn useModelDir(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    path: String,
) -> CmdResult<ModelState> {
    let dir = folder_path(&path)?;
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let source = ModelSource::Dir(dir.clone());
        let files = model::locate(&source)
            .map_err(|e| IpcError::new(ErrorCode::Model, model::describe(&e)))?
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Model,
                    format!("{}: not a model folder", dir.display()),
                )
            })?;
        remember_model(&state, &ModelRef::Dir(dir.clone()))?;
        let choice = ModelChoice::single(Some(files), state.model_state(), source.to_string());
        Ok(open::reopen(&app, &state, choice))
    })
    .await
    .map_err(IpcError::internal)?
}

/// The settings. "Launch at login" is read from the system (the autostart entry), so it
/// is true only while the entry really exists.
#[tauri::command]
#[specta::specta]
pub fn getSettings(app: AppHandle, state: State<'_, Arc<AppState>>) -> Settings {
    let mut settings = state.settings();
    match app.autolaunch().is_enabled() {
        Ok(enabled) => settings.launch_at_login = enabled,
        Err(e) => tracing::warn!(error = %e, "cannot tell whether Glimpse launches at login"),
    }
    settings
}

/// Turns the autostart entry on or off, if that is a change.
fn apply_launch_at_login(app: &AppHandle, on: bool) -> CmdResult<()> {
    let manager = app.autolaunch();
    if manager.is_enabled().ok() == Some(on) {
        return Ok(());
    }
    let outcome = if on {
        manager.enable()
    } else {
        manager.disable()
    };
    outcome.map_err(|e| {
        let what = if on { "turned on" } else { "turned off" };
        IpcError::new(
            ErrorCode::Io,
            format!("Launching at login could not be {what}: {e}."),
        )
    })
}

/// An empty or blank thumbnail folder means the default one.
fn normalise_thumbnail_dir(dir: Option<String>) -> Option<String> {
    dir.map(|d| d.trim().to_string()).filter(|d| !d.is_empty())
}

/// The model to reopen with: the current one, as at start (nothing goes online).
fn current_choice(state: &AppState) -> ModelChoice {
    open::choose_at_start(state)
}

/// Moves the thumbnail cache for `new` settings and saves them, reopening the library on
/// the new folder. Nothing is lost on failure: the copy is undone, the settings stay, the
/// library reopens as it was.
fn move_thumbnails(app: &AppHandle, state: &Arc<AppState>, new: Settings) -> CmdResult<()> {
    let old = state.settings();
    let current = open::config(state, None, None).thumbnails();
    let mut target_config = open::config(state, None, None);
    target_config.thumbnail_dir = new.thumbnail_dir.as_ref().map(PathBuf::from);
    let target = target_config.thumbnails();
    let folders: Vec<PathBuf> = state
        .library()
        .and_then(|lib| lib.folders().map_err(IpcError::from))?
        .into_iter()
        .map(|f| f.path)
        .collect();
    // The default folder is always ours, whatever it holds.
    if new.thumbnail_dir.is_some() {
        thumbcache::check_target(&target, &current, &folders)
            .map_err(|e| IpcError::invalid(e.to_string()))?;
    }
    // Stop the pipeline so no thumbnail is written to the old folder during the copy.
    let stopped = match state.take_for_reopen(open::REOPEN_PATIENCE) {
        Some(lib) => {
            drop(lib);
            true
        }
        None => false,
    };
    let restore = |e: IpcError| {
        open::reopen(app, state, current_choice(state));
        e
    };
    let copied = thumbcache::copy_all(&current, &target)
        .map_err(|e| restore(IpcError::new(ErrorCode::Io, e.to_string())))?;
    if let Err(e) = state.update_settings(|s| apply_user_fields(s, &new)) {
        copied.undo();
        return Err(restore(IpcError::new(ErrorCode::Io, e.to_string())));
    }
    open::reopen(app, state, current_choice(state));
    if stopped {
        let left = thumbcache::remove_all(&current);
        if left > 0 {
            tracing::warn!(left, folder = %current.display(), "old thumbnails left behind");
        }
    } else {
        // The old library may still be writing there: keep its files rather than lose one.
        tracing::warn!(folder = %current.display(), "old thumbnail folder kept: the library was busy");
    }
    tracing::info!(from = %current.display(), to = %target.display(), model_source = %old.model_source, "thumbnail cache moved");
    Ok(())
}

/// Copies what the Settings form changes (threads, CPU limit, thumbnail folder, launch at
/// login, match sensitivity) onto `target`. The model fields are not among them: models change through
/// `switchModel` (and, on first run, `downloadModel` / `useModelDir`), which act at once.
fn apply_user_fields(target: &mut Settings, from: &Settings) {
    target.cpu_threads = from.cpu_threads;
    target.cpu_limit = settings::clamp_cpu_limit(from.cpu_limit);
    target.thumbnail_dir = from.thumbnail_dir.clone();
    target.launch_at_login = from.launch_at_login;
    target.sensitivity = settings::clamp_sensitivity(from.sensitivity);
}

/// Puts the settings that act at once into effect on the open library: the match
/// sensitivity (the next query uses it) and the CPU limit (the next photo decoded).
pub(crate) fn apply_live_settings(state: &AppState) {
    if let Some(lib) = state.library_now() {
        lib.set_cpu_limit(settings::clamp_cpu_limit(state.settings().cpu_limit));
        lib.set_sensitivity(f32::from(settings::clamp_sensitivity(
            state.settings().sensitivity,
        )));
    }
}

/// Saves the settings: a changed thumbnail folder moves the cache first (resolving once it
/// is moved); launch at login writes or removes the autostart entry; the match sensitivity
/// applies to the next query and the CPU limit to the next photo; the thread count applies
/// at the next start. `modelSource`
/// and `nextModelSource` are kept as they are (a form loaded before a switch ended must not
/// undo it); returns the settings as stored.
#[tauri::command]
#[specta::specta]
pub async fn setSettings(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    settings: Settings,
) -> CmdResult<Settings> {
    let mut settings = settings;
    settings.thumbnail_dir = normalise_thumbnail_dir(settings.thumbnail_dir);
    if let Some(dir) = &settings.thumbnail_dir
        && !std::path::Path::new(dir).is_absolute()
    {
        return Err(IpcError::invalid(format!(
            "“{dir}” is not an absolute folder path."
        )));
    }
    let before = state.settings();
    let was_launching = app
        .autolaunch()
        .is_enabled()
        .unwrap_or(before.launch_at_login);
    apply_launch_at_login(&app, settings.launch_at_login)?;

    if before.thumbnail_dir != settings.thumbnail_dir {
        let state = state.inner().clone();
        let stored = state.clone();
        let new = settings.clone();
        let moved = {
            let app = app.clone();
            tauri::async_runtime::spawn_blocking(move || move_thumbnails(&app, &state, new))
                .await
                .map_err(IpcError::internal)
                .and_then(|r| r)
        };
        if let Err(e) = moved {
            // Leave launch at login as it was too: the whole save failed.
            let _ = apply_launch_at_login(&app, was_launching);
            return Err(e);
        }
        return Ok(stored.settings());
    }

    match state.update_settings(|s| apply_user_fields(s, &settings)) {
        Ok(saved) => {
            apply_live_settings(&state);
            Ok(saved)
        }
        Err(e) => {
            let _ = apply_launch_at_login(&app, was_launching);
            Err(IpcError::new(ErrorCode::Io, e.to_string()))
        }
    }
}

/// Hides the quick-search window.
#[tauri::command]
#[specta::specta]
pub fn hideQuickSearch(app: AppHandle) -> CmdResult<()> {
    windows::hide(&app, windows::QUICK);
    Ok(())
}

/// Shows the quick-search window (what the global shortcut and the tray do), creating it
/// on first use. Async: a window made from a synchronous command (which runs on the main
/// thread) deadlocks on Windows.
#[tauri::command]
#[specta::specta]
pub async fn showQuickSearch(app: AppHandle) -> CmdResult<()> {
    let w = windows::quick_window(&app)?;
    windows::show_quick(&w);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_folder_paths_are_invalid() {
        assert_eq!(
            folder_path("photos").map_err(|e| e.code),
            Err(ErrorCode::Invalid)
        );
        assert!(folder_path("/home/me/photos").is_ok());
    }
}

#[cfg(test)]
mod contract_tests {
    /// docs/IPC.md states the page size the shell caps `query` at (the UI reads it from the
    /// generated bindings' `QUERY_PAGE_LIMIT`).
    #[test]
    fn the_docs_state_the_page_limit() {
        let docs = include_str!("../../docs/IPC.md");
        assert!(
            docs.contains(&format!("`PAGE_LIMIT = {}`", crate::query::PAGE_LIMIT)),
            "docs/IPC.md states the limit"
        );
    }
}
