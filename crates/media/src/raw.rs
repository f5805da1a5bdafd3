//! Camera raw files: the largest JPEG preview the camera embedded (what it rendered, and
//! far cheaper than developing the sensor data), else the sensor data decoded and
//! demosaiced by rawler; orientation, capture time and camera from the raw's own metadata.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::DynamicImage;
use image::metadata::Orientation;
use rawler::decoders::RawDecodeParams;
use rawler::imgop::develop::RawDevelop;
use rawler::rawsource::RawSource;

use crate::decode::{check_dimensions, decode_with_image_crate, panic_message, swaps_axes};
use crate::metadata::{Metadata, from_parts, read_tiff_metadata};
use crate::{Decoded, Format, MediaError, MinSize};

/// A preview whose long edge is at least this many pixels is used rather than developing
/// the sensor data: as large as a thumbnail ([`crate::THUMBNAIL_MAX_EDGE_PX`]) and CLIP's
/// 224-pixel input. Smaller ones (the 160×120 EXIF thumbnails) are a last resort, after
/// the sensor data. Cameras embed 1–2 MP or full-size previews, far above this.
pub const RAW_PREVIEW_MIN_LONG_EDGE: u32 = crate::THUMBNAIL_MAX_EDGE_PX;

/// How many embedded JPEG candidates with a plausible header may fail to reach their end
/// (each such walk reads to the end of the file) before the search gives up, so that a
/// file full of fake JPEG headers costs a bounded amount of work.
const MAX_BROKEN_CANDIDATES: usize = 16;

/// How much of a TIFF-based raw file the EXIF reader is given.
const METADATA_HEAD_BYTES: usize = 4 << 20;

/// The longest long edge / short edge ratio of a JPEG taken as a preview. A TIFF writer may
/// store a preview as many JPEG strips (6000×16 each): one strip is no picture of the shot.
/// Camera previews are at most 3:1 (panorama modes); 6 leaves room.
const MAX_PREVIEW_ASPECT: u32 = 6;

/// The most embedded JPEGs collected (lossy DNGs store their sensor data as hundreds of
/// small JPEG tiles; the previews are among the first few in every format seen).
const MAX_EMBEDDED_JPEGS: usize = 256;

/// An embedded JPEG: where it lies in the file and its stored size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EmbeddedJpeg {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl EmbeddedJpeg {
    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

pub(crate) fn decode(
    path: &Path,
    bytes: &[u8],
    format: Format,
    need: MinSize,
) -> Result<Decoded, MediaError> {
    // rawler reads from its own copy of the file; make it only when rawler is needed.
    let source = std::cell::OnceCell::new();
    let source = || source.get_or_init(|| RawSource::new_from_slice(bytes));
    // A directory entry that would make rawler allocate gigabytes keeps rawler away from the
    // file; the embedded previews and the EXIF reader still serve it.
    let damaged = crate::tiff::rawler_hazard(bytes);
    if let Some(reason) = &damaged {
        tracing::debug!("{}: not given to rawler: {reason}", path.display());
    }
    let metadata = raw_metadata(path, bytes, format, damaged.is_none().then_some(source));
    let orientation =
        Orientation::from_exif(metadata.orientation as u8).unwrap_or(Orientation::NoTransforms);

    let mut previews = embedded_jpegs(bytes);
    previews.retain(|p| {
        p.width.max(p.height) <= p.width.min(p.height).saturating_mul(MAX_PREVIEW_ASPECT)
    });
    previews.sort_by_key(|p| std::cmp::Reverse(p.pixels()));
    let (large, small): (Vec<_>, Vec<_>) = previews
        .into_iter()
        .partition(|p| p.width.max(p.height) >= RAW_PREVIEW_MIN_LONG_EDGE);

    for preview in &large {
        match decode_preview(path, bytes, *preview, need) {
            Ok(image) => return Ok(finish(image, format, orientation, metadata, preview)),
            Err(e) => tracing::debug!("{}: preview unusable: {}", path.display(), e.reason()),
        }
    }
    let developed = match &damaged {
        Some(reason) => Err(MediaError::Corrupt {
            path: path.to_owned(),
            format,
            message: reason.clone(),
        }),
        None => develop(path, format, source()),
    };
    let develop_error = match developed {
        Ok(mut image) => {
            let (width, height) = oriented(image.width(), image.height(), orientation);
            image.apply_orientation(orientation);
            return Ok(Decoded {
                image,
                format,
                width,
                height,
                scale_denominator: 1,
                metadata,
            });
        }
        Err(e) => {
            tracing::debug!("{}: no usable sensor data: {}", path.display(), e.reason());
            e
        }
    };
    for preview in &small {
        if let Ok(image) = decode_preview(path, bytes, *preview, need) {
            return Ok(finish(image, format, orientation, metadata, preview));
        }
    }
    // A Nikon or Sony scanner writes ordinary TIFFs with the maker's name in them: what
    // looked like a raw file may just be a TIFF.
    if matches!(format, Format::Nef | Format::Arw | Format::Pef)
        && let Ok(decoded) = decode_with_image_crate(path, bytes, Format::Tiff, need, true)
    {
        return Ok(decoded);
    }
    Err(match develop_error {
        MediaError::Corrupt { message, .. } => MediaError::Corrupt {
            path: path.to_owned(),
            format,
            message: format!("no embedded preview, and the raw data is unreadable: {message}"),
        },
        other => other,
    })
}

fn finish(
    mut image: DynamicImage,
    format: Format,
    orientation: Orientation,
    metadata: Metadata,
    preview: &EmbeddedJpeg,
) -> Decoded {
    image.apply_orientation(orientation);
    let (width, height) = oriented(preview.width, preview.height, orientation);
    // The preview may have been decoded at 1/2–1/8 of its stored size.
    let scale_denominator = preview
        .width
        .max(preview.height)
        .div_ceil(image.width().max(image.height()).max(1))
        .clamp(1, 8);
    Decoded {
        image,
        format,
        width,
        height,
        scale_denominator,
        metadata,
    }
}

fn oriented(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// The preview's pixels as stored (its own EXIF orientation, if it has one, is ignored: the
/// raw file's orientation is the one that applies, and some cameras repeat it inside the
/// preview, so applying both would turn the photo twice).
fn decode_preview(
    path: &Path,
    bytes: &[u8],
    preview: EmbeddedJpeg,
    need: MinSize,
) -> Result<DynamicImage, MediaError> {
    let jpeg = &bytes[preview.start..preview.end];
    decode_with_image_crate(path, jpeg, Format::Jpeg, need, false).map(|d| d.image)
}

/// Develops the sensor data: rawler decodes and demosaics it and applies white balance,
/// the camera's colour matrix and the sRGB curve. Dimensions are checked from a dummy
/// decode (no pixel buffer) before the real one.
fn develop(path: &Path, format: Format, source: &RawSource) -> Result<DynamicImage, MediaError> {
    let corrupt = |message: String| MediaError::Corrupt {
        path: path.to_owned(),
        format,
        message,
    };
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        let params = RawDecodeParams::default();
        let decoder = rawler::get_decoder(source).map_err(|e| corrupt(described(&e)))?;
        let dummy = decoder
            .raw_image(source, &params, true)
            .map_err(|e| corrupt(described(&e)))?;
        let (w, h) = (
            u32::try_from(dummy.width).unwrap_or(u32::MAX),
            u32::try_from(dummy.height).unwrap_or(u32::MAX),
        );
        check_dimensions(path, format, w, h)?;
        // The developed image is f32 RGB, plus the raw u16 data and a u16 copy.
        if u64::from(w) * u64::from(h) * (12 + 2 + 6) > crate::MAX_DECODE_ALLOC_BYTES {
            return Err(MediaError::TooLarge {
                path: path.to_owned(),
                width: w,
                height: h,
                max_pixels: crate::MAX_DECODE_PIXELS,
            });
        }
        drop(dummy);
        let raw = decoder
            .raw_image(source, &params, false)
            .map_err(|e| corrupt(described(&e)))?;
        let developed = RawDevelop::default()
            .develop_intermediate(&raw)
            .map_err(|e| corrupt(e.to_string()))?;
        let image = developed
            .to_dynamic_image()
            .ok_or_else(|| corrupt("the developed image has no pixels".to_owned()))?;
        Ok(match image {
            // Four-colour sensors come back as RGBA; the fourth is not alpha.
            DynamicImage::ImageRgba16(_) => DynamicImage::ImageRgb16(image.to_rgb16()),
            other => other,
        })
    }));
    match attempt {
        Ok(result) => result,
        Err(panic) => Err(corrupt(format!(
            "raw decoder crashed: {}",
            panic_message(panic.as_ref())
        ))),
    }
}

/// rawler's error as a sentence for the folder panel: its own text prints empty camera
/// fields ("Error: No decoder found, model '', make: '', mode: ''").
fn described(e: &rawler::RawlerError) -> String {
    match e {
        rawler::RawlerError::Unsupported {
            what, model, make, ..
        } => {
            let camera = format!("{} {}", make.trim(), model.trim());
            match camera.trim() {
                "" => "the file names no camera (damaged, or not a camera raw)".to_owned(),
                camera => format!("{camera}: {what}"),
            }
        }
        // rawler ends I/O messages with the file's path; it reads our bytes, not a file,
        // so that path is empty ("… is behind EOF on file: ") and the folder panel
        // already names the file.
        rawler::RawlerError::DecoderFailed(message) => message
            .trim_end()
            .trim_end_matches("on file:")
            .trim_end()
            .to_owned(),
    }
}

/// Orientation, capture time and camera. The TIFF-based formats (DNG, CR2, NEF, ARW, PEF)
/// are plain EXIF containers: the EXIF reader reads their first directories without
/// copying the file. For CR3, RAF, ORF and RW2 rawler's reading of the metadata is used (it
/// knows those containers), with the EXIF reader as the fallback — and alone when there is
/// no `source` (a file rawler must not be given).
fn raw_metadata<'a>(
    path: &Path,
    bytes: &[u8],
    format: Format,
    source: Option<impl FnOnce() -> &'a RawSource>,
) -> Metadata {
    // The directories sit at the start of the file in every camera's layout seen; a copy
    // of the first few MB is what the EXIF reader gets, not the whole 25–50 MB file.
    let head = &bytes[..bytes.len().min(METADATA_HEAD_BYTES)];
    let fallback = || read_tiff_metadata(head);
    if matches!(
        format,
        Format::Dng | Format::Cr2 | Format::Nef | Format::Arw | Format::Pef
    ) {
        let metadata = fallback();
        if metadata.taken_at.is_some() || metadata.camera_make.is_some() {
            return metadata;
        }
    }
    let Some(source) = source else {
        return fallback();
    };
    let source = source();
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        let decoder = rawler::get_decoder(source).ok()?;
        decoder
            .raw_metadata(source, &RawDecodeParams::default())
            .ok()
    }));
    match attempt {
        Ok(Some(md)) => {
            let exif = &md.exif;
            let orientation = exif
                .orientation
                .filter(|o| (1..=8).contains(o))
                .unwrap_or(1);
            let date = exif
                .date_time_original
                .as_deref()
                .or(exif.create_date.as_deref());
            let offset = exif
                .offset_time_original
                .as_deref()
                .or(exif.offset_time.as_deref());
            let make = (!md.make.is_empty()).then_some(md.make.as_str());
            let model = (!md.model.is_empty()).then_some(md.model.as_str());
            let metadata = from_parts(make, model, date, offset, orientation);
            if metadata.taken_at.is_none() && metadata.camera_make.is_none() {
                fallback()
            } else {
                metadata
            }
        }
        Ok(None) => fallback(),
        Err(panic) => {
            tracing::debug!(
                "{}: raw metadata reader panicked: {}",
                path.display(),
                panic_message(panic.as_ref())
            );
            fallback()
        }
    }
}

/// Every complete 8-bit baseline or progressive JPEG stored inside `bytes`, found by its
/// markers rather than by each raw format's own directory of previews: one search that
/// works the same for all nine formats (CR3 keeps its full-size preview in a media track,
/// ORF and PEF in maker notes, RAF behind its own header, the rest in TIFF directories).
/// Lossless-JPEG sensor data (SOF3) and 12-bit streams are not previews and are skipped.
/// JPEGs nested in another's EXIF block are found too: a stripped or odd file may keep its
/// larger image there.
pub(crate) fn embedded_jpegs(bytes: &[u8]) -> Vec<EmbeddedJpeg> {
    let mut found = Vec::new();
    let mut broken = 0;
    let mut i = 0;
    while let Some(offset) = find_soi(&bytes[i..]) {
        let start = i + offset;
        match jpeg_extent(&bytes[start..], &mut broken) {
            Some((len, width, height)) => found.push(EmbeddedJpeg {
                start,
                end: start + len,
                width,
                height,
            }),
            None if broken >= MAX_BROKEN_CANDIDATES => break,
            None => {}
        }
        if found.len() >= MAX_EMBEDDED_JPEGS {
            break;
        }
        i = start + 1;
    }
    found
}

fn find_soi(bytes: &[u8]) -> Option<usize> {
    // A 50 MB raw file is mostly sensor data to skip over: test 64 bytes at a time for any
    // 0xFF with a loop the compiler vectorises (no early exit), and look closer only there.
    let mut base = 0;
    for chunk in bytes.chunks(64) {
        if chunk.iter().fold(false, |any, &b| any | (b == 0xFF)) {
            for (j, &b) in chunk.iter().enumerate() {
                let i = base + j;
                if b == 0xFF && bytes.get(i + 1) == Some(&0xD8) && bytes.get(i + 2) == Some(&0xFF) {
                    return Some(i);
                }
            }
        }
        base += chunk.len();
    }
    None
}

/// The length (through EOI) and stored size of the JPEG starting at `bytes[0]`, when it is
/// a complete 8-bit DCT JPEG of 1 or 3 components. `broken` counts candidates whose headers
/// were good enough to walk their entropy-coded data but that never reached their end.
fn jpeg_extent(bytes: &[u8], broken: &mut usize) -> Option<(usize, u32, u32)> {
    let mut i = 2;
    let mut size = None;
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return None;
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i)?;
        i += 1;
        let len = usize::from(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
        if len < 2 || i + len > bytes.len() {
            return None;
        }
        match marker {
            0xC0..=0xC2 => {
                let segment = &bytes[i + 2..i + len];
                let (&precision, rest) = segment.split_first()?;
                let height = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
                let width = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
                let components = *rest.get(4)?;
                if precision != 8 || width == 0 || height == 0 || !matches!(components, 1 | 3) {
                    return None;
                }
                size = Some((u32::from(width), u32::from(height)));
            }
            // Other frame types: lossless (the sensor data of CR2 and many DNGs),
            // hierarchical, arithmetic-coded: not a preview we can use.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDA => {
                let (width, height) = size?;
                let Some(end) = crate::format::jpeg_end(bytes) else {
                    *broken += 1;
                    return None;
                };
                return Some((end, width, height));
            }
            // APPn, COM, DQT, DHT, DRI, DNL: skipped by their length.
            0xE0..=0xEF | 0xFE | 0xDB | 0xC4 | 0xDD | 0xDC => {}
            _ => return None,
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_message_loses_rawlers_empty_file_name() {
        let e = rawler::RawlerError::DecoderFailed(
            "I/O error in context 'CR3: failed to read raw data', subview(): Offset 11466+32328960 is behind EOF on file: ".to_owned(),
        );
        assert_eq!(
            described(&e),
            "I/O error in context 'CR3: failed to read raw data', subview(): Offset 11466+32328960 is behind EOF"
        );
        let e = rawler::RawlerError::DecoderFailed("bad tile size".to_owned());
        assert_eq!(described(&e), "bad tile size");
    }
}
