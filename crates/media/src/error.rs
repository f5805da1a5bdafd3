//! The one error type of this crate and its short, path-free reasons.

use std::path::PathBuf;

use crate::Format;

/// Everything that can go wrong between a file on disk and a thumbnail.
///
/// Every variant except [`MediaError::Write`] is **per-file**: it concerns one photo, is
/// recorded on that photo's catalog row (via [`MediaError::reason`]) and the pipeline moves
/// on to the next file. [`MediaError::Write`] concerns the thumbnail store (disk full,
/// permissions on the cache folder) and should stop the pipeline; see
/// [`MediaError::is_per_file`].
///
/// `Display` gives `"{path}: {reason}"` for logs; the catalog and the UI use
/// [`MediaError::reason`], which leaves the path out because the row already names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The file could not be read (vanished, permission denied, I/O error). Per-file.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The file has zero bytes (often a file still being copied). Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    Empty {
        /// The empty file.
        path: PathBuf,
    },

    /// The content is not an image format we recognise (a text file named `.jpg`, random
    /// bytes). Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    NotAnImage {
        /// The file.
        path: PathBuf,
    },

    /// The content is an image in a format or variant we cannot decode (PSD, JPEG 2000, a
    /// raw format other than the nine supported, an exotic TIFF compression, a HEIF codec
    /// libheif was built without, …). Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it is, e.g. `"HEIC"` or `"TIFF"`.
        format: String,
        /// What is unsupported about it, empty when the whole format is.
        detail: String,
    },

    /// The image is too big to decode safely: over [`crate::MAX_DECODE_PIXELS`], over
    /// [`crate::MAX_DECODE_EDGE_PX`] on one side, or needing more than
    /// [`crate::MAX_DECODE_ALLOC_BYTES`] of memory. Refused before the pixels are decoded.
    /// Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Width from the header, in pixels (0 when a decoder refused before reporting it).
        width: u32,
        /// Height from the header, in pixels (0 when a decoder refused before reporting it).
        height: u32,
        /// The pixel limit in force ([`crate::MAX_DECODE_PIXELS`]).
        max_pixels: u64,
    },

    /// The file is bigger than [`crate::MAX_FILE_BYTES`]; it was not read. Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    FileTooBig {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        bytes: u64,
    },

    /// The file has the right signature but its data is damaged or cut short, or the decoder
    /// crashed on it. Per-file.
    #[error("{}: {}", path.display(), self.reason())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The format its signature announced.
        format: Format,
        /// What the decoder said.
        message: String,
    },

    /// A thumbnail could not be encoded. Only an empty image can cause this. Per-file.
    #[error("cannot encode thumbnail: {message}")]
    Encode {
        /// What the encoder said.
        message: String,
    },

    /// A file could not be written by [`crate::write_atomic`]. This is a failure of the
    /// thumbnail store, **not** per-file: stop the pipeline and report it.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The destination (or its parent folder, or the temporary file).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl MediaError {
    /// A short human-readable reason **without** the path, for the catalog row and the UI,
    /// e.g. `"not an image"` or `"image is 100000×100000 pixels, over the 179 MP limit"`.
    pub fn reason(&self) -> String {
        match self {
            Self::Io { source, .. } => format!("cannot read file: {source}"),
            Self::Empty { .. } => "empty file (0 bytes)".to_owned(),
            Self::NotAnImage { .. } => "not an image".to_owned(),
            Self::Unsupported { format, detail, .. } if detail.is_empty() => {
                format!("unsupported image format: {format}")
            }
            Self::Unsupported { format, detail, .. } => {
                format!("unsupported {format} variant: {detail}")
            }
            Self::TooLarge {
                width,
                height,
                max_pixels,
                ..
            } => too_large_reason(*width, *height, *max_pixels),
            Self::FileTooBig { bytes, .. } => format!(
                "file is {}, over the {} limit",
                human_bytes(*bytes),
                human_bytes(crate::MAX_FILE_BYTES)
            ),
            Self::Corrupt {
                format, message, ..
            } => format!("corrupt or truncated {format}: {message}"),
            Self::Encode { message } => format!("cannot encode thumbnail: {message}"),
            Self::Write { source, .. } => format!("cannot write file: {source}"),
        }
    }

    /// `true` when the error concerns only this file (record it on the row and continue);
    /// `false` when it concerns the store (stop the pipeline). Only [`MediaError::Write`] is
    /// not per-file.
    pub fn is_per_file(&self) -> bool {
        !matches!(self, Self::Write { .. })
    }

    /// A stable machine-readable code for the variant (`"io"`, `"empty"`, `"not_an_image"`,
    /// `"unsupported"`, `"too_large"`, `"file_too_big"`, `"corrupt"`, `"encode"`, `"write"`),
    /// for catalog columns and UI branching; never parse [`MediaError::reason`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::Empty { .. } => "empty",
            Self::NotAnImage { .. } => "not_an_image",
            Self::Unsupported { .. } => "unsupported",
            Self::TooLarge { .. } => "too_large",
            Self::FileTooBig { .. } => "file_too_big",
            Self::Corrupt { .. } => "corrupt",
            Self::Encode { .. } => "encode",
            Self::Write { .. } => "write",
        }
    }
}

/// Which of the three size guards tripped decides the wording.
fn too_large_reason(width: u32, height: u32, max_pixels: u64) -> String {
    let pixels = u64::from(width) * u64::from(height);
    let max_mp = (max_pixels + 500_000) / 1_000_000;
    if width == 0 || height == 0 {
        // A decoder refused before its header gave us dimensions.
        format!(
            "image needs more than {} of memory to decode",
            human_bytes(crate::MAX_DECODE_ALLOC_BYTES)
        )
    } else if pixels > max_pixels {
        format!("image is {width}×{height} pixels, over the {max_mp} MP limit")
    } else if width.max(height) > crate::MAX_DECODE_EDGE_PX {
        format!(
            "image is {width}×{height} pixels, over the {} pixel edge limit",
            crate::MAX_DECODE_EDGE_PX
        )
    } else {
        format!(
            "image is {width}×{height} pixels and needs more than {} of memory to decode",
            human_bytes(crate::MAX_DECODE_ALLOC_BYTES)
        )
    }
}

/// Binary units, one decimal at most: "512 MiB", "1.5 GiB", "800 bytes".
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    // Precision loss is irrelevant for a human-readable size.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if (value - value.round()).abs() < 0.05 {
        format!("{:.0} {}", value, UNITS[unit])
    } else {
        format!("{:.1} {}", value, UNITS[unit])
    }
}
