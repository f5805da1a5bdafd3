//! The read path: one [`Query`] type (texts and example photos with weights and signs,
//! exact filters, a sort order, paging, good matches only or the whole ranking) and one
//! [`Library::query`].
//!
//! Scores live on the model's logit scale. A text term's logit is
//! `exp(logit_scale)·cos + bias`: SigLIP's own `logit_bias` (so `sigmoid(logit)` is the
//! model's probability), or for CLIP the calibrated line `−exp(logit_scale)·τ` (docs/
//! GOOD-MATCHES.md); an example photo's uses the image line `−exp(logit_scale)·τ_img`. A
//! photo's key is the weighted mean of its positive terms' logits, less, for each negative
//! term, `w·scale·cos` (rclip's subtraction of the excluded text, in logit units). It is a
//! good match when the positive mean reaches the sensitivity `Δ` (0 by default; logit units,
//! so one step means the same for every model) and it matches no negative term (below the
//! exclusion line, which sits lower than the text line: single words score lower than the
//! descriptions the text line is calibrated on).
//!
//! Each term depends only on the photo, so the good set does not depend on what else the
//! library holds. The stopping rule is exact: a photo's positive mean reaches `Δ` only if
//! one of its term logits does, so candidates are fetched per positive term until that
//! term's next candidate falls below `Δ`.
//!
//! Filters select contents in SQL first. A narrow selection is scored exactly (its vectors
//! read in one statement); a broad one goes through USearch's filtered search.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use glimpse_catalog::{ContentId, PhotoFilter, PhotoId, Shape};

use crate::grammar::{
    FileType, Filters, Orientation, ParsedQuery, QueryError, Sort, Term, TermKind,
};
use crate::models::Slot;
use crate::query::Hit;
use crate::{Library, LibraryError, Result};

/// What to search for.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Texts and example files, from the search box's grammar.
    pub terms: Vec<Term>,
    /// Photos of the library given as examples (the app's "Add to query"), with weights.
    pub photos: Vec<(PhotoId, f32)>,
    /// Exact conditions.
    pub filters: Filters,
    /// Order of the results.
    pub sort: Sort,
    /// Results to skip (paging).
    pub offset: usize,
    /// Results to return at most.
    pub limit: usize,
    /// Good matches only, or the whole ranking (good first).
    pub scope: Scope,
    /// A search box's query: while it waits for the text encoder, a newer text asked for
    /// (another such query, or [`Library::prefetch_text`]) makes it give way with
    /// [`LibraryError::Superseded`]. Keystrokes can come faster than texts encode (SigLIP 2
    /// on two cores: ~190 ms a text); without this every typed prefix would be encoded in
    /// turn and the last one answered seconds after the typing stopped.
    pub latest_only: bool,
}

/// Which results a query returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Only the good matches (possibly none).
    #[default]
    Good,
    /// Every photo: the good matches first, then the rest by relevance.
    All,
}

impl Query {
    /// A query of the search box's text (see [`crate::grammar`]), good matches only, the
    /// first 100.
    pub fn parse(text: &str) -> std::result::Result<Self, QueryError> {
        let parsed = ParsedQuery::parse(text)?;
        Ok(Self {
            terms: parsed.terms,
            photos: Vec::new(),
            filters: parsed.filters,
            sort: parsed.sort,
            offset: 0,
            limit: 100,
            scope: Scope::Good,
            latest_only: false,
        })
    }

    /// A plain text query, taken as written (no grammar).
    pub fn text(text: &str) -> Self {
        Self {
            terms: vec![Term {
                kind: TermKind::Text(text.trim().to_owned()),
                weight: 1.0,
                negative: false,
            }],
            photos: Vec::new(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 100,
            scope: Scope::Good,
            latest_only: false,
        }
    }

    /// The same with another scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The same with another page.
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }

    /// The same as a search box's query (see [`Query::latest_only`]).
    pub fn latest_only(mut self) -> Self {
        self.latest_only = true;
        self
    }
}

/// What a query found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResults {
    /// The page asked for.
    pub hits: Vec<Hit>,
    /// Good matches in all (not just this page).
    pub good: usize,
    /// `good` stopped counting at [`MAX_GOOD`].
    pub good_capped: bool,
    /// Results in all for this scope (as far as they were ranked).
    pub total: usize,
    /// The folders `in:` names stood for.
    pub folders: Vec<PathBuf>,
}

/// The most good matches a query counts: beyond, a query that matches most of a large
/// library would rank all of it on every keystroke.
pub const MAX_GOOD: usize = 1_000;
/// Contents a filter may select and still be scored exactly, vector by vector (beyond, the
/// index's filtered search is used). Exact scoring costs ~1.2 µs a content at 100k; the
/// filtered search's cost grows as the filter narrows (it walks past what it rejects):
/// ~10 ms for a 5 % filter. They cross near 6,000 (docs/BENCHMARKS.md).
pub const EXACT_FILTER_LIMIT: usize = 6_000;
/// Candidates fetched per term at first.
const FIRST_FETCH: usize = 64;

/// The good-match line of a model: logits are `scale·cos + bias`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchLine {
    /// `exp(logit_scale)`: logit units per unit of cosine.
    pub scale: f32,
    /// The text line's bias.
    pub text_bias: f32,
    /// The example-photo line's bias.
    pub image_bias: f32,
    /// The bias of the line from which a photo matches an excluded term.
    pub exclude_bias: f32,
}

impl MatchLine {
    fn bias(&self, kind: Kind) -> f32 {
        match kind {
            Kind::Text => self.text_bias,
            Kind::Image => self.image_bias,
        }
    }

    fn logit(&self, kind: Kind, cos: f32) -> f32 {
        self.scale * cos + self.bias(kind)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Image,
}

/// A term with its vector.
struct Embedded {
    vector: Arc<Vec<f32>>,
    kind: Kind,
    weight: f32,
    negative: bool,
}

/// Keys scored by one thread at least when [`score_exactly`] splits the work: ~1.2 ms of
/// lookups, far more than starting a thread (~30 µs).
const KEYS_PER_THREAD: usize = 1_000;

/// A content and its cosine to each term.
type TermCosines = (ContentId, Vec<f32>);

/// Each key's cosine to each term (in term order), from the index's stored vectors, on up
/// to every core: a date range's ~5,000 candidates took ~6 ms on one (USearch's `get` is
/// ~1.2 µs a key), most of such a query's search time.
fn score_exactly(
    index: &glimpse_vectors::VectorIndex,
    keys: &[u64],
    terms: &[Embedded],
) -> Result<HashMap<ContentId, Vec<f32>>> {
    let score = |part: &[u64]| -> Result<Vec<TermCosines>> {
        let mut out = Vec::with_capacity(part.len());
        index.for_each_vector(part, |key, v| {
            out.push((
                key as ContentId,
                terms.iter().map(|t| dot(&t.vector, v)).collect(),
            ));
        })?;
        Ok(out)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (keys.len() / KEYS_PER_THREAD).clamp(1, cores);
    let chunk = keys.len().div_ceil(threads).max(1);
    let mut parts = keys.chunks(chunk);
    let first = parts.next().unwrap_or(&[]);
    let scored: Vec<Result<Vec<TermCosines>>> = std::thread::scope(|s| {
        let others: Vec<_> = parts.map(|part| s.spawn(move || score(part))).collect();
        let mut all = vec![score(first)];
        for handle in others {
            all.push(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    let mut cosines = HashMap::with_capacity(keys.len());
    for part in scored {
        cosines.extend(part?);
    }
    Ok(cosines)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Sixteen partial sums the compiler can keep in vector registers: one running sum is a
    // chain of dependent adds, which scoring a filter's thousands of candidates waited on.
    const LANES: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        let (x, y): (&[f32; LANES], &[f32; LANES]) = match (x.try_into(), y.try_into()) {
            (Ok(x), Ok(y)) => (x, y),
            _ => unreachable!("chunks_exact gives chunks of LANES"),
        };
        for ((s, x), y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// A candidate's scores.
#[derive(Debug, Clone, Copy)]
struct Scored {
    key: f32,
    good: bool,
}

impl Library {
    /// Runs a query: its good matches (or the whole ranking), sorted and paged.
    pub fn query(&self, query: &Query) -> Result<QueryResults> {
        let model = self.search_model()?;
        let line = model.line;
        let delta = self.sensitivity();
        // The filter's selection (SQLite) runs beside the text encoder (the model): a date
        // range's ~1.5 ms need not wait for the encoder's ~15–25.
        let (terms, selected) = if query.filters.is_empty() {
            (self.embed_terms(&model, query), self.select(&query.filters))
        } else {
            std::thread::scope(|s| {
                let selection = s.spawn(|| self.select(&query.filters));
                let terms = self.embed_terms(&model, query);
                let selected = selection
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (terms, selected)
            })
        };
        let terms = terms?;
        let (allowed, folders) = selected?;
        if allowed.as_ref().is_some_and(HashSet::is_empty) {
            return Ok(QueryResults {
                hits: Vec::new(),
                good: 0,
                good_capped: false,
                total: 0,
                folders,
            });
        }
        let exclude: HashSet<ContentId> = self.example_contents(query)?;

        // Candidates with their cosine to each term (in term order).
        let positives: Vec<usize> = (0..terms.len()).filter(|&i| !terms[i].negative).collect();
        let wanted = query.offset + query.limit;
        let mut cosines: HashMap<ContentId, Vec<f32>> = HashMap::new();
        let mut capped = false;
        let exact = match &allowed {
            Some(set) => set.len() <= EXACT_FILTER_LIMIT || positives.is_empty(),
            None => positives.is_empty(),
        };
        if exact {
            let ids: Vec<ContentId> = match &allowed {
                Some(set) => set.iter().copied().collect(),
                None => self.reader()?.filtered_contents(&PhotoFilter::default())?,
            };
            // From the index in memory, not the catalog: reading a filter's thousand rows of
            // blobs out of SQLite took longer than the rest of the query (docs/BENCHMARKS.md).
            let keys: Vec<u64> = ids.iter().map(|&id| id as u64).collect();
            cosines = score_exactly(&model.index, &keys, &terms)?;
        } else {
            let index = &model.index;
            // A single term's scores come from the index itself (f16: within ~1e-3 of the
            // exact cosine); several terms need every candidate's cosine to each of them.
            let mut ann: HashMap<ContentId, f32> = HashMap::new();
            let keep = |key: u64| {
                allowed
                    .as_ref()
                    .is_none_or(|set| set.contains(&(key as ContentId)))
            };
            for &t in &positives {
                let term = &terms[t];
                // Good matches only: start small and grow while the weakest found still
                // reaches the line (a filtered search's cost grows with what it is asked for).
                let mut fetch = match query.scope {
                    Scope::Good => FIRST_FETCH.max(wanted.min(128)),
                    Scope::All => FIRST_FETCH.max(wanted * 2),
                };
                loop {
                    let hits = if allowed.is_some() {
                        index.search_filtered(&term.vector, fetch, keep)?
                    } else {
                        index.search(&term.vector, fetch)?
                    };
                    let exhausted = hits.len() < fetch || fetch >= index.len();
                    for h in &hits {
                        ann.entry(h.key as ContentId).or_insert(h.score);
                    }
                    // The term's weakest candidate still reaches the line: more may follow.
                    let last = hits
                        .last()
                        .map_or(f32::NEG_INFINITY, |h| line.logit(term.kind, h.score));
                    let enough_ranked = query.scope == Scope::Good || hits.len() >= wanted * 2;
                    if exhausted || (last < delta && enough_ranked) {
                        break;
                    }
                    if hits.len() >= MAX_GOOD * 2 {
                        capped = true;
                        break;
                    }
                    fetch = (fetch * 4).min(index.len().max(1));
                }
            }
            if terms.len() == 1 {
                cosines = ann.into_iter().map(|(id, c)| (id, vec![c])).collect();
            } else {
                let ids: Vec<ContentId> = ann.into_keys().collect();
                for chunk in ids.chunks(4096) {
                    for (id, v) in self.reader()?.vectors_of(&model.id, chunk)? {
                        cosines.insert(id, terms.iter().map(|t| dot(&t.vector, &v)).collect());
                    }
                }
            }
        }

        // Folder and file names that carry the query's words: their photos join the
        // candidates (scored exactly) and are lifted.
        let named = self.named(&query.terms, allowed.as_ref())?;
        let missing: Vec<ContentId> = named
            .keys()
            .filter(|id| !cosines.contains_key(id))
            .copied()
            .collect();
        for chunk in missing.chunks(4096) {
            for (id, v) in self.reader()?.vectors_of(&model.id, chunk)? {
                cosines.insert(id, terms.iter().map(|t| dot(&t.vector, &v)).collect());
            }
        }

        // Scores.
        let mut scored: Vec<(ContentId, Scored)> = cosines
            .iter()
            .filter(|(id, _)| !exclude.contains(id))
            .map(|(&id, cos)| {
                let share = named.get(&id).copied().unwrap_or(0.0);
                (id, score(&terms, cos, share, &line, delta))
            })
            .collect();
        let good_total = scored.iter().filter(|(_, s)| s.good).count();
        let capped = capped || good_total > MAX_GOOD;
        if query.scope == Scope::Good {
            scored.retain(|(_, s)| s.good);
        }
        // Good first, each part by key; ties by content id so pages are stable.
        scored.sort_by(|(a_id, a), (b_id, b)| {
            b.good
                .cmp(&a.good)
                .then(b.key.total_cmp(&a.key))
                .then(a_id.cmp(b_id))
        });

        // Photos, one statement per round. A page by relevance needs the photos of its first
        // contents only: reading the photos of every candidate of a wide filter took longer
        // than the search itself (docs/BENCHMARKS.md). Sorting by time needs them all.
        let primary_bias = primary_bias(&terms, &line);
        let by_time = query.sort != Sort::Relevance || positives.is_empty();
        let mut upto = if by_time {
            scored.len()
        } else {
            // A margin for contents with no searchable photo and shots folded together
            // (both rare; a page that comes out short reads further below). Each content
            // read costs ~7 µs at 100k: twice the page plus 64 was ~2 ms of a first 100.
            (wanted + wanted / 4 + 16).min(scored.len())
        };
        let (page, total) = loop {
            let mut hits = self.hits_of(&scored[..upto], primary_bias, line.scale)?;
            let fetched_all = upto == scored.len();
            let total = if fetched_all {
                hits.len()
            } else {
                scored.len()
            };
            match query.sort {
                Sort::Relevance if positives.is_empty() => {
                    // Filters alone: newest first is the only order that means something.
                    hits.sort_by_key(|h| std::cmp::Reverse(h.1));
                }
                Sort::Relevance => {}
                Sort::Newest | Sort::Oldest => {
                    let newest = query.sort == Sort::Newest;
                    // The good set keeps its place ahead of the rest; each part by time.
                    hits.sort_by(|a, b| {
                        b.0.good.cmp(&a.0.good).then_with(|| {
                            if a.0.good || newest {
                                if newest { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) }
                            } else {
                                std::cmp::Ordering::Equal
                            }
                        })
                    });
                }
            }
            let page = self.group_shots(hits, &exclude, wanted)?;
            if page.len() >= wanted || fetched_all {
                break (page, total);
            }
            // Contents without a searchable photo, or shots folded together: read further.
            upto = (upto * 4).min(scored.len());
        };
        let page = page
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        Ok(QueryResults {
            hits: page,
            good: good_total.min(MAX_GOOD),
            good_capped: capped,
            total,
            folders,
        })
    }

    /// The hits of ranked contents (in their order), each with its time, in one statement:
    /// a content's shortest path is the hit, its other paths its duplicates.
    fn hits_of(
        &self,
        scored: &[(ContentId, Scored)],
        primary_bias: f32,
        scale: f32,
    ) -> Result<Vec<(Hit, i64)>> {
        let ids: Vec<ContentId> = scored.iter().map(|(id, _)| *id).collect();
        let photos = self.reader()?.searchable_photos_of(&ids)?;
        let mut by_content: HashMap<ContentId, Vec<glimpse_catalog::SearchablePhoto>> =
            HashMap::with_capacity(ids.len());
        for p in photos {
            by_content.entry(p.content).or_default().push(p);
        }
        let mut hits = Vec::with_capacity(scored.len());
        for (content, s) in scored {
            let Some(photos) = by_content.remove(content) else {
                continue;
            };
            let mut photos = photos.into_iter();
            let Some(first) = photos.next() else { continue };
            hits.push((
                Hit {
                    photo: first.photo,
                    content: *content,
                    path: first.path,
                    score: (s.key - primary_bias) / scale,
                    good: s.good,
                    taken: first.taken_at,
                    duplicates: photos.map(|p| p.path).collect(),
                },
                first.time,
            ));
        }
        Ok(hits)
    }

    /// For each content whose folder or file name carries words of the positive text terms:
    /// the best share of one term's words it carries.
    fn named(
        &self,
        terms: &[Term],
        allowed: Option<&HashSet<ContentId>>,
    ) -> Result<HashMap<ContentId, f32>> {
        let mut out: HashMap<ContentId, f32> = HashMap::new();
        for term in terms.iter().filter(|t| !t.negative) {
            let TermKind::Text(text) = &term.kind else {
                continue;
            };
            let words = name_words(text);
            if words.is_empty() {
                continue;
            }
            for (content, path_words) in self.reader()?.photos_named(&words)? {
                if allowed.is_some_and(|set| !set.contains(&content)) {
                    continue;
                }
                let share = named_share(&words, &path_words);
                let best = out.entry(content).or_insert(0.0);
                *best = best.max(share);
            }
        }
        out.retain(|_, share| *share > 0.0);
        Ok(out)
    }

    /// The first `want` results with a camera's raw file and the JPEG or HEIF it saved beside
    /// it (`IMG_1234.CR3` + `IMG_1234.JPG`) folded into one result, at the place of the
    /// better-ranked one, both files listed; the other file of an example's own shot is left
    /// out. Only as far as the page needs: one path-index range query per result.
    fn group_shots(
        &self,
        hits: Vec<(Hit, i64)>,
        exclude: &HashSet<ContentId>,
        want: usize,
    ) -> Result<Vec<Hit>> {
        let reader = self.reader()?;
        let mut shown_in_shot = HashSet::new();
        let mut out = Vec::with_capacity(want.min(hits.len()));
        for (mut hit, _) in hits {
            if out.len() == want {
                break;
            }
            if shown_in_shot.contains(&hit.content) {
                continue;
            }
            let shot = reader.indexed_shot_of(&hit.path)?;
            let raw_shot =
                shot.len() > 1 && shot.iter().any(|(_, _, p)| glimpse_media::is_raw_path(p));
            if raw_shot {
                if shot
                    .iter()
                    .any(|(c, _, _)| *c != hit.content && exclude.contains(c))
                {
                    continue;
                }
                for (content, _, path) in shot {
                    if content != hit.content {
                        shown_in_shot.insert(content);
                        hit.duplicates.push(path);
                    }
                }
            }
            out.push(hit);
        }
        Ok(out)
    }

    /// Vectors of the query's terms and example photos, in the search model's space.
    fn embed_terms(&self, model: &Slot, query: &Query) -> Result<Vec<Embedded>> {
        let mut out = Vec::with_capacity(query.terms.len() + query.photos.len());
        for term in &query.terms {
            let (vector, kind) = match &term.kind {
                TermKind::Text(text) => (
                    self.text_vector_with(model, text, query.latest_only)?,
                    Kind::Text,
                ),
                TermKind::Like(path) => (Arc::new(self.example_vector(model, path)?), Kind::Image),
            };
            out.push(Embedded {
                vector,
                kind,
                weight: term.weight,
                negative: term.negative,
            });
        }
        for (photo, weight) in &query.photos {
            let row = self.reader()?.photo(*photo)?;
            let row = row.ok_or_else(|| LibraryError::UnknownPhoto(photo.to_string()))?;
            let vector = match row.content {
                Some(c) => self.reader()?.embedding(c, &model.id)?,
                None => None,
            };
            let vector = vector
                .ok_or_else(|| LibraryError::UnknownPhoto(format!("{photo} (not indexed yet)")))?;
            out.push(Embedded {
                vector: Arc::new(vector),
                kind: Kind::Image,
                weight: *weight,
                negative: false,
            });
        }
        Ok(out)
    }

    /// An example file's vector: the stored one when it is a photo of the library, else
    /// decoded and embedded now, exactly as indexing would.
    fn example_vector(&self, model: &Slot, path: &Path) -> Result<Vec<f32>> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        // One guard at a time: the reader's mutex is not reentrant.
        let content = self
            .reader()?
            .photo_by_path(&canonical)?
            .and_then(|r| r.content);
        let stored = match content {
            Some(c) => self.reader()?.embedding(c, &model.id)?,
            None => None,
        };
        match stored {
            Some(v) => Ok(v),
            None => self.embed_file(model, path),
        }
    }

    /// Contents of the example photos and files, left out of their own results.
    fn example_contents(&self, query: &Query) -> Result<HashSet<ContentId>> {
        let reader = self.reader()?;
        let mut out = HashSet::new();
        for (photo, _) in &query.photos {
            if let Some(c) = reader.photo(*photo)?.and_then(|p| p.content) {
                out.insert(c);
            }
        }
        for term in &query.terms {
            if let TermKind::Like(path) = &term.kind {
                let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                if let Some(c) = reader.photo_by_path(&canonical)?.and_then(|p| p.content) {
                    out.insert(c);
                }
            }
        }
        Ok(out)
    }

    /// The contents the filters allow (`None`: no filter), and the folders `in:` resolved to.
    fn select(&self, filters: &Filters) -> Result<(Option<HashSet<ContentId>>, Vec<PathBuf>)> {
        if filters.is_empty() {
            return Ok((None, Vec::new()));
        }
        let reader = self.reader()?;
        let mut under = Vec::new();
        let mut resolved = Vec::new();
        for folder in &filters.folders {
            let path = Path::new(folder);
            if path.is_absolute() {
                let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                resolved.push(path.clone());
                under.push(path);
            } else {
                // The folders of that name, as path ranges on the path index.
                let named = reader.folders_named(folder)?;
                resolved.extend(named.iter().cloned());
                under.extend(named);
            }
        }
        if !filters.folders.is_empty() && under.is_empty() {
            // No folder has any of those names: nothing can match.
            return Ok((Some(HashSet::new()), resolved));
        }
        let filter = PhotoFilter {
            under,
            after: filters.after.map(|p| p.start()),
            before: filters.before.map(|p| p.start()),
            formats: filters
                .types
                .iter()
                .flat_map(|t| formats_of(*t))
                .map(|s| (*s).to_owned())
                .collect(),
            cameras: filters.cameras.clone(),
            shape: filters.orientation.map(|o| match o {
                Orientation::Portrait => Shape::Portrait,
                Orientation::Landscape => Shape::Landscape,
                Orientation::Square => Shape::Square,
            }),
            names: filters.names.clone(),
        };
        let ids = reader.filtered_contents(&filter)?;
        Ok((Some(ids.into_iter().collect()), resolved))
    }
}

/// The format names (glimpse-media's display names, compared without case) the catalog
/// stores for a `type:`.
fn formats_of(t: FileType) -> &'static [&'static str] {
    match t {
        FileType::Jpeg => &["jpeg"],
        FileType::Png => &["png"],
        FileType::Webp => &["webp"],
        FileType::Gif => &["gif"],
        FileType::Tiff => &["tiff"],
        FileType::Bmp => &["bmp"],
        FileType::Heic => &["heif", "heic"],
        FileType::Avif => &["avif"],
        FileType::Jxl => &["jpeg xl"],
        FileType::Raw => &[
            "raw", "dng", "cr2", "cr3", "nef", "arw", "raf", "orf", "rw2", "pef",
        ],
    }
}

/// The bias that turns a key back into cosine units for display: the text line's, unless
/// every positive term is an example photo.
fn primary_bias(terms: &[Embedded], line: &MatchLine) -> f32 {
    let mut positives = terms.iter().filter(|t| !t.negative);
    match positives.next() {
        Some(first) if positives.all(|t| t.kind == first.kind) => line.bias(first.kind),
        Some(_) => line.text_bias,
        None => line.text_bias,
    }
}

/// How much more a text term weighs than an example photo in a query that has both: an
/// example photo agrees with photos like it on everything (subject, colour, framing), so
/// at equal weight it drowns the words that say what to change ("like this, but red").
/// Measured on the shapes (tests/tests/query.rs): at 1 the example wins, at 2 the words
/// steer it.
const TEXT_STEER: f32 = 2.0;

/// Logits a photo gains when its folder or file name carries every word of a query term
/// ("Paris" finds the Paris folder even where the model sees only streets); a part of the
/// words lifts in proportion but never makes a photo a good match by itself, so the good set
/// of one class never takes in another class's named folder (tests/tests/query.rs).
const NAME_LIFT: f32 = 4.0;

/// Words too common in queries to say anything about a folder or file name.
const STOPWORDS: [&str; 24] = [
    "a", "an", "the", "of", "in", "on", "at", "and", "or", "with", "to", "for", "by", "from", "my",
    "our", "photo", "photos", "picture", "pictures", "image", "images", "shot", "some",
];

/// The words of a query text that may name a folder or file: lowercase, letters and digits,
/// three characters or more, not a stopword.
fn name_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .collect();
    out.dedup();
    out
}

/// The share of `words` that start one of the words of a photo's path.
fn named_share(words: &[String], path_words: &str) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    let tokens: Vec<String> = path_words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect();
    let hit = words
        .iter()
        .filter(|w| tokens.iter().any(|t| t.starts_with(w.as_str())))
        .count();
    hit as f32 / words.len() as f32
}

/// One candidate's key and verdict from its cosines to the terms.
fn score(terms: &[Embedded], cos: &[f32], named: f32, line: &MatchLine, delta: f32) -> Scored {
    let mixed = terms.iter().any(|t| !t.negative && t.kind == Kind::Text)
        && terms.iter().any(|t| !t.negative && t.kind == Kind::Image);
    let mut weight = 0.0;
    let mut sum = 0.0;
    let mut penalty = 0.0;
    let mut excluded = false;
    for (t, c) in terms.iter().zip(cos) {
        if t.negative {
            penalty += t.weight * line.scale * c;
            excluded |= line.scale * c + line.exclude_bias >= 0.0;
        } else {
            let logit = line.logit(t.kind, *c);
            let w = if mixed && t.kind == Kind::Text {
                t.weight * TEXT_STEER
            } else {
                t.weight
            };
            weight += w;
            sum += w * logit;
        }
    }
    if weight == 0.0 {
        // Filters (and exclusions) alone: every photo that passes is a result.
        return Scored {
            key: -penalty,
            good: !excluded,
        };
    }
    let mean = sum / weight;
    let lift = NAME_LIFT * named;
    let full = if named >= 1.0 { lift } else { 0.0 };
    Scored {
        key: mean + lift - penalty,
        good: mean + full >= delta && !excluded,
    }
}
