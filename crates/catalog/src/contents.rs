//! The `contents` and `embeddings` tables: one row per distinct file content (blake3 hash),
//! and its vectors per embedder. Photos point at contents, so a renamed, moved or duplicated
//! file reuses the embedding instead of being embedded again.

use rusqlite::{OptionalExtension, params};

use crate::{Catalog, CatalogError, ContentId, Result};

pub(crate) const CREATE_V1: &str = "
CREATE TABLE contents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash BLOB NOT NULL UNIQUE,
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    taken_at INTEGER,
    camera_make TEXT,
    camera_model TEXT,
    thumb_rev INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE TABLE embeddings (
    content_id INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
    embedder TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (content_id, embedder)
) STRICT, WITHOUT ROWID";

/// Version 2: libraries keep the vectors of every model used until the user removes them,
/// so counting and deleting one model's vectors must not scan all of them.
pub(crate) const CREATE_V2: &str = "CREATE INDEX embeddings_embedder ON embeddings(embedder)";

/// What decoding a content told us about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentFacts {
    /// Detected format (`jpeg`, `png`, …), from the bytes, not the extension.
    pub format: String,
    /// Width after EXIF orientation, in pixels.
    pub width: u32,
    /// Height after EXIF orientation, in pixels.
    pub height: u32,
    /// Capture time from EXIF (seconds since the Unix epoch).
    pub taken_at: Option<i64>,
    /// Camera maker from EXIF.
    pub camera_make: Option<String>,
    /// Camera model from EXIF.
    pub camera_model: Option<String>,
}

/// A stored content.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentRow {
    /// Row id; also the key of its vector in the vector index.
    pub id: ContentId,
    /// blake3 of the file's bytes.
    pub hash: [u8; 32],
    /// Image facts.
    pub facts: ContentFacts,
    /// Bumped whenever the thumbnail is rewritten, so caches can tell.
    pub thumb_rev: i64,
}

fn hash_from(blob: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    blob.try_into().map_err(|b: Vec<u8>| {
        rusqlite::Error::FromSqlConversionFailure(
            b.len(),
            rusqlite::types::Type::Blob,
            "content hash is not 32 bytes".into(),
        )
    })
}

fn content_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContentRow> {
    Ok(ContentRow {
        id: r.get(0)?,
        hash: hash_from(r.get(1)?)?,
        facts: ContentFacts {
            format: r.get(2)?,
            width: r.get(3)?,
            height: r.get(4)?,
            taken_at: r.get(5)?,
            camera_make: r.get(6)?,
            camera_model: r.get(7)?,
        },
        thumb_rev: r.get(8)?,
    })
}

const CONTENT_COLUMNS: &str =
    "id, hash, format, width, height, taken_at, camera_make, camera_model, thumb_rev";

/// Vectors are stored as little-endian f32 so the file reads the same on every machine.
pub(crate) fn vector_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(crate) fn vector_from_blob(b: &[u8]) -> Result<Vec<f32>> {
    if !b.len().is_multiple_of(4) {
        return Err(CatalogError::Invalid(format!(
            "a stored vector has {} bytes, not a multiple of 4",
            b.len()
        )));
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

impl Catalog {
    /// The content with this hash, if known.
    pub fn content_by_hash(&self, hash: &[u8; 32]) -> Result<Option<ContentRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONTENT_COLUMNS} FROM contents WHERE hash = ?1"
            ))?
            .query_row([&hash[..]], content_from_row)
            .optional()?)
    }

    /// The content with this id, if known.
    pub fn content(&self, id: ContentId) -> Result<Option<ContentRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONTENT_COLUMNS} FROM contents WHERE id = ?1"
            ))?
            .query_row([id], content_from_row)
            .optional()?)
    }

    /// Stores a content (or updates the facts of the one with the same hash) and returns its id.
    pub fn upsert_content(&self, hash: &[u8; 32], facts: &ContentFacts) -> Result<ContentId> {
        Ok(self.conn.prepare_cached(
            "INSERT INTO contents(hash, format, width, height, taken_at, camera_make, camera_model)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(hash) DO UPDATE SET format = excluded.format, width = excluded.width,
                 height = excluded.height, taken_at = excluded.taken_at,
                 camera_make = excluded.camera_make, camera_model = excluded.camera_model
             RETURNING id",
        )?
        .query_row(
            params![
                &hash[..],
                facts.format,
                facts.width,
                facts.height,
                facts.taken_at,
                facts.camera_make,
                facts.camera_model
            ],
            |r| r.get(0),
        )?)
    }

    /// Stores the vector of a content for one embedder (replacing an older one).
    pub fn put_embedding(&self, content: ContentId, embedder: &str, vector: &[f32]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO embeddings(content_id, embedder, vector) VALUES (?1, ?2, ?3)
                 ON CONFLICT(content_id, embedder) DO UPDATE SET vector = excluded.vector",
            )?
            .execute(params![content, embedder, vector_to_blob(vector)])?;
        Ok(())
    }

    /// The vector of a content for one embedder.
    pub fn embedding(&self, content: ContentId, embedder: &str) -> Result<Option<Vec<f32>>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT vector FROM embeddings WHERE content_id = ?1 AND embedder = ?2",
            )?
            .query_row(params![content, embedder], |r| r.get(0))
            .optional()?;
        blob.map(|b| vector_from_blob(&b)).transpose()
    }

    /// Ids of the contents that have a vector for this embedder: exactly the keys the vector
    /// index must hold (searches drop contents without an indexed photo).
    pub fn embedded_content_ids(&self, embedder: &str) -> Result<Vec<ContentId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT content_id FROM embeddings WHERE embedder = ?1 ORDER BY content_id",
        )?;
        let ids = stmt.query_map([embedder], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Every embedder with stored vectors, and how many it has.
    pub fn embedders(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT embedder, COUNT(*) FROM embeddings GROUP BY embedder ORDER BY embedder",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes every vector of one embedder; returns how many.
    pub fn delete_embeddings(&self, embedder: &str) -> Result<u64> {
        Ok(self
            .conn
            .execute("DELETE FROM embeddings WHERE embedder = ?1", [embedder])? as u64)
    }

    /// Calls `f` with every (content id, vector) of this embedder; used to rebuild the vector
    /// index from the catalog.
    pub fn for_each_embedding(
        &self,
        embedder: &str,
        mut f: impl FnMut(ContentId, Vec<f32>),
    ) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT content_id, vector FROM embeddings WHERE embedder = ?1")?;
        let mut rows = stmt.query([embedder])?;
        while let Some(row) = rows.next()? {
            let blob: Vec<u8> = row.get(1)?;
            f(row.get(0)?, vector_from_blob(&blob)?);
        }
        Ok(())
    }

    /// Deletes contents that no photo refers to any more (with their vectors) and returns
    /// them, so the caller can drop them from the vector index and the thumbnail cache.
    pub fn collect_garbage(&self) -> Result<Vec<(ContentId, [u8; 32])>> {
        let mut stmt = self.conn.prepare_cached(
            "DELETE FROM contents WHERE NOT EXISTS
               (SELECT 1 FROM photos p WHERE p.content_id = contents.id)
             RETURNING id, hash",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, hash_from(r.get(1)?)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Number of stored contents.
    pub fn content_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM contents", [], |r| r.get::<_, i64>(0))?
            as u64)
    }
}
