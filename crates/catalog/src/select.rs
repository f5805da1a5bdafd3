//! What search reads: the searchable photos a filter selects, the photos of a set of
//! contents, and their vectors, each in one statement whatever the number of ids (a JSON
//! array bound as one parameter and expanded by `json_each`).

use std::path::{Path, PathBuf};

use rusqlite::params;

use crate::{Catalog, ContentId, PhotoId, Result, paths};

/// Version 3: the words of each photo's path below its library folder (folder names and
/// the file name), full-text indexed, so a query word that names a folder or a file lifts
/// those photos without scanning every path. Kept by triggers, so no writer can forget it.
pub(crate) const CREATE_V3: &str = "
CREATE VIRTUAL TABLE photo_words USING fts5(words, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER photo_words_insert AFTER INSERT ON photos BEGIN
    INSERT INTO photo_words(rowid, words)
    SELECT NEW.id, substr(CAST(NEW.path AS TEXT), length(CAST(f.path AS TEXT)) + 2)
    FROM folders f WHERE f.id = NEW.folder_id;
END;
CREATE TRIGGER photo_words_update AFTER UPDATE OF path, folder_id ON photos BEGIN
    DELETE FROM photo_words WHERE rowid = OLD.id;
    INSERT INTO photo_words(rowid, words)
    SELECT NEW.id, substr(CAST(NEW.path AS TEXT), length(CAST(f.path AS TEXT)) + 2)
    FROM folders f WHERE f.id = NEW.folder_id;
END;
CREATE TRIGGER photo_words_delete AFTER DELETE ON photos BEGIN
    DELETE FROM photo_words WHERE rowid = OLD.id;
END;
INSERT INTO photo_words(rowid, words)
SELECT p.id, substr(CAST(p.path AS TEXT), length(CAST(f.path AS TEXT)) + 2)
FROM photos p JOIN folders f ON f.id = p.folder_id;";

/// Which way a picture is oriented, as displayed (after EXIF rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Taller than wide.
    Portrait,
    /// Wider than tall.
    Landscape,
    /// As wide as tall.
    Square,
}

/// Exact conditions on searchable photos; empty lists mean "any". A content is selected
/// when one of its searchable photos meets every condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoFilter {
    /// The photo lies under one of these folders (at any depth).
    pub under: Vec<PathBuf>,
    /// Its time (capture time, else the file's mtime; seconds since the epoch) is at least
    /// this.
    pub after: Option<i64>,
    /// Its time is before this.
    pub before: Option<i64>,
    /// Its format (as stored: `JPEG`, `PNG`, …; compared without case) is one of these.
    pub formats: Vec<String>,
    /// Camera make or model contains each of these (lowercase).
    pub cameras: Vec<String>,
    /// Its displayed shape.
    pub shape: Option<Shape>,
    /// The file name contains each of these (lowercase).
    pub names: Vec<String>,
}

/// A searchable photo, with what results show and sort by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchablePhoto {
    /// Its content.
    pub content: ContentId,
    /// The photo.
    pub photo: PhotoId,
    /// Its path.
    pub path: PathBuf,
    /// EXIF capture time (seconds since the epoch), when known.
    pub taken_at: Option<i64>,
    /// Capture time, else the file's mtime, in seconds: what date filters and sorts use.
    pub time: i64,
}

fn json_ids(ids: &[ContentId]) -> String {
    let mut s = String::with_capacity(ids.len() * 8 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// `%` and `_` are wildcards in LIKE: a user's text is matched literally.
fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The time a photo sorts and filters by (capture time, else mtime; seconds), kept in the
/// photo's row by the catalog's triggers.
const TIME: &str = "p.sort_time";

impl Catalog {
    /// The contents of searchable photos that `filter` selects, ascending.
    pub fn filtered_contents(&self, filter: &PhotoFilter) -> Result<Vec<ContentId>> {
        // The contents table is joined only for a filter on what it holds: a date range or a
        // folder alone is answered from the photos' indexes.
        let needs_contents =
            !filter.formats.is_empty() || !filter.cameras.is_empty() || filter.shape.is_some();
        let join = if needs_contents {
            " JOIN contents c ON c.id = p.content_id"
        } else {
            ""
        };
        let mut sql = format!(
            "SELECT DISTINCT p.content_id FROM photos p{join}
             WHERE p.state = 1 AND p.content_id IS NOT NULL"
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |sql: &mut String, v: rusqlite::types::Value| {
            values.push(v);
            sql.push_str(&format!("?{}", values.len()));
        };
        let any_of = |sql: &mut String, parts: Vec<String>| {
            if !parts.is_empty() {
                sql.push_str(" AND (");
                sql.push_str(&parts.join(" OR "));
                sql.push(')');
            }
        };
        // Folders: by absolute path (a blob range on the path index); `in:NAME` is resolved
        // to paths before this (`folders_named`).
        let mut folder_parts = Vec::new();
        for dir in &filter.under {
            let (lo, hi) = paths::children_range(dir);
            let mut part = String::from("(p.path >= ");
            bind(&mut part, lo.into());
            part.push_str(" AND p.path < ");
            bind(&mut part, hi.into());
            part.push(')');
            folder_parts.push(part);
        }
        any_of(&mut sql, folder_parts);
        if let Some(after) = filter.after {
            sql.push_str(&format!(" AND {TIME} >= "));
            bind(&mut sql, after.into());
        }
        if let Some(before) = filter.before {
            sql.push_str(&format!(" AND {TIME} < "));
            bind(&mut sql, before.into());
        }
        let mut format_parts = Vec::new();
        for f in &filter.formats {
            let mut part = String::from("lower(c.format) = ");
            bind(&mut part, f.to_lowercase().into());
            format_parts.push(part);
        }
        any_of(&mut sql, format_parts);
        for camera in &filter.cameras {
            sql.push_str(
                " AND lower(COALESCE(c.camera_make, '') || ' ' || COALESCE(c.camera_model, '')) \
                 LIKE ",
            );
            bind(&mut sql, like_literal(camera).into());
            sql.push_str(" ESCAPE '\\'");
        }
        match filter.shape {
            Some(Shape::Portrait) => sql.push_str(" AND c.height > c.width"),
            Some(Shape::Landscape) => sql.push_str(" AND c.width > c.height"),
            Some(Shape::Square) => sql.push_str(" AND c.width = c.height"),
            None => {}
        }
        for name in &filter.names {
            // The last path component: the path with everything up to its last separator
            // removed (rtrim strips the non-separator tail, leaving the folder part).
            sql.push_str(
                " AND lower(replace(CAST(p.path AS TEXT), rtrim(CAST(p.path AS TEXT), \
                 replace(CAST(p.path AS TEXT), '/', '')), '')) LIKE ",
            );
            bind(&mut sql, like_literal(name).into());
            sql.push_str(" ESCAPE '\\'");
        }
        sql.push_str(" ORDER BY p.content_id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The searchable photos of `contents`, in one statement: each content's photos
    /// together, its shortest path first.
    pub fn searchable_photos_of(&self, contents: &[ContentId]) -> Result<Vec<SearchablePhoto>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT p.content_id, p.id, p.path, c.taken_at, {TIME}
             FROM photos p JOIN contents c ON c.id = p.content_id
             WHERE p.state = 1 AND p.content_id IN (SELECT value FROM json_each(?1))
             ORDER BY p.content_id, length(p.path), p.path"
        ))?;
        let rows = stmt.query_map([json_ids(contents)], |r| {
            Ok(SearchablePhoto {
                content: r.get(0)?,
                photo: r.get(1)?,
                path: paths::from_blob(r.get(2)?),
                taken_at: r.get(3)?,
                time: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The vectors of `contents` for `embedder`, in one statement (contents without one are
    /// left out).
    pub fn vectors_of(
        &self,
        embedder: &str,
        contents: &[ContentId],
    ) -> Result<Vec<(ContentId, Vec<f32>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT content_id, vector FROM embeddings
             WHERE embedder = ?1 AND content_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![embedder, json_ids(contents)], |r| {
            Ok((r.get::<_, ContentId>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, blob) = row?;
            out.push((id, crate::contents::vector_from_blob(&blob)?));
        }
        Ok(out)
    }

    /// Searchable photos whose path below their library folder has a word starting with
    /// one of `words` (lowercase, letters and digits), with that path's words: the query
    /// decides which of its words each one names. One full-text query.
    pub fn photos_named(&self, words: &[String]) -> Result<Vec<(ContentId, String)>> {
        let terms: Vec<String> = words
            .iter()
            .filter(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric))
            .map(|w| format!("\"{w}\"*"))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.content_id, w.words FROM photo_words w JOIN photos p ON p.id = w.rowid
             WHERE photo_words MATCH ?1 AND p.state = 1 AND p.content_id IS NOT NULL",
        )?;
        let rows = stmt.query_map([terms.join(" OR ")], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The folders whose name is `name` (any case), for `in:NAME`: library folders (or a
    /// folder above one) by their paths, folders inside them through the path-word index
    /// (`photo_words`), so a large library is not scanned path by path. The outermost
    /// folder of each path is given (a folder below it is inside its range anyway).
    pub fn folders_named(&self, name: &str) -> Result<Vec<PathBuf>> {
        let lname = name.to_lowercase();
        let mut out: Vec<PathBuf> = Vec::new();
        let mut add = |path: &Path, with_last: bool| {
            if let Some(dir) = dir_named(path, &lname, with_last)
                && !out.contains(&dir)
            {
                out.push(dir);
            }
        };
        for folder in self.folders()? {
            add(&folder.path, true);
        }
        // The name's words, as the index splits them; a name without any (only
        // punctuation) cannot use the index and is looked for path by path.
        let words: Vec<&str> = lname
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let (sql, arg) = if words.is_empty() {
            (
                "SELECT path FROM photos WHERE instr(lower(CAST(path AS TEXT)), ?1) > 0",
                format!("{sep}{lname}{sep}", sep = std::path::MAIN_SEPARATOR),
            )
        } else {
            (
                "SELECT p.path FROM photo_words w JOIN photos p ON p.id = w.rowid
                 WHERE photo_words MATCH ?1",
                format!("\"{}\"", words.join(" ")),
            )
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([&arg], |r| r.get::<_, Vec<u8>>(0))?;
        for row in rows {
            add(&paths::from_blob(row?), false);
        }
        Ok(out)
    }
}

/// The path up to its first component named `lname` (compared lowercased): the folder of
/// that name. `with_last`: the last component may be it (a folder's own path); otherwise
/// the path is a file's and only its folders count.
fn dir_named(path: &Path, lname: &str, with_last: bool) -> Option<PathBuf> {
    let parts: Vec<_> = path.components().collect();
    let folders = if with_last {
        parts.len()
    } else {
        parts.len().saturating_sub(1)
    };
    let at = parts[..folders]
        .iter()
        .position(|c| c.as_os_str().to_string_lossy().to_lowercase() == lname)?;
    Some(parts[..=at].iter().collect())
}
