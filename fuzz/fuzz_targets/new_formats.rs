//! `glimpse_media::decode` steered into the parsers of the formats added for phones and
//! cameras: the first byte picks a container signature (HEIF, AVIF, JPEG XL codestream and
//! container, DNG/NEF-style TIFF, CR2, CR3, RAF, ORF, RW2), the rest follows it, so that
//! libheif, jxl-oxide, rawler, the TIFF sniffer and the embedded-JPEG search see
//! well-formed starts and hostile bodies. Same contract as `decode`: no escaped panic, no
//! hang, bounded memory, and a decoded image's size agrees with its pixels.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

const PREFIXES: &[(&[u8], &str)] = &[
    (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "x.heic"),
    (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "x.avif"),
    (b"\xff\x0a", "x.jxl"),
    (b"\0\0\0\x0cJXL \r\n\x87\n", "x.jxl"),
    // TIFF, IFD0 at 8 with one entry: DNGVersion 1.4.
    (b"II*\0\x08\0\0\0\x01\0\x12\xc6\x01\0\x04\0\0\0\x01\x04\0\0", "x.dng"),
    (b"II*\0\x10\0\0\0CR\x02\0\0\0\0\0", "x.cr2"),
    (b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom", "x.cr3"),
    (b"FUJIFILMCCD-RAW 0201FF383501", "x.raf"),
    (b"IIRO\x08\0\0\0", "x.orf"),
    (b"IIU\0\x08\0\0\0", "x.rw2"),
    // A JPEG preview start, as the embedded-JPEG search meets it inside a raw file.
    (b"MM\0*\0\0\0\x08\0\0\xff\xd8\xff\xe0\0\x10JFIF\0", "x.nef"),
];

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (prefix, name) = PREFIXES[usize::from(pick) % PREFIXES.len()];
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(rest);
    let Ok(decoded) = glimpse_media::decode(Path::new(name), &bytes) else {
        return;
    };
    assert_eq!(
        (decoded.width, decoded.height),
        (decoded.image.width(), decoded.image.height()),
        "Decoded's size disagrees with its pixels"
    );
    let thumb = glimpse_media::thumbnail(&decoded.image, 64);
    assert!(thumb.width() > 0 && thumb.height() > 0);
});
