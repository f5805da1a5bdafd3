//! Distinct values of the library for the search box's autocomplete: folder names (for
//! `in:`) and cameras (for `camera:`), each with how many searchable photos it covers, in
//! one statement each.

use rusqlite::params;

use crate::{Catalog, Result};

/// A value the library holds, with the number of searchable photos it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCount {
    /// The value as people see it (a folder's name, "Canon EOS R").
    pub value: String,
    /// Searchable photos with this value (for a folder: in it or any folder below it).
    pub count: u64,
}

/// The name of the camera as EXIF gives it: the model alone when it already starts with
/// the make ("Canon" + "Canon EOS R"), else make and model; either alone when the other is
/// missing. `camera:` matches make and model joined by a space, which contains this value
/// in every case, so a suggestion taken as written finds its photos.
const CAMERA: &str = "CASE
    WHEN c.camera_model IS NULL THEN c.camera_make
    WHEN c.camera_make IS NULL THEN c.camera_model
    WHEN substr(lower(c.camera_model), 1, length(c.camera_make)) = lower(c.camera_make)
        THEN c.camera_model
    ELSE c.camera_make || ' ' || c.camera_model END";

impl Catalog {
    /// Names of the library's folders and of every folder below them that holds searchable
    /// photos (at any depth), whose name contains `text` (any case; names that start with it
    /// first, then by photos), at most `limit`. A name shared by several folders is one
    /// value counting all their photos, as `in:NAME` selects them all.
    ///
    /// One statement: the searchable photos grouped by their directory, then each directory
    /// walked up to its library folder (a recursive CTE over directories, not photos, so
    /// the walk is as long as the number of folders).
    pub fn folder_names(&self, text: &str, limit: usize) -> Result<Vec<ValueCount>> {
        let sep = std::path::MAIN_SEPARATOR.to_string();
        // Directories carry their trailing separator: `rtrim(p, <every other character of
        // p>)` strips a path back to its last separator, i.e. its directory.
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE
               leaf(dir, root, n) AS (
                 SELECT rtrim(CAST(p.path AS TEXT), replace(CAST(p.path AS TEXT), ?1, '')),
                        CAST(f.path AS TEXT), count(*)
                 FROM photos p JOIN folders f ON f.id = p.folder_id
                 WHERE p.state = 1
                 GROUP BY 1, 2
               ),
               walk(dir, root, n) AS (
                 SELECT dir, root, n FROM leaf
                 UNION ALL
                 SELECT rtrim(substr(dir, 1, length(dir) - 1),
                              replace(substr(dir, 1, length(dir) - 1), ?1, '')),
                        root, n
                 FROM walk WHERE length(dir) - 1 > length(rtrim(root, ?1))
               ),
               named(name, n) AS (
                 SELECT substr(d, length(rtrim(d, replace(d, ?1, ''))) + 1), n
                 FROM (SELECT substr(dir, 1, length(dir) - 1) AS d, n FROM walk
                       WHERE length(dir) - 1 >= length(rtrim(root, ?1)))
               )
             SELECT min(name), sum(n) FROM named
             WHERE name != '' AND instr(lower(name), ?2) > 0
             GROUP BY lower(name)
             ORDER BY instr(lower(name), ?2) = 1 DESC, sum(n) DESC, lower(name)
             LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![sep, text.to_lowercase(), limit as i64], value_count)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The cameras of the library's searchable photos whose name (see `CAMERA`) contains
    /// `text` (any case; names that start with it first, then by photos), at most `limit`,
    /// in one statement.
    pub fn cameras(&self, text: &str, limit: usize) -> Result<Vec<ValueCount>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT name, count(*) FROM (
               SELECT {CAMERA} AS name
               FROM photos p JOIN contents c ON c.id = p.content_id
               WHERE p.state = 1
                 AND (c.camera_make IS NOT NULL OR c.camera_model IS NOT NULL))
             WHERE name != '' AND instr(lower(name), ?1) > 0
             GROUP BY name
             ORDER BY instr(lower(name), ?1) = 1 DESC, count(*) DESC, name
             LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![text.to_lowercase(), limit as i64], value_count)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn value_count(r: &rusqlite::Row<'_>) -> rusqlite::Result<ValueCount> {
    Ok(ValueCount {
        value: r.get(0)?,
        count: r.get::<_, i64>(1)?.max(0) as u64,
    })
}
