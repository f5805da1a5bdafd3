//! Switching models from the app: the catalogue as Settings shows it (`listModels`), and a
//! switch that never breaks search (`switchModel`, `finishModelSwitch`,
//! `cancelModelSwitch`, `removeModelVectors`; docs/IPC.md).
//!
//! A switch goes through phases the UI is told about on `glimpse://model-switch`:
//! `downloading` (the files are fetched into the Hugging Face cache, without touching the
//! library or the first-run screen), `loading` (the model is loaded beside the current one),
//! `embedding` (the engine re-embeds the library in the background while the current model
//! answers; reported at most once a second, since each report is one SQL count) and, on
//! failure, `error`. The engine switches over by itself once the new model has caught up
//! (`Event::ModelSwitched`), or at once on `finishModelSwitch`; the app then makes the new
//! model the settings' `modelSource`. The switch is remembered as `nextModelSource`, so it
//! goes on after a restart.
//!
//! The download and load run on a thread of their own (a [`SwitchJob`]); the command
//! returns at once. Downloads cannot be interrupted: a cancelled one finishes into the
//! cache quietly (so choosing the model again later is instant) and then stops, and
//! choosing the same model again while it runs picks it up where it is.
#![allow(non_snake_case)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use glimpse_engine::Library;
use glimpse_models::ModelFiles;
use glimpse_models::ModelRef;
use glimpse_models::source::{DownloadProgress, SourceError};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::commands::CmdResult;
use crate::dto::{ModelFacts, ModelListDto, ModelState, ModelSwitchDto, SwitchPhase, model_list};
use crate::error::{ErrorCode, IpcError};
use crate::events::contract::{ModelEvent, ModelSwitchEvent};
use crate::events::{self, MAX_RATE_HZ};
use crate::open;
use crate::state::AppState;
use crate::{model, settings};

/// The download or load of a model being switched to.
pub struct SwitchJob {
    /// The model.
    pub model: ModelRef,
    /// Its name for people.
    title: String,
    /// The model answering searches meanwhile, for people.
    from_title: Option<String>,
    /// The user cancelled; the thread stops at its next step.
    cancelled: AtomicBool,
    /// Where it stands (kept so that choosing the model again shows it at once).
    phase: Mutex<SwitchPhase>,
}

impl SwitchJob {
    fn new(model: ModelRef, from: Option<&ModelRef>, phase: SwitchPhase) -> Self {
        Self {
            title: settings::title(&model),
            from_title: from.map(settings::title),
            model,
            cancelled: AtomicBool::new(false),
            phase: Mutex::new(phase),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    fn phase(&self) -> SwitchPhase {
        self.phase.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_phase(&self, phase: SwitchPhase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }

    /// What the UI is shown for it.
    fn shown(&self) -> ModelSwitchDto {
        ModelSwitchDto {
            model: self.model.to_setting(),
            title: self.title.clone(),
            from_title: self.from_title.clone(),
            phase: self.phase(),
        }
    }
}

/// Whether two settings name the same model (`hub:openai/clip-vit-base-patch32@refs/pr/15`
/// is the catalogue's `clip-b32`).
fn same_model(a: &ModelRef, b: &ModelRef) -> bool {
    a == b || (a.entry().is_some() && a.entry() == b.entry())
}

/// The switch as shown for `model`, answering with `from`.
fn shown_for(model: &ModelRef, from: Option<&ModelRef>, phase: SwitchPhase) -> ModelSwitchDto {
    ModelSwitchDto {
        model: model.to_setting(),
        title: settings::title(model),
        from_title: from.map(settings::title),
        phase,
    }
}

fn emit(app: &AppHandle, shown: Option<&ModelSwitchDto>) {
    if let Err(e) = events::send(app, ModelSwitchEvent(shown.cloned())) {
        tracing::warn!(error = %e, "cannot emit the model switch to the UI");
    }
}

/// Shows `job`'s phase, unless it was cancelled or replaced meanwhile.
fn report(app: &AppHandle, state: &AppState, job: &Arc<SwitchJob>) {
    let mut slot = state.switch();
    let current = slot.job.as_ref().is_some_and(|j| Arc::ptr_eq(j, job));
    if !current || job.is_cancelled() {
        return;
    }
    let shown = job.shown();
    slot.shown = Some(shown.clone());
    drop(slot);
    emit(app, Some(&shown));
}

/// Ends `job`: the library has it, it failed (`error`), or it was cancelled.
fn end_job(app: &AppHandle, state: &AppState, job: &Arc<SwitchJob>, error: Option<String>) {
    let mut slot = state.switch();
    if !slot.job.as_ref().is_some_and(|j| Arc::ptr_eq(j, job)) {
        return; // replaced by a newer choice, which reports for itself
    }
    slot.job = None;
    if job.is_cancelled() {
        return;
    }
    if let Some(message) = error {
        tracing::error!(model = %job.title, %message, "model switch failed");
        job.set_phase(SwitchPhase::Error { message });
        let shown = job.shown();
        slot.shown = Some(shown.clone());
        drop(slot);
        emit(app, Some(&shown));
    }
}

/// Reports a switch's download as `downloading`, at most [`MAX_RATE_HZ`] times a second.
struct SwitchDownload<'a> {
    app: &'a AppHandle,
    state: &'a AppState,
    job: &'a Arc<SwitchJob>,
    file: String,
    done: u64,
    total: Option<u64>,
    last_emit: Option<Instant>,
}

impl SwitchDownload<'_> {
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
        self.job.set_phase(SwitchPhase::Downloading {
            file: self.file.clone(),
            done: self.done,
            total: self.total,
        });
        report(self.app, self.state, self.job);
    }
}

impl DownloadProgress for SwitchDownload<'_> {
    fn start(&mut self, file: &str, _total_bytes: Option<u64>) {
        self.file = file.to_string();
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

/// The thread of a switch: download if needed, load, hand the model to the library.
fn run(app: &AppHandle, state: &Arc<AppState>, job: &Arc<SwitchJob>, files: Option<ModelFiles>) {
    let outcome = download_and_start(app, state, job, files);
    end_job(app, state, job, outcome.err());
}

fn download_and_start(
    app: &AppHandle,
    state: &Arc<AppState>,
    job: &Arc<SwitchJob>,
    files: Option<ModelFiles>,
) -> Result<(), String> {
    let files = match files {
        Some(files) => files,
        None => {
            let mut progress = SwitchDownload {
                app,
                state,
                job,
                file: String::new(),
                done: 0,
                total: job.model.entry().map(|e| e.download_bytes),
                last_emit: None,
            };
            model::download(&job.model.source(), &mut progress).map_err(|e| match e {
                SourceError::PickleOnly { .. } => model::describe(&e),
                e => format!("{} could not be downloaded: {e}", job.title),
            })?
        }
    };
    if job.is_cancelled() {
        return Ok(());
    }
    job.set_phase(SwitchPhase::Loading);
    report(app, state, job);
    // One model at a time reaches the library, and a cancel seen after the start undoes it.
    let _turn = state.switch_turn();
    if job.is_cancelled() {
        return Ok(());
    }
    let lib = state
        .library_now()
        .ok_or_else(|| "The library was being reopened; choose the model again.".to_string())?;
    lib.start_model_switch(&files)
        .map_err(|e| format!("{} could not be loaded: {e}", job.title))?;
    if job.is_cancelled() {
        if let Err(e) = lib.cancel_model_switch() {
            tracing::warn!(error = %e, "cannot cancel the model switch");
        }
        return Ok(());
    }
    let progress = lib
        .model_switch()
        .map_err(|e| format!("{} could not be loaded: {e}", job.title))?;
    let mut slot = state.switch();
    if !slot.job.as_ref().is_some_and(|j| Arc::ptr_eq(j, job)) {
        return Ok(());
    }
    slot.job = None;
    let shown = match progress {
        Some(p) => {
            // Remembered only once the library has it: a restart then goes on with it.
            let setting = job.model.to_setting();
            if let Err(e) = state.update_settings(|s| s.next_model_source = Some(setting)) {
                tracing::error!(error = %e, "cannot remember the model switch; it stops at exit");
            }
            job.set_phase(SwitchPhase::Embedding {
                done: p.done,
                total: p.total,
            });
            tracing::info!(model = %job.title, done = p.done, total = p.total, "model switch started");
            Some(job.shown())
        }
        // The files are those of the model in use (another name for it): nothing to do.
        None => None,
    };
    slot.shown = shown.clone();
    drop(slot);
    emit(app, shown.as_ref());
    Ok(())
}

/// After the library opened: shows the switch it goes on with (remembered in the settings),
/// or why it could not go on, and forgets a switch that is over.
pub fn after_open(app: &AppHandle, state: &AppState, lib: &Library, next_error: Option<String>) {
    let mut slot = state.switch();
    if slot.job.as_ref().is_some_and(|j| !j.is_cancelled()) {
        return; // a download or load under way reports for itself
    }
    let next = open::next_model(state);
    let current = open::current_model(state);
    let progress = lib.model_switch().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the model switch");
        None
    });
    let shown = match (progress, &next, next_error) {
        (Some(p), Some(next), _) => Some(shown_for(
            next,
            Some(&current),
            SwitchPhase::Embedding {
                done: p.done,
                total: p.total,
            },
        )),
        (_, Some(next), Some(message)) => Some(shown_for(
            next,
            Some(&current),
            SwitchPhase::Error { message },
        )),
        _ => None,
    };
    let going_on = matches!(
        shown,
        Some(ModelSwitchDto {
            phase: SwitchPhase::Embedding { .. },
            ..
        })
    );
    if !going_on
        && next.is_some()
        && let Err(e) = state.update_settings(|s| s.next_model_source = None)
    {
        tracing::warn!(error = %e, "cannot forget the model switch in the settings");
    }
    slot.shown = shown.clone();
    drop(slot);
    emit(app, shown.as_ref());
}

/// While the library is re-embedded: reads how far it has come and tells the UI if that
/// changed. The events forwarder calls this at most once a second, after activity.
pub fn poll(app: &AppHandle, state: &AppState) {
    let embedding = {
        let slot = state.switch();
        slot.job.as_ref().is_none_or(|j| j.is_cancelled())
            && matches!(
                slot.shown,
                Some(ModelSwitchDto {
                    phase: SwitchPhase::Embedding { .. },
                    ..
                })
            )
    };
    if !embedding {
        return;
    }
    let Some(lib) = state.library_now() else {
        return;
    };
    match lib.model_switch() {
        Ok(Some(p)) => {
            let mut slot = state.switch();
            let Some(shown) = slot.shown.as_mut() else {
                return;
            };
            let SwitchPhase::Embedding { done, total } = &mut shown.phase else {
                return;
            };
            if (*done, *total) == (p.done, p.total) {
                return;
            }
            (*done, *total) = (p.done, p.total);
            let shown = shown.clone();
            drop(slot);
            emit(app, Some(&shown));
        }
        // Over without our hearing of it (a subscriber that fell behind loses events).
        Ok(None) => {
            if let Some(id) = lib.embedder_id() {
                on_switched(app, state, &id);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the model switch's progress"),
    }
}

/// The engine switched over to `model_id` (caught up, or on request): it becomes the
/// settings' model, the UI hears of the new model and that the switch is over. Safe to call
/// more than once.
pub fn on_switched(app: &AppHandle, state: &AppState, model_id: &str) {
    let settled = matches!(state.model_state(), ModelState::Ready { ref id, .. } if id == model_id)
        && state.settings().next_model_source.is_none();
    if !settled {
        if let Err(e) = state.update_settings(|s| {
            if let Some(next) = s.next_model_source.take() {
                s.model_source = next;
            }
        }) {
            tracing::error!(error = %e, "cannot save the new model in the settings");
        }
        let model_state = ModelState::Ready {
            id: model_id.to_string(),
            source: open::current_model(state).source().to_string(),
        };
        tracing::info!(model = model_id, "now searching with the new model");
        state.set_model_state(model_state.clone());
        let _ = events::send(app, ModelEvent(model_state.clone()));
    }
    let mut slot = state.switch();
    let working = slot.job.as_ref().is_some_and(|j| !j.is_cancelled());
    if !working && slot.shown.is_some() {
        slot.shown = None;
        drop(slot);
        emit(app, None);
    }
}

/// The first model of a library that has none (first run): the download-and-open flow of
/// `downloadModel` and `useModelDir`, on a thread of its own.
fn first_model(app: &AppHandle, state: &Arc<AppState>, target: ModelRef) -> CmdResult<()> {
    if let ModelRef::Dir(dir) = &target {
        let files = model::locate(&target.source())
            .map_err(|e| IpcError::new(ErrorCode::Model, model::describe(&e)))?
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Model,
                    format!("{}: not a model folder", dir.display()),
                )
            })?;
        crate::commands::remember_model(state, &target)?;
        let (app, state) = (app.clone(), state.clone());
        let source = target.source().to_string();
        spawn("glimpse-first-model", move || {
            open::reopen(
                &app,
                &state,
                open::ModelChoice::single(Some(files), state.model_state(), source),
            );
        })
    } else {
        if state.downloading.swap(true, Ordering::SeqCst) {
            return Err(IpcError::new(
                ErrorCode::ModelDownload,
                "A model download is already running.",
            ));
        }
        let (app, state) = (app.clone(), state.clone());
        spawn("glimpse-first-model", move || {
            if let Err(e) = crate::commands::download_and_open(&app, &state, &target) {
                tracing::error!(error = %e.message, "first model download failed");
            }
            state.downloading.store(false, Ordering::SeqCst);
        })
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> CmdResult<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
        .map_err(IpcError::internal)
}

/// Starts switching to `target`; see [`switchModel`].
fn begin(
    app: &AppHandle,
    state: &Arc<AppState>,
    target: ModelRef,
) -> CmdResult<Option<ModelSwitchDto>> {
    let lib = state.library()?;
    if lib.embedder_id().is_none() {
        drop(lib);
        first_model(app, state, target)?;
        return Ok(None);
    }
    let current = open::current_model(state);
    if same_model(&target, &current) {
        // Choosing the model in use again ends a switch to another one.
        let switching = state.switch().shown.is_some() || lib.model_switch()?.is_some();
        if switching {
            cancel(app, state, Some(&*lib))?;
        }
        return Ok(None);
    }
    {
        let mut slot = state.switch();
        if let Some(job) = slot.job.clone() {
            if same_model(&job.model, &target) {
                // Still downloading or loading it (perhaps after a cancel): carry on.
                job.cancelled.store(false, Ordering::SeqCst);
                let shown = job.shown();
                slot.shown = Some(shown.clone());
                drop(slot);
                emit(app, Some(&shown));
                return Ok(Some(shown));
            }
            job.cancelled.store(true, Ordering::SeqCst);
        }
        let already = open::next_model(state).is_some_and(|next| same_model(&next, &target));
        if already
            && let Some(
                shown @ ModelSwitchDto {
                    phase: SwitchPhase::Embedding { .. },
                    ..
                },
            ) = &slot.shown
        {
            return Ok(Some(shown.clone()));
        }
    }
    // Finding the files here never goes online; a folder that is no model is refused now.
    let files = model::locate(&target.source())
        .map_err(|e| IpcError::new(ErrorCode::Model, model::describe(&e)))?;
    let phase = match files {
        Some(_) => SwitchPhase::Loading,
        None => SwitchPhase::Downloading {
            file: String::new(),
            done: 0,
            total: target.entry().map(|e| e.download_bytes),
        },
    };
    let job = Arc::new(SwitchJob::new(target, Some(&current), phase));
    let shown = job.shown();
    {
        let mut slot = state.switch();
        slot.job = Some(job.clone());
        slot.shown = Some(shown.clone());
    }
    emit(app, Some(&shown));
    tracing::info!(model = %job.title, download = files.is_none(), "model switch asked for");
    let (app2, state2, worker_job) = (app.clone(), state.clone(), job.clone());
    if let Err(e) = spawn("glimpse-switch", move || {
        run(&app2, &state2, &worker_job, files)
    }) {
        let mut slot = state.switch();
        slot.job = None;
        slot.shown = None;
        drop(slot);
        emit(app, None);
        return Err(e);
    }
    Ok(Some(shown))
}

/// Cancels whatever switch is under way: a download or load stops at its next step, the
/// engine stops re-embedding (keeping the vectors made so far), the settings forget it.
fn cancel(app: &AppHandle, state: &AppState, lib: Option<&Library>) -> CmdResult<()> {
    let had = {
        let mut slot = state.switch();
        if let Some(job) = &slot.job {
            job.cancelled.store(true, Ordering::SeqCst);
        }
        slot.shown.take().is_some()
    };
    if let Some(lib) = lib {
        lib.cancel_model_switch()?;
    }
    state
        .update_settings(|s| s.next_model_source = None)
        .map_err(|e| IpcError::new(ErrorCode::Io, e.to_string()))?;
    if had {
        tracing::info!("model switch cancelled");
    }
    emit(app, None);
    Ok(())
}

/// The catalogue with what this computer and library know of each model, every model
/// whose vectors are kept, and the switch under way.
#[tauri::command]
#[specta::specta]
pub async fn listModels(state: State<'_, Arc<AppState>>) -> CmdResult<ModelListDto> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let lib = state.library()?;
        let speeds = lib.model_speeds().map_err(IpcError::from)?;
        let stored = lib.stored_models().map_err(IpcError::from)?;
        let ready = matches!(state.model_state(), ModelState::Ready { .. });
        let current = ready.then(|| open::current_model(&state));
        let switch = state.switch().shown.clone();
        let next = switch
            .as_ref()
            .and_then(|s| settings::model_ref(&s.model).ok())
            .or_else(|| open::next_model(&state));
        let facts = ModelFacts {
            speeds: &speeds,
            stored: &stored,
            current: current.as_ref(),
            next: next.as_ref(),
            switch,
        };
        Ok(model_list(facts, |entry| {
            // Only the cache is looked at: listing models never goes online.
            matches!(model::locate(&ModelRef::Known(entry).source()), Ok(Some(_)))
        }))
    })
    .await
    .map_err(IpcError::internal)?
}

/// Switches to `model` (a catalogue name or any model setting): downloads it if needed,
/// loads it beside the current one and re-embeds the library with it in the background
/// while the current model keeps answering. Returns at once with the switch as it starts
/// (`null` when there is nothing to switch: the model is already in use, which also ends a
/// switch to another one); progress and failures come as `glimpse://model-switch`. Without
/// a model yet (first run) it downloads or opens the model instead, as `downloadModel` and
/// `useModelDir` do.
#[tauri::command]
#[specta::specta]
pub async fn switchModel(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    model: String,
) -> CmdResult<Option<ModelSwitchDto>> {
    let target = settings::model_ref(&model).map_err(|e| IpcError::invalid(e.to_string()))?;
    if state.model_override.is_some() {
        return Err(IpcError::invalid(
            "This session's model is set by GLIMPSE_MODEL_DIR (or demo mode), so it cannot be \
             switched here. Start Glimpse without it to switch models.",
        ));
    }
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || begin(&app, &state, target))
        .await
        .map_err(IpcError::internal)?
}

/// Switches to the model being switched to now, before it has caught up: photos it has
/// no vector for yet become findable as it embeds them.
#[tauri::command]
#[specta::specta]
pub async fn finishModelSwitch(app: AppHandle, state: State<'_, Arc<AppState>>) -> CmdResult<()> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let lib = state.library()?;
        if lib.model_switch()?.is_none() {
            return Err(IpcError::invalid("No model switch is under way."));
        }
        lib.finish_model_switch()?;
        // The engine's event says the same; this makes the answer wait for the settings.
        if let Some(id) = lib.embedder_id() {
            on_switched(&app, &state, &id);
        }
        Ok(())
    })
    .await
    .map_err(IpcError::internal)?
}

/// Stops the switch under way (the vectors made so far are kept) and forgets it.
#[tauri::command]
#[specta::specta]
pub async fn cancelModelSwitch(app: AppHandle, state: State<'_, Arc<AppState>>) -> CmdResult<()> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let lib = state.library_now();
        cancel(&app, &state, lib.as_deref())
    })
    .await
    .map_err(IpcError::internal)?
}

/// The answer of `removeModelVectors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "Removed")]
pub struct RemovedDto {
    /// Vectors deleted.
    pub removed: u64,
}

/// Deletes the kept vectors of a model that neither answers searches nor is being switched
/// to (`model_in_use` otherwise).
#[tauri::command]
#[specta::specta]
pub async fn removeModelVectors(
    state: State<'_, Arc<AppState>>,
    id: String,
) -> CmdResult<RemovedDto> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let lib = state.library()?;
        let removed = lib.remove_model_vectors(&id)?;
        tracing::info!(model = %id, removed, "kept vectors removed");
        Ok(RemovedDto { removed })
    })
    .await
    .map_err(IpcError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> ModelRef {
        settings::model_ref(text).expect(text)
    }

    #[test]
    fn a_catalogue_model_is_the_same_however_it_is_named() {
        assert!(same_model(
            &model("clip-b32"),
            &model("hub:openai/clip-vit-base-patch32")
        ));
        assert!(same_model(
            &model("clip-b32"),
            &model("openai/clip-vit-base-patch32@refs/pr/15")
        ));
        assert!(!same_model(&model("clip-b32"), &model("clip-b16")));
        assert!(!same_model(&model("hub:a/b"), &model("hub:a/c")));
        assert!(same_model(&model("dir:/m"), &model("dir:/m")));
        assert!(!same_model(&model("dir:/m"), &model("dir:/n")));
    }

    #[test]
    fn a_job_shows_its_model_its_source_and_its_phase() {
        let job = SwitchJob::new(
            model("siglip2-b16-224"),
            Some(&model("dir:/data/models/tiny")),
            SwitchPhase::Loading,
        );
        let json = serde_json::to_value(job.shown()).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"model": "siglip2-b16-224", "title": "Google SigLIP 2 B/16, 224 px",
                "fromTitle": "models/tiny", "phase": "loading"})
        );
        job.set_phase(SwitchPhase::Downloading {
            file: "model.safetensors".into(),
            done: 5,
            total: Some(10),
        });
        assert_eq!(
            serde_json::to_value(job.shown()).expect("serializable")["phase"],
            "downloading"
        );
    }
}
