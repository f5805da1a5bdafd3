//! HEIF (HEIC) and AVIF through the system libheif, which Debian 12 builds with libde265
//! (HEVC), dav1d and aom (AV1): one decoder for both, the same one pillow-heif wraps.

use std::path::Path;

use image::{DynamicImage, RgbImage, RgbaImage};
use libheif_rs::{ColorSpace, HeifContext, HeifError, HeifErrorCode, LibHeif, RgbChroma};

use crate::decode::check_dimensions;
use crate::metadata::{Metadata, read_exif_block};
use crate::{Decoded, Format, MAX_DECODE_ALLOC_BYTES, MediaError};

/// Decodes the primary image (an iPhone file also holds thumbnails, depth maps and other
/// images; the primary is the photo) with its `irot`/`imir`/`clap` transforms applied by
/// libheif, converted to 8-bit RGB(A) by libheif from the image's colour description
/// (10- and 12-bit images are reduced to 8 bits, as pillow-heif does by default). The EXIF
/// orientation tag is *not* applied: in HEIF the container's transforms are authoritative
/// and iPhones write both, so applying the tag as well would turn the photo twice.
pub(crate) fn decode(path: &Path, bytes: &[u8], format: Format) -> Result<Decoded, MediaError> {
    let fail = |e: HeifError| heif_error(path, format, e);
    let lib = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(fail)?;
    let handle = context.primary_image_handle().map_err(fail)?;
    let (width, height) = (handle.width(), handle.height());
    check_dimensions(path, format, width, height)?;
    let alpha = handle.has_alpha_channel();
    let channels: u64 = if alpha { 4 } else { 3 };
    // libheif keeps the decoded YCbCr planes (up to 16 bits) beside the RGB output.
    if u64::from(width) * u64::from(height) * (channels + 6) > MAX_DECODE_ALLOC_BYTES {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_pixels: crate::MAX_DECODE_PIXELS,
        });
    }
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    // No decoding options: libheif-rs 0.20 frees an options struct before libheif reads it
    // (`decoding_options.map(|o| o.inner)` drops `o`), so libheif would read freed memory,
    // and its `ignore_transformations` would be whatever was left there. libheif's defaults
    // are what we want anyway: transforms applied, and an interleaved 8-bit RGB(A) request
    // makes it reduce 10/12-bit images to 8 bits.
    let decoded = lib
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(fail)?;
    let planes = decoded.planes();
    let corrupt = |message: &str| MediaError::Corrupt {
        path: path.to_owned(),
        format,
        message: message.to_owned(),
    };
    let plane = planes
        .interleaved
        .ok_or_else(|| corrupt("libheif returned no interleaved RGB plane"))?;
    if plane.bits_per_pixel != 8 * channels as u8
        && plane.storage_bits_per_pixel != 8 * channels as u8
    {
        return Err(corrupt("libheif returned pixels of an unexpected depth"));
    }
    let (out_w, out_h) = (plane.width, plane.height);
    let row = usize::try_from(u64::from(out_w) * channels).unwrap_or(usize::MAX);
    let mut pixels = Vec::with_capacity(row.saturating_mul(out_h as usize));
    for y in 0..out_h as usize {
        let start = y.saturating_mul(plane.stride);
        let line = plane
            .data
            .get(start..start.saturating_add(row))
            .ok_or_else(|| corrupt("libheif returned fewer pixels than its size"))?;
        pixels.extend_from_slice(line);
    }
    let image = if alpha {
        RgbaImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgba8)
    } else {
        RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| corrupt("libheif returned fewer pixels than its size"))?;
    Ok(Decoded {
        width: image.width(),
        height: image.height(),
        image,
        format,
        scale_denominator: 1,
        metadata: exif_metadata(&handle),
    })
}

/// The EXIF item of the primary image. It starts with a 4-byte big-endian offset to the
/// TIFF header (usually 6, skipping "Exif\0\0").
fn exif_metadata(handle: &libheif_rs::ImageHandle) -> Metadata {
    let mut ids = [0; 4];
    let count = handle.metadata_block_ids(&mut ids, b"Exif");
    for &id in ids.iter().take(count) {
        let Ok(block) = handle.metadata(id) else {
            continue;
        };
        let Some(offset) = block.get(..4) else {
            continue;
        };
        let offset = u32::from_be_bytes([offset[0], offset[1], offset[2], offset[3]]) as usize;
        if let Some(tiff) = block.get(4usize.saturating_add(offset)..) {
            return read_exif_block(tiff, 1);
        }
    }
    Metadata::default()
}

fn heif_error(path: &Path, format: Format, error: HeifError) -> MediaError {
    let detail = if error.message.is_empty() {
        format!("{:?}", error.sub_code)
    } else {
        error.message.clone()
    };
    match error.code {
        // A codec libheif was built without, or a feature it does not implement.
        HeifErrorCode::UnsupportedFeature
        | HeifErrorCode::UnsupportedFileType
        | HeifErrorCode::DecoderPluginError => MediaError::Unsupported {
            path: path.to_owned(),
            format: format.name().to_owned(),
            detail,
        },
        HeifErrorCode::MemoryAllocationError => MediaError::TooLarge {
            path: path.to_owned(),
            width: 0,
            height: 0,
            max_pixels: crate::MAX_DECODE_PIXELS,
        },
        _ => MediaError::Corrupt {
            path: path.to_owned(),
            format,
            message: detail,
        },
    }
}
