//! One process at a time per data folder.
//!
//! The catalog tolerates several SQLite connections, but the vector index does not: each
//! process holds its own copy in memory and saves it whole, so two writers (the app and a
//! `glimpse index` in a terminal, say) would each overwrite the other's vectors, and their
//! writer threads would meet as "database is locked" errors mid-run. An advisory lock on a
//! file in the data folder turns that into a clear error at open. The OS releases the lock
//! when the process ends, however it ends, so a crash never leaves the library locked.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{LibraryError, Result};

/// The lock file's name inside the data folder.
pub(crate) const LOCK_FILE: &str = "glimpse.lock";

/// Holds the data folder's lock until dropped.
#[derive(Debug)]
pub(crate) struct LibraryLock {
    // Never read: holding the open file is what holds the lock.
    _file: File,
}

impl LibraryLock {
    /// Takes the lock of the data folder `root`, or says which process holds it.
    pub(crate) fn acquire(root: &Path) -> Result<Self> {
        let path = root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| LibraryError::io(&path, "cannot open the lock file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LibraryError::InUse {
                    data_dir: root.to_owned(),
                    holder: read_holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(LibraryError::io(&path, "cannot lock", e));
            }
        }
        // The holder's pid is only for the message another process shows; failing to
        // write it must not stop this one.
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| write!(file, "{}", std::process::id()))
            .and_then(|()| file.flush());
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "cannot record the lock holder");
        }
        Ok(Self { _file: file })
    }
}

fn read_holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Removes the temporary files an interrupted save left in `dir` (a crash between writing
/// and renaming a new vector index leaves a file as large as the index). Only safe while
/// holding the lock: no other process can be writing one.
pub(crate) fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return; // not created yet: nothing to clean
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        let path: PathBuf = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => tracing::info!(path = %path.display(), "removed an interrupted save"),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove an interrupted save")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = LibraryLock::acquire(dir.path()).unwrap();
        let err = LibraryLock::acquire(dir.path()).unwrap_err();
        match &err {
            LibraryError::InUse { data_dir, holder } => {
                assert_eq!(data_dir, dir.path());
                assert_eq!(*holder, Some(std::process::id()));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        assert!(err.to_string().contains(&std::process::id().to_string()));
        drop(first);
        LibraryLock::acquire(dir.path()).expect("free again once the holder is gone");
    }

    #[test]
    fn only_dot_tmp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".abc.usearch.123-0.tmp");
        let index = dir.path().join("abc.usearch");
        let visible = dir.path().join("notes.tmp");
        for p in [&stale, &index, &visible] {
            fs::write(p, b"x").unwrap();
        }
        remove_stale_temp_files(dir.path());
        assert!(!stale.exists());
        assert!(index.exists());
        assert!(visible.exists());
        remove_stale_temp_files(&dir.path().join("missing")); // no panic, no error
    }
}
