//! Queries: text search, search by example, status and photo details. Queries read the
//! index and a read-only catalog connection; they run while indexing goes on.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use glimpse_catalog::{ContentId, Failure, PhotoId};
use glimpse_vectors::Hit as VectorHit;
use serde::Serialize;

use crate::{Library, LibraryError, Result};

/// Recent query embeddings: typing "dog on a be" → "dog on a beach" re-asks for prefixes
/// often (backspace, retyping), and a text forward pass costs far more than a lookup.
pub(crate) struct TextCache {
    entries: Mutex<lru::LruCache<String, Arc<Vec<f32>>>>,
    /// Held while a text is encoded: a search that arrives while a prefetch of the same text
    /// runs waits for it and reads the cache, rather than encoding it a second time on the
    /// same cores.
    encoding: Mutex<()>,
    /// The newest text [`Library::prefetch_text`] was asked for; an older prefetch still
    /// waiting for `encoding` has been typed past and is dropped.
    newest_prefetch: Mutex<String>,
    /// Text forward passes run so far.
    encodes: AtomicU64,
}

const TEXT_CACHE_ENTRIES: usize = 512;

impl Default for TextCache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(TEXT_CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
            encoding: Mutex::new(()),
            newest_prefetch: Mutex::new(String::new()),
            encodes: AtomicU64::new(0),
        }
    }
}

impl TextCache {
    fn get(&self, key: &str) -> Option<Arc<Vec<f32>>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    /// Whether `key` is still the newest prefetch asked for.
    fn is_newest_prefetch(&self, key: &str) -> bool {
        self.newest_prefetch
            .lock()
            .map_or(true, |newest| newest.as_str() == key)
    }
}

/// What [`Library::prefetch_text`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefetch {
    /// The text was encoded and cached.
    Encoded,
    /// It was cached already (or empty): nothing to do.
    Cached,
    /// A newer text was asked for while this one waited: skipped.
    Superseded,
}

/// One search result: a distinct content, shown by its first path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The photo shown for this result.
    pub photo: PhotoId,
    /// Its content (the thumbnail key).
    pub content: ContentId,
    /// The photo's path.
    pub path: PathBuf,
    /// Cosine similarity to the query (higher is closer).
    pub score: f32,
    /// The other files of this picture: paths with exactly the same content, then the
    /// other files of the same shot when a camera saved a raw file beside a JPEG or HEIF
    /// (`IMG_1234.CR3` + `IMG_1234.JPG` in one folder: one result, both files listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<PathBuf>,
}

/// What to find similar photos to.
#[derive(Debug, Clone)]
pub enum SimilarTo {
    /// A photo of the library.
    Photo(PhotoId),
    /// An image file, in the library or not.
    File(PathBuf),
}

/// A folder with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderStatus {
    /// Folder id.
    pub id: i64,
    /// Folder path.
    pub path: PathBuf,
    /// Photo files known under it.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Waiting to be indexed.
    pub pending: u64,
    /// Could not be indexed.
    pub failed: u64,
}

/// A failed file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    /// The file.
    pub path: PathBuf,
    /// Why it could not be indexed.
    pub reason: String,
}

/// The state of the whole library.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryStatus {
    /// Embedder id, when a model is loaded.
    pub model: Option<String>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// Every folder with its counts.
    pub folders: Vec<FolderStatus>,
    /// Photo files known.
    pub photos: u64,
    /// Searchable photos.
    pub indexed: u64,
    /// Waiting to be indexed.
    pub pending: u64,
    /// Could not be indexed.
    pub failed: u64,
    /// Distinct contents among the indexed photos (indexed − distinct = exact duplicates).
    pub distinct: u64,
    /// Vectors in the index.
    pub vectors: usize,
    /// Work under way: (done, total).
    pub progress: (u64, u64),
    /// Whether indexing is paused.
    pub paused: bool,
    /// Up to 1000 failed files with reasons.
    pub failures: Vec<FailedFile>,
}

/// Details of one photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoDetails {
    /// Photo id.
    pub id: PhotoId,
    /// Path.
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// Content id (thumbnail key), once indexed.
    pub content: Option<ContentId>,
    /// Pixel width after orientation.
    pub width: Option<u32>,
    /// Pixel height after orientation.
    pub height: Option<u32>,
    /// Detected format.
    pub format: Option<String>,
    /// EXIF capture time (seconds since the Unix epoch).
    pub taken_at: Option<i64>,
    /// Camera, from EXIF.
    pub camera: Option<String>,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// How many more candidates than asked for are fetched from the index, since some keys may
/// belong to content whose photos were just deleted or are being re-indexed.
const OVERFETCH: usize = 2;

/// The other files of `path`'s shot, as (content, path), when the shot includes a camera
/// raw file: a raw and the JPEG/HEIF the camera saved beside it are one picture. Shots
/// without a raw file are left alone (`IMG_1.png` beside `IMG_1.jpg` may be an edit).
fn raw_shot_companions(
    reader: &glimpse_catalog::Catalog,
    path: &Path,
    content: ContentId,
) -> Result<Vec<(ContentId, PathBuf)>> {
    let shot = reader.indexed_shot_of(path)?;
    if shot.len() < 2 || !shot.iter().any(|(_, _, p)| glimpse_media::is_raw_path(p)) {
        return Ok(Vec::new());
    }
    Ok(shot
        .into_iter()
        .filter(|(c, _, _)| *c != content)
        .map(|(c, _, p)| (c, p))
        .collect())
}

impl Library {
    /// The photos that best match `text`, best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<Hit>> {
        let vector = self.text_vector(text)?;
        self.search_vector(&vector, limit, None)
    }

    /// The embedding of a text query (cached).
    pub fn text_vector(&self, text: &str) -> Result<Arc<Vec<f32>>> {
        let key = text.trim();
        if let Some(v) = self.text_cache.get(key) {
            return Ok(v);
        }
        let _encoding = self
            .text_cache
            .encoding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A prefetch of this text may have finished while this call waited.
        if let Some(v) = self.text_cache.get(key) {
            return Ok(v);
        }
        self.encode_text(key)
    }

    /// Encodes `text` into the query cache ahead of its search, as the search box does on
    /// every keystroke while the search itself waits for typing to pause: the search then
    /// finds its vector ready, and the encoder has been kept warm by the keystrokes (a
    /// forward pass after a pause of ~100 ms costs up to twice as much, docs/BENCHMARKS.md).
    /// A prefetch that has been typed past while it waited is skipped, so at most one runs
    /// at a time and the newest text goes next.
    pub fn prefetch_text(&self, text: &str) -> Result<Prefetch> {
        let key = text.trim();
        if key.is_empty() || self.text_cache.get(key).is_some() {
            return Ok(Prefetch::Cached);
        }
        if let Ok(mut newest) = self.text_cache.newest_prefetch.lock() {
            key.clone_into(&mut newest);
        }
        let _encoding = self
            .text_cache
            .encoding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !self.text_cache.is_newest_prefetch(key) {
            return Ok(Prefetch::Superseded);
        }
        if self.text_cache.get(key).is_some() {
            return Ok(Prefetch::Cached);
        }
        self.encode_text(key)?;
        Ok(Prefetch::Encoded)
    }

    /// Text forward passes run since the library was opened (cache hits not counted).
    pub fn text_encodes(&self) -> u64 {
        self.text_cache.encodes.load(Ordering::Relaxed)
    }

    /// Encodes `key` and caches it; the caller holds `text_cache.encoding`.
    fn encode_text(&self, key: &str) -> Result<Arc<Vec<f32>>> {
        let embedder = self.embedder()?;
        self.text_cache.encodes.fetch_add(1, Ordering::Relaxed);
        let vector = Arc::new(
            embedder
                .embed_texts(&[key])?
                .into_iter()
                .next()
                .ok_or_else(|| LibraryError::Stopped("the model returned no vector".into()))?,
        );
        if let Ok(mut c) = self.text_cache.entries.lock() {
            c.put(key.to_owned(), vector.clone());
        }
        Ok(vector)
    }

    /// The photos closest to a photo of the library or to an image file, best first. The
    /// photo itself (and its exact duplicates) are left out.
    pub fn similar(&self, to: &SimilarTo, limit: usize) -> Result<Vec<Hit>> {
        let embedder_id = self.embedder()?.id().to_string();
        let known = match to {
            SimilarTo::Photo(id) => Some(
                self.reader()?
                    .photo(*id)?
                    .ok_or_else(|| LibraryError::UnknownPhoto(id.to_string()))?,
            ),
            SimilarTo::File(path) => {
                let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                self.reader()?.photo_by_path(&path)?
            }
        };
        let stored = match known.as_ref().and_then(|p| p.content) {
            Some(c) => self.reader()?.embedding(c, &embedder_id)?.map(|v| (c, v)),
            None => None,
        };
        let (exclude, vector) = match (stored, to) {
            (Some((c, v)), _) => (Some(c), v),
            (None, SimilarTo::File(path)) => (None, self.embed_file(path)?),
            (None, SimilarTo::Photo(id)) => {
                return Err(LibraryError::UnknownPhoto(format!(
                    "{id} (not indexed yet)"
                )));
            }
        };
        self.search_vector(&vector, limit, exclude)
    }

    fn embed_file(&self, path: &Path) -> Result<Vec<f32>> {
        let embedder = self.embedder()?;
        let bytes = glimpse_media::read_file(path)?;
        let need = glimpse_media::MinSize::for_outputs(
            embedder.preprocessor().min_source_short_edge(),
            self.thumbnail_edge_px,
        );
        let decoded = glimpse_media::decode_scaled(path, &bytes, need)?;
        let pixels = embedder.preprocessor().pixels(&decoded.image)?;
        embedder
            .embed_pixels(std::slice::from_ref(&pixels))?
            .into_iter()
            .next()
            .ok_or_else(|| LibraryError::Stopped("the model returned no vector".into()))
    }

    /// The photos closest to a vector, best first, one per distinct content.
    pub fn search_vector(
        &self,
        vector: &[f32],
        limit: usize,
        exclude: Option<ContentId>,
    ) -> Result<Vec<Hit>> {
        let index = self.index()?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut fetch = limit * OVERFETCH + 8;
        loop {
            let candidates: Vec<VectorHit> = index.search(vector, fetch)?;
            let exhausted = candidates.len() < fetch;
            let hits = self.resolve(&candidates, exclude, limit)?;
            if hits.len() >= limit || exhausted || fetch >= index.len() {
                return Ok(hits);
            }
            fetch = (fetch * 4).min(index.len().max(1));
        }
    }

    /// Turns index hits into photos, dropping contents without an indexed photo.
    fn resolve(
        &self,
        candidates: &[VectorHit],
        exclude: Option<ContentId>,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let ids: Vec<ContentId> = candidates
            .iter()
            .map(|h| h.key as ContentId)
            .filter(|c| Some(*c) != exclude)
            .collect();
        // Grouped by content once: the UI pages through tens of thousands of results, where
        // scanning the photo list per candidate would be quadratic.
        let mut by_content: std::collections::HashMap<ContentId, Vec<(PhotoId, PathBuf)>> =
            std::collections::HashMap::with_capacity(ids.len());
        for (content, photo, path) in self.reader()?.indexed_photos_of(&ids)? {
            by_content.entry(content).or_default().push((photo, path));
        }
        let reader = self.reader()?;
        // Contents already listed as another file of a shot shown earlier (higher score).
        let mut shown_in_shot = std::collections::HashSet::new();
        let mut hits: Vec<Hit> = Vec::with_capacity(limit.min(candidates.len()));
        for c in candidates {
            if hits.len() == limit {
                break;
            }
            let content = c.key as ContentId;
            if shown_in_shot.contains(&content) {
                continue;
            }
            let Some(photos) = by_content.remove(&content) else {
                continue;
            };
            let mut photos = photos.into_iter();
            let Some((photo, path)) = photos.next() else {
                continue;
            };
            let mut duplicates: Vec<PathBuf> = photos.map(|(_, p)| p).collect();
            let shot = raw_shot_companions(&reader, &path, content)?;
            if exclude.is_some_and(|x| shot.iter().any(|(c, _)| *c == x)) {
                // The other file of the very shot a "similar" search started from.
                continue;
            }
            for (companion, companion_path) in shot {
                shown_in_shot.insert(companion);
                duplicates.push(companion_path);
            }
            hits.push(Hit {
                photo,
                content,
                path,
                score: c.score,
                duplicates,
            });
        }
        Ok(hits)
    }

    /// Counts, folders and failures.
    pub fn status(&self) -> Result<LibraryStatus> {
        let reader = self.reader()?;
        let totals = reader.status()?;
        let mut folders = Vec::new();
        for f in reader.folders()? {
            let c = reader.folder_counts(f.id)?;
            folders.push(FolderStatus {
                id: f.id,
                path: f.path,
                photos: c.photos,
                indexed: c.indexed,
                pending: c.pending,
                failed: c.failed,
            });
        }
        let failures = reader
            .failures(1000)?
            .into_iter()
            .map(|Failure { path, reason }| FailedFile { path, reason })
            .collect();
        Ok(LibraryStatus {
            model: self.shared.embedder_id.clone(),
            data_dir: self.shared.paths.root.clone(),
            folders,
            photos: totals.photos,
            indexed: totals.indexed,
            pending: totals.pending,
            failed: totals.failed,
            distinct: totals.distinct,
            vectors: self.shared.index.as_ref().map_or(0, |i| i.len()),
            progress: self.shared.tracker.progress(),
            paused: self.is_paused(),
            failures,
        })
    }

    /// The folders of the library with their counts.
    pub fn folders(&self) -> Result<Vec<FolderStatus>> {
        Ok(self.status()?.folders)
    }

    /// Details of one photo.
    pub fn photo(&self, id: PhotoId) -> Result<PhotoDetails> {
        let reader = self.reader()?;
        let photo = reader
            .photo(id)?
            .ok_or_else(|| LibraryError::UnknownPhoto(id.to_string()))?;
        let content = match photo.content {
            Some(c) => reader.content(c)?,
            None => None,
        };
        let facts = content.as_ref().map(|c| &c.facts);
        Ok(PhotoDetails {
            id: photo.id,
            path: photo.path,
            size: photo.size,
            content: photo.content,
            width: facts.map(|f| f.width),
            height: facts.map(|f| f.height),
            format: facts.map(|f| f.format.clone()),
            taken_at: facts.and_then(|f| f.taken_at),
            camera: facts.and_then(|f| match (&f.camera_make, &f.camera_model) {
                (Some(make), Some(model)) if model.starts_with(make.as_str()) => {
                    Some(model.clone())
                }
                (Some(make), Some(model)) => Some(format!("{make} {model}")),
                (a, b) => a.clone().or_else(|| b.clone()),
            }),
            failure: photo.failure,
        })
    }

    /// The path of a photo of the library, or an error for anything else — the app's
    /// "open"/"reveal" accept only paths that pass through here.
    pub fn photo_path(&self, id: PhotoId) -> Result<PathBuf> {
        Ok(self.photo(id)?.path)
    }

    /// The thumbnail file of a content, if it exists. Content ids are the only way in: the
    /// path is built from the stored hash, never from caller input.
    pub fn thumbnail_path(&self, content: ContentId) -> Result<Option<PathBuf>> {
        let Some(row) = self.reader()?.content(content)? else {
            return Ok(None);
        };
        let path = self.shared.paths.thumbnail(&row.hash);
        Ok(path.is_file().then_some(path))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::PoisonError;
    use std::time::{Duration, Instant};

    use super::Prefetch;
    use crate::{Library, LibraryConfig};

    fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Keystrokes arrive faster than texts encode: a prefetch still waiting when a newer one
    /// is asked for is dropped, so only the newest text costs a forward pass.
    #[test]
    fn a_prefetch_typed_past_while_it_waits_is_skipped() {
        let data = tempfile::tempdir().expect("tempdir");
        let library = Library::open(LibraryConfig::new(data.path())).expect("open");
        let newest = |text: &str| {
            library
                .text_cache
                .newest_prefetch
                .lock()
                .is_ok_and(|n| n.as_str() == text)
        };
        std::thread::scope(|s| {
            // An encode in progress (a search) holds the encoder.
            let busy = library
                .text_cache
                .encoding
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let older = s.spawn(|| library.prefetch_text("a red"));
            wait_for("the first prefetch", || newest("a red"));
            let newer = s.spawn(|| library.prefetch_text("a red circle"));
            wait_for("the second prefetch", || newest("a red circle"));
            drop(busy);
            assert_eq!(
                older.join().expect("thread").expect("prefetch"),
                Prefetch::Superseded
            );
            // The newest one goes on to the model, which this library has none of.
            assert!(matches!(
                newer.join().expect("thread"),
                Err(crate::LibraryError::NoModel)
            ));
        });
        assert_eq!(
            library.prefetch_text("   ").expect("empty"),
            Prefetch::Cached
        );
    }
}
