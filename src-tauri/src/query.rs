//! The search box's commands (docs/IPC.md): `query` (the one read path: the box's text in
//! the engine's grammar plus example photos, paged, good matches only or the whole
//! ranking), and what the box shows around it: `suggest` (values for `in:` and `camera:`)
//! and `timeline` (good matches by month).
//!
//! Named in camelCase like the other commands: Tauri invokes a command by its Rust name.
#![allow(non_snake_case)]

use std::sync::Arc;

use glimpse_engine::grammar::{ParsedQuery, TermKind};
use glimpse_engine::{Facet, Library, MAX_SUGGESTIONS, MonthCount, Query, Scope, Suggestion};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::commands::CmdResult;
use crate::dto::HitDto;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Most results one `query` call returns. The UI pages with exactly this many (the
/// generated bindings export it as `QUERY_PAGE_LIMIT`; docs/IPC.md states it): a page fills
/// several screens, and a larger one only delays the first.
pub const PAGE_LIMIT: u32 = 400;

/// Which results a `query` returns (the engine's [`Scope`], as the UI names it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
#[serde(rename = "Scope")]
pub enum ScopeArg {
    /// The good matches only.
    #[default]
    Good,
    /// Every photo: the good matches first, then the rest ("less likely").
    All,
}

/// What `query` is asked: its arguments, as one value.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    /// The search box's text, in the query grammar.
    pub text: String,
    /// Photos of the library added as examples ("Add to query", a photo dropped on the box).
    pub examples: Vec<i64>,
    /// Results to skip.
    pub offset: u32,
    /// Results to return (capped at [`PAGE_LIMIT`]).
    pub limit: u32,
    /// Good matches only, or the whole ranking.
    pub scope: ScopeArg,
}

/// What `query` answers (`QueryResults` in IPC.md).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
#[serde(rename = "QueryResults")]
pub struct QueryResultsDto {
    /// The page asked for.
    pub hits: Vec<HitDto>,
    /// Good matches in all, at most the engine's `MAX_GOOD` (1000).
    pub good: usize,
    /// There are more good matches than `good` says.
    pub good_capped: bool,
    /// Results in all for this scope, as far as they were ranked.
    pub total: usize,
    /// The folders `in:` stood for.
    pub folders: Vec<String>,
    /// The text as the grammar understood it.
    pub understood: ParsedQuery,
}

/// A malformed query: the grammar's sentence, which names the token at fault.
fn query_error(message: impl Into<String>) -> IpcError {
    IpcError::new(ErrorCode::Query, message)
}

/// The engine query for `text` and `examples` with the text as understood, or `None` when
/// there is nothing to look for (an empty box and no example).
pub fn build(text: &str, examples: &[i64]) -> Result<Option<(Query, ParsedQuery)>, IpcError> {
    let parsed = ParsedQuery::parse(text).map_err(|e| query_error(e.to_string()))?;
    if parsed == ParsedQuery::default() && examples.is_empty() {
        return Ok(None);
    }
    // The app names example photos by id. A path typed into the box would have the shell
    // open a file the page chose, which nothing else the page can call does.
    let like = parsed.terms.iter().find_map(|t| match &t.kind {
        TermKind::Like(path) => Some(path),
        TermKind::Text(_) => None,
    });
    if let Some(path) = like {
        return Err(query_error(format!(
            "“like:{}”: in the app, add an example with “Add to query” in the preview or by \
             dropping a photo on the search box",
            path.display()
        )));
    }
    let query = Query {
        terms: parsed.terms.clone(),
        photos: examples.iter().map(|&id| (id, 1.0)).collect(),
        filters: parsed.filters.clone(),
        sort: parsed.sort,
        offset: 0,
        limit: PAGE_LIMIT as usize,
        scope: Scope::Good,
        latest_only: false,
    };
    Ok(Some((query, parsed)))
}

/// Runs a `query` request on `lib`.
pub fn run(lib: &Library, request: &QueryRequest) -> Result<QueryResultsDto, IpcError> {
    let empty = |understood| QueryResultsDto {
        hits: Vec::new(),
        good: 0,
        good_capped: false,
        total: 0,
        folders: Vec::new(),
        understood,
    };
    let Some((query, understood)) = build(&request.text, &request.examples)? else {
        return Ok(empty(ParsedQuery::default()));
    };
    if request.limit == 0 {
        return Ok(empty(understood));
    }
    let scope = match request.scope {
        ScopeArg::Good => Scope::Good,
        ScopeArg::All => Scope::All,
    };
    let limit = request.limit.min(PAGE_LIMIT) as usize;
    // The search box's query: one typed past while it waits for the encoder gives way
    // (`superseded`), and the UI waits for the newer one's answer.
    let found = lib.query(
        &query
            .scope(scope)
            .page(request.offset as usize, limit)
            .latest_only(),
    )?;
    Ok(QueryResultsDto {
        hits: found.hits.into_iter().map(HitDto::from).collect(),
        good: found.good,
        good_capped: found.good_capped,
        total: found.total,
        folders: found
            .folders
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        understood,
    })
}

/// Runs `f` with the library on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &State<'_, Arc<AppState>>,
    f: impl FnOnce(&Library) -> Result<T, IpcError> + Send + 'static,
) -> CmdResult<T> {
    let state = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || f(&*state.library()?))
        .await
        .map_err(IpcError::internal)?
}

/// The one read path: the search box's text (the query grammar) and example photos, a page
/// of good matches or of the whole ranking (good ones first). A malformed text is the
/// error `query`, whose message names the token at fault.
#[tauri::command]
#[specta::specta]
pub async fn query(
    state: State<'_, Arc<AppState>>,
    text: String,
    examples: Option<Vec<i64>>,
    offset: Option<u32>,
    limit: u32,
    scope: Option<ScopeArg>,
) -> CmdResult<QueryResultsDto> {
    let request = QueryRequest {
        text,
        examples: examples.unwrap_or_default(),
        offset: offset.unwrap_or(0),
        limit,
        scope: scope.unwrap_or_default(),
    };
    let app = state.inner().clone();
    blocking(&state, move |lib| {
        let results = run(lib, &request)?;
        // A new search's first page (not a page further down, not an example search, which
        // names photos of this session) is what the next start opens on.
        if request.offset == 0 && request.examples.is_empty() {
            app.remember_query(&request.text);
        }
        Ok(results)
    })
    .await
}

/// The filters the autocomplete completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum SuggestKey {
    /// `in:`: folder names.
    In,
    /// `camera:`: cameras.
    Camera,
}

/// Values for the filter being typed: the names of the library's folders and subfolders
/// (`in`) or its cameras (`camera`) that contain `prefix`, those starting with it first,
/// with the photos each selects; at most 20.
#[tauri::command]
#[specta::specta]
pub async fn suggest(
    state: State<'_, Arc<AppState>>,
    key: SuggestKey,
    prefix: String,
) -> CmdResult<Vec<Suggestion>> {
    let facet = match key {
        SuggestKey::In => Facet::Folder,
        SuggestKey::Camera => Facet::Camera,
    };
    blocking(&state, move |lib| {
        lib.suggest(facet, &prefix, MAX_SUGGESTIONS)
            .map_err(IpcError::from)
    })
    .await
}

/// The good matches of the box's text and examples by month (`[{month: "2019-06",
/// count}]`, oldest first, months without any left out), for the timeline strip.
#[tauri::command]
#[specta::specta]
pub async fn timeline(
    state: State<'_, Arc<AppState>>,
    text: String,
    examples: Option<Vec<i64>>,
) -> CmdResult<Vec<MonthCount>> {
    let examples = examples.unwrap_or_default();
    blocking(&state, move |lib| match build(&text, &examples)? {
        Some((query, _)) => lib.timeline(&query).map_err(IpcError::from),
        None => Ok(Vec::new()),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::two_indexed_photos;

    fn request(text: &str, examples: &[i64], scope: ScopeArg) -> QueryRequest {
        QueryRequest {
            text: text.into(),
            examples: examples.to_vec(),
            offset: 0,
            limit: PAGE_LIMIT,
            scope,
        }
    }

    #[test]
    fn a_malformed_query_is_the_error_query_naming_the_token() {
        let e = build("a red circle colour:red", &[]).expect_err("unknown key");
        assert_eq!(e.code, ErrorCode::Query);
        assert!(e.message.contains("colour:red"), "{}", e.message);
        let e = build("after:2019-13", &[]).expect_err("bad month");
        assert!(e.message.contains("after:2019-13"), "{}", e.message);
    }

    #[test]
    fn like_paths_are_refused_in_the_app() {
        let e = build("like:/etc/passwd red", &[]).expect_err("a path from the page");
        assert_eq!(e.code, ErrorCode::Query);
        assert!(e.message.contains("Add to query"), "{}", e.message);
    }

    #[test]
    fn nothing_to_look_for_is_no_query() {
        assert!(build("   ", &[]).expect("parses").is_none());
        let (q, understood) = build("", &[7]).expect("parses").expect("an example");
        assert_eq!(q.photos, [(7, 1.0)]);
        assert!(understood.terms.is_empty());
        let (q, _) = build("in:shapes", &[])
            .expect("parses")
            .expect("filters alone");
        assert_eq!(q.filters.folders, ["shapes"]);
    }

    #[test]
    fn the_understood_query_serializes_for_the_ui() {
        let (_, understood) = build("red -blue type:png after:2019-06 sort:newest", &[])
            .expect("parses")
            .expect("a query");
        let json = serde_json::to_value(&understood).expect("serializable");
        assert_eq!(
            json["terms"][1],
            serde_json::json!({"kind": {"kind": "text", "value": "blue"}, "weight": 1.0,
                "negative": true})
        );
        assert_eq!(json["filters"]["types"], serde_json::json!(["png"]));
        assert_eq!(
            json["filters"]["after"],
            serde_json::json!({"year": 2019, "month": 6, "day": null})
        );
        assert_eq!(json["sort"], "newest");
    }

    #[test]
    fn a_query_pages_good_matches_then_the_rest_and_examples_leave_themselves_out() {
        let two = two_indexed_photos();
        let red = two
            .hits
            .iter()
            .find(|h| h.path.ends_with("red-circle-000.jpg"))
            .expect("the red circle");
        let good = run(&two.lib, &request("a red circle", &[], ScopeArg::Good)).expect("query");
        assert_eq!(good.hits.len(), good.good, "good scope: good matches only");
        assert!(good.hits.iter().all(|h| h.good));
        assert_eq!(good.hits.first().map(|h| h.photo_id), Some(red.photo));
        let all = run(&two.lib, &request("a red circle", &[], ScopeArg::All)).expect("query");
        assert_eq!(all.hits.len(), 2, "all scope: the whole ranking");
        assert_eq!(all.good, good.good);
        // The rest starts where the good matches end.
        let rest = run(
            &two.lib,
            &QueryRequest {
                offset: good.good as u32,
                ..request("a red circle", &[], ScopeArg::All)
            },
        )
        .expect("query");
        assert!(rest.hits.iter().all(|h| !h.good));
        assert_eq!(rest.hits.len(), 2 - good.good);
        // An example photo: the other one, never itself.
        let similar = run(&two.lib, &request("", &[red.photo], ScopeArg::All)).expect("query");
        assert_eq!(similar.hits.len(), 1);
        assert_ne!(similar.hits[0].photo_id, red.photo);
        // Paging limits are the shell's, whatever is asked.
        let capped = run(
            &two.lib,
            &QueryRequest {
                limit: u32::MAX,
                ..request("a red circle", &[], ScopeArg::All)
            },
        )
        .expect("query");
        assert_eq!(capped.hits.len(), 2);
        let e = run(&two.lib, &request("", &[987_654], ScopeArg::All)).expect_err("unknown");
        assert_eq!(e.code, ErrorCode::UnknownPhoto);
    }
}
