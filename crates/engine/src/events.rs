//! Events the library emits while it works. They leave the engine through channels handed
//! out by [`crate::Library::subscribe`]; a slow subscriber loses events rather than slowing
//! the pipeline (the writer never waits on a consumer).

use std::path::PathBuf;
use std::sync::Mutex;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Serialize;

/// Something that happened in the library.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// Indexing moved on.
    #[serde(rename_all = "camelCase")]
    Progress {
        /// Files finished (indexed, reused or failed) since the work started.
        done: u64,
        /// Files known to need work.
        total: u64,
        /// The file last finished.
        current: Option<PathBuf>,
        /// Files per second over the last few seconds.
        rate: f32,
    },
    /// New thumbnails can be shown (content ids).
    ThumbnailsReady {
        /// Contents whose thumbnail was written.
        contents: Vec<i64>,
    },
    /// One file could not be indexed; indexing goes on.
    ItemFailed {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// The set of folders changed.
    FoldersChanged,
    /// A model switch ended: `model` answers queries from now on.
    #[serde(rename_all = "camelCase")]
    ModelSwitched {
        /// The embedder id of the model now in use.
        model: String,
        /// It had caught up with the whole library (false: switched early on request).
        complete: bool,
    },
    /// All queued work is done.
    Idle,
    /// The store failed and the pipeline stopped.
    Stopped {
        /// What went wrong.
        message: String,
    },
}

/// Fan-out of events to subscribers.
#[derive(Default)]
pub(crate) struct EventBus {
    subscribers: Mutex<Vec<Sender<Event>>>,
}

/// How many events a subscriber may fall behind before it misses some.
const SUBSCRIBER_BACKLOG: usize = 4096;

impl EventBus {
    pub(crate) fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = crossbeam_channel::bounded(SUBSCRIBER_BACKLOG);
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.push(tx);
        }
        rx
    }

    pub(crate) fn emit(&self, event: Event) {
        let Ok(mut subs) = self.subscribers.lock() else {
            return;
        };
        subs.retain(|tx| match tx.try_send(event.clone()) {
            Ok(()) | Err(TrySendError::Full(_)) => true,
            Err(TrySendError::Disconnected(_)) => false,
        });
    }
}
