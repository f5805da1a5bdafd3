//! The live watcher: a `notify` watcher and one thread that drives a [`Debouncer`].

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};

use crate::debounce::{Debouncer, RawEvent};
use crate::{Batch, WatchError, WatchOptions};

/// How often roots are checked: a watched root that vanished or was replaced (unmounted,
/// removed, another disk mounted there) is reported, and a missing root is re-watched when
/// it appears.
pub const ROOT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// At most this many queued messages are handled before the debouncer is polled again, so
/// a flood of events cannot starve the emission of what is already due.
const MAX_MESSAGES_PER_WAKE: usize = 10_000;

/// Handle to a running watcher. Dropping it stops watching and joins its thread; changes
/// still pending then are not delivered.
pub struct Watcher {
    tx: mpsc::Sender<Msg>,
    roots: Arc<Mutex<Vec<PathBuf>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("roots", &self.roots())
            .finish_non_exhaustive()
    }
}

type Reply = mpsc::SyncSender<Result<(), WatchError>>;

enum Msg {
    Notify(notify::Result<notify::Event>),
    Watch(PathBuf, Reply),
    Unwatch(PathBuf, Reply),
    Shutdown,
}

impl Watcher {
    /// Starts the watcher thread with no roots. `sink` is called on that thread with every
    /// batch, in order; it should hand the batch on quickly (a channel) and must not panic
    /// (a panic stops the watcher: later calls return [`WatchError::Stopped`]).
    pub fn new(
        options: WatchOptions,
        sink: impl Fn(Batch) + Send + 'static,
    ) -> Result<Self, WatchError> {
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        // Symlinks are not followed: only what is physically inside a root is watched, as
        // the scanner does.
        let config = notify::Config::default().with_follow_symlinks(false);
        let watcher = notify::RecommendedWatcher::new(
            move |event| {
                // Fails only after shutdown, when nobody listens any more.
                let _ = events.send(Msg::Notify(event));
            },
            config,
        )
        .map_err(|source| WatchError::Start { source })?;
        let roots = Arc::new(Mutex::new(Vec::new()));
        let worker = Worker {
            watcher,
            debouncer: Debouncer::new(options),
            roots: Vec::new(),
            shared_roots: Arc::clone(&roots),
            sink: Box::new(sink),
            unpaired_from: None,
            next_synthetic_cookie: usize::MAX,
        };
        let thread = std::thread::Builder::new()
            .name("glimpse-watch".into())
            .spawn(move || worker.run(rx))
            .map_err(|source| WatchError::Spawn { source })?;
        Ok(Self {
            tx,
            roots,
            thread: Some(thread),
        })
    }

    /// Watches `root` recursively. A root that does not exist yet is accepted and polled
    /// every [`ROOT_POLL_INTERVAL`]; `Rescan{root}` is emitted when it appears. Watching a
    /// root twice is a no-op; a root inside or above another root is refused.
    pub fn watch(&self, root: &Path) -> Result<(), WatchError> {
        let root = absolute(root)?;
        self.request(|reply| Msg::Watch(root, reply))
    }

    /// Stops watching `root` and drops what was pending under it.
    pub fn unwatch(&self, root: &Path) -> Result<(), WatchError> {
        let root = absolute(root)?;
        self.request(|reply| Msg::Unwatch(root, reply))
    }

    /// The roots being watched (including those waiting to reappear), as given to
    /// [`Watcher::watch`] but made absolute.
    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn request(&self, msg: impl FnOnce(Reply) -> Msg) -> Result<(), WatchError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx.send(msg(reply)).map_err(|_| WatchError::Stopped)?;
        answer.recv().map_err(|_| WatchError::Stopped)?
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Shutdown);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the watcher thread had panicked (in the sink?)");
        }
    }
}

fn absolute(root: &Path) -> Result<PathBuf, WatchError> {
    std::path::absolute(root).map_err(|source| WatchError::Io {
        path: root.to_path_buf(),
        source,
    })
}

/// What identifies the directory a root names, to notice it being replaced (an unmount
/// leaves the empty mount point; a removed and recreated folder is a new inode).
#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

enum RootStatus {
    Watched {
        identity: Option<(u64, u64)>,
    },
    /// Missing (not yet created, removed, unmounted): polled.
    Waiting,
}

struct Root {
    path: PathBuf,
    /// Some platforms (FSEvents) report canonical paths; events are mapped back to `path`.
    canonical: Option<PathBuf>,
    status: RootStatus,
}

struct Worker {
    watcher: notify::RecommendedWatcher,
    debouncer: Debouncer,
    roots: Vec<Root>,
    shared_roots: Arc<Mutex<Vec<PathBuf>>>,
    sink: Box<dyn Fn(Batch) + Send>,
    /// Cookie given to the last rename-from that came without a tracker: sources without
    /// trackers (Windows) report the two halves of a rename back to back.
    unpaired_from: Option<usize>,
    next_synthetic_cookie: usize,
}

impl Worker {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        let mut next_root_poll = Instant::now() + ROOT_POLL_INTERVAL;
        loop {
            let wake = self
                .debouncer
                .next_deadline()
                .map_or(next_root_poll, |deadline| deadline.min(next_root_poll));
            match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(msg) => {
                    if !self.handle(msg) {
                        return;
                    }
                    for msg in rx.try_iter().take(MAX_MESSAGES_PER_WAKE) {
                        if !self.handle(msg) {
                            return;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let now = Instant::now();
            if now >= next_root_poll {
                self.poll_roots(now);
                next_root_poll = now + ROOT_POLL_INTERVAL;
            }
            if self.debouncer.next_deadline().is_some_and(|d| d <= now)
                && let Some(batch) = self.debouncer.poll(now)
            {
                tracing::debug!(changes = batch.changes.len(), "watch batch");
                (self.sink)(batch);
            }
        }
    }

    /// Handles one message; false on shutdown.
    fn handle(&mut self, msg: Msg) -> bool {
        let now = Instant::now();
        match msg {
            Msg::Notify(Ok(event)) => self.convert(event, now),
            Msg::Notify(Err(error)) => {
                // Typically the inotify watch limit reached for a new subdirectory: changes
                // under it will be missed until the next rescan.
                tracing::warn!(paths = ?error.paths, "file-system watcher error: {error}");
            }
            Msg::Watch(root, reply) => {
                let _ = reply.send(self.watch(root));
            }
            Msg::Unwatch(root, reply) => {
                let _ = reply.send(self.unwatch(&root, now));
            }
            Msg::Shutdown => return false,
        }
        true
    }

    fn watch(&mut self, path: PathBuf) -> Result<(), WatchError> {
        if self.roots.iter().any(|r| r.path == path) {
            return Ok(());
        }
        if let Some(existing) = self
            .roots
            .iter()
            .find(|r| path.starts_with(&r.path) || r.path.starts_with(&path))
        {
            return Err(WatchError::Overlapping {
                path,
                existing: existing.path.clone(),
            });
        }
        let status = match fs::metadata(&path) {
            Ok(meta) if !meta.is_dir() => return Err(WatchError::NotADirectory { path }),
            Ok(meta) => match self.watcher.watch(&path, RecursiveMode::Recursive) {
                Ok(()) => RootStatus::Watched {
                    identity: identity(&meta),
                },
                Err(error) if matches!(error.kind, notify::ErrorKind::PathNotFound) => {
                    RootStatus::Waiting
                }
                Err(source) => {
                    // A partial recursive watch may have been set up; undo it.
                    let _ = self.watcher.unwatch(&path);
                    return Err(WatchError::Notify { path, source });
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => RootStatus::Waiting,
            Err(source) => return Err(WatchError::Io { path, source }),
        };
        if matches!(status, RootStatus::Waiting) {
            tracing::info!(root = %path.display(), "root missing; waiting for it to appear");
        }
        self.debouncer.add_root(&path);
        self.roots.push(Root {
            canonical: fs::canonicalize(&path).ok(),
            path,
            status,
        });
        self.publish_roots();
        Ok(())
    }

    fn unwatch(&mut self, path: &Path, now: Instant) -> Result<(), WatchError> {
        let Some(index) = self.roots.iter().position(|r| r.path == path) else {
            return Err(WatchError::NotWatched {
                path: path.to_path_buf(),
            });
        };
        let root = self.roots.remove(index);
        if let RootStatus::Watched { .. } = root.status
            && let Err(error) = self.watcher.unwatch(&root.path)
        {
            // The platform watcher may already have dropped a root that just vanished.
            tracing::debug!(root = %root.path.display(), "unwatch: {error}");
        }
        self.debouncer.remove_root(&root.path, now);
        self.publish_roots();
        Ok(())
    }

    fn publish_roots(&self) {
        let roots = self.roots.iter().map(|r| r.path.clone()).collect();
        *self
            .shared_roots
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = roots;
    }

    /// Notices watched roots that vanished or were replaced, and re-watches missing roots
    /// that are back.
    fn poll_roots(&mut self, now: Instant) {
        for index in 0..self.roots.len() {
            if let RootStatus::Watched { identity: known } = self.roots[index].status {
                let current = fs::metadata(&self.roots[index].path)
                    .ok()
                    .filter(fs::Metadata::is_dir);
                let replaced = match &current {
                    None => true,
                    Some(meta) => known.is_some() && identity(meta) != known,
                };
                if replaced {
                    self.root_gone(index, now);
                }
            }
            if let RootStatus::Waiting = self.roots[index].status {
                self.rewatch(index, now);
            }
        }
    }

    fn rewatch(&mut self, index: usize, now: Instant) {
        let root = &mut self.roots[index];
        let Ok(meta) = fs::metadata(&root.path) else {
            return;
        };
        if !meta.is_dir() {
            return;
        }
        match self.watcher.watch(&root.path, RecursiveMode::Recursive) {
            Ok(()) => {
                tracing::info!(root = %root.path.display(), "root is back; watching again");
                root.status = RootStatus::Watched {
                    identity: identity(&meta),
                };
                root.canonical = fs::canonicalize(&root.path).ok();
                // Whatever happened while it was away is unknown: the consumer reconciles.
                let path = root.path.clone();
                self.debouncer.push(RawEvent::Overflow(Some(path)), now);
            }
            Err(error) => {
                let _ = self.watcher.unwatch(&root.path);
                tracing::debug!(root = %root.path.display(), "root not watchable yet: {error}");
            }
        }
    }

    fn root_gone(&mut self, index: usize, now: Instant) {
        let root = &mut self.roots[index];
        if let RootStatus::Waiting = root.status {
            return;
        }
        tracing::info!(root = %root.path.display(), "root vanished; waiting for it to return");
        root.status = RootStatus::Waiting;
        let path = root.path.clone();
        // The platform watcher may already have dropped it (inotify does on IN_DELETE_SELF).
        let _ = self.watcher.unwatch(&path);
        self.debouncer.push(RawEvent::RootGone(path), now);
    }

    /// The index of the watched root named exactly `path`.
    fn root_index(&self, path: &Path) -> Option<usize> {
        self.roots.iter().position(|r| r.path == path)
    }

    /// Maps a path reported in canonical form back under the root as it was given.
    fn localize(&self, path: PathBuf) -> PathBuf {
        for root in &self.roots {
            if let Some(canonical) = &root.canonical
                && *canonical != root.path
                && let Ok(rest) = path.strip_prefix(canonical)
            {
                return root.path.join(rest);
            }
        }
        path
    }

    /// Translates one `notify` event into raw events for the debouncer.
    fn convert(&mut self, event: notify::Event, now: Instant) {
        let need_rescan = event.need_rescan();
        let tracker = event.tracker();
        let kind = event.kind;
        let paths: Vec<PathBuf> = event.paths.into_iter().map(|p| self.localize(p)).collect();
        let unpaired_from = self.unpaired_from.take();
        if need_rescan {
            tracing::warn!("file-system events were lost; rescanning");
            if paths.is_empty() {
                self.debouncer.push(RawEvent::Overflow(None), now);
            }
            for path in paths {
                self.debouncer.push(RawEvent::Overflow(Some(path)), now);
            }
            return;
        }
        match kind {
            EventKind::Create(_) => self.push_each(paths, RawEvent::Create, now),
            EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any | ModifyKind::Other)
            | EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                self.push_each(paths, RawEvent::Modify, now);
            }
            // chmod, touch: the content is the same.
            EventKind::Modify(ModifyKind::Metadata(_)) => {}
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                for path in paths {
                    let cookie = tracker.or_else(|| {
                        let cookie = self.next_synthetic_cookie;
                        self.next_synthetic_cookie = cookie.wrapping_sub(1);
                        self.unpaired_from = Some(cookie);
                        Some(cookie)
                    });
                    self.removed_or(path, now, |path| RawEvent::RenameFrom { path, cookie });
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                let cookie = tracker.or(unpaired_from);
                self.push_each(paths, |path| RawEvent::RenameTo { path, cookie }, now);
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                // With a tracker both halves were already delivered as From and To.
                if tracker.is_none()
                    && let Ok([from, to]) = <[PathBuf; 2]>::try_from(paths)
                {
                    self.debouncer.push(RawEvent::RenameBoth { from, to }, now);
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Any | RenameMode::Other)) => {
                // Sources that do not say which half this is (FSEvents, kqueue): look.
                for path in paths {
                    if fs::symlink_metadata(&path).is_ok() {
                        let event = RawEvent::RenameTo { path, cookie: None };
                        self.debouncer.push(event, now);
                    } else {
                        self.removed_or(path, now, |path| RawEvent::RenameFrom {
                            path,
                            cookie: None,
                        });
                    }
                }
            }
            EventKind::Remove(_) => {
                for path in paths {
                    self.removed_or(path, now, RawEvent::Remove);
                }
            }
            EventKind::Access(_) | EventKind::Any | EventKind::Other => {}
        }
    }

    fn push_each(&mut self, paths: Vec<PathBuf>, make: impl Fn(PathBuf) -> RawEvent, now: Instant) {
        for path in paths {
            self.debouncer.push(make(path), now);
        }
    }

    /// A path that left: the root itself going is `RootGone` (and starts polling for it).
    fn removed_or(&mut self, path: PathBuf, now: Instant, make: impl FnOnce(PathBuf) -> RawEvent) {
        match self.root_index(&path) {
            Some(index) => self.root_gone(index, now),
            None => self.debouncer.push(make(path), now),
        }
    }
}
