//! `typing`: a person typing into the search box, keystroke by keystroke, against a real
//! library, with and without the per-keystroke prefetch the app does
//! ([`Library::prefetch_text`]).
//!
//! It replays what the UI's search controller does: every keystroke of each
//! [`TYPED_QUERIES`] entry `key` apart, a search sent `debounce` after a keystroke that no
//! newer one followed (so with keystrokes slower than the debounce, every prefix is
//! searched), each call on its own thread as the shell runs commands on its blocking pool,
//! and each a latest-only query as the app's (a search typed past while it waits for the
//! text encoder gives way). What is timed is the wait a person sees after the pause: from
//! the final search being sent to its hits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, LibraryError, Query, Scope};

use crate::report::{ms, percentile, table};
use crate::search::TYPED_QUERIES;

/// What to run.
#[derive(Debug, Clone)]
pub struct TypingOptions {
    /// Model folder.
    pub model: PathBuf,
    /// An indexed library's data folder (opened in place).
    pub data: PathBuf,
    /// Time between keystrokes.
    pub key: Duration,
    /// The search box's quiet time before a search.
    pub debounce: Duration,
}

/// One pass over the queries.
#[derive(Debug, Clone)]
pub struct TypingPass {
    /// Whether each keystroke prefetched its text.
    pub prefetch: bool,
    /// Per query: the final search, sent to hits.
    pub final_search: Vec<Duration>,
    /// Text forward passes run, over all queries.
    pub encodes: u64,
    /// Keystrokes typed, over all queries.
    pub keystrokes: usize,
}

/// Both passes.
#[derive(Debug, Clone)]
pub struct TypingReport {
    /// Photos in the library.
    pub photos: usize,
    /// Options used.
    pub options: TypingOptions,
    /// Without prefetch, then with it (each on a fresh query cache).
    pub passes: Vec<TypingPass>,
}

/// Types every query twice, first without prefetch, then with it, each on a freshly opened
/// library so the query cache starts empty.
pub fn run(options: &TypingOptions) -> Result<TypingReport> {
    let files = ModelFiles::from_dir(&options.model)
        .with_context(|| format!("model in {}", options.model.display()))?;
    let mut passes = Vec::new();
    let mut photos = 0;
    for prefetch in [false, true] {
        let library = Library::open(LibraryConfig::new(&options.data).with_model(files.clone()))
            .with_context(|| format!("library in {}", options.data.display()))?;
        photos = library.status()?.indexed as usize;
        // The first query after loading pays for one-time set-up (the f16 copy of the text
        // weights), which is not typing.
        library.search("warm up", 1)?;
        let encodes = library.text_encodes();
        let mut final_search = Vec::new();
        let mut keystrokes = 0;
        for query in TYPED_QUERIES {
            final_search.push(type_query(&library, query, prefetch, options)?);
            keystrokes += query.chars().count();
        }
        passes.push(TypingPass {
            prefetch,
            final_search,
            encodes: library.text_encodes() - encodes,
            keystrokes,
        });
    }
    Ok(TypingReport {
        photos,
        options: options.clone(),
        passes,
    })
}

/// Types `query` a character at a time; returns the final search's time to hits.
fn type_query(
    library: &Library,
    query: &str,
    prefetch: bool,
    options: &TypingOptions,
) -> Result<Duration> {
    let prefixes: Vec<&str> = query
        .char_indices()
        .map(|(i, c)| &query[..i + c.len_utf8()])
        .collect();
    std::thread::scope(|s| -> Result<Duration> {
        let mut last = None;
        for (i, prefix) in prefixes.iter().enumerate() {
            let typed = Instant::now();
            if prefetch {
                s.spawn(move || library.prefetch_text(prefix));
            }
            if i + 1 == prefixes.len() {
                std::thread::sleep(options.debounce);
                let sent = Instant::now();
                // As the UI does: the newest search, should it give way, is asked again.
                loop {
                    match library.query(&box_query(prefix)) {
                        Err(LibraryError::Superseded) => continue,
                        answered => {
                            answered?;
                            break;
                        }
                    }
                }
                last = Some(sent.elapsed());
            } else if options.key > options.debounce {
                std::thread::sleep(options.debounce);
                // The UI does not wait for this answer before the next keystroke.
                s.spawn(move || library.query(&box_query(prefix)));
                std::thread::sleep(options.key.saturating_sub(typed.elapsed()));
            } else {
                std::thread::sleep(options.key);
            }
        }
        last.context("an empty query")
    })
}

/// The search box's query for `text`, as the app sends it.
fn box_query(text: &str) -> Query {
    Query::text(text)
        .scope(Scope::Good)
        .page(0, 400)
        .latest_only()
}

/// The report as markdown.
pub fn markdown(r: &TypingReport) -> String {
    let rows: Vec<Vec<String>> = r
        .passes
        .iter()
        .map(|p| {
            let pct = |q: f64| percentile(&p.final_search, q).map_or("n/a".to_owned(), ms);
            vec![
                if p.prefetch {
                    "prefetch each keystroke".to_owned()
                } else {
                    "search only".to_owned()
                },
                pct(50.0),
                pct(95.0),
                p.final_search
                    .iter()
                    .max()
                    .copied()
                    .map_or("n/a".to_owned(), ms),
                format!(
                    "{} ({:.2} per keystroke)",
                    p.encodes,
                    p.encodes as f64 / p.keystrokes.max(1) as f64
                ),
            ]
        })
        .collect();
    format!(
        "{} queries typed a key every {} ms, search {} ms after the last key, {} photos:\n\n{}",
        TYPED_QUERIES.len(),
        r.options.key.as_millis(),
        r.options.debounce.as_millis(),
        r.photos,
        table(
            &[
                "mode",
                "final search → hits p50",
                "p95",
                "max",
                "text forward passes"
            ],
            &rows
        )
    )
}
