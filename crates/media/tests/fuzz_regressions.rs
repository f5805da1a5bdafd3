//! Regression tests from fuzzing `decode` and the EXIF path (`fuzz/fuzz_targets/decode.rs`
//! and `sniff_and_exif.rs`, results in docs/RELIABILITY.md).
//!
//! The `sniff_and_exif` target splices arbitrary bytes as an APP1 "Exif" segment into a
//! valid JPEG and requires the photo to still decode with an orientation in 1–8: metadata
//! must never cost a photo. These are the hostile EXIF shapes that target was seeded with
//! or reached, kept as fixed cases.

use std::path::{Path, PathBuf};

use glimpse_media::{Format, decode};

mod tiff_bytes;
use tiff_bytes::tiff;

fn base_jpeg() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/shapes/yellow-circle-003.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `payload` as the EXIF of a real JPEG, after its JFIF APP0 segment (as cameras write it).
fn with_exif(payload: &[u8]) -> Vec<u8> {
    let base = base_jpeg();
    assert_eq!(&base[..4], &[0xFF, 0xD8, 0xFF, 0xE0], "SOI then APP0");
    let at = 4 + usize::from(u16::from_be_bytes([base[4], base[5]]));
    let mut jpeg = base[..at].to_vec();
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    let len = u16::try_from(2 + 6 + payload.len()).expect("payload fits one segment");
    jpeg.extend_from_slice(&len.to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(payload);
    jpeg.extend_from_slice(&base[at..]);
    jpeg
}

const ORIENTATION: u16 = 0x0112;
const MAKE: u16 = 0x010F;
const EXIF_IFD: u16 = 0x8769;
const SHORT: u16 = 3;
const ASCII: u16 = 2;
const LONG: u16 = 4;

#[test]
fn hostile_exif_never_costs_the_photo() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty payload", vec![]),
        ("TIFF magic only", b"II*\0".to_vec()),
        ("IFD offset past the end", {
            let mut t = b"MM\0*".to_vec();
            t.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
            t
        }),
        (
            "IFD0 chained to itself",
            tiff(&[(MAKE, ASCII, 4, 0x0041_4141)], 8, &[]),
        ),
        (
            "Exif IFD pointing back at IFD0",
            tiff(&[(EXIF_IFD, LONG, 1, 8)], 0, &[]),
        ),
        (
            "ASCII value with a huge count",
            tiff(&[(MAKE, ASCII, u32::MAX, 8)], 0, &[]),
        ),
        ("orientation 0", tiff(&[(ORIENTATION, SHORT, 1, 0)], 0, &[])),
        ("orientation 9", tiff(&[(ORIENTATION, SHORT, 1, 9)], 0, &[])),
        (
            "orientation 65535",
            tiff(&[(ORIENTATION, SHORT, 1, 0xFFFF)], 0, &[]),
        ),
        (
            "orientation as LONG with count 1000",
            tiff(&[(ORIENTATION, LONG, 1000, 8)], 0, &[]),
        ),
        ("65535 entries declared, none present", {
            let mut t = b"II*\0".to_vec();
            t.extend_from_slice(&8u32.to_le_bytes());
            t.extend_from_slice(&u16::MAX.to_le_bytes());
            t
        }),
        ("random bytes", {
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            (0..600)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect()
        }),
    ];
    for (what, payload) in cases {
        let decoded = decode(Path::new("exif.jpg"), &with_exif(&payload))
            .unwrap_or_else(|e| panic!("{what}: the photo must still decode, got {e}"));
        assert_eq!(decoded.format, Format::Jpeg, "{what}");
        assert!(
            (1..=8).contains(&decoded.metadata.orientation),
            "{what}: orientation {} is not 1-8",
            decoded.metadata.orientation
        );
        assert!(
            decoded.width > 0 && decoded.height > 0,
            "{what}: {}x{}",
            decoded.width,
            decoded.height
        );
    }
}

#[test]
fn a_valid_exif_block_spliced_the_same_way_is_read() {
    // The positive control for the cases above: the splice itself is sound.
    let make = b"Canon\0\0\0";
    let mut payload = tiff(&[(MAKE, ASCII, 6, 26), (ORIENTATION, SHORT, 1, 6)], 0, &[]);
    assert_eq!(payload.len(), 38);
    // Entries sit at 10 and 22; the value area starts at 38, so point Make there instead.
    payload[18..22].copy_from_slice(&38u32.to_le_bytes());
    payload.extend_from_slice(make);
    let decoded = decode(Path::new("exif.jpg"), &with_exif(&payload)).expect("decodes");
    assert_eq!(decoded.metadata.camera_make.as_deref(), Some("Canon"));
    assert_eq!(decoded.metadata.orientation, 6, "rotated 90° clockwise");
    let base = decode(Path::new("base.jpg"), &base_jpeg()).expect("base decodes");
    assert_eq!(
        (decoded.width, decoded.height),
        (base.height, base.width),
        "orientation 6 swaps width and height"
    );
}
