//! The models a library holds: the one that answers queries and, while the user switches
//! to another, the one the library is being re-embedded with. Each comes with its own
//! vector index (one file per embedder id), so the two never mix.
//!
//! A switch never breaks search: the old model keeps answering until the new one has a
//! vector for every searchable photo (or the user asks to switch earlier); then the writer
//! promotes it. Vectors of every model stay in the catalog until the user removes them,
//! so switching back costs nothing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use glimpse_catalog::Catalog;
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_vectors::{IndexSettings, Quantization, VectorIndex};
use serde::Serialize;

use crate::Result;
use crate::config::DataPaths;
use crate::search::MatchLine;
use crate::store::{Reconciliation, open_index};

/// One loaded model with its index.
pub(crate) struct Slot {
    /// The embedder id (model, revision, preprocessing): the vectors' key in the catalog.
    pub(crate) id: String,
    pub(crate) embedder: Arc<Embedder>,
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
fn match_line(embedder: &Embedder, files: &ModelFiles) -> Result<(MatchLine, String)> {
    let scale = embedder.logit_scale();
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
    let text_bias = match (text_cosine, embedder.logit_bias()) {
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
    /// Loads the model and opens its index, reconciled with the catalog. `requeue`: mark
    /// photos without a vector for this model pending (a plain open); a model being switched
    /// to leaves them searchable by the old one and re-embeds them in the background.
    pub(crate) fn open(
        catalog: &Catalog,
        paths: &DataPaths,
        files: &ModelFiles,
        device: DeviceChoice,
        quantization: Quantization,
        requeue: bool,
    ) -> Result<(Self, Reconciliation)> {
        let embedder = Embedder::load(files, device)?;
        let (line, line_source) = match_line(&embedder, files)?;
        let id = embedder.id().to_string();
        let index_path = paths.vector_index(&id);
        let mut settings = IndexSettings::new(embedder.dim());
        settings.quantization = quantization;
        let (index, report) = open_index(catalog, &index_path, settings, &id, requeue)?;
        Ok((
            Self {
                id,
                embedder: Arc::new(embedder),
                index: Arc::new(index),
                index_path,
                meter: Mutex::new(SpeedMeter::default()),
                line,
                line_source,
            },
            report,
        ))
    }
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
