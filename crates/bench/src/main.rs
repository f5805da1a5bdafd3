//! `glimpse-bench`: synthetic inputs and benchmarks for Glimpse. See `docs/BENCHMARKS.md`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use glimpse_bench::report::{machine, size, table};
use glimpse_bench::{decoding, indexing, model, newest, photos, query, search, typing};
use glimpse_vectors::Quantization;

/// Benchmarks for Glimpse (build with --release).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a random-weight CLIP with the shape of a model config (ViT-B/32 by default).
    MakeModel {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Folder with config.json, preprocessor_config.json and tokenizer.json.
        #[arg(long, default_value = "tests/fixtures/vit-b32-config")]
        config: PathBuf,
        /// Seed of the weights.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Generate camera-sized photos (12 MP JPEGs, some PNG/WebP, some EXIF-rotated).
    MakePhotos {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Number of photos.
        #[arg(long)]
        count: usize,
        /// Seed of the content.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Full size of a landscape photo, WIDTHxHEIGHT (PNGs and WebPs are smaller, see
        /// `photos`). Small sizes such as 96x72 make large libraries (100k photos) quick
        /// to generate and index.
        #[arg(long = "size", default_value = "4000x3000", value_parser = parse_size)]
        full_size: (u32, u32),
    },
    /// Index a folder into a fresh library: throughput, stage split, rescan, peak memory.
    Index {
        /// Model folder.
        #[arg(long)]
        model: PathBuf,
        /// Photo folder.
        #[arg(long)]
        photos: PathBuf,
        /// Library data folder (new or empty); a temporary one by default.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Photos timed stage by stage.
        #[arg(long, default_value_t = 20)]
        sample: usize,
        /// Batch size of the stage timing's embedding.
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Limit indexing to this share of the machine's CPU (10–100 %), through
        /// `Library::set_cpu_limit`; the report says how much it used.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(10..=100))]
        cpu_limit: u8,
    },
    /// Time from a photo landing in a watched folder to it appearing in search results.
    Latency {
        /// Model folder.
        #[arg(long)]
        model: PathBuf,
        /// Folder of photos to drop one at a time.
        #[arg(long)]
        photos: PathBuf,
        /// How many photos to drop.
        #[arg(long, default_value_t = 20)]
        count: usize,
        /// The watcher's settle time in milliseconds (the app uses 1000).
        #[arg(long, default_value_t = 1000)]
        settle_ms: u64,
    },
    /// Type queries key by key into a real library, with and without per-keystroke
    /// prefetch, and time the search after the pause.
    Typing {
        /// Model folder (the one the library was indexed with).
        #[arg(long)]
        model: PathBuf,
        /// An indexed library's data folder, e.g. from `index --data`.
        #[arg(long)]
        data: PathBuf,
        /// Milliseconds between keystrokes (120 ≈ 100 words a minute).
        #[arg(long, default_value_t = 120)]
        key_ms: u64,
        /// The search box's debounce in milliseconds (the main window's).
        #[arg(long, default_value_t = 90)]
        debounce_ms: u64,
    },
    /// Time until the newest photos of a large folder are searchable (mtimes of the folder's
    /// files are rewritten: one hour apart, in a seeded shuffled order).
    Newest {
        /// Model folder.
        #[arg(long)]
        model: PathBuf,
        /// Photo folder, e.g. from `make-photos --count 20000 --size 640x480`.
        #[arg(long)]
        photos: PathBuf,
        /// How many of the newest must be searchable.
        #[arg(long, default_value_t = 1000)]
        newest: usize,
        /// Seed of the mtime order.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Query → hits through the search box's path on a large synthetic library (text encoder
    /// included): text only, with a 1 % folder filter, with a date range.
    Query {
        /// Model folder.
        #[arg(long)]
        model: PathBuf,
        /// Photos in the library.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Library data folder (built on first use, reused after).
        #[arg(long)]
        data: PathBuf,
        /// Seed of the vectors and dates.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a library over a folder of real photos (e.g. `make-photos --count 100000
    /// --size 96x72`) with synthetic vectors under the model's id, for the app's launch and
    /// memory figures (tests/e2e/tests/bench.rs).
    LaunchLibrary {
        /// Model folder (its embedder id keys the vectors).
        #[arg(long)]
        model: PathBuf,
        /// Photo folder (its JPEG, PNG and WebP files).
        #[arg(long)]
        photos: PathBuf,
        /// New library data folder.
        #[arg(long)]
        data: PathBuf,
        /// Seed of the vectors and dates.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Decode speed of image files (e.g. from `make_formats.py --bench DIR`): the
    /// indexer's scaled decode and a full-size decode, per file.
    Decode {
        /// Files, or folders whose image files are all timed.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Timed decodes per file (after one warm-up); the median is reported.
        #[arg(long, default_value_t = 5)]
        repeats: usize,
    },
    /// Vector-search latency and recall on synthetic vectors; text-query latency.
    Search {
        /// Model folder (its projection size sets the dimensions; also times text queries).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Index sizes.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        n: Vec<usize>,
        /// Storages to measure.
        #[arg(long, value_delimiter = ',', default_value = "f16,i8")]
        quantization: Vec<Quantization>,
        /// Timed queries per index.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Queries also searched exactly, for recall.
        #[arg(long, default_value_t = 200)]
        exact_queries: usize,
        /// Results per query.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Cluster centres of the synthetic vectors.
        #[arg(long, default_value_t = 1000)]
        centres: usize,
        /// Passes over the typed queries for the warm text latency.
        #[arg(long, default_value_t = 2)]
        text_repeats: usize,
        /// USearch search expansions to measure on each built index (default: the
        /// library's default only), e.g. 128,256,512.
        #[arg(long, value_delimiter = ',')]
        expansion_search: Vec<usize>,
        /// Seed of the vectors.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    println!("_Machine: {}; {}_\n", machine(), profile());
    match cli.command {
        Command::MakeModel { out, config, seed } => {
            let started = std::time::Instant::now();
            let summary = model::make_model(&config, &out, seed)?;
            println!(
                "{}: {} tensors, {:.1} M parameters, model.safetensors {} ({:.1} s)",
                out.display(),
                summary.tensors,
                summary.parameters as f64 / 1e6,
                size(summary.weights_bytes),
                started.elapsed().as_secs_f64()
            );
        }
        Command::MakePhotos {
            out,
            count,
            seed,
            full_size,
        } => {
            let summary = photos::make_photos(&out, count, seed, full_size)?;
            let rows: Vec<Vec<String>> = summary
                .kinds
                .iter()
                .map(|(kind, w, h, files, bytes)| {
                    vec![
                        format!("{kind:?}"),
                        format!("{w}×{h}"),
                        files.to_string(),
                        size(*bytes / (*files).max(1) as u64),
                        size(*bytes),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["kind", "stored size", "files", "mean size", "total"],
                    &rows
                )
            );
            println!(
                "{} photos, {} in {:.1} s on {} threads",
                summary.files(),
                size(summary.bytes()),
                summary.elapsed.as_secs_f64(),
                summary.threads
            );
        }
        Command::LaunchLibrary {
            model,
            photos,
            data,
            seed,
        } => {
            let n = glimpse_bench::launch::build(&model, &photos, &data, seed)?;
            println!("{n} photos registered in {}", data.display());
        }
        Command::Query {
            model,
            n,
            data,
            seed,
        } => {
            let (rows, opened) = query::run(&query::QueryOptions {
                model,
                n,
                data,
                seed,
            })?;
            println!("{}", query::markdown(&rows, n, opened));
        }
        Command::Newest {
            model,
            photos,
            newest: count,
            seed,
        } => {
            let report = newest::run(&newest::NewestOptions {
                model,
                photos: photos.clone(),
                newest: count,
                seed,
            })?;
            println!("{}", newest::markdown(&report, &photos));
        }
        Command::Typing {
            model,
            data,
            key_ms,
            debounce_ms,
        } => {
            let report = typing::run(&typing::TypingOptions {
                model,
                data,
                key: std::time::Duration::from_millis(key_ms),
                debounce: std::time::Duration::from_millis(debounce_ms),
            })?;
            println!("{}", typing::markdown(&report));
        }
        Command::Index {
            model,
            photos,
            data,
            sample,
            batch,
            cpu_limit,
        } => {
            let report = indexing::run(&indexing::IndexOptions {
                model,
                photos,
                data,
                sample,
                batch,
                cpu_limit,
            })?;
            println!("{}", indexing::markdown(&report));
        }
        Command::Latency {
            model,
            photos,
            count,
            settle_ms,
        } => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&photos)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| glimpse_media::is_candidate(p))
                .collect();
            files.sort();
            files.truncate(count);
            let report = glimpse_bench::latency::run(&glimpse_bench::latency::LatencyOptions {
                model,
                photos: files,
                settle: std::time::Duration::from_millis(settle_ms),
            })?;
            println!("{}", glimpse_bench::latency::markdown(&report));
        }
        Command::Decode { files, repeats } => {
            let mut all = Vec::new();
            for path in files {
                if path.is_dir() {
                    let mut inside: Vec<PathBuf> = std::fs::read_dir(&path)?
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| glimpse_media::is_candidate(p))
                        .collect();
                    inside.sort();
                    all.extend(inside);
                } else {
                    all.push(path);
                }
            }
            let rows = decoding::run(&all, repeats)?;
            println!("{}", decoding::markdown(&rows, repeats));
        }
        Command::Search {
            model,
            n,
            quantization,
            queries,
            exact_queries,
            k,
            centres,
            text_repeats,
            seed,
            expansion_search,
        } => {
            let dim = match &model {
                Some(dir) => {
                    glimpse_embed::ClipConfig::from_file(&dir.join("config.json"))?.projection_dim
                }
                None => 512,
            };
            let options = search::SearchOptions {
                sizes: n,
                quantizations: quantization,
                queries,
                exact_queries,
                k,
                dim,
                centres,
                seed,
                model: model.clone(),
                expansion_search,
            };
            let (rows, exact) = search::run_vectors(&options)?;
            println!("{}", search::markdown_vectors(&options, &rows, &exact));
            if let Some(dir) = model {
                let text = search::run_text(&dir, text_repeats)?;
                println!("{}", search::markdown_text(&text));
            }
        }
    }
    Ok(())
}

/// Parses `WIDTHxHEIGHT`, both at least 16 px (the smallest PNG/WebP is 40 % of it).
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("{text:?}: expected WIDTHxHEIGHT, e.g. 96x72"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|e| format!("{text:?}: {v:?} is not a size in pixels: {e}"))
    };
    let (w, h) = (parse(w)?, parse(h)?);
    if w < 16 || h < 16 {
        return Err(format!("{text:?}: both sides must be at least 16 px"));
    }
    Ok((w, h))
}

fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "DEBUG build: figures are not representative"
    } else {
        "release build"
    }
}
