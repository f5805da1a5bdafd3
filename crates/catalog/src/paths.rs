//! Paths are stored as their raw OS bytes, so file names that are not valid UTF-8 (common on
//! old Linux disks) round-trip exactly instead of being mangled or refused.

use std::path::{Path, PathBuf};

#[cfg(unix)]
pub(crate) fn to_blob(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
pub(crate) fn from_blob(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

// Windows paths are UTF-16; storing them as UTF-8 (lossy only for unpaired surrogates) is
// what every other Windows tool does.
#[cfg(not(unix))]
pub(crate) fn to_blob(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
pub(crate) fn from_blob(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The blob range holding every path strictly under `dir` (`dir/…`), for prefix queries
/// that use the path index instead of `LIKE`, which is unsafe with `%`/`_` in names.
pub(crate) fn children_range(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut lo = to_blob(dir);
    if lo.last() != Some(&b'/') && lo.last() != Some(&b'\\') {
        lo.push(std::path::MAIN_SEPARATOR as u8);
    }
    let mut hi = lo.clone();
    // The separator byte + 1 is the smallest byte string above every `dir/…`.
    if let Some(last) = hi.last_mut() {
        *last += 1;
    }
    (lo, hi)
}

/// The blob range holding every `stem.*` beside `path` (`/a/IMG_1.CR3` → `/a/IMG_1.` up to
/// `/a/IMG_1/`), or `None` when the name has no extension.
pub(crate) fn stem_range(path: &Path) -> Option<(Vec<u8>, Vec<u8>)> {
    path.extension()?;
    let stem = path.with_extension("");
    let mut lo = to_blob(&stem);
    lo.push(b'.');
    let mut hi = lo.clone();
    // '.' + 1: the smallest byte string above every `stem.…`.
    if let Some(last) = hi.last_mut() {
        *last += 1;
    }
    Some((lo, hi))
}
