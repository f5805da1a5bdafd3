//! The SQLite catalog of Glimpse: folders, photos, their content and embeddings.
//!
//! The catalog is the source of truth. Everything else (the vector index, the thumbnail
//! cache) can be rebuilt from it. It owns the schema, its migrations and typed read/write
//! methods; it knows nothing of images, models or threads. The engine gives one [`Catalog`]
//! opened with [`Catalog::open`] to its single writer thread, and read-only handles
//! ([`Catalog::open_read_only`]) to everything else (WAL mode lets them read while the writer
//! writes).
//!
//! The model:
//! - a **folder** is a root the user asked to index;
//! - a **photo** is one file under a folder (path, size, mtime, state, failure reason);
//! - a **content** is one distinct file content (blake3 hash) with its image facts and
//!   thumbnail revision; photos point at it, so renamed, moved and duplicate files share one;
//! - an **embedding** is one vector of a content for one embedder id.
//!
//! ```
//! use glimpse_catalog::{Catalog, NewPhoto};
//! let cat = Catalog::open_in_memory().unwrap();
//! let folder = cat.add_folder(std::path::Path::new("/photos")).unwrap();
//! let photo = cat
//!     .insert_photo(&NewPhoto { folder, path: "/photos/a.jpg".into(), size: 10, mtime_ns: 1 })
//!     .unwrap();
//! assert_eq!(cat.pending_photos(None).unwrap()[0].id, photo);
//! ```

mod contents;
mod facets;
mod folders;
mod paths;
mod photos;
mod queries;
mod schema;
mod select;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use contents::{ContentFacts, ContentRow};
pub use facets::ValueCount;
pub use folders::{Folder, FolderCounts};
pub use photos::{Failure, NewPhoto, PhotoRow, PhotoState, Status};
pub use schema::SCHEMA_VERSION;
pub use select::{PhotoFilter, SearchablePhoto, Shape};

/// Identifies a folder row.
pub type FolderId = i64;
/// Identifies a photo row.
pub type PhotoId = i64;
/// Identifies a content row. Never reused (AUTOINCREMENT), so a key in a stale vector index
/// can never point at different content.
pub type ContentId = i64;

/// Why a catalog operation failed. All of these are store failures: the engine stops the
/// pipeline on them (a single bad photo never produces one).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The database could not be opened or created.
    #[error("{path}: cannot open the catalog: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The database was written by a newer Glimpse.
    #[error(
        "the catalog has schema version {found}, newer than this Glimpse understands ({supported}); update Glimpse"
    )]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// A query failed (disk full, corruption, I/O error).
    #[error("catalog error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored value does not have the expected shape.
    #[error("catalog holds an invalid value: {0}")]
    Invalid(String),
}

/// Result type of this crate.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// One connection to the catalog. Not `Sync`: give each thread its own.
pub struct Catalog {
    conn: Connection,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl Catalog {
    /// Opens (creating and migrating if needed) the catalog for writing.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::setup(conn, true)
    }

    /// Opens an existing catalog for reading only; the schema must already be current.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::setup(conn, false)
    }

    /// An empty catalog in memory, for tests.
    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?, true)
    }

    fn setup(conn: Connection, writable: bool) -> Result<Self> {
        // A reader may find the writer mid-transaction; wait rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if writable {
            // WAL lets readers run during writes; NORMAL sync is durable at checkpoints
            // and never corrupts, which is the right trade for a rebuildable index.
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            schema::migrate(&conn)?;
        } else {
            schema::check_version(&conn)?;
            // Not memory-mapped: a mapped page stays resident in the process, and with it
            // the neighbours the kernel maps around each fault. The vectors share the file
            // with the photo rows, so a 100k library's readers held 283 MB of it at rest
            // (docs/BENCHMARKS.md, "Memory at rest"), for a first page of hits ≤ 4 ms
            // faster. Through read() the kernel's page cache holds the file, not Glimpse.
        }
        Ok(Self { conn })
    }

    /// Runs `f` inside one transaction: all of it is stored, or none.
    pub fn transaction<T>(&self, f: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        // `unchecked_transaction` borrows the connection shared, so `f` can use the same
        // typed methods; the writer thread is the only one that writes, so no other
        // transaction can be open on this connection.
        let tx = self.conn.unchecked_transaction()?;
        let value = f(self)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs SQLite's integrity check; returns its messages (empty when healthy).
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Whether this connection was opened read-only ([`Catalog::open_read_only`]).
    pub fn is_read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
    }

    /// Reads a value from the key/value `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Every (key, value) of the `meta` table whose key starts with `prefix`, by key.
    pub fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Writes a value into the key/value `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Seconds since the Unix epoch, for `added_at`/`updated_at` columns.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
