//! The standard Hugging Face cache layout for one model repo, shared with Python's
//! `huggingface_hub`: `<cache>/models--org--name/` holding `blobs/<etag>` (file contents,
//! named by the hub's etag), `snapshots/<commit>/<file>` (relative symlinks to blobs),
//! `refs/<branch>` (a commit id) and `.no_exist/<commit>/<file>` (files the hub does not
//! have). Offline lookups and the bookkeeping around hf-hub's downloads live here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use hf_hub::Repo;

use super::{
    CONFIG_FILE, ModelFiles, PREPROCESSOR_FILE, SourceError, TOKENIZER_FILE, WEIGHTS_FILE, weights,
};

/// Paths of one model repo in the hub cache.
pub(super) struct CacheRepo {
    cache_dir: PathBuf,
    root: PathBuf,
}

impl CacheRepo {
    pub(super) fn new(cache_dir: &Path, repo: &str) -> Self {
        let root = cache_dir.join(Repo::model(repo.to_owned()).folder_name());
        Self {
            cache_dir: cache_dir.to_path_buf(),
            root,
        }
    }

    pub(super) fn ref_path(&self, revision: &str) -> PathBuf {
        self.root.join("refs").join(revision)
    }

    pub(super) fn pointer(&self, commit: &str, name: &str) -> PathBuf {
        self.root.join("snapshots").join(commit).join(name)
    }

    pub(super) fn blob(&self, etag: &str) -> PathBuf {
        self.root.join("blobs").join(etag)
    }

    pub(super) fn no_exist(&self, commit: &str, name: &str) -> PathBuf {
        self.root.join(".no_exist").join(commit).join(name)
    }

    /// The model's files as the cache has them for `revision`, without the network.
    pub(super) fn lookup(&self, repo: &str, revision: &str) -> Result<ModelFiles, SourceError> {
        let missing = |what: String| SourceError::NotCached {
            repo: repo.to_owned(),
            cache: self.cache_dir.clone(),
            missing: what,
        };
        let ref_file = self.ref_path(revision);
        let commit = match fs::read_to_string(&ref_file) {
            Ok(text) => text.trim().to_owned(),
            // A commit id needs no ref: `huggingface_hub` writes none for one.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if is_commit_id(revision) && self.root.join("snapshots").join(revision).is_dir() {
                    revision.to_owned()
                } else {
                    return Err(missing(format!("refs/{revision}")));
                }
            }
            Err(source) => {
                return Err(SourceError::Io {
                    path: ref_file,
                    action: "read",
                    source,
                });
            }
        };
        if !is_safe_component(&commit) {
            return Err(missing(format!("a valid commit in refs/{revision}")));
        }
        let need = |name: &str| {
            let path = self.pointer(&commit, name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(missing(format!("snapshots/{commit}/{name}")))
            }
        };
        let config = need(CONFIG_FILE)?;
        let tokenizer = need(TOKENIZER_FILE)?;
        let weights = need(WEIGHTS_FILE)?;
        let preprocessor = match need(PREPROCESSOR_FILE) {
            Ok(path) => Some(path),
            Err(_) if self.no_exist(&commit, PREPROCESSOR_FILE).exists() => None,
            Err(err) => return Err(err),
        };
        weights::check(&weights)?;
        Ok(ModelFiles {
            name: repo.to_owned(),
            revision: Some(commit),
            config,
            weights,
            tokenizer,
            preprocessor,
        })
    }

    /// Makes `pointer` refer to `blob` (a relative symlink, as `huggingface_hub` makes).
    pub(super) fn link(&self, blob: &Path, pointer: &Path) -> Result<(), SourceError> {
        if pointer.is_file() && fs::canonicalize(pointer).ok() == fs::canonicalize(blob).ok() {
            return Ok(());
        }
        let io = |source| SourceError::Io {
            path: pointer.to_path_buf(),
            action: "write",
            source,
        };
        if let Some(dir) = pointer.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        if fs::symlink_metadata(pointer).is_ok() {
            fs::remove_file(pointer).map_err(io)?;
        }
        let blob_name = blob.file_name().unwrap_or_default();
        #[cfg(unix)]
        std::os::unix::fs::symlink(Path::new("../../blobs").join(blob_name), pointer)
            .map_err(io)?;
        #[cfg(not(unix))]
        {
            let _ = blob_name;
            fs::hard_link(blob, pointer)
                .or_else(|_| fs::copy(blob, pointer).map(|_| ()))
                .map_err(io)?;
        }
        Ok(())
    }
}

/// `blobs/<etag>.part`, where hf-hub keeps an unfinished download.
pub(super) fn with_part_extension(blob: &Path) -> PathBuf {
    let mut part = blob.to_path_buf();
    part.set_extension("part");
    part
}

/// Removes a rejected file and the snapshot entry pointing at it, so no later run (online
/// or offline) can pick it up.
pub(super) fn discard(pointer: &Path, blob: &Path) {
    remove_quietly(pointer);
    remove_quietly(blob);
}

pub(super) fn remove_quietly(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(path = %path.display(), %e, "cannot remove"),
    }
}

/// A commit id: 40 hex digits.
fn is_commit_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Fit to be one path component in the cache: the server's answers name folders and files
/// there, so `..` or `/` in them must not get through.
pub(super) fn is_safe_component(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_supplied_names_cannot_escape_the_cache() {
        for bad in ["", "..", "../x", "a/b", ".hidden", "a\\b"] {
            assert!(!is_safe_component(bad), "{bad:?} must be refused");
        }
        assert!(is_safe_component(&"f".repeat(40)));
    }
}
