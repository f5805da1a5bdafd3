//! Queries: text search, search by example, status and photo details. Queries read the
//! index and a read-only catalog connection; they run while indexing goes on.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use glimpse_catalog::{ContentId, Failure, PhotoId};
use serde::Serialize;

use crate::models::{ModelSwitch, Slot};
use crate::{Library, LibraryError, Result};

/// Recent query embeddings: typing "dog on a be" → "dog on a beach" re-asks for prefixes
/// often (backspace, retyping), and a text forward pass costs far more than a lookup.
pub(crate) struct TextCache {
    /// Keyed by (embedder id, text): a model switch makes other vectors.
    entries: Mutex<lru::LruCache<(String, String), QueryVector>>,
    /// Held while a text is encoded: a search that arrives while a prefetch of the same text
    /// runs waits for it and reads the cache, rather than encoding it a second time on the
    /// same cores.
    encoding: Mutex<()>,
    /// The newest text a prefetch or a latest-only query asked for: an older one still
    /// waiting for `encoding` has been typed past and gives way.
    newest_text: Mutex<String>,
    /// Text forward passes run so far.
    encodes: AtomicU64,
}

const TEXT_CACHE_ENTRIES: usize = 512;

/// A cached query embedding.
type QueryVector = Arc<Vec<f32>>;

impl Default for TextCache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(TEXT_CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
            encoding: Mutex::new(()),
            newest_text: Mutex::new(String::new()),
            encodes: AtomicU64::new(0),
        }
    }
}

impl TextCache {
    /// A cache holding `model`'s kept query vectors (most recent first), so the last
    /// searches answer before the model has loaded.
    pub(crate) fn with_kept(model: &str, kept: Vec<(String, Vec<f32>)>) -> Self {
        let cache = Self::default();
        if let Ok(mut entries) = cache.entries.lock() {
            // Oldest first, so the most recent is the least likely to be evicted.
            for (text, vector) in kept.into_iter().rev() {
                entries.put((model.to_owned(), text), Arc::new(vector));
            }
        }
        cache
    }

    fn get(&self, model: &str, key: &str) -> Option<Arc<Vec<f32>>> {
        self.entries
            .lock()
            .ok()?
            .get(&(model.to_owned(), key.to_owned()))
            .cloned()
    }

    /// Forgets every cached vector (the search model changed).
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// Notes `key` as the newest text typed.
    fn note_newest(&self, key: &str) {
        if let Ok(mut newest) = self.newest_text.lock() {
            key.clone_into(&mut newest);
        }
    }

    /// Whether `key` is still the newest text typed.
    fn is_newest(&self, key: &str) -> bool {
        self.newest_text
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
    /// How well it matches, in cosine units of the query's main line: the cosine itself for a
    /// plain text or example query (higher is closer).
    pub score: f32,
    /// A good match: on the model's side of its calibrated line (docs/GOOD-MATCHES.md).
    pub good: bool,
    /// Capture time (seconds since the epoch; EXIF, as written by the camera), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken: Option<i64>,
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
    /// Embedder id of the model answering queries, when one is loaded.
    pub model: Option<String>,
    /// A model switch under way.
    pub switch: Option<ModelSwitch>,
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
    /// Why indexing stopped for the whole library (a full disk, a thumbnail folder that is
    /// gone), when it did; searching still works, and reopening the library retries.
    pub stopped: Option<String>,
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

impl Library {
    /// The photos that best match `text` (taken as written), best first: the whole ranking,
    /// the good matches flagged. [`Library::query`] has the search box's grammar, good
    /// matches only, filters and paging.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<Hit>> {
        let query = crate::Query::text(text)
            .scope(crate::Scope::All)
            .page(0, limit);
        Ok(self.query(&query)?.hits)
    }

    /// The embedding of a text query by the search model (cached).
    pub fn text_vector(&self, text: &str) -> Result<Arc<Vec<f32>>> {
        self.text_vector_with(&*self.search_model()?, text, false)
    }

    /// The cached or newly encoded vector of `text`; `latest_only`: give way with
    /// [`LibraryError::Superseded`] if a newer text is asked for while this one waits.
    pub(crate) fn text_vector_with(
        &self,
        model: &Slot,
        text: &str,
        latest_only: bool,
    ) -> Result<Arc<Vec<f32>>> {
        let key = text.trim();
        if let Some(v) = self.text_cache.get(&model.id, key) {
            return Ok(v);
        }
        if latest_only {
            self.text_cache.note_newest(key);
        }
        let _encoding = self
            .text_cache
            .encoding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A prefetch of this text may have finished while this call waited.
        if let Some(v) = self.text_cache.get(&model.id, key) {
            return Ok(v);
        }
        if latest_only && !self.text_cache.is_newest(key) {
            return Err(LibraryError::Superseded);
        }
        self.encode_text(model, key)
    }

    /// Encodes `text` into the query cache ahead of its search, as the search box does on
    /// every keystroke while the search itself waits for typing to pause: the search then
    /// finds its vector ready, and the encoder has been kept warm by the keystrokes (a
    /// forward pass after a pause of ~100 ms costs up to twice as much, docs/BENCHMARKS.md).
    /// A prefetch that has been typed past while it waited is skipped, so at most one runs
    /// at a time and the newest text goes next.
    pub fn prefetch_text(&self, text: &str) -> Result<Prefetch> {
        let key = text.trim();
        if key.is_empty() {
            return Ok(Prefetch::Cached);
        }
        if let Some(model) = self.shared.search_slot()
            && self.text_cache.get(&model.id, key).is_some()
        {
            return Ok(Prefetch::Cached);
        }
        self.text_cache.note_newest(key);
        let _encoding = self
            .text_cache
            .encoding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !self.text_cache.is_newest(key) {
            return Ok(Prefetch::Superseded);
        }
        let model = self.search_model()?;
        if self.text_cache.get(&model.id, key).is_some() {
            return Ok(Prefetch::Cached);
        }
        self.encode_text(&model, key)?;
        Ok(Prefetch::Encoded)
    }

    /// Text forward passes run since the library was opened (cache hits not counted).
    pub fn text_encodes(&self) -> u64 {
        self.text_cache.encodes.load(Ordering::Relaxed)
    }

    /// Encodes `key` with `model` and caches it; the caller holds `text_cache.encoding`.
    fn encode_text(&self, model: &Slot, key: &str) -> Result<Arc<Vec<f32>>> {
        self.text_cache.encodes.fetch_add(1, Ordering::Relaxed);
        let vector = Arc::new(
            model
                .embedder()?
                .embed_texts(&[key])?
                .into_iter()
                .next()
                .ok_or_else(|| LibraryError::Stopped("the model returned no vector".into()))?,
        );
        if let Ok(mut c) = self.text_cache.entries.lock() {
            c.put((model.id.clone(), key.to_owned()), vector.clone());
        }
        // Kept for the next open (a cache: a failed write costs an encode later).
        let _ = self.send(crate::ops::WriteOp::QueryVector {
            embedder: model.id.clone(),
            text: key.to_owned(),
            vector: vector.clone(),
        });
        Ok(vector)
    }

    /// The photos closest to a photo of the library or to an image file, best first (the
    /// whole ranking, good matches flagged by the model's image line). The photo itself
    /// (and its exact duplicates) are left out.
    pub fn similar(&self, to: &SimilarTo, limit: usize) -> Result<Vec<Hit>> {
        let mut query = crate::Query::text("")
            .scope(crate::Scope::All)
            .page(0, limit);
        query.terms.clear();
        match to {
            SimilarTo::Photo(id) => query.photos.push((*id, 1.0)),
            SimilarTo::File(path) => query.terms.push(crate::grammar::Term {
                kind: crate::grammar::TermKind::Like(path.clone()),
                weight: 1.0,
                negative: false,
            }),
        }
        Ok(self.query(&query)?.hits)
    }

    /// An image file's vector by `model`, prepared as indexing prepares it.
    pub(crate) fn embed_file(&self, model: &Slot, path: &Path) -> Result<Vec<f32>> {
        let embedder = model.embedder()?;
        let preparer =
            crate::prepare::Preparer::new(embedder.preprocessor(), self.thumbnail_edge_px);
        let bytes = crate::prepare::read(path)?;
        crate::prepare::embed_prepared(&embedder, &preparer, path, &bytes)
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
        drop(reader);
        let search = self.shared.search_slot();
        Ok(LibraryStatus {
            model: search.as_ref().map(|s| s.id.clone()),
            switch: self.model_switch()?,
            data_dir: self.shared.paths.root.clone(),
            folders,
            photos: totals.photos,
            indexed: totals.indexed,
            pending: totals.pending,
            failed: totals.failed,
            distinct: totals.distinct,
            vectors: search.as_ref().map_or(0, |s| s.index.len()),
            progress: self.shared.tracker.progress(),
            paused: self.is_paused(),
            failures,
            stopped: self.shared.stopped_reason(),
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

    /// Whether `text` is the newest text the library was asked to encode.
    fn is_newest(library: &Library, text: &str) -> bool {
        library
            .text_cache
            .newest_text
            .lock()
            .is_ok_and(|n| n.as_str() == text)
    }

    /// The text encoder, held as an encode in progress would.
    fn hold_encoder(library: &Library) -> std::sync::MutexGuard<'_, ()> {
        library
            .text_cache
            .encoding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

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
        let newest = |text: &str| is_newest(&library, text);
        std::thread::scope(|s| {
            // An encode in progress (a search) holds the encoder.
            let busy = hold_encoder(&library);
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

    /// The search box sends a search for each typed prefix when keys come slower than its
    /// debounce; a latest-only query still waiting for the encoder when a newer text is
    /// asked for gives way, so the text the person stopped at is encoded next.
    #[test]
    fn a_search_box_query_typed_past_while_it_waits_gives_way() {
        let data = tempfile::tempdir().expect("tempdir");
        let model = glimpse_embed::ModelFiles::from_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/shapes-clip"),
        )
        .expect("model");
        let library =
            Library::open(LibraryConfig::new(data.path()).with_model(model)).expect("open");
        let newest = |text: &str| is_newest(&library, text);
        let query = |text: &str| crate::Query::text(text).latest_only();
        let before = library.text_encodes();
        std::thread::scope(|s| {
            let busy = hold_encoder(&library);
            let older = s.spawn(|| library.query(&query("a red")));
            wait_for("the first search", || newest("a red"));
            // A plain query (the CLI's) never gives way, even when typed past.
            let plain = s.spawn(|| library.query(&crate::Query::text("a blue")));
            let newer = s.spawn(|| library.prefetch_text("a red circle"));
            wait_for("the prefetch", || newest("a red circle"));
            drop(busy);
            assert!(matches!(
                older.join().expect("thread"),
                Err(crate::LibraryError::Superseded)
            ));
            assert!(
                plain.join().expect("thread").is_ok(),
                "a plain query answers"
            );
            assert_eq!(
                newer.join().expect("thread").expect("prefetch"),
                Prefetch::Encoded
            );
        });
        assert_eq!(
            library.text_encodes() - before,
            2,
            "only the plain query's and the newest text were encoded"
        );
        // Nothing newer: a latest-only query answers.
        assert!(library.query(&query("a red circle")).is_ok());
        assert_eq!(crate::LibraryError::Superseded.code(), "superseded");
    }
}
