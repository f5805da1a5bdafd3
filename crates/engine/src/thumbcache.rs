//! Moving the thumbnail cache (the app's Settings → "Thumbnail cache") to another folder.
//! It lives beside the code that writes the cache ([`crate::LibraryConfig::thumbnails`],
//! `<2 hex>/<content hash>.jpg`), so the layout is known in one crate only.
//!
//! The move never loses anything: thumbnails are first *copied* (hard-linked where the
//! target is on the same disk) into the new folder, the settings are switched only once
//! every file is there, and the old folder is emptied last. A failure at any earlier step
//! removes what was copied and leaves the old cache and the settings as they were.
//!
//! A target must be an absolute path to an empty (or missing) folder, or one Glimpse used
//! for thumbnails before (it holds [`MARKER`]); it may not lie inside a folder of the
//! library (its thumbnails would be indexed as photos) nor inside the current cache.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a Glimpse thumbnail cache.
pub const MARKER: &str = ".glimpse-thumbnails";

/// Why the cache cannot move to a folder.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// Not an absolute path.
    #[error("“{0}” is not an absolute folder path.")]
    NotAbsolute(PathBuf),
    /// A file, not a folder.
    #[error("{0}: this is a file, not a folder.")]
    NotAFolder(PathBuf),
    /// A folder holding other things.
    #[error(
        "{0}: the folder is not empty. Choose an empty folder for the thumbnails, so that nothing of yours gets mixed with them."
    )]
    NotEmpty(PathBuf),
    /// Inside a folder of the library, or inside the current cache.
    #[error("{path}: the thumbnails cannot go inside {inside} ({why}).")]
    Inside {
        /// The target.
        path: PathBuf,
        /// The folder it lies in.
        inside: PathBuf,
        /// Why that is refused.
        why: &'static str,
    },
    /// A file-system operation failed.
    #[error("{path}: cannot {action}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> MoveError {
    let path = path.to_path_buf();
    move |source| MoveError::Io {
        path,
        action,
        source,
    }
}

/// `path` with symlinks resolved as far as it exists (the rest appended), so that
/// containment checks see through links and `..`.
pub fn resolve(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut base = path.to_path_buf();
    loop {
        if let Ok(real) = base.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (base.file_name().map(|n| n.to_os_string()), base.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                base = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Checks that the cache may move from `current` to `target`. `library_folders` are the
/// folders of the library.
pub fn check_target(
    target: &Path,
    current: &Path,
    library_folders: &[PathBuf],
) -> Result<(), MoveError> {
    if !target.is_absolute() {
        return Err(MoveError::NotAbsolute(target.to_path_buf()));
    }
    let real = resolve(target);
    let current = resolve(current);
    if real.starts_with(&current) && real != current {
        return Err(MoveError::Inside {
            path: target.to_path_buf(),
            inside: current,
            why: "the current thumbnail cache",
        });
    }
    for folder in library_folders {
        let folder = resolve(folder);
        if real.starts_with(&folder) {
            return Err(MoveError::Inside {
                path: target.to_path_buf(),
                inside: folder,
                why: "a folder of the library: the thumbnails would be indexed as photos",
            });
        }
    }
    match std::fs::metadata(&real) {
        Ok(m) if !m.is_dir() => Err(MoveError::NotAFolder(target.to_path_buf())),
        Ok(_) => {
            if real.join(MARKER).is_file() {
                return Ok(());
            }
            let mut entries = std::fs::read_dir(&real).map_err(io(target, "read the folder"))?;
            match entries.next() {
                None => Ok(()),
                Some(_) => Err(MoveError::NotEmpty(target.to_path_buf())),
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(target, "read the folder")(e)),
    }
}

/// The thumbnail files of a cache folder: `<2 hex>/<hash>.jpg`, the layout
/// `DataPaths::thumbnail` writes. Anything else in the folder is not ours and is left alone.
fn thumbnails(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, MoveError> {
    let mut files = Vec::new();
    let top = match std::fs::read_dir(dir) {
        Ok(top) => top,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(io(dir, "read the thumbnail folder")(e)),
    };
    for entry in top {
        let entry = entry.map_err(io(dir, "read the thumbnail folder"))?;
        let name = entry.file_name();
        let is_shard = name.len() == 2
            && name
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()));
        if !is_shard || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let shard = entry.path();
        for file in std::fs::read_dir(&shard).map_err(io(&shard, "read the thumbnail folder"))? {
            let file = file.map_err(io(&shard, "read the thumbnail folder"))?;
            let path = file.path();
            if path.extension().is_some_and(|e| e == "jpg")
                && file.file_type().is_ok_and(|t| t.is_file())
            {
                files.push((PathBuf::from(&name).join(file.file_name()), path));
            }
        }
    }
    Ok(files)
}

/// What [`copy_all`] made, so that a failed move can be undone.
#[derive(Debug, Default)]
pub struct Copied {
    /// Files created in the target.
    pub files: Vec<PathBuf>,
    /// Folders created in the target (the target itself included), outermost first.
    pub dirs: Vec<PathBuf>,
    /// Whether the marker was created.
    pub marker: Option<PathBuf>,
}

impl Copied {
    /// Removes everything the copy created (best effort: a leftover is only logged).
    pub fn undo(self) {
        for path in self.files.iter().chain(self.marker.iter()) {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a copied thumbnail");
            }
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn create_dir(dir: &Path, copied: &mut Copied) -> Result<(), MoveError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent()
        && !parent.is_dir()
    {
        create_dir(parent, copied)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {
            copied.dirs.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(dir, "create the folder")(e)),
    }
}

/// Copies every thumbnail of `from` into `to` (creating it and its marker). A file is
/// hard-linked when both folders are on one disk, else copied to a temporary name and
/// renamed, so the target never holds half a thumbnail. Files already there (same name =
/// same content hash) are kept. On error, whatever was created is removed again.
pub fn copy_all(from: &Path, to: &Path) -> Result<Copied, MoveError> {
    let mut copied = Copied::default();
    match copy_into(from, to, &mut copied) {
        Ok(()) => Ok(copied),
        Err(e) => {
            copied.undo();
            Err(e)
        }
    }
}

fn copy_into(from: &Path, to: &Path, copied: &mut Copied) -> Result<(), MoveError> {
    create_dir(to, copied)?;
    let marker = to.join(MARKER);
    if !marker.is_file() {
        std::fs::write(
            &marker,
            b"Glimpse thumbnail cache: safe to delete, rebuilt when needed.\n",
        )
        .map_err(io(&marker, "write"))?;
        copied.marker = Some(marker);
    }
    for (relative, source) in thumbnails(from)? {
        let dest = to.join(&relative);
        if dest.is_file() {
            continue;
        }
        if let Some(shard) = dest.parent() {
            create_dir(shard, copied)?;
        }
        if std::fs::hard_link(&source, &dest).is_err() {
            let tmp = dest.with_extension("jpg.part");
            if let Err(e) = std::fs::copy(&source, &tmp) {
                let _ = std::fs::remove_file(&tmp);
                return Err(io(&dest, "copy a thumbnail to")(e));
            }
            if let Err(e) = std::fs::rename(&tmp, &dest) {
                let _ = std::fs::remove_file(&tmp);
                return Err(io(&dest, "copy a thumbnail to")(e));
            }
        }
        copied.files.push(dest);
    }
    Ok(())
}

/// Deletes the thumbnails of an old cache folder, its marker, and then the folders that
/// are left empty. Files that are not thumbnails are left alone. Returns how many
/// thumbnails could not be deleted (they are logged).
pub fn remove_all(dir: &Path) -> usize {
    let files = match thumbnails(dir) {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the old thumbnail cache");
            return 0;
        }
    };
    let mut left = 0;
    let mut shards = std::collections::BTreeSet::new();
    for (relative, path) in files {
        if let Some(shard) = relative.parent() {
            shards.insert(dir.join(shard));
        }
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot delete an old thumbnail");
            left += 1;
        }
    }
    let _ = std::fs::remove_file(dir.join(MARKER));
    for shard in shards {
        let _ = std::fs::remove_dir(shard);
    }
    let _ = std::fs::remove_dir(dir);
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache folder with `n` thumbnails in the engine's layout, plus a foreign file.
    fn cache(dir: &Path, n: usize) -> Vec<PathBuf> {
        let mut made = Vec::new();
        for i in 0..n {
            let hash = format!("{:02x}{:062x}", i * 37 % 256, i);
            let path = dir.join(&hash[..2]).join(format!("{hash}.jpg"));
            std::fs::create_dir_all(path.parent().expect("shard")).expect("shard created");
            std::fs::write(&path, format!("jpeg {i}")).expect("thumbnail written");
            made.push(PathBuf::from(&hash[..2]).join(format!("{hash}.jpg")));
        }
        made
    }

    #[test]
    fn copy_then_remove_moves_every_thumbnail_and_keeps_foreign_files() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let old = tmp.path().join("data/thumbs");
        let new = tmp.path().join("elsewhere/cache");
        let names = cache(&old, 20);
        std::fs::write(old.join("notes.txt"), "mine").expect("foreign file");
        check_target(&new, &old, &[]).expect("a missing folder is a fine target");
        let copied = copy_all(&old, &new).expect("copied");
        assert_eq!(copied.files.len(), 20);
        for name in &names {
            assert_eq!(
                std::fs::read(new.join(name)).expect("copied file"),
                std::fs::read(old.join(name)).expect("original"),
                "{} has the same bytes in the new cache",
                name.display()
            );
        }
        assert!(new.join(MARKER).is_file(), "the new cache is marked");
        assert_eq!(remove_all(&old), 0, "every old thumbnail is deleted");
        assert!(
            names.iter().all(|n| !old.join(n).exists()),
            "old thumbnails gone"
        );
        assert!(
            old.join("notes.txt").is_file(),
            "a file that is not a thumbnail is never deleted"
        );
        // Moving back into a folder marked as a cache is allowed even though it is not empty.
        check_target(&new, &old, &[]).expect("a marked cache folder is a fine target");
    }

    #[test]
    fn bad_targets_are_refused_with_a_sentence_naming_the_folder() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let old = tmp.path().join("thumbs");
        cache(&old, 2);
        let photos = tmp.path().join("photos");
        std::fs::create_dir_all(&photos).expect("photos");
        let file = tmp.path().join("a-file");
        std::fs::write(&file, "x").expect("file");
        let busy = tmp.path().join("busy");
        std::fs::create_dir_all(&busy).expect("busy");
        std::fs::write(busy.join("holiday.jpg"), "x").expect("busy file");

        let cases: [(&Path, &str); 5] = [
            (Path::new("relative/dir"), "not an absolute"),
            (&file, "not a folder"),
            (&busy, "not empty"),
            (&photos.join("cache"), "indexed as photos"),
            (&old.join("ab"), "current thumbnail cache"),
        ];
        for (target, expect) in cases {
            let err = check_target(target, &old, std::slice::from_ref(&photos))
                .expect_err("a bad target is refused");
            let text = err.to_string();
            assert!(
                text.contains(expect) && text.contains(&*target.to_string_lossy()),
                "{} → {text}",
                target.display()
            );
        }
    }

    #[test]
    fn a_failed_copy_removes_what_it_made_and_leaves_the_old_cache_whole() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let old = tmp.path().join("thumbs");
        let names = cache(&old, 5);
        // A target whose shard folder cannot be created: a file sits where it must go.
        let new = tmp.path().join("new");
        std::fs::create_dir_all(&new).expect("target");
        std::fs::write(new.join(names[2].parent().expect("shard")), "blocker").expect("blocker");
        let err = copy_all(&old, &new).expect_err("the copy fails");
        assert!(err.to_string().contains("new"), "{err}");
        assert!(
            !new.join(MARKER).exists(),
            "the marker made by the failed copy is removed"
        );
        let left: Vec<_> = names.iter().filter(|n| new.join(n).exists()).collect();
        assert!(
            left.is_empty(),
            "copies removed after the failure: {left:?}"
        );
        assert!(
            names.iter().all(|n| old.join(n).is_file()),
            "the old cache is untouched"
        );
    }
}

#[cfg(test)]
mod library_tests {
    use super::*;
    use crate::{Library, LibraryConfig, ModelFiles};

    /// A real library writes its thumbnails to the configured folder; after a move
    /// (copy, reopen on the new folder, remove the old one) every thumbnail is still served
    /// and the old folder is gone.
    #[test]
    fn a_real_librarys_cache_moves_and_every_thumbnail_is_still_found() {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let photos = tempfile::tempdir().expect("temp dir");
        for name in [
            "red-circle-000.jpg",
            "blue-square-001.webp",
            "green-triangle-002.png",
        ] {
            std::fs::copy(fixtures.join("shapes").join(name), photos.path().join(name))
                .expect("fixture copied");
        }
        let data = tempfile::tempdir().expect("temp dir");
        let elsewhere = tempfile::tempdir().expect("temp dir");
        let first = elsewhere.path().join("first");
        let second = elsewhere.path().join("second");
        let model = ModelFiles::from_dir(&fixtures.join("shapes-clip")).expect("shapes model");
        let config = |dir: &Path| {
            let mut c = LibraryConfig::new(data.path()).with_model(model.clone());
            c.thumbnail_dir = Some(dir.to_path_buf());
            c
        };
        let lib = Library::open(config(&first)).expect("opens");
        lib.add_folder(photos.path()).expect("folder added");
        lib.wait_idle().expect("indexed");
        let hits = lib.search("a shape", 3).expect("search works");
        assert_eq!(hits.len(), 3, "every photo is indexed");
        for hit in &hits {
            let thumb = lib
                .thumbnail_path(hit.content)
                .expect("lookup")
                .expect("a thumbnail exists");
            assert!(
                thumb.starts_with(&first),
                "{} is in the configured folder",
                thumb.display()
            );
        }
        assert!(
            !data.path().join("thumbs").exists(),
            "nothing is written to the default folder"
        );
        drop(lib);

        check_target(&second, &first, &[photos.path().to_path_buf()]).expect("fine target");
        copy_all(&first, &second).expect("copied");
        let lib = Library::open(config(&second)).expect("reopens");
        assert_eq!(remove_all(&first), 0);
        assert!(!first.exists(), "the old cache folder is gone");
        for hit in &hits {
            let thumb = lib
                .thumbnail_path(hit.content)
                .expect("lookup")
                .expect("the thumbnail is found after the move");
            assert!(thumb.starts_with(&second), "{}", thumb.display());
        }
    }
}
