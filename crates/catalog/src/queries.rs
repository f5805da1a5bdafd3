//! Text vectors of recent queries, kept so that a library reopened answers them before its
//! model has loaded (the app shows the last query's results at launch).

use rusqlite::params;

use crate::contents::{vector_from_blob, vector_to_blob};
use crate::{Catalog, Result};

/// Schema version 5: the query vectors, per embedder (a model switch makes other vectors).
pub(crate) const CREATE_V5: &str = "
CREATE TABLE query_vectors (
    embedder TEXT NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (embedder, text)
) STRICT, WITHOUT ROWID";

impl Catalog {
    /// Keeps `text`'s vector by `embedder`, stamped `used_at` (any increasing number), and
    /// forgets all but that embedder's `keep` most recent.
    pub fn put_query_vector(
        &self,
        embedder: &str,
        text: &str,
        vector: &[f32],
        used_at: i64,
        keep: usize,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO query_vectors(embedder, text, vector, used_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(embedder, text) DO UPDATE
                 SET vector = excluded.vector, used_at = excluded.used_at",
            )?
            .execute(params![embedder, text, vector_to_blob(vector), used_at])?;
        self.conn
            .prepare_cached(
                "DELETE FROM query_vectors WHERE embedder = ?1 AND text NOT IN
                 (SELECT text FROM query_vectors WHERE embedder = ?1
                  ORDER BY used_at DESC LIMIT ?2)",
            )?
            .execute(params![embedder, keep as i64])?;
        Ok(())
    }

    /// Forgets every kept query vector, of every embedder; how many there were. (A reused
    /// benchmark library must not answer its texts from an earlier run's.)
    pub fn forget_query_vectors(&self) -> Result<usize> {
        Ok(self.conn.execute("DELETE FROM query_vectors", [])?)
    }

    /// Up to `limit` kept query vectors of `embedder`, most recent first.
    pub fn query_vectors(&self, embedder: &str, limit: usize) -> Result<Vec<(String, Vec<f32>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT text, vector FROM query_vectors WHERE embedder = ?1
             ORDER BY used_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![embedder, limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (text, blob) = row?;
            out.push((text, vector_from_blob(&blob)?));
        }
        Ok(out)
    }
}
