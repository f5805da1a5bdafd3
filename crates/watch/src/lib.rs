//! File-system notifications turned into normalised, debounced batches of changes.
//!
//! This crate owns watching folders (recursive `notify` watches, re-watching a root that
//! disappears and comes back) and turning the raw, noisy event stream into a short list of
//! [`Change`]s that a consumer can apply in order. It knows nothing about photos, catalogs or
//! databases: it just watches paths and emits events. Deciding what a change means (index a
//! file, move catalog rows, reconcile a folder) is the consumer's job.
//!
//! Two layers:
//! - [`Debouncer`]: the pure state machine. It is fed [`RawEvent`]s with timestamps and polled
//!   for [`Batch`]es; no threads, no clock, no file system. Tests drive it from data.
//! - [`Watcher`]: the live handle. It owns a `notify` watcher and one thread that converts
//!   `notify` events into [`RawEvent`]s, drives a [`Debouncer`] and hands every batch to a
//!   closure. Dropping it stops watching and joins the thread.
//!
//! # What the consumer receives
//!
//! - [`Change::Created`]`(p)` / [`Change::Modified`]`(p)`: `p` exists now; (re)read it. `p`
//!   may be a directory (a folder created or moved in from outside): scan its subtree. A
//!   `Created` of a path the consumer already knows means "replaced": treat it like
//!   `Modified`.
//! - [`Change::Removed`]`(p)`: `p` and everything under it is gone.
//! - [`Change::Renamed`]`{ from, to }`: whatever was at `from` (a file, or a whole directory:
//!   move every path with that prefix) is now at `to`, replacing whatever was at `to`.
//! - [`Change::Rescan`]`{ root }`: events were lost or the root itself went away or came
//!   back; reconcile the whole root with the disk. A root that vanished (an unplugged disk)
//!   is reported as `Rescan`, never as `Removed`: the consumer decides what to do with it.
//!
//! # Rules of the state machine
//!
//! Times: a *view* change (`Removed`, `Renamed`, `Rescan`) is emitted once `debounce` has
//! passed since the last event that shaped it; a *content* change (`Created`, `Modified`) once
//! its path has been quiet for `settle`, so a file written slowly in chunks is reported once,
//! complete.
//!
//! 1. Create then Remove of the same path before `Created` was emitted: nothing.
//! 2. Create then Modify…: one `Created` once the path has been quiet for `settle`.
//! 3. Modify of a known file: one `Modified` once quiet for `settle`.
//! 4. A rename pair (`RenameFrom` and `RenameTo` with the same cookie, or `RenameBoth`):
//!    `Renamed{from, to}`. A directory rename is ONE `Renamed` of the directory, never
//!    expanded into per-file events; pending content changes under `from` move under `to` and
//!    are emitted after the `Renamed`.
//! 5. A `RenameFrom` whose `RenameTo` does not come within `debounce`: `Removed(from)`. A
//!    `RenameTo` with no known `RenameFrom` (moved in from outside): `Created(to)`.
//! 6. Rename chains collapse: `a→b→c` gives `Renamed{a, c}` and `a→b→a` gives nothing.
//!    Create `a` then rename `a→b` gives `Created(b)`.
//! 7. Remove of a directory: one `Removed(dir)`; pending changes under it are dropped.
//!    Events under a directory whose `Created` is still pending fold into it (the consumer
//!    scans the new directory), so a folder copied in is one `Created(dir)` once it is quiet;
//!    a known file moved into such a directory is `Removed` from its old place (the scan
//!    finds it; a content-hash match lets the consumer keep its work).
//! 8. Overflow (events were lost): `Rescan{root}` for the affected root, or for every root
//!    when the source does not say which; pending changes under it are dropped, and events
//!    under it are swallowed until the `Rescan` is emitted (the rescan will see them).
//! 9. The root itself removed, moved or unmounted: `Rescan{root}`. [`Watcher`] then polls
//!    for it every few seconds and emits `Rescan{root}` again when it is back.
//! 10. Ignored paths ([`is_ignored`], judged below the root) never appear, except as the
//!     target of a rename: `photo.jpg.part → photo.jpg` gives `Created(photo.jpg)`, and
//!     `photo.jpg → photo.jpg.tmp` gives `Removed(photo.jpg)`.
//! 11. Ordering: within a batch and across batches, applying the changes in order is
//!     correct. A change is held back while an earlier, not yet settled change on a related
//!     path (the same path, an ancestor or a descendant) is pending; unrelated changes do not
//!     wait for each other.
//!
//! # Limits
//!
//! - A rename that replaces an existing file is not distinguishable from one that does not
//!   (no event says so). If the replaced name was reported in this window (a pending
//!   `Created`/`Modified`), a chain through it is not collapsed; otherwise `a→b→c` within
//!   `debounce`, where the first step replaced a file at `b` the consumer knew, is
//!   `Renamed{a, c}` and the consumer keeps a stale `b` until its next rescan.
//! - Metadata-only changes (permissions, `touch`) are not reported: the content is the same.
//! - inotify watches each directory: a directory created and filled faster than its watch is
//!   added loses those events, which the `Created(dir)` scan covers. When the system watch
//!   limit is reached, new subdirectories go unwatched (logged as a warning).
//! - Sources without rename cookies: Windows reports both halves back to back (paired
//!   here); FSEvents/kqueue report unpaired names, which become `Removed` + `Created`.
//!
//! # Example
//!
//! ```
//! use std::path::PathBuf;
//! use std::time::{Duration, Instant};
//! use glimpse_watch::{Change, Debouncer, RawEvent, WatchOptions};
//!
//! let options = WatchOptions { debounce: Duration::from_millis(500), settle: Duration::from_secs(1) };
//! let mut debouncer = Debouncer::new(options);
//! debouncer.add_root("/photos");
//! let t0 = Instant::now();
//! debouncer.push(RawEvent::Create(PathBuf::from("/photos/a.jpg")), t0);
//! debouncer.push(RawEvent::Modify(PathBuf::from("/photos/a.jpg")), t0 + Duration::from_millis(300));
//! assert!(debouncer.poll(t0 + Duration::from_millis(800)).is_none(), "still being written");
//! let batch = debouncer.poll(t0 + Duration::from_millis(1300)).expect("settled");
//! assert_eq!(batch.changes, vec![Change::Created(PathBuf::from("/photos/a.jpg"))]);
//! ```
//!
//! Live watching (not run here: it needs a real folder):
//!
//! ```no_run
//! use glimpse_watch::{WatchOptions, Watcher};
//! let watcher = Watcher::new(WatchOptions::default(), |batch| println!("{:?}", batch.changes))?;
//! watcher.watch(std::path::Path::new("/home/me/Pictures"))?;
//! # Ok::<(), glimpse_watch::WatchError>(())
//! ```

mod debounce;
mod error;
mod ignore;
mod pending;
mod watcher;

use std::path::PathBuf;
use std::time::Duration;

pub use debounce::{Debouncer, RawEvent};
pub use error::WatchError;
pub use ignore::is_ignored;
pub use watcher::{ROOT_POLL_INTERVAL, Watcher};

/// One normalised change, as the consumer should apply it. See the crate docs for meanings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// The path exists now and the consumer did not know it (or it was replaced): read it;
    /// a directory: scan its subtree.
    Created(PathBuf),
    /// The content of a known path changed: read it again.
    Modified(PathBuf),
    /// The path, and everything under it, is gone.
    Removed(PathBuf),
    /// Whatever was at `from` (a file, or a directory with everything under it) is now at
    /// `to`, replacing whatever was at `to`.
    Renamed {
        /// The old path.
        from: PathBuf,
        /// The new path.
        to: PathBuf,
    },
    /// Events under `root` were lost, or the root went away or came back: reconcile it.
    Rescan {
        /// The watched root concerned.
        root: PathBuf,
    },
}

/// Changes that became due together, in the order they must be applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// The changes, in application order.
    pub changes: Vec<Change>,
}

/// Timing of the debouncer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// How long view changes (removals, renames, rescans) wait for related events (the other
    /// half of a rename, a removal of the parent directory) before they are emitted.
    pub debounce: Duration,
    /// How long a path must be quiet before `Created`/`Modified` is emitted, so that a file
    /// written slowly in chunks is reported once, complete.
    pub settle: Duration,
}

impl Default for WatchOptions {
    /// 500 ms debounce, 1 s settle.
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(500),
            settle: Duration::from_secs(1),
        }
    }
}
