//! The [`Library`] facade: opens the stores, owns the pipeline threads, answers queries.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use glimpse_catalog::{Catalog, FolderId};
use glimpse_embed::{DeviceChoice, ModelFiles};
use glimpse_vectors::Quantization;

use crate::config::{DataPaths, LibraryConfig};
use crate::decode::Decoder;
use crate::events::EventBus;
use crate::lock::{LibraryLock, remove_stale_temp_files};
use crate::models::{ModelSwitch, Slot, Slots, StoredModel};
use crate::ops::{FileJob, WriteOp};
use crate::query::TextCache;
use crate::scan::{ScanJob, Scanner};
use crate::store::Reconciliation;
use crate::tracker::{RunStats, Tracker};
use crate::writer::Writer;
use crate::{Event, LibraryError, Result};

/// Read-only catalog connections queries share.
const READERS: usize = 4;

/// Files queued between the scanner and the decode pool: enough to keep the pool busy,
/// few enough that a huge folder does not sit in memory.
const DECODE_QUEUE: usize = 256;
/// Decoded images waiting for the model (each ~600 KB of pixels at 224²).
const EMBED_QUEUE: usize = 64;

/// State shared by the facade and the pipeline threads.
pub(crate) struct Shared {
    pub(crate) paths: DataPaths,
    pub(crate) bus: EventBus,
    pub(crate) tracker: Tracker,
    /// The models: changed only by the writer (a switch starts, ends or is cancelled).
    pub(crate) models: RwLock<Slots>,
    pub(crate) embedded_total: AtomicU64,
    /// Files queued and not yet written back: a second scan of the same folder (a rescan
    /// while indexing, a watcher event) must not queue them twice.
    pub(crate) in_flight: Mutex<std::collections::HashSet<PathBuf>>,
    stopped: Mutex<Option<String>>,
    shutting_down: AtomicBool,
    paused: Mutex<bool>,
    unpaused: std::sync::Condvar,
    /// Share of the CPU indexing may use, in percent (duty cycle; 100 = no limit).
    cpu_percent: std::sync::atomic::AtomicU8,
    /// Where good matches begin, in logit units (the bits of an f32; 0 = the model's line).
    sensitivity: std::sync::atomic::AtomicU32,
}

impl Shared {
    /// The library's models as they are now.
    pub(crate) fn slots(&self) -> Slots {
        self.models
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The model that answers queries.
    pub(crate) fn search_slot(&self) -> Option<Arc<Slot>> {
        self.slots().search
    }

    /// The model new vectors are made with.
    pub(crate) fn indexing_slot(&self) -> Option<Arc<Slot>> {
        self.slots().indexing().cloned()
    }

    pub(crate) fn set_slots(&self, slots: Slots) {
        *self
            .models
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = slots;
    }

    pub(crate) fn stop(&self, error: &LibraryError) {
        let message = error.to_string();
        if let Ok(mut s) = self.stopped.lock()
            && s.is_none()
        {
            // Logged once: every worker that meets the same failure stops here too.
            tracing::error!(%message, "pipeline stopped");
            *s = Some(message.clone());
            self.bus.emit(Event::Stopped { message });
        }
        self.tracker.wake();
    }

    pub(crate) fn stopped_reason(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|s| s.clone())
    }

    /// Claims `path` for the pipeline; false if it is already queued.
    pub(crate) fn claim(&self, path: &Path) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf())
    }

    /// Releases paths the writer has finished.
    pub(crate) fn release<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) {
        let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        for p in paths {
            set.remove(p);
        }
    }

    /// Blocks a pipeline stage while indexing is paused (returns at once on shutdown).
    pub(crate) fn wait_while_paused(&self) {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        while *paused && !self.is_shutting_down() {
            paused = self
                .unpaused
                .wait_timeout(paused, std::time::Duration::from_millis(250))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// After a stage worked for `busy`, rests long enough that indexing uses at most the
    /// configured share of the CPU: the simplest limit that also covers the model's own
    /// thread pool, which we do not control.
    pub(crate) fn rest_after(&self, busy: std::time::Duration) {
        let percent = u32::from(self.cpu_percent.load(Ordering::Relaxed).clamp(10, 100));
        if percent < 100 && !self.is_shutting_down() {
            std::thread::sleep(busy * (100 - percent) / percent);
        }
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}

/// A photo library: folders of images indexed into a catalog and a vector index, searchable
/// by text and by example. All methods take `&self` and may be called from any thread.
///
/// Dropping the library stops its threads; work not done yet stays pending in the catalog
/// and resumes at the next [`Library::resume`].
pub struct Library {
    pub(crate) shared: Arc<Shared>,
    /// Read-only connections for queries: several, so a slow query (a large filter, a
    /// status count) does not hold up the searches typed meanwhile.
    readers: Vec<Mutex<Catalog>>,
    next_reader: std::sync::atomic::AtomicUsize,
    pub(crate) text_cache: TextCache,
    /// Where models run and how their vectors are stored, for a model switched to later.
    device: DeviceChoice,
    quantization: Quantization,
    writer_tx: Option<Sender<WriteOp>>,
    scan_tx: Option<Sender<ScanJob>>,
    threads: Vec<JoinHandle<()>>,
    reconciliation: Reconciliation,
    pub(crate) watcher: Mutex<Option<glimpse_watch::Watcher>>,
    pub(crate) watch_options: glimpse_watch::WatchOptions,
    /// The thumbnail size, so a file embedded for "similar to this file" is decoded exactly
    /// as indexing decodes it (the same scaled JPEG decode gives the same vector).
    pub(crate) thumbnail_edge_px: u32,
    /// Declared last so it is released last: after `Drop` has joined the threads and the
    /// writer has saved the index.
    _lock: LibraryLock,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("data_dir", &self.shared.paths.root)
            .field("embedder", &self.embedder_id())
            .finish()
    }
}

impl Library {
    /// Opens (creating if needed) the library in `config.data_dir`, loads the model if one
    /// is configured, reconciles the vector index with the catalog and starts the pipeline
    /// threads (idle until work is queued).
    pub fn open(config: LibraryConfig) -> Result<Self> {
        let paths = DataPaths::new(&config);
        std::fs::create_dir_all(&paths.root)
            .map_err(|e| LibraryError::io(&paths.root, "cannot create the data folder", e))?;
        let lock = LibraryLock::acquire(&paths.root)?;
        remove_stale_temp_files(&paths.vectors_dir());
        // A crash between a thumbnail's write and its rename leaves a hidden temp file in
        // one of the cache's fan-out folders.
        if let Ok(fans) = std::fs::read_dir(paths.thumbnails()) {
            for fan in fans.flatten() {
                if fan.file_type().is_ok_and(|t| t.is_dir()) {
                    remove_stale_temp_files(&fan.path());
                }
            }
        }
        let catalog = Catalog::open(&paths.catalog())?;

        // A switch in progress leaves photos searchable by the current model while the
        // next one catches up; a plain open queues what the model has no vector for.
        let switching = config.model.is_some() && config.next_model.is_some();
        let mut reconciliation = Reconciliation::default();
        let mut open_slot = |files: &ModelFiles, defer: bool| {
            let (slot, report, loader) = Slot::open(
                &catalog,
                &paths,
                files,
                config.device,
                config.quantization,
                !switching,
                defer,
            )?;
            reconciliation.merge(report);
            Ok::<_, LibraryError>((Arc::new(slot), loader))
        };
        // A model opened here before lets search start on kept vectors while its network
        // loads (1–2 s for ViT-B/32 on a laptop CPU); a new one is loaded first.
        let (search, loader) = match &config.model {
            Some(files) => {
                let (slot, loader) = open_slot(files, true)?;
                (Some(slot.clone()), loader.map(|l| (slot, l)))
            }
            None => (None, None),
        };
        let next = match (&search, &config.next_model) {
            (Some(search), Some(files)) => {
                let (next, _) = open_slot(files, false)?;
                (next.id != search.id).then_some(next)
            }
            _ => None,
        };
        let has_model = search.is_some();
        let search_id = search.as_ref().map(|s| s.id.clone());
        let kept_queries = match &search {
            Some(slot) => catalog.query_vectors(&slot.id, crate::writer::KEPT_QUERY_VECTORS)?,
            None => Vec::new(),
        };

        let shared = Arc::new(Shared {
            paths: paths.clone(),
            bus: EventBus::default(),
            tracker: Tracker::default(),
            models: RwLock::new(Slots { search, next }),
            embedded_total: AtomicU64::new(0),
            in_flight: Mutex::new(std::collections::HashSet::new()),
            stopped: Mutex::new(None),
            shutting_down: AtomicBool::new(false),
            paused: Mutex::new(false),
            unpaused: std::sync::Condvar::new(),
            cpu_percent: std::sync::atomic::AtomicU8::new(config.cpu_percent.clamp(10, 100)),
            sensitivity: std::sync::atomic::AtomicU32::new(0f32.to_bits()),
        });

        // Channels only flow towards the writer; it never waits on anyone.
        let (writer_tx, writer_rx) = unbounded::<WriteOp>();
        let (scan_tx, scan_rx) = unbounded::<ScanJob>();
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(f)
                .map_err(|e| LibraryError::io(&paths.root, "cannot start a thread", e))
        };

        let writer = Writer::new(catalog, shared.clone());
        threads.push(spawn(
            "glimpse-writer",
            Box::new(move || writer.run(writer_rx)),
        )?);
        if let Some((slot, load)) = loader {
            let writer = writer_tx.clone();
            threads.push(spawn(
                "glimpse-model",
                Box::new(move || {
                    if let Some((key, value)) = load.run(&slot) {
                        let _ = writer.send(WriteOp::SetMeta { key, value });
                    }
                }),
            )?);
        }

        // The decode pool and the embedder thread follow the writer's current indexing
        // model, so a model switch needs no new threads.
        let decode_tx = if has_model {
            let (decode_tx, decode_rx) = bounded::<FileJob>(DECODE_QUEUE);
            let (embed_tx, embed_rx) = bounded(EMBED_QUEUE);
            for i in 0..config.decode_threads.max(1) {
                let decoder = Decoder {
                    catalog: Catalog::open_read_only(&paths.catalog())?,
                    shared: shared.clone(),
                    writer: writer_tx.clone(),
                    embed: embed_tx.clone(),
                    thumbnail_edge_px: config.thumbnail_edge_px,
                };
                let rx: Receiver<FileJob> = decode_rx.clone();
                threads.push(spawn(
                    &format!("glimpse-decode-{i}"),
                    Box::new(move || decoder.run(rx)),
                )?);
            }
            let (sh, wtx, batch) = (shared.clone(), writer_tx.clone(), config.batch_size);
            let idle = (config.image_tower_idle, config.text_tower_idle);
            threads.push(spawn(
                "glimpse-embed",
                Box::new(move || crate::embedding::run(sh, embed_rx, wtx, batch, idle.0, idle.1)),
            )?);
            Some(decode_tx)
        } else {
            None
        };

        let scanner = Scanner {
            catalog: Catalog::open_read_only(&paths.catalog())?,
            shared: shared.clone(),
            writer: writer_tx.clone(),
            decode: decode_tx,
        };
        threads.push(spawn(
            "glimpse-scan",
            Box::new(move || scanner.run(scan_rx)),
        )?);

        Ok(Self {
            readers: (0..READERS)
                .map(|_| Catalog::open_read_only(&paths.catalog()).map(Mutex::new))
                .collect::<std::result::Result<_, _>>()?,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            shared,
            text_cache: TextCache::with_kept(
                search_id.as_deref().unwrap_or_default(),
                kept_queries,
            ),
            device: config.device,
            quantization: config.quantization,
            writer_tx: Some(writer_tx),
            scan_tx: Some(scan_tx),
            threads,
            reconciliation,
            watcher: Mutex::new(None),
            watch_options: config.watch,
            thumbnail_edge_px: config.thumbnail_edge_px,
            _lock: lock,
        })
    }

    /// The id of the embedder that answers queries (model, revision, preprocessing).
    pub fn embedder_id(&self) -> Option<String> {
        self.shared.search_slot().map(|s| s.id.clone())
    }

    /// Whether the search model's network is loaded. A library opened on a model it has
    /// loaded before opens at once and loads the network in the background: until then, a
    /// search answers from the query vectors the library keeps (its last searches) and from
    /// photos' vectors, and one that needs the network waits for it.
    pub fn model_loaded(&self) -> bool {
        self.shared
            .search_slot()
            .is_some_and(|s| s.model.is_ready())
    }

    /// Whether the search model's image tower is in memory (it is freed after
    /// [`LibraryConfig::image_tower_idle`] without an image to embed; `false` while the
    /// model loads).
    pub fn images_loaded(&self) -> bool {
        self.shared
            .search_slot()
            .and_then(|s| s.model.now())
            .is_some_and(|e| e.images_loaded())
    }

    /// Whether the search model's vector index is served from its file (after an open, and
    /// at rest once saved) rather than held in memory (after a change, until then).
    pub fn index_served_from_file(&self) -> bool {
        self.shared
            .search_slot()
            .is_some_and(|s| s.index.is_mapped())
    }

    /// Whether the search model's text tower is in memory (it is freed after
    /// [`LibraryConfig::text_tower_idle`] without a text to embed; `false` while the model
    /// loads).
    pub fn texts_loaded(&self) -> bool {
        self.shared
            .search_slot()
            .and_then(|s| s.model.now())
            .is_some_and(|e| e.texts_loaded())
    }

    /// Builds the search model's text tower again, on a thread of its own, if it was freed
    /// at rest: for a client that expects a text soon (its search window came to the
    /// front), so the first keystroke does not wait for it. Returns at once.
    pub fn load_texts(&self) {
        let Some(embedder) = self.shared.search_slot().and_then(|s| s.model.now()) else {
            return;
        };
        if embedder.texts_loaded() {
            return;
        }
        let started = std::thread::Builder::new()
            .name("glimpse-load-texts".into())
            .spawn(move || {
                if let Err(e) = embedder.load_texts() {
                    tracing::warn!(error = %e, "cannot build the text tower again");
                }
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "cannot start building the text tower");
        }
    }

    /// The search model's good-match line and where it comes from (catalogue, the model
    /// folder's `glimpse.json`, the model's own bias, or defaults).
    pub fn match_line(&self) -> Option<(crate::MatchLine, String)> {
        self.shared
            .search_slot()
            .map(|s| (s.line, s.line_source.clone()))
    }

    /// The model being switched to, with how far re-embedding the library has come.
    pub fn model_switch(&self) -> Result<Option<ModelSwitch>> {
        let slots = self.shared.slots();
        let Some(next) = slots.next else {
            return Ok(None);
        };
        let (total, done) = self.reader()?.embedded_share(&next.id)?;
        Ok(Some(ModelSwitch {
            from: slots.search.map(|s| s.id.clone()),
            to: next.id.clone(),
            done,
            total,
        }))
    }

    /// Starts switching to another model: it is loaded here (seconds; call from a worker
    /// thread), then the library is re-embedded with it in the background, newest photos
    /// first, while the current model keeps answering queries. The writer switches over
    /// once every searchable picture has a vector for it ([`Event::ModelSwitched`]), or
    /// when [`Library::finish_model_switch`] is called. A model that is already the search
    /// model cancels a switch in progress.
    ///
    /// A library opened without a model cannot switch: open it with the model instead.
    pub fn start_model_switch(&self, files: &ModelFiles) -> Result<()> {
        if self.shared.search_slot().is_none() {
            return Err(LibraryError::NoModel);
        }
        let slot = {
            let reader = Catalog::open_read_only(&self.shared.paths.catalog())?;
            let (slot, report, _) = Slot::open(
                &reader,
                &self.shared.paths,
                files,
                self.device,
                self.quantization,
                false,
                false,
            )?;
            tracing::info!(model = slot.id, ?report, "model to switch to is loaded");
            Arc::new(slot)
        };
        self.request(|reply| WriteOp::SwitchTo { next: slot, reply })?;
        self.text_cache.clear();
        // Re-embedding goes through the normal scan: photos without a vector for the
        // indexing model are queued, newest first.
        self.resume()
    }

    /// Switches to the model being switched to now, before it has caught up: photos it has
    /// no vector for yet are found again as it embeds them.
    pub fn finish_model_switch(&self) -> Result<()> {
        self.request(|reply| WriteOp::Promote { reply })?;
        self.text_cache.clear();
        Ok(())
    }

    /// Stops a switch in progress; the vectors made so far are kept.
    pub fn cancel_model_switch(&self) -> Result<()> {
        self.request(|reply| WriteOp::CancelSwitch { reply })
    }

    /// The models whose vectors the library keeps (the search model, the one being
    /// switched to, and earlier ones until removed).
    pub fn stored_models(&self) -> Result<Vec<StoredModel>> {
        let slots = self.shared.slots();
        let is = |slot: &Option<Arc<Slot>>, id: &str| slot.as_ref().is_some_and(|s| s.id == id);
        let mut out: Vec<StoredModel> = self
            .reader()?
            .embedders()?
            .into_iter()
            .map(|(id, vectors)| StoredModel {
                searching: is(&slots.search, &id),
                switching_to: is(&slots.next, &id),
                id,
                vectors,
            })
            .collect();
        for slot in slots.all() {
            if !out.iter().any(|m| m.id == slot.id) {
                out.push(StoredModel {
                    id: slot.id.clone(),
                    vectors: 0,
                    searching: is(&slots.search, &slot.id),
                    switching_to: is(&slots.next, &slot.id),
                });
            }
        }
        Ok(out)
    }

    /// Deletes the stored vectors (and index file) of a model that is neither the search
    /// model nor the one being switched to; returns how many vectors went.
    pub fn remove_model_vectors(&self, embedder_id: &str) -> Result<u64> {
        self.request(|reply| WriteOp::RemoveModel {
            id: embedder_id.to_string(),
            reply,
        })
    }

    /// Models' speeds as measured here the first time each indexed.
    pub fn model_speeds(&self) -> Result<Vec<crate::models::ModelSpeed>> {
        Ok(self
            .reader()?
            .meta_with_prefix(crate::writer::SPEED_KEY_PREFIX)?
            .into_iter()
            .filter_map(|(_, value)| serde_json::from_str(&value).ok())
            .collect())
    }

    /// Sends a control op to the writer and waits for its answer.
    fn request<T>(&self, op: impl FnOnce(Sender<Result<T>>) -> WriteOp) -> Result<T> {
        let (tx, rx) = bounded(1);
        self.send(op(tx))?;
        rx.recv()
            .map_err(|_| LibraryError::Stopped("the library is closing".into()))?
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.shared.paths.root
    }

    /// What reconciling the vector index with the catalog did at open.
    pub fn reconciliation(&self) -> Reconciliation {
        self.reconciliation
    }

    /// Receives the library's events from now on.
    pub fn subscribe(&self) -> Receiver<Event> {
        self.shared.bus.subscribe()
    }

    pub(crate) fn writer_sender(&self) -> Option<Sender<WriteOp>> {
        self.writer_tx.clone()
    }

    pub(crate) fn scan_sender(&self) -> Option<Sender<ScanJob>> {
        self.scan_tx.clone()
    }

    pub(crate) fn send(&self, op: WriteOp) -> Result<()> {
        self.writer_tx
            .as_ref()
            .and_then(|tx| tx.send(op).ok())
            .ok_or_else(|| LibraryError::Stopped("the library is closing".into()))
    }

    fn queue_scan(&self, folder: FolderId, root: PathBuf) -> Result<()> {
        let job = ScanJob {
            folder,
            root,
            is_folder_root: true,
        };
        let sent = self
            .scan_tx
            .as_ref()
            .is_some_and(|tx| queue_scan_job(&self.shared, tx, job));
        if !sent {
            return Err(LibraryError::Stopped("the library is closing".into()));
        }
        Ok(())
    }

    /// Adds a folder (absolute or relative path) and starts indexing it. A folder inside one
    /// already in the library is covered by it; a parent of folders in the library absorbs
    /// them. Returns the id of the folder that covers `path`.
    pub fn add_folder(&self, path: &Path) -> Result<FolderId> {
        let path = std::fs::canonicalize(path)
            .map_err(|e| LibraryError::io(path, "cannot open the folder", e))?;
        if !path.is_dir() {
            return Err(LibraryError::NotAFolder(path));
        }
        let (tx, rx) = bounded(1);
        self.send(WriteOp::AddFolder {
            path: path.clone(),
            reply: tx,
        })?;
        let id = rx
            .recv()
            .map_err(|_| LibraryError::Stopped("the library is closing".into()))??;
        let root = self.reader()?.folder(id)?.map(|f| f.path).unwrap_or(path);
        self.queue_scan(id, root)?;
        self.sync_watched_roots();
        Ok(id)
    }

    /// Removes a folder and its photos from the library (the files are not touched).
    pub fn remove_folder(&self, path: &Path) -> Result<()> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let folder = self
            .reader()?
            .folder_by_path(&path)?
            .ok_or_else(|| LibraryError::UnknownFolder(path.clone()))?;
        let (tx, rx) = bounded(1);
        self.send(WriteOp::RemoveFolder {
            id: folder.id,
            reply: tx,
        })?;
        rx.recv()
            .map_err(|_| LibraryError::Stopped("the library is closing".into()))??;
        self.sync_watched_roots();
        Ok(())
    }

    /// Scans every folder again for changes made since (quick when nothing changed: only
    /// sizes and mtimes are compared) and resumes work left pending.
    pub fn resume(&self) -> Result<()> {
        for folder in self.reader()?.folders()? {
            self.queue_scan(folder.id, folder.path)?;
        }
        Ok(())
    }

    /// Scans one folder of the library again.
    pub fn rescan(&self, path: &Path) -> Result<()> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let folder = self
            .reader()?
            .folder_by_path(&path)?
            .ok_or_else(|| LibraryError::UnknownFolder(path.clone()))?;
        self.queue_scan(folder.id, folder.path)
    }

    /// Blocks until all queued work is done and stored (the pipeline's "idle" plunger).
    pub fn wait_idle(&self) -> Result<()> {
        self.shared
            .tracker
            .wait_idle(|| self.shared.stopped_reason().is_some());
        match self.shared.stopped_reason() {
            Some(message) => Err(LibraryError::Stopped(message)),
            None => Ok(()),
        }
    }

    /// Pauses or resumes indexing. Paused, files already being decoded finish and nothing
    /// new starts; searches keep working. Pausing is not remembered across restarts.
    pub fn set_paused(&self, paused: bool) {
        *self.shared.paused.lock().unwrap_or_else(|e| e.into_inner()) = paused;
        self.shared.unpaused.notify_all();
    }

    /// Limits indexing to about `percent` of the CPU time (10–100; 100 = as fast as
    /// possible), so a laptop stays quiet while a large folder is indexed.
    pub fn set_cpu_limit(&self, percent: u8) {
        self.shared
            .cpu_percent
            .store(percent.clamp(10, 100), Ordering::Relaxed);
    }

    /// The share of the CPU indexing may use, in percent (see [`Self::set_cpu_limit`]).
    pub fn cpu_limit(&self) -> u8 {
        self.shared.cpu_percent.load(Ordering::Relaxed)
    }

    /// Moves the line between good matches and the rest: `delta` logit units stricter
    /// (positive) or looser (negative) than the model's calibrated line, clamped to ±4.
    /// One unit is the same step for every model (for SigLIP, odds × e). Applies to the
    /// next query.
    pub fn set_sensitivity(&self, delta: f32) {
        let delta = if delta.is_finite() {
            delta.clamp(-4.0, 4.0)
        } else {
            0.0
        };
        self.shared
            .sensitivity
            .store(delta.to_bits(), Ordering::Relaxed);
    }

    /// The current sensitivity (see [`Library::set_sensitivity`]).
    pub fn sensitivity(&self) -> f32 {
        f32::from_bits(self.shared.sensitivity.load(Ordering::Relaxed))
    }

    /// Whether indexing is paused.
    pub fn is_paused(&self) -> bool {
        *self.shared.paused.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Outcomes of the current run, or of the last one once idle.
    pub fn run_stats(&self) -> RunStats {
        self.shared.tracker.run_stats()
    }

    /// Images embedded by the model since the library was opened.
    pub fn embedded_count(&self) -> u64 {
        self.shared.embedded_total.load(Ordering::Relaxed)
    }

    /// A read-only catalog connection: a free one if there is, else the next in turn.
    pub(crate) fn reader(&self) -> Result<std::sync::MutexGuard<'_, Catalog>> {
        for conn in &self.readers {
            if let Ok(guard) = conn.try_lock() {
                return Ok(guard);
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        // A poisoned lock only means a query panicked; the connection itself is fine.
        Ok(self.readers[i].lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The model that answers queries.
    pub(crate) fn search_model(&self) -> Result<Arc<Slot>> {
        self.shared.search_slot().ok_or(LibraryError::NoModel)
    }
}

/// Queues a scan, counting it as outstanding work first so `wait_idle` waits for it.
pub(crate) fn queue_scan_job(shared: &Shared, tx: &Sender<ScanJob>, job: ScanJob) -> bool {
    shared.tracker.add(1, false);
    if tx.send(job).is_err() {
        shared.tracker.finish(1, false, None);
        return false;
    }
    true
}

impl Drop for Library {
    fn drop(&mut self) {
        self.shared.shutting_down.store(true, Ordering::Relaxed);
        self.shared.unpaused.notify_all();
        // The watcher holds senders into the pipeline: stop it first so the stages can end.
        self.watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // Closing the first channels lets each stage drain and exit in order: scanner,
        // decoders, embedder, and last the writer, which saves the index.
        self.scan_tx.take();
        self.writer_tx.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
