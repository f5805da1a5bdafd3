//! One function per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use glimpse_engine::{Encoder, Hit, Library, LibraryConfig, Query, Scope, SimilarTo};
use serde::Serialize;

use crate::{Cli, model, progress};

/// The data folder: `--data-dir`, or the platform's (e.g. `~/.local/share/glimpse`).
fn data_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &cli.data_dir {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("", "", "glimpse")
        .map(|d| d.data_dir().to_path_buf())
        .context("cannot find a data folder for this user; pass --data-dir DIR")
}

fn open(cli: &Cli, with_model: bool) -> anyhow::Result<Library> {
    let dir = data_dir(cli)?;
    let mut config = LibraryConfig::new(&dir);
    config.device = cli.device;
    if with_model {
        config.model = Some(model::resolve(cli)?);
    }
    Library::open(config).with_context(|| format!("cannot open the library in {}", dir.display()))
}

#[derive(Serialize)]
struct JsonHit {
    path: String,
    score: f32,
    good: bool,
    /// Capture time as RFC 3339, or null.
    taken: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    duplicates: Vec<String>,
}

/// Prints hits: JSON, or a line each with a divider before the less likely ones. `what`
/// names the query for the "no good matches" line.
fn print_hits(hits: &[Hit], json: bool, all: bool, what: &str) -> anyhow::Result<()> {
    if json {
        let out: Vec<JsonHit> = hits
            .iter()
            .map(|h| JsonHit {
                path: h.path.to_string_lossy().into_owned(),
                score: h.score,
                good: h.good,
                taken: h.taken.map(glimpse_engine::grammar::rfc3339),
                duplicates: h
                    .duplicates
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let good = hits.iter().filter(|h| h.good).count();
    if good == 0 {
        if all && !hits.is_empty() {
            eprintln!("no good matches for {what}; the closest:");
        } else {
            eprintln!(
                "no good matches for {what} (--all shows the closest; `glimpse status` shows what is indexed)"
            );
        }
    }
    let mut divided = good == 0;
    for h in hits {
        if !h.good && !divided {
            println!("--- less likely ---");
            divided = true;
        }
        // Exact copies, and the raw/JPEG files of the same shot.
        let dups = if h.duplicates.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = h
                .duplicates
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            format!("  (also {})", names.join(", "))
        };
        println!("{:.3}  {}{dups}", h.score, h.path.display());
    }
    Ok(())
}

pub(crate) fn index(cli: &Cli, dirs: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let library = open(cli, true)?;
    let started = Instant::now();
    let events = library.subscribe();
    let mut roots = Vec::new();
    for dir in dirs {
        let id = library
            .add_folder(dir)
            .with_context(|| format!("cannot add {}", dir.display()))?;
        roots.push((
            id,
            std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()),
        ));
    }
    progress::follow(&library, events)?;
    let stats = library.run_stats();
    let elapsed = started.elapsed().as_secs_f64();
    let failures: Vec<_> = library
        .status()?
        .failures
        .into_iter()
        .filter(|f| roots.iter().any(|(_, r)| f.path.starts_with(r)))
        .collect();
    if json {
        #[derive(Serialize)]
        struct Summary {
            folders: Vec<String>,
            scanned: u64,
            indexed: u64,
            unchanged: u64,
            renamed: u64,
            removed: u64,
            failed: u64,
            failures: Vec<glimpse_engine::FailedFile>,
            seconds: f64,
            images_per_second: f64,
        }
        let summary = Summary {
            folders: roots
                .iter()
                .map(|(_, p)| p.to_string_lossy().into_owned())
                .collect(),
            scanned: stats.scanned,
            indexed: stats.embedded,
            unchanged: stats.unchanged,
            renamed: stats.reused,
            removed: stats.removed,
            failed: stats.failed,
            failures,
            seconds: elapsed,
            images_per_second: if elapsed > 0.0 {
                stats.embedded as f64 / elapsed
            } else {
                0.0
            },
        };
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "indexed {}, unchanged {}, renamed or duplicate {}, removed {}, failed {} — {:.1} s",
            stats.embedded, stats.unchanged, stats.reused, stats.removed, stats.failed, elapsed
        );
        for f in &failures {
            println!("  failed: {}: {}", f.path.display(), f.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn watch(cli: &Cli, dirs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;
    let library = open(cli, true)?;
    let events = library.subscribe();
    for dir in dirs {
        library
            .add_folder(dir)
            .with_context(|| format!("cannot add {}", dir.display()))?;
    }
    library.resume()?;
    library.watch()?;
    let folders = library.folders()?;
    if folders.is_empty() {
        bail!("the library has no folders yet: `glimpse watch DIR` adds one");
    }
    eprintln!("watching {} folder(s); Ctrl-C to stop", folders.len());
    for f in &folders {
        eprintln!("  {}", f.path.display());
    }
    let mut last_done = 0;
    loop {
        if stop_rx.try_recv().is_ok() {
            break;
        }
        match events.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(glimpse_engine::Event::Progress {
                done,
                total,
                current,
                ..
            }) if done != last_done => {
                last_done = done;
                if let Some(path) = current {
                    eprintln!("[{done}/{total}] {}", path.display());
                }
            }
            Ok(glimpse_engine::Event::ItemFailed { path, reason }) => {
                eprintln!("skipped {}: {reason}", path.display());
            }
            Ok(glimpse_engine::Event::Idle) => {
                last_done = 0;
                let s = library.status()?;
                eprintln!(
                    "up to date: {} photos searchable, {} failed",
                    s.indexed, s.failed
                );
            }
            Ok(glimpse_engine::Event::Stopped { message }) => bail!("indexing stopped: {message}"),
            _ => {}
        }
    }
    eprintln!("stopping…");
    // Dropping the library stops the watcher, lets the writer finish its transaction and
    // save the index; work not done stays queued in the catalog for next time.
    drop(library);
    Ok(ExitCode::SUCCESS)
}

/// A query the grammar refuses: one line naming the token, exit status 2 (a usage error).
fn bad_query(e: &glimpse_engine::grammar::QueryError) -> ExitCode {
    eprintln!("glimpse: error: {e}");
    ExitCode::from(2)
}

pub(crate) fn search(
    cli: &Cli,
    text: &str,
    limit: usize,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let query = match Query::parse(text) {
        Ok(q) => q,
        Err(e) => return Ok(bad_query(&e)),
    };
    let scope = if all { Scope::All } else { Scope::Good };
    let library = open(cli, true)?;
    let found = library.query(&query.scope(scope).page(0, limit))?;
    print_hits(&found.hits, json, all, &format!("“{}”", text.trim()))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn similar(
    cli: &Cli,
    image: &Path,
    limit: usize,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let library = open(cli, true)?;
    let mut hits = library.similar(&SimilarTo::File(image.to_path_buf()), limit)?;
    if !all {
        hits.retain(|h| h.good);
    }
    print_hits(&hits, json, all, &image.display().to_string())?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn status(cli: &Cli, json: bool, check: bool) -> anyhow::Result<ExitCode> {
    // Status must work before any model is downloaded; the check needs the model's index.
    let library = open(cli, check || cli.model_dir.is_some() || cli.model.is_some())?;
    let status = library.status()?;
    let report = if check {
        library.wait_idle()?;
        Some(library.check()?)
    } else {
        None
    };
    let healthy = report.as_ref().is_none_or(|r| r.is_healthy());
    let code = if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if json {
        let mut value = serde_json::to_value(&status)?;
        if let Some(r) = &report {
            value["check"] = serde_json::to_value(r)?;
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(code);
    }
    println!("library: {}", status.data_dir.display());
    if let Some(model) = &status.model {
        println!("model: {model} ({} vectors)", status.vectors);
    }
    println!(
        "photos: {} ({} searchable, {} waiting, {} failed; {} distinct)",
        status.photos, status.indexed, status.pending, status.failed, status.distinct
    );
    for f in &status.folders {
        println!(
            "  {}  {} photos, {} searchable, {} waiting, {} failed",
            f.path.display(),
            f.photos,
            f.indexed,
            f.pending,
            f.failed
        );
    }
    if !status.failures.is_empty() {
        println!("files that could not be indexed:");
        for f in &status.failures {
            println!("  {}: {}", f.path.display(), f.reason);
        }
    }
    if let Some(r) = &report {
        if r.is_healthy() {
            println!(
                "check: healthy (SQLite intact; the vector index holds exactly the catalog's vectors)"
            );
        } else {
            println!(
                "check: PROBLEMS — SQLite: {:?}; vectors missing from the index: {}; unknown keys in the index: {}; searchable photos without a vector: {}",
                r.integrity,
                r.missing_from_index.len(),
                r.unknown_in_index.len(),
                r.indexed_without_vector.len()
            );
        }
    }
    Ok(code)
}

pub(crate) fn folders(cli: &Cli, json: bool) -> anyhow::Result<ExitCode> {
    let library = open(cli, false)?;
    let folders = library.folders()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&folders)?);
    } else if folders.is_empty() {
        eprintln!("no folders yet: add one with `glimpse index DIR`");
    } else {
        for f in folders {
            println!("{}  ({} photos)", f.path.display(), f.photos);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn forget(cli: &Cli, dir: &Path) -> anyhow::Result<ExitCode> {
    let library = open(cli, false)?;
    library.remove_folder(dir)?;
    println!("forgot {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct EmbeddingOut<'a> {
    model: &'a str,
    dim: usize,
    embedding: &'a [f32],
}

/// Prints an embedding as `{"model", "dim", "embedding"}`.
fn print_embedding(encoder: &Encoder, v: &[f32]) -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string(&EmbeddingOut {
            model: encoder.id(),
            dim: v.len(),
            embedding: v
        })?
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn embed_text(cli: &Cli, text: &str) -> anyhow::Result<ExitCode> {
    let files = model::resolve(cli)?;
    let encoder = Encoder::load(&files, cli.device)?;
    print_embedding(&encoder, &encoder.embed_text(text)?)
}

/// The vector indexing would store for `path`: the same reduced-scale decode, orientation
/// and preprocessing (the engine's one preparation step).
pub(crate) fn embed_image(cli: &Cli, path: &Path) -> anyhow::Result<ExitCode> {
    let files = model::resolve(cli)?;
    let encoder = Encoder::load(&files, cli.device)?;
    print_embedding(&encoder, &encoder.embed_image(path)?)
}

/// The demo library: one per user and per demo-pictures folder, so two checkouts (or two
/// users) never share one, and a second run finds its pictures already indexed.
fn demo_data_dir(pictures: &Path) -> PathBuf {
    let hash = glimpse_engine::prepare::content_hash(pictures.as_os_str().as_encoded_bytes());
    let tag: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("demo-{tag}");
    match directories::ProjectDirs::from("", "", "glimpse") {
        Some(dirs) => dirs.cache_dir().join(name),
        None => std::env::temp_dir().join(format!("glimpse-{name}")),
    }
}

pub(crate) fn demo(cli: &Cli, text: &str) -> anyhow::Result<ExitCode> {
    let (model_dir, pictures) = crate::demo::assets()?;
    let data = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => demo_data_dir(&pictures),
    };
    println!("Glimpse demo");
    println!(
        "  model:    {} (a small CLIP trained on coloured shapes)",
        model_dir.display()
    );
    println!("  pictures: {}", pictures.display());
    println!("  library:  {}", data.display());
    let mut config = LibraryConfig::new(&data);
    config.device = cli.device;
    config.model = Some(glimpse_engine::ModelFiles::from_dir(&model_dir)?);
    let library = Library::open(config)?;
    let started = Instant::now();
    let events = library.subscribe();
    library.add_folder(&pictures)?;
    progress::follow(&library, events)?;
    let stats = library.run_stats();
    let status = library.status()?;
    println!(
        "{} pictures searchable ({} newly indexed, {} unchanged) after {:.1} s",
        status.indexed,
        stats.embedded,
        stats.unchanged,
        started.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let found = library.query(&Query::text(text).scope(Scope::All).page(0, 10))?;
    let hits = found.hits;
    println!(
        "\nsearch \"{text}\" ({:.1} ms): {} good matches",
        t.elapsed().as_secs_f64() * 1e3,
        found.good
    );
    print_hits(&hits, false, true, &format!("“{text}”"))?;
    // The demo pictures are named COLOUR-SHAPE-NNN: say how many results match the words.
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "a").collect();
    if let [colour, shape] = words[..] {
        let prefix = format!("{colour}-{shape}-");
        let right = hits
            .iter()
            .filter(|h| {
                h.path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
            })
            .count();
        println!("\n{right} of the top {} are {colour} {shape}s.", hits.len());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelRow<'a> {
    #[serde(flatten)]
    entry: &'a glimpse_models::Entry,
    /// Images/second this computer measured when the model first indexed.
    measured_images_per_second: Option<f64>,
    /// Vectors this library keeps for the model.
    stored_vectors: u64,
    default: bool,
    chosen: bool,
}

/// `glimpse models`: the catalogue, with what this computer and this library know of each.
pub(crate) fn models(cli: &Cli, json: bool) -> anyhow::Result<ExitCode> {
    let library = open(cli, false)?;
    let speeds = library.model_speeds()?;
    let stored = library.stored_models()?;
    let named = cli.model.is_some() || cli.model_dir.is_some();
    let chosen = named.then(|| model::chosen(cli)).transpose()?;
    let default = glimpse_models::ModelRef::default_model();
    let rows: Vec<ModelRow<'_>> = glimpse_models::CATALOGUE
        .iter()
        .map(|entry| ModelRow {
            entry,
            measured_images_per_second: speeds
                .iter()
                .find(|s| s.model == entry.repo)
                .map(|s| s.images_per_second),
            stored_vectors: stored
                .iter()
                .filter(|m| m.id.starts_with(&format!("{}@", entry.repo)))
                .map(|m| m.vectors)
                .sum(),
            default: default.entry() == Some(entry),
            chosen: chosen.as_ref().and_then(|c| c.entry()) == Some(entry),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "  {:<19} {:<34} {:>9} {:>5}  {:<13} {:>9}  {:>11}  {:>8}",
        "NAME", "MODEL", "DOWNLOAD", "DIM", "LANGUAGES", "COCO R@1", "SPEED HERE", "VECTORS"
    );
    for r in &rows {
        let mark = match (r.chosen, r.default) {
            (true, _) => '>',
            (false, true) => '*',
            _ => ' ',
        };
        let speed = r
            .measured_images_per_second
            .map_or_else(|| "—".to_string(), |s| format!("{s:.1} img/s"));
        let languages = if r.entry.multilingual {
            "multilingual"
        } else {
            "English"
        };
        println!(
            "{mark} {:<19} {:<34} {:>9} {:>5}  {:<13} {:>8.1}%  {:>11}  {:>8}",
            r.entry.name,
            r.entry.title,
            human_bytes(r.entry.download_bytes),
            r.entry.dim,
            languages,
            r.entry.retrieval.coco_text_to_image_r1,
            speed,
            r.stored_vectors,
        );
    }
    println!(
        "\n* default   > chosen with --model   COCO R@1: zero-shot text→image Recall@1, from \
         open_clip's retrieval table (CLIP) and the SigLIP 2 paper, Table 1.\n\
         SPEED HERE: images/second the model embedded on this computer when it first \
         indexed (— until then). Use one with --model NAME, or any hub repo as org/name."
    );
    let others: Vec<_> = stored
        .iter()
        .filter(|m| {
            !rows
                .iter()
                .any(|r| m.id.starts_with(&format!("{}@", r.entry.repo)))
        })
        .collect();
    if !others.is_empty() {
        println!("\nOther models with vectors in this library:");
        for m in others {
            println!("  {} ({} vectors)", m.id, m.vectors);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GB", n as f64 / 1e9)
    } else {
        format!("{} MB", n / 1_000_000)
    }
}
