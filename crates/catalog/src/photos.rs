//! The `photos` table: one row per image file under a folder, with the state of its
//! indexing. Every pipeline stage is resumable from this state column.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use crate::{Catalog, ContentId, FolderId, PhotoId, Result, now_secs, paths};

pub(crate) const CREATE_V1: &str = "
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path BLOB NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    state INTEGER NOT NULL,
    content_id INTEGER REFERENCES contents(id) ON DELETE SET NULL,
    failure TEXT,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX photos_folder ON photos(folder_id);
CREATE INDEX photos_content ON photos(content_id);
CREATE INDEX photos_unfinished ON photos(state) WHERE state != 1";

/// Version 4: each photo's time (capture time, else the file's mtime; seconds), stored and
/// indexed over searchable photos, so a date range reads its photos off an index instead of
/// computing the time of every photo in the library (`after:`/`before:` took 20 ms at 100k).
/// Kept by triggers, so no writer can forget it: a photo's own mtime or content changes it,
/// and so does its content's capture time.
pub(crate) const CREATE_V4: &str = "
ALTER TABLE photos ADD COLUMN sort_time INTEGER;
UPDATE photos SET sort_time = COALESCE(
    (SELECT c.taken_at FROM contents c WHERE c.id = photos.content_id),
    mtime_ns / 1000000000);
CREATE TRIGGER photos_time_insert AFTER INSERT ON photos BEGIN
    UPDATE photos SET sort_time = COALESCE(
        (SELECT c.taken_at FROM contents c WHERE c.id = NEW.content_id),
        NEW.mtime_ns / 1000000000)
    WHERE id = NEW.id;
END;
CREATE TRIGGER photos_time_update AFTER UPDATE OF content_id, mtime_ns ON photos BEGIN
    UPDATE photos SET sort_time = COALESCE(
        (SELECT c.taken_at FROM contents c WHERE c.id = NEW.content_id),
        NEW.mtime_ns / 1000000000)
    WHERE id = NEW.id;
END;
CREATE TRIGGER contents_time_update AFTER UPDATE OF taken_at ON contents BEGIN
    UPDATE photos SET sort_time = COALESCE(NEW.taken_at, mtime_ns / 1000000000)
    WHERE content_id = NEW.id;
END;
CREATE INDEX photos_searchable_time ON photos(sort_time, content_id) WHERE state = 1";

/// Where a photo is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoState {
    /// New or changed on disk; waiting to be hashed, decoded and embedded.
    Pending,
    /// Searchable: linked to a content with a vector.
    Indexed,
    /// Could not be indexed; `failure` says why. Retried only when the file changes.
    Failed,
}

impl PhotoState {
    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(PhotoState::Pending),
            1 => Some(PhotoState::Indexed),
            2 => Some(PhotoState::Failed),
            _ => None,
        }
    }
}

/// A file found by a scan, to be inserted as pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    /// The folder it was found under.
    pub folder: FolderId,
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    /// Row id.
    pub id: PhotoId,
    /// The folder it belongs to.
    pub folder: FolderId,
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes when last seen.
    pub size: u64,
    /// Modification time when last seen (ns since the Unix epoch).
    pub mtime_ns: i64,
    /// Pipeline state.
    pub state: PhotoState,
    /// Its content, once hashed.
    pub content: Option<ContentId>,
    /// Why it failed, for [`PhotoState::Failed`].
    pub failure: Option<String>,
}

/// A file that could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file.
    pub path: PathBuf,
    /// A human-readable reason.
    pub reason: String,
}

/// Library-wide counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    /// Folders indexed.
    pub folders: u64,
    /// Photo files known.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Photos waiting to be indexed.
    pub pending: u64,
    /// Files that could not be indexed.
    pub failed: u64,
    /// Distinct contents among the indexed photos.
    pub distinct: u64,
}

const PHOTO_COLUMNS: &str = "id, folder_id, path, size, mtime_ns, state, content_id, failure";

fn photo_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PhotoRow> {
    let state: i64 = r.get(5)?;
    Ok(PhotoRow {
        id: r.get(0)?,
        folder: r.get(1)?,
        path: paths::from_blob(r.get(2)?),
        size: r.get::<_, i64>(3)? as u64,
        mtime_ns: r.get(4)?,
        state: PhotoState::from_code(state)
            .ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(5, state))?,
        content: r.get(6)?,
        failure: r.get(7)?,
    })
}

impl Catalog {
    /// Inserts a pending photo, or (same path) marks the existing row pending with the new
    /// size and mtime. Returns its id.
    pub fn insert_photo(&self, p: &NewPhoto) -> Result<PhotoId> {
        Ok(self
            .conn
            .prepare_cached(
                "INSERT INTO photos(folder_id, path, size, mtime_ns, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)
                 ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id,
                     size = excluded.size, mtime_ns = excluded.mtime_ns, state = 0,
                     failure = NULL, updated_at = excluded.updated_at
                 RETURNING id",
            )?
            .query_row(
                params![
                    p.folder,
                    paths::to_blob(&p.path),
                    p.size as i64,
                    p.mtime_ns,
                    now_secs()
                ],
                |r| r.get(0),
            )?)
    }

    /// Links a photo to its content and makes it searchable. `size`/`mtime_ns` are what the
    /// file had when it was read, so a change during indexing is seen by the next scan.
    pub fn set_indexed(
        &self,
        id: PhotoId,
        content: ContentId,
        size: u64,
        mtime_ns: i64,
    ) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE photos SET state = 1, content_id = ?2, size = ?3, mtime_ns = ?4,
                 failure = NULL, updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, content, size as i64, mtime_ns, now_secs()])?
            > 0)
    }

    /// Records why a photo could not be indexed.
    pub fn set_failed(&self, id: PhotoId, reason: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE photos SET state = 2, content_id = NULL, failure = ?2, updated_at = ?3
             WHERE id = ?1",
            )?
            .execute(params![id, reason, now_secs()])?
            > 0)
    }

    /// Moves a photo row to a new path (a rename seen by the watcher), keeping its content.
    pub fn rename_photo(&self, id: PhotoId, folder: FolderId, to: &Path) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET path = ?2, folder_id = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, paths::to_blob(to), folder, now_secs()],
        )?;
        Ok(())
    }

    /// Deletes a photo row.
    pub fn delete_photo(&self, id: PhotoId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM photos WHERE id = ?1")?
            .execute([id])?
            > 0)
    }

    /// Deletes every photo under `dir` (at any depth); returns how many.
    pub fn delete_photos_under(&self, dir: &Path) -> Result<usize> {
        let (lo, hi) = paths::children_range(dir);
        Ok(self.conn.execute(
            "DELETE FROM photos WHERE path >= ?1 AND path < ?2",
            params![lo, hi],
        )?)
    }

    /// One photo by id.
    pub fn photo(&self, id: PhotoId) -> Result<Option<PhotoRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = ?1"))?
            .query_row([id], photo_from_row)
            .optional()?)
    }

    /// One photo by exact path.
    pub fn photo_by_path(&self, path: &Path) -> Result<Option<PhotoRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {PHOTO_COLUMNS} FROM photos WHERE path = ?1"
            ))?
            .query_row([paths::to_blob(path)], photo_from_row)
            .optional()?)
    }

    /// Every photo stored under `dir` (at any depth), ordered by path.
    pub fn photos_under(&self, dir: &Path) -> Result<Vec<PhotoRow>> {
        let (lo, hi) = paths::children_range(dir);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos WHERE path >= ?1 AND path < ?2 ORDER BY path"
        ))?;
        let rows = stmt.query_map(params![lo, hi], photo_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Photos waiting to be indexed, optionally of one folder, oldest first.
    pub fn pending_photos(&self, folder: Option<FolderId>) -> Result<Vec<PhotoRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos WHERE state = 0
             AND (?1 IS NULL OR folder_id = ?1) ORDER BY id"
        ))?;
        let rows = stmt.query_map([folder], photo_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks pending every indexed photo whose content has no vector for `embedder` (the
    /// model or preprocessing changed). Returns how many.
    pub fn requeue_unembedded(&self, embedder: &str) -> Result<usize> {
        // `NOT IN` a list read from `embeddings_embedder` (which covers (embedder,
        // content_id)) rather than a correlated `NOT EXISTS`: the latter probes the
        // embeddings table, whose rows carry the vectors, once per photo — 1.9 s at every
        // open of a 100k library instead of 0.05 s. The queries below that ask "has a
        // vector" do the same.
        Ok(self.conn.execute(
            "UPDATE photos SET state = 0 WHERE state = 1 AND (content_id IS NULL OR
                 content_id NOT IN (SELECT content_id FROM embeddings WHERE embedder = ?1))",
            [embedder],
        )?)
    }

    /// Indexed photos of the given contents, as (content, photo id, path), ordered so that
    /// each content's photos are together and its shortest path comes first.
    pub fn indexed_photos_of(
        &self,
        contents: &[ContentId],
    ) -> Result<Vec<(ContentId, PhotoId, PathBuf)>> {
        let mut out = Vec::with_capacity(contents.len());
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, path FROM photos WHERE content_id = ?1 AND state = 1
             ORDER BY length(path), path",
        )?;
        for &c in contents {
            let rows = stmt.query_map([c], |r| Ok((c, r.get(0)?, paths::from_blob(r.get(1)?))))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// Searchable photos under `dir` whose content has no vector for `embedder` (a model
    /// being switched to), one per content, each with the time it sorts by: the capture
    /// time, else the file's mtime (ns since the epoch). Newest first, so that re-embedding
    /// makes recent photos searchable first.
    pub fn photos_missing_vector(
        &self,
        dir: &Path,
        embedder: &str,
    ) -> Result<Vec<(PhotoRow, i64)>> {
        let (lo, hi) = paths::children_range(dir);
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.folder_id, p.path, p.size, p.mtime_ns, p.state, p.content_id,
                    p.failure, COALESCE(c.taken_at * 1000000000, p.mtime_ns) AS newest
             FROM photos p JOIN contents c ON c.id = p.content_id
             WHERE p.state = 1 AND p.path >= ?1 AND p.path < ?2
               AND p.content_id NOT IN (SELECT content_id FROM embeddings WHERE embedder = ?3)
               AND p.id = (SELECT MIN(q.id) FROM photos q
                           WHERE q.content_id = p.content_id AND q.state = 1)
             ORDER BY newest DESC, p.path DESC",
        )?;
        let rows = stmt.query_map(params![lo, hi, embedder], |r| {
            Ok((photo_from_row(r)?, r.get::<_, i64>(8)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// For the contents of searchable photos: how many there are, and how many of them
    /// have a vector for `embedder`.
    pub fn embedded_share(&self, embedder: &str) -> Result<(u64, u64)> {
        let (total, with): (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(x.content_id IN
                 (SELECT content_id FROM embeddings WHERE embedder = ?1)), 0)
             FROM (SELECT DISTINCT content_id FROM photos
                   WHERE state = 1 AND content_id IS NOT NULL) x",
            [embedder],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((total as u64, with as u64))
    }

    /// Indexed photos of the same shot as `path`: in the same folder, with the same file
    /// name up to a single extension (`IMG_1234.CR3` and `IMG_1234.JPG`; `IMG_1234.edit.jpg`
    /// is another picture). As (content, photo id, path), `path` itself included, shortest
    /// path first. One range query on the path index: the catalog's paths decide, nothing
    /// is stored beside them that could go stale.
    pub fn indexed_shot_of(&self, path: &Path) -> Result<Vec<(ContentId, PhotoId, PathBuf)>> {
        let Some((lo, hi)) = paths::stem_range(path) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT content_id, id, path FROM photos WHERE path >= ?1 AND path < ?2
             AND state = 1 AND content_id IS NOT NULL ORDER BY length(path), path",
        )?;
        let rows = stmt.query_map(params![lo, hi], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, Vec<u8>>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (content, id, blob) = row?;
            // Only `stem.ext`: the rest of the name is one extension, no further dot or folder.
            let rest = &blob[lo.len()..];
            if !rest.is_empty() && !rest.iter().any(|&b| b == b'.' || b == b'/' || b == b'\\') {
                out.push((content, id, paths::from_blob(blob)));
            }
        }
        Ok(out)
    }

    /// Searchable photos whose content has no vector for `embedder` (should be none).
    pub fn indexed_without_vector(&self, embedder: &str) -> Result<Vec<PhotoId>> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM photos WHERE state = 1 AND (content_id IS NULL OR content_id
                 NOT IN (SELECT content_id FROM embeddings WHERE embedder = ?1))",
        )?;
        let rows = stmt.query_map([embedder], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Library-wide counts.
    pub fn status(&self) -> Result<Status> {
        let mut status = Status {
            folders: self
                .conn
                .query_row("SELECT COUNT(*) FROM folders", [], |r| r.get::<_, i64>(0))?
                as u64,
            ..Status::default()
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, COUNT(*) FROM photos GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            status.photos += n as u64;
            match PhotoState::from_code(state) {
                Some(PhotoState::Pending) => status.pending += n as u64,
                Some(PhotoState::Indexed) => status.indexed += n as u64,
                Some(PhotoState::Failed) => status.failed += n as u64,
                None => {}
            }
        }
        status.distinct = self.conn.query_row(
            "SELECT COUNT(DISTINCT content_id) FROM photos WHERE state = 1",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64;
        Ok(status)
    }

    /// Files that could not be indexed, ordered by path (at most `limit`).
    pub fn failures(&self, limit: usize) -> Result<Vec<Failure>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, failure FROM photos WHERE state = 2 ORDER BY path LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Failure {
                path: paths::from_blob(r.get(0)?),
                reason: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
