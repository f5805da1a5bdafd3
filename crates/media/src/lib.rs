//! `glimpse-media`: bytes -> pixels -> thumbnail.
//!
//! This crate owns everything Glimpse does with an image file's content: recognising the
//! real format from its bytes ([`sniff`]), a cheap file-name filter for the folder scanner
//! ([`is_candidate`]), reading a file with a size cap ([`read_file`]), decoding with
//! EXIF orientation applied and hard limits checked *before* decoding ([`decode`]; large
//! JPEGs at 1/2–1/8 scale in the DCT domain when only a smaller image is needed:
//! [`decode_scaled`], [`MinSize`]) — JPEG, PNG, WebP, GIF, BMP and TIFF with the `image`
//! crate, HEIF/HEIC and AVIF with the system libheif, JPEG XL with jxl-oxide, and camera
//! raw files (see [`Format::is_raw`]) from their largest embedded JPEG preview or, without
//! one, developed by rawler — EXIF
//! date and camera ([`Metadata`]), a content hash for rename/duplicate detection
//! ([`content_hash`]), flattening to 8-bit RGB on white ([`to_rgb8_on_white`]), and the
//! thumbnail ([`thumbnail`], [`encode_thumbnail_jpeg`], [`write_atomic`]).
//!
//! It does **not** own: CLIP preprocessing (`glimpse-embed` takes [`Decoded::image`]),
//! where thumbnails live or how they are named (the engine decides the path), threads,
//! the catalog, or walking folders. All functions are synchronous and pure apart from
//! [`read_file`] and [`write_atomic`].
//!
//! Every error is a [`MediaError`]; all variants but [`MediaError::Write`] are per-file
//! (record [`MediaError::reason`] on the photo's row and go on). Decoding never panics on
//! hostile input.
//!
//! ```no_run
//! use std::path::Path;
//! use glimpse_media::{THUMBNAIL_MAX_EDGE_PX, decode, encode_thumbnail_jpeg, read_file,
//!     thumbnail, write_atomic};
//!
//! # fn main() -> Result<(), glimpse_media::MediaError> {
//! let path = Path::new("/photos/IMG_0001.jpg");
//! let bytes = read_file(path)?;
//! let hash = glimpse_media::content_hash(&bytes);
//! match decode(path, &bytes) {
//!     Ok(photo) => {
//!         let thumb = thumbnail(&photo.image, THUMBNAIL_MAX_EDGE_PX);
//!         let jpeg = encode_thumbnail_jpeg(&thumb, 82)?;
//!         write_atomic(Path::new(&format!("/cache/thumbs/{hash}.jpg")), &jpeg)?;
//!         println!("{}×{} {} taken at {:?}", photo.width, photo.height, photo.format,
//!             photo.metadata.taken_at);
//!     }
//!     Err(e) if e.is_per_file() => println!("skipped: {}", e.reason()),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

mod decode;
mod error;
mod format;
mod fs;
mod hash;
mod heif;
mod jxl;
mod metadata;
mod panics;
mod raw;
mod thumbnail;
mod tiff;

pub use decode::{Decoded, MinSize, SCALED_DECODE_MARGIN, decode, decode_scaled};
pub use error::MediaError;
pub use format::{Format, UNSUPPORTED_IMAGE_EXTENSIONS, is_candidate, is_raw_path, sniff};
pub use fs::{read_file, write_atomic, write_atomic_with_hook};
pub use hash::{ContentHash, content_hash};
pub use metadata::Metadata;
pub use panics::quiet_decoder_panics;
pub use raw::RAW_PREVIEW_MIN_LONG_EDGE;
pub use thumbnail::{encode_thumbnail_jpeg, thumbnail, to_rgb8_on_white};

/// The most pixels (width × height, from the header) [`decode`] will decode: about 179 MP,
/// the same decompression-bomb threshold Pillow uses. Checked before any pixel is decoded.
pub const MAX_DECODE_PIXELS: u64 = 178_956_970;

/// The longest edge, in pixels, [`decode`] will decode, whatever the pixel count; keeps
/// degenerate 1-pixel-high strips from feeding decoders giant row buffers.
pub const MAX_DECODE_EDGE_PX: u32 = 1 << 18;

/// The most memory, in bytes, one decode may allocate for its output and internal buffers
/// (passed to `image::Limits::max_alloc`): 1 GiB. A second guard behind
/// [`MAX_DECODE_PIXELS`] for headers that lie, 16-bit images and animations.
pub const MAX_DECODE_ALLOC_BYTES: u64 = 1 << 30;

/// The largest file, in bytes, [`read_file`] will read: 512 MiB.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// The longest edge of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_EDGE_PX: u32 = 320;

/// The JPEG quality used for thumbnails (1–100).
pub const THUMBNAIL_JPEG_QUALITY: u8 = 82;
