//! Counts outstanding work so callers can wait for "idle" (the plunger the tests use instead
//! of sleeping) and so progress events carry `done/total` and a rate.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Event;

/// What the work since the library went idle last amounted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// Files the scans looked at.
    pub scanned: u64,
    /// Files that had not changed since they were indexed: no work.
    pub unchanged: u64,
    /// Images decoded and embedded by the model.
    pub embedded: u64,
    /// Files whose content was already known (renamed, moved or duplicate): embedding reused.
    pub reused: u64,
    /// Files that could not be indexed.
    pub failed: u64,
    /// Files that disappeared from disk and left the library.
    pub removed: u64,
}

#[derive(Default)]
struct State {
    outstanding: u64,
    done: u64,
    total: u64,
    /// (when, done) samples for the rate over the last seconds.
    samples: VecDeque<(Instant, u64)>,
    run: RunStats,
    last_run: RunStats,
    /// Bumped each time the outstanding count reaches zero.
    zero_epoch: u64,
    /// The `zero_epoch` the writer last flushed for.
    flushed_epoch: u64,
}

/// Shared by every pipeline stage.
#[derive(Default)]
pub(crate) struct Tracker {
    state: Mutex<State>,
    changed: Condvar,
}

/// The window over which the indexing rate is averaged.
const RATE_WINDOW: Duration = Duration::from_secs(5);

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking stage must not wedge every waiter: the counts stay usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `n` units of work about to be queued (files, or one scan).
    pub(crate) fn add(&self, n: u64, files: bool) {
        let mut s = self.lock();
        s.outstanding += n;
        if files {
            s.total += n;
        }
    }

    /// Records outcomes of a scan.
    pub(crate) fn record(&self, f: impl FnOnce(&mut RunStats)) {
        f(&mut self.lock().run);
    }

    /// Marks `n` units finished. Returns a progress event for files, and whether the library
    /// just became idle (the caller then flushes and announces it).
    pub(crate) fn finish(
        &self,
        n: u64,
        files: bool,
        current: Option<PathBuf>,
    ) -> (Option<Event>, bool) {
        let mut s = self.lock();
        s.outstanding = s.outstanding.saturating_sub(n);
        let mut event = None;
        if files {
            s.done += n;
            let now = Instant::now();
            let done = s.done;
            s.samples.push_back((now, done));
            while s.samples.len() > 2 && now.duration_since(s.samples[0].0) > RATE_WINDOW {
                s.samples.pop_front();
            }
            let rate = match (s.samples.front(), s.samples.back()) {
                (Some(a), Some(b)) if b.0 > a.0 => (b.1 - a.1) as f32 / (b.0 - a.0).as_secs_f32(),
                _ => 0.0,
            };
            event = Some(Event::Progress {
                done: s.done,
                total: s.total,
                current,
                rate,
            });
        }
        let idle = s.outstanding == 0;
        if idle {
            s.zero_epoch += 1;
        }
        (event, idle)
    }

    /// Called by the writer once it has flushed (garbage collected, saved the index) after
    /// the outstanding count reached zero.
    pub(crate) fn mark_idle(&self) {
        let mut s = self.lock();
        if s.outstanding == 0 {
            s.last_run = s.run;
            s.run = RunStats::default();
            s.done = 0;
            s.total = 0;
            s.samples.clear();
            s.flushed_epoch = s.zero_epoch;
        }
        self.changed.notify_all();
    }

    /// Wakes waiters without changing the counts (used when the pipeline stops).
    pub(crate) fn wake(&self) {
        self.changed.notify_all();
    }

    /// Blocks until nothing is outstanding and the writer has flushed; `stop` ends the wait
    /// early (the pipeline failed).
    pub(crate) fn wait_idle(&self, stopped: impl Fn() -> bool) {
        let mut s = self.lock();
        while !stopped() && (s.outstanding > 0 || s.flushed_epoch < s.zero_epoch) {
            s = self
                .changed
                .wait_timeout(s, Duration::from_millis(200))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Progress of the current work (done, total).
    pub(crate) fn progress(&self) -> (u64, u64) {
        let s = self.lock();
        (s.done, s.total)
    }

    /// Outcomes of the last finished run (or the current one, if still running).
    pub(crate) fn run_stats(&self) -> RunStats {
        let s = self.lock();
        if s.outstanding > 0 || s.run != RunStats::default() {
            s.run
        } else {
            s.last_run
        }
    }
}
