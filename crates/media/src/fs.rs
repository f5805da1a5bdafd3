//! The only two places this crate touches the filesystem: reading a photo with a size cap
//! and writing a thumbnail atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{MAX_FILE_BYTES, MediaError};

/// Reads a whole file, refusing files over [`MAX_FILE_BYTES`] without reading them.
///
/// An empty file is returned as an empty vector; [`crate::decode`] reports it as
/// [`MediaError::Empty`].
///
/// # Errors
/// [`MediaError::Io`] when the file cannot be opened or read, [`MediaError::FileTooBig`]
/// when it is over the cap (also when it grows past the cap while being read).
pub fn read_file(path: &Path) -> Result<Vec<u8>, MediaError> {
    let io = |source| MediaError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(MediaError::FileTooBig {
            path: path.to_owned(),
            bytes: len,
        });
    }
    // The size may change between stat and read (a file still being copied): read at most
    // one byte past the cap so a growing file is caught without reading all of it.
    let capacity = usize::try_from(len).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let read = bytes.len() as u64;
    if read > MAX_FILE_BYTES {
        return Err(MediaError::FileTooBig {
            path: path.to_owned(),
            bytes: read,
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` so that readers see either the old file or the complete new
/// one, never a partial write: a temporary file in the same folder (hidden, so
/// [`crate::is_candidate`] skips it), `fsync`, then rename over `path`. Creates missing
/// parent folders. On failure the temporary file is removed.
///
/// # Errors
/// [`MediaError::Write`] naming the path that failed. This is a thumbnail-store failure,
/// not a per-file one (see [`MediaError::is_per_file`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    write_atomic_with_hook(path, bytes, |_| {})
}

/// [`write_atomic`], calling `before_rename` with the temporary file's path once it is
/// written and synced, right before it replaces `path`: where a crash-consistency test
/// stops the process to prove a half-finished write is harmless.
///
/// # Errors
/// As [`write_atomic`].
pub fn write_atomic_with_hook(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce(&Path),
) -> Result<(), MediaError> {
    let write_err = |p: &Path, source| MediaError::Write {
        path: p.to_owned(),
        source,
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| write_err(&parent, e))?;

    let tmp = temp_path(&parent, path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename(&tmp);
        fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        // Best effort: the temp file may not exist if creating it was what failed.
        let _ = fs::remove_file(&tmp);
        return Err(write_err(path, source));
    }
    sync_dir(&parent);
    Ok(())
}

/// A unique hidden name next to the destination: pid + per-process counter, so concurrent
/// writers (threads or processes) never share a temporary file.
fn temp_path(parent: &Path, dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Makes the rename itself durable. Only possible (and only needed) on Unix; failure is
/// not an error because the data is already safely in place for every reader.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!("{}: cannot fsync folder: {e}", dir.display());
    }
    #[cfg(not(unix))]
    let _ = dir;
}
