//! EXIF metadata read from JPEGs whose EXIF block is built by hand, byte by byte.

use std::path::Path;

use glimpse_media::decode;
use image::{DynamicImage, ImageFormat};

use super::{decode_fixture, encode, pattern};

/// One IFD at `start` (absolute offset in the TIFF): the entry table, the next-IFD link
/// (0) and the out-of-line values right after it. Entries: (tag, type, count, value bytes).
fn ifd(start: u32, entries: &[(u16, u16, u32, Vec<u8>)]) -> Vec<u8> {
    let table_len = 2 + entries.len() * 12 + 4;
    let mut table = (entries.len() as u16).to_le_bytes().to_vec();
    let mut data = Vec::new();
    for (tag, kind, count, value) in entries {
        table.extend_from_slice(&tag.to_le_bytes());
        table.extend_from_slice(&kind.to_le_bytes());
        table.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            table.extend_from_slice(&inline);
        } else {
            let offset = start + table_len as u32 + data.len() as u32;
            table.extend_from_slice(&offset.to_le_bytes());
            data.extend_from_slice(value);
            if data.len() % 2 == 1 {
                data.push(0); // values start on word boundaries
            }
        }
    }
    table.extend_from_slice(&0u32.to_le_bytes());
    table.extend_from_slice(&data);
    table
}

fn ascii(text: &str) -> (u32, Vec<u8>) {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    (bytes.len() as u32, bytes)
}

/// A little-endian TIFF/EXIF block: IFD0 {Make, Model, Orientation, ExifIFD} and the Exif
/// IFD {DateTimeOriginal, OffsetTimeOriginal?}.
fn exif_block(
    make: &str,
    model: &str,
    date: &str,
    offset: Option<&str>,
    orientation: u16,
) -> Vec<u8> {
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    let ifd0_entries = |exif_at: u32| {
        let (make_n, make_b) = ascii(make);
        let (model_n, model_b) = ascii(model);
        vec![
            (0x010F, ASCII, make_n, make_b),
            (0x0110, ASCII, model_n, model_b),
            (0x0112, SHORT, 1, orientation.to_le_bytes().to_vec()),
            (0x8769, LONG, 1, exif_at.to_le_bytes().to_vec()),
        ]
    };
    let ifd0_len = ifd(8, &ifd0_entries(0)).len() as u32;
    let exif_at = 8 + ifd0_len;
    let (date_n, date_b) = ascii(date);
    let mut exif_entries = vec![(0x9003, ASCII, date_n, date_b)];
    if let Some(offset) = offset {
        let (n, b) = ascii(offset);
        exif_entries.push((0x9011, ASCII, n, b));
    }
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend(ifd(8, &ifd0_entries(exif_at)));
    tiff.extend(ifd(exif_at, &exif_entries));
    tiff
}

/// A real JPEG with an APP1 "Exif" segment inserted right after SOI.
fn jpeg_with_exif(width: u32, height: u32, exif: &[u8]) -> Vec<u8> {
    let plain = encode(
        &DynamicImage::ImageRgb8(pattern(width, height)),
        ImageFormat::Jpeg,
    );
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + exif.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

#[test]
fn exif_date_make_and_model_are_read_from_a_handmade_jpeg() {
    let exif = exif_block(
        "  Glimpse Optics ",
        "Model Z 7",
        "2021:07:04 15:30:45",
        Some("+02:00"),
        1,
    );
    let decoded = decode(Path::new("exif.jpg"), &jpeg_with_exif(40, 20, &exif)).expect("decodes");
    let m = &decoded.metadata;
    assert_eq!(
        m.camera_make.as_deref(),
        Some("Glimpse Optics"),
        "make, trimmed"
    );
    assert_eq!(m.camera_model.as_deref(), Some("Model Z 7"));
    assert_eq!(
        m.taken_at,
        Some(1_625_405_445),
        "15:30:45+02:00 is 13:30:45 UTC"
    );
    assert_eq!(m.orientation, 1);

    // Without an offset the wall-clock time is stored as naive UTC.
    let exif = exif_block("A", "B", "2021:07:04 15:30:45", None, 1);
    let decoded = decode(Path::new("exif.jpg"), &jpeg_with_exif(40, 20, &exif)).unwrap();
    assert_eq!(decoded.metadata.taken_at, Some(1_625_412_645));

    // Negative offsets cross midnight and the year boundary.
    let exif = exif_block("A", "B", "2019:12:31 23:59:59", Some("-05:00"), 1);
    let decoded = decode(Path::new("exif.jpg"), &jpeg_with_exif(40, 20, &exif)).unwrap();
    assert_eq!(decoded.metadata.taken_at, Some(1_577_854_799));
}

#[test]
fn exif_orientation_in_a_handmade_jpeg_rotates_the_pixels() {
    let exif = exif_block("A", "B", "2020:01:01 00:00:00", None, 6);
    let decoded = decode(Path::new("rot.jpg"), &jpeg_with_exif(40, 20, &exif)).unwrap();
    assert_eq!(decoded.metadata.orientation, 6);
    assert_eq!(
        (decoded.width, decoded.height),
        (20, 40),
        "orientation 6 turns 40×20 upright"
    );
}

#[test]
fn broken_or_absent_exif_is_not_an_error() {
    let garbage = b"II*\0\xff\xff\xff\x7fgarbage that is not an IFD".to_vec();
    let decoded = decode(Path::new("bad-exif.jpg"), &jpeg_with_exif(40, 20, &garbage))
        .expect("a broken EXIF block must not cost the photo");
    assert_eq!(decoded.metadata, glimpse_media::Metadata::default());
    assert_eq!((decoded.width, decoded.height), (40, 20));
    let plain = decode_fixture("skimage_chelsea.png");
    assert_eq!(plain.metadata.taken_at, None);
    assert_eq!(plain.metadata.orientation, 1);
}
