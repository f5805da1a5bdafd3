//! JPEG XL with jxl-oxide, a pure-Rust decoder (no system library, memory-safe).

use std::path::Path;

use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use jxl_oxide::{AllocTracker, AuxBoxData, JxlImage, PixelFormat};

use crate::decode::check_dimensions;
use crate::metadata::{Metadata, read_exif_block};
use crate::{Decoded, Format, MAX_DECODE_ALLOC_BYTES, MediaError};

const FORMAT: Format = Format::JpegXl;

/// Decodes the first frame, upright (jxl-oxide applies the codestream's orientation), in
/// sRGB when the image is stored in XYB (lossy), else in its own colour space, at 8 bits.
/// CMYK images are refused as unsupported.
pub(crate) fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, MediaError> {
    let corrupt = |message: String| MediaError::Corrupt {
        path: path.to_owned(),
        format: FORMAT,
        message,
    };
    // Every buffer jxl-oxide allocates is counted against the same cap as other decodes.
    let tracker =
        AllocTracker::with_limit(usize::try_from(MAX_DECODE_ALLOC_BYTES).unwrap_or(usize::MAX));
    let image = JxlImage::builder()
        .alloc_tracker(tracker)
        .read(bytes)
        .map_err(|e| corrupt(e.to_string()))?;
    let (width, height) = (image.width(), image.height());
    check_dimensions(path, FORMAT, width, height)?;
    let format = image.pixel_format();
    let channels = match format {
        PixelFormat::Gray => 1,
        PixelFormat::Graya => 2,
        PixelFormat::Rgb => 3,
        PixelFormat::Rgba => 4,
        PixelFormat::Cmyk | PixelFormat::Cmyka => {
            return Err(MediaError::Unsupported {
                path: path.to_owned(),
                format: FORMAT.name().to_owned(),
                detail: "CMYK".to_owned(),
            });
        }
    };
    if image.num_loaded_keyframes() == 0 {
        return Err(corrupt(
            "the file ends before the first frame (cut short?)".to_owned(),
        ));
    }
    let render = image.render_frame(0).map_err(|e| corrupt(e.to_string()))?;
    let mut stream = render.stream();
    let (out_w, out_h) = (stream.width(), stream.height());
    if stream.channels() != channels {
        return Err(corrupt(format!(
            "{} channels rendered for a {format:?} image",
            stream.channels()
        )));
    }
    let len = usize::try_from(u64::from(out_w) * u64::from(out_h) * u64::from(channels))
        .map_err(|_| corrupt("image too large".to_owned()))?;
    let mut pixels = vec![0u8; len];
    stream.write_to_buffer(&mut pixels);
    let image_out = match channels {
        1 => GrayImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLuma8),
        2 => GrayAlphaImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLumaA8),
        3 => RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8),
        _ => RgbaImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgba8),
    }
    .ok_or_else(|| corrupt("fewer pixels than the image size".to_owned()))?;
    let orientation = u16::try_from(render.orientation()).unwrap_or(1);
    let metadata = match image.aux_boxes().first_exif() {
        Ok(AuxBoxData::Data(exif)) => exif
            .payload()
            .get(exif.tiff_header_offset() as usize..)
            .map_or_else(Metadata::default, |tiff| read_exif_block(tiff, orientation)),
        _ => Metadata {
            orientation,
            ..Metadata::default()
        },
    };
    Ok(Decoded {
        width: image_out.width(),
        height: image_out.height(),
        image: image_out,
        format: FORMAT,
        scale_denominator: 1,
        metadata,
    })
}
