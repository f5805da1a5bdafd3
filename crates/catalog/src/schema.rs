//! Schema migrations. Each table's DDL lives in the module that owns the table
//! (`folders.rs`, `photos.rs`, `contents.rs`); this file only orders them into versions.

use rusqlite::Connection;

use crate::{CatalogError, Result, contents, folders, photos, queries, select};

/// The schema version this build writes. Bump it and append a step to `MIGRATIONS` for
/// every change; never edit a step that has shipped.
pub const SCHEMA_VERSION: i64 = 5;

/// `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
        folders::CREATE_V1,
        contents::CREATE_V1,
        photos::CREATE_V1,
    ],
    &[contents::CREATE_V2],
    &[select::CREATE_V3],
    &[photos::CREATE_V4],
    &[queries::CREATE_V5],
];

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction per step.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let mut version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    // A damaged or foreign header: no step of ours leads from there.
    if version < 0 {
        return Err(CatalogError::Invalid(format!(
            "the catalog's schema version is {version}: not a Glimpse catalog, or a damaged one"
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(CatalogError::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    while version < SCHEMA_VERSION {
        let tx = conn.unchecked_transaction()?;
        for statement in MIGRATIONS[version as usize] {
            tx.execute_batch(statement)?;
        }
        version += 1;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "catalog schema migrated");
    }
    Ok(())
}

/// Refuses a catalog whose schema this build cannot read.
pub(crate) fn check_version(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 0 {
        return Err(CatalogError::Invalid(format!(
            "the catalog's schema version is {version}: not a Glimpse catalog, or a damaged one"
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(CatalogError::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        return Err(CatalogError::Invalid(format!(
            "catalog schema version {version} is older than {SCHEMA_VERSION}; open it for writing first"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog written by the version before photos kept their time gets it filled in by
    /// the migration, from the capture time where there is one, else the mtime.
    #[test]
    fn migrating_to_v4_fills_in_every_photos_time() {
        let conn = Connection::open_in_memory().expect("open");
        for step in &MIGRATIONS[..3] {
            for statement in *step {
                conn.execute_batch(statement).expect("old step");
            }
        }
        conn.pragma_update(None, "user_version", 3)
            .expect("version");
        conn.execute_batch(
            "INSERT INTO folders(id, path, added_at) VALUES (1, X'2F6C6962', 0);
             INSERT INTO contents(id, hash, format, width, height, taken_at)
                 VALUES (1, X'01', 'jpeg', 1, 1, 5000), (2, X'02', 'png', 1, 1, NULL);
             INSERT INTO photos(id, folder_id, path, size, mtime_ns, state, content_id, updated_at)
                 VALUES (1, 1, X'2F6C69622F61', 1, 100000000000, 1, 1, 0),
                        (2, 1, X'2F6C69622F62', 1, 200000000000, 1, 2, 0),
                        (3, 1, X'2F6C69622F63', 1, 300000000000, 0, NULL, 0);",
        )
        .expect("v3 rows");
        migrate(&conn).expect("migrate");
        let times: Vec<(i64, i64)> = conn
            .prepare("SELECT id, sort_time FROM photos ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(times, [(1, 5000), (2, 200), (3, 300)]);
    }
}
