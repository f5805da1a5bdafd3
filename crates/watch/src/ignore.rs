//! Which names are temporary, hidden or sidecar files that a consumer never wants to hear of.

use std::path::{Component, Path};

/// Extensions of files that are still being written by some program (downloads, office
/// autosaves, editors); compared case-insensitively.
const TEMP_EXTENSIONS: [&str; 5] = ["tmp", "part", "crdownload", "download", "swp"];

/// Whole names of OS sidecar files; compared case-insensitively. (`.DS_Store` and AppleDouble
/// `._*` files are already hidden names.)
const SIDECAR_NAMES: [&str; 2] = ["thumbs.db", "desktop.ini"];

/// True when `path` is, or lies inside, a temporary, hidden or sidecar file or directory.
///
/// Every normal component is checked: a name starting with `.` (hidden files and folders such
/// as `.git/` or `.thumbnails/`, `.DS_Store`, AppleDouble `._*`, vim's `.x.swp`), `~$*`
/// (office lock files), `*~` (editor backups), the extensions `.tmp`, `.part`, `.crdownload`,
/// `.download`, `.swp`, and `Thumbs.db`, `desktop.ini`.
///
/// Pass the path relative to the watched root: the root itself may well live in a hidden
/// folder (`~/.local/share/…`, a temp dir), which must not hide everything under it. The
/// [`crate::Debouncer`] does this.
pub fn is_ignored(path: &Path) -> bool {
    path.components().any(|component| match component {
        Component::Normal(name) => is_ignored_name(&name.to_string_lossy()),
        _ => false,
    })
}

fn is_ignored_name(name: &str) -> bool {
    if name.starts_with('.') || name.starts_with("~$") || name.ends_with('~') {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    if SIDECAR_NAMES.contains(&lower.as_str()) {
        return true;
    }
    match lower.rsplit_once('.') {
        Some((stem, extension)) => !stem.is_empty() && TEMP_EXTENSIONS.contains(&extension),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_temp_hidden_and_sidecar_names() {
        for name in [
            ".hidden.jpg",
            ".DS_Store",
            "._IMG_0001.JPG",
            "~$report.docx",
            "photo.jpg~",
            "photo.jpg.tmp",
            "photo.JPG.PART",
            "video.mp4.crdownload",
            "archive.download",
            ".photo.jpg.swp",
            "photo.swp",
            "Thumbs.db",
            "DESKTOP.INI",
            ".git/objects/ab/cdef",
            "album/.thumbnails/x.png",
            "album/upload.part/chunk.jpg",
        ] {
            assert!(is_ignored(Path::new(name)), "{name} must be ignored");
        }
    }

    #[test]
    fn keeps_ordinary_names() {
        for name in [
            "photo.jpg",
            "album/IMG_0001.HEIC",
            "tmp/photo.jpg",
            "partition/photo.png",
            "my.photos/a.webp",
            "a~b.jpg",
            "download",
            "/abs/path/to/photo.jpg",
        ] {
            assert!(!is_ignored(Path::new(name)), "{name} must not be ignored");
        }
    }
}
