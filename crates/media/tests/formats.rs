//! HEIF, AVIF, JPEG XL and camera raw files made by real encoders
//! (`tests/fixtures/scripts/make_formats.py`), each compared with an independent reference
//! decoder's pixels (`tests/fixtures/formats/reference/*.png`): pillow-heif, Pillow's AVIF
//! plugin, djxl, rawpy, or the embedded JPEG exiftool extracts decoded by Pillow.

use std::path::{Path, PathBuf};

use glimpse_media::{Format, MediaError, decode, decode_scaled, is_candidate, sniff};
use image::DynamicImage;

/// The bar: mean absolute difference of 2/255 per sample, after orientation.
const MAX_MEAN_ABS_DIFF: f64 = 2.0;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/formats")
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decoded(name: &str) -> glimpse_media::Decoded {
    let path = dir().join(name);
    let photo = decode(&path, &read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    // GLIMPSE_DUMP=folder keeps our decodes, to look at a difference with the reference.
    if let Some(out) = std::env::var_os("GLIMPSE_DUMP") {
        let out = Path::new(&out).join(format!("{name}.png"));
        photo
            .image
            .save(&out)
            .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
    photo
}

fn reference(name: &str) -> DynamicImage {
    let path = dir().join("reference").join(format!("{name}.png"));
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Mean absolute difference over every sample (RGB, plus alpha when the reference has it),
/// in 8-bit levels, and the largest single difference.
fn mean_abs_diff(ours: &DynamicImage, reference: &DynamicImage) -> (f64, u8) {
    assert_eq!(
        (ours.width(), ours.height()),
        (reference.width(), reference.height()),
        "decoded size differs from the reference decoder's"
    );
    let (a, b) = if reference.color().has_alpha() {
        (ours.to_rgba8().into_raw(), reference.to_rgba8().into_raw())
    } else {
        (ours.to_rgb8().into_raw(), reference.to_rgb8().into_raw())
    };
    let mut sum = 0u64;
    let mut max = 0u8;
    for (x, y) in a.iter().zip(&b) {
        let d = x.abs_diff(*y);
        sum += u64::from(d);
        max = max.max(d);
    }
    (sum as f64 / a.len() as f64, max)
}

fn assert_matches_reference(name: &str, format: Format) -> glimpse_media::Decoded {
    let photo = decoded(name);
    assert_eq!(photo.format, format, "{name}");
    let (mad, max) = mean_abs_diff(&photo.image, &reference(name));
    eprintln!("{name}: {format}, mean abs diff {mad:.3}/255, max {max}");
    assert!(
        mad <= MAX_MEAN_ABS_DIFF,
        "{name}: mean abs diff {mad:.3}/255 from the reference decoder"
    );
    assert_eq!(
        (photo.width, photo.height),
        (photo.image.width(), photo.image.height())
    );
    photo
}

#[test]
fn heic_matches_pillow_heif() {
    let photo = assert_matches_reference("chelsea.heic", Format::Heif);
    assert_eq!(photo.metadata.camera_make.as_deref(), Some("Apple"));
    assert_eq!(photo.metadata.camera_model.as_deref(), Some("iPhone 13"));
    // 2023-05-01 09:15:00 at UTC−4.
    assert_eq!(photo.metadata.taken_at, Some(1_682_946_900));
}

#[test]
fn ten_bit_heic_matches_pillow_heif() {
    assert_matches_reference("coffee-10bit.heic", Format::Heif);
}

/// Three top-level images with the photo second and marked primary, a thumbnail, an `irot`
/// rotation and an EXIF Orientation of 6 as iPhones write both: the primary image with the
/// transform applied once, as libheif (through pillow-heif) shows it.
#[test]
fn multi_image_heic_decodes_its_primary_image_with_the_transform_applied_once() {
    let photo = assert_matches_reference("iphone-multi.heic", Format::Heif);
    assert_eq!((photo.width, photo.height), (320, 213));
    assert_eq!(photo.metadata.taken_at, Some(1_720_974_725)); // 2024-07-14 18:32:05 +02:00
}

#[test]
fn avif_of_every_bit_depth_matches_pillow() {
    for name in ["coffee-8bit.avif", "coffee-10bit.avif", "coffee-12bit.avif"] {
        assert_matches_reference(name, Format::Avif);
    }
}

#[test]
fn avif_keeps_its_alpha() {
    let photo = assert_matches_reference("alpha.avif", Format::Avif);
    assert!(photo.image.color().has_alpha());
    let alpha = photo.image.to_rgba8();
    assert!(alpha.pixels().any(|p| p[3] < 16), "transparent pixels");
    assert!(alpha.pixels().any(|p| p[3] > 240), "opaque pixels");
}

#[test]
fn jpeg_xl_matches_libjxl() {
    assert_matches_reference("chelsea-lossy.jxl", Format::JpegXl);
    assert_matches_reference("coffee-lossless.jxl", Format::JpegXl);
}

#[test]
fn jpeg_xl_applies_its_orientation_and_reads_its_exif() {
    let photo = assert_matches_reference("rotated-from-jpeg.jxl", Format::JpegXl);
    assert_eq!((photo.width, photo.height), (213, 320));
    assert_eq!(photo.metadata.camera_make.as_deref(), Some("Google"));
    assert_eq!(photo.metadata.taken_at, Some(1_720_974_725));
}

/// The DNG a converter writes: a JPEG preview in IFD0, the sensor data in a SubIFD. The
/// preview is what is indexed, turned by the DNG's orientation (6).
#[test]
fn dng_is_indexed_from_its_embedded_preview_turned_by_the_raw_orientation() {
    let photo = assert_matches_reference("with-preview.dng", Format::Dng);
    assert_eq!((photo.width, photo.height), (213, 320));
    assert_eq!(photo.metadata.orientation, 6);
    assert_eq!(photo.metadata.camera_make.as_deref(), Some("Glimpse"));
    // 2022-03-04 05:06:07, no offset: the camera's wall clock stored as UTC.
    assert_eq!(photo.metadata.taken_at, Some(1_646_370_367));
}

/// Demosaicing guesses two of every three colours at each pixel, and every algorithm
/// guesses differently at edges: on this detailed 320-pixel picture LibRaw's own LINEAR,
/// AHD, PPG, VNG and DCB differ from one another by 3.2–3.9/255 (mean abs). A developed
/// raw is held to that spread, and its colours (per-channel means) to 1.5 levels (LibRaw's
/// LINEAR and AHD differ by 1.3 in the blue mean here).
const MAX_DEMOSAIC_MEAN_ABS_DIFF: f64 = 3.5;

/// A DNG with sensor data only: developed (demosaiced, white-balanced, sRGB) by rawler.
#[test]
fn dng_without_preview_is_developed_close_to_libraw() {
    let photo = decoded("sensor-only.dng");
    assert_eq!(photo.format, Format::Dng);
    let reference = reference("sensor-only.dng");
    let (mad, max) = mean_abs_diff(&photo.image, &reference);
    eprintln!("sensor-only.dng: developed, mean abs diff {mad:.3}/255, max {max}");
    assert!(
        mad <= MAX_DEMOSAIC_MEAN_ABS_DIFF,
        "mean abs diff {mad:.3}/255 from rawpy"
    );
    let means = |img: &DynamicImage| {
        let rgb = img.to_rgb8();
        let n = f64::from(rgb.width() * rgb.height());
        let mut sum = [0f64; 3];
        for p in rgb.pixels() {
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
        sum.map(|s| s / n)
    };
    let (ours, theirs) = (means(&photo.image), means(&reference));
    for c in 0..3 {
        assert!(
            (ours[c] - theirs[c]).abs() <= 1.5,
            "channel {c}: {ours:?} vs {theirs:?}"
        );
    }
}

/// Real camera files from ExifTool's test set whose previews survived its author's
/// stripping: the largest embedded JPEG, as exiftool extracts it.
#[test]
fn camera_raw_previews_match_the_embedded_jpeg() {
    let photo = assert_matches_reference("exiftool-FujiFilm.raf", Format::Raf);
    assert_eq!(photo.metadata.camera_make.as_deref(), Some("Fujifilm"));
    assert_eq!(photo.metadata.taken_at, Some(1_179_842_310)); // 2007-05-22 13:58:30
    // Its large preview is cut before its end and its sensor data is gone; a complete 8×8
    // JPEG survives, which exiftool does not extract (so there is no pixel reference).
    let photo = decoded("exiftool-Panasonic.rw2");
    assert_eq!(photo.format, Format::Rw2);
    assert_eq!(photo.metadata.camera_model.as_deref(), Some("DMC-LX3"));
    assert_eq!(photo.metadata.taken_at, Some(1_218_036_116)); // 2008-08-06 15:21:56
}

/// The same test set's CR2, CR3, NEF and DNG have their image data and previews replaced by
/// a few placeholder bytes: recognised, and refused with a reason that says so.
#[test]
fn camera_raws_without_any_image_are_refused_with_a_reason() {
    for (name, format) in [
        ("exiftool-CanonRaw.cr2", Format::Cr2),
        ("exiftool-CanonRaw.cr3", Format::Cr3),
        ("exiftool-Nikon.nef", Format::Nef),
        ("exiftool-DNG.dng", Format::Dng),
    ] {
        let bytes = read(name);
        assert_eq!(sniff(&bytes), Some(format), "{name}");
        let err = decode(&dir().join(name), &bytes).expect_err(name);
        assert!(err.is_per_file(), "{name}: {err}");
        let reason = err.reason();
        eprintln!("{name}: {reason}");
        assert!(
            matches!(err, MediaError::Corrupt { format: f, .. } if f == format),
            "{name}: {reason}"
        );
        assert!(reason.contains("no embedded preview"), "{name}: {reason}");
    }
}

#[test]
fn every_fixture_is_sniffed_from_its_bytes() {
    for (name, format) in [
        ("chelsea.heic", Format::Heif),
        ("iphone-multi.heic", Format::Heif),
        ("coffee-8bit.avif", Format::Avif),
        ("alpha.avif", Format::Avif),
        ("chelsea-lossy.jxl", Format::JpegXl),
        ("rotated-from-jpeg.jxl", Format::JpegXl),
        ("sensor-only.dng", Format::Dng),
        ("with-preview.dng", Format::Dng),
        ("exiftool-FujiFilm.raf", Format::Raf),
        ("exiftool-Panasonic.rw2", Format::Rw2),
    ] {
        assert_eq!(sniff(&read(name)), Some(format), "{name}");
        assert!(is_candidate(&dir().join(name)), "{name}");
    }
}

/// A cut-off or damaged file of every new format is refused per file with a reason, or
/// decoded from what survives (a raw whose preview comes before the cut); it never panics
/// and never reports a store failure.
#[test]
fn truncated_and_damaged_files_of_every_format_are_per_file_failures() {
    let names = [
        "chelsea.heic",
        "iphone-multi.heic",
        "coffee-10bit.heic",
        "coffee-8bit.avif",
        "coffee-12bit.avif",
        "alpha.avif",
        "chelsea-lossy.jxl",
        "coffee-lossless.jxl",
        "sensor-only.dng",
        "with-preview.dng",
        "exiftool-FujiFilm.raf",
        "exiftool-Panasonic.rw2",
        "exiftool-CanonRaw.cr3",
    ];
    for name in names {
        let bytes = read(name);
        let path = dir().join(name);
        for keep in [bytes.len() / 2, bytes.len() / 10, 64, 16] {
            let cut = &bytes[..keep.min(bytes.len())];
            match decode(&path, cut) {
                Ok(photo) => eprintln!("{name} cut to {keep}: decoded {photo:?}"),
                Err(e) => {
                    assert!(e.is_per_file(), "{name} cut to {keep}: {e}");
                    eprintln!("{name} cut to {keep}: {}", e.reason());
                }
            }
        }
        // Flip bytes in the middle third: the data is damaged, the header intact.
        let mut damaged = bytes.clone();
        let (start, end) = (bytes.len() / 3, 2 * bytes.len() / 3);
        for b in damaged[start..end].iter_mut().step_by(7) {
            *b ^= 0x5A;
        }
        if let Err(e) = decode(&path, &damaged) {
            assert!(e.is_per_file(), "{name} damaged: {e}");
        }
    }
    // Where nothing usable survives the cut, the file is refused, not shown half grey.
    for name in ["chelsea.heic", "coffee-8bit.avif", "chelsea-lossy.jxl"] {
        let bytes = read(name);
        let err = decode(&dir().join(name), &bytes[..bytes.len() / 2])
            .expect_err(&format!("{name} cut in half"));
        assert!(err.is_per_file());
    }
}

#[test]
fn image_extensions_glimpse_cannot_decode_are_candidates_refused_with_their_name() {
    let tmp = Path::new("/photos");
    for (file, expected) in [
        ("scan.psd", "unsupported image format: Photoshop PSD"),
        ("IMG_0001.X3F", "unsupported image format: Sigma X3F raw"),
        ("old.crw", "unsupported image format: Canon CRW raw"),
        ("render.exr", "unsupported image format: OpenEXR"),
    ] {
        let path = tmp.join(file);
        assert!(is_candidate(&path), "{file} is taken by the scanner");
        // Bytes no decoder recognises: the extension names the format.
        let err = decode(&path, b"\x01\x02\x03 not a format Glimpse knows").expect_err(file);
        assert_eq!(err.reason(), expected, "{file}");
    }
    assert!(!is_candidate(&tmp.join("notes.txt")));
    assert!(!is_candidate(&tmp.join("clip.mov")));
}

/// The indexer's scaled decode of a raw preview keeps the full size in `width`/`height`
/// and gives the same picture as the full decode.
#[test]
fn scaled_decode_of_a_raw_preview_keeps_the_full_size() {
    let path = dir().join("with-preview.dng");
    let bytes = read("with-preview.dng");
    let need = glimpse_media::MinSize {
        short_edge: 50,
        long_edge: 60,
    };
    let scaled = decode_scaled(&path, &bytes, need).expect("scaled");
    assert_eq!((scaled.width, scaled.height), (213, 320));
    assert!(scaled.scale_denominator > 1, "{scaled:?}");
    assert!(scaled.image.height() < 320);
}
