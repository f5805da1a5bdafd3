//! The pure debouncing state machine: raw events in, ordered batches of changes out.
//!
//! The state is a log of pending operations in event order, with two kinds:
//! - *view* operations (`Removed`, `Renamed`): they transform what the consumer knows and
//!   are only correct at their position in the log;
//! - *content* operations (`Created`, `Modified`, and `Rescan`): the consumer reads the disk
//!   when it applies them, so they may move later freely, and they are always kept after
//!   every view operation on a related path (that is what makes a `Modified(a)` pending when
//!   `a` is renamed to `b` come out as `Renamed{a, b}` then `Modified(b)`).
//!
//! Merging a new event into an older operation is only done when no pending view operation
//! after it concerns a related path; otherwise the new event is simply appended. Merges are
//! an optimisation: when in doubt, more (correct) changes are emitted rather than fewer.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ignore::is_ignored;
use crate::pending::{Op, OpKind, PendingFrom, under};
use crate::{Batch, WatchOptions};

/// One event as reported by a file-system notification source, already split into one path
/// (or one pair of paths) each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEvent {
    /// A file or directory appeared at the path.
    Create(PathBuf),
    /// The content of the file at the path changed (or a write to it finished).
    Modify(PathBuf),
    /// The file or directory at the path was removed.
    Remove(PathBuf),
    /// The path was renamed away. `cookie` pairs it with the [`RawEvent::RenameTo`] of the
    /// same rename (inotify's cookie, `notify`'s tracker); without one it cannot be paired
    /// and counts as a removal.
    RenameFrom {
        /// The old path.
        path: PathBuf,
        /// Pairs the two halves of one rename.
        cookie: Option<usize>,
    },
    /// Something was renamed to the path. Without a pending `RenameFrom` with the same
    /// cookie it was moved in from outside and counts as a creation.
    RenameTo {
        /// The new path.
        path: PathBuf,
        /// Pairs the two halves of one rename.
        cookie: Option<usize>,
    },
    /// A rename whose halves the source already paired. If a `RenameFrom` of `from` is
    /// pending, it is this rename's first half.
    RenameBoth {
        /// The old path.
        from: PathBuf,
        /// The new path.
        to: PathBuf,
    },
    /// Events were lost (the inotify queue overflowed): under this path, or anywhere when
    /// `None`. Also pushed by [`crate::Watcher`] when a root that had gone comes back.
    Overflow(Option<PathBuf>),
    /// The watched root itself was removed, moved away or unmounted.
    RootGone(PathBuf),
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    /// Under a root, not ignored, not the root itself.
    Real,
    /// A watched root itself.
    Root,
    /// Under a root but ignored.
    Ignored,
    /// Not under any root, or under a root whose `Rescan` is pending (it will see it).
    Outside,
}

/// The debouncing state machine. Pure: it never reads the clock or the disk; every call takes
/// the current instant. See the crate docs for its rules.
#[derive(Debug)]
pub struct Debouncer {
    options: WatchOptions,
    roots: Vec<PathBuf>,
    /// Pending operations by sequence number (event order).
    log: BTreeMap<u64, Op>,
    next_seq: u64,
    /// Content operation per path (at most one).
    reads: BTreeMap<PathBuf, u64>,
    /// View operations mentioning each path.
    views: BTreeMap<PathBuf, BTreeSet<u64>>,
    /// Pending `Rescan` per root.
    rescans: BTreeMap<PathBuf, u64>,
    pending_from: HashMap<usize, PendingFrom>,
    /// Every pending operation by the instant it becomes due: a poll only looks at those
    /// due, not at the whole log (a bulk copy can leave tens of thousands pending).
    ready: BTreeSet<(Instant, u64)>,
    /// The instant of the last poll: operations due before it that are still pending are
    /// held back by an earlier related one (see `poll`).
    last_poll: Option<Instant>,
    /// An event came since the last poll (it may have freed a held-back operation).
    dirty: bool,
}

impl Debouncer {
    /// An empty state machine with no roots.
    pub fn new(options: WatchOptions) -> Self {
        Self {
            options,
            roots: Vec::new(),
            log: BTreeMap::new(),
            next_seq: 0,
            reads: BTreeMap::new(),
            views: BTreeMap::new(),
            rescans: BTreeMap::new(),
            pending_from: HashMap::new(),
            ready: BTreeSet::new(),
            last_poll: None,
            dirty: false,
        }
    }

    /// Starts accepting events under `root`. Events outside every root are dropped, paths
    /// are judged by [`is_ignored`] relative to their root, and `Overflow(None)` rescans
    /// every root.
    pub fn add_root(&mut self, root: impl AsRef<Path>) {
        let root = root.as_ref();
        if !self.roots.iter().any(|r| r == root) {
            self.roots.push(root.to_path_buf());
        }
    }

    /// Stops accepting events under `root` and drops what was pending under it.
    pub fn remove_root(&mut self, root: &Path, now: Instant) {
        self.purge_under(root, now);
        if let Some(seq) = self.rescans.get(root).copied() {
            self.remove(seq);
        }
        self.roots.retain(|r| r != root);
    }

    /// The roots events are accepted under.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// True when no change is pending.
    pub fn is_idle(&self) -> bool {
        self.log.is_empty()
    }

    /// Feeds one raw event that happened at `now` (instants must not go backwards).
    pub fn push(&mut self, event: RawEvent, now: Instant) {
        self.dirty = true;
        match event {
            RawEvent::Create(path) => {
                if self.classify(&path) == Class::Real {
                    self.on_content(path, now, true);
                }
            }
            RawEvent::Modify(path) => {
                if self.classify(&path) == Class::Real {
                    self.on_content(path, now, false);
                }
            }
            RawEvent::Remove(path) => match self.classify(&path) {
                Class::Real => self.on_remove(path, now),
                Class::Root => self.rescan(&path, now),
                Class::Ignored | Class::Outside => {}
            },
            RawEvent::RenameFrom { path, cookie } => match self.classify(&path) {
                Class::Real => self.on_rename_from(path, cookie, now),
                Class::Root => self.rescan(&path, now),
                Class::Ignored | Class::Outside => {}
            },
            RawEvent::RenameTo { path, cookie } => self.on_rename_to(path, cookie, now),
            RawEvent::RenameBoth { from, to } => self.on_rename_both(from, to, now),
            RawEvent::Overflow(Some(path)) => {
                if let Some(root) = self.root_of(&path).map(Path::to_path_buf) {
                    self.rescan(&root, now);
                }
            }
            RawEvent::Overflow(None) => {
                for root in self.roots.clone() {
                    self.rescan(&root, now);
                }
            }
            RawEvent::RootGone(root) => {
                if self.roots.contains(&root) {
                    self.rescan(&root, now);
                }
            }
        }
    }

    /// Takes every change that is due at `now`, in application order; `None` when nothing
    /// is due.
    pub fn poll(&mut self, now: Instant) -> Option<Batch> {
        self.pending_from.retain(|_, from| match from {
            PendingFrom::Unknown { expires, .. } => *expires > now,
            PendingFrom::Known { .. } => true,
        });
        self.last_poll = Some(now);
        self.dirty = false;
        let mut due: Vec<u64> = self
            .ready
            .range(..=(now, u64::MAX))
            .map(|&(_, seq)| seq)
            .collect();
        due.sort_unstable();
        let mut changes = Vec::with_capacity(due.len());
        for seq in due {
            // A due operation is held back while an earlier one on a related path is still
            // pending (not due, or held back itself): emitting it first could be applied
            // wrongly (crate docs, rule 11). Earlier ones emitted in this poll are gone
            // from the indexes already.
            let Some(op) = self.log.get(&seq) else {
                continue;
            };
            let held = op
                .paths()
                .iter()
                .any(|p| self.earliest_related(p).is_some_and(|s| s < seq));
            if held {
                continue;
            }
            let Some(op) = self.remove(seq) else { continue };
            match &op.kind {
                OpKind::Removed {
                    cookie: Some(cookie),
                    ..
                } => {
                    self.pending_from.remove(cookie);
                }
                OpKind::Rescan { root } => {
                    self.rescans.remove(root);
                }
                _ => {}
            }
            changes.extend(op.into_change());
        }
        (!changes.is_empty()).then_some(Batch { changes })
    }

    /// When to call [`Debouncer::poll`] next: never later than the first instant something
    /// becomes due, possibly earlier (a poll then returns `None`), and possibly already past
    /// (an event freed a held-back change: poll with the current instant). `None` when
    /// nothing is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        let &(first, _) = self.ready.first()?;
        match self.last_poll {
            // Held back at the last poll: only an event can free them before their
            // blockers become due.
            Some(last) if first <= last && !self.dirty => self
                .ready
                .range((Bound::Excluded((last, u64::MAX)), Bound::Unbounded))
                .next()
                .map(|&(at, _)| at),
            _ => Some(first),
        }
    }

    // ----- event handlers -------------------------------------------------------------

    /// Create (`created`) or Modify of a real path.
    fn on_content(&mut self, path: PathBuf, now: Instant, created: bool) {
        if let Some(seq) = self.fresh_ancestor(&path) {
            self.touch(seq, now);
        } else if let Some(&seq) = self.reads.get(&path) {
            self.touch(seq, now);
        } else {
            let kind = if created {
                OpKind::Created {
                    path,
                    shadow: false,
                }
            } else {
                OpKind::Modified { path }
            };
            self.insert(kind, now);
        }
    }

    /// Something arrived at `path` from a place the consumer does not know (moved in from
    /// outside, renamed from an ignored name, renamed from a file created in this window).
    fn on_appear(&mut self, path: PathBuf, now: Instant) {
        if let Some(seq) = self.fresh_ancestor(&path) {
            self.touch(seq, now);
            return;
        }
        // A rename replaces what was there.
        self.take_reads_under(&path);
        self.insert(OpKind::Created { path, shadow: true }, now);
    }

    fn on_remove(&mut self, path: PathBuf, now: Instant) {
        if let Some(seq) = self.fresh_ancestor(&path) {
            self.touch(seq, now);
            return;
        }
        let unknown = matches!(
            self.read_kind(&path),
            Some(OpKind::Created { shadow: false, .. })
        );
        self.take_reads_under(&path);
        if unknown {
            // Created and removed in the same window: the consumer never needs to know.
            return;
        }
        self.collapse_views_under(&path, now);
        self.insert(
            OpKind::Removed {
                path: path.clone(),
                cookie: None,
            },
            now,
        );
        self.reappend_ancestor_reads(&path);
    }

    fn on_rename_from(&mut self, path: PathBuf, cookie: Option<usize>, now: Instant) {
        let Some(cookie) = cookie else {
            // Unpairable: the best knowledge is that it left.
            self.on_remove(path, now);
            return;
        };
        let expires = now + self.options.debounce;
        if let Some(seq) = self.fresh_ancestor(&path) {
            self.touch(seq, now);
            self.pending_from
                .insert(cookie, PendingFrom::Unknown { path, expires });
            return;
        }
        if let Some(OpKind::Created { shadow, .. }) = self.read_kind(&path) {
            let shadow = *shadow;
            if shadow {
                // The consumer may hold a stale record here: clear it.
                self.on_remove(path.clone(), now);
            } else {
                self.take_reads_under(&path);
            }
            self.pending_from
                .insert(cookie, PendingFrom::Unknown { path, expires });
            return;
        }
        let moved = self.take_reads_under(&path);
        let seq = self.insert(
            OpKind::Removed {
                path: path.clone(),
                cookie: Some(cookie),
            },
            now,
        );
        self.reappend_ancestor_reads(&path);
        self.pending_from
            .insert(cookie, PendingFrom::Known { path, seq, moved });
    }

    fn on_rename_to(&mut self, path: PathBuf, cookie: Option<usize>, now: Instant) {
        let pending = cookie.and_then(|c| self.pending_from.remove(&c));
        let class = self.classify(&path);
        match pending {
            Some(PendingFrom::Known {
                path: from,
                seq,
                moved,
            }) => {
                if class != Class::Real {
                    // Renamed to an ignored name or out of the roots: the placeholder stays
                    // what it already is, a removal.
                    self.clear_cookie(seq);
                    return;
                }
                // The rename is applied now, at the end of the log: only correct if nothing
                // after its first half concerns the old path.
                let movable = self.log.contains_key(&seq)
                    && self.latest_view_related(&from) == Some(seq)
                    && self.reads_under(&from).is_empty();
                if movable {
                    self.remove(seq);
                    self.rename_known(from, path, moved, now);
                } else {
                    self.clear_cookie(seq);
                    self.on_appear(path, now);
                }
            }
            Some(PendingFrom::Unknown { .. }) | None => {
                if class == Class::Real {
                    self.on_appear(path, now);
                }
            }
        }
    }

    fn on_rename_both(&mut self, from: PathBuf, to: PathBuf, now: Instant) {
        let first_half = self
            .pending_from
            .iter()
            .find(|(_, pending)| pending.path() == from)
            .map(|(&cookie, _)| cookie);
        if let Some(cookie) = first_half {
            self.on_rename_to(to, Some(cookie), now);
            return;
        }
        match (self.classify(&from), self.classify(&to)) {
            (Class::Real, Class::Real) => self.on_rename(from, to, now),
            (Class::Real, _) => self.on_remove(from, now),
            (Class::Root, to_class) => {
                self.rescan(&from, now);
                if to_class == Class::Real {
                    self.on_appear(to, now);
                }
            }
            (_, Class::Real) => self.on_appear(to, now),
            _ => {}
        }
    }

    /// A paired rename between two real paths.
    fn on_rename(&mut self, from: PathBuf, to: PathBuf, now: Instant) {
        if from == to {
            return;
        }
        if let Some(seq) = self.fresh_ancestor(&from) {
            self.touch(seq, now);
            self.on_appear(to, now);
            return;
        }
        if let Some(OpKind::Created { shadow, .. }) = self.read_kind(&from) {
            // Created in this window then renamed: the consumer only needs the final name.
            if *shadow {
                self.on_remove(from, now);
            } else {
                self.take_reads_under(&from);
            }
            self.on_appear(to, now);
            return;
        }
        let moved = self.take_reads_under(&from);
        self.rename_known(from, to, moved, now);
    }

    /// Renames a path the consumer knows; `moved` are the content operations that were
    /// pending under `from`.
    fn rename_known(&mut self, from: PathBuf, to: PathBuf, moved: Vec<Op>, now: Instant) {
        if let Some(seq) = self.fresh_ancestor(&to) {
            // Into a directory whose `Created` is pending: the consumer will scan it, and
            // must not already know anything under it (that is what lets events there fold
            // into it). So the file left `from`, and the scan finds it.
            drop(moved);
            self.on_remove(from, now);
            self.touch(seq, now);
            return;
        }
        let replaced = self.take_reads_under(&to);
        // Known to replace a file the consumer holds: never merge it away (rule: when in
        // doubt, emit more).
        let clobbers = replaced.iter().any(|op| match &op.kind {
            OpKind::Modified { path } => *path == to,
            OpKind::Created { path, shadow } => *path == to && *shadow,
            _ => false,
        });
        if !self.merge_chain(&from, &to, clobbers, now) {
            self.insert(
                OpKind::Renamed {
                    from: from.clone(),
                    to: to.clone(),
                    clobbers,
                },
                now,
            );
        }
        self.reappend_ancestor_reads(&from);
        self.reappend_ancestor_reads(&to);
        for op in moved {
            let op = op.rebase(&from, &to);
            self.insert(op.kind, op.touched);
        }
    }

    /// `x→from` pending and now `from→to`: becomes `x→to` (or nothing when `x == to`) in
    /// place, if no later view operation concerns `x`, `from` or `to`.
    fn merge_chain(&mut self, from: &Path, to: &Path, clobbers: bool, now: Instant) -> bool {
        let Some(&seq) = self.views.get(from).and_then(|set| set.last()) else {
            return false;
        };
        let Some(Op {
            kind:
                OpKind::Renamed {
                    from: origin,
                    to: middle,
                    clobbers: false,
                },
            ..
        }) = self.log.get(&seq)
        else {
            return false;
        };
        if middle != from {
            return false;
        }
        let origin = origin.clone();
        if origin != to && (origin.starts_with(to) || to.starts_with(&origin)) {
            // `a/b→c→a` would become a move onto its own ancestor: keep both steps.
            return false;
        }
        let later = |p: &Path| self.latest_view_related(p).is_some_and(|s| s > seq);
        if later(&origin) || later(from) || later(to) {
            return false;
        }
        self.remove(seq);
        // `x→from→x`: back where it was, nothing to tell.
        if origin != to {
            let kind = OpKind::Renamed {
                from: origin,
                to: to.to_path_buf(),
                clobbers,
            };
            self.insert_at(seq, Op { kind, touched: now });
        }
        true
    }

    /// Drops everything pending under `root` and queues one `Rescan{root}`.
    fn rescan(&mut self, root: &Path, now: Instant) {
        if self.rescans.contains_key(root) {
            return;
        }
        self.purge_under(root, now);
        self.insert(
            OpKind::Rescan {
                root: root.to_path_buf(),
            },
            now,
        );
    }

    fn purge_under(&mut self, root: &Path, now: Instant) {
        self.take_reads_under(root);
        let seqs: BTreeSet<u64> = under(&self.views, root)
            .flat_map(|(_, set)| set.iter().copied())
            .collect();
        let mut appeared = Vec::new();
        for seq in seqs {
            let Some(op) = self.remove(seq) else { continue };
            match op.kind {
                OpKind::Removed {
                    cookie: Some(cookie),
                    ..
                } => {
                    self.pending_from.remove(&cookie);
                }
                OpKind::Renamed { from, to, .. } => {
                    match (from.starts_with(root), to.starts_with(root)) {
                        (true, true) => {}
                        // Moved out of the root into another one: a creation there.
                        (true, false) => appeared.push(to),
                        // Moved in from another root: that root lost it. Same position.
                        (false, _) => {
                            let kind = OpKind::Removed {
                                path: from,
                                cookie: None,
                            };
                            self.insert_at(seq, Op { kind, ..op });
                        }
                    }
                }
                _ => {}
            }
        }
        self.pending_from
            .retain(|_, pending| !pending.path().starts_with(root));
        for path in appeared {
            if self.classify(&path) == Class::Real {
                self.on_appear(path, now);
            }
        }
    }

    /// A directory is being removed: earlier removals and internal renames under it are
    /// subsumed, when nothing after them concerns their paths.
    fn collapse_views_under(&mut self, dir: &Path, now: Instant) {
        let seqs: BTreeSet<u64> = under(&self.views, dir)
            .filter(|(path, _)| path.as_path() != dir)
            .flat_map(|(_, set)| set.iter().copied())
            .collect();
        for seq in seqs.into_iter().rev() {
            let Some(op) = self.log.get(&seq) else {
                continue;
            };
            let strictly_under = |p: &Path| p != dir && p.starts_with(dir);
            let subsumed = match &op.kind {
                OpKind::Removed { path, .. } => strictly_under(path),
                OpKind::Renamed { from, to, .. } => strictly_under(from) && strictly_under(to),
                _ => false,
            };
            let last = op
                .paths()
                .iter()
                .all(|p| self.latest_view_related(p) == Some(seq));
            if !(subsumed && last) {
                continue;
            }
            if let Some(Op {
                kind:
                    OpKind::Removed {
                        path,
                        cookie: Some(cookie),
                    },
                ..
            }) = self.remove(seq)
            {
                // Its second half, if it comes, now brings something unknown.
                let expires = now + self.options.debounce;
                self.pending_from
                    .insert(cookie, PendingFrom::Unknown { path, expires });
            }
        }
    }

    // ----- queries ----------------------------------------------------------------------

    fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.components().count())
            .map(PathBuf::as_path)
    }

    fn classify(&self, path: &Path) -> Class {
        let Some(root) = self.root_of(path) else {
            return Class::Outside;
        };
        if self.rescans.contains_key(root) {
            return Class::Outside;
        }
        match path.strip_prefix(root) {
            Ok(rest) if rest.as_os_str().is_empty() => Class::Root,
            Ok(rest) if is_ignored(rest) => Class::Ignored,
            Ok(_) => Class::Real,
            Err(_) => Class::Outside,
        }
    }

    fn read_kind(&self, path: &Path) -> Option<&OpKind> {
        self.reads
            .get(path)
            .and_then(|seq| self.log.get(seq))
            .map(|op| &op.kind)
    }

    /// The pending `Created` of a directory above `path`, if any: events under it fold into
    /// it, since the consumer will scan that directory.
    fn fresh_ancestor(&self, path: &Path) -> Option<u64> {
        path.ancestors().skip(1).find_map(|ancestor| {
            let seq = *self.reads.get(ancestor)?;
            matches!(self.log.get(&seq)?.kind, OpKind::Created { .. }).then_some(seq)
        })
    }

    fn reads_under(&self, path: &Path) -> Vec<u64> {
        under(&self.reads, path).map(|(_, &seq)| seq).collect()
    }

    /// The latest view operation or rescan on `path`, an ancestor or a descendant.
    fn latest_view_related(&self, path: &Path) -> Option<u64> {
        let at_or_above = path.ancestors().flat_map(|a| {
            let view = self.views.get(a).and_then(|set| set.last().copied());
            view.into_iter().chain(self.rescans.get(a).copied())
        });
        let below = under(&self.views, path)
            .filter_map(|(_, set)| set.last().copied())
            .chain(under(&self.rescans, path).map(|(_, &seq)| seq));
        at_or_above.chain(below).max()
    }

    /// The earliest pending operation of any kind on `path`, an ancestor or a descendant.
    fn earliest_related(&self, path: &Path) -> Option<u64> {
        let at_or_above = path.ancestors().flat_map(|a| {
            let read = self.reads.get(a).copied();
            let view = self.views.get(a).and_then(|set| set.first().copied());
            read.into_iter()
                .chain(view)
                .chain(self.rescans.get(a).copied())
        });
        let below = under(&self.reads, path)
            .map(|(_, &seq)| seq)
            .chain(under(&self.views, path).filter_map(|(_, set)| set.first().copied()))
            .chain(under(&self.rescans, path).map(|(_, &seq)| seq));
        at_or_above.chain(below).min()
    }

    // ----- log maintenance ------------------------------------------------------------

    fn insert(&mut self, kind: OpKind, touched: Instant) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.insert_at(seq, Op { kind, touched });
        seq
    }

    fn insert_at(&mut self, seq: u64, op: Op) {
        self.ready.insert((op.ready_at(&self.options), seq));
        match &op.kind {
            OpKind::Created { path, .. } | OpKind::Modified { path } => {
                // Callers clear a path before adding content for it; keep one anyway.
                if let Some(&old) = self.reads.get(path) {
                    self.remove(old);
                }
                self.reads.insert(path.clone(), seq);
            }
            OpKind::Removed { path, .. } => {
                self.views.entry(path.clone()).or_default().insert(seq);
            }
            OpKind::Renamed { from, to, .. } => {
                self.views.entry(from.clone()).or_default().insert(seq);
                self.views.entry(to.clone()).or_default().insert(seq);
            }
            OpKind::Rescan { root } => {
                self.rescans.insert(root.clone(), seq);
            }
        }
        self.log.insert(seq, op);
    }

    fn remove(&mut self, seq: u64) -> Option<Op> {
        let op = self.log.remove(&seq)?;
        self.ready.remove(&(op.ready_at(&self.options), seq));
        match &op.kind {
            OpKind::Created { path, .. } | OpKind::Modified { path } => {
                if self.reads.get(path) == Some(&seq) {
                    self.reads.remove(path);
                }
            }
            OpKind::Removed { .. } | OpKind::Renamed { .. } => {
                for path in op.paths() {
                    if let Some(set) = self.views.get_mut(path) {
                        set.remove(&seq);
                        if set.is_empty() {
                            self.views.remove(path);
                        }
                    }
                }
            }
            OpKind::Rescan { root } => {
                if self.rescans.get(root) == Some(&seq) {
                    self.rescans.remove(root);
                }
            }
        }
        Some(op)
    }

    fn touch(&mut self, seq: u64, now: Instant) {
        if let Some(op) = self.log.get_mut(&seq) {
            let before = op.ready_at(&self.options);
            op.touched = op.touched.max(now);
            let after = op.ready_at(&self.options);
            if after != before {
                self.ready.remove(&(before, seq));
                self.ready.insert((after, seq));
            }
        }
    }

    /// Removes and returns the content operations at or under `path`.
    fn take_reads_under(&mut self, path: &Path) -> Vec<Op> {
        self.reads_under(path)
            .into_iter()
            .filter_map(|seq| self.remove(seq))
            .collect()
    }

    /// Moves content operations on ancestors of `path` to the end of the log, after a view
    /// operation on `path` that was just appended.
    fn reappend_ancestor_reads(&mut self, path: &Path) {
        let seqs: Vec<u64> = path
            .ancestors()
            .skip(1)
            .filter_map(|a| self.reads.get(a).copied())
            .collect();
        for seq in seqs {
            if let Some(op) = self.remove(seq) {
                self.insert(op.kind, op.touched);
            }
        }
    }

    /// A pending rename's first half will not be paired any more: it stays a removal.
    fn clear_cookie(&mut self, seq: u64) {
        if let Some(Op {
            kind: OpKind::Removed { cookie, .. },
            ..
        }) = self.log.get_mut(&seq)
        {
            *cookie = None;
        }
    }
}
