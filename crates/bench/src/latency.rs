//! Latency from a photo landing in a watched folder to it appearing in search results.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, WatchOptions};

use crate::report::{percentile, table};

/// What to measure.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Model folder.
    pub model: PathBuf,
    /// Photos to drop, one at a time.
    pub photos: Vec<PathBuf>,
    /// The watcher's quiet period before a new file is read.
    pub settle: Duration,
}

/// Measured landing-to-searchable times.
#[derive(Debug, Clone)]
pub struct LatencyReport {
    /// One sample per photo.
    pub samples: Vec<Duration>,
    /// The settle time used.
    pub settle: Duration,
}

/// Copies each photo into a watched folder (write to a temporary name, then rename, as
/// browsers and sync tools do) and times until a text search returns it.
pub fn run(options: &LatencyOptions) -> Result<LatencyReport> {
    let data = tempdir("glimpse-latency-data")?;
    let watched = tempdir("glimpse-latency-watched")?;
    let mut config = LibraryConfig::new(&data).with_model(ModelFiles::from_dir(&options.model)?);
    config.watch = WatchOptions {
        debounce: WatchOptions::default().debounce.min(options.settle),
        settle: options.settle,
    };
    let library = Library::open(config)?;
    library.add_folder(&watched)?;
    library.watch()?;
    library.wait_idle()?;
    let watched = std::fs::canonicalize(&watched)?;
    let mut samples = Vec::new();
    for (i, photo) in options.photos.iter().enumerate() {
        let ext = photo.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
        let target = watched.join(format!("landed-{i:04}.{ext}"));
        let partial = watched.join(format!(".landed-{i:04}.part"));
        std::fs::copy(photo, &partial).with_context(|| format!("copy {}", photo.display()))?;
        let landed = Instant::now();
        std::fs::rename(&partial, &target)?;
        samples.push(wait_searchable(&library, &target, landed)?);
    }
    drop(library);
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&watched);
    Ok(LatencyReport {
        samples,
        settle: options.settle,
    })
}

fn wait_searchable(library: &Library, target: &Path, landed: Instant) -> Result<Duration> {
    loop {
        let total = library.status()?.indexed as usize;
        if total > 0 {
            let hits = library.search("a photo", total)?;
            if hits
                .iter()
                .any(|h| h.path == target || h.duplicates.iter().any(|d| d == target))
            {
                return Ok(landed.elapsed());
            }
        }
        if landed.elapsed() > Duration::from_secs(120) {
            bail!("{} never became searchable", target.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn tempdir(prefix: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A markdown table of the report.
pub fn markdown(report: &LatencyReport) -> String {
    let ms = |d: Option<Duration>| {
        d.map_or("–".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
    };
    table(
        &["photos", "watcher settle", "p50", "p95", "max"],
        &[vec![
            report.samples.len().to_string(),
            format!("{} ms", report.settle.as_millis()),
            ms(percentile(&report.samples, 0.5)),
            ms(percentile(&report.samples, 0.95)),
            ms(report.samples.iter().max().copied()),
        ]],
    )
}
