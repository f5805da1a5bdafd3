//! The models a library holds: the one that answers queries and, while the user switches
//! to another, the one the library is being re-embedded with. Each comes with its own
//! vector index (one file per embedder id), so the two never mix.
//!
//! A switch never breaks search: the old model keeps answering until the new one has a
//! vector for every searchable photo (or the user asks to switch earlier); then the writer
//! promotes it. Vectors of every model stay in the catalog until the user removes them,
//! so switching back costs nothing.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use glimpse_catalog::Catalog;
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_vectors::{IndexSettings, Quantization, VectorIndex};
use serde::Serialize;

use crate::config::DataPaths;
use crate::search::MatchLine;
use crate::store::{Reconciliation, open_index};
use crate::{LibraryError, Result};

/// One model with its index. The network itself may still be loading (see [`ModelCell`]):
/// everything else a search by kept vectors needs is here from the start.
pub(crate) struct Slot {
    /// The embedder id (model, revision, preprocessing): the vectors' key in the catalog.
    pub(crate) id: String,
    pub(crate) model: ModelCell,
    pub(crate) index: Arc<VectorIndex>,
    pub(crate) index_path: PathBuf,
    /// Forward-pass time over the images embedded so far, until the speed is recorded.
    pub(crate) meter: Mutex<SpeedMeter>,
    /// Where its good matches begin.
    pub(crate) line: MatchLine,
    /// Where that line comes from, in words.
    pub(crate) line_source: String,
}

/// A text query's good matches start at this cosine for a CLIP model nobody calibrated:
/// where other apps cut for OpenAI's ViT-B/32 (docs/GOOD-MATCHES.md).
const DEFAULT_TEXT_COSINE: f32 = 0.25;
/// Without a measured exclusion line, a photo matches an excluded word from this much cosine
/// below the text line.
const EXCLUDE_BELOW_TEXT: f32 = 0.05;
/// The same for "similar" (example photo) queries, for any model.
const DEFAULT_IMAGE_COSINE: f32 = 0.85;

/// The good-match line of a loaded model: the catalogue's or its folder's calibration, the
/// model's own logit bias for SigLIP's text line, defaults otherwise.
fn match_line(summary: &ModelSummary, files: &ModelFiles) -> Result<(MatchLine, String)> {
    let scale = summary.logit_scale;
    let calibrated = glimpse_models::calibration_for(files)?;
    let (text_cosine, image_cosine, exclude_cosine, source) = match &calibrated {
        Some(c) => (
            c.calibration.text_cosine,
            c.calibration.image_cosine,
            c.calibration.exclude_cosine,
            c.source.clone(),
        ),
        None => (
            None,
            DEFAULT_IMAGE_COSINE,
            None,
            "uncalibrated: the defaults of docs/GOOD-MATCHES.md".to_owned(),
        ),
    };
    let text_bias = match (text_cosine, summary.logit_bias) {
        (Some(t), _) => -scale * t,
        (None, Some(bias)) => bias,
        (None, None) => -scale * DEFAULT_TEXT_COSINE,
    };
    let exclude_bias = match exclude_cosine {
        Some(e) => -scale * e,
        None => text_bias + scale * EXCLUDE_BELOW_TEXT,
    };
    Ok((
        MatchLine {
            scale,
            text_bias,
            image_bias: -scale * image_cosine,
            exclude_bias,
        },
        source,
    ))
}

/// Images embedded and the seconds the model took for them.
#[derive(Debug, Default)]
pub(crate) struct SpeedMeter {
    images: u64,
    seconds: f64,
    recorded: bool,
}

/// Images a speed is measured over: enough batches that the first (slower: caches cold)
/// weighs little.
const SPEED_SAMPLE_IMAGES: u64 = 64;

impl SpeedMeter {
    /// Adds a batch; returns images/second once enough were seen (once per slot).
    pub(crate) fn add(&mut self, images: usize, seconds: f64) -> Option<f64> {
        if self.recorded {
            return None;
        }
        self.images += images as u64;
        self.seconds += seconds;
        (self.images >= SPEED_SAMPLE_IMAGES && self.seconds > 0.0).then(|| {
            self.recorded = true;
            self.images as f64 / self.seconds
        })
    }
}

/// A model's speed as measured on this computer the first time it indexed (kept in the
/// catalog's `meta` table, key `speed:<model name>`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpeed {
    /// The model's name (hub repo or folder name).
    pub model: String,
    /// Images the model embedded per second (forward passes only, batched as indexing does).
    pub images_per_second: f64,
    /// Where it ran, e.g. `cpu`.
    pub device: String,
    /// When it was measured (seconds since the Unix epoch).
    pub measured_at: i64,
}

impl Slot {
    /// Opens the model's index, reconciled with the catalog, with the model loaded.
    /// `requeue`: mark photos without a vector for this model pending (a plain open); a
    /// model being switched to leaves them searchable by the old one and re-embeds them in
    /// the background.
    ///
    /// `defer`: when this library has loaded the model before (its summary kept in the
    /// catalog, the files unchanged since), open the index from the summary and leave the
    /// network to the returned loader, to be run on a thread of its own: searches by kept
    /// vectors (the last queries' texts) and by photos answer before it has finished. A
    /// model new here, or whose files changed, is loaded first either way.
    pub(crate) fn open(
        catalog: &Catalog,
        paths: &DataPaths,
        files: &ModelFiles,
        device: DeviceChoice,
        quantization: Quantization,
        requeue: bool,
        defer: bool,
    ) -> Result<(Self, Reconciliation, Option<ModelLoader>)> {
        let (summary, cell, loader) = match remembered_summary(catalog, files).filter(|_| defer) {
            Some(summary) => {
                let loader = ModelLoader {
                    files: files.clone(),
                    device,
                    summary: summary.clone(),
                };
                (summary, ModelCell::loading(), Some(loader))
            }
            None => {
                let embedder = Embedder::load(files, device)?;
                let summary = ModelSummary::of(&embedder, files);
                // Kept for the next open; a read-only connection (a switch's) cannot, and
                // the switch's model is loaded again when it first opens as the search
                // model.
                if !catalog.is_read_only() {
                    remember_summary(catalog, files, &summary);
                }
                (summary, ModelCell::ready(embedder), None)
            }
        };
        let (slot, report) =
            Self::with_model(catalog, paths, files, &summary, cell, quantization, requeue)?;
        Ok((slot, report, loader))
    }

    fn with_model(
        catalog: &Catalog,
        paths: &DataPaths,
        files: &ModelFiles,
        summary: &ModelSummary,
        model: ModelCell,
        quantization: Quantization,
        requeue: bool,
    ) -> Result<(Self, Reconciliation)> {
        let (line, line_source) = match_line(summary, files)?;
        let id = summary.id.clone();
        let index_path = paths.vector_index(&id);
        let mut settings = IndexSettings::new(summary.dim);
        settings.quantization = quantization;
        let (index, report) = open_index(catalog, &index_path, settings, &id, requeue)?;
        Ok((
            Self {
                id,
                model,
                index: Arc::new(index),
                index_path,
                meter: Mutex::new(SpeedMeter::default()),
                line,
                line_source,
            },
            report,
        ))
    }

    /// The network, waiting while it loads.
    pub(crate) fn embedder(&self) -> Result<Arc<Embedder>> {
        self.model.wait()
    }
}

/// What a library needs of a model before its network has loaded, kept in the catalog's
/// `meta` table (key `model:` and the model's name) after every load.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub(crate) struct ModelSummary {
    /// The files it was loaded from, with their sizes and modification times, and the
    /// build that loaded them: anything else is another model.
    fingerprint: String,
    /// The embedder id.
    id: String,
    /// Vector length.
    dim: usize,
    /// `exp(logit_scale)`.
    logit_scale: f32,
    /// SigLIP's logit bias.
    logit_bias: Option<f32>,
}

/// The `meta` key of a model's summary: this prefix and the model's name.
const SUMMARY_KEY_PREFIX: &str = "model:";

impl ModelSummary {
    fn of(embedder: &Embedder, files: &ModelFiles) -> Self {
        Self {
            fingerprint: fingerprint(files),
            id: embedder.id().to_owned(),
            dim: embedder.dim(),
            logit_scale: embedder.logit_scale(),
            logit_bias: embedder.logit_bias(),
        }
    }

    fn key(files: &ModelFiles) -> String {
        format!("{SUMMARY_KEY_PREFIX}{}", files.name)
    }
}

/// The model's files as they are now (path, size, modification time), the revision, and
/// this build's version and preprocessing (either may change the id).
fn fingerprint(files: &ModelFiles) -> String {
    let mut out = format!(
        "glimpse {} pp{} rev {:?}",
        env!("CARGO_PKG_VERSION"),
        glimpse_embed::PREPROCESS_VERSION,
        files.revision
    );
    let paths = [
        Some(&files.config),
        Some(&files.tokenizer),
        files.preprocessor.as_ref(),
    ]
    .into_iter()
    .flatten()
    .chain(files.weights_index.as_ref())
    .chain(files.weights.iter());
    for path in paths {
        let stamp = std::fs::metadata(path)
            .map(|m| (m.len(), crate::scan::mtime_ns(&m)))
            .unwrap_or((0, 0));
        out.push_str(&format!(";{}:{}:{}", path.display(), stamp.0, stamp.1));
    }
    out
}

/// The kept summary of `files`' model, when the files have not changed since.
fn remembered_summary(catalog: &Catalog, files: &ModelFiles) -> Option<ModelSummary> {
    let text = catalog.meta(&ModelSummary::key(files)).ok()??;
    let summary: ModelSummary = serde_json::from_str(&text).ok()?;
    (summary.fingerprint == fingerprint(files)).then_some(summary)
}

/// Keeps `summary` for the next open. Only a cache: failing to write it costs the next
/// open the model's load time, nothing else.
fn remember_summary(catalog: &Catalog, files: &ModelFiles, summary: &ModelSummary) {
    if let Some((key, value)) = summary_meta(files, summary)
        && let Err(e) = catalog.set_meta(&key, &value)
    {
        tracing::warn!(error = %e, "cannot keep the model's summary");
    }
}

/// A model's network: loaded, loading on a thread of its own, or failed to load.
pub(crate) struct ModelCell {
    state: Mutex<Loaded>,
    changed: Condvar,
}

enum Loaded {
    Loading,
    Ready(Arc<Embedder>),
    Failed(String),
}

impl ModelCell {
    fn ready(embedder: Embedder) -> Self {
        Self {
            state: Mutex::new(Loaded::Ready(Arc::new(embedder))),
            changed: Condvar::new(),
        }
    }

    fn loading() -> Self {
        Self {
            state: Mutex::new(Loaded::Loading),
            changed: Condvar::new(),
        }
    }

    fn set(&self, loaded: Loaded) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = loaded;
        self.changed.notify_all();
    }

    /// The network, waiting while it loads.
    fn wait(&self) -> Result<Arc<Embedder>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match &*state {
                Loaded::Ready(e) => return Ok(e.clone()),
                Loaded::Failed(message) => return Err(LibraryError::ModelLoad(message.clone())),
                Loaded::Loading => {
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }

    /// The network if it is loaded (never waits).
    pub(crate) fn now(&self) -> Option<Arc<Embedder>> {
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            Loaded::Ready(e) => Some(e.clone()),
            _ => None,
        }
    }

    /// Whether the network is loaded.
    pub(crate) fn is_ready(&self) -> bool {
        matches!(
            &*self.state.lock().unwrap_or_else(PoisonError::into_inner),
            Loaded::Ready(_)
        )
    }
}

/// Loads a deferred slot's network (on the library's `glimpse-model` thread).
pub(crate) struct ModelLoader {
    files: ModelFiles,
    device: DeviceChoice,
    summary: ModelSummary,
}

impl ModelLoader {
    /// Loads the network into `slot`. A model whose id is not the kept one (its files were
    /// replaced keeping their sizes and times) is refused: the index open is another
    /// model's. Returns the `meta` key and value to keep when the summary changed.
    pub(crate) fn run(self, slot: &Slot) -> Option<(String, String)> {
        let started = std::time::Instant::now();
        match Embedder::load(&self.files, self.device) {
            Ok(embedder) => {
                let fresh = ModelSummary::of(&embedder, &self.files);
                if fresh.id != self.summary.id {
                    let message = format!(
                        "the model's files changed since the library was last opened (now {}, was {}): open the library again",
                        fresh.id, self.summary.id
                    );
                    tracing::error!(%message, "model not used");
                    slot.model.set(Loaded::Failed(message));
                    return summary_meta(&self.files, &fresh);
                }
                tracing::info!(
                    id = %slot.id,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "model loaded in the background"
                );
                slot.model.set(Loaded::Ready(Arc::new(embedder)));
                if fresh == self.summary {
                    None
                } else {
                    summary_meta(&self.files, &fresh)
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the model could not be loaded");
                slot.model.set(Loaded::Failed(e.to_string()));
                None
            }
        }
    }
}

/// The `meta` key and value that keep `files`' `summary`.
pub(crate) fn summary_meta(files: &ModelFiles, summary: &ModelSummary) -> Option<(String, String)> {
    Some((
        ModelSummary::key(files),
        serde_json::to_string(summary).ok()?,
    ))
}

/// The library's models.
#[derive(Default, Clone)]
pub(crate) struct Slots {
    /// Answers queries.
    pub(crate) search: Option<Arc<Slot>>,
    /// Being switched to: new work is embedded with it, and photos are re-embedded.
    pub(crate) next: Option<Arc<Slot>>,
}

impl Slots {
    /// The model new vectors are made with.
    pub(crate) fn indexing(&self) -> Option<&Arc<Slot>> {
        self.next.as_ref().or(self.search.as_ref())
    }

    /// Every loaded model.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<Slot>> {
        self.search.iter().chain(self.next.iter())
    }
}

/// A model switch under way, from [`crate::Library::model_switch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSwitch {
    /// The model answering queries now.
    pub from: Option<String>,
    /// The model being switched to.
    pub to: String,
    /// Distinct pictures it has a vector for.
    pub done: u64,
    /// Distinct pictures in the library.
    pub total: u64,
}

/// A model whose vectors the library keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredModel {
    /// Its embedder id.
    pub id: String,
    /// Vectors stored.
    pub vectors: u64,
    /// It answers queries now.
    pub searching: bool,
    /// It is being switched to.
    pub switching_to: bool,
}
