//! The writer thread: the only code that mutates the catalog and the vector index.
//!
//! It takes [`WriteOp`]s in arrival order, applies as many as are queued in one SQLite
//! transaction, then mirrors the committed vectors into the index. The index is saved every
//! few seconds and whenever the library goes idle; a crash between the two is repaired at the
//! next open, because the index is reconciled with the catalog (the source of truth).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use glimpse_catalog::{Catalog, ContentId, FolderId};

use crate::library::Shared;
use crate::ops::WriteOp;
use crate::{Event, LibraryError, Result};

/// Most ops applied in one transaction: large enough to amortise the commit, small enough
/// that progress events and searches see new photos promptly.
const MAX_OPS_PER_TRANSACTION: usize = 256;
/// How often a changed index is saved while work goes on.
const INDEX_SAVE_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) struct Writer {
    catalog: Catalog,
    shared: Arc<Shared>,
    dirty: bool,
    last_save: Instant,
}

/// What one transaction produced, applied to the index and announced after commit.
#[derive(Default)]
struct Outcome {
    vectors: Vec<(u64, Vec<f32>)>,
    thumbnails: Vec<ContentId>,
    failures: Vec<(std::path::PathBuf, String)>,
    files_done: u64,
    other_done: u64,
    last_path: Option<std::path::PathBuf>,
}

impl Writer {
    pub(crate) fn new(catalog: Catalog, shared: Arc<Shared>) -> Self {
        Self {
            catalog,
            shared,
            dirty: false,
            last_save: Instant::now(),
        }
    }

    pub(crate) fn run(mut self, rx: Receiver<WriteOp>) {
        loop {
            let first = match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => {
                    self.save_if_due(false);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_OPS_PER_TRANSACTION {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            self.handle(batch);
            self.save_if_due(false);
        }
        self.save_if_due(true);
    }

    fn handle(&mut self, batch: Vec<WriteOp>) {
        let mut data = Vec::with_capacity(batch.len());
        for op in batch {
            match op {
                WriteOp::AddFolder { path, reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    let result = self.guard(|w| w.add_folder(&path));
                    let _ = reply.send(result);
                }
                WriteOp::RemoveFolder { id, reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    let result = self.guard(|w| w.remove_folder(id));
                    let _ = reply.send(result);
                }
                other => data.push(other),
            }
        }
        self.apply_data(data);
    }

    /// Runs a store operation unless the pipeline has stopped; a failure stops it.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if let Some(message) = self.shared.stopped_reason() {
            return Err(LibraryError::Stopped(message));
        }
        f(self).inspect_err(|e| self.shared.stop(e))
    }

    fn apply_data(&mut self, ops: Vec<WriteOp>) {
        if ops.is_empty() {
            return;
        }
        let finished: Vec<std::path::PathBuf> = ops
            .iter()
            .flat_map(|op| match op {
                WriteOp::Embedded(items) => items.iter().map(|i| i.file.path.clone()).collect(),
                WriteOp::Reused { file, .. }
                | WriteOp::Failed { file, .. }
                | WriteOp::Vanished { file } => vec![file.path.clone()],
                _ => Vec::new(),
            })
            .collect();
        let counts: (u64, u64) = ops.iter().fold((0, 0), |(f, o), op| match op {
            WriteOp::Embedded(items) => (f + items.len() as u64, o),
            WriteOp::Reused { .. } | WriteOp::Failed { .. } | WriteOp::Vanished { .. } => {
                (f + 1, o)
            }
            WriteOp::ScanDone => (f, o + 1),
            _ => (f, o),
        });
        let outcome = self.guard(|w| {
            let outcome = w.catalog.transaction(|cat| apply(cat, &w.shared, ops))?;
            crate::stall::at(crate::stall::Point::Commit);
            if let Some(index) = &w.shared.index
                && !outcome.vectors.is_empty()
            {
                index.upsert_batch(&outcome.vectors)?;
                w.dirty = true;
            }
            Ok(outcome)
        });
        // Whatever happened, the work is finished: waiters must never hang on a failure.
        let outcome = outcome.unwrap_or(Outcome {
            files_done: counts.0,
            other_done: counts.1,
            ..Outcome::default()
        });
        self.shared.release(finished.iter().map(|p| p.as_path()));
        for (path, reason) in outcome.failures {
            self.shared.bus.emit(Event::ItemFailed { path, reason });
        }
        if !outcome.thumbnails.is_empty() {
            self.shared.bus.emit(Event::ThumbnailsReady {
                contents: outcome.thumbnails,
            });
        }
        let mut idle = false;
        if outcome.files_done > 0 {
            let (event, now_idle) =
                self.shared
                    .tracker
                    .finish(outcome.files_done, true, outcome.last_path);
            if let Some(event) = event {
                self.shared.bus.emit(event);
            }
            idle |= now_idle;
        }
        if outcome.other_done > 0 {
            idle |= self
                .shared
                .tracker
                .finish(outcome.other_done, false, None)
                .1;
        }
        if idle {
            let _ = self.guard(|w| w.flush());
            self.shared.bus.emit(Event::Idle);
        }
    }

    fn add_folder(&mut self, path: &Path) -> Result<FolderId> {
        let folders = self.catalog.folders()?;
        if let Some(f) = folders.iter().find(|f| path.starts_with(&f.path)) {
            // Already covered by itself or a parent folder.
            return Ok(f.id);
        }
        let id = self.catalog.transaction(|cat| {
            let id = cat.add_folder(path)?;
            for child in folders.iter().filter(|f| f.path.starts_with(path)) {
                cat.adopt_photos_under(&child.path, id)?;
                cat.remove_folder(child.id)?;
            }
            Ok(id)
        })?;
        self.shared.bus.emit(Event::FoldersChanged);
        Ok(id)
    }

    fn remove_folder(&mut self, id: FolderId) -> Result<()> {
        self.catalog.transaction(|cat| cat.remove_folder(id))?;
        self.collect_garbage()?;
        self.shared.bus.emit(Event::FoldersChanged);
        Ok(())
    }

    /// Drops contents no photo uses any more from the catalog, the index and the thumbnail
    /// cache.
    fn collect_garbage(&mut self) -> Result<()> {
        let gone = self.catalog.transaction(|cat| cat.collect_garbage())?;
        for (id, hash) in &gone {
            if let Some(index) = &self.shared.index {
                index.remove(*id as u64)?;
                self.dirty = true;
            }
            let thumb = self.shared.paths.thumbnail(hash);
            if let Err(e) = std::fs::remove_file(&thumb)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %thumb.display(), error = %e, "cannot remove thumbnail");
            }
        }
        if !gone.is_empty() {
            tracing::debug!(count = gone.len(), "collected unused contents");
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.collect_garbage()?;
        self.save_index()?;
        self.shared.tracker.mark_idle();
        Ok(())
    }

    fn save_index(&mut self) -> Result<()> {
        if let (true, Some(index), Some(path)) =
            (self.dirty, &self.shared.index, &self.shared.index_path)
        {
            index.save_with_hook(path, |_| crate::stall::at(crate::stall::Point::IndexSave))?;
            self.dirty = false;
            self.last_save = Instant::now();
        }
        Ok(())
    }

    fn save_if_due(&mut self, now: bool) {
        if self.dirty && (now || self.last_save.elapsed() >= INDEX_SAVE_INTERVAL) {
            let _ = self.guard(|w| w.save_index());
        }
    }
}

/// Applies data ops inside one transaction.
fn apply(cat: &Catalog, shared: &Shared, ops: Vec<WriteOp>) -> glimpse_catalog::Result<Outcome> {
    let mut out = Outcome::default();
    let mut folder_ok = std::collections::HashMap::new();
    for op in ops {
        match op {
            WriteOp::Pending(photos) => {
                for p in photos {
                    // The folder may have been removed while its scan was running.
                    let exists = *folder_ok
                        .entry(p.folder)
                        .or_insert_with(|| cat.folder(p.folder).ok().flatten().is_some());
                    if exists {
                        cat.insert_photo(&p)?;
                    }
                }
            }
            WriteOp::Removed(ids) => {
                let mut n = 0;
                for id in ids {
                    n += u64::from(cat.delete_photo(id)?);
                }
                shared.tracker.record(|r| r.removed += n);
            }
            WriteOp::Reused {
                file,
                content,
                thumbnail_written,
            } => {
                out.files_done += 1;
                if let Some(photo) = cat.photo_by_path(&file.path)? {
                    cat.set_indexed(photo.id, content, file.size, file.mtime_ns)?;
                    shared.tracker.record(|r| r.reused += 1);
                    if thumbnail_written {
                        out.thumbnails.push(content);
                    }
                }
                out.last_path = Some(file.path);
            }
            WriteOp::Embedded(items) => {
                let embedder = shared.embedder_id.as_deref().unwrap_or_default();
                for item in items {
                    out.files_done += 1;
                    if let Some(photo) = cat.photo_by_path(&item.file.path)? {
                        let content = cat.upsert_content(&item.hash, &item.facts)?;
                        cat.put_embedding(content, embedder, &item.vector)?;
                        cat.set_indexed(photo.id, content, item.file.size, item.file.mtime_ns)?;
                        out.thumbnails.push(content);
                        out.vectors.push((content as u64, item.vector));
                        shared.tracker.record(|r| r.embedded += 1);
                        crate::stall::at(crate::stall::Point::Batch);
                    }
                    out.last_path = Some(item.file.path);
                }
            }
            WriteOp::Failed { file, reason } => {
                out.files_done += 1;
                if let Some(photo) = cat.photo_by_path(&file.path)? {
                    cat.set_failed(photo.id, &reason)?;
                    shared.tracker.record(|r| r.failed += 1);
                    out.failures.push((file.path.clone(), reason));
                }
                out.last_path = Some(file.path);
            }
            WriteOp::Vanished { file } => {
                out.files_done += 1;
                if let Some(photo) = cat.photo_by_path(&file.path)? {
                    cat.delete_photo(photo.id)?;
                    shared.tracker.record(|r| r.removed += 1);
                }
            }
            WriteOp::Moved {
                from,
                to,
                to_folder,
            } => {
                let mut rows = cat.photos_under(&from)?;
                rows.extend(cat.photo_by_path(&from)?);
                let (mut moved, mut removed) = (0, 0);
                for row in rows {
                    let Ok(rest) = row.path.strip_prefix(&from) else {
                        continue;
                    };
                    let new_path = if rest.as_os_str().is_empty() {
                        to.clone()
                    } else {
                        to.join(rest)
                    };
                    match to_folder {
                        Some(folder) => {
                            // The move replaced whatever was at the destination.
                            if let Some(old) = cat.photo_by_path(&new_path)?
                                && old.id != row.id
                            {
                                cat.delete_photo(old.id)?;
                            }
                            cat.rename_photo(row.id, folder, &new_path)?;
                            moved += 1;
                        }
                        None => {
                            cat.delete_photo(row.id)?;
                            removed += 1;
                        }
                    }
                }
                shared.tracker.record(|r| {
                    r.reused += moved;
                    r.removed += removed;
                });
            }
            WriteOp::ScanDone => out.other_done += 1,
            WriteOp::AddFolder { .. } | WriteOp::RemoveFolder { .. } => {
                unreachable!("control ops are handled by Writer::handle")
            }
        }
    }
    Ok(out)
}
