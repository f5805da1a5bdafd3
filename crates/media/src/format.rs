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
}

impl Format {
    /// Every supported format, in declaration order.
    pub const ALL: [Format; 6] = [
        Format::Jpeg,
        Format::Png,
        Format::WebP,
        Format::Gif,
        Format::Bmp,
        Format::Tiff,
    ];

    /// The display name: `"JPEG"`, `"PNG"`, `"WebP"`, `"GIF"`, `"BMP"`, `"TIFF"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
            Format::Tiff => "TIFF",
        }
    }

    /// The canonical lower-case extension without a dot: `"jpg"`, `"png"`, `"webp"`,
    /// `"gif"`, `"bmp"`, `"tiff"`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Tiff => "tiff",
        }
    }

    /// Every extension (lower case, no dot) that [`is_candidate`] accepts for this format.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["jpg", "jpeg", "jpe"],
            Format::Png => &["png"],
            Format::WebP => &["webp"],
            Format::Gif => &["gif"],
            Format::Bmp => &["bmp"],
            Format::Tiff => &["tif", "tiff"],
        }
    }

    /// The MIME type, e.g. `"image/jpeg"`.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
            Format::Bmp => "image/bmp",
            Format::Tiff => "image/tiff",
        }
    }

    pub(crate) fn to_image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::WebP => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
            Format::Bmp => image::ImageFormat::Bmp,
            Format::Tiff => image::ImageFormat::Tiff,
        }
    }
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
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(Format::Tiff)
    } else {
        None
    }
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
        let brand = &bytes[8..12];
        return match brand {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                Some("HEIC/HEIF")
            }
            b"crx " => Some("Canon CR3 raw"),
            _ => None,
        };
    }
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0CJXL \r\n\x87\n") {
        Some("JPEG XL")
    } else if bytes.starts_with(b"\0\0\0\x0CjP  \r\n\x87\n")
        || bytes.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
    {
        Some("JPEG 2000")
    } else if bytes.starts_with(b"8BPS") {
        Some("Photoshop PSD")
    } else if bytes.starts_with(&[0x76, 0x2F, 0x31, 0x01]) {
        Some("OpenEXR")
    } else if bytes.starts_with(b"qoif") {
        Some("QOI")
    } else {
        None
    }
}

/// A cheap filter for the folder scanner: does this file name look like a photo we should
/// read? Checks only the file name, never the content (the content decides later, in
/// [`crate::decode`]) and never the parent folders (whether to descend into hidden folders
/// is the scanner's decision).
///
/// Accepts the extensions of [`Format::extensions`] in any case. Rejects hidden files
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
    })
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
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
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
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            // Standalone markers without a length: RSTn, TEM, and a stray 0x00.
            0xD0..=0xD7 | 0x01 | 0x00 => continue,
            _ => {}
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(i), bytes.get(i + 1)) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 || i + len > bytes.len() {
            return false;
        }
        i += len;
        if marker == 0xDA {
            // Start of scan: entropy-coded data follows until the next real marker.
            loop {
                while i < bytes.len() && bytes[i] != 0xFF {
                    i += 1;
                }
                let Some(&next) = bytes.get(i + 1) else {
                    return false;
                };
                if next == 0x00 || (0xD0..=0xD7).contains(&next) || next == 0xFF {
                    i += 1;
                    continue;
                }
                break;
            }
        }
    }
}
