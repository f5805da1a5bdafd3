//! The pending operations of the [`crate::Debouncer`] and the small helpers around them.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Change, WatchOptions};

/// A pending operation. See the `debounce` module docs for view vs content operations.
#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    /// Content: the consumer does not know the file at `path`. `shadow`: it may still hold a
    /// stale record at `path` (the file arrived by a rename that can replace).
    Created { path: PathBuf, shadow: bool },
    /// Content: the consumer knows `path`; its content changed.
    Modified { path: PathBuf },
    /// View: `path` is gone. `cookie` is set while this is the first half of a rename whose
    /// second half may still come.
    Removed {
        path: PathBuf,
        cookie: Option<usize>,
    },
    /// View: `from` moved to `to`. `clobbers`: it is known to have replaced a file the
    /// consumer knew at `to`, so it must not be merged away.
    Renamed {
        from: PathBuf,
        to: PathBuf,
        clobbers: bool,
    },
    /// Content, for a whole root.
    Rescan { root: PathBuf },
}

#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    /// The last event that shaped this operation.
    pub(crate) touched: Instant,
}

impl Op {
    pub(crate) fn is_content(&self) -> bool {
        matches!(self.kind, OpKind::Created { .. } | OpKind::Modified { .. })
    }

    pub(crate) fn paths(&self) -> Vec<&Path> {
        match &self.kind {
            OpKind::Created { path, .. }
            | OpKind::Modified { path }
            | OpKind::Removed { path, .. } => vec![path],
            OpKind::Renamed { from, to, .. } => vec![from, to],
            OpKind::Rescan { root } => vec![root],
        }
    }

    pub(crate) fn ready_at(&self, options: &WatchOptions) -> Instant {
        if self.is_content() {
            self.touched + options.settle
        } else {
            self.touched + options.debounce
        }
    }

    pub(crate) fn into_change(self) -> Option<Change> {
        Some(match self.kind {
            OpKind::Created { path, .. } => Change::Created(path),
            OpKind::Modified { path } => Change::Modified(path),
            OpKind::Removed { path, .. } => Change::Removed(path),
            OpKind::Renamed { from, to, .. } if from == to => return None,
            OpKind::Renamed { from, to, .. } => Change::Renamed { from, to },
            OpKind::Rescan { root } => Change::Rescan { root },
        })
    }

    /// Moves a content operation from under `from` to the same place under `to`.
    pub(crate) fn rebase(mut self, from: &Path, to: &Path) -> Self {
        if let OpKind::Created { path, .. } | OpKind::Modified { path } = &mut self.kind
            && let Ok(rest) = path.strip_prefix(from)
        {
            *path = if rest.as_os_str().is_empty() {
                to.to_path_buf()
            } else {
                to.join(rest)
            };
        }
        self
    }
}

/// The first half of a rename, waiting for its second half.
#[derive(Debug)]
pub(crate) enum PendingFrom {
    /// The consumer does not know what left (it was created in this window): the second
    /// half becomes a creation.
    Unknown { path: PathBuf, expires: Instant },
    /// The consumer knows it: `seq` is the placeholder `Removed` in the log and `moved` the
    /// content operations that were pending under `path`.
    Known {
        path: PathBuf,
        seq: u64,
        moved: Vec<Op>,
    },
}

impl PendingFrom {
    pub(crate) fn path(&self) -> &Path {
        match self {
            PendingFrom::Unknown { path, .. } | PendingFrom::Known { path, .. } => path,
        }
    }
}

/// Entries of a path-keyed map at or under `path` (paths order component-wise, so a
/// directory's descendants follow it contiguously).
pub(crate) fn under<'a, V>(
    map: &'a BTreeMap<PathBuf, V>,
    path: &'a Path,
) -> impl Iterator<Item = (&'a PathBuf, &'a V)> + 'a {
    map.range::<Path, _>((Bound::Included(path), Bound::Unbounded))
        .take_while(move |(key, _)| key.starts_with(path))
}
