//! Opening the vector index and reconciling it with the catalog.
//!
//! The catalog is the source of truth; the index is derived. At open the index's keys are
//! compared with the contents that have a vector for the current embedder: extra keys are
//! removed, missing ones added from the stored vectors, and an index that is missing,
//! unreadable or built with other settings is rebuilt from the catalog.

use std::collections::HashSet;
use std::path::Path;

use glimpse_catalog::Catalog;
use glimpse_vectors::{IndexSettings, VectorIndex};

use crate::Result;

/// What reconciliation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    /// The whole index was rebuilt from the catalog.
    pub rebuilt: bool,
    /// Vectors added because the catalog had them and the index did not.
    pub added: u64,
    /// Keys removed because the catalog no longer has them.
    pub removed: u64,
}

impl Reconciliation {
    /// Adds another index's report to this one.
    pub(crate) fn merge(&mut self, other: Self) {
        self.rebuilt |= other.rebuilt;
        self.added += other.added;
        self.removed += other.removed;
    }
}

/// Vectors inserted per call while rebuilding, to bound memory.
const REBUILD_CHUNK: usize = 4096;

pub(crate) fn open_index(
    catalog: &Catalog,
    path: &Path,
    settings: IndexSettings,
    embedder_id: &str,
    requeue: bool,
) -> Result<(VectorIndex, Reconciliation)> {
    if requeue {
        let requeued = catalog.requeue_unembedded(embedder_id)?;
        if requeued > 0 {
            tracing::info!(requeued, "photos queued for the current model");
        }
    }
    let mut report = Reconciliation::default();
    let index = match path.exists().then(|| VectorIndex::load(path, settings)) {
        Some(Ok(index)) => index,
        Some(Err(e)) => {
            tracing::warn!(path = %path.display(), error = %e, "vector index unusable; rebuilding it from the catalog");
            report.rebuilt = true;
            VectorIndex::new(settings)?
        }
        None => {
            report.rebuilt = true;
            VectorIndex::new(settings)?
        }
    };

    if report.rebuilt {
        let mut chunk = Vec::with_capacity(REBUILD_CHUNK);
        let mut failure = None;
        catalog.for_each_embedding(embedder_id, |id, vector| {
            if failure.is_some() {
                return;
            }
            chunk.push((id as u64, vector));
            if chunk.len() == REBUILD_CHUNK {
                report.added += chunk.len() as u64;
                if let Err(e) = index.upsert_batch(&chunk) {
                    failure = Some(e);
                }
                chunk.clear();
            }
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        report.added += chunk.len() as u64;
        index.upsert_batch(&chunk)?;
    } else {
        let wanted: HashSet<u64> = catalog
            .embedded_content_ids(embedder_id)?
            .into_iter()
            .map(|id| id as u64)
            .collect();
        let present: HashSet<u64> = index.keys().into_iter().collect();
        for key in present.difference(&wanted) {
            index.remove(*key)?;
            report.removed += 1;
        }
        let mut missing = Vec::new();
        for key in wanted.difference(&present) {
            if let Some(v) = catalog.embedding(*key as i64, embedder_id)? {
                missing.push((*key, v));
            }
        }
        report.added = missing.len() as u64;
        index.upsert_batch(&missing)?;
    }
    if report.rebuilt || report.added > 0 || report.removed > 0 {
        tracing::info!(?report, "vector index reconciled with the catalog");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| crate::LibraryError::io(dir, "cannot create the index folder", e))?;
        }
        index.save_with_hook(path, |_| crate::stall::at(crate::stall::Point::IndexSave))?;
    }
    Ok((index, report))
}
