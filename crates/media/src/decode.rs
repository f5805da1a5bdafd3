//! Bytes -> oriented pixels, with every size check done before the pixels are decoded.

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

use crate::format::{jpeg_is_complete, sniff_unsupported, unsupported_by_extension};
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
    ///
    /// [`decode`] gives the full size (`width`×`height`); [`decode_scaled`] may give a JPEG
    /// at 1/2, 1/4 or 1/8 of it (see [`Decoded::scale_denominator`]).
    pub image: DynamicImage,
    /// The format of the content (not of the extension).
    pub format: Format,
    /// The photo's full width after orientation, in pixels (also when `image` is scaled).
    pub width: u32,
    /// The photo's full height after orientation, in pixels (also when `image` is scaled).
    pub height: u32,
    /// 1 when `image` is full size; 2, 4 or 8 when a JPEG was decoded at that fraction of
    /// its size (each edge rounded up) by [`decode_scaled`].
    pub scale_denominator: u32,
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
            .field("scale_denominator", &self.scale_denominator)
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
    decode_scaled(path, bytes, MinSize::FULL)
}

/// How large the decoded pixels must stay for what they will be used for, so that
/// [`decode_scaled`] can decode a large JPEG at 1/2, 1/4 or 1/8 of its size in the DCT
/// domain instead of decoding every pixel and throwing most of them away in a resize.
///
/// Orientation-free: edges are compared short to short and long to long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MinSize {
    /// The decoded image's shorter edge must be at least this many pixels.
    pub short_edge: u32,
    /// The decoded image's longer edge must be at least this many pixels.
    pub long_edge: u32,
}

impl MinSize {
    /// Never scale: decode every pixel (what [`decode`] does).
    pub const FULL: MinSize = MinSize {
        short_edge: u32::MAX,
        long_edge: u32::MAX,
    };

    /// What the indexer needs for a model input that is resized so its **short** edge is
    /// `model_short_edge` (`None`: the model needs the full-size pixels, e.g. a crop
    /// without resize) and a thumbnail whose **long** edge is `thumbnail_long_edge`, each
    /// with a [`SCALED_DECODE_MARGIN`]× margin so the final resize still starts from at
    /// least twice the pixels it keeps.
    pub fn for_outputs(model_short_edge: Option<u32>, thumbnail_long_edge: u32) -> MinSize {
        match model_short_edge {
            None => MinSize::FULL,
            Some(short) => MinSize {
                short_edge: short.saturating_mul(SCALED_DECODE_MARGIN),
                long_edge: thumbnail_long_edge.saturating_mul(SCALED_DECODE_MARGIN),
            },
        }
    }

    /// The largest denominator in {8, 4, 2} whose scaled size (edges rounded up, as the
    /// JPEG decoder does) still satisfies `self`; `None` when only the full size does.
    pub fn jpeg_scale_denominator(&self, width: u32, height: u32) -> Option<u32> {
        [8, 4, 2].into_iter().find(|&d| {
            let (w, h) = (width.div_ceil(d), height.div_ceil(d));
            w.min(h) >= self.short_edge && w.max(h) >= self.long_edge
        })
    }
}

/// How many times larger than what its consumers keep a scaled decode must stay (see
/// [`MinSize::for_outputs`]). With 2× the final antialiased resize still averages at least
/// 2×2 decoded pixels per output pixel, which keeps CLIP's input within about half an
/// 8-bit level (mean) of the full-size decode's; `glimpse-bench index` measures it.
pub const SCALED_DECODE_MARGIN: u32 = 2;

/// Like [`decode`], but a JPEG (8-bit grey or YCbCr/RGB) far larger than `need` is decoded
/// at 1/2, 1/4 or 1/8 of its size with a scaled IDCT (`jpeg-decoder`), the smallest
/// fraction that still satisfies `need` ([`MinSize::jpeg_scale_denominator`]). This skips
/// most of the IDCT, upsampling and colour-conversion work and every pixel the later
/// resizes would discard. [`Decoded::width`]/[`Decoded::height`] stay the full size.
///
/// Every other format, CMYK/YCCK and 12/16-bit JPEGs, JPEGs too small to scale, and any
/// JPEG the scaled decoder refuses or crashes on are decoded at full size exactly as
/// [`decode`] does, so errors and pixels there are unchanged.
///
/// # Errors
/// As [`decode`].
pub fn decode_scaled(path: &Path, bytes: &[u8], need: MinSize) -> Result<Decoded, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty {
            path: path.to_owned(),
        });
    }
    let Some(format) = sniff(bytes) else {
        return Err(
            match sniff_unsupported(bytes).or_else(|| unsupported_by_extension(path)) {
                Some(name) => MediaError::Unsupported {
                    path: path.to_owned(),
                    format: name.to_owned(),
                    detail: String::new(),
                },
                None => MediaError::NotAnImage {
                    path: path.to_owned(),
                },
            },
        );
    };
    match catch_unwind(AssertUnwindSafe(|| decode_as(path, bytes, format, need))) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::warn!("{}: {format} decoder panicked: {message}", path.display());
            Err(MediaError::Corrupt {
                path: path.to_owned(),
                format,
                message: format!("decoder crashed: {message}"),
            })
        }
    }
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn decode_as(
    path: &Path,
    bytes: &[u8],
    format: Format,
    need: MinSize,
) -> Result<Decoded, MediaError> {
    match format {
        Format::Heif | Format::Avif => crate::heif::decode(path, bytes, format),
        Format::JpegXl => crate::jxl::decode(path, bytes),
        raw if raw.is_raw() => crate::raw::decode(path, bytes, raw, need),
        _ => decode_with_image_crate(path, bytes, format, need, true),
    }
}

/// Refuses an image over [`MAX_DECODE_PIXELS`] or [`MAX_DECODE_EDGE_PX`] (and a header
/// claiming no pixels) before anything is decoded.
pub(crate) fn check_dimensions(
    path: &Path,
    format: Format,
    width: u32,
    height: u32,
) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt {
            path: path.to_owned(),
            format,
            message: format!("header says {width}×{height} pixels"),
        });
    }
    if u64::from(width) * u64::from(height) > MAX_DECODE_PIXELS
        || width.max(height) > MAX_DECODE_EDGE_PX
    {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_pixels: MAX_DECODE_PIXELS,
        });
    }
    Ok(())
}

/// The formats the `image` crate decodes (and the JPEG previews inside raw files). With
/// `apply_exif_orientation` false the pixels stay as stored and the metadata's
/// orientation is 1: a raw file's preview takes the raw's orientation instead.
pub(crate) fn decode_with_image_crate(
    path: &Path,
    bytes: &[u8],
    format: Format,
    need: MinSize,
    apply_exif_orientation: bool,
) -> Result<Decoded, MediaError> {
    let Some(image_format) = format.to_image_format() else {
        return Err(MediaError::Unsupported {
            path: path.to_owned(),
            format: format.name().to_owned(),
            detail: "no decoder for this format".to_owned(),
        });
    };
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
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
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
    check_dimensions(path, format, width, height)?;

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
    let orientation = if apply_exif_orientation {
        decoder.orientation().unwrap_or(Orientation::NoTransforms)
    } else {
        Orientation::NoTransforms
    };
    let scaled = match need.jpeg_scale_denominator(width, height) {
        Some(denominator) if format == Format::Jpeg => {
            decode_jpeg_scaled(path, bytes, (width, height), denominator)
        }
        _ => None,
    };
    if let Some((mut image, denominator)) = scaled {
        // The full-size decoder is dropped unused: only its header parse was paid for.
        drop(decoder);
        image.apply_orientation(orientation);
        let (width, height) = if swaps_axes(orientation) {
            (height, width)
        } else {
            (width, height)
        };
        return Ok(Decoded {
            image,
            format,
            width,
            height,
            scale_denominator: denominator,
            metadata: read_metadata(bytes, u16::from(orientation.to_exif())),
        });
    }
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| map_image_error(path, format, e, (width, height)))?;
    image.apply_orientation(orientation);

    let metadata = read_metadata(bytes, u16::from(orientation.to_exif()));
    Ok(Decoded {
        width: image.width(),
        height: image.height(),
        image,
        format,
        scale_denominator: 1,
        metadata,
    })
}

/// Whether `orientation` turns a `w`×`h` image into an `h`×`w` one.
pub(crate) fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The JPEG decoded at 1/`denominator` of `full` (stored, un-oriented size), or `None` to
/// fall back to the full-size decode: not 8-bit grey or 3-component colour (CMYK goes
/// through zune-jpeg's colour conversion, as before), a header that disagrees with the
/// first decoder's, progressive coefficients that would exceed the allocation cap, or any
/// error or panic of this decoder (the full-size path then reports the file's real fault,
/// or decodes what this stricter decoder refused).
fn decode_jpeg_scaled(
    path: &Path,
    bytes: &[u8],
    full: (u32, u32),
    denominator: u32,
) -> Option<(DynamicImage, u32)> {
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        jpeg_scaled_or_reason(bytes, full, denominator)
    }));
    let reason = match attempt {
        Ok(Ok(image)) => return Some((image, denominator)),
        Ok(Err(reason)) => reason,
        Err(panic) => format!("scaled decoder panicked: {}", panic_message(panic.as_ref())),
    };
    tracing::debug!(
        "{}: no 1/{denominator} scaled decode ({reason}); decoding at full size",
        path.display()
    );
    None
}

fn jpeg_scaled_or_reason(
    bytes: &[u8],
    full: (u32, u32),
    denominator: u32,
) -> Result<DynamicImage, String> {
    use jpeg_decoder::{CodingProcess, PixelFormat};

    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(
        usize::try_from(MAX_DECODE_ALLOC_BYTES).unwrap_or(usize::MAX),
    );
    decoder.read_info().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no frame header")?;
    let stored = (u32::from(info.width), u32::from(info.height));
    if stored != full {
        return Err(format!(
            "header says {}×{}, zune-jpeg said {}×{}",
            stored.0, stored.1, full.0, full.1
        ));
    }
    let components: u64 = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        other => return Err(format!("pixel format {other:?} is left to the full decode")),
    };
    // A progressive JPEG keeps every DCT coefficient (i16) of the full image until the
    // last scan, whatever the output scale; bound it like any other decode buffer
    // (blocks padded to 16 pixels, no chroma subsampling assumed: an upper bound).
    if info.coding_process == CodingProcess::DctProgressive {
        let padded = |v: u32| u64::from(v.div_ceil(16) * 16);
        let coefficients = padded(full.0) * padded(full.1) * components * 2;
        if coefficients > MAX_DECODE_ALLOC_BYTES {
            return Err(format!(
                "{coefficients} bytes of coefficients is over the cap"
            ));
        }
    }
    let request = |v: u32| u16::try_from(v.div_ceil(denominator)).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(request(full.0), request(full.1))
        .map_err(|e| e.to_string())?;
    let (w, h) = (u32::from(w), u32::from(h));
    if (w, h) != (full.0.div_ceil(denominator), full.1.div_ceil(denominator)) {
        return Err(format!("the decoder chose {w}×{h}"));
    }
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let image = if components == 1 {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| "the decoder returned fewer pixels than its size".to_owned())
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
