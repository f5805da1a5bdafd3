//! Bytes -> oriented pixels, with every size check done before the pixels are decoded.

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

use crate::format::{jpeg_is_complete, sniff_unsupported};
use crate::metadata::read_metadata;
use crate::{
    Format, MAX_DECODE_ALLOC_BYTES, MAX_DECODE_EDGE_PX, MAX_DECODE_PIXELS, MediaError, Metadata,
    sniff,
};

/// A decoded photo, upright.
#[derive(Clone)]
pub struct Decoded {
    /// The pixels with EXIF orientation already applied, in the decoder's native layout
    /// (8- or 16-bit, grey or colour, with or without alpha). [`crate::thumbnail`] flattens
    /// alpha onto white; other consumers must do the same.
    pub image: DynamicImage,
    /// The format of the content (not of the extension).
    pub format: Format,
    /// Width after orientation, in pixels.
    pub width: u32,
    /// Height after orientation, in pixels.
    pub height: u32,
    /// EXIF facts; defaults when there is no EXIF.
    pub metadata: Metadata,
}

impl fmt::Debug for Decoded {
    // Deliberately not derived: the derived impl would print every pixel.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("color", &self.image.color())
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// Decodes a photo from its bytes: sniffs the real format, checks the header dimensions
/// against [`MAX_DECODE_PIXELS`] / [`MAX_DECODE_EDGE_PX`] / [`MAX_DECODE_ALLOC_BYTES`]
/// before decoding, decodes (first frame of an animation), applies the EXIF orientation
/// and reads [`Metadata`]. `path` is used only in error values.
///
/// Never panics on hostile input: a decoder panic is caught and reported as
/// [`MediaError::Corrupt`] ("decoder crashed: …"). (This relies on the default
/// `panic = "unwind"`; the default panic hook still prints the panic to stderr.)
///
/// # Errors
/// [`MediaError::Empty`], [`MediaError::NotAnImage`], [`MediaError::Unsupported`],
/// [`MediaError::TooLarge`] or [`MediaError::Corrupt`] — all per-file.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty {
            path: path.to_owned(),
        });
    }
    let Some(format) = sniff(bytes) else {
        return Err(match sniff_unsupported(bytes) {
            Some(name) => MediaError::Unsupported {
                path: path.to_owned(),
                format: name.to_owned(),
                detail: String::new(),
            },
            None => MediaError::NotAnImage {
                path: path.to_owned(),
            },
        });
    };
    match catch_unwind(AssertUnwindSafe(|| decode_as(path, bytes, format))) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::warn!("{}: {format} decoder panicked: {message}", path.display());
            Err(MediaError::Corrupt {
                path: path.to_owned(),
                format,
                message: format!("decoder crashed: {message}"),
            })
        }
    }
}

fn decode_as(path: &Path, bytes: &[u8], format: Format) -> Result<Decoded, MediaError> {
    let corrupt = |message: String| MediaError::Corrupt {
        path: path.to_owned(),
        format,
        message,
    };
    if format == Format::Jpeg && !jpeg_is_complete(bytes) {
        return Err(corrupt(
            "the file ends before the end-of-image marker (cut short?)".to_owned(),
        ));
    }

    // First pass: only the allocation cap, so that an over-wide header is reported by our
    // own checks below with its real dimensions rather than as an anonymous limit error.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image_format());
    reader.limits(alloc_limits());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| map_image_error(path, format, e, (0, 0)))?;

    let (width, height) = decoder.dimensions();
    let too_large = || MediaError::TooLarge {
        path: path.to_owned(),
        width,
        height,
        max_pixels: MAX_DECODE_PIXELS,
    };
    if width == 0 || height == 0 {
        return Err(corrupt(format!("header says {width}×{height} pixels")));
    }
    if u64::from(width) * u64::from(height) > MAX_DECODE_PIXELS
        || width.max(height) > MAX_DECODE_EDGE_PX
    {
        return Err(too_large());
    }

    // Second guard, for headers that lie and for decoders' own buffers: the output buffer
    // is reserved out of the allocation cap and the decoder gets what is left.
    let mut limits = alloc_limits();
    limits.max_image_width = Some(MAX_DECODE_EDGE_PX);
    limits.max_image_height = Some(MAX_DECODE_EDGE_PX);
    limits
        .reserve(decoder.total_bytes())
        .map_err(|_| too_large())?;
    decoder
        .set_limits(limits)
        .map_err(|e| map_image_error(path, format, e, (width, height)))?;

    // A broken EXIF block must not cost the photo: fall back to "upright".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| map_image_error(path, format, e, (width, height)))?;
    image.apply_orientation(orientation);

    let metadata = read_metadata(bytes, u16::from(orientation.to_exif()));
    Ok(Decoded {
        width: image.width(),
        height: image.height(),
        image,
        format,
        metadata,
    })
}

fn alloc_limits() -> Limits {
    // `Limits` is non-exhaustive: start from the defaults and set what we need.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC_BYTES);
    limits
}

fn map_image_error(path: &Path, format: Format, error: ImageError, dims: (u32, u32)) -> MediaError {
    let path = path.to_owned();
    match error {
        ImageError::Limits(_) => MediaError::TooLarge {
            path,
            width: dims.0,
            height: dims.1,
            max_pixels: MAX_DECODE_PIXELS,
        },
        ImageError::Unsupported(e) => MediaError::Unsupported {
            path,
            format: format.name().to_owned(),
            detail: error_chain(&e),
        },
        // We decode from memory, so an I/O error can only mean the data ran out.
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Corrupt {
                path,
                format,
                message: "the file ends in the middle of the image data (cut short?)".to_owned(),
            }
        }
        // "Format error decoding WebP: Corrupt bitstream": the reason already names the
        // format, so keep only the decoder's own words when it gives them.
        ImageError::Decoding(e) => MediaError::Corrupt {
            path,
            format,
            message: match std::error::Error::source(&e) {
                Some(inner) => error_chain(inner),
                None => e.to_string(),
            },
        },
        other => MediaError::Corrupt {
            path,
            format,
            message: error_chain(&other),
        },
    }
}

/// "outer: inner: innermost", because several decoders put the useful part in `source()`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = inner.source();
    }
    message
}
