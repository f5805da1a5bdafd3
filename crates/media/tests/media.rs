//! Integration tests for glimpse-media: real fixture files, inputs generated here, and the
//! public API only.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use glimpse_media::{
    Decoded, Format, MAX_DECODE_PIXELS, MAX_FILE_BYTES, MediaError, THUMBNAIL_MAX_EDGE_PX,
    content_hash, decode, encode_thumbnail_jpeg, is_candidate, read_file, sniff, thumbnail,
    to_rgb8_on_white, write_atomic,
};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

// ---------------------------------------------------------------------------------------
// helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn clip_images() -> PathBuf {
    fixtures().join("clip-reference/images")
}

fn read_fixture(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: cannot read fixture: {e}", path.display()))
}

fn decode_fixture(name: &str) -> Decoded {
    let path = clip_images().join(name);
    decode(&path, &read_fixture(&path)).unwrap_or_else(|e| panic!("{name} must decode: {e}"))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&read_fixture(path)).expect("fixture JSON parses")
}

/// A deterministic, non-trivial picture (gradients plus a diagonal) so JPEG and friends
/// have real content to encode.
fn pattern(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let r = (x * 255 / width.max(1)) as u8;
        let g = (y * 255 / height.max(1)) as u8;
        let b = if (x + y) % 32 < 16 { 200 } else { 30 };
        Rgb([r, g, b])
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("encoding {format:?} in the test failed: {e}"));
    out.into_inner()
}

fn expect_err(name: &str, bytes: &[u8]) -> MediaError {
    match decode(Path::new(name), bytes) {
        Ok(d) => panic!("{name} must not decode, got {d:?}"),
        Err(e) => e,
    }
}

/// Mean of each RGB channel after alpha is composited onto white (what the reference's
/// `decoded_rgb_mean_0_255` measures).
fn mean_rgb(img: &DynamicImage) -> [f64; 3] {
    let flat = to_rgb8_on_white(img);
    let mut sum = [0f64; 3];
    for px in flat.pixels() {
        for c in 0..3 {
            sum[c] += f64::from(px[c]);
        }
    }
    let n = f64::from(flat.width()) * f64::from(flat.height());
    sum.map(|s| s / n)
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "images to compare must have the same size"
    );
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

// ---------------------------------------------------------------------------------------
// fixtures

#[test]
fn every_clip_reference_image_decodes_to_the_reference_size_and_colour() {
    let reference = json(&fixtures().join("clip-reference/reference.json"));
    let images = reference["images"]
        .as_array()
        .expect("reference.json has images");
    assert!(
        images.len() >= 20,
        "expected the full fixture set, got {}",
        images.len()
    );
    for entry in images {
        let name = entry["file"].as_str().expect("file name");
        let size = entry["decoded_size"].as_array().expect("decoded_size");
        let expected = (
            size[0].as_u64().unwrap() as u32,
            size[1].as_u64().unwrap() as u32,
        );
        let decoded = decode_fixture(name);
        assert_eq!(
            (decoded.width, decoded.height),
            expected,
            "{name}: oriented size must match the reference decoder (PIL + exif_transpose)"
        );
        assert_eq!(
            (decoded.image.width(), decoded.image.height()),
            expected,
            "{name}: Decoded.width/height must describe Decoded.image"
        );
        // Mean colour after flattening on white catches alpha dropped instead of
        // composited, and channel or colour-space mix-ups. Decoders round differently
        // (zune-jpeg vs libjpeg, CMYK conversion), hence the tolerance.
        let want: Vec<f64> = entry["decoded_rgb_mean_0_255"]
            .as_array()
            .expect("decoded_rgb_mean_0_255")
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let got = mean_rgb(&decoded.image);
        for c in 0..3 {
            assert!(
                (got[c] - want[c]).abs() < 2.0,
                "{name}: channel {c} mean {:.2} differs from reference {:.2}",
                got[c],
                want[c]
            );
        }
    }
}

#[test]
fn exif_orientation_fixtures_come_out_upright() {
    // The orientation fixtures are the chelsea photo stored rotated/flipped with an EXIF
    // tag saying how to undo it; decoded correctly they look like the PNG original.
    let upright = decode_fixture("skimage_chelsea.png").image.to_rgb8();
    for (name, tag) in [
        ("edge_exif_orientation3.jpg", 3),
        ("edge_exif_orientation6.jpg", 6),
        ("edge_exif_orientation8.jpg", 8),
    ] {
        let decoded = decode_fixture(name);
        assert_eq!(decoded.metadata.orientation, tag, "{name}: orientation tag");
        let diff = mean_abs_diff(&decoded.image.to_rgb8(), &upright);
        assert!(
            diff < 8.0,
            "{name}: decoded pixels differ from the upright original by {diff:.1} levels on \
             average; the orientation was applied wrongly"
        );
    }
    // And the raw JPEG of orientation 6 really is stored sideways (300×451).
    let images = json(&clip_images().join("images.json"));
    let raw = images["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "edge_exif_orientation6.jpg")
        .expect("images.json lists edge_exif_orientation6.jpg");
    let decoded = decode_fixture("edge_exif_orientation6.jpg");
    assert_eq!(
        (
            raw["width"].as_u64().unwrap() as u32,
            raw["height"].as_u64().unwrap() as u32
        ),
        (decoded.height, decoded.width),
        "orientation 6 must swap the stored width and height"
    );
}

#[test]
fn animated_gif_decodes_its_first_frame() {
    let decoded = decode_fixture("edge_animated.gif");
    assert_eq!(decoded.format, Format::Gif);
    assert_eq!((decoded.width, decoded.height), (741, 500));
}

#[test]
fn every_shapes_fixture_decodes_with_the_format_of_its_extension() {
    let dir = fixtures().join("shapes");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("shapes fixture folder") {
        let path = entry.expect("dir entry").path();
        if !is_candidate(&path) {
            continue;
        }
        let decoded = decode(&path, &read_fixture(&path))
            .unwrap_or_else(|e| panic!("{} must decode: {e}", path.display()));
        let ext = path
            .extension()
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            decoded.format.extensions().contains(&ext.as_str()),
            "{}: sniffed {} but the extension says {ext}",
            path.display(),
            decoded.format
        );
        assert!(decoded.width > 0 && decoded.height > 0);
        count += 1;
    }
    assert_eq!(
        count, 240,
        "all 240 shapes images are candidates and decode"
    );
}

// ---------------------------------------------------------------------------------------
// sniffing and candidates

#[test]
fn every_supported_format_is_sniffed_and_round_trips() {
    let img = DynamicImage::ImageRgb8(pattern(37, 23));
    for (format, image_format) in [
        (Format::Jpeg, ImageFormat::Jpeg),
        (Format::Png, ImageFormat::Png),
        (Format::WebP, ImageFormat::WebP),
        (Format::Gif, ImageFormat::Gif),
        (Format::Bmp, ImageFormat::Bmp),
        (Format::Tiff, ImageFormat::Tiff),
    ] {
        let bytes = encode(&img, image_format);
        assert_eq!(
            sniff(&bytes),
            Some(format),
            "{format} bytes must sniff as {format}"
        );
        let decoded = decode(Path::new("x.bin"), &bytes)
            .unwrap_or_else(|e| panic!("generated {format} must decode: {e}"));
        assert_eq!(
            (decoded.format, decoded.width, decoded.height),
            (format, 37, 23)
        );
    }
}

#[test]
fn png_renamed_to_jpg_decodes_as_png() {
    let bytes = read_fixture(&clip_images().join("skimage_coffee.png"));
    let decoded = decode(Path::new("holiday.jpg"), &bytes).expect("content decides, not the name");
    assert_eq!(decoded.format, Format::Png);
    assert_eq!((decoded.width, decoded.height), (600, 400));
}

#[test]
fn is_candidate_filters_extensions_and_hidden_or_temp_files() {
    for yes in [
        "a.jpg",
        "b.JPEG",
        "c.Jpe",
        "d.png",
        "e.webp",
        "f.GIF",
        "g.bmp",
        "h.tif",
        "i.TIFF",
        "/deep/folder/.hidden-folder/j.jpg",
        "photo.heic",
        "IMG_1234.CR3",
        "scan.psd",
    ] {
        assert!(is_candidate(Path::new(yes)), "{yes} should be a candidate");
    }
    for no in [
        "notes.txt",
        "IMG_0001",
        "clip.mp4",
        "photo.jpg.part",
        ".hidden.jpg",
        "._IMG_0001.JPG",
        "~$draft.png",
        "backup.jpg~",
        "/photos/",
        "jpg",
    ] {
        assert!(
            !is_candidate(Path::new(no)),
            "{no} should not be a candidate"
        );
    }
}

// ---------------------------------------------------------------------------------------
// errors

#[test]
fn zero_bytes_random_bytes_and_text_are_refused_with_readable_reasons() {
    let empty = expect_err("empty.jpg", b"");
    assert!(matches!(empty, MediaError::Empty { .. }), "{empty:?}");
    assert_eq!(empty.reason(), "empty file (0 bytes)");

    // xorshift: deterministic "random" bytes without a dependency.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let err = expect_err("noise.png", &random);
    assert!(matches!(err, MediaError::NotAnImage { .. }), "{err:?}");
    assert_eq!(err.reason(), "not an image");

    let err = expect_err(
        "letter.jpg",
        b"Dear Sir or Madam,\nplease find attached...\n",
    );
    assert!(matches!(err, MediaError::NotAnImage { .. }), "{err:?}");
    // "BM" alone must not make a text file a bitmap.
    let err = expect_err(
        "bm.bmp",
        b"BMW owners club newsletter, issue 12, spring edition",
    );
    assert!(matches!(err, MediaError::NotAnImage { .. }), "{err:?}");
}

#[test]
fn known_but_unsupported_formats_say_what_they_are() {
    let mut psd = b"8BPS".to_vec();
    psd.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 3]);
    let err = expect_err("scan.jpg", &psd);
    assert!(matches!(err, MediaError::Unsupported { .. }), "{err:?}");
    assert_eq!(err.reason(), "unsupported image format: Photoshop PSD");

    // A HEIC named .jpg is a HEIC (by its bytes); a header alone is a damaged one.
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let err = expect_err("iphone.jpg", &heic);
    assert!(
        matches!(
            err,
            MediaError::Corrupt {
                format: Format::Heif,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn truncated_files_of_every_format_are_corrupt_and_do_not_panic() {
    let generated = DynamicImage::ImageRgb8(pattern(300, 200));
    let cases: Vec<(String, Vec<u8>, Format)> = vec![
        (
            "sklearn_china.jpg".into(),
            read_fixture(&clip_images().join("sklearn_china.jpg")),
            Format::Jpeg,
        ),
        (
            "edge_progressive.jpg".into(),
            read_fixture(&clip_images().join("edge_progressive.jpg")),
            Format::Jpeg,
        ),
        (
            "skimage_chelsea.png".into(),
            read_fixture(&clip_images().join("skimage_chelsea.png")),
            Format::Png,
        ),
        (
            "edge_lossy.webp".into(),
            read_fixture(&clip_images().join("edge_lossy.webp")),
            Format::WebP,
        ),
        (
            "edge_lossless.webp".into(),
            read_fixture(&clip_images().join("edge_lossless.webp")),
            Format::WebP,
        ),
        (
            "edge_static.gif".into(),
            read_fixture(&clip_images().join("edge_static.gif")),
            Format::Gif,
        ),
        (
            "generated.tiff".into(),
            encode(&generated, ImageFormat::Tiff),
            Format::Tiff,
        ),
        (
            "generated.bmp".into(),
            encode(&generated, ImageFormat::Bmp),
            Format::Bmp,
        ),
    ];
    for (name, bytes, format) in cases {
        let half = &bytes[..bytes.len() / 2];
        let err = expect_err(&name, half);
        match &err {
            MediaError::Corrupt { format: f, .. } => assert_eq!(*f, format, "{name}"),
            other => panic!("{name} cut in half must be Corrupt, got {other:?}"),
        }
        let reason = err.reason();
        assert!(
            reason.starts_with(&format!("corrupt or truncated {format}: ")),
            "{name}: unexpected reason {reason:?}"
        );
        assert!(
            !reason.contains(&name),
            "the reason must not repeat the path: {reason:?}"
        );
        assert!(err.is_per_file(), "a corrupt file is a per-file error");
    }
}

/// A CRC-32 (IEEE) so the test can write a valid PNG header by hand.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[test]
fn png_claiming_100000_by_100000_is_refused_before_decoding() {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    // A tiny (incomplete) zlib stream: decoding it would fail, so TooLarge proves that the
    // size was checked first. 30 GB of pixels were never allocated either.
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00]);
    png_chunk(&mut png, b"IEND", &[]);

    let err = expect_err("bomb.png", &png);
    match &err {
        MediaError::TooLarge {
            width,
            height,
            max_pixels,
            ..
        } => {
            assert_eq!(
                (*width, *height, *max_pixels),
                (100_000, 100_000, MAX_DECODE_PIXELS)
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(
        err.reason(),
        "image is 100000×100000 pixels, over the 179 MP limit"
    );
    assert_eq!(
        err.to_string(),
        "bomb.png: image is 100000×100000 pixels, over the 179 MP limit"
    );
}

#[test]
fn mutated_fixtures_never_panic() {
    // A poor man's fuzzer: flip bytes in real files of every format. Any result is fine
    // except a panic escaping `decode` (which would fail this test).
    let mut sources: Vec<Vec<u8>> = [
        "edge_tiny_8x8.png",
        "edge_static.gif",
        "edge_lossy.webp",
        "edge_lossless.webp",
    ]
    .iter()
    .map(|n| read_fixture(&clip_images().join(n)))
    .collect();
    sources.push(read_fixture(&fixtures().join("shapes/red-circle-000.jpg")));
    let small = DynamicImage::ImageRgb8(pattern(24, 16));
    sources.push(encode(&small, ImageFormat::Tiff));
    sources.push(encode(&small, ImageFormat::Bmp));
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = [0usize; 2];
    for source in &sources {
        for _ in 0..40 {
            let mut bytes = source.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            match decode(Path::new("mutant"), &bytes) {
                Ok(_) => outcomes[0] += 1,
                Err(e) => {
                    assert!(!e.reason().is_empty());
                    outcomes[1] += 1;
                }
            }
        }
    }
    assert_eq!(outcomes[0] + outcomes[1], sources.len() * 40);
}

#[test]
fn read_file_reads_whole_files_and_refuses_missing_and_oversized_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, b"twelve bytes").unwrap();
    assert_eq!(read_file(&path).expect("readable"), b"twelve bytes");

    let missing = dir.path().join("gone.jpg");
    let err = read_file(&missing).expect_err("a missing file is an error");
    assert!(matches!(err, MediaError::Io { .. }), "{err:?}");
    assert!(
        err.reason().starts_with("cannot read file: "),
        "{}",
        err.reason()
    );
    assert!(
        err.to_string().contains("gone.jpg"),
        "Display names the path: {err}"
    );
    assert!(
        !err.reason().contains("gone.jpg"),
        "reason leaves the path out"
    );

    // A sparse file: 512 MiB + 1 byte on paper, nothing on disk, never read.
    let big = dir.path().join("huge.tif");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_FILE_BYTES + 1)
        .unwrap();
    let err = read_file(&big).expect_err("over the cap");
    assert!(matches!(err, MediaError::FileTooBig { bytes, .. } if bytes == MAX_FILE_BYTES + 1));
    assert_eq!(err.reason(), "file is 512 MiB, over the 512 MiB limit");
}

// ---------------------------------------------------------------------------------------
// thumbnails

#[test]
fn thumbnail_longest_edge_is_320_and_aspect_is_kept() {
    for (name, expected) in [
        ("edge_panorama_4000x500.jpg", (320, 40)),
        ("edge_tall_500x4000.jpg", (40, 320)),
        ("mate_freshflower.jpg", (320, 241)), // 1203 · 320 / 1600 = 240.6
        ("edge_alpha_rgba.png", (320, 213)),  // 400 · 320 / 600 = 213.3
        ("edge_gray16.png", (320, 320)),
    ] {
        let decoded = decode_fixture(name);
        let thumb = thumbnail(&decoded.image, THUMBNAIL_MAX_EDGE_PX);
        assert_eq!(thumb.dimensions(), expected, "{name}");
    }
}

#[test]
fn thumbnail_never_upscales_small_images() {
    for name in ["edge_tiny_8x8.png", "edge_tiny_1x1.png"] {
        let decoded = decode_fixture(name);
        let thumb = thumbnail(&decoded.image, THUMBNAIL_MAX_EDGE_PX);
        assert_eq!(
            thumb.dimensions(),
            (decoded.width, decoded.height),
            "{name}"
        );
        assert_eq!(
            thumb,
            decoded.image.to_rgb8(),
            "{name}: pixels must be unchanged"
        );
    }
    let exact = DynamicImage::ImageRgb8(pattern(320, 100));
    assert_eq!(
        thumbnail(&exact, 320).dimensions(),
        (320, 100),
        "already at the limit"
    );
}

#[test]
fn thumbnail_composites_alpha_onto_white() {
    // Transparent red everywhere except an opaque blue left half.
    let img = RgbaImage::from_fn(1000, 500, |x, _| {
        if x < 500 {
            Rgba([0, 0, 255, 255])
        } else {
            Rgba([255, 0, 0, 0])
        }
    });
    let thumb = thumbnail(&DynamicImage::ImageRgba8(img), 320);
    assert_eq!(thumb.dimensions(), (320, 160));
    assert_eq!(
        *thumb.get_pixel(300, 80),
        Rgb([255, 255, 255]),
        "transparent becomes white"
    );
    assert_eq!(
        *thumb.get_pixel(10, 80),
        Rgb([0, 0, 255]),
        "opaque stays as it is"
    );
    // Premultiplied resizing: the hidden red must not bleed into the seam.
    for x in 150..170 {
        let px = thumb.get_pixel(x, 80);
        assert!(
            px[0] >= px[1].saturating_sub(2),
            "no red/green cast at x={x}: {px:?}"
        );
        assert!(
            px[0].abs_diff(px[1]) <= 2,
            "the seam blends blue into white only: {px:?}"
        );
    }
}

#[test]
fn to_rgb8_on_white_composites_at_full_size_and_borrows_rgb8() {
    let rgba = RgbaImage::from_raw(3, 1, vec![0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 128])
        .expect("3×1 RGBA");
    let rgba = DynamicImage::ImageRgba8(rgba);
    let flat = to_rgb8_on_white(&rgba);
    assert_eq!(
        flat.as_raw(),
        &vec![0, 0, 255, 255, 255, 255, 127, 127, 127],
        "opaque blue stays, transparent red becomes white, half-transparent black is mid grey"
    );
    let rgb = DynamicImage::ImageRgb8(pattern(4, 4));
    assert!(
        matches!(to_rgb8_on_white(&rgb), std::borrow::Cow::Borrowed(_)),
        "8-bit RGB needs no copy"
    );
    let grey16 = DynamicImage::ImageLuma16(
        image::ImageBuffer::from_raw(3, 1, vec![0u16, 32_896, 65_535]).expect("3×1 L16"),
    );
    assert_eq!(
        to_rgb8_on_white(&grey16).as_raw(),
        &vec![0, 0, 0, 128, 128, 128, 255, 255, 255],
        "16-bit samples become round(v / 257), as the CLIP reference does"
    );
}

#[test]
fn thumbnail_jpeg_encodes_and_decodes_back() {
    let thumb = thumbnail(&DynamicImage::ImageRgb8(pattern(1280, 960)), 320);
    let jpeg = encode_thumbnail_jpeg(&thumb, 82).expect("encodes");
    assert_eq!(sniff(&jpeg), Some(Format::Jpeg));
    let back = decode(Path::new("thumb.jpg"), &jpeg).expect("our own JPEG decodes");
    assert_eq!((back.width, back.height), (320, 240));
    let diff = mean_abs_diff(&back.image.to_rgb8(), &thumb);
    assert!(
        diff < 6.0,
        "quality 82 should be close to the source, mean diff {diff:.2}"
    );
    assert!(
        encode_thumbnail_jpeg(&RgbImage::new(0, 0), 82).is_err(),
        "empty image"
    );
}

// ---------------------------------------------------------------------------------------
// atomic writes and hashes

#[test]
fn write_atomic_creates_parents_replaces_content_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("thumbs/ab/cd.jpg");
    write_atomic(&path, b"first version").expect("write");
    assert_eq!(std::fs::read(&path).unwrap(), b"first version");
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    write_atomic(&path, &big).expect("overwrite");
    assert_eq!(std::fs::read(&path).unwrap(), big, "content is complete");
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["cd.jpg".to_owned()],
        "no temporary files left behind"
    );

    // A destination whose parent is a file cannot be written: a store error.
    let blocked = dir.path().join("thumbs/ab/cd.jpg/inner.jpg");
    let err = write_atomic(&blocked, b"x").expect_err("parent is a file");
    assert!(matches!(err, MediaError::Write { .. }), "{err:?}");
    assert!(
        !err.is_per_file(),
        "thumbnail store failures stop the pipeline"
    );
}

#[test]
fn content_hash_is_stable_and_differs_for_different_bytes() {
    // BLAKE3 of the empty input, from the BLAKE3 specification's test vectors.
    assert_eq!(
        content_hash(b"").to_hex(),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    let bytes = read_fixture(&clip_images().join("skimage_rocket.jpg"));
    let a = content_hash(&bytes);
    assert_eq!(a, content_hash(&bytes.clone()), "same bytes, same hash");
    let mut changed = bytes.clone();
    *changed.last_mut().unwrap() ^= 1;
    assert_ne!(
        a,
        content_hash(&changed),
        "one flipped bit changes the hash"
    );
    assert_eq!(glimpse_media::ContentHash::from_hex(&a.to_hex()), Some(a));
    assert_eq!(glimpse_media::ContentHash::from_hex("not hex"), None);
}

// EXIF metadata from hand-built bytes: see media/exif.rs.
#[path = "media/exif.rs"]
mod exif;

// ---------------------------------------------------------------------------------------
// measurement (not a timing assertion)

/// `cargo test -p glimpse-media --test media -- --ignored --nocapture measure_12mp`
#[test]
#[ignore = "measurement: prints decode and thumbnail times for a 12 MP JPEG"]
fn measure_12mp_jpeg_decode_and_thumbnail() {
    let jpeg = encode(
        &DynamicImage::ImageRgb8(pattern(4000, 3000)),
        ImageFormat::Jpeg,
    );
    let runs = 5;
    let (mut decode_ms, mut thumb_ms, mut encode_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let decoded = decode(Path::new("12mp.jpg"), &jpeg).expect("decodes");
        decode_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = std::time::Instant::now();
        let thumb = thumbnail(&decoded.image, THUMBNAIL_MAX_EDGE_PX);
        thumb_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = std::time::Instant::now();
        let bytes = encode_thumbnail_jpeg(&thumb, 82).expect("encodes");
        encode_ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(thumb.dimensions(), (320, 240));
        assert!(!bytes.is_empty());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "12 MP JPEG ({} KiB): decode {:.0} ms, thumbnail {:.1} ms, encode {:.1} ms (median of {runs})",
        jpeg.len() / 1024,
        median(&mut decode_ms),
        median(&mut thumb_ms),
        median(&mut encode_ms)
    );
}
