//! The one error type of this crate.

use std::path::PathBuf;

use glimpse_models::source::SourceError;

/// Why a model could not be loaded or an input could not be embedded.
///
/// Each variant says whether it concerns one input (skip that item and go on) or the model
/// as a whole (stop: nothing can be embedded until it is fixed).
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model files could not be found or fetched. Stops loading.
    #[error(transparent)]
    Source(#[from] SourceError),

    /// A model file could not be read. Stops loading.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A JSON config file is not valid JSON or lacks a required field. Stops loading.
    #[error("{path}: cannot parse: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },

    /// A config file parses but describes something this crate cannot run (a value out of
    /// range, an unsupported option). Stops loading.
    #[error("{path}: unsupported model config: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },

    /// `config.json`'s `model_type` is not an architecture this crate runs (`clip` or
    /// `siglip`); e.g. `siglip2`, SigLIP 2's variable-resolution (NaFlex) variant. Stops
    /// loading.
    #[error(
        "{path}: model_type {model_type:?} is not supported (Glimpse runs \"clip\" and \"siglip\" \
         models; SigLIP 2 at a fixed resolution is \"siglip\")"
    )]
    UnsupportedArchitecture {
        /// The config file.
        path: PathBuf,
        /// The `model_type` found there.
        model_type: String,
    },

    /// The config names an activation function other than `quick_gelu` or `gelu`.
    /// Stops loading.
    #[error("{path}: unsupported hidden_act {activation:?} (expected \"quick_gelu\" or \"gelu\")")]
    UnsupportedActivation {
        /// The config file.
        path: PathBuf,
        /// The activation named there.
        activation: String,
    },

    /// The weights file is not a readable safetensors file, or a tensor has the wrong
    /// shape for the config. Stops loading.
    #[error("{path}: cannot load weights: {source}")]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// The underlying error.
        source: candle_core::Error,
    },

    /// A tensor the config requires is absent from the weights file (rather than being
    /// silently initialised at random). Stops loading.
    #[error(
        "{path}: weight tensor {name} is missing (is this a Hugging Face CLIPModel or \
         SiglipModel checkpoint?)"
    )]
    MissingTensor {
        /// The weights file.
        path: PathBuf,
        /// The missing tensor's name.
        name: String,
    },

    /// `tokenizer.json` could not be loaded. Stops loading.
    #[error("{path}: cannot load tokenizer: {source}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// The underlying error.
        source: tokenizers::Error,
    },

    /// One text could not be tokenised. Skips that text.
    #[error("cannot tokenize {text:?}: {source}")]
    Tokenize {
        /// The text (possibly shortened for the message).
        text: String,
        /// The underlying error.
        source: tokenizers::Error,
    },

    /// The requested compute device is not compiled in or cannot be opened. Stops loading.
    #[error("cannot use device {device}: {reason}")]
    Device {
        /// The device asked for, e.g. `cuda`.
        device: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A device name was not one of `auto`, `cpu`, `cuda`, `metal`.
    #[error("unknown device {0:?} (expected auto, cpu, cuda or metal)")]
    UnknownDevice(String),

    /// One image cannot be preprocessed (e.g. zero width or height). Skips that image.
    #[error("cannot preprocess image: {0}")]
    Image(String),

    /// Pixels of the wrong size were given to the model (they came from a different
    /// preprocessor). Skips that batch.
    #[error(
        "pixels are {got_height}x{got_width} ({got_len} values), the model needs 3x{height}x{width}"
    )]
    PixelsShape {
        /// The height the model needs.
        height: usize,
        /// The width the model needs.
        width: usize,
        /// The height given.
        got_height: usize,
        /// The width given.
        got_width: usize,
        /// The number of values given.
        got_len: usize,
    },

    /// The model failed while running (out of device memory, a back-end error).
    /// Stops the pipeline: later batches would fail the same way.
    #[error("model inference failed: {0}")]
    Inference(#[source] candle_core::Error),
}
