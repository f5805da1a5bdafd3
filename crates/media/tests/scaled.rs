//! `decode_scaled`: large JPEGs decoded at 1/2–1/8 scale, everything else as `decode`.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use glimpse_media::{
    Format, MinSize, THUMBNAIL_MAX_EDGE_PX, decode, decode_scaled, thumbnail, to_rgb8_on_white,
};
use image::{DynamicImage, ImageFormat, RgbImage};

fn clip_images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clip-reference/images")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = clip_images().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Smooth colour ramps with a few hard edges, like a photo at this scale.
fn photo_like(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let edge = if (x / 97 + y / 61) % 2 == 0 { 40 } else { 0 };
        image::Rgb([
            (x * 200 / width) as u8 + edge,
            (y * 200 / height) as u8,
            ((x + y) * 120 / (width + height)) as u8 + edge,
        ])
    })
}

fn jpeg(img: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).expect("encode");
    out.into_inner()
}

/// Both images resized to exactly `w`×`h` (thumbnails of different source sizes may round
/// their short edge differently), then compared.
fn diff_at(a: &DynamicImage, b: &DynamicImage, w: u32, h: u32) -> f64 {
    let shrink = |img: &DynamicImage| {
        image::imageops::resize(
            to_rgb8_on_white(img).as_ref(),
            w,
            h,
            image::imageops::FilterType::Triangle,
        )
    };
    mean_abs_diff(&shrink(a), &shrink(b))
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "compared images differ in size"
    );
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// The indexer's need (CLIP short edge 224, 320-px thumbnails, 2× margin).
const INDEXER: MinSize = MinSize {
    short_edge: 448,
    long_edge: 640,
};

#[test]
fn scale_is_the_smallest_that_keeps_both_edges_above_the_need() {
    assert_eq!(MinSize::for_outputs(Some(224), 320), INDEXER);
    assert_eq!(MinSize::for_outputs(None, 320), MinSize::FULL);
    let at = |w, h| INDEXER.jpeg_scale_denominator(w, h);
    assert_eq!(
        at(4000, 3000),
        Some(4),
        "12 MP: 1000×750; 1/8 (500×375) is too small"
    );
    assert_eq!(at(3000, 4000), Some(4), "edges are compared short to short");
    assert_eq!(at(8000, 6000), Some(8), "48 MP: 1000×750");
    assert_eq!(at(1600, 1200), Some(2), "800×600");
    assert_eq!(at(1280, 896), Some(2), "640×448 is exactly enough");
    assert_eq!(at(1278, 896), None, "639 < 640 on the long edge");
    assert_eq!(
        at(4000, 500),
        None,
        "panorama: the short edge is already small"
    );
    assert_eq!(MinSize::FULL.jpeg_scale_denominator(60000, 60000), None);
}

#[test]
fn large_jpeg_decodes_scaled_reports_full_size_and_looks_the_same() {
    let original = DynamicImage::ImageRgb8(photo_like(2000, 1500));
    let bytes = jpeg(&original);
    let need = MinSize {
        short_edge: 300,
        long_edge: 400,
    };
    let scaled = decode_scaled(Path::new("big.jpg"), &bytes, need).expect("decodes scaled");
    assert_eq!(scaled.scale_denominator, 4, "1/4 gives 500×375 ≥ 400/300");
    assert_eq!(
        (scaled.width, scaled.height),
        (2000, 1500),
        "full size reported"
    );
    assert_eq!((scaled.image.width(), scaled.image.height()), (500, 375));
    assert_eq!(scaled.format, Format::Jpeg);

    let full = decode(Path::new("big.jpg"), &bytes).expect("decodes");
    assert_eq!(full.scale_denominator, 1);
    assert_eq!((full.image.width(), full.image.height()), (2000, 1500));
    // Both thumbnails are the same picture: a scaled IDCT is a box filter of the full image.
    let diff = mean_abs_diff(
        &thumbnail(&scaled.image, THUMBNAIL_MAX_EDGE_PX),
        &thumbnail(&full.image, THUMBNAIL_MAX_EDGE_PX),
    );
    assert!(
        diff < 2.0,
        "scaled and full thumbnails differ by {diff:.2} levels on average"
    );
}

#[test]
fn scaled_decode_applies_exif_orientation() {
    // Stored 300×451 sideways with orientation 6; 1/2 scale is 150×226 stored.
    let bytes = fixture("edge_exif_orientation6.jpg");
    let need = MinSize {
        short_edge: 100,
        long_edge: 200,
    };
    let scaled = decode_scaled(Path::new("o6.jpg"), &bytes, need).expect("decodes");
    let full = decode(Path::new("o6.jpg"), &bytes).expect("decodes");
    assert_eq!(scaled.scale_denominator, 2);
    assert_eq!(scaled.metadata.orientation, 6);
    assert_eq!((scaled.width, scaled.height), (full.width, full.height));
    assert_eq!(
        (full.width, full.height),
        (451, 300),
        "upright is landscape"
    );
    assert_eq!(
        (scaled.image.width(), scaled.image.height()),
        (226, 150),
        "the scaled pixels are rotated too"
    );
    let diff = diff_at(&scaled.image, &full.image, 100, 66);
    assert!(
        diff < 4.0,
        "rotated scaled decode differs from the full one by {diff:.2} levels: wrong rotation?"
    );
}

#[test]
fn grey_and_progressive_jpegs_scale_and_cmyk_falls_back_to_the_full_decode() {
    let small = MinSize {
        short_edge: 100,
        long_edge: 100,
    };
    let grey = decode_scaled(Path::new("g.jpg"), &fixture("edge_gray.jpg"), small).expect("grey");
    assert_eq!(grey.scale_denominator, 4, "640×427 -> 160×107");
    assert!(
        matches!(grey.image, DynamicImage::ImageLuma8(_)),
        "grey stays one channel, as the full decode gives it"
    );

    let bytes = fixture("edge_progressive.jpg");
    let progressive = decode_scaled(Path::new("p.jpg"), &bytes, small).expect("progressive");
    let full = decode(Path::new("p.jpg"), &bytes).expect("progressive");
    assert_eq!(progressive.scale_denominator, 4, "512×600 -> 128×150");
    let diff = diff_at(&progressive.image, &full.image, 64, 75);
    assert!(
        diff < 4.0,
        "progressive scaled decode is off by {diff:.2} levels"
    );

    // CMYK keeps the full decoder's colour conversion: identical pixels.
    let bytes = fixture("edge_cmyk.jpg");
    let cmyk = decode_scaled(Path::new("c.jpg"), &bytes, small).expect("cmyk");
    let full = decode(Path::new("c.jpg"), &bytes).expect("cmyk");
    assert_eq!(cmyk.scale_denominator, 1, "CMYK is not scaled");
    assert_eq!(
        to_rgb8_on_white(&cmyk.image).as_raw(),
        to_rgb8_on_white(&full.image).as_raw()
    );
}

#[test]
fn other_formats_and_small_jpegs_decode_exactly_as_decode_does() {
    let tiny = MinSize {
        short_edge: 1,
        long_edge: 1,
    };
    for name in ["skimage_coffee.png", "edge_lossy.webp", "edge_static.gif"] {
        let bytes = fixture(name);
        let scaled = decode_scaled(Path::new(name), &bytes, tiny).expect("decodes");
        let full = decode(Path::new(name), &bytes).expect("decodes");
        assert_eq!(scaled.scale_denominator, 1, "{name}: only JPEGs scale");
        assert_eq!(scaled.image, full.image, "{name}: pixels must be unchanged");
    }
    // A JPEG already smaller than the need is decoded as before, by the same decoder.
    let bytes = fixture("sklearn_china.jpg");
    let scaled = decode_scaled(Path::new("china.jpg"), &bytes, INDEXER).expect("decodes");
    let full = decode(Path::new("china.jpg"), &bytes).expect("decodes");
    assert_eq!(scaled.scale_denominator, 1);
    assert_eq!(
        scaled.image, full.image,
        "640×427 is below the need: no change"
    );
}

#[test]
fn scaled_decode_of_cut_short_or_mutated_jpegs_never_panics() {
    let need = MinSize {
        short_edge: 50,
        long_edge: 50,
    };
    let sources = [
        fixture("edge_progressive.jpg"),
        fixture("mate_freshflower.jpg"),
        fixture("edge_gray.jpg"),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for source in &sources {
        let cut = &source[..source.len() / 2];
        assert!(
            decode_scaled(Path::new("cut.jpg"), cut, need).is_err(),
            "a JPEG cut in half is corrupt"
        );
        for _ in 0..30 {
            let mut bytes = source.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            match decode_scaled(Path::new("mutant.jpg"), &bytes, need) {
                Ok(d) => {
                    decoded += 1;
                    assert!(d.image.width() > 0 && d.image.height() > 0);
                }
                Err(e) => assert!(!e.reason().is_empty()),
            }
        }
    }
    assert!(decoded > 0, "some lightly mutated JPEGs still decode");
}
