//! A consistency check of the stores, for `glimpse status --check`, the crash tests and
//! anyone who wonders whether their library is healthy.

use std::collections::HashSet;

use serde::Serialize;

use crate::{Library, Result};

/// What [`Library::check`] found. Healthy when every list is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Messages of SQLite's integrity check.
    pub integrity: Vec<String>,
    /// Contents with a vector in the catalog but not in the index.
    pub missing_from_index: Vec<i64>,
    /// Keys in the index the catalog has no vector for.
    pub unknown_in_index: Vec<u64>,
    /// Searchable photos whose content has no vector for the current model.
    pub indexed_without_vector: Vec<i64>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_healthy(&self) -> bool {
        self.integrity.is_empty()
            && self.missing_from_index.is_empty()
            && self.unknown_in_index.is_empty()
            && self.indexed_without_vector.is_empty()
    }
}

impl Library {
    /// Checks the catalog's integrity and that the vector index holds exactly the catalog's
    /// vectors. Call it when idle: work in flight is legitimately between the two.
    pub fn check(&self) -> Result<CheckReport> {
        let reader = self.reader()?;
        let mut report = CheckReport {
            integrity: reader.integrity_problems()?,
            ..CheckReport::default()
        };
        // Every loaded model's index must mirror its vectors; only the search model's
        // vectors must cover every searchable photo (the next one is still catching up).
        let slots = self.shared.slots();
        for slot in slots.all() {
            let (index, embedder) = (&slot.index, &slot.id);
            let wanted: HashSet<u64> = reader
                .embedded_content_ids(embedder)?
                .into_iter()
                .map(|id| id as u64)
                .collect();
            let present: HashSet<u64> = index.keys().into_iter().collect();
            report
                .missing_from_index
                .extend(wanted.difference(&present).map(|k| *k as i64));
            report
                .unknown_in_index
                .extend(present.difference(&wanted).copied());
        }
        if let Some(search) = &slots.search
            && slots.next.is_none()
        {
            report.indexed_without_vector = reader.indexed_without_vector(&search.id)?;
        }
        Ok(report)
    }
}
