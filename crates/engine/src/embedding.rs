//! The embedder thread: the only user of the model for images. It batches decoded images so
//! the matrix kernels run on large products, and hands vectors to the writer.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use glimpse_embed::Embedder;

use crate::library::Shared;
use crate::models::Slot;
use crate::ops::{EmbedJob, Embedded, WriteOp};

/// How long a partial batch waits for more images: short, so a single dropped photo shows
/// up at once, long enough to fill a batch while the decode pool is busy.
const BATCH_FILL_WAIT: Duration = Duration::from_millis(30);

/// Frees, in every loaded model, the image tower when `images` (a search by an image file
/// since the last call built one again), and the text tower when no text was embedded for
/// `text_idle`; then also serves the vector index from its file and lets go of the pages
/// the searches read.
fn release_idle_towers(shared: &Shared, images: bool, text_idle: Duration) {
    let slots = shared
        .models
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mut released = false;
    for slot in slots.all() {
        if let Some(embedder) = slot.model.now() {
            if images {
                released |= embedder.release_images();
            }
            if embedder.text_idle() >= text_idle {
                released |= embedder.release_texts();
                // At rest the index serves from the file it was saved to (when it holds
                // every change) rather than a copy on the heap, and lets go of the pages
                // the searches read.
                match slot.index.serve_from_file(&slot.index_path) {
                    Ok(switched) => released |= switched,
                    Err(e) => tracing::warn!(
                        path = %slot.index_path.display(),
                        error = %e,
                        "cannot serve the vector index from its file; it stays in memory"
                    ),
                }
                slot.index.release_pages();
            }
        }
    }
    if released {
        give_back_freed_memory();
    }
}

/// Returns the memory the allocator holds free to the system. glibc keeps freed heap
/// memory for reuse, and a model's tensors (a few MB each, below its adaptive mmap
/// threshold after loading) live on the heap: without this, a released image tower stays
/// resident (measured with ViT-B/32: 682 MB before and after the release; 258 MB with it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn give_back_freed_memory() {
    // SAFETY: `malloc_trim` has no preconditions: it only advises the kernel that free
    // pages of the heap may be dropped, under glibc's own lock.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators return large freed blocks on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_freed_memory() {}

/// Lets a forward pass reuse the heap memory the previous one freed. By default glibc
/// hands the top of a heap back to the kernel once 128 KB of it is free, and serves blocks
/// above its adaptive mmap threshold with fresh mappings; either way the next batch's
/// activations (9–38 MB each for SigLIP 2 B/16 at batch 16, a dozen per layer) fault their
/// pages in and have them zeroed again: ~8 % of indexing's CPU in perf. Measured on the
/// image tower: 198 → 175–184 ms an image, peak RSS unchanged. What stays free is given
/// back when the towers are released after indexing (`give_back_freed_memory`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_freed_memory_for_reuse() {
    // 32 MB is the largest mmap threshold glibc accepts on 64-bit systems.
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    const TRIM_THRESHOLD: libc::c_int = 512 << 20;
    const TOP_PAD: libc::c_int = 256 << 20;
    // SAFETY: `mallopt` only changes glibc's thresholds, under its own lock; a value it
    // refuses leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
    }
}

/// Other allocators keep and reuse large blocks on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_for_reuse() {}

pub(crate) fn run(
    shared: Arc<Shared>,
    jobs: Receiver<EmbedJob>,
    writer: Sender<WriteOp>,
    batch_size: usize,
    images_idle: Duration,
    text_idle: Duration,
) {
    let batch_size = batch_size.max(1);
    keep_freed_memory_for_reuse();
    // Idle towers are looked at this often; the image tower goes once no image came for
    // `images_idle`, the text tower once no text was embedded for `text_idle`.
    let tick = images_idle.min(text_idle).max(Duration::from_millis(10));
    let mut last_job = std::time::Instant::now();
    // A job preprocessed for another model than the batch's (a switch began) starts the
    // next batch.
    let mut carried: Option<EmbedJob> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => loop {
                // With no image to embed for `images_idle`, the image towers are freed
                // (most of a model's memory; text queries need only the text tower). The
                // next image builds its model's again (about half a second for ViT-B/32).
                // The text tower follows after `text_idle` without a text.
                match jobs.recv_timeout(tick) {
                    Ok(job) => {
                        last_job = std::time::Instant::now();
                        break job;
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        release_idle_towers(&shared, last_job.elapsed() >= images_idle, text_idle)
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            },
        };
        let slot: Arc<Slot> = first.slot.clone();
        let mut batch = vec![first];
        while batch.len() < batch_size {
            match jobs.recv_timeout(BATCH_FILL_WAIT) {
                Ok(job) if Arc::ptr_eq(&job.slot, &slot) => batch.push(job),
                Ok(job) => {
                    carried = Some(job);
                    break;
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        // A decoder made these pixels with the loaded model's preprocessor: it is loaded.
        let embedder = match slot.embedder() {
            Ok(embedder) => embedder,
            Err(e) => {
                shared.stop(&e);
                continue;
            }
        };
        let started = std::time::Instant::now();
        let images = batch.len();
        let ops = embed_batch(&embedder, batch);
        let took = started.elapsed();
        shared.rest_after(took);
        let measured = slot
            .meter
            .lock()
            .ok()
            .and_then(|mut m| m.add(images, took.as_secs_f64()));
        if let Some(images_per_second) = measured {
            let speed = crate::models::ModelSpeed {
                model: embedder.model_name().to_string(),
                images_per_second,
                device: embedder.device_name().to_string(),
                measured_at: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            };
            if writer.send(WriteOp::RecordSpeed(speed)).is_err() {
                return;
            }
        }
        shared
            .embedded_total
            .fetch_add(ops.0.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if !ops.0.is_empty() && writer.send(WriteOp::Embedded(slot, ops.0)).is_err() {
            return;
        }
        for op in ops.1 {
            if writer.send(op).is_err() {
                return;
            }
        }
    }
}

/// Embeds a batch; if the batch fails as a whole, each image is tried alone so one bad
/// input cannot fail its neighbours.
fn embed_batch(embedder: &Embedder, batch: Vec<EmbedJob>) -> (Vec<Embedded>, Vec<WriteOp>) {
    let (metas, pixels): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|j| ((j.file, j.hash, j.facts), j.pixels))
        .unzip();
    match embedder.embed_pixels(&pixels) {
        Ok(vectors) if vectors.len() == metas.len() => (
            metas
                .into_iter()
                .zip(vectors)
                .map(|((file, hash, facts), vector)| Embedded {
                    file,
                    hash,
                    facts,
                    vector,
                })
                .collect(),
            Vec::new(),
        ),
        Ok(_) | Err(_) if metas.len() > 1 => {
            let mut done = Vec::new();
            let mut failed = Vec::new();
            for ((file, hash, facts), px) in metas.into_iter().zip(pixels) {
                match embedder.embed_pixels(std::slice::from_ref(&px)) {
                    Ok(mut v) if v.len() == 1 => done.push(Embedded {
                        file,
                        hash,
                        facts,
                        vector: v.remove(0),
                    }),
                    Ok(_) => failed.push(WriteOp::Failed {
                        file,
                        reason: "the model returned no vector".into(),
                    }),
                    Err(e) => failed.push(WriteOp::Failed {
                        file,
                        reason: format!("the model failed on this image: {e}"),
                    }),
                }
            }
            (done, failed)
        }
        Ok(_) => (
            Vec::new(),
            metas
                .into_iter()
                .map(|(file, _, _)| WriteOp::Failed {
                    file,
                    reason: "the model returned no vector".into(),
                })
                .collect(),
        ),
        Err(e) => (
            Vec::new(),
            metas
                .into_iter()
                .map(|(file, _, _)| WriteOp::Failed {
                    file,
                    reason: format!("the model failed on this image: {e}"),
                })
                .collect(),
        ),
    }
}
