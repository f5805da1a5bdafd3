//! The one way a file becomes a model's input: read, hash, decode at the scale the outputs
//! need, orient, thumbnail, preprocess.
//!
//! Indexing (the decode pool), search by example (`like:`, [`crate::Library::similar`]),
//! [`Encoder::embed_image`] (the CLI's `glimpse embed image`) and the benchmarks all go
//! through [`Preparer`], so a photo's vector does not depend on which of them made it: the
//! same reduced-scale decode (a 12 MP JPEG decodes at 1/4), the same EXIF orientation, the
//! same resize and normalisation.

use std::path::Path;

use glimpse_embed::{DeviceChoice, EmbedError, Embedder, ModelFiles, Pixels, Preprocessor};
use glimpse_media::{Decoded, MediaError, MinSize};

use crate::error::{LibraryError, Result};

/// Longest edge of thumbnails, in pixels (the engine's default, [`crate::LibraryConfig`]).
pub const THUMBNAIL_EDGE_PX: u32 = glimpse_media::THUMBNAIL_MAX_EDGE_PX;

/// JPEG quality of thumbnails: visually clean at 320 px and about 15–25 KB each.
pub const THUMBNAIL_JPEG_QUALITY: u8 = glimpse_media::THUMBNAIL_JPEG_QUALITY;

/// A file's content hash (BLAKE3 of its bytes): how the catalog knows a content again after
/// a rename, a move or a copy, and the name of its thumbnail.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    glimpse_media::content_hash(bytes).0
}

/// Reads a whole file (at most [`glimpse_media::MAX_FILE_BYTES`]); errors name the path.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    Ok(glimpse_media::read_file(path)?)
}

/// Turns a file's bytes into a thumbnail and a model's input, step by step (the benchmarks
/// time each step) or at once ([`Self::prepare`]).
#[derive(Clone)]
pub struct Preparer {
    preprocessor: Preprocessor,
    thumbnail_edge_px: u32,
    need: MinSize,
}

/// What [`Preparer::prepare`] makes of a file.
pub struct Prepared {
    /// The decoded, EXIF-oriented image (at reduced scale where the format allows), with
    /// its format, full size and metadata.
    pub decoded: Decoded,
    /// The model's input.
    pub pixels: Pixels,
}

impl Preparer {
    /// For a model's preprocessing and thumbnails of `thumbnail_edge_px`.
    pub fn new(preprocessor: &Preprocessor, thumbnail_edge_px: u32) -> Self {
        Self {
            preprocessor: preprocessor.clone(),
            thumbnail_edge_px,
            // One decode feeds both the thumbnail and the model input, at the smallest
            // scale that still leaves both resizes a 2× margin.
            need: MinSize::for_outputs(preprocessor.min_source_short_edge(), thumbnail_edge_px),
        }
    }

    /// The model's preprocessing.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    /// Decodes `bytes` (read from `path`, which names errors and picks no format: the bytes
    /// are sniffed) at the smallest scale the thumbnail and the model input allow, EXIF-oriented.
    pub fn decode(&self, path: &Path, bytes: &[u8]) -> std::result::Result<Decoded, MediaError> {
        glimpse_media::decode_scaled(path, bytes, self.need)
    }

    /// The thumbnail of a decoded image, as JPEG bytes.
    pub fn thumbnail_jpeg(
        &self,
        image: &image::DynamicImage,
    ) -> std::result::Result<Vec<u8>, MediaError> {
        let thumb = glimpse_media::thumbnail(image, self.thumbnail_edge_px);
        glimpse_media::encode_thumbnail_jpeg(&thumb, THUMBNAIL_JPEG_QUALITY)
    }

    /// The model's input for a decoded image.
    pub fn pixels(&self, image: &image::DynamicImage) -> std::result::Result<Pixels, EmbedError> {
        self.preprocessor.pixels(image)
    }

    /// Decode and preprocess (no thumbnail): what search by example and
    /// [`Encoder::embed_image`] need.
    pub fn prepare(&self, path: &Path, bytes: &[u8]) -> Result<Prepared> {
        let decoded = self.decode(path, bytes)?;
        let pixels = self.pixels(&decoded.image)?;
        Ok(Prepared { decoded, pixels })
    }
}

/// A model loaded on its own, outside a library: vectors for a text or an image file,
/// made exactly as the library makes them (`glimpse embed`).
pub struct Encoder {
    embedder: Embedder,
    preparer: Preparer,
}

impl Encoder {
    /// Loads the model in `files` on `device`.
    pub fn load(files: &ModelFiles, device: DeviceChoice) -> Result<Self> {
        let embedder = Embedder::load(files, device)?;
        let preparer = Preparer::new(embedder.preprocessor(), THUMBNAIL_EDGE_PX);
        Ok(Self { embedder, preparer })
    }

    /// The model's id: it names the model, its revision and the preprocessing; vectors of
    /// different ids are not comparable.
    pub fn id(&self) -> &str {
        self.embedder.id()
    }

    /// The unit vector of a text.
    pub fn embed_text(&self, text: &str) -> Result<Vec<f32>> {
        first(self.embedder.embed_texts(&[text])?)
    }

    /// The unit vector of an image file, decoded and preprocessed as indexing does it.
    pub fn embed_image(&self, path: &Path) -> Result<Vec<f32>> {
        let bytes = read(path)?;
        embed_prepared(&self.embedder, &self.preparer, path, &bytes)
    }
}

/// The vector of an image's bytes by `embedder`, prepared by `preparer`.
pub(crate) fn embed_prepared(
    embedder: &Embedder,
    preparer: &Preparer,
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<f32>> {
    let prepared = preparer.prepare(path, bytes)?;
    first(embedder.embed_pixels(std::slice::from_ref(&prepared.pixels))?)
}

fn first(vectors: Vec<Vec<f32>>) -> Result<Vec<f32>> {
    vectors
        .into_iter()
        .next()
        .ok_or_else(|| LibraryError::Stopped("the model returned no vector".into()))
}
