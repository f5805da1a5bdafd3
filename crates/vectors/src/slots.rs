//! A counting semaphore over USearch's per-thread slots.
//!
//! USearch pre-allocates one search context (visited set, candidate heaps, cast buffer)
//! per "thread slot", sized by `reserve_capacity_and_threads`. A call that finds every
//! slot taken does not wait: it fails at once with the misleading "Reserve capacity ahead
//! of insertions!" (measured: one writer and four searchers after a plain `reserve` on a
//! 2-core machine made every add fail). Callers are arbitrary threads (UI, query pool,
//! writer), so rather than guess the most that can ever run at once we reserve a
//! generous number of slots and make every add/search take a permit first: extra
//! callers wait for a slot instead of failing.

use std::sync::{Condvar, Mutex, PoisonError};

pub(crate) struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

pub(crate) struct Permit<'a>(&'a Slots);

impl Slots {
    pub(crate) fn new(count: usize) -> Self {
        Self {
            free: Mutex::new(count),
            freed: Condvar::new(),
        }
    }

    /// Blocks until a slot is free. Every holder only runs one USearch call, so the wait
    /// is bounded by the slowest call in flight.
    pub(crate) fn acquire(&self) -> Permit<'_> {
        // The counter stays consistent even if a holder panicked (its permit's drop still
        // ran), so a poisoned lock is safe to keep using.
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.0.freed.notify_one();
    }
}

/// How many USearch thread slots (and permits) an index gets: the hardware threads, but
/// at least [`MIN_THREAD_SLOTS`] so that a small machine's UI thread, query workers and
/// the writer rarely wait on each other. Each slot costs a few kilobytes (a context sized
/// by the expansion, plus one vector-sized cast buffer).
pub(crate) fn thread_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .max(MIN_THREAD_SLOTS)
}

/// Lower bound on thread slots, see [`thread_slots`].
pub(crate) const MIN_THREAD_SLOTS: usize = 8;
