//! `make-photos`: camera-like test photos, generated deterministically from a seed.
//!
//! Most are 12 MP JPEGs (4000×3000) whose content — smooth gradients, low-frequency
//! texture, a few solid shapes and sensor-like noise — compresses like a real photo
//! (a few MB each), so decoding costs what it costs on a camera roll. One in ten is a
//! PNG, one in ten a (lossless) WebP, both smaller, and one in ten a JPEG stored sideways
//! with an EXIF orientation 6 tag, as phones write portrait shots.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

use crate::rng::Rng;

/// The stored size of a full-size photo: 12 MP, 4:3, like most phone and compact cameras.
pub const CAMERA_SIZE: (u32, u32) = (4000, 3000);

/// JPEG quality of the generated photos: what phone cameras typically use.
const JPEG_QUALITY: u8 = 90;

/// The kinds of generated photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoKind {
    /// Landscape JPEG at full size.
    Jpeg,
    /// Portrait JPEG stored sideways at full size, with EXIF orientation 6.
    PortraitJpeg,
    /// PNG at about half the linear size.
    Png,
    /// Lossless WebP at 40 % of the linear size (the `image` crate only encodes lossless).
    WebP,
}

impl PhotoKind {
    /// The kind of photo number `index`: a fixed cycle of ten, so any count has the same mix.
    pub fn for_index(index: usize) -> Self {
        match index % 10 {
            3 => Self::Png,
            6 => Self::WebP,
            9 => Self::PortraitJpeg,
            _ => Self::Jpeg,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg | Self::PortraitJpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    /// The size of the pixels as stored in the file (before orientation), given the
    /// full camera size.
    pub fn stored_size(self, full: (u32, u32)) -> (u32, u32) {
        let scale = |f: f32| {
            (
                ((full.0 as f32 * f).round() as u32).max(1),
                ((full.1 as f32 * f).round() as u32).max(1),
            )
        };
        match self {
            Self::Jpeg | Self::PortraitJpeg => full,
            Self::Png => scale(0.512),
            Self::WebP => scale(0.4),
        }
    }
}

/// A smooth, textured, noisy scene of `width`×`height` pixels, fixed by `rng`'s state.
pub fn render_scene(width: u32, height: u32, rng: &mut Rng) -> RgbImage {
    let (w, h) = (width as usize, height as usize);
    let color = |rng: &mut Rng| {
        [
            rng.range(30.0, 230.0),
            rng.range(30.0, 230.0),
            rng.range(30.0, 230.0),
        ]
    };
    let (sky_top, sky_bottom, ground_top, ground_bottom) =
        (color(rng), color(rng), color(rng), color(rng));
    let horizon = rng.range(0.35, 0.7);
    let side_tint = [
        rng.range(-25.0, 25.0),
        rng.range(-25.0, 25.0),
        rng.range(-25.0, 25.0),
    ];

    // Low-frequency texture, separable so it costs two table look-ups per pixel.
    let wave = |n: usize, rng: &mut Rng| -> Vec<f32> {
        let (f1, f2) = (rng.range(2.0, 9.0), rng.range(11.0, 40.0));
        let (p1, p2) = (rng.range(0.0, 6.3), rng.range(0.0, 6.3));
        let (a1, a2) = (rng.range(4.0, 12.0), rng.range(1.0, 4.0));
        (0..n)
            .map(|i| {
                let t = i as f32 / n as f32 * std::f32::consts::TAU;
                a1 * (f1 * t + p1).sin() + a2 * (f2 * t + p2).sin()
            })
            .collect()
    };
    let texture_x = wave(w, rng);
    let texture_y = wave(h, rng);

    let mut buf = vec![0u8; w * h * 3];
    for (y, row) in buf.chunks_exact_mut(w * 3).enumerate() {
        let v = y as f32 / h as f32;
        let base = if v < horizon {
            lerp3(sky_top, sky_bottom, v / horizon)
        } else {
            lerp3(ground_top, ground_bottom, (v - horizon) / (1.0 - horizon))
        };
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let u = x as f32 / w as f32;
            let texture = texture_x[x] + texture_y[y];
            for c in 0..3 {
                px[c] = clamp_u8(base[c] + side_tint[c] * u + texture);
            }
        }
    }

    let scale = w.min(h) as f32;
    for _ in 0..(4 + rng.below(6)) {
        let fill = color(rng);
        let cx = rng.range(0.0, w as f32);
        let cy = rng.range(h as f32 * 0.2, h as f32);
        let size = rng.range(0.05, 0.3) * scale;
        let circle = rng.unit() < 0.5;
        let half_w = size * rng.range(0.5, 1.5);
        let (y0, y1) = (
            ((cy - size).max(0.0)) as usize,
            ((cy + size).min(h as f32)) as usize,
        );
        for y in y0..y1 {
            let dy = (y as f32 - cy) / size;
            let half = if circle {
                size * (1.0 - dy * dy).max(0.0).sqrt()
            } else {
                half_w
            };
            let (x0, x1) = (
                ((cx - half).max(0.0)) as usize,
                ((cx + half).min(w as f32)) as usize,
            );
            // Shading from top to bottom, so shapes are gradients too.
            let shade = 1.0 - 0.25 * (dy + 1.0);
            let row = &mut buf[y * w * 3..(y + 1) * w * 3];
            for x in x0..x1 {
                for c in 0..3 {
                    row[x * 3 + c] = clamp_u8(fill[c] * shade + texture_x[x]);
                }
            }
        }
    }

    // Sensor-like noise: triangular, a few levels wide, independent per channel.
    let amplitude = rng.range(8.0, 13.0);
    for px in buf.chunks_exact_mut(3) {
        let bits = rng.next_u64();
        for (c, value) in px.iter_mut().enumerate() {
            let a = ((bits >> (16 * c)) & 0xFF) as f32;
            let b = ((bits >> (16 * c + 8)) & 0xFF) as f32;
            let noise = (a + b - 255.0) / 255.0 * amplitude;
            *value = clamp_u8(f32::from(*value) + noise);
        }
    }
    RgbImage::from_raw(width, height, buf).unwrap_or_else(|| RgbImage::new(width, height))
}

fn lerp3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn clamp_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// An APP1 segment holding a minimal big-endian TIFF/EXIF block with one IFD0 entry:
/// Orientation (0x0112, SHORT) = `orientation`.
pub fn exif_orientation_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2A"); // big-endian TIFF, magic 42
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // the value field is 4 bytes, left-justified
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    let mut segment = vec![0xFF, 0xE1];
    // The length counts itself, the "Exif\0\0" header and the TIFF block.
    let length = (2 + 6 + tiff.len()) as u16;
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\x00\x00");
    segment.extend_from_slice(&tiff);
    segment
}

/// Inserts `segment` into a JPEG after SOI and any JFIF APP0, where EXIF belongs.
pub fn insert_jpeg_segment(jpeg: &[u8], segment: &[u8]) -> Result<Vec<u8>> {
    anyhow::ensure!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG: no SOI marker");
    let mut at = 2;
    if jpeg.get(2..4) == Some(&[0xFF, 0xE0]) {
        let length = jpeg
            .get(4..6)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .context("truncated APP0")?;
        at = 4 + length;
        anyhow::ensure!(at <= jpeg.len(), "truncated APP0");
    }
    let mut out = Vec::with_capacity(jpeg.len() + segment.len());
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(segment);
    out.extend_from_slice(&jpeg[at..]);
    Ok(out)
}

/// Renders and encodes photo number `index` of the set fixed by `seed`; `full` is the
/// full camera size (the tests use a small one).
pub fn make_photo(index: usize, seed: u64, full: (u32, u32)) -> Result<(PhotoKind, Vec<u8>)> {
    let kind = PhotoKind::for_index(index);
    let mut rng = Rng::for_item(seed, index as u64);
    let (w, h) = kind.stored_size(full);
    let mut buf = Vec::new();
    match kind {
        PhotoKind::Jpeg => {
            let img = render_scene(w, h, &mut rng);
            JpegEncoder::new_with_quality(&mut buf, JPEG_QUALITY).write_image(
                img.as_raw(),
                w,
                h,
                ExtendedColorType::Rgb8,
            )?;
        }
        PhotoKind::PortraitJpeg => {
            // Render upright (portrait), store rotated 90° counter-clockwise: orientation
            // 6 tells the viewer to turn it back clockwise.
            let upright = render_scene(h, w, &mut rng);
            let stored = image::imageops::rotate270(&upright);
            let mut plain = Vec::new();
            JpegEncoder::new_with_quality(&mut plain, JPEG_QUALITY).write_image(
                stored.as_raw(),
                w,
                h,
                ExtendedColorType::Rgb8,
            )?;
            buf = insert_jpeg_segment(&plain, &exif_orientation_segment(6))?;
        }
        PhotoKind::Png => {
            let img = render_scene(w, h, &mut rng);
            PngEncoder::new(&mut buf).write_image(img.as_raw(), w, h, ExtendedColorType::Rgb8)?;
        }
        PhotoKind::WebP => {
            let img = render_scene(w, h, &mut rng);
            WebPEncoder::new_lossless(&mut buf).write_image(
                img.as_raw(),
                w,
                h,
                ExtendedColorType::Rgb8,
            )?;
        }
    }
    Ok((kind, buf))
}

/// What [`make_photos`] wrote, per kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoSetSummary {
    /// (kind, stored width, stored height, files, bytes), one row per kind present.
    pub kinds: Vec<(PhotoKind, u32, u32, usize, u64)>,
    /// Wall time.
    pub elapsed: Duration,
    /// Threads used.
    pub threads: usize,
}

impl PhotoSetSummary {
    /// Files over all kinds.
    pub fn files(&self) -> usize {
        self.kinds.iter().map(|k| k.3).sum()
    }

    /// Bytes over all kinds.
    pub fn bytes(&self) -> u64 {
        self.kinds.iter().map(|k| k.4).sum()
    }
}

/// The file name of photo `index`.
pub fn file_name(index: usize, kind: PhotoKind) -> String {
    format!("IMG_{index:05}.{}", kind.extension())
}

/// Writes `count` photos into `out` on all cores; the same `seed` gives the same bytes.
pub fn make_photos(
    out: &Path,
    count: usize,
    seed: u64,
    full: (u32, u32),
) -> Result<PhotoSetSummary> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let started = Instant::now();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(count.max(1));
    let next = AtomicUsize::new(0);
    let written: Mutex<Vec<(usize, PhotoKind, u64)>> = Mutex::new(Vec::with_capacity(count));
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        break;
                    }
                    let result = make_photo(index, seed, full).and_then(|(kind, bytes)| {
                        let path: PathBuf = out.join(file_name(index, kind));
                        std::fs::write(&path, &bytes)
                            .with_context(|| format!("{}: cannot write", path.display()))?;
                        Ok((index, kind, bytes.len() as u64))
                    });
                    match result {
                        Ok(item) => {
                            if let Ok(mut w) = written.lock() {
                                w.push(item);
                            }
                        }
                        Err(e) => {
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let written = written.into_inner().unwrap_or_default();
    let mut kinds: Vec<(PhotoKind, u32, u32, usize, u64)> = Vec::new();
    for kind in [
        PhotoKind::Jpeg,
        PhotoKind::PortraitJpeg,
        PhotoKind::Png,
        PhotoKind::WebP,
    ] {
        let of_kind: Vec<_> = written.iter().filter(|w| w.1 == kind).collect();
        if !of_kind.is_empty() {
            let (w, h) = kind.stored_size(full);
            kinds.push((kind, w, h, of_kind.len(), of_kind.iter().map(|w| w.2).sum()));
        }
    }
    Ok(PhotoSetSummary {
        kinds,
        elapsed: started.elapsed(),
        threads,
    })
}
