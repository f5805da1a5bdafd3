//! [`VectorIndex`]: the approximate (HNSW) index on USearch.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use crate::file;
use crate::layout;
use crate::slots::{Slots, thread_slots};
use crate::vector::Prepared;
use crate::{Hit, IndexSettings, Quantization, VectorError};

/// Capacity reserved up front and the smallest step of growth, in vectors.
const INITIAL_CAPACITY: usize = 1024;

/// Below this many new vectors, `upsert_batch` inserts on the calling thread: spawning
/// threads costs more than it saves.
const PARALLEL_BATCH_MIN: usize = 256;

/// USearch key marking deleted slots (`default_free_value<u64>()`); never a valid key.
const RESERVED_KEY: u64 = u64::MAX;

/// Approximate nearest-neighbour index of unit vectors under cosine similarity, keyed by
/// `u64` (photo ids), on USearch's HNSW graph.
///
/// `Send + Sync`: share it in an `Arc`. Any number of threads may search while one thread
/// writes. Mutations (`upsert`, `upsert_batch`, `remove`, `save`) are serialised internally,
/// so several writers are safe too, merely not concurrent.
///
/// How USearch's sharp edges are handled:
/// - **capacity**: USearch never grows by itself; every insert first reserves room,
///   doubling (at least 1024 vectors).
/// - **locking**: USearch's `add`/`search`/`save` run concurrently under a read lock;
///   `reserve` (reallocates), the first insert into an empty index (searching while the
///   first vector goes in segfaulted in 4 of 6 runs), replacing a key (so a search never
///   sees it missing) and `remove` (a search could return the free-slot marker as a key)
///   take the write lock.
/// - **thread slots**: every USearch call holds a permit of a semaphore sized like the
///   slots reserved, so extra threads wait instead of failing (see `slots.rs`).
/// - **empty index**: searching an empty index never reaches USearch.
pub struct VectorIndex {
    settings: IndexSettings,
    /// Declared before `mapped`: a viewing index is dropped before the file it views.
    index: RwLock<usearch::Index>,
    /// The file a loaded index serves its graph and vectors from (USearch's view), until
    /// the first change copies them to memory (see [`VectorIndex::load`]).
    mapped: Mutex<Option<memmap2::Mmap>>,
    /// Counts changes (under the writer lock), so a file can be known to hold them all.
    generation: AtomicU64,
    /// The file last saved to and the generation it holds.
    saved: Mutex<Option<(PathBuf, u64)>>,
    /// Serialises mutations so that "check, then act" sequences (capacity, replace,
    /// first insert) see no other writer in between.
    writer: Mutex<()>,
    /// Keys present, kept beside USearch: its Rust API cannot list keys, and `len`/
    /// `contains`/`keys` then never wait for the index lock.
    keys: Mutex<HashSet<u64>>,
    slots: Slots,
    thread_slots: usize,
    /// The search expansion USearch was last given: follows the size, see
    /// [`IndexSettings::expansion_search_for`].
    expansion_now: AtomicUsize,
}

impl fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VectorIndex")
            .field("settings", &self.settings)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl VectorIndex {
    /// Creates an empty index.
    pub fn new(settings: IndexSettings) -> Result<Self, VectorError> {
        settings.validate()?;
        let index = usearch::Index::new(&settings.usearch_options())
            .map_err(|e| VectorError::usearch("create", e))?;
        Self::wrap(index, settings, HashSet::new())
    }

    /// Loads an index saved by [`VectorIndex::save`].
    ///
    /// The file's checksum is verified and USearch's layout walked (sizes, header fields,
    /// every graph link in range) before USearch parses it, so a damaged, truncated,
    /// foreign or forged file is [`VectorError::Corrupt`], never a crash. A file built with other
    /// dimensions or quantization than `settings` is [`VectorError::SettingsMismatch`].
    /// The graph keeps the connectivity it was built with (reflected in
    /// [`VectorIndex::settings`]); the expansions are taken from `settings`.
    pub fn load(path: &Path, settings: IndexSettings) -> Result<Self, VectorError> {
        settings.validate()?;
        let started = Instant::now();
        let io = |action: &'static str| {
            move |source| VectorError::Io {
                path: path.to_owned(),
                action,
                source,
            }
        };
        let file = std::fs::File::open(path).map_err(io("cannot open"))?;
        let len = file.metadata().map_err(io("cannot read"))?.len();
        let (index, keys, settings, mapped) = if len == 0 {
            // Nothing to map (an empty mapping is an error): the checks name the problem.
            let (index, keys, settings) = Self::parse(path, Vec::new(), settings, Backing::Owned)?;
            (index, keys, settings, None)
        } else {
            // SAFETY: the mapping is read-only and lives in `mapped` for as long as the
            // index that views it (dropped first, see the field order; replaced only under
            // the write lock). The file is Glimpse's own, replaced only by an atomic rename
            // (a new file: this one stays as mapped); changed in place by something else,
            // its bytes could change under the view, as under any mapping.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io("cannot map"))?;
            let (index, keys, settings) = Self::parse(path, &map[..], settings, Backing::Mapped)?;
            (index, keys, settings, Some(map))
        };
        tracing::debug!(
            path = %path.display(),
            vectors = keys.len(),
            mapped = mapped.is_some(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "vector index loaded"
        );
        let this = Self::wrap(index, settings, keys)?;
        *this.lock_mapped() = mapped;
        *this.lock_saved() = Some((path.to_owned(), 0));
        // The checks read every page; the index reads only what searches visit.
        this.release_pages();
        Ok(this)
    }

    /// Verifies a file's bytes and gives USearch's index over them: viewing them (`Mapped`:
    /// the caller keeps the bytes alive as long as the index) or copied (`Owned`).
    fn parse<B: AsRef<[u8]>>(
        path: &Path,
        bytes: B,
        settings: IndexSettings,
        backing: Backing,
    ) -> Result<(usearch::Index, HashSet<u64>, IndexSettings), VectorError> {
        let contents = file::verify(path, bytes, &settings)?;
        let corrupt = |message: String| VectorError::Corrupt {
            path: path.to_owned(),
            message,
        };
        let settings = IndexSettings {
            connectivity: contents.connectivity,
            ..settings
        };
        settings.validate().map_err(|e| corrupt(e.to_string()))?;
        // The checksum proves the file is the one written, not that it was written by us:
        // walk USearch's layout before native code trusts any size or link in it.
        layout::check(
            contents.usearch_bytes(),
            &layout::Expected {
                dim: settings.dim,
                quantization: settings.quantization,
                connectivity: settings.connectivity,
                keys: &contents.keys,
            },
        )
        .map_err(|message| corrupt(format!("USearch data is malformed: {message}")))?;
        let index = usearch::Index::new(&settings.usearch_options())
            .map_err(|e| VectorError::usearch("create", e))?;
        match backing {
            Backing::Owned => index.load_from_buffer(contents.usearch_bytes()),
            // SAFETY: the bytes are the mapping `load` keeps beside the index for as long
            // as the index lives (see there), and were checked just above.
            #[allow(unsafe_code)]
            Backing::Mapped => unsafe { index.view_from_buffer(contents.usearch_bytes()) },
        }
        .map_err(|e| corrupt(format!("USearch cannot load it: {e}")))?;
        if index.dimensions() != settings.dim
            || index.scalar_kind() != settings.quantization.scalar_kind()
        {
            return Err(corrupt(format!(
                "USearch data is {}-d {:?}, the footer says {}-d {}",
                index.dimensions(),
                index.scalar_kind(),
                settings.dim,
                settings.quantization
            )));
        }
        let keys: HashSet<u64> = contents.keys.iter().copied().collect();
        if keys.len() != contents.keys.len() || keys.contains(&RESERVED_KEY) {
            return Err(corrupt(
                "the key list has duplicates or a reserved key".into(),
            ));
        }
        if index.size() != keys.len() || keys.iter().any(|&k| !index.contains(k)) {
            return Err(corrupt(format!(
                "USearch holds {} vectors that do not match the {} keys listed",
                index.size(),
                keys.len()
            )));
        }
        // Not stored in the file; a loaded index would otherwise keep whatever USearch
        // defaulted to.
        index.change_expansion_add(settings.expansion_add);
        Ok((index, keys, settings))
    }

    /// Serves the index from `path`, the file it was just saved to, instead of its copy in
    /// memory (after [`VectorIndex::save`], once changes have stopped for a while: the next
    /// change copies it back). The file is verified as [`VectorIndex::load`] does and must
    /// hold the same keys; nothing happens unless the index was saved there since its last
    /// change. Returns whether it switched.
    pub fn serve_from_file(&self, path: &Path) -> Result<bool, VectorError> {
        let _writer = self.lock_writer();
        if self.is_mapped() {
            return Ok(false);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        if self.lock_saved().as_ref() != Some(&(path.to_owned(), generation)) {
            // Changed since it was saved there, or never saved there.
            return Ok(false);
        }
        let loaded = Self::load(path, self.settings)?;
        if *loaded.lock_keys() != *self.lock_keys() {
            return Err(VectorError::Corrupt {
                path: path.to_owned(),
                message: "the file holds other keys than the index saved to it".into(),
            });
        }
        // Made before anything moves, so that no early return drops the map before the
        // index viewing it.
        let empty = usearch::Index::new(&self.settings.usearch_options())
            .map_err(|e| VectorError::usearch("create", e))?;
        let viewing = std::mem::replace(&mut *loaded.write_index(), empty);
        let Some(map) = loaded.lock_mapped().take() else {
            return Ok(false);
        };
        viewing.change_expansion_search(self.expansion_now.load(Ordering::Relaxed));
        // Under the write lock no search is in the old index when it goes; the view's file
        // is in place before the view is.
        let mut mapped = self.lock_mapped();
        let mut index = self.write_index();
        *mapped = Some(map);
        *index = viewing;
        Ok(true)
    }

    /// Whether the index serves from its file (loaded and unchanged since).
    pub fn is_mapped(&self) -> bool {
        self.lock_mapped().is_some()
    }

    /// Lets go of the pages of the index file this process has read (they stay in the
    /// system's file cache; a search reads them back from there): an index at rest then
    /// holds only its key lookups in memory. Nothing for an index in memory.
    pub fn release_pages(&self) {
        if let Some(map) = self.lock_mapped().as_ref() {
            // SAFETY: on a shared, read-only file mapping `MADV_DONTNEED` only drops this
            // process's page-table entries; the next read faults the same file bytes back
            // in (it would zero private or anonymous memory, which this is not).
            #[allow(unsafe_code)]
            let released = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
            if let Err(e) = released {
                tracing::debug!(error = %e, "cannot release the index file's pages");
            }
        }
    }

    /// Before a change: counts it, and copies a viewed index into memory, so that it can
    /// change (USearch cannot change a view). Caller holds the writer lock.
    fn make_owned(&self) -> Result<(), VectorError> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut mapped = self.lock_mapped();
        if mapped.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let owned = usearch::Index::new(&self.settings.usearch_options())
            .map_err(|e| VectorError::usearch("create", e))?;
        {
            let index = self.read_index();
            let mut buffer = vec![0u8; index.serialized_length()];
            index
                .save_to_buffer(&mut buffer)
                .map_err(|e| VectorError::usearch("save", e))?;
            owned
                .load_from_buffer(&buffer)
                .map_err(|e| VectorError::usearch("load", e))?;
        }
        owned.change_expansion_add(self.settings.expansion_add);
        let capacity = INITIAL_CAPACITY.max(owned.size());
        owned
            .reserve_capacity_and_threads(capacity, self.thread_slots)
            .map_err(|e| VectorError::usearch("reserve", e))?;
        owned.change_expansion_search(self.expansion_now.load(Ordering::Relaxed));
        // Under the write lock no search is in the view when it goes, then the file.
        *self.write_index() = owned;
        *mapped = None;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "vector index copied from its file into memory for a change"
        );
        Ok(())
    }

    fn wrap(
        index: usearch::Index,
        settings: IndexSettings,
        keys: HashSet<u64>,
    ) -> Result<Self, VectorError> {
        let thread_slots = thread_slots();
        // After `new` capacity is 0, after `load` it equals the size, and in both cases the
        // thread slots must be (re)sized: reserve now.
        let capacity = INITIAL_CAPACITY.max(index.size());
        index
            .reserve_capacity_and_threads(capacity, thread_slots)
            .map_err(|e| VectorError::usearch("reserve", e))?;
        let expansion = settings.expansion_search_for(index.size());
        index.change_expansion_search(expansion);
        Ok(Self {
            settings,
            index: RwLock::new(index),
            mapped: Mutex::new(None),
            generation: AtomicU64::new(0),
            saved: Mutex::new(None),
            writer: Mutex::new(()),
            keys: Mutex::new(keys),
            slots: Slots::new(thread_slots),
            thread_slots,
            expansion_now: AtomicUsize::new(expansion),
        })
    }

    /// Saves the index to `path` atomically (temporary file in the same directory, fsync,
    /// rename, directory fsync). Searches continue meanwhile; writers wait.
    pub fn save(&self, path: &Path) -> Result<(), VectorError> {
        self.save_with_hook(path, |_| {})
    }

    /// [`VectorIndex::save`], calling `before_replace` with the temporary file's path once
    /// it is fully written and synced, just before it is renamed over `path`.
    ///
    /// A test hook: crash-consistency tests stop the process there to prove that a crash
    /// between the two steps leaves the previous index intact. `save` passes a no-op.
    pub fn save_with_hook(
        &self,
        path: &Path,
        before_replace: impl FnOnce(&Path),
    ) -> Result<(), VectorError> {
        let started = Instant::now();
        let (usearch_bytes, mut keys, generation) = {
            // The writer lock excludes every mutation; USearch's serialisation only reads
            // the graph, so concurrent searches (also read-only) are safe under the read
            // lock and need not stall for the copy.
            let _writer = self.lock_writer();
            let index = self.read_index();
            let mut buffer = vec![0u8; index.serialized_length()];
            index
                .save_to_buffer(&mut buffer)
                .map_err(|e| VectorError::usearch("save", e))?;
            let keys: Vec<u64> = self.lock_keys().iter().copied().collect();
            (buffer, keys, self.generation.load(Ordering::SeqCst))
        };
        keys.sort_unstable();
        let bytes = file::encode(usearch_bytes, &keys, &self.settings);
        file::write_atomically(path, &bytes, before_replace)?;
        *self.lock_saved() = Some((path.to_owned(), generation));
        tracing::debug!(
            path = %path.display(),
            vectors = keys.len(),
            bytes = bytes.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "vector index saved"
        );
        Ok(())
    }

    /// Inserts `vector` under `key`, replacing any vector already stored under it. The
    /// vector need not be normalised; it must have `dim` finite components, not all zero.
    pub fn upsert(&self, key: u64, vector: &[f32]) -> Result<(), VectorError> {
        check_key(key)?;
        let prepared = Prepared::new(self.settings.quantization, self.settings.dim, vector)?;
        let _writer = self.lock_writer();
        self.make_owned()?;
        self.ensure_capacity(1)?;
        self.insert_one(key, &prepared)
    }

    /// Inserts or replaces many vectors; faster than repeated [`VectorIndex::upsert`]
    /// (one capacity check, new keys inserted from several threads). If a key appears
    /// more than once, the last vector wins.
    ///
    /// Every vector is checked before anything is inserted, so an item error (wrong
    /// dimensions, NaN, reserved key) leaves the index unchanged. A USearch failure midway
    /// leaves the items inserted so far in place (and listed by [`VectorIndex::keys`]).
    pub fn upsert_batch(&self, items: &[(u64, Vec<f32>)]) -> Result<(), VectorError> {
        if items.is_empty() {
            // Nothing changes: an index served from its file stays so.
            return Ok(());
        }
        let mut prepared = Vec::with_capacity(items.len());
        for (key, vector) in items {
            check_key(*key)?;
            prepared.push((
                *key,
                Prepared::new(self.settings.quantization, self.settings.dim, vector)?,
            ));
        }
        // Last occurrence wins, first-occurrence order kept otherwise.
        let last: HashMap<u64, usize> = prepared
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (*key, i))
            .collect();
        let unique: Vec<(u64, Prepared)> = prepared
            .into_iter()
            .enumerate()
            .filter(|(i, (key, _))| last.get(key) == Some(i))
            .map(|(_, item)| item)
            .collect();

        let _writer = self.lock_writer();
        self.make_owned()?;
        self.ensure_capacity(unique.len())?;
        let (replacements, mut fresh): (Vec<_>, Vec<_>) = {
            let keys = self.lock_keys();
            unique.into_iter().partition(|(key, _)| keys.contains(key))
        };
        if !replacements.is_empty() {
            // One write lock for all: replacing is remove + add, which searches must not
            // observe half done.
            let index = self.write_index();
            for (key, vector) in &replacements {
                self.replace_locked(&index, *key, vector)?;
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        if self.read_index().size() == 0 {
            let (key, vector) = fresh.remove(0);
            self.insert_one(key, &vector)?;
        }
        self.insert_fresh(&fresh)
    }

    /// Removes `key`. Returns whether it was present.
    pub fn remove(&self, key: u64) -> Result<bool, VectorError> {
        let _writer = self.lock_writer();
        if !self.lock_keys().contains(&key) {
            return Ok(false);
        }
        self.make_owned()?;
        // Under the write lock: USearch marks the slot free by overwriting its key in
        // place, and a search reading it meanwhile returned the free marker (u64::MAX) as a
        // hit (seen in `concurrent_searches_while_one_writer_upserts_5000_vectors` on a
        // loaded machine). Removals are rare (garbage collection), so searches barely wait.
        let removed = self
            .write_index()
            .remove(key)
            .map_err(|e| VectorError::usearch("remove", e))?;
        if removed == 0 {
            tracing::warn!(key, "key listed as present was not in USearch");
        }
        self.lock_keys().remove(&key);
        Ok(true)
    }

    /// Whether a vector is stored under `key`.
    pub fn contains(&self, key: u64) -> bool {
        self.lock_keys().contains(&key)
    }

    /// Number of vectors stored.
    pub fn len(&self) -> usize {
        self.lock_keys().len()
    }

    /// Whether no vector is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All keys, in ascending order (for reconciliation with the catalog).
    pub fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.lock_keys().iter().copied().collect();
        keys.sort_unstable();
        keys
    }

    /// The settings in effect (after `load`: the file's connectivity).
    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// The SIMD instruction set USearch's distance kernel uses, e.g. "serial" without the
    /// `simd` feature, or "skylake"/"haswell" with it (for logs and diagnostics).
    pub fn hardware_acceleration(&self) -> String {
        self.read_index().hardware_acceleration()
    }

    /// The `limit` vectors most similar to `query`, best first. Fewer when the index holds
    /// fewer; empty when it is empty or `limit` is 0.
    pub fn search(&self, query: &[f32], limit: usize) -> Result<Vec<Hit>, VectorError> {
        let prepared = Prepared::new(self.settings.quantization, self.settings.dim, query)?;
        self.follow_size();
        let index = self.read_index();
        let count = limit.min(index.size());
        if count == 0 {
            return Ok(Vec::new());
        }
        let permit = self.slots.acquire();
        let found = hits(prepared.search(&index, count)?);
        if found.len() >= count {
            return Ok(found);
        }
        // HNSW walks can come back short while inserts rewire the graph beside them. Rare
        // and cheap to repair: search again with mutations held off by the writer lock.
        // Give back the slot and the read lock first: a batch insert holding the writer lock
        // may be waiting for slots.
        drop(index);
        drop(permit);
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let index = self.read_index();
        let count = limit.min(index.size());
        let _permit = self.slots.acquire();
        Ok(hits(prepared.search(&index, count)?))
    }

    /// Like [`VectorIndex::search`], but only keys for which `keep` returns true.
    ///
    /// Uses USearch's filtered search: the graph walk continues past rejected nodes until
    /// it has `max(limit, expansion_search)` accepted candidates, so recall holds for
    /// selective filters (a filter matching few keys costs more time, up to a walk of the
    /// whole graph). `keep` is called on the searching thread, may be called several times
    /// per key, and should be cheap. If it panics, the search stops and the panic is
    /// resumed on the caller.
    pub fn search_filtered(
        &self,
        query: &[f32],
        limit: usize,
        keep: impl Fn(u64) -> bool,
    ) -> Result<Vec<Hit>, VectorError> {
        let prepared = Prepared::new(self.settings.quantization, self.settings.dim, query)?;
        self.follow_size();
        // A panic must not unwind through USearch's C++ frames (that aborts): catch it in
        // the callback, reject everything after it, and resume it once back in Rust.
        let panic: RefCell<Option<Box<dyn Any + Send>>> = RefCell::new(None);
        let guarded = |key: u64| {
            if panic.borrow().is_some() {
                return false;
            }
            match catch_unwind(AssertUnwindSafe(|| keep(key))) {
                Ok(decision) => decision,
                Err(payload) => {
                    *panic.borrow_mut() = Some(payload);
                    false
                }
            }
        };
        let result = {
            let index = self.read_index();
            let count = limit.min(index.size());
            if count == 0 {
                return Ok(Vec::new());
            }
            let _permit = self.slots.acquire();
            prepared.filtered_search(&index, count, guarded)
        };
        if let Some(payload) = panic.into_inner() {
            resume_unwind(payload);
        }
        Ok(hits(result?))
    }

    /// The stored vectors of `keys`, in `keys`' order, as `f32` (an F16 or I8 index gives its
    /// quantized values, as its search scores do); keys the index does not hold are left
    /// out. For scoring a small candidate set exactly: one hash lookup per key and no graph
    /// walk, and no catalog rows to read.
    pub fn vectors_of(&self, keys: &[u64]) -> Result<Vec<(u64, Vec<f32>)>, VectorError> {
        let mut out = Vec::with_capacity(keys.len());
        self.for_each_vector(keys, |key, vector| out.push((key, vector.to_vec())))?;
        Ok(out)
    }

    /// Calls `f` with each stored vector of `keys` (as [`VectorIndex::vectors_of`] gives
    /// them), in `keys`' order, through one buffer: scoring thousands of candidates this way
    /// allocates nothing per candidate.
    pub fn for_each_vector(
        &self,
        keys: &[u64],
        mut f: impl FnMut(u64, &[f32]),
    ) -> Result<(), VectorError> {
        use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
        let dim = self.settings.dim;
        let index = self.read_index();
        let _permit = self.slots.acquire();
        let mut buffer = vec![0f32; dim];
        if self.settings.quantization == Quantization::F16 {
            // Asked for f32, USearch widens an F16 index's halves one by one, which was most
            // of the time of scoring a filter's thousands of candidates; `half` widens a
            // slice with the CPU's conversion instructions.
            let mut halves = vec![0i16; dim];
            let mut bits = vec![0u16; dim];
            for &key in keys {
                if key == RESERVED_KEY {
                    continue;
                }
                let found = index
                    .get(key, usearch::f16::from_mut_i16s(&mut halves))
                    .map_err(|e| VectorError::usearch("get", e))?;
                if found > 0 {
                    for (b, h) in bits.iter_mut().zip(&halves) {
                        *b = *h as u16;
                    }
                    bits.reinterpret_cast::<half::f16>()
                        .convert_to_f32_slice(&mut buffer);
                    f(key, &buffer);
                }
            }
            return Ok(());
        }
        for &key in keys {
            if key == RESERVED_KEY {
                continue;
            }
            let found = index
                .get(key, &mut buffer)
                .map_err(|e| VectorError::usearch("get", e))?;
            if found > 0 {
                f(key, &buffer);
            }
        }
        Ok(())
    }

    /// The search expansion searches use now (it follows the size, see
    /// [`IndexSettings::expansion_search_for`]).
    pub fn expansion_search(&self) -> usize {
        self.expansion_now.load(Ordering::Relaxed)
    }

    /// Gives USearch the search expansion for the current size. Checked per search, as
    /// that is cheap, and changed under the write lock (USearch reads it mid-search),
    /// which happens only when the size crosses a step.
    fn follow_size(&self) {
        let wanted = self.settings.expansion_search_for(self.len());
        if wanted != self.expansion_now.load(Ordering::Relaxed) {
            let index = self.write_index();
            index.change_expansion_search(wanted);
            self.expansion_now.store(wanted, Ordering::Relaxed);
            tracing::debug!(
                expansion_search = wanted,
                "search expansion follows index size"
            );
        }
    }

    /// Grows capacity so `additional` more vectors fit. Caller holds the writer lock.
    fn ensure_capacity(&self, additional: usize) -> Result<(), VectorError> {
        let (size, capacity) = {
            let index = self.read_index();
            (index.size(), index.capacity())
        };
        // `size` counts live vectors; slots of removed ones are reused first, so this is
        // conservative.
        let needed = size.saturating_add(additional);
        if needed <= capacity {
            return Ok(());
        }
        let target = needed.max(capacity.saturating_mul(2)).max(INITIAL_CAPACITY);
        tracing::debug!(
            from = capacity,
            to = target,
            "growing vector index capacity"
        );
        self.write_index()
            .reserve_capacity_and_threads(target, self.thread_slots)
            .map_err(|e| VectorError::usearch("reserve", e))
    }

    /// Inserts or replaces one vector. Caller holds the writer lock and has ensured
    /// capacity.
    fn insert_one(&self, key: u64, vector: &Prepared) -> Result<(), VectorError> {
        if self.lock_keys().contains(&key) {
            let index = self.write_index();
            return self.replace_locked(&index, key, vector);
        }
        let first = self.read_index().size() == 0;
        if first {
            // Exclusive: searches racing the first insert into an empty graph crashed
            // USearch (NOTES-toolchain.md).
            let index = self.write_index();
            let _permit = self.slots.acquire();
            vector.add_to(&index, key)?;
        } else {
            let index = self.read_index();
            let _permit = self.slots.acquire();
            vector.add_to(&index, key)?;
        }
        self.lock_keys().insert(key);
        Ok(())
    }

    /// Replaces the vector of a present key. Caller holds the writer and the write lock.
    fn replace_locked(
        &self,
        index: &usearch::Index,
        key: u64,
        vector: &Prepared,
    ) -> Result<(), VectorError> {
        // USearch refuses duplicate keys: update = remove, then add (which reuses the
        // freed slot, so no capacity is needed).
        index
            .remove(key)
            .map_err(|e| VectorError::usearch("remove", e))?;
        let _permit = self.slots.acquire();
        if let Err(error) = vector.add_to(index, key) {
            self.lock_keys().remove(&key);
            return Err(error);
        }
        Ok(())
    }

    /// Inserts keys known to be absent into a non-empty index, from several threads when
    /// the batch is large. Caller holds the writer lock and has ensured capacity.
    fn insert_fresh(&self, items: &[(u64, Prepared)]) -> Result<(), VectorError> {
        let index = self.read_index();
        // Leave at least one slot free so that searches keep running during a rebuild.
        let workers = if items.len() < PARALLEL_BATCH_MIN {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .min(self.thread_slots.saturating_sub(1))
                .max(1)
        };
        let insert_chunk = |chunk: &[(u64, Prepared)]| -> (Vec<u64>, Option<VectorError>) {
            let mut added = Vec::with_capacity(chunk.len());
            for (key, vector) in chunk {
                let _permit = self.slots.acquire();
                if let Err(error) = vector.add_to(&index, *key) {
                    return (added, Some(error));
                }
                added.push(*key);
            }
            (added, None)
        };
        let outcomes: Vec<(Vec<u64>, Option<VectorError>)> = if workers == 1 {
            vec![insert_chunk(items)]
        } else {
            let chunk_len = items.len().div_ceil(workers);
            std::thread::scope(|scope| {
                let handles: Vec<_> = items
                    .chunks(chunk_len)
                    .map(|chunk| scope.spawn(|| insert_chunk(chunk)))
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| match handle.join() {
                        Ok(outcome) => outcome,
                        Err(payload) => resume_unwind(payload),
                    })
                    .collect()
            })
        };
        let mut keys = self.lock_keys();
        let mut first_error = None;
        for (added, error) in outcomes {
            keys.extend(added);
            if first_error.is_none() {
                first_error = error;
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn read_index(&self) -> RwLockReadGuard<'_, usearch::Index> {
        // USearch calls report failure through `Result`, never by panicking, so a poisoned
        // lock only means a caller's own code panicked elsewhere: the index is intact.
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_index(&self) -> RwLockWriteGuard<'_, usearch::Index> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_saved(&self) -> MutexGuard<'_, Option<(PathBuf, u64)>> {
        self.saved.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_mapped(&self) -> MutexGuard<'_, Option<memmap2::Mmap>> {
        self.mapped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_keys(&self) -> MutexGuard<'_, HashSet<u64>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How [`VectorIndex::parse`] hands the bytes to USearch.
#[derive(Clone, Copy)]
enum Backing {
    Owned,
    Mapped,
}

fn check_key(key: u64) -> Result<(), VectorError> {
    if key == RESERVED_KEY {
        return Err(VectorError::ReservedKey { key });
    }
    Ok(())
}

fn hits(matches: usearch::ffi::Matches) -> Vec<Hit> {
    matches
        .keys
        .into_iter()
        .zip(matches.distances)
        .map(|(key, distance)| Hit {
            key,
            score: 1.0 - distance,
        })
        .collect()
}
