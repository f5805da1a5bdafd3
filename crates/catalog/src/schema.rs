//! Schema migrations. Each table's DDL lives in the module that owns the table
//! (`folders.rs`, `photos.rs`, `contents.rs`); this file only orders them into versions.

use rusqlite::Connection;

use crate::{CatalogError, Result, contents, folders, photos, select};

/// The schema version this build writes. Bump it and append a step to `MIGRATIONS` for
/// every change; never edit a step that has shipped.
pub const SCHEMA_VERSION: i64 = 3;

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
