//! CLIP and SigLIP image and text embeddings with Candle.
//!
//! This crate owns everything between "an oriented image or a query string" and "a unit
//! vector": the model's config, the networks themselves (small modules on `candle-nn` with
//! Hugging Face `CLIPModel` and `SiglipModel` semantics), the tokenizer rules, image
//! preprocessing identical to Hugging Face `CLIPImageProcessor` and
//! `SiglipImageProcessor`, and the compute device. It does not
//! decode files or read EXIF (`glimpse-media`), store vectors (`glimpse-vectors`,
//! `glimpse-catalog`), find or download model files (`glimpse-models`, which hands over
//! [`ModelFiles`]) or start threads (`glimpse-engine`).
//!
//! One [`Embedder`] runs both [`Architecture`]s, picked by `config.json`'s `model_type`:
//! OpenAI's CLIP and its re-trainings (`clip`), and Google's SigLIP / SigLIP 2 at a fixed
//! resolution (`siglip`, e.g. `google/siglip2-base-patch16-224`), which also gives a (text,
//! image) pair a calibrated probability ([`Embedder::pair_probability`]). Vectors are
//! L2-normalised either way.
//!
//! The id of an [`Embedder`] names the model, its revision and [`PREPROCESS_VERSION`]:
//! vectors with different ids are not comparable.
//!
//! ```no_run
//! use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let files = ModelFiles::from_dir(std::path::Path::new("models/clip-vit-base-patch32"))?;
//! let embedder = Embedder::load(&files, DeviceChoice::Auto)?;
//! let query = embedder.embed_texts(&["a red bicycle"])?;
//!
//! // In the app the image comes decoded and EXIF-oriented from glimpse-media, and the
//! // preprocessing runs on a decode thread with a clone of the preprocessor.
//! let img = image::open("photo.jpg")?;
//! let pixels = embedder.preprocessor().clone().pixels(&img)?;
//! let photo = embedder.embed_pixels(&[pixels])?;
//!
//! let cosine: f32 = query[0].iter().zip(&photo[0]).map(|(a, b)| a * b).sum();
//! println!("{} says {cosine:.3}", embedder.id());
//! // SigLIP models also say how likely the pair is to match; CLIP models give None.
//! if let Some(p) = embedder.pair_probability(cosine) {
//!     println!("{:?}: a match with probability {p:.2}", embedder.architecture());
//! }
//! # Ok(())
//! # }
//! ```

mod activation;
pub mod config;
mod device;
mod embedder;
mod error;
mod few_rows;
mod model;
mod panels;
pub mod preprocess;
mod rows;
mod siglip;
mod tokenize;
mod weights_stream;

pub use config::{
    Activation, Architecture, ClipConfig, PreprocessConfig, Resample, ResizeTarget, SiglipConfig,
};
pub use device::DeviceChoice;
pub use embedder::Embedder;
pub use error::EmbedError;
/// Where a model's files come from is `glimpse-models`' business; the embedder loads them.
pub use glimpse_models::source::{ModelFiles, SourceError};
pub use preprocess::{PREPROCESS_VERSION, Pixels, Preprocessor};
