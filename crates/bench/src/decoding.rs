//! Decode speed of single files: what the indexer pays per photo for each format (the
//! scaled decode it runs, sized for CLIP and the thumbnail) and a full-size decode.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use glimpse_media::{MinSize, THUMBNAIL_MAX_EDGE_PX, decode_scaled};

use crate::report::{size, table};

/// One file's timings.
#[derive(Debug, Clone)]
pub struct DecodeRow {
    /// The file.
    pub path: PathBuf,
    /// Its format, as sniffed.
    pub format: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Full size after orientation.
    pub full: (u32, u32),
    /// Size of what the indexer's decode returned.
    pub indexed: (u32, u32),
    /// Median time of the indexer's decode (read from memory, no I/O).
    pub indexer: Duration,
    /// Median time of a full-size decode.
    pub full_decode: Duration,
}

/// The indexer's decode: CLIP ViT-B/32's 224-pixel input and a 320-pixel thumbnail, each
/// with the 2× margin (`MinSize::for_outputs`).
pub fn indexer_need() -> MinSize {
    MinSize::for_outputs(Some(224), THUMBNAIL_MAX_EDGE_PX)
}

/// Times every file `repeats` times (after one warm-up) and returns the medians.
pub fn run(files: &[PathBuf], repeats: usize) -> Result<Vec<DecodeRow>> {
    let mut rows = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let (indexed, indexer) = time(path, &bytes, indexer_need(), repeats)?;
        let (full, full_decode) = time(path, &bytes, MinSize::FULL, repeats)?;
        rows.push(DecodeRow {
            path: path.clone(),
            format: full.format.to_string(),
            bytes: bytes.len() as u64,
            full: (full.width, full.height),
            indexed: (indexed.image.width(), indexed.image.height()),
            indexer,
            full_decode,
        });
    }
    Ok(rows)
}

fn time(
    path: &Path,
    bytes: &[u8],
    need: MinSize,
    repeats: usize,
) -> Result<(glimpse_media::Decoded, Duration)> {
    let mut last = decode_scaled(path, bytes, need)
        .with_context(|| format!("{}: cannot decode", path.display()))?;
    let mut samples = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        last = decode_scaled(path, bytes, need)?;
        samples.push(started.elapsed());
    }
    samples.sort();
    Ok((last, samples[samples.len() / 2]))
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[DecodeRow], repeats: usize) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                r.format.clone(),
                format!("{}×{}", r.full.0, r.full.1),
                size(r.bytes),
                format!("{:.1} ms", r.indexer.as_secs_f64() * 1e3),
                format!("{}×{}", r.indexed.0, r.indexed.1),
                format!("{:.1} ms", r.full_decode.as_secs_f64() * 1e3),
            ]
        })
        .collect();
    format!(
        "{}\nMedian of {repeats} decodes from memory, one thread calling (libheif and rawler may use more).",
        table(
            &[
                "file",
                "format",
                "full size",
                "file size",
                "indexer decode",
                "indexer gets",
                "full decode",
            ],
            &body
        )
    )
}
