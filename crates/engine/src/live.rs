//! Live folders: file-system changes from `glimpse-watch` applied to the library.
//!
//! A batch of normalised changes becomes scans of the paths concerned (the scanner's diff
//! against the catalog decides what is new, changed or gone) and, for renames, a move of the
//! catalog rows so renamed and moved files and folders keep their embeddings without being
//! read again. A lost event stream or a root that vanished becomes a rescan of the folder,
//! which never empties a folder whose disk is merely unplugged.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;
use glimpse_catalog::{Catalog, Folder};
use glimpse_watch::{Batch, Change, Watcher};

use crate::library::{Shared, queue_scan_job};
use crate::ops::WriteOp;
use crate::scan::ScanJob;
use crate::{Library, Result};

/// Applies watcher batches; runs on the watcher's thread and only sends messages.
struct LiveApplier {
    shared: Arc<Shared>,
    writer: Sender<WriteOp>,
    scan: Sender<ScanJob>,
    catalog: Mutex<Catalog>,
}

fn covering<'a>(folders: &'a [Folder], path: &Path) -> Option<&'a Folder> {
    folders.iter().find(|f| path.starts_with(&f.path))
}

impl LiveApplier {
    fn apply(&self, batch: Batch) {
        if self.shared.is_shutting_down() {
            return;
        }
        let folders = match self
            .catalog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .folders()
        {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot read folders; changes dropped");
                return;
            }
        };
        tracing::debug!(
            changes = batch.changes.len(),
            "applying file-system changes"
        );
        for change in batch.changes {
            match change {
                Change::Created(path) | Change::Modified(path) | Change::Removed(path) => {
                    self.scan(&folders, &path);
                }
                Change::Renamed { from, to } => {
                    let to_folder = covering(&folders, &to).map(|f| f.id);
                    if covering(&folders, &from).is_some() {
                        let _ = self.writer.send(WriteOp::Moved {
                            from,
                            to: to.clone(),
                            to_folder,
                        });
                    }
                    // Anything at the destination the rows did not account for (a file
                    // moved in from outside, a changed file) is found by a scan.
                    self.scan(&folders, &to);
                }
                Change::Rescan { root } => self.scan(&folders, &root),
            }
        }
    }

    fn scan(&self, folders: &[Folder], path: &Path) {
        if let Some(folder) = covering(folders, path) {
            queue_scan_job(
                &self.shared,
                &self.scan,
                ScanJob {
                    folder: folder.id,
                    root: path.to_path_buf(),
                    is_folder_root: folder.path == path,
                },
            );
        }
    }
}

impl Library {
    /// Follows changes in every folder of the library from now on (and in folders added
    /// later): new and changed photos are indexed, removed ones leave, renamed and moved
    /// ones keep their embedding. Call [`Library::resume`] as well to catch up with changes
    /// made while Glimpse was not running.
    pub fn watch(&self) -> Result<()> {
        let mut guard = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_some() {
            return Ok(());
        }
        let (Some(writer), Some(scan)) = (self.writer_sender(), self.scan_sender()) else {
            return Err(crate::LibraryError::Stopped(
                "the library is closing".into(),
            ));
        };
        let applier = LiveApplier {
            shared: self.shared.clone(),
            writer,
            scan,
            catalog: Mutex::new(Catalog::open_read_only(&self.shared.paths.catalog())?),
        };
        let watcher = Watcher::new(self.watch_options, move |batch| applier.apply(batch))?;
        for folder in self.reader()?.folders()? {
            if let Err(e) = watcher.watch(&folder.path) {
                tracing::warn!(folder = %folder.path.display(), error = %e, "cannot watch");
            }
        }
        *guard = Some(watcher);
        Ok(())
    }

    /// Whether folders are being watched.
    pub fn is_watching(&self) -> bool {
        self.watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Keeps the watcher's roots equal to the library's folders after a change.
    pub(crate) fn sync_watched_roots(&self) {
        let guard = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        let Some(watcher) = guard.as_ref() else {
            return;
        };
        let Ok(folders) = self.reader().and_then(|r| Ok(r.folders()?)) else {
            return;
        };
        for root in watcher.roots() {
            if !folders.iter().any(|f| f.path == root) {
                let _ = watcher.unwatch(&root);
            }
        }
        for folder in folders {
            if let Err(e) = watcher.watch(&folder.path) {
                tracing::warn!(folder = %folder.path.display(), error = %e, "cannot watch");
            }
        }
    }
}
