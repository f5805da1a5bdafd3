//! The writer thread: the only code that mutates the catalog and the vector index.
//!
//! It takes [`WriteOp`]s in arrival order, applies as many as are queued in one SQLite
//! transaction, then mirrors the committed vectors into the index. The index is saved every
//! few seconds and whenever the library goes idle; a crash between the two is repaired at the
//! next open, because the index is reconciled with the catalog (the source of truth).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use glimpse_catalog::{Catalog, ContentId, FolderId};

use crate::library::Shared;
use crate::models::{Slot, Slots};
use crate::ops::WriteOp;
use crate::{Event, LibraryError, Result};

/// Query vectors kept per model: the texts of the last searches, with the prefetched
/// prefixes typed on the way to them (2 KB each for a 512-d model).
pub(crate) const KEPT_QUERY_VECTORS: usize = 256;

/// `meta` keys of measured model speeds: this prefix and the model's name.
pub(crate) const SPEED_KEY_PREFIX: &str = "speed:";

/// Most ops applied in one transaction: large enough to amortise the commit, small enough
/// that progress events and searches see new photos promptly.
const MAX_OPS_PER_TRANSACTION: usize = 256;
/// How often a changed index is saved while work goes on.
const INDEX_SAVE_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) struct Writer {
    catalog: Catalog,
    shared: Arc<Shared>,
    /// Ids of the models whose index changed since it was saved.
    dirty: HashSet<String>,
    last_save: Instant,
}

/// Vectors keyed by content id, as the index takes them.
type Keyed = Vec<(u64, Vec<f32>)>;

/// What one transaction produced, applied to the index and announced after commit.
#[derive(Default)]
struct Outcome {
    /// New vectors, per model.
    vectors: Vec<(Arc<Slot>, Keyed)>,
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
            dirty: HashSet::new(),
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
                WriteOp::SwitchTo { next, reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    let result = self.guard(|w| w.switch_to(next));
                    let _ = reply.send(result);
                }
                WriteOp::Promote { reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    let result = self.guard(|w| w.promote(false));
                    let _ = reply.send(result);
                }
                WriteOp::CancelSwitch { reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    let result = self.guard(|w| w.cancel_switch());
                    let _ = reply.send(result);
                }
                WriteOp::RemoveModel { id, reply } => {
                    self.apply_data(std::mem::take(&mut data));
                    // Refused, not failed: a store failure would stop the pipeline.
                    let result = if self.shared.slots().all().any(|s| s.id == id) {
                        Err(LibraryError::ModelInUse(id))
                    } else {
                        self.guard(|w| w.remove_model(&id))
                    };
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
                WriteOp::Embedded(_, items) => items.iter().map(|i| i.file.path.clone()).collect(),
                WriteOp::Reused { file, .. }
                | WriteOp::Failed { file, .. }
                | WriteOp::Vanished { file } => vec![file.path.clone()],
                _ => Vec::new(),
            })
            .collect();
        let counts: (u64, u64) = ops.iter().fold((0, 0), |(f, o), op| match op {
            WriteOp::Embedded(_, items) => (f + items.len() as u64, o),
            WriteOp::Reused { .. } | WriteOp::Failed { .. } | WriteOp::Vanished { .. } => {
                (f + 1, o)
            }
            WriteOp::ScanDone => (f, o + 1),
            _ => (f, o),
        });
        let outcome = self.guard(|w| {
            let mut outcome = w.catalog.transaction(|cat| apply(cat, &w.shared, ops))?;
            crate::stall::at(crate::stall::Point::Commit);
            for (slot, vectors) in std::mem::take(&mut outcome.vectors) {
                if !vectors.is_empty() {
                    slot.index.upsert_batch(&vectors)?;
                    w.dirty.insert(slot.id.clone());
                }
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
            let _ = self.guard(|w| w.promote_if_caught_up());
            self.shared.bus.emit(Event::Idle);
        }
    }

    /// Installs the model to switch to (or, if it is the search model, cancels a switch).
    fn switch_to(&mut self, next: Arc<Slot>) -> Result<()> {
        let mut slots = self.shared.slots();
        if slots.search.as_ref().is_some_and(|s| s.id == next.id) {
            return self.cancel_switch();
        }
        if let Some(old) = &slots.next
            && old.id != next.id
        {
            self.save_slot(old)?;
        }
        tracing::info!(
            model = next.id,
            "switching models: re-embedding the library"
        );
        slots.next = Some(next);
        self.shared.set_slots(slots);
        Ok(())
    }

    fn cancel_switch(&mut self) -> Result<()> {
        let mut slots = self.shared.slots();
        if let Some(old) = slots.next.take() {
            self.save_slot(&old)?;
            tracing::info!(
                model = old.id,
                "model switch cancelled; its vectors are kept"
            );
        }
        self.shared.set_slots(slots);
        Ok(())
    }

    /// Makes the model being switched to the search model.
    fn promote(&mut self, complete: bool) -> Result<()> {
        let mut slots = self.shared.slots();
        let Some(next) = slots.next.take() else {
            return Ok(());
        };
        if let Some(old) = slots.search.replace(next.clone()) {
            self.save_slot(&old)?;
        }
        self.save_slot(&next)?;
        self.shared.set_slots(slots);
        tracing::info!(model = next.id, complete, "model switched");
        self.shared.bus.emit(Event::ModelSwitched {
            model: next.id.clone(),
            complete,
        });
        Ok(())
    }

    /// Ends a switch once the new model has a vector for every searchable picture.
    fn promote_if_caught_up(&mut self) -> Result<()> {
        let Some(next) = self.shared.slots().next else {
            return Ok(());
        };
        let (total, done) = self.catalog.embedded_share(&next.id)?;
        if done >= total {
            self.promote(true)?;
        }
        Ok(())
    }

    fn remove_model(&mut self, id: &str) -> Result<u64> {
        let removed = self.catalog.transaction(|cat| cat.delete_embeddings(id))?;
        let path = self.shared.paths.vector_index(id);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LibraryError::io(&path, "cannot remove the vector index", e)),
        }
        tracing::info!(model = id, removed, "stored vectors removed");
        Ok(removed)
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
        let slots: Slots = self.shared.slots();
        for (id, hash) in &gone {
            for slot in slots.all() {
                slot.index.remove(*id as u64)?;
                self.dirty.insert(slot.id.clone());
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
        for slot in self.shared.slots().all() {
            self.save_slot(slot)?;
        }
        self.last_save = Instant::now();
        Ok(())
    }

    /// Saves one model's index if it changed.
    fn save_slot(&mut self, slot: &Slot) -> Result<()> {
        if self.dirty.remove(&slot.id) {
            slot.index
                .save_with_hook(&slot.index_path, |_| {
                    crate::stall::at(crate::stall::Point::IndexSave)
                })
                .inspect_err(|_| {
                    self.dirty.insert(slot.id.clone());
                })?;
        }
        Ok(())
    }

    fn save_if_due(&mut self, now: bool) {
        if !self.dirty.is_empty() && (now || self.last_save.elapsed() >= INDEX_SAVE_INTERVAL) {
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
            WriteOp::Embedded(slot, items) => {
                let mut vectors = Vec::with_capacity(items.len());
                for item in items {
                    out.files_done += 1;
                    if let Some(photo) = cat.photo_by_path(&item.file.path)? {
                        let content = cat.upsert_content(&item.hash, &item.facts)?;
                        cat.put_embedding(content, &slot.id, &item.vector)?;
                        cat.set_indexed(photo.id, content, item.file.size, item.file.mtime_ns)?;
                        out.thumbnails.push(content);
                        vectors.push((content as u64, item.vector));
                        shared.tracker.record(|r| r.embedded += 1);
                        crate::stall::at(crate::stall::Point::Batch);
                    }
                    out.last_path = Some(item.file.path);
                }
                out.vectors.push((slot, vectors));
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
            WriteOp::RecordSpeed(speed) => {
                // The first measurement is kept: later runs share the machine with whatever
                // else it does, and a figure that changes each time is no guide.
                let key = format!("{SPEED_KEY_PREFIX}{}", speed.model);
                if cat.meta(&key)?.is_none() {
                    let value = serde_json::to_string(&speed).unwrap_or_default();
                    cat.set_meta(&key, &value)?;
                    tracing::info!(?speed, "model speed measured");
                }
            }
            WriteOp::SetMeta { key, value } => cat.set_meta(&key, &value)?,
            WriteOp::QueryVector {
                embedder,
                text,
                vector,
            } => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros() as i64);
                cat.put_query_vector(&embedder, &text, &vector, now, KEPT_QUERY_VECTORS)?;
            }
            WriteOp::AddFolder { .. }
            | WriteOp::RemoveFolder { .. }
            | WriteOp::SwitchTo { .. }
            | WriteOp::Promote { .. }
            | WriteOp::CancelSwitch { .. }
            | WriteOp::RemoveModel { .. } => {
                unreachable!("control ops are handled by Writer::handle")
            }
        }
    }
    Ok(out)
}
