//! Format sniffing and EXIF reading on arbitrary bytes.
//!
//! The crate's EXIF reader (`metadata::read_metadata`) is private and runs only after a
//! successful decode, so this target reaches it two ways:
//! - through the public path: the fuzz bytes are spliced as an APP1 "Exif" segment into a
//!   small valid JPEG, which `decode` then orients (the `image` crate parses the EXIF
//!   orientation) and reads metadata from;
//! - directly: kamadak-exif's `read_from_container` with the same options as
//!   `read_metadata`, *without* its `catch_unwind`, so a parser panic that the app
//!   survives is still reported here.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// The smallest JPEG of the shapes fixtures: SOI (FF D8), then a JFIF APP0 segment.
const BASE_JPEG: &[u8] = include_bytes!("../../tests/fixtures/shapes/yellow-circle-003.jpg");

/// Where the APP1 segment goes: after the JFIF APP0 segment, as cameras write it.
fn app1_offset() -> usize {
    assert_eq!(
        &BASE_JPEG[..4],
        &[0xFF, 0xD8, 0xFF, 0xE0],
        "base JPEG starts SOI, APP0"
    );
    4 + usize::from(u16::from_be_bytes([BASE_JPEG[4], BASE_JPEG[5]]))
}

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let _ = glimpse_media::sniff(data);
    // A path made of the same bytes: `is_candidate` looks at names and extensions.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let _ = glimpse_media::is_candidate(Path::new(std::ffi::OsStr::from_bytes(data)));
    }

    // Direct: the EXIF parser on the raw bytes (TIFF-style EXIF, or any container).
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    if let Ok(exif) = reader
        .read_from_container(&mut Cursor::new(data))
        .or_else(|e| e.distill_partial_result(|_| {}))
    {
        for field in exif.fields() {
            let _ = field.display_value().with_unit(&exif).to_string();
        }
    }

    // Public path: the bytes as the EXIF payload of a real JPEG.
    let payload = &data[..data.len().min(usize::from(u16::MAX) - 8)];
    let mut jpeg = Vec::with_capacity(BASE_JPEG.len() + payload.len() + 10);
    let at = app1_offset();
    jpeg.extend_from_slice(&BASE_JPEG[..at]);
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    let segment_len = u16::try_from(2 + 6 + payload.len()).expect("payload is capped");
    jpeg.extend_from_slice(&segment_len.to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(payload);
    jpeg.extend_from_slice(&BASE_JPEG[at..]);
    let decoded = glimpse_media::decode(Path::new("fuzz.jpg"), &jpeg)
        .expect("a valid JPEG with any APP1 payload still decodes (EXIF never fails a decode)");
    assert!(
        (1..=8).contains(&decoded.metadata.orientation),
        "orientation {} is not an EXIF orientation",
        decoded.metadata.orientation
    );
});
