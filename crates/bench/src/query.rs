//! Query → hits through `Library::query` on a large library, text encoder included: a plain
//! text query, the same with a 1 % folder filter, and with a date range; each query is
//! asked again at once, its text vector then cached, to show the search alone.
//!
//! The library is written straight into the catalog (100 folders of equal size, capture
//! times spread over ten years, clustered synthetic vectors under the model's embedder id),
//! then opened, which builds the vector index from the catalog as a real library's would be
//! rebuilt. Indexing 100k photos through the pipeline would take an hour on two cores and
//! measure nothing more here: the read path only sees the catalog and the index.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use glimpse_catalog::{Catalog, ContentFacts, NewPhoto};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_engine::{Library, LibraryConfig, Query, Scope};

use crate::report::{percentile, table};
use crate::rng::Rng;
use crate::search::{ClusteredVectors, TYPED_QUERIES};

/// What to measure.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// Model folder (its text tower encodes the queries; its id keys the vectors).
    pub model: PathBuf,
    /// Photos in the library.
    pub n: usize,
    /// Library data folder (reused when it already holds `n` photos).
    pub data: PathBuf,
    /// Seed of the vectors and dates.
    pub seed: u64,
}

/// One row: a kind of query, its latencies.
#[derive(Debug, Clone)]
pub struct QueryRow {
    /// The kind, e.g. "text only".
    pub kind: String,
    /// Scope measured.
    pub scope: &'static str,
    /// One sample per query.
    pub samples: Vec<Duration>,
    /// The same queries again right after, their text vectors now in the engine's cache:
    /// the search alone, without the encoder.
    pub cached: Vec<Duration>,
    /// Mean number of hits returned.
    pub mean_hits: f64,
    /// Text forward passes the timed queries ran (the rest found their vector cached; a
    /// row whose queries were all encoded shows `queries`).
    pub encoded: u64,
}

const FOLDERS: usize = 100;
/// 2015-01-01 and ten years on.
const TIME_FROM: i64 = 1_420_070_400;
const TIME_SPAN: i64 = 10 * 365 * 86_400;

/// Builds the library if needed, then times the queries.
pub fn run(options: &QueryOptions) -> Result<(Vec<QueryRow>, Duration)> {
    let files = ModelFiles::from_dir(&options.model)?;
    let (embedder_id, dim) = {
        let embedder = Embedder::load(&files, DeviceChoice::Cpu)?;
        (embedder.id().to_string(), embedder.dim())
    };
    build(&options.data, options.n, &embedder_id, dim, options.seed)?;
    let open_started = Instant::now();
    let library = Library::open(LibraryConfig::new(&options.data).with_model(files))?;
    let opened = open_started.elapsed();
    let mut rows = Vec::new();
    // A word per row keeps each row's texts its own: the engine caches a text's vector, and
    // a filter is not part of the text, so without it a filtered row would reuse the
    // vectors the text-only row encoded and leave the encoder out of its timing.
    let mut row_words = ["one", "two", "three", "four", "five", "six"].into_iter();
    for (kind, suffix) in [
        ("text only", String::new()),
        ("1 % folder filter", " in:folder-042".to_string()),
        (
            "date range (6 months)",
            " after:2019-03 before:2019-09".to_string(),
        ),
    ] {
        for (scope, scope_name, limit) in [
            (Scope::Good, "good", 1000),
            (Scope::All, "all, first 100", 100),
        ] {
            let mut samples = Vec::new();
            let mut cached = Vec::new();
            let mut hits = 0usize;
            let word = row_words.next().unwrap_or("more");
            let encodes_before = library.text_encodes();
            // Distinct texts per (kind, scope): each query pays for its text encoding.
            for q in TYPED_QUERIES {
                let text = format!("{q} {word}{suffix}");
                let query = Query::parse(&text)?.scope(scope).page(0, limit);
                let started = Instant::now();
                let found = library.query(&query)?;
                samples.push(started.elapsed());
                hits += found.hits.len();
                let started = Instant::now();
                library.query(&query)?;
                cached.push(started.elapsed());
            }
            rows.push(QueryRow {
                kind: kind.to_string(),
                scope: scope_name,
                mean_hits: hits as f64 / TYPED_QUERIES.len() as f64,
                encoded: library.text_encodes() - encodes_before,
                samples,
                cached,
            });
        }
    }
    Ok((rows, opened))
}

/// Writes `n` photos with vectors into a fresh catalog at `data` (skipped when one with
/// `n` photos is there).
fn build(data: &Path, n: usize, embedder: &str, dim: usize, seed: u64) -> Result<bool> {
    let catalog_path = data.join("catalog.sqlite");
    if catalog_path.exists() {
        let catalog = Catalog::open(&catalog_path)?;
        if catalog.status()?.indexed as usize == n {
            // The library keeps its recent query vectors across opens: an earlier run's
            // would answer this run's texts without the encoder.
            catalog.forget_query_vectors()?;
            return Ok(false);
        }
        drop(catalog);
        std::fs::remove_dir_all(data)?;
    }
    std::fs::create_dir_all(data)?;
    let catalog = Catalog::open(&catalog_path)?;
    let mut vectors = ClusteredVectors::new(dim, 1000, seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let root = data.join("photos");
    let per_folder = n.div_ceil(FOLDERS);
    let folder_ids: Vec<i64> = (0..FOLDERS)
        .map(|f| catalog.add_folder(&root.join(format!("folder-{f:03}"))))
        .collect::<std::result::Result<_, _>>()?;
    for chunk_start in (0..n).step_by(5000) {
        catalog.transaction(|cat| {
            for i in chunk_start..(chunk_start + 5000).min(n) {
                let f = i / per_folder;
                let path = root
                    .join(format!("folder-{f:03}"))
                    .join(format!("IMG_{i:06}.jpg"));
                let id = cat.insert_photo(&NewPhoto {
                    folder: folder_ids[f],
                    path,
                    size: 1,
                    mtime_ns: 0,
                })?;
                let mut hash = [0u8; 32];
                hash[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let taken = TIME_FROM + (rng.next_u64() % TIME_SPAN as u64) as i64;
                let content = cat.upsert_content(
                    &hash,
                    &ContentFacts {
                        format: "JPEG".into(),
                        width: 4000,
                        height: 3000,
                        taken_at: Some(taken),
                        camera_make: None,
                        camera_model: None,
                    },
                )?;
                cat.put_embedding(content, embedder, &vectors.next_vector())?;
                cat.set_indexed(id, content, 1, 0)?;
            }
            Ok(())
        })?;
    }
    Ok(true)
}

/// The rows as markdown.
pub fn markdown(rows: &[QueryRow], n: usize, opened: Duration) -> String {
    let ms = |d: Option<Duration>| {
        d.map_or("–".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3))
    };
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.kind.clone(),
                r.scope.to_string(),
                r.samples.len().to_string(),
                r.encoded.to_string(),
                ms(percentile(&r.samples, 50.0)),
                ms(percentile(&r.samples, 95.0)),
                format!(
                    "{} / {}",
                    ms(percentile(&r.cached, 50.0)),
                    ms(percentile(&r.cached, 95.0))
                ),
                format!("{:.0}", r.mean_hits),
            ]
        })
        .collect();
    format!(
        "{n} photos (library opened and its index built from the catalog in {:.1} s)\n\n{}",
        opened.as_secs_f64(),
        table(
            &[
                "query",
                "scope",
                "queries",
                "encoded",
                "p50",
                "p95",
                "search alone p50 / p95",
                "mean hits"
            ],
            &body
        )
    )
}
