//! `index`: a fresh library indexes a folder end to end; then each stage is timed on its
//! own on a sample, and the unchanged folder is scanned again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_engine::{Event, Library, LibraryConfig, Preparer, RunStats};
use glimpse_vectors::{IndexSettings, VectorIndex};

use crate::report::{current_rss_bytes, ms, peak_rss_bytes, process_cpu_time, secs, size, table};

/// What to run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// The model folder.
    pub model: PathBuf,
    /// The photo folder.
    pub photos: PathBuf,
    /// The library's data folder (must not exist or be empty); a temporary one if `None`.
    pub data: Option<PathBuf>,
    /// Photos timed stage by stage.
    pub sample: usize,
    /// Images per forward pass in the stage timing (the engine's default is 16 too).
    pub batch: usize,
    /// The library's CPU limit (percent of the machine; 100 = none), as
    /// `Library::set_cpu_limit` sets it.
    pub cpu_limit: u8,
}

/// Times per image of each stage, measured one stage at a time on a sample.
#[derive(Debug, Clone, Default)]
pub struct StageSplit {
    /// Photos in the sample.
    pub photos: usize,
    /// Bytes of the sample's files.
    pub bytes: u64,
    /// `read_file`.
    pub read: Duration,
    /// `content_hash` (BLAKE3) of the bytes.
    pub hash: Duration,
    /// `glimpse_media::decode_scaled` with the engine's [`glimpse_media::MinSize`]: header
    /// checks, decode (large JPEGs at 1/2–1/8 scale), EXIF orientation.
    pub decode: Duration,
    /// `thumbnail` + `encode_thumbnail_jpeg` + `write_atomic`.
    pub thumbnail: Duration,
    /// `Preprocessor::pixels`: resize, crop, normalise.
    pub preprocess: Duration,
    /// `Embedder::embed_pixels` per image at the given batch size.
    pub embed: Duration,
    /// Batch size of `embed`.
    pub batch: usize,
    /// `VectorIndex::upsert` (F16) per vector; the engine's SQLite transaction is not in it.
    pub upsert: Duration,
    /// How far the scaled decode moves the model input (untimed).
    pub scaled: ScaledParity,
}

/// The CLIP input of the scaled decode compared with that of a full-size decode of the
/// same file, over the sample's photos that were decoded scaled.
#[derive(Debug, Clone, Default)]
pub struct ScaledParity {
    /// Photos of the sample decoded at a reduced scale.
    pub photos: usize,
    /// The largest scale denominator used (1: none).
    pub max_denominator: u32,
    /// Largest |scaled - full| over every value of every compared tensor, in the model's
    /// normalised units.
    pub max_abs: f64,
    /// Mean |scaled - full| over every value of every compared tensor, normalised units.
    pub mean_abs: f64,
    /// `max_abs` in 8-bit levels (undoing the normalisation's std and rescale).
    pub max_levels: f64,
    /// `mean_abs` in 8-bit levels.
    pub mean_levels: f64,
}

impl StageSplit {
    /// Everything a decode thread does per photo.
    pub fn decode_side(&self) -> Duration {
        self.read + self.hash + self.decode + self.thumbnail + self.preprocess
    }
}

/// Everything `index` measured.
#[derive(Debug, Clone)]
pub struct IndexReport {
    /// Photos in the folder (supported extensions).
    pub photos: usize,
    /// Their bytes.
    pub bytes: u64,
    /// `Library::open` with the model (model load included).
    pub open: Duration,
    /// First `add_folder` + `wait_idle`.
    pub index: Duration,
    /// What the first run did.
    pub first_run: RunStats,
    /// `Library::embedded_count` after the first run.
    pub embedded: u64,
    /// The first failure reasons seen, if any.
    pub failures: Vec<String>,
    /// Second `add_folder` + `wait_idle` on the unchanged folder.
    pub rescan: Duration,
    /// What the rescan did.
    pub rescan_run: RunStats,
    /// One `Library::search` right after indexing (text embedding included, cold cache).
    pub first_search: Duration,
    /// Hits of that search.
    pub first_search_hits: usize,
    /// `VmHWM` right after `Library::open` (the model load's peak).
    pub peak_rss_open: Option<u64>,
    /// `VmRSS` right after `Library::open`.
    pub rss_open: Option<u64>,
    /// `VmHWM` after indexing and rescanning (before the stage timing runs).
    pub peak_rss: Option<u64>,
    /// `VmRSS` after indexing and rescanning.
    pub rss_indexed: Option<u64>,
    /// `VmRSS` once both towers were released at rest (2 s idle here, as the app does
    /// after 20 s and 60 s), or `None` if they were not within a minute.
    pub rss_rest: Option<u64>,
    /// CPU time this process used while indexing (every thread), when the system says.
    pub index_cpu: Option<Duration>,
    /// Cores of this machine.
    pub cores: usize,
    /// The CPU limit the library ran with (percent).
    pub cpu_limit: u8,
    /// Decode threads the library used.
    pub decode_threads: usize,
    /// Engine batch size.
    pub engine_batch: usize,
    /// Stage timing on a sample.
    pub split: StageSplit,
}

impl IndexReport {
    /// Photos embedded per second over the first run.
    pub fn images_per_second(&self) -> f64 {
        self.first_run.embedded as f64 / self.index.as_secs_f64()
    }

    /// The share of the whole machine (all cores) indexing used: its CPU time over the wall
    /// time times the cores.
    pub fn machine_share(&self) -> Option<f64> {
        let cpu = self.index_cpu?;
        Some(cpu.as_secs_f64() / (self.index.as_secs_f64() * self.cores as f64))
    }
}

fn photo_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && glimpse_media::is_candidate(p))
        .collect();
    files.sort();
    Ok(files)
}

fn file_bytes(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Runs the whole `index` benchmark.
pub fn run(options: &IndexOptions) -> Result<IndexReport> {
    let files = photo_files(&options.photos)?;
    anyhow::ensure!(!files.is_empty(), "{}: no photos", options.photos.display());
    let bytes = file_bytes(&files);
    let model = ModelFiles::from_dir(&options.model)?;

    let (data, temporary) = match &options.data {
        Some(dir) => {
            let empty = std::fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(true);
            anyhow::ensure!(
                empty,
                "{}: the data folder must be new or empty",
                dir.display()
            );
            (dir.clone(), false)
        }
        None => (
            std::env::temp_dir().join(format!("glimpse-bench-{}", std::process::id())),
            true,
        ),
    };

    let mut config = LibraryConfig::new(&data).with_model(model.clone());
    config.cpu_percent = options.cpu_limit;
    // Short idle times, so the memory at rest is measured without waiting the app's.
    config.image_tower_idle = Duration::from_secs(2);
    config.text_tower_idle = Duration::from_secs(2);
    let (decode_threads, engine_batch) = (config.decode_threads, config.batch_size);
    eprintln!("opening a fresh library in {}", data.display());
    let started = Instant::now();
    let library = Library::open(config)?;
    let open = started.elapsed();
    let (peak_rss_open, rss_open) = (peak_rss_bytes(), current_rss_bytes());
    let events = library.subscribe();

    eprintln!("indexing {} photos ({})", files.len(), size(bytes));
    let started = Instant::now();
    let cpu_before = process_cpu_time();
    library.add_folder(&options.photos)?;
    library.wait_idle()?;
    let index = started.elapsed();
    let index_cpu = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let first_run = library.run_stats();
    let embedded = library.embedded_count();
    let failures: Vec<String> = events
        .try_iter()
        .filter_map(|e| match e {
            Event::ItemFailed { path, reason } => Some(format!("{}: {reason}", path.display())),
            _ => None,
        })
        .take(5)
        .collect();

    let started = Instant::now();
    let hits = library.search("a photo of a dog on the beach", 10)?;
    let first_search = started.elapsed();

    eprintln!("rescanning the unchanged folder");
    let started = Instant::now();
    library.add_folder(&options.photos)?;
    library.wait_idle()?;
    let rescan = started.elapsed();
    let rescan_run = library.run_stats();
    let (peak_rss, rss_indexed) = (peak_rss_bytes(), current_rss_bytes());
    let rest_deadline = Instant::now() + Duration::from_secs(60);
    while (library.images_loaded() || library.texts_loaded()) && Instant::now() < rest_deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let rss_rest = (!library.images_loaded() && !library.texts_loaded())
        .then(current_rss_bytes)
        .flatten();
    drop(library);

    eprintln!(
        "timing each stage on {} photos",
        options.sample.min(files.len())
    );
    let split = stage_split(
        &model,
        &files[..options.sample.min(files.len())],
        options.batch,
        &data,
    )?;
    if temporary {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("{}: cannot remove", data.display()))?;
    }
    Ok(IndexReport {
        photos: files.len(),
        bytes,
        open,
        index,
        first_run,
        embedded,
        failures,
        rescan,
        rescan_run,
        first_search,
        first_search_hits: hits.len(),
        peak_rss_open,
        rss_open,
        peak_rss,
        rss_indexed,
        rss_rest,
        index_cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_limit: options.cpu_limit,
        decode_threads,
        engine_batch,
        split,
    })
}

/// Times each stage of the pipeline on `files`, one stage at a time on one thread (the
/// model's kernels use every core, as in the engine).
pub fn stage_split(
    model: &ModelFiles,
    files: &[PathBuf],
    batch: usize,
    scratch: &Path,
) -> Result<StageSplit> {
    let embedder = Embedder::load(model, DeviceChoice::Cpu)?;
    // The engine's own preparation step, one stage at a time.
    let prep = Preparer::new(
        embedder.preprocessor(),
        glimpse_engine::prepare::THUMBNAIL_EDGE_PX,
    );
    let preprocessor = prep.preprocessor().clone();
    let mut parity = ParityAccumulator::new(&preprocessor);
    let thumbs = scratch.join("bench-thumbs");
    let mut split = StageSplit {
        photos: files.len(),
        batch: batch.max(1),
        ..StageSplit::default()
    };
    let mut pixels = Vec::with_capacity(files.len());
    for (i, path) in files.iter().enumerate() {
        let t = Instant::now();
        let bytes = glimpse_engine::prepare::read(path)?;
        split.read += t.elapsed();
        split.bytes += bytes.len() as u64;

        let t = Instant::now();
        let hash = glimpse_engine::prepare::content_hash(&bytes);
        split.hash += t.elapsed();

        let t = Instant::now();
        let decoded = prep.decode(path, &bytes)?;
        split.decode += t.elapsed();

        let t = Instant::now();
        let jpeg = prep.thumbnail_jpeg(&decoded.image)?;
        let name: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
        glimpse_media::write_atomic(&thumbs.join(format!("{i:05}-{name}.jpg")), &jpeg)?;
        split.thumbnail += t.elapsed();

        let t = Instant::now();
        let input = prep.pixels(&decoded.image)?;
        split.preprocess += t.elapsed();

        if decoded.scale_denominator > 1 {
            let full = glimpse_media::decode(path, &bytes)?;
            parity.add(
                &input,
                &preprocessor.pixels(&full.image)?,
                decoded.scale_denominator,
            );
        }
        pixels.push(input);
    }
    split.scaled = parity.finish();

    // One warm-up pass so the first batch does not carry one-off allocation costs.
    embedder.embed_pixels(&pixels[..1])?;
    let mut vectors = Vec::with_capacity(pixels.len());
    let t = Instant::now();
    for chunk in pixels.chunks(split.batch) {
        vectors.extend(embedder.embed_pixels(chunk)?);
    }
    split.embed = t.elapsed();

    let index = VectorIndex::new(IndexSettings::new(embedder.dim()))?;
    let t = Instant::now();
    for (key, vector) in vectors.iter().enumerate() {
        index.upsert(key as u64 + 1, vector)?;
    }
    split.upsert = t.elapsed();

    let n = files.len().max(1) as u32;
    for stage in [
        &mut split.read,
        &mut split.hash,
        &mut split.decode,
        &mut split.thumbnail,
        &mut split.preprocess,
        &mut split.embed,
        &mut split.upsert,
    ] {
        *stage /= n;
    }
    Ok(split)
}

/// Sums |scaled - full| over CLIP inputs.
struct ParityAccumulator {
    /// Normalised units -> 8-bit levels, per channel.
    to_levels: [f64; 3],
    parity: ScaledParity,
    sum: f64,
    values: u64,
}

impl ParityAccumulator {
    fn new(preprocessor: &glimpse_embed::Preprocessor) -> Self {
        let config = preprocessor.config();
        let std = config.normalize.map_or([1.0; 3], |(_, std)| std);
        let rescale = config.rescale.map_or(1.0, f64::from);
        Self {
            to_levels: std.map(|s| f64::from(s) / rescale),
            parity: ScaledParity {
                max_denominator: 1,
                ..ScaledParity::default()
            },
            sum: 0.0,
            values: 0,
        }
    }

    fn add(&mut self, scaled: &glimpse_embed::Pixels, full: &glimpse_embed::Pixels, denom: u32) {
        let plane = scaled.height() * scaled.width();
        for (i, (a, b)) in scaled.as_slice().iter().zip(full.as_slice()).enumerate() {
            let d = f64::from((a - b).abs());
            self.sum += d;
            self.parity.max_abs = self.parity.max_abs.max(d);
            let levels = d * self.to_levels[(i / plane.max(1)).min(2)];
            self.parity.max_levels = self.parity.max_levels.max(levels);
            self.parity.mean_levels += levels;
        }
        self.values += scaled.as_slice().len() as u64;
        self.parity.photos += 1;
        self.parity.max_denominator = self.parity.max_denominator.max(denom);
    }

    fn finish(mut self) -> ScaledParity {
        if self.values > 0 {
            self.parity.mean_abs = self.sum / self.values as f64;
            self.parity.mean_levels /= self.values as f64;
        }
        self.parity
    }
}

/// The report as markdown tables.
pub fn markdown(r: &IndexReport) -> String {
    let mut out = String::new();
    out.push_str(&table(
        &[
            "photos",
            "size",
            "open (model load)",
            "index",
            "images/s",
            "embedded",
            "failed",
            "rescan (unchanged)",
            "CPU used (limit)",
            "peak RSS",
        ],
        &[vec![
            r.photos.to_string(),
            size(r.bytes),
            secs(r.open),
            secs(r.index),
            format!("{:.2}", r.images_per_second()),
            r.first_run.embedded.to_string(),
            r.first_run.failed.to_string(),
            format!(
                "{} ({} unchanged, {} embedded)",
                ms(r.rescan),
                r.rescan_run.unchanged,
                r.rescan_run.embedded
            ),
            format!(
                "{} of {} cores ({}%)",
                r.machine_share()
                    .map_or("n/a".to_owned(), |s| format!("{:.0}%", s * 100.0)),
                r.cores,
                r.cpu_limit
            ),
            r.peak_rss.map_or("n/a".to_owned(), size),
        ]],
    ));
    let mem = |b: Option<u64>| b.map_or("n/a".to_owned(), size);
    out.push_str(&format!(
        "\nMemory: after open (model loaded) RSS {} / peak {}; after indexing RSS {} / peak {}; \
         at rest (both towers released) RSS {}.\n",
        mem(r.rss_open),
        mem(r.peak_rss_open),
        mem(r.rss_indexed),
        mem(r.peak_rss),
        mem(r.rss_rest)
    ));
    out.push('\n');
    let s = &r.split;
    let per_image = 1e3 * r.index.as_secs_f64() / r.first_run.embedded.max(1) as f64;
    let rows = vec![
        vec!["read file".to_owned(), ms(s.read)],
        vec!["content hash (BLAKE3)".to_owned(), ms(s.hash)],
        vec![
            "decode (large JPEGs DCT-scaled) + EXIF orientation".to_owned(),
            ms(s.decode),
        ],
        vec![
            "thumbnail (resize + JPEG + write)".to_owned(),
            ms(s.thumbnail),
        ],
        vec!["CLIP preprocess".to_owned(), ms(s.preprocess)],
        vec![
            "**decode side, total**".to_owned(),
            format!("**{}**", ms(s.decode_side())),
        ],
        vec![
            format!("**embed** (the model, batch {})", s.batch),
            format!("**{}**", ms(s.embed)),
        ],
        vec![
            "**write**: vector upsert (F16)".to_owned(),
            format!("**{}**", ms(s.upsert)),
        ],
        vec![
            format!(
                "observed end to end ({} decode thread(s) ∥ 1 embedder)",
                r.decode_threads
            ),
            format!("{per_image:.0} ms"),
        ],
    ];
    out.push_str(&format!(
        "Stages one at a time on the first {} photos ({}), per image:\n\n",
        s.photos,
        size(s.bytes)
    ));
    out.push_str(&table(&["stage", "per image"], &rows));
    let p = &s.scaled;
    if p.photos > 0 {
        out.push_str(&format!(
            "\nScaled JPEG decode: {} of the {} sample photos decoded at down to 1/{}; their CLIP \
             input vs a full-size decode: max |Δ| {:.4} (= {:.2} 8-bit levels), mean |Δ| {:.5} \
             (= {:.3} levels).\n",
            p.photos,
            s.photos,
            p.max_denominator,
            p.max_abs,
            p.max_levels,
            p.mean_abs,
            p.mean_levels
        ));
    } else {
        out.push_str("\nScaled JPEG decode: no sample photo was large enough to scale.\n");
    }
    out.push_str(&format!(
        "\nFirst search after indexing (text embedding + index + catalog): {} ({} hits)\n",
        ms(r.first_search),
        r.first_search_hits
    ));
    if !r.failures.is_empty() {
        out.push_str("\nFailures:\n");
        for f in &r.failures {
            out.push_str(&format!("- {f}\n"));
        }
    }
    out
}
