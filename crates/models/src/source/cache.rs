//! The standard Hugging Face cache layout for one model repo, shared with Python's
//! `huggingface_hub`: `<cache>/models--org--name/` holding `blobs/<etag>` (file contents,
//! named by the hub's etag), `snapshots/<commit>/<file>` (relative symlinks to blobs),
//! `refs/<branch>` (a commit id) and `.no_exist/<commit>/<file>` (files the hub does not
//! have). Offline lookups and the bookkeeping around hf-hub's downloads live here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use hf_hub::Repo;

use super::shards::{self, Found};
use super::{CONFIG_FILE, ModelFiles, PREPROCESSOR_FILE, SourceError, TOKENIZER_FILE, weights};

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
        let commit = self.commit_of(repo, revision)?;
        match self.lookup_commit(repo, &commit)? {
            Ok(files) => Ok(files),
            // `main` with only a pickle: the hub's conversion fetched for it online
            // (hub::Session::use_conversion), or by transformers into the same cache.
            Err(file) if revision == "main" => match self.cached_conversion(repo)? {
                Some(files) => Ok(files),
                None => Err(SourceError::PickleOnly {
                    place: format!(
                        "model {repo} (in the cache at {})",
                        self.cache_dir.display()
                    ),
                    file,
                    hint: String::new(),
                }),
            },
            Err(file) => Err(SourceError::PickleOnly {
                place: format!(
                    "model {repo} (in the cache at {})",
                    self.cache_dir.display()
                ),
                file,
                hint: String::new(),
            }),
        }
    }

    fn missing(&self, repo: &str, what: String) -> SourceError {
        SourceError::NotCached {
            repo: repo.to_owned(),
            cache: self.cache_dir.clone(),
            missing: what,
        }
    }

    /// The commit `revision` names in the cache.
    fn commit_of(&self, repo: &str, revision: &str) -> Result<String, SourceError> {
        let ref_file = self.ref_path(revision);
        let commit = match fs::read_to_string(&ref_file) {
            Ok(text) => text.trim().to_owned(),
            // A commit id needs no ref: `huggingface_hub` writes none for one.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if is_commit_id(revision) && self.root.join("snapshots").join(revision).is_dir() {
                    revision.to_owned()
                } else {
                    return Err(self.missing(repo, format!("refs/{revision}")));
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
            return Err(self.missing(repo, format!("a valid commit in refs/{revision}")));
        }
        Ok(commit)
    }

    /// The snapshot of `commit`: its files, or `Err(pickle)` when its weights are only a
    /// pickle (or absent, as the hub recorded under `.no_exist`).
    fn lookup_commit(
        &self,
        repo: &str,
        commit: &str,
    ) -> Result<Result<ModelFiles, &'static str>, SourceError> {
        let need = |name: &str| {
            let path = self.pointer(commit, name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(self.missing(repo, format!("snapshots/{commit}/{name}")))
            }
        };
        let config = need(CONFIG_FILE)?;
        let tokenizer = need(TOKENIZER_FILE)?;
        // A snapshot written by Python's huggingface_hub may hold any of the layouts.
        let found = shards::find(|name| {
            let path = self.pointer(commit, name);
            Ok::<_, SourceError>(path.is_file().then_some(path))
        })?;
        let (weights, weights_index) = match found {
            Found::Single(path) => (vec![path], None),
            Found::Index(index) => {
                let paths = shards::shard_names(&index)?
                    .iter()
                    .map(|name| need(name))
                    .collect::<Result<Vec<_>, _>>()?;
                (paths, Some(index))
            }
            Found::PickleOnly(file) => return Ok(Err(file)),
            Found::Nothing if self.no_exist(commit, super::WEIGHTS_FILE).exists() => {
                return Ok(Err(super::PICKLE_FILES[0]));
            }
            Found::Nothing => {
                return Err(
                    self.missing(repo, format!("snapshots/{commit}/{}", super::WEIGHTS_FILE))
                );
            }
        };
        let preprocessor = match need(PREPROCESSOR_FILE) {
            Ok(path) => Some(path),
            Err(_) if self.no_exist(commit, PREPROCESSOR_FILE).exists() => None,
            Err(err) => return Err(err),
        };
        for path in &weights {
            weights::check(path)?;
        }
        Ok(Ok(ModelFiles {
            name: repo.to_owned(),
            revision: Some(commit.to_owned()),
            config,
            weights,
            weights_index,
            tokenizer,
            preprocessor,
            converted_from: None,
        }))
    }

    /// The newest cached pull request (`refs/refs/pr/N`) with a complete model: online,
    /// only the conversion of the current `main` is ever fetched and recorded there.
    fn cached_conversion(&self, repo: &str) -> Result<Option<ModelFiles>, SourceError> {
        let Ok(entries) = fs::read_dir(self.root.join("refs").join("refs").join("pr")) else {
            return Ok(None);
        };
        let mut nums: Vec<u64> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        nums.sort_unstable_by_key(|n| std::cmp::Reverse(*n));
        for num in nums {
            let rev = format!("refs/pr/{num}");
            let Ok(commit) = self.commit_of(repo, &rev) else {
                continue;
            };
            if let Ok(Ok(mut files)) = self.lookup_commit(repo, &commit) {
                files.converted_from = Some(rev);
                return Ok(Some(files));
            }
        }
        Ok(None)
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
