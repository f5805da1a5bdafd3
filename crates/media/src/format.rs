//! Which formats we decode, how to recognise them from their bytes, and which file names
//! the folder scanner should even look at.

use std::fmt;
use std::path::Path;

/// An image format this crate decodes. Always the format of the *content*, found by
/// [`sniff`], never guessed from the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// JPEG (baseline, progressive, grey, CMYK).
    Jpeg,
    /// PNG, 8 or 16 bits, with or without alpha; APNG decodes its default image.
    Png,
    /// WebP, lossy or lossless; animations decode their first frame.
    WebP,
    /// GIF; animations decode their first frame.
    Gif,
    /// Windows bitmap.
    Bmp,
    /// TIFF (and BigTIFF); the first page.
    Tiff,
    /// HEIF with HEVC (HEIC, what iPhones save): the primary image, with its rotation and
    /// mirroring applied, through the system libheif.
    Heif,
    /// AVIF (8, 10 or 12 bits, with or without alpha), through the system libheif.
    Avif,
    /// JPEG XL, with its orientation applied; the first frame of an animation.
    JpegXl,
    /// Adobe Digital Negative.
    Dng,
    /// Canon raw (EOS, 2004–2018).
    Cr2,
    /// Canon raw (ISO base media container, 2018 on).
    Cr3,
    /// Nikon raw.
    Nef,
    /// Sony raw.
    Arw,
    /// Fujifilm raw.
    Raf,
    /// Olympus / OM System raw.
    Orf,
    /// Panasonic raw.
    Rw2,
    /// Pentax / Ricoh raw.
    Pef,
}

impl Format {
    /// Every supported format, in declaration order.
    pub const ALL: [Format; 18] = [
        Format::Jpeg,
        Format::Png,
        Format::WebP,
        Format::Gif,
        Format::Bmp,
        Format::Tiff,
        Format::Heif,
        Format::Avif,
        Format::JpegXl,
        Format::Dng,
        Format::Cr2,
        Format::Cr3,
        Format::Nef,
        Format::Arw,
        Format::Raf,
        Format::Orf,
        Format::Rw2,
        Format::Pef,
    ];

    /// The display name: `"JPEG"`, `"PNG"`, `"WebP"`, `"GIF"`, `"BMP"`, `"TIFF"`, `"HEIF"`,
    /// `"AVIF"`, `"JPEG XL"`, and for camera raw files the usual abbreviation (`"DNG"`,
    /// `"CR2"`, `"CR3"`, `"NEF"`, `"ARW"`, `"RAF"`, `"ORF"`, `"RW2"`, `"PEF"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
            Format::Tiff => "TIFF",
            Format::Heif => "HEIF",
            Format::Avif => "AVIF",
            Format::JpegXl => "JPEG XL",
            Format::Dng => "DNG",
            Format::Cr2 => "CR2",
            Format::Cr3 => "CR3",
            Format::Nef => "NEF",
            Format::Arw => "ARW",
            Format::Raf => "RAF",
            Format::Orf => "ORF",
            Format::Rw2 => "RW2",
            Format::Pef => "PEF",
        }
    }

    /// The canonical lower-case extension without a dot: `"jpg"`, `"png"`, `"webp"`,
    /// `"gif"`, `"bmp"`, `"tiff"`, `"heic"`, `"avif"`, `"jxl"`, `"dng"`, `"cr2"`, ….
    pub fn extension(self) -> &'static str {
        self.extensions()[0]
    }

    /// Every extension (lower case, no dot) that [`is_candidate`] accepts for this format.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["jpg", "jpeg", "jpe"],
            Format::Png => &["png"],
            Format::WebP => &["webp"],
            Format::Gif => &["gif"],
            Format::Bmp => &["bmp"],
            Format::Tiff => &["tiff", "tif"],
            Format::Heif => &["heic", "heif", "hif"],
            Format::Avif => &["avif"],
            Format::JpegXl => &["jxl"],
            Format::Dng => &["dng"],
            Format::Cr2 => &["cr2"],
            Format::Cr3 => &["cr3"],
            Format::Nef => &["nef"],
            Format::Arw => &["arw"],
            Format::Raf => &["raf"],
            Format::Orf => &["orf"],
            Format::Rw2 => &["rw2"],
            Format::Pef => &["pef"],
        }
    }

    /// The MIME type, e.g. `"image/jpeg"`; camera raw files get their registered or
    /// customary `image/x-…` type.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
            Format::Bmp => "image/bmp",
            Format::Tiff => "image/tiff",
            Format::Heif => "image/heic",
            Format::Avif => "image/avif",
            Format::JpegXl => "image/jxl",
            Format::Dng => "image/x-adobe-dng",
            Format::Cr2 => "image/x-canon-cr2",
            Format::Cr3 => "image/x-canon-cr3",
            Format::Nef => "image/x-nikon-nef",
            Format::Arw => "image/x-sony-arw",
            Format::Raf => "image/x-fuji-raf",
            Format::Orf => "image/x-olympus-orf",
            Format::Rw2 => "image/x-panasonic-rw2",
            Format::Pef => "image/x-pentax-pef",
        }
    }

    /// Whether this is a camera raw format (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF):
    /// indexed from the preview the camera embedded, and grouped with a JPEG or HEIF of the
    /// same shot saved beside it.
    pub fn is_raw(self) -> bool {
        matches!(
            self,
            Format::Dng
                | Format::Cr2
                | Format::Cr3
                | Format::Nef
                | Format::Arw
                | Format::Raf
                | Format::Orf
                | Format::Rw2
                | Format::Pef
        )
    }

    /// The `image` crate's format, for the formats it decodes.
    pub(crate) fn to_image_format(self) -> Option<image::ImageFormat> {
        match self {
            Format::Jpeg => Some(image::ImageFormat::Jpeg),
            Format::Png => Some(image::ImageFormat::Png),
            Format::WebP => Some(image::ImageFormat::WebP),
            Format::Gif => Some(image::ImageFormat::Gif),
            Format::Bmp => Some(image::ImageFormat::Bmp),
            Format::Tiff => Some(image::ImageFormat::Tiff),
            _ => None,
        }
    }
}

/// Whether a file name's extension (any case) is that of a camera raw format
/// ([`Format::is_raw`]); the engine uses it to pair a raw with the JPEG beside it without
/// reading either.
///
/// ```
/// use std::path::Path;
/// assert!(glimpse_media::is_raw_path(Path::new("/photos/IMG_1234.CR3")));
/// assert!(!glimpse_media::is_raw_path(Path::new("/photos/IMG_1234.JPG")));
/// ```
pub fn is_raw_path(path: &Path) -> bool {
    extension_format(path).is_some_and(Format::is_raw)
}

/// The format whose [`Format::extensions`] hold `path`'s extension (any case).
fn extension_format(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?;
    Format::ALL.into_iter().find(|f| {
        f.extensions()
            .iter()
            .any(|candidate| candidate.eq_ignore_ascii_case(ext))
    })
}

/// Extensions of image formats Glimpse does not decode. The scanner still takes these
/// files, so that they are listed as failed with a reason ("unsupported image format:
/// PSD") instead of being skipped without a word. Lower case, no dot, with the name shown.
pub const UNSUPPORTED_IMAGE_EXTENSIONS: &[(&str, &str)] = &[
    ("jp2", "JPEG 2000"),
    ("j2k", "JPEG 2000"),
    ("jpf", "JPEG 2000"),
    ("jpx", "JPEG 2000"),
    ("psd", "Photoshop PSD"),
    ("psb", "Photoshop PSB"),
    ("exr", "OpenEXR"),
    ("hdr", "Radiance HDR"),
    ("qoi", "QOI"),
    ("tga", "TGA"),
    ("ico", "ICO"),
    ("svg", "SVG"),
    ("xcf", "GIMP XCF"),
    ("heics", "HEIF image sequence"),
    ("avifs", "AVIF image sequence"),
    ("jxr", "JPEG XR"),
    ("wdp", "JPEG XR"),
    ("crw", "Canon CRW raw"),
    ("nrw", "Nikon NRW raw"),
    ("srw", "Samsung SRW raw"),
    ("sr2", "Sony SR2 raw"),
    ("srf", "Sony SRF raw"),
    ("mrw", "Minolta MRW raw"),
    ("x3f", "Sigma X3F raw"),
    ("3fr", "Hasselblad 3FR raw"),
    ("fff", "Hasselblad FFF raw"),
    ("iiq", "Phase One IIQ raw"),
    ("erf", "Epson ERF raw"),
    ("kdc", "Kodak KDC raw"),
    ("dcr", "Kodak DCR raw"),
    ("mos", "Leaf MOS raw"),
    ("mef", "Mamiya MEF raw"),
    ("rwl", "Leica RWL raw"),
    ("raw", "camera raw"),
];

/// The name of the image format an extension of [`UNSUPPORTED_IMAGE_EXTENSIONS`] stands
/// for.
pub(crate) fn unsupported_by_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    UNSUPPORTED_IMAGE_EXTENSIONS
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(ext))
        .map(|(_, name)| *name)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The real format of `bytes`, from their magic numbers; `None` when it is not one we
/// decode (see [`crate::decode`] for how unsupported image formats are told apart from
/// non-images).
///
/// ```
/// use glimpse_media::{sniff, Format};
/// assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Format::Png));
/// assert_eq!(sniff(b"hello, I am a text file"), None);
/// ```
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if is_bmp(bytes) {
        Some(Format::Bmp)
    } else if bytes.starts_with(b"FUJIFILMCCD-RAW") {
        Some(Format::Raf)
    } else if bytes.starts_with(b"IIRO") || bytes.starts_with(b"IIRS") || bytes.starts_with(b"MMOR")
    {
        Some(Format::Orf)
    } else if bytes.starts_with(b"IIU\0") {
        Some(Format::Rw2)
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(crate::tiff::camera_raw_kind(bytes).unwrap_or(Format::Tiff))
    } else if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0CJXL \r\n\x87\n") {
        Some(Format::JpegXl)
    } else {
        sniff_isobmff(bytes)
    }
}

/// HEIF, AVIF and CR3 are ISO base media files told apart by their `ftyp` brands. The major
/// brand decides when it is specific; a generic `mif1`/`msf1` major brand defers to the
/// compatible brands (an AVIF often says `mif1` first and `avif` later).
fn sniff_isobmff(bytes: &[u8]) -> Option<Format> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, 4096).min(bytes.len());
    let major = &bytes[8..12];
    let compatible = bytes[16..end].chunks_exact(4);
    let classify = |brand: &[u8]| match brand {
        b"avif" | b"avis" => Some(Format::Avif),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Some(Format::Heif),
        b"crx " => Some(Format::Cr3),
        _ => None,
    };
    if let Some(format) = classify(major) {
        return Some(format);
    }
    if matches!(major, b"mif1" | b"msf1") {
        // An image file of some codec: the compatible brands say which; plain HEIF if none.
        return Some(
            compatible
                .filter_map(classify)
                .next()
                .unwrap_or(Format::Heif),
        );
    }
    compatible.filter_map(classify).next()
}

/// "BM" alone is too weak a signature (any text starting with "BM" would match), so also
/// require one of the DIB header sizes that real bitmaps use.
fn is_bmp(bytes: &[u8]) -> bool {
    if bytes.len() < 18 || !bytes.starts_with(b"BM") {
        return false;
    }
    let dib_header_size = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
    matches!(dib_header_size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// Recognises image formats we do not decode, so that a HEIC photo named `.jpg` reports
/// "unsupported image format: HEIC" instead of "not an image".
pub(crate) fn sniff_unsupported(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"qt  " => Some("QuickTime"),
            b"isom" | b"mp41" | b"mp42" | b"M4V " => Some("MP4"),
            _ => None,
        };
    }
    if bytes.starts_with(b"\0\0\0\x0CjP  \r\n\x87\n")
        || bytes.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
    {
        Some("JPEG 2000")
    } else if bytes.starts_with(b"8BPS") {
        Some("Photoshop PSD")
    } else if bytes.starts_with(&[0x76, 0x2F, 0x31, 0x01]) {
        Some("OpenEXR")
    } else if bytes.starts_with(b"qoif") {
        Some("QOI")
    } else if bytes.starts_with(b"gimp xcf") {
        Some("GIMP XCF")
    } else {
        None
    }
}

/// A cheap filter for the folder scanner: does this file name look like a photo we should
/// read? Checks only the file name, never the content (the content decides later, in
/// [`crate::decode`]) and never the parent folders (whether to descend into hidden folders
/// is the scanner's decision).
///
/// Accepts the extensions of [`Format::extensions`] and of
/// [`UNSUPPORTED_IMAGE_EXTENSIONS`] in any case (the latter are listed as failed with a
/// reason rather than skipped without a word). Rejects hidden files
/// (`.name`, which also covers macOS `._name` resource forks and our own temporary files
/// from [`crate::write_atomic`]) and editor/office temporary files (`~$name`, `name~`).
///
/// ```
/// use std::path::Path;
/// use glimpse_media::is_candidate;
/// assert!(is_candidate(Path::new("/photos/IMG_0001.JPG")));
/// assert!(!is_candidate(Path::new("/photos/._IMG_0001.jpg")));
/// assert!(!is_candidate(Path::new("/photos/notes.txt")));
/// ```
pub fn is_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        // A name that is not valid Unicode can still be a photo; fall back to the
        // extension alone (hidden/temp checks need the text).
        return path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(is_supported_extension);
    };
    if name.starts_with('.') || name.starts_with("~$") || name.ends_with('~') {
        return false;
    }
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(is_supported_extension)
}

fn is_supported_extension(ext: &str) -> bool {
    Format::ALL.iter().any(|f| {
        f.extensions()
            .iter()
            .any(|candidate| candidate.eq_ignore_ascii_case(ext))
    }) || UNSUPPORTED_IMAGE_EXTENSIONS
        .iter()
        .any(|(candidate, _)| candidate.eq_ignore_ascii_case(ext))
}

/// Whether a JPEG stream reaches its end-of-image marker.
///
/// The JPEG decoder runs in lenient mode (real photos often break the spec in small ways)
/// and then silently fills a cut-off file with grey. A half-copied photo would be indexed
/// as half grey, so we walk the marker segments ourselves: segments are skipped by their
/// length (which also skips an EXIF thumbnail's own markers inside APP1), entropy-coded
/// data is scanned for the next real marker (0xFF not followed by 0x00 stuffing or a
/// restart marker), and the stream is complete when EOI (0xFFD9) is found. Trailing bytes
/// after EOI are allowed.
pub(crate) fn jpeg_is_complete(bytes: &[u8]) -> bool {
    jpeg_end(bytes).is_some()
}

/// The length of the JPEG stream at the start of `bytes`, through its end-of-image marker;
/// `None` when it does not reach one (see [`jpeg_is_complete`]).
pub(crate) fn jpeg_end(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        // Find the next 0xFF, then skip fill bytes.
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let &marker = bytes.get(i)?;
        i += 1;
        match marker {
            0xD9 => return Some(i),
            // Standalone markers without a length: RSTn, TEM, and a stray 0x00.
            0xD0..=0xD7 | 0x01 | 0x00 => continue,
            _ => {}
        }
        let (&hi, &lo) = (bytes.get(i)?, bytes.get(i + 1)?);
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 || i + len > bytes.len() {
            return None;
        }
        i += len;
        if marker == 0xDA {
            // Start of scan: entropy-coded data follows until the next real marker.
            loop {
                while i < bytes.len() && bytes[i] != 0xFF {
                    i += 1;
                }
                let &next = bytes.get(i + 1)?;
                if next == 0x00 || (0xD0..=0xD7).contains(&next) || next == 0xFF {
                    i += 1;
                    continue;
                }
                break;
            }
        }
    }
}
