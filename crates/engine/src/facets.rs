//! What the search box offers around a query: values for `in:` and `camera:` while they
//! are typed, and a query's good matches by month (the app's timeline).

use std::collections::{BTreeMap, HashMap};

use glimpse_catalog::{ContentId, PhotoId};
use serde::Serialize;

use crate::{Library, MAX_GOOD, Query, Result, Scope};

/// Which values to suggest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// Names of the library's folders and of the folders below them (`in:`).
    Folder,
    /// Cameras, as make and model (`camera:`).
    Camera,
}

/// A value to complete a filter with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Suggestion {
    /// The value ("Paris", "Canon EOS R").
    pub value: String,
    /// Searchable photos it selects.
    pub count: u64,
}

/// Good matches taken in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// Good matches whose time (capture time, else the file's) falls in it.
    pub count: usize,
}

/// The most suggestions [`Library::suggest`] returns: more than a short list is not read.
pub const MAX_SUGGESTIONS: usize = 20;

impl Library {
    /// Values of `facet` that contain `text` (any case), those that start with it first,
    /// then by how many photos they select; at most `limit` (≤ [`MAX_SUGGESTIONS`]). One
    /// statement on the catalog.
    pub fn suggest(&self, facet: Facet, text: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let limit = limit.min(MAX_SUGGESTIONS);
        let text = text.trim();
        let reader = self.reader()?;
        let rows = match facet {
            Facet::Folder => reader.folder_names(text, limit)?,
            Facet::Camera => reader.cameras(text, limit)?,
        };
        Ok(rows
            .into_iter()
            .map(|v| Suggestion {
                value: v.value,
                count: v.count,
            })
            .collect())
    }

    /// The good matches of `query` (its scope and page ignored) counted by month, oldest
    /// first; months without one are left out. A month is that of the time `after:` and
    /// `before:` filter by (capture time, else the file's modification time), so a month's
    /// `after:YYYY-MM before:<next month>` selects exactly its photos. Counts at most
    /// [`MAX_GOOD`] matches, as the good-match count does.
    pub fn timeline(&self, query: &Query) -> Result<Vec<MonthCount>> {
        let query = query.clone().scope(Scope::Good).page(0, MAX_GOOD);
        let hits = self.query(&query)?.hits;
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        let contents: Vec<ContentId> = hits.iter().map(|h| h.content).collect();
        let times: HashMap<PhotoId, i64> = self
            .reader()?
            .searchable_photos_of(&contents)?
            .into_iter()
            .map(|p| (p.photo, p.time))
            .collect();
        let mut months: BTreeMap<String, usize> = BTreeMap::new();
        for hit in &hits {
            if let Some(&time) = times.get(&hit.photo) {
                let day = crate::grammar::rfc3339(time);
                *months.entry(day[..7].to_owned()).or_default() += 1;
            }
        }
        Ok(months
            .into_iter()
            .map(|(month, count)| MonthCount { month, count })
            .collect())
    }
}
