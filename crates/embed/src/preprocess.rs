//! Image -> model input, exactly as Hugging Face `CLIPImageProcessor` and
//! `SiglipImageProcessor` (PIL back end) do it.
//!
//! The steps, in order (each one matters for parity; see `tests/fixtures/PROVENANCE.md`):
//! 1. 16-bit samples become 8-bit as `round(v / 257)`; floats as `round(clamp(v) * 255)`.
//! 2. Alpha is composited onto white with PIL's integer arithmetic (`Image.alpha_composite`);
//!    grey is replicated to R = G = B.
//! 3. Resize on 8-bit pixels with the config's filter as PIL applies it (antialiased when
//!    shrinking): CLIP makes the short side `shortest_edge` and the long side
//!    `floor(shortest_edge * long / short)`, bicubic (a = -0.5); SigLIP squashes the image
//!    to exactly `height`×`width`, bilinear for SigLIP 2.
//! 4. Center crop with `top = (h - crop_h) // 2`, `left = (w - crop_w) // 2` (zero padding
//!    when the image is smaller, as Hugging Face does); SigLIP does not crop.
//! 5. `x * rescale_factor`, then `(x - mean) / std`, laid out as CHW `f32`.
//!
//! Decoding and EXIF orientation are not done here: the input is an already oriented
//! [`DynamicImage`] (that belongs to `glimpse-media`).

use std::path::Path;

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::DynamicImage;

use crate::config::{PreprocessConfig, Resample, ResizeTarget};
use crate::error::EmbedError;

/// Version of the preprocessing contract. Change it whenever the pixels this module
/// produces for the same input and config could change (resampler, rounding, alpha,
/// crop rules...): it is part of [`crate::Embedder::id`], so stored vectors get re-embedded.
pub const PREPROCESS_VERSION: u32 = 1;

/// Largest resized image, in pixels, before the crop. Only absurd aspect ratios (about
/// 1:300 for a 224 short side) reach it; they are refused instead of allocating gigabytes.
pub const MAX_RESIZED_PIXELS: u64 = 16_000_000;

/// One preprocessed image: RGB planes (CHW), `f32`, ready for the vision tower.
#[derive(Debug, Clone, PartialEq)]
pub struct Pixels {
    data: Vec<f32>,
    height: usize,
    width: usize,
}

impl Pixels {
    /// Wraps CHW data of 3 channels; fails when `data.len() != 3 * height * width`.
    pub fn from_chw(data: Vec<f32>, height: usize, width: usize) -> Result<Self, EmbedError> {
        if data.len() != 3 * height * width {
            return Err(EmbedError::PixelsShape {
                height,
                width,
                got_height: height,
                got_width: width,
                got_len: data.len(),
            });
        }
        Ok(Self {
            data,
            height,
            width,
        })
    }

    /// The values, channel-major (R plane, then G, then B), rows top to bottom.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// Takes the values out.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
}

/// Turns oriented images into model input. Holds only the config: cheap to clone and safe
/// to share, so decode threads can preprocess while one thread runs the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessor {
    config: PreprocessConfig,
}

impl Default for Preprocessor {
    /// CLIP's preprocessing (shortest edge 224, crop 224, CLIP mean/std).
    fn default() -> Self {
        Self::new(PreprocessConfig::default())
    }
}

impl Preprocessor {
    /// A preprocessor for `config`.
    pub fn new(config: PreprocessConfig) -> Self {
        Self { config }
    }

    /// Reads `preprocessor_config.json`, or uses CLIP's defaults for `None`.
    pub fn from_file(path: Option<&Path>) -> Result<Self, EmbedError> {
        PreprocessConfig::from_file(path).map(Self::new)
    }

    /// The config in use.
    pub fn config(&self) -> &PreprocessConfig {
        &self.config
    }

    /// The (width, height) an input of `width`×`height` is resized to before cropping.
    pub fn resized_size(&self, width: u32, height: u32) -> (u32, u32) {
        match self.config.resize {
            None => (width, height),
            Some(ResizeTarget::Exact {
                height: h,
                width: w,
            }) => (w, h),
            Some(ResizeTarget::ShortestEdge(short_target)) => {
                // Integer floor equals Python's `int(size * long / short)` here: the float
                // quotient can only round to an integer when the exact one is an integer.
                let scale = |long: u32, short: u32| {
                    (u64::from(short_target) * u64::from(long) / u64::from(short.max(1))) as u32
                };
                if width <= height {
                    (short_target, scale(height, width))
                } else {
                    (scale(width, height), short_target)
                }
            }
        }
    }

    /// The shortest source edge, in pixels, this preprocessor can start from without its
    /// resize target exceeding the source: the short-edge target, the larger side of an
    /// exact resize, or `None` when there is no resize (the crop then takes pixels at the
    /// source's own scale, so a smaller source would change what the model sees). Lets a
    /// decoder produce a smaller image (e.g. a DCT-scaled JPEG) that still covers it.
    pub fn min_source_short_edge(&self) -> Option<u32> {
        match self.config.resize {
            None => None,
            Some(ResizeTarget::ShortestEdge(short)) => Some(short),
            Some(ResizeTarget::Exact { height, width }) => Some(height.max(width)),
        }
    }

    /// The crop window `[left, top, right, bottom)` in resized coordinates for an image
    /// resized to `width`×`height`. It lies outside the image where padding is added.
    pub fn crop_box(&self, width: u32, height: u32) -> [i64; 4] {
        let (w, h) = (i64::from(width), i64::from(height));
        match self.config.crop {
            None => [0, 0, w, h],
            Some((ch, cw)) => {
                let (ch, cw) = (i64::from(ch), i64::from(cw));
                // Python's floor division, also for negative differences (padding).
                let left = (w - cw).div_euclid(2);
                let top = (h - ch).div_euclid(2);
                [left, top, left + cw, top + ch]
            }
        }
    }

    /// Preprocesses one oriented image. Fails (skip this image) on an empty image or an
    /// absurd aspect ratio.
    pub fn pixels(&self, img: &DynamicImage) -> Result<Pixels, EmbedError> {
        let (width, height) = (img.width(), img.height());
        if width == 0 || height == 0 {
            return Err(EmbedError::Image(format!("image is {width}x{height}")));
        }
        // The crop comes from a config file: refuse absurd sizes before allocating them.
        if let Some((ch, cw)) = self.config.fixed_output()
            && u64::from(ch) * u64::from(cw) > MAX_RESIZED_PIXELS
        {
            return Err(EmbedError::Image(format!(
                "the model's crop size {cw}x{ch} is over the {MAX_RESIZED_PIXELS}-pixel limit"
            )));
        }
        let (rw, rh) = self.resized_size(width, height);
        if u64::from(rw) * u64::from(rh) > MAX_RESIZED_PIXELS {
            return Err(EmbedError::Image(format!(
                "a {width}x{height} image would be resized to {rw}x{rh}: aspect ratio too extreme"
            )));
        }
        let rgb = to_rgb8(img);
        let resized = if (rw, rh) == (width, height) {
            rgb
        } else {
            resize(rgb, width, height, rw, rh, self.config.resample)?
        };
        Ok(self.crop_and_normalize(&resized, rw, rh))
    }

    fn crop_and_normalize(&self, rgb: &[u8], width: u32, height: u32) -> Pixels {
        let [left, top, right, bottom] = self.crop_box(width, height);
        let (out_w, out_h) = ((right - left) as usize, (bottom - top) as usize);
        let plane = out_w * out_h;
        let mut data = vec![0.0f32; 3 * plane];
        let rescale = self.config.rescale.map(f64::from);
        let (mean, std) = self.config.normalize.unwrap_or(([0.0; 3], [1.0; 3]));
        for y in 0..out_h {
            let sy = y as i64 + top;
            for x in 0..out_w {
                let sx = x as i64 + left;
                // Outside the resized image: HF pads with zero-valued (black) pixels before
                // rescaling and normalising.
                let inside =
                    (0..i64::from(height)).contains(&sy) && (0..i64::from(width)).contains(&sx);
                let at = inside.then(|| (sy as usize * width as usize + sx as usize) * 3);
                for c in 0..3 {
                    let raw = at.map_or(0.0, |at| f64::from(rgb[at + c]));
                    // HF rescales in f64 and casts to f32, then normalises in f32.
                    let v = match rescale {
                        Some(r) => (raw * r) as f32,
                        None => raw as f32,
                    };
                    data[c * plane + y * out_w + x] = (v - mean[c]) / std[c];
                }
            }
        }
        Pixels {
            data,
            height: out_h,
            width: out_w,
        }
    }
}

/// 16-bit sample to 8 bits as `round(v / 257)` (257 is odd, so there are no ties).
fn to_u8(v: u16) -> u8 {
    ((u32::from(v) * 2 + 257) / 514) as u8
}

/// One colour channel composited over opaque white, bit-exact with PIL's
/// `Image.alpha_composite(white, image)` (7 extra bits of precision, rounded /255 by shifts).
fn over_white(c: u8, a: u8) -> u8 {
    const PRECISION_BITS: u32 = 7;
    if a == 0 {
        return 255;
    }
    let a = u32::from(a);
    // PIL's general formula with an opaque destination: outa255 = 255 * 255, so
    // coef1 = a << 7 and coef2 = (255 - a) << 7.
    let coef1 = a << PRECISION_BITS;
    let coef2 = (255 - a) << PRECISION_BITS;
    let tmp = u32::from(c) * coef1 + 255 * coef2 + (0x80 << PRECISION_BITS);
    ((((tmp >> 8) + tmp) >> 8) >> PRECISION_BITS) as u8
}

/// Packed RGB8 of `img`, following HF `convert_to_rgb` (which goes through RGBA for every
/// mode but RGB, so alpha — and only alpha — changes colours).
fn to_rgb8(img: &DynamicImage) -> Vec<u8> {
    let n = img.width() as usize * img.height() as usize;
    let mut out = Vec::with_capacity(n * 3);
    let mut grey = |g: u8| out.extend_from_slice(&[g, g, g]);
    match img {
        DynamicImage::ImageRgb8(b) => return b.as_raw().clone(),
        DynamicImage::ImageLuma8(b) => b.as_raw().iter().for_each(|&g| grey(g)),
        DynamicImage::ImageLumaA8(b) => {
            b.as_raw()
                .chunks_exact(2)
                .for_each(|p| grey(over_white(p[0], p[1])));
        }
        DynamicImage::ImageLuma16(b) => b.as_raw().iter().for_each(|&g| grey(to_u8(g))),
        DynamicImage::ImageLumaA16(b) => {
            b.as_raw()
                .chunks_exact(2)
                .for_each(|p| grey(over_white(to_u8(p[0]), to_u8(p[1]))));
        }
        DynamicImage::ImageRgb16(b) => out.extend(b.as_raw().iter().map(|&v| to_u8(v))),
        DynamicImage::ImageRgba16(b) => {
            for p in b.as_raw().chunks_exact(4) {
                let a = to_u8(p[3]);
                out.extend(p[..3].iter().map(|&v| over_white(to_u8(v), a)));
            }
        }
        DynamicImage::ImageRgba8(b) => rgba_over_white(b.as_raw(), &mut out),
        // Float images and any future variant: image's own conversion to 8 bits
        // (clamp to [0, 1], x255, rounded), then the same compositing.
        other => rgba_over_white(other.to_rgba8().as_raw(), &mut out),
    }
    out
}

fn rgba_over_white(rgba: &[u8], out: &mut Vec<u8>) {
    for p in rgba.chunks_exact(4) {
        out.extend(p[..3].iter().map(|&v| over_white(v, p[3])));
    }
}

/// Resize of packed RGB8 with `filter` as Pillow does it: a separable convolution whose
/// kernel widens by the shrink factor (antialiasing), two passes with an 8-bit intermediate.
/// fast_image_resize's convolution follows Pillow's; bicubic is its Catmull-Rom
/// (a = -0.5), bilinear its triangle kernel of support 1.
fn resize(
    rgb: Vec<u8>,
    w: u32,
    h: u32,
    out_w: u32,
    out_h: u32,
    filter: Resample,
) -> Result<Vec<u8>, EmbedError> {
    let fail = |e: &dyn std::fmt::Display| EmbedError::Image(format!("resize failed: {e}"));
    let src = Image::from_vec_u8(w, h, rgb, PixelType::U8x3).map_err(|e| fail(&e))?;
    let mut dst = Image::new(out_w, out_h, PixelType::U8x3);
    let filter = match filter {
        Resample::Bicubic => FilterType::CatmullRom,
        Resample::Bilinear => FilterType::Bilinear,
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| fail(&e))?;
    Ok(dst.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_alpha_keeps_colour_and_transparent_gives_white() {
        for c in 0..=255u8 {
            assert_eq!(over_white(c, 255), c, "alpha 255 must leave {c} unchanged");
            assert_eq!(over_white(c, 0), 255, "alpha 0 must give white");
        }
        // Half transparent black over white is mid grey (PIL gives 127 for alpha 128).
        assert_eq!(over_white(0, 128), 127);
    }

    #[test]
    fn sixteen_bit_rounds_to_nearest() {
        assert_eq!(to_u8(0), 0);
        assert_eq!(to_u8(65535), 255);
        assert_eq!(to_u8(257 * 100), 100);
        assert_eq!(to_u8(257 * 100 + 128), 100);
        assert_eq!(to_u8(257 * 100 + 129), 101);
    }

    #[test]
    fn resize_follows_hf_rounding() {
        let p = Preprocessor::default();
        assert_eq!(
            p.resized_size(333, 505),
            (224, 339),
            "long side is truncated, not rounded"
        );
        assert_eq!(p.resized_size(4000, 500), (1792, 224));
        assert_eq!(p.resized_size(1, 1), (224, 224));
        assert_eq!(
            p.crop_box(224, 339),
            [0, 57, 224, 281],
            "top is floor((339-224)/2)"
        );
    }

    #[test]
    fn small_crop_pads_like_hf() {
        let p = Preprocessor::new(PreprocessConfig {
            resize: None,
            ..Default::default()
        });
        // HF puts a 201-row image at rows 12..213 of a 224-row canvas.
        assert_eq!(p.crop_box(224, 201), [0, -12, 224, 212]);
        let img =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(224, 201, image::Rgb([255; 3])));
        let px = p.pixels(&img).expect("preprocess");
        let (mean, std) = (crate::config::CLIP_MEAN[0], crate::config::CLIP_STD[0]);
        let black = (0.0 - mean) / std;
        assert_eq!(px.as_slice()[11 * 224], black, "row 11 is padding");
        assert!(px.as_slice()[12 * 224] > 1.0, "row 12 is the white image");
    }
}
