//! A library for the app's launch and memory figures (tests/e2e/tests/bench.rs) at a size
//! that indexing through the pipeline cannot reach here in reasonable time with a real
//! model: the photos are real files (e.g. 100k from `make-photos --size 96x72`), each
//! registered with its true size and time, so the app's start-up rescan finds nothing to
//! do, as in a library indexed before; the vectors are clustered synthetic ones under the
//! model's embedder id (the results are not meaningful, except that 1 % sit close to the
//! launch query, so it has good matches to show; the work of opening, searching and paging
//! is that of a real library of this size).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use glimpse_catalog::{Catalog, ContentFacts, NewPhoto};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};

use crate::rng::Rng;
use crate::search::ClusteredVectors;

/// 2015-01-01 and ten years on.
const TIME_FROM: i64 = 1_420_070_400;
const TIME_SPAN: i64 = 10 * 365 * 86_400;

/// The launch query of the app bench: one photo in `NEAR_EVERY` gets a vector at cosine
/// `NEAR_COSINE` to its text vector, so that it (and the same words with a number after
/// them) has good matches, as a real library would for a query its owner searched.
const NEAR_TEXT: &str = "a red circle";
const NEAR_EVERY: u64 = 100;
const NEAR_COSINE: f32 = 0.4;

/// The unit vector at cosine `c` to the unit vector `t`, in the plane of `t` and `v`.
fn toward(v: &[f32], t: &[f32], c: f32) -> Vec<f32> {
    let along: f32 = v.iter().zip(t).map(|(a, b)| a * b).sum();
    let mut across: Vec<f32> = v.iter().zip(t).map(|(a, b)| a - along * b).collect();
    let norm = across.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let s = (1.0 - c * c).sqrt();
    for (x, b) in across.iter_mut().zip(t) {
        *x = c * b + s * *x / norm;
    }
    across
}

/// The catalog's format name of a file `make-photos` writes, by its extension.
fn format_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("JPEG"),
        "png" => Some("PNG"),
        "webp" => Some("WebP"),
        _ => None,
    }
}

/// Writes a library at `data` (which must not exist) over every JPEG, PNG and WebP in `photos`, with
/// vectors under `model`'s embedder id. Returns the photos registered.
pub fn build(model: &Path, photos: &Path, data: &Path, seed: u64) -> Result<usize> {
    ensure!(
        !data.exists(),
        "{}: exists; give a new folder",
        data.display()
    );
    let files = ModelFiles::from_dir(model)?;
    let (embedder_id, dim, near) = {
        let embedder = Embedder::load(&files, DeviceChoice::Cpu)?;
        let near = embedder
            .embed_texts(&[NEAR_TEXT])?
            .pop()
            .context("the model gave no text vector")?;
        (embedder.id().to_string(), embedder.dim(), near)
    };
    let photos = photos
        .canonicalize()
        .with_context(|| format!("{}: cannot read the folder", photos.display()))?;
    let mut paths: Vec<_> = std::fs::read_dir(&photos)
        .with_context(|| format!("{}: cannot read the folder", photos.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| format_of(p).is_some())
        .collect();
    paths.sort();
    std::fs::create_dir_all(data)?;
    let catalog = Catalog::open(&data.join("catalog.sqlite"))?;
    let folder = catalog.add_folder(&photos)?;
    let mut vectors = ClusteredVectors::new(dim, 1000, seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    for (chunk_no, chunk) in paths.chunks(5000).enumerate() {
        catalog.transaction(|cat| {
            for (i, path) in chunk.iter().enumerate() {
                let meta = std::fs::metadata(path).map_err(|e| {
                    glimpse_catalog::CatalogError::Invalid(format!("{}: {e}", path.display()))
                })?;
                let mtime_ns = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64);
                let id = cat.insert_photo(&NewPhoto {
                    folder,
                    path: path.clone(),
                    size: meta.len(),
                    mtime_ns,
                })?;
                let n = (chunk_no * 5000 + i) as u64;
                let mut hash = [0u8; 32];
                hash[..8].copy_from_slice(&n.to_le_bytes());
                let taken = TIME_FROM + (rng.next_u64() % TIME_SPAN as u64) as i64;
                let content = cat.upsert_content(
                    &hash,
                    &ContentFacts {
                        format: format_of(path).unwrap_or("JPEG").into(),
                        width: 96,
                        height: 72,
                        taken_at: Some(taken),
                        camera_make: None,
                        camera_model: None,
                    },
                )?;
                let mut vector = vectors.next_vector();
                if n.is_multiple_of(NEAR_EVERY) {
                    vector = toward(&vector, &near, NEAR_COSINE);
                }
                cat.put_embedding(content, &embedder_id, &vector)?;
                cat.set_indexed(id, content, meta.len(), mtime_ns)?;
            }
            Ok(())
        })?;
    }
    Ok(paths.len())
}
