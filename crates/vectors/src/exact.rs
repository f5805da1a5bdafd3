//! [`ExactIndex`]: brute-force cosine search in f32, the oracle for recall tests.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::vector::{dot, normalized};
use crate::{Hit, VectorError};

/// Exact nearest-neighbour search: every query is compared with every stored vector, in
/// f32. O(n·dim) per query, so meant as the test oracle for [`crate::VectorIndex`] (and
/// usable for small sets). `Send + Sync`; same semantics as `VectorIndex`: upsert replaces,
/// vectors are normalised, scores are cosine similarities, ties broken by ascending key.
#[derive(Debug)]
pub struct ExactIndex {
    dim: usize,
    inner: RwLock<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    keys: Vec<u64>,
    /// Unit vectors, row-major, `dim` per key, in the order of `keys`.
    vectors: Vec<f32>,
    positions: HashMap<u64, usize>,
}

impl ExactIndex {
    /// An empty index of `dim`-dimensional vectors.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            inner: RwLock::new(Rows::default()),
        }
    }

    /// Dimensions of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Inserts `vector` under `key`, replacing any vector already stored under it.
    pub fn upsert(&self, key: u64, vector: &[f32]) -> Result<(), VectorError> {
        let unit = normalized(self.dim, vector)?;
        let mut rows = self.write();
        match rows.positions.get(&key).copied() {
            Some(position) => {
                let start = position * self.dim;
                rows.vectors[start..start + self.dim].copy_from_slice(&unit);
            }
            None => {
                let position = rows.keys.len();
                rows.keys.push(key);
                rows.vectors.extend_from_slice(&unit);
                rows.positions.insert(key, position);
            }
        }
        Ok(())
    }

    /// Inserts or replaces many vectors; all are checked before any is stored.
    pub fn upsert_batch(&self, items: &[(u64, Vec<f32>)]) -> Result<(), VectorError> {
        for (_, vector) in items {
            normalized(self.dim, vector)?;
        }
        items
            .iter()
            .try_for_each(|(key, vector)| self.upsert(*key, vector))
    }

    /// Removes `key`. Returns whether it was present.
    pub fn remove(&self, key: u64) -> bool {
        let mut rows = self.write();
        let Some(position) = rows.positions.remove(&key) else {
            return false;
        };
        let last = rows.keys.len() - 1;
        rows.keys.swap_remove(position);
        if position != last {
            let (dim, moved) = (self.dim, rows.keys[position]);
            rows.vectors
                .copy_within(last * dim..(last + 1) * dim, position * dim);
            rows.positions.insert(moved, position);
        }
        let new_len = last * self.dim;
        rows.vectors.truncate(new_len);
        true
    }

    /// Whether a vector is stored under `key`.
    pub fn contains(&self, key: u64) -> bool {
        self.read().positions.contains_key(&key)
    }

    /// Number of vectors stored.
    pub fn len(&self) -> usize {
        self.read().keys.len()
    }

    /// Whether no vector is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All keys, in ascending order.
    pub fn keys(&self) -> Vec<u64> {
        let mut keys = self.read().keys.clone();
        keys.sort_unstable();
        keys
    }

    /// The `limit` vectors most similar to `query`, best first (exact).
    pub fn search(&self, query: &[f32], limit: usize) -> Result<Vec<Hit>, VectorError> {
        self.search_filtered(query, limit, |_| true)
    }

    /// Like [`ExactIndex::search`], but only keys for which `keep` returns true.
    pub fn search_filtered(
        &self,
        query: &[f32],
        limit: usize,
        keep: impl Fn(u64) -> bool,
    ) -> Result<Vec<Hit>, VectorError> {
        let unit = normalized(self.dim, query)?;
        let rows = self.read();
        let mut hits: Vec<Hit> = rows
            .keys
            .iter()
            .zip(rows.vectors.chunks_exact(self.dim.max(1)))
            .filter(|(key, _)| keep(**key))
            .map(|(&key, vector)| Hit {
                key,
                score: dot(&unit, vector),
            })
            .collect();
        let best_first =
            |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key));
        if limit < hits.len() {
            if limit == 0 {
                return Ok(Vec::new());
            }
            hits.select_nth_unstable_by(limit - 1, best_first);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(best_first);
        Ok(hits)
    }

    fn read(&self) -> RwLockReadGuard<'_, Rows> {
        // Every mutation above completes or leaves `Rows` untouched before it can panic,
        // so a poisoned lock still guards consistent data.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Rows> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}
