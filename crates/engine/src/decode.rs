//! The decode pool: read a file, hash it, and either reuse a known content's embedding
//! (rename, move, duplicate) or decode, write the thumbnail and preprocess for the model.

use std::path::Path;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use glimpse_catalog::{Catalog, ContentFacts};

use crate::library::Shared;
use crate::models::Slot;
use crate::ops::{EmbedJob, FileJob, WriteOp};
use crate::prepare::Preparer;

/// How often a file that keeps changing while it is read is read again before giving up.
const MAX_READ_ATTEMPTS: usize = 3;

pub(crate) struct Decoder {
    pub(crate) catalog: Catalog,
    pub(crate) shared: Arc<Shared>,
    pub(crate) writer: Sender<WriteOp>,
    pub(crate) embed: Sender<EmbedJob>,
    pub(crate) thumbnail_edge_px: u32,
}

enum Next {
    Write(WriteOp),
    Embed(EmbedJob),
}

impl Decoder {
    pub(crate) fn run(self, jobs: Receiver<FileJob>) {
        // The preparation of the model in use (a model switch changes it).
        let mut preparer: Option<(String, Preparer)> = None;
        for file in jobs {
            self.shared.wait_while_paused();
            if self.shared.is_shutting_down() {
                // Left pending in the catalog; the next start resumes it.
                continue;
            }
            // Read per file: a model switch changes the model (and its preprocessing).
            let Some(slot) = self.shared.indexing_slot() else {
                continue;
            };
            if preparer.as_ref().is_none_or(|(id, _)| *id != slot.id) {
                // Waits while the model loads in the background; one that failed to load
                // leaves the file pending (the library says why it cannot index).
                let embedder = match slot.embedder() {
                    Ok(embedder) => embedder,
                    Err(e) => {
                        self.shared.stop(&e);
                        continue;
                    }
                };
                let made = Preparer::new(embedder.preprocessor(), self.thumbnail_edge_px);
                preparer = Some((slot.id.clone(), made));
            }
            let Some((_, prep)) = &preparer else {
                continue;
            };
            let started = std::time::Instant::now();
            let next = self.process(&slot, prep, file);
            self.shared.rest_after(started.elapsed());
            let sent = match next {
                Next::Write(op) => self.writer.send(op).is_ok(),
                Next::Embed(job) => self.embed.send(job).is_ok(),
            };
            if !sent {
                break;
            }
        }
    }

    fn process(&self, slot: &Arc<Slot>, prep: &Preparer, mut file: FileJob) -> Next {
        let bytes = match read_stable(&mut file) {
            Ok(bytes) => bytes,
            Err(ReadError::Vanished) => return Next::Write(WriteOp::Vanished { file }),
            Err(ReadError::Failed(reason)) => return Next::Write(WriteOp::Failed { file, reason }),
        };
        let hash = crate::prepare::content_hash(&bytes);
        let thumb_path = self.shared.paths.thumbnail(&hash);

        // Known content with a vector for this model: no decoding, no embedding.
        match self.known_content(&hash, &slot.id) {
            Ok(Some(content)) if thumb_path.is_file() => {
                return Next::Write(WriteOp::Reused {
                    file,
                    content,
                    thumbnail_written: false,
                });
            }
            Ok(Some(content)) => {
                // The thumbnail cache was cleared: make it again, keep the embedding.
                return match prep
                    .decode(&file.path, &bytes)
                    .map_err(|e| e.reason())
                    .and_then(|d| self.write_thumbnail(prep, &d.image, &thumb_path))
                {
                    Ok(()) => Next::Write(WriteOp::Reused {
                        file,
                        content,
                        thumbnail_written: true,
                    }),
                    Err(reason) => Next::Write(WriteOp::Failed { file, reason }),
                };
            }
            Ok(None) => {}
            Err(e) => {
                // A read failure of the catalog is not this file's fault; embed it anyway.
                tracing::warn!(error = %e, "content lookup failed");
            }
        }

        // One decode feeds both the thumbnail and the model input (a 12 MP JPEG decodes
        // at 1/4).
        let decoded = match prep.decode(&file.path, &bytes) {
            Ok(d) => d,
            Err(e) => {
                return Next::Write(WriteOp::Failed {
                    reason: e.reason(),
                    file,
                });
            }
        };
        drop(bytes);
        // Re-embedding for another model finds the thumbnail made the first time.
        if !thumb_path.is_file()
            && let Err(reason) = self.write_thumbnail(prep, &decoded.image, &thumb_path)
        {
            return Next::Write(WriteOp::Failed { file, reason });
        }
        crate::stall::at(crate::stall::Point::Thumbnail);
        let pixels = match prep.pixels(&decoded.image) {
            Ok(p) => p,
            Err(e) => {
                return Next::Write(WriteOp::Failed {
                    file,
                    reason: format!("cannot prepare the image for the model: {e}"),
                });
            }
        };
        let facts = ContentFacts {
            format: decoded.format.to_string(),
            width: decoded.width,
            height: decoded.height,
            taken_at: decoded.metadata.taken_at,
            camera_make: decoded.metadata.camera_make.clone(),
            camera_model: decoded.metadata.camera_model.clone(),
        };
        Next::Embed(EmbedJob {
            slot: slot.clone(),
            file,
            hash,
            facts,
            pixels,
        })
    }

    fn known_content(
        &self,
        hash: &[u8; 32],
        embedder_id: &str,
    ) -> glimpse_catalog::Result<Option<i64>> {
        let Some(content) = self.catalog.content_by_hash(hash)? else {
            return Ok(None);
        };
        Ok(self
            .catalog
            .embedding(content.id, embedder_id)?
            .map(|_| content.id))
    }

    fn write_thumbnail(
        &self,
        prep: &Preparer,
        image: &image::DynamicImage,
        path: &Path,
    ) -> Result<(), String> {
        let bytes = prep
            .thumbnail_jpeg(image)
            .map_err(|e| format!("cannot make a thumbnail: {}", e.reason()))?;
        let stall = |_: &Path| crate::stall::at(crate::stall::Point::ThumbnailWrite);
        match glimpse_media::write_atomic_with_hook(path, &bytes, stall) {
            Ok(()) => Ok(()),
            // A failing thumbnail folder (disk full, permissions) is the store's failure,
            // not the photo's: stop rather than mark every following photo as failed.
            Err(e) if !e.is_per_file() => {
                let message = format!("cannot write the thumbnail: {e}");
                self.shared.stop(&crate::LibraryError::Media(e));
                Err(message)
            }
            Err(e) => Err(format!("cannot write the thumbnail: {}", e.reason())),
        }
    }
}

enum ReadError {
    Vanished,
    Failed(String),
}

/// Reads a file whose size and mtime stay the same across the read, so a file being written
/// (a download, a copy) is never indexed half-way. `file` gets the stat that matches the bytes.
fn read_stable(file: &mut FileJob) -> Result<Vec<u8>, ReadError> {
    for _ in 0..MAX_READ_ATTEMPTS {
        let before = stat(&file.path)?;
        let bytes = match glimpse_media::read_file(&file.path) {
            Ok(b) => b,
            Err(glimpse_media::MediaError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Err(ReadError::Vanished);
            }
            Err(e) => return Err(ReadError::Failed(e.reason())),
        };
        let after = stat(&file.path)?;
        if before == after && after.0 == bytes.len() as u64 {
            file.size = after.0;
            file.mtime_ns = after.1;
            return Ok(bytes);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(ReadError::Failed(
        "the file kept changing while it was read; it will be indexed when it settles".into(),
    ))
}

fn stat(path: &Path) -> Result<(u64, i64), ReadError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok((m.len(), crate::scan::mtime_ns(&m))),
        Ok(_) => Err(ReadError::Failed("not a regular file".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReadError::Vanished),
        Err(e) => Err(ReadError::Failed(format!("cannot read: {e}"))),
    }
}

#[cfg(test)]
mod scaled_decode_parity {
    use std::path::Path;

    use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};

    fn clip_reference() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clip-reference")
    }

    fn one_minus_cos(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        1.0 - dot / (norm(a) * norm(b))
    }

    /// The decode threads' scaled decode moves the model input and the embedding of the
    /// reference photos it applies to by less than the embedder's parity tolerances
    /// (`tests/tests/embed_parity.rs`: pixel mean abs diff 0.01, 1-cos 5e-5), compared
    /// with the full-size decode that those parity tests check against Hugging Face.
    #[test]
    fn scaled_decode_stays_within_the_embedder_parity_tolerances() {
        let dir = clip_reference();
        let files = ModelFiles::from_dir(&dir.join("model")).expect("tiny CLIP fixture");
        let embedder = Embedder::load(&files, DeviceChoice::Cpu).expect("loads");
        let pre = embedder.preprocessor();
        let need = glimpse_media::MinSize::for_outputs(
            pre.min_source_short_edge(),
            glimpse_media::THUMBNAIL_MAX_EDGE_PX,
        );
        let mut scaled_count = 0;
        for entry in std::fs::read_dir(dir.join("images")).expect("reference images") {
            let path = entry.expect("entry").path();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(scaled) = glimpse_media::decode_scaled(&path, &bytes, need) else {
                continue;
            };
            if scaled.scale_denominator == 1 {
                continue;
            }
            scaled_count += 1;
            let full = glimpse_media::decode(&path, &bytes).expect("full decode");
            let scaled_pixels = pre.pixels(&scaled.image).expect("scaled pixels");
            let full_pixels = pre.pixels(&full.image).expect("full pixels");
            let (a, b) = (scaled_pixels.as_slice(), full_pixels.as_slice());
            let mad = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
            let max = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            let vectors = embedder
                .embed_pixels(&[scaled_pixels.clone(), full_pixels.clone()])
                .expect("embeds");
            let d = one_minus_cos(&vectors[0], &vectors[1]);
            eprintln!(
                "{}: 1/{} scale, pixel mean abs diff {mad:.5}, max {max:.4}, 1-cos {d:.2e}",
                path.display(),
                scaled.scale_denominator
            );
            assert!(mad <= 0.01, "{}: pixel mean abs diff {mad}", path.display());
            assert!(d <= 5e-5, "{}: 1-cos {d:e}", path.display());
        }
        assert!(
            scaled_count > 0,
            "the 1600×1203 reference photo must take the scaled path"
        );
    }
}
