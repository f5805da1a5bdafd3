//! The `folders` table: roots the user asked Glimpse to index.

use std::path::{Path, PathBuf};

use rusqlite::OptionalExtension;

use crate::{Catalog, FolderId, Result, now_secs, paths};

pub(crate) const CREATE_V1: &str = "
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    added_at INTEGER NOT NULL
) STRICT";

/// A folder the library indexes and watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Row id.
    pub id: FolderId,
    /// Absolute path of the folder.
    pub path: PathBuf,
    /// When it was added (seconds since the Unix epoch).
    pub added_at: i64,
}

/// How many photos of a folder are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderCounts {
    /// All photo files known under the folder.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Photos waiting to be (re)indexed.
    pub pending: u64,
    /// Files that could not be indexed (with a reason).
    pub failed: u64,
}

fn folder_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: r.get(0)?,
        path: paths::from_blob(r.get(1)?),
        added_at: r.get(2)?,
    })
}

impl Catalog {
    /// Adds a folder, or returns the id it already has.
    pub fn add_folder(&self, path: &Path) -> Result<FolderId> {
        let blob = paths::to_blob(path);
        self.conn.execute(
            "INSERT INTO folders(path, added_at) VALUES (?1, ?2) ON CONFLICT(path) DO NOTHING",
            rusqlite::params![blob, now_secs()],
        )?;
        Ok(self
            .conn
            .query_row("SELECT id FROM folders WHERE path = ?1", [&blob], |r| {
                r.get(0)
            })?)
    }

    /// Removes a folder with all its photos (embeddings of content no other photo uses are
    /// left for [`Catalog::collect_garbage`]). Returns whether it existed.
    pub fn remove_folder(&self, id: FolderId) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM folders WHERE id = ?1", [id])?
            > 0)
    }

    /// All folders, ordered by path.
    pub fn folders(&self) -> Result<Vec<Folder>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, path, added_at FROM folders ORDER BY path")?;
        let rows = stmt.query_map([], folder_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The folder with this id.
    pub fn folder(&self, id: FolderId) -> Result<Option<Folder>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, path, added_at FROM folders WHERE id = ?1",
                [id],
                folder_from_row,
            )
            .optional()?)
    }

    /// The folder stored with exactly this path.
    pub fn folder_by_path(&self, path: &Path) -> Result<Option<Folder>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, path, added_at FROM folders WHERE path = ?1",
                [paths::to_blob(path)],
                folder_from_row,
            )
            .optional()?)
    }

    /// Moves the photos stored under `dir` (at any depth) to folder `to`; used when a parent
    /// of an existing folder is added, so the child's photos are not indexed twice.
    pub fn adopt_photos_under(&self, dir: &Path, to: FolderId) -> Result<usize> {
        let (lo, hi) = paths::children_range(dir);
        Ok(self.conn.execute(
            "UPDATE photos SET folder_id = ?1 WHERE path >= ?2 AND path < ?3",
            rusqlite::params![to, lo, hi],
        )?)
    }

    /// Photo counts per state for one folder.
    pub fn folder_counts(&self, id: FolderId) -> Result<FolderCounts> {
        let mut counts = FolderCounts::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT state, COUNT(*) FROM photos WHERE folder_id = ?1 GROUP BY state",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let n = n as u64;
            counts.photos += n;
            match crate::PhotoState::from_code(state) {
                Some(crate::PhotoState::Indexed) => counts.indexed += n,
                Some(crate::PhotoState::Pending) => counts.pending += n,
                Some(crate::PhotoState::Failed) => counts.failed += n,
                None => {}
            }
        }
        Ok(counts)
    }
}
