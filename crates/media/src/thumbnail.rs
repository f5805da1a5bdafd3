//! Pixels -> a small upright RGB thumbnail -> JPEG bytes.

use std::borrow::Cow;

use fast_image_resize as fir;
use image::{DynamicImage, RgbImage, RgbaImage};

use crate::MediaError;

/// Scales `img` so its longest edge is `max_edge` pixels (use
/// [`crate::THUMBNAIL_MAX_EDGE_PX`]), keeping the aspect ratio (the short edge is rounded,
/// and at least 1). Never upscales: an image that already fits is only converted. Alpha is
/// composited onto white; 16-bit and grey images become 8-bit RGB.
///
/// The resize is fast_image_resize's SIMD Lanczos3 convolution, with premultiplied alpha
/// so transparent pixels do not bleed their hidden colour into the edges.
pub fn thumbnail(img: &DynamicImage, max_edge: u32) -> RgbImage {
    let (width, height) = (img.width(), img.height());
    let Some((dst_w, dst_h)) = target_size(width, height, max_edge) else {
        return to_rgb8_on_white(img).into_owned();
    };

    if img.color().has_alpha() {
        // Resizing premultiplied RGBA and then compositing the small result equals
        // compositing first, at a fraction of the cost.
        let rgba = img.to_rgba8();
        let resized = resize_or_fallback(rgba.as_raw(), width, height, dst_w, dst_h, 4)
            .unwrap_or_else(|| {
                image::imageops::resize(&rgba, dst_w, dst_h, image::imageops::Lanczos3).into_raw()
            });
        match RgbaImage::from_raw(dst_w, dst_h, resized) {
            Some(small) => composite_on_white(&small),
            None => RgbImage::new(dst_w, dst_h),
        }
    } else {
        let rgb = to_rgb8_on_white(img);
        let resized = resize_or_fallback(rgb.as_raw(), width, height, dst_w, dst_h, 3)
            .unwrap_or_else(|| {
                image::imageops::resize(rgb.as_ref(), dst_w, dst_h, image::imageops::Lanczos3)
                    .into_raw()
            });
        RgbImage::from_raw(dst_w, dst_h, resized).unwrap_or_else(|| RgbImage::new(dst_w, dst_h))
    }
}

/// `None` when no resize is needed (the image already fits).
fn target_size(width: u32, height: u32, max_edge: u32) -> Option<(u32, u32)> {
    let max_edge = max_edge.max(1);
    let long = width.max(height);
    if long <= max_edge {
        return None;
    }
    let short = width.min(height);
    let scaled = (f64::from(short) * f64::from(max_edge) / f64::from(long)).round();
    // `scaled` lies in [0, max_edge], so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let scaled = (scaled as u32).max(1);
    Some(if width >= height {
        (max_edge, scaled)
    } else {
        (scaled, max_edge)
    })
}

/// SIMD resize of packed 8-bit pixels (3 = RGB, 4 = RGBA). `None` only if
/// fast_image_resize rejects the buffers, which would be a bug here; the caller then falls
/// back to the slower `image` resize rather than failing the photo.
fn resize_or_fallback(
    src: &[u8],
    width: u32,
    height: u32,
    dst_w: u32,
    dst_h: u32,
    channels: u8,
) -> Option<Vec<u8>> {
    let pixel_type = if channels == 4 {
        fir::PixelType::U8x4
    } else {
        fir::PixelType::U8x3
    };
    let result = (|| {
        let src = fir::images::ImageRef::new(width, height, src, pixel_type)
            .map_err(|e| e.to_string())?;
        let mut dst = fir::images::Image::new(dst_w, dst_h, pixel_type);
        let options = fir::ResizeOptions::new()
            .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3))
            .use_alpha(channels == 4);
        fir::Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(dst.into_vec())
    })();
    match result {
        Ok(pixels) => Some(pixels),
        Err(e) => {
            tracing::warn!("fast_image_resize failed ({e}); using the slower image resize");
            None
        }
    }
}

/// The image as 8-bit RGB with any alpha composited onto white, at full size; borrows when
/// it already is 8-bit RGB. 16-bit samples become `round(v / 257)`. This is the flattening
/// CLIP's reference preprocessing does (transformers' `convert_to_rgb`), so the engine can
/// hand its result to the embedder; plain `to_rgb8` would drop alpha and show the hidden
/// colour of transparent pixels instead.
pub fn to_rgb8_on_white(img: &DynamicImage) -> Cow<'_, RgbImage> {
    match img {
        DynamicImage::ImageRgb8(rgb) => Cow::Borrowed(rgb),
        other if other.color().has_alpha() => Cow::Owned(composite_on_white(&other.to_rgba8())),
        other => Cow::Owned(other.to_rgb8()),
    }
}

fn composite_on_white(rgba: &RgbaImage) -> RgbImage {
    let mut out = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
    for px in rgba.as_raw().chunks_exact(4) {
        let alpha = u32::from(px[3]);
        for &c in &px[..3] {
            // Rounded c·a + 255·(1 − a), all in 0..=255 units; the result fits in u8.
            let v = (u32::from(c) * alpha + 255 * (255 - alpha) + 127) / 255;
            out.push(u8::try_from(v).unwrap_or(u8::MAX));
        }
    }
    RgbImage::from_raw(rgba.width(), rgba.height(), out)
        .unwrap_or_else(|| RgbImage::new(rgba.width(), rgba.height()))
}

/// Encodes a thumbnail as baseline JPEG. `quality` is clamped to 1..=100; 82 is a good
/// size/quality balance for 320-pixel thumbnails (lossless WebP is several times larger).
///
/// # Errors
/// [`MediaError::Encode`] for an empty (0-pixel) image; nothing else fails in practice.
pub fn encode_thumbnail_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(MediaError::Encode {
            message: format!("image is {}×{} pixels", img.width(), img.height()),
        });
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode_image(img)
        .map_err(|e| MediaError::Encode {
            message: e.to_string(),
        })?;
    Ok(out)
}
