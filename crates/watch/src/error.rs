//! The crate's error type.

use std::path::PathBuf;

/// Why a watch could not be started, changed or stopped. Every variant concerns one call;
/// none of them stops other roots from being watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The root exists but is not a directory.
    #[error("{path}: cannot watch: not a directory")]
    NotADirectory {
        /// The root asked for.
        path: PathBuf,
    },
    /// The root lies inside, or contains, a root already watched. Overlapping recursive
    /// watches would report changes twice and unwatching one would silence the other.
    #[error("{path}: cannot watch: overlaps the watched root {existing}")]
    Overlapping {
        /// The root asked for.
        path: PathBuf,
        /// The root already watched.
        existing: PathBuf,
    },
    /// `unwatch` of a root that is not watched.
    #[error("{path}: cannot unwatch: not a watched root")]
    NotWatched {
        /// The root asked for.
        path: PathBuf,
    },
    /// The root's metadata could not be read (other than "not found", which is polled).
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The root asked for.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The platform watcher refused (for example the inotify watch limit was reached:
    /// raise `fs.inotify.max_user_watches`, or rely on periodic rescans).
    #[error("{path}: cannot watch: {source}")]
    Notify {
        /// The root concerned.
        path: PathBuf,
        /// The underlying error.
        source: notify::Error,
    },
    /// The platform watcher could not be created at all.
    #[error("cannot start the file-system watcher: {source}")]
    Start {
        /// The underlying error.
        source: notify::Error,
    },
    /// The watcher thread could not be spawned.
    #[error("cannot spawn the watcher thread: {source}")]
    Spawn {
        /// The underlying error.
        source: std::io::Error,
    },
    /// The watcher thread has stopped (the sink panicked); create a new [`crate::Watcher`].
    #[error("the watcher thread has stopped")]
    Stopped,
}
