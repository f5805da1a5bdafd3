//! The app's managed state: the [`Library`] slot (opened in the background, reopened when
//! the model changes), the model's state, settings and the pause flag.
//!
//! Commands get the library through [`AppState::library`], which waits while it is being
//! opened: the window shows at once and the first command simply resolves a little later.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use glimpse_engine::Library;

use crate::dto::{ModelState, ModelSwitchDto, ProgressDto, Settings};
use crate::error::{ErrorCode, IpcError};
use crate::launch::{Demo, Launch, LaunchError};
use crate::settings;

/// Where the library is in its life.
enum Slot {
    /// Being opened (at start, or after a model change).
    Opening,
    /// Open and usable.
    Open(Arc<Library>),
    /// Could not be opened at all (the catalog is unusable).
    Failed(IpcError),
    /// The app is quitting.
    Closed,
}

/// Locks a mutex, ignoring poison: every value guarded here stays consistent on its own
/// (a panicking command cannot leave half an update behind).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State shared by commands, the thumbnail scheme, the tray and the event forwarder.
pub struct AppState {
    data_dir: PathBuf,
    /// A model folder from the environment (or demo mode) that overrides the settings.
    pub model_override: Option<PathBuf>,
    /// Demo mode, when on.
    pub demo: Option<Demo>,
    /// Started by the end-to-end tests.
    pub e2e: bool,
    /// Keeps demo mode's temporary data folder alive; emptied at exit to delete it.
    demo_dir: Mutex<Option<tempfile::TempDir>>,
    settings: Mutex<Settings>,
    slot: Mutex<Slot>,
    slot_changed: Condvar,
    model: Mutex<ModelState>,
    paused: AtomicBool,
    last_progress: Mutex<Option<ProgressDto>>,
    /// Set while a model download runs: a second one is refused.
    pub downloading: AtomicBool,
    /// The model switch the UI is shown, and the download or load working on it.
    switch: Mutex<SwitchSlot>,
    /// Held while a model to switch to is loaded and handed to the library, so two
    /// switches asked for in quick succession reach the library one after the other.
    switch_turn: Mutex<()>,
    /// The last search's text as kept in [`LAST_QUERY_FILE`].
    last_query: Mutex<Option<String>>,
}

/// The file in the data folder that keeps the last search's text, so the main window
/// opens on it (its results come from the vectors the library keeps while the model
/// loads). A plain file the shell reads before the window is made, not the catalog.
pub const LAST_QUERY_FILE: &str = "last-query.txt";

/// The model switch as the app knows it.
#[derive(Default)]
pub struct SwitchSlot {
    /// What `status` and `glimpse://model-switch` say.
    pub shown: Option<ModelSwitchDto>,
    /// The download or load under way for it; `None` once the library has it (or it failed).
    pub job: Option<Arc<crate::switch::SwitchJob>>,
}

/// Why the state could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// See [`LaunchError`].
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The data folder could not be created.
    #[error("{path}: cannot create the data folder: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl AppState {
    /// Sets up the state for `launch`: creates the data folder (a temporary one in demo
    /// mode) and reads the settings (defaults, with a warning, if the file is unreadable).
    pub fn new(launch: Launch) -> Result<Self, StartError> {
        let (data_dir, demo_dir) = match &launch.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let tmp = tempfile::Builder::new()
                    .prefix("glimpse-demo-")
                    .tempdir()
                    .map_err(|source| StartError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        std::fs::create_dir_all(&data_dir).map_err(|source| StartError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let settings = settings::load(&settings::file(&data_dir)).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "settings unreadable; using the defaults");
            Settings::default()
        });
        Ok(Self {
            data_dir,
            model_override: launch.model_dir,
            demo: launch.demo,
            e2e: launch.e2e,
            demo_dir: Mutex::new(demo_dir),
            settings: Mutex::new(settings),
            slot: Mutex::new(Slot::Opening),
            slot_changed: Condvar::new(),
            model: Mutex::new(ModelState::Missing {
                default_repo: settings::default_repo(),
                download_bytes: settings::default_download_bytes(),
            }),
            paused: AtomicBool::new(false),
            last_progress: Mutex::new(None),
            downloading: AtomicBool::new(false),
            switch: Mutex::new(SwitchSlot::default()),
            switch_turn: Mutex::new(()),
            last_query: Mutex::new(None),
        })
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The text of the last search of an earlier session (none in demo mode, which types
    /// its own), read from [`LAST_QUERY_FILE`]; `None` when there is none or it is blank.
    pub fn last_query(&self) -> Option<String> {
        if self.demo.is_some() {
            return None;
        }
        let path = self.data_dir.join(LAST_QUERY_FILE);
        let text = std::fs::read_to_string(&path).ok()?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// Keeps `text` as the last search (written only when it changed). A failure is
    /// logged: it costs the next start its restored search, nothing else.
    pub fn remember_query(&self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let mut last = lock(&self.last_query);
        if last.as_deref() == Some(text) {
            return;
        }
        let path = self.data_dir.join(LAST_QUERY_FILE);
        let tmp = self.data_dir.join(format!(".{LAST_QUERY_FILE}.tmp"));
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path));
        match written {
            Ok(()) => *last = Some(text.to_owned()),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot keep the last search")
            }
        }
    }

    /// The library, waiting while it is being opened.
    pub fn library(&self) -> Result<Arc<Library>, IpcError> {
        let mut slot = lock(&self.slot);
        loop {
            match &*slot {
                Slot::Open(lib) => return Ok(lib.clone()),
                Slot::Failed(e) => return Err(e.clone()),
                Slot::Closed => {
                    return Err(IpcError::new(ErrorCode::Stopped, "Glimpse is quitting."));
                }
                Slot::Opening => {
                    slot = self
                        .slot_changed
                        .wait(slot)
                        .unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    /// Whether the last open failed because another process has the data folder.
    pub fn failed_in_use(&self) -> bool {
        matches!(&*lock(&self.slot), Slot::Failed(e) if e.code == ErrorCode::InUse)
    }

    /// The library if it is open now (never waits).
    pub fn library_now(&self) -> Option<Arc<Library>> {
        match &*lock(&self.slot) {
            Slot::Open(lib) => Some(lib.clone()),
            _ => None,
        }
    }

    /// Marks the library as being reopened and returns the old one, waiting (up to
    /// `patience`) until no command holds it any more, so that two libraries never write
    /// the same data folder at once.
    pub fn take_for_reopen(&self, patience: Duration) -> Option<Library> {
        let old = std::mem::replace(&mut *lock(&self.slot), Slot::Opening);
        let Slot::Open(mut lib) = old else {
            return None;
        };
        let deadline = Instant::now() + patience;
        loop {
            match Arc::try_unwrap(lib) {
                Ok(lib) => return Some(lib),
                Err(shared) if Instant::now() < deadline => {
                    lib = shared;
                    // A command or a thumbnail request still runs on it; they are short.
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(_) => {
                    tracing::warn!("the old library is still in use; it closes when released");
                    return None;
                }
            }
        }
    }

    /// Publishes the outcome of an open.
    pub fn set_library(&self, outcome: Result<Library, IpcError>) {
        let mut slot = lock(&self.slot);
        if matches!(*slot, Slot::Closed) {
            return; // quitting: `outcome` is dropped here, which stops its threads
        }
        *slot = match outcome {
            Ok(lib) => Slot::Open(Arc::new(lib)),
            Err(e) => Slot::Failed(e),
        };
        self.slot_changed.notify_all();
    }

    /// Closes the library (its pipeline saves the index) and deletes demo data. Called at
    /// exit; commands waiting on the library get a `stopped` error.
    pub fn close(&self) {
        let old = std::mem::replace(&mut *lock(&self.slot), Slot::Closed);
        self.slot_changed.notify_all();
        if let Slot::Open(lib) = old {
            match Arc::try_unwrap(lib) {
                Ok(lib) => drop(lib),
                Err(_) => {
                    tracing::warn!("library still in use at exit; pending work resumes next start")
                }
            }
        }
        if let Some(dir) = lock(&self.demo_dir).take()
            && let Err(e) = dir.close()
        {
            tracing::warn!(error = %e, "cannot delete the demo data folder");
        }
    }

    /// The model's state.
    pub fn model_state(&self) -> ModelState {
        lock(&self.model).clone()
    }

    /// Sets the model's state.
    pub fn set_model_state(&self, state: ModelState) {
        *lock(&self.model) = state;
    }

    /// The model switch shown to the UI and the job working on it, locked.
    pub fn switch(&self) -> MutexGuard<'_, SwitchSlot> {
        lock(&self.switch)
    }

    /// Takes a turn at handing a model to the library (see `switch_turn`).
    pub fn switch_turn(&self) -> MutexGuard<'_, ()> {
        lock(&self.switch_turn)
    }

    /// Changes the settings with `edit` and saves them, under one lock so two changes
    /// made at once (a switch ending while the user saves) cannot undo each other.
    pub fn update_settings(
        &self,
        edit: impl FnOnce(&mut Settings),
    ) -> Result<Settings, settings::SettingsError> {
        let mut guard = lock(&self.settings);
        let mut new = guard.clone();
        edit(&mut new);
        settings::save(&settings::file(&self.data_dir), &new)?;
        *guard = new.clone();
        Ok(new)
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Whether indexing is paused (remembered across model changes, not restarts).
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Pauses or resumes indexing.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
        if let Some(lib) = self.library_now() {
            lib.set_paused(paused);
        }
    }

    /// The last progress event (its current file and rate), until the library is idle.
    pub fn last_progress(&self) -> Option<ProgressDto> {
        lock(&self.last_progress).clone()
    }

    /// Records (or clears, once idle) the last progress event.
    pub fn set_last_progress(&self, progress: Option<ProgressDto>) {
        *lock(&self.last_progress) = progress;
    }
}
