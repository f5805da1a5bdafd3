//! Hub downloads through hf-hub's sync client, plus what that client leaves out.
//!
//! hf-hub 0.5 downloads into `blobs/<etag>.part` and renames, so a half-written file never
//! sits under its final name; but it never checks that the body it received is as long as
//! announced (a close-delimited body can end early without an error), never checks the
//! hub's hash, ignores `HF_HUB_OFFLINE`, and reports every failure as one opaque error.
//! This module adds those: one metadata request per file (commit, etag, size) before
//! handing the download to hf-hub, verification of the result against that metadata
//! before it is used, an offline mode that reads only the cache, and errors that say what
//! happened.
//!
//! The cache layout is the standard one, shared with Python's `huggingface_hub`:
//! `<cache>/models--org--name/{blobs/<etag>, snapshots/<commit>/<file> -> blob,
//! refs/<revision> = commit, .no_exist/<commit>/<file>}`.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use hf_hub::api::sync::{Api, ApiBuilder, ApiError, ApiRepo, Metadata};
use hf_hub::{Cache, Repo, RepoType};
use sha1::Digest as _;

use super::cache::{CacheRepo, discard, is_safe_component, remove_quietly, with_part_extension};

use super::shards::{self, Found};
use super::{
    CONFIG_FILE, DownloadProgress, ModelFiles, PREPROCESSOR_FILE, SourceError, TOKENIZER_FILE,
    WEIGHTS_FILE, weights,
};

/// The public Hugging Face hub.
const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// Retries of an interrupted download within one run (each resumes where the last
/// stopped), before the error is reported.
const DEFAULT_RETRIES: usize = 3;
/// Read buffer for hashing files, in bytes.
const HASH_BUFFER_BYTES: usize = 1 << 20;

/// How to reach the hub and where its cache lives.
///
/// [`HubOptions::from_env`] reads the variables Python's `huggingface_hub` reads, so both
/// share one cache: `HF_ENDPOINT` (a mirror), `HF_HOME` (default `$XDG_CACHE_HOME/huggingface`
/// or `~/.cache/huggingface`), `HF_HUB_CACHE` (default `$HF_HOME/hub`), `HF_HUB_OFFLINE`
/// (`1`/`true`/`yes`/`on`) and `HF_TOKEN` (default: the `$HF_HOME/token` file).
/// hf-hub's own `ApiBuilder::from_env` only reads `HF_HOME` and `HF_ENDPOINT`.
#[derive(Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The hub's base URL, without a trailing slash, e.g. `https://huggingface.co`.
    pub endpoint: String,
    /// The hub cache folder (the one holding `models--org--name` folders).
    pub cache_dir: PathBuf,
    /// Use only what is in the cache; never touch the network.
    pub offline: bool,
    /// A hub access token, for private or gated models.
    pub token: Option<String>,
    /// How often an interrupted download is resumed within one run before giving up.
    pub max_retries: usize,
}

impl fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("HubOptions")
            .field("endpoint", &self.endpoint)
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl HubOptions {
    /// Online options for `endpoint` with the cache in `cache_dir`, no token, default retries.
    pub fn new(endpoint: impl Into<String>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            cache_dir: cache_dir.into(),
            offline: false,
            token: None,
            max_retries: DEFAULT_RETRIES,
        }
    }

    /// Options from the process environment (see the type's docs for the variables).
    pub fn from_env() -> Result<Self, SourceError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Options from the variables `var` returns, read like [`from_env`](Self::from_env)
    /// reads the environment (lets tests and apps supply their own).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, SourceError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let hf_home = get("HF_HOME").map(PathBuf::from).or_else(|| {
            get("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| {
                    get("HOME")
                        .or_else(|| get("USERPROFILE"))
                        .map(|h| Path::new(&h).join(".cache"))
                })
                .map(|cache| cache.join("huggingface"))
        });
        let cache_dir = get("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| hf_home.as_ref().map(|home| home.join("hub")))
            .ok_or(SourceError::NoCacheDir)?;
        let token = get("HF_TOKEN").or_else(|| {
            let path = hf_home.as_ref()?.join("token");
            let token = fs::read_to_string(path).ok()?;
            let token = token.trim();
            (!token.is_empty()).then(|| token.to_owned())
        });
        let offline = get("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_uppercase().as_str(),
                "1" | "ON" | "YES" | "TRUE"
            )
        });
        let mut options = Self::new(
            get("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
            cache_dir,
        );
        options.offline = offline;
        options.token = token;
        Ok(options)
    }
}

/// Resolves `repo` at `revision` (default `main`) to verified files in the cache.
pub(super) fn resolve(
    repo: &str,
    revision: Option<&str>,
    options: &HubOptions,
    progress: &mut dyn DownloadProgress,
) -> Result<ModelFiles, SourceError> {
    let cache = CacheRepo::new(&options.cache_dir, repo);
    let rev = revision.unwrap_or("main");
    if options.offline {
        return cache.lookup(repo, rev);
    }
    let api = ApiBuilder::from_cache(Cache::new(options.cache_dir.clone()))
        .with_endpoint(options.endpoint.clone())
        .with_token(options.token.clone())
        .with_progress(false)
        .with_retries(options.max_retries)
        .with_user_agent("glimpse", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|e| SourceError::HubUnreachable {
            endpoint: options.endpoint.clone(),
            reason: format!("cannot set up the HTTP client: {e}"),
        })?;
    Session {
        repo,
        revision,
        rev,
        options,
        cache,
        api,
    }
    .run(progress)
}

/// Weights files and the shard index, if any.
type Weights = (Vec<PathBuf>, Option<PathBuf>);

/// The commit a hub answer names, refused if unfit to be a folder name in the cache.
fn commit_of(meta: &Metadata, url: &str) -> Result<String, SourceError> {
    let commit = meta.commit_hash().to_owned();
    if is_safe_component(&commit) {
        Ok(commit)
    } else {
        Err(SourceError::NotAHub {
            url: url.to_owned(),
            reason: format!("x-repo-commit {commit:?} is not a commit id"),
        })
    }
}

/// What the hub said about one file at one commit.
struct Remote {
    url: String,
    etag: String,
    size: u64,
}

/// One online resolve.
struct Session<'a> {
    repo: &'a str,
    /// The revision as the caller gave it (for messages).
    revision: Option<&'a str>,
    /// The revision asked of the hub.
    rev: &'a str,
    options: &'a HubOptions,
    cache: CacheRepo,
    api: Api,
}

/// What one revision of a repo holds.
enum AtCommit {
    /// Everything a model needs, verified in the cache.
    Files(ModelFiles),
    /// Config and tokenizer, but weights only as this pickle.
    PickleOnly(&'static str),
}

/// The safetensors conversions the hub's bot has opened for a pickle-only repo.
enum Conversion {
    /// Pull request N converts the current `main`.
    Current(u64),
    /// These convert older commits of `main` (their weights may differ from today's).
    Stale(Vec<u64>),
}

/// The bot and title transformers' `safetensors_conversion.py` looks for.
const CONVERSION_BOT: &str = "SFconvertbot";
const CONVERSION_TITLE: &str = "Adding `safetensors` variant of this model";
/// Pages of pull requests read while looking for a conversion.
const MAX_DISCUSSION_PAGES: u64 = 20;

#[derive(serde::Deserialize)]
struct DiscussionPage {
    discussions: Vec<Discussion>,
    count: u64,
    start: u64,
}

#[derive(serde::Deserialize)]
struct Discussion {
    num: u64,
    title: String,
    status: String,
    #[serde(rename = "isPullRequest")]
    is_pull_request: bool,
    author: Option<Author>,
}

#[derive(serde::Deserialize)]
struct Author {
    name: String,
}

#[derive(serde::Deserialize)]
struct CommitEntry {
    id: String,
}

impl Session<'_> {
    fn run(&self, progress: &mut dyn DownloadProgress) -> Result<ModelFiles, SourceError> {
        let first = self.repo_at(self.rev);
        let url = first.url(CONFIG_FILE);
        let meta = match self.api.metadata(&url) {
            Ok(meta) => meta,
            Err(err) => return self.first_request_failed(err, url),
        };
        let commit = commit_of(&meta, &url)?;
        match self.fetch_at(&commit, remote(meta, url)?, progress)? {
            AtCommit::Files(files) => {
                // The branch ref is written last, so offline mode never finds a ref to a
                // snapshot that lacks a verified file.
                self.write_ref(self.rev, &commit)?;
                tracing::info!(repo = self.repo, commit, "model files ready");
                Ok(files)
            }
            AtCommit::PickleOnly(file) => self.use_conversion(&commit, file, progress),
        }
    }

    /// `main` has only a pickle: use the safetensors copy the hub's conversion bot made of
    /// it, as transformers does (`safetensors_conversion.auto_conversion`): an open pull
    /// request by `SFconvertbot` whose parent is the current `main`. Its files are checked
    /// like any others; the bot copies the pickle's tensors unchanged.
    fn use_conversion(
        &self,
        main_commit: &str,
        file: &'static str,
        progress: &mut dyn DownloadProgress,
    ) -> Result<ModelFiles, SourceError> {
        let pickle_only = |hint: String| SourceError::PickleOnly {
            place: format!("model {} on {}", self.repo, self.options.endpoint),
            file,
            hint,
        };
        if self.rev != "main" {
            return Err(pickle_only(String::new()));
        }
        let num = match self.conversion(main_commit)? {
            Conversion::Current(num) => num,
            Conversion::Stale(nums) if !nums.is_empty() => {
                let list: Vec<String> = nums.iter().map(|n| format!("refs/pr/{n}")).collect();
                return Err(pickle_only(format!(
                    " The hub has safetensors conversions of older versions of this model \
                     ({}); to use one anyway, give it as the revision, e.g. {}@{}.",
                    list.join(", "),
                    self.repo,
                    list[0]
                )));
            }
            Conversion::Stale(_) => return Err(pickle_only(String::new())),
        };
        let pr_rev = format!("refs/pr/{num}");
        tracing::info!(
            repo = self.repo,
            "main has only {file}; using the hub's safetensors conversion of it, {pr_rev}"
        );
        let url = self.repo_at(&pr_rev).url(CONFIG_FILE);
        let meta = self.api.metadata(&url).map_err(|err| {
            classify(err).into_error(self.file(CONFIG_FILE), url.clone(), &self.options.endpoint)
        })?;
        let pr_commit = commit_of(&meta, &url)?;
        let AtCommit::Files(mut files) = self.fetch_at(&pr_commit, remote(meta, url)?, progress)?
        else {
            return Err(pickle_only(String::new()));
        };
        // Offline lookups of `main` find its snapshot without weights and take the
        // conversion recorded under refs/refs/pr/N (cache::CacheRepo::lookup).
        self.mark_absent(main_commit, WEIGHTS_FILE)?;
        self.write_ref(&pr_rev, &pr_commit)?;
        self.write_ref(self.rev, main_commit)?;
        files.converted_from = Some(pr_rev);
        tracing::info!(repo = self.repo, commit = pr_commit, "model files ready");
        Ok(files)
    }

    /// Which open pull request of the conversion bot converts `main_commit`.
    fn conversion(&self, main_commit: &str) -> Result<Conversion, SourceError> {
        let base = format!("{}/api/models/{}", self.options.endpoint, self.repo);
        let mut stale = Vec::new();
        for page in 0..MAX_DISCUSSION_PAGES {
            let url = format!(
                "{base}/discussions?p={page}&type=pull_request&status=open&author={CONVERSION_BOT}"
            );
            let listed: DiscussionPage = self.get_json(&url)?;
            for d in &listed.discussions {
                let by_bot = d.author.as_ref().is_some_and(|a| a.name == CONVERSION_BOT);
                if !(by_bot
                    && d.is_pull_request
                    && d.status == "open"
                    && d.title == CONVERSION_TITLE)
                {
                    continue;
                }
                let commits: Vec<CommitEntry> =
                    self.get_json(&format!("{base}/commits/refs%2Fpr%2F{}", d.num))?;
                if commits.get(1).is_some_and(|c| c.id == main_commit) {
                    return Ok(Conversion::Current(d.num));
                }
                stale.push(d.num);
            }
            let seen = listed.start + listed.discussions.len() as u64;
            if listed.discussions.is_empty() || seen >= listed.count {
                break;
            }
        }
        Ok(Conversion::Stale(stale))
    }

    /// A JSON answer of the hub's API.
    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SourceError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .user_agent(concat!("glimpse/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let mut request = agent.get(url);
        if let Some(token) = &self.options.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let fail = |err: ureq::Error| {
            classify_request(err).into_error(
                format!("{} (hub API)", self.repo),
                url.to_owned(),
                &self.options.endpoint,
            )
        };
        let text = request
            .call()
            .map_err(fail)?
            .body_mut()
            .read_to_string()
            .map_err(fail)?;
        serde_json::from_str(&text).map_err(|e| SourceError::NotAHub {
            url: url.to_owned(),
            reason: format!("unexpected JSON: {e}"),
        })
    }

    /// Fetches config, tokenizer, preprocessor and weights at `commit` (`config` is the
    /// config's metadata, already asked for).
    fn fetch_at(
        &self,
        commit: &str,
        config: Remote,
        progress: &mut dyn DownloadProgress,
    ) -> Result<AtCommit, SourceError> {
        // Every request names the commit, not the branch, so all files come from one
        // commit even if the branch moves while we download.
        let pinned = self.repo_at(commit);
        let config = self.fetch(&pinned, commit, CONFIG_FILE, config, progress)?;
        let tokenizer = self.fetch_required(&pinned, commit, TOKENIZER_FILE, progress)?;
        let preprocessor = self.fetch_optional(&pinned, commit, PREPROCESSOR_FILE, progress)?;
        let (weights, weights_index) = match self.fetch_weights(&pinned, commit, progress)? {
            Ok(found) => found,
            Err(pickle) => return Ok(AtCommit::PickleOnly(pickle)),
        };
        Ok(AtCommit::Files(ModelFiles {
            name: self.repo.to_owned(),
            revision: Some(commit.to_owned()),
            config,
            weights,
            weights_index,
            tokenizer,
            preprocessor,
            converted_from: None,
        }))
    }

    /// Records `refs/<rev>` = `commit` (a branch or PR ref; a commit needs none).
    fn write_ref(&self, rev: &str, commit: &str) -> Result<(), SourceError> {
        if rev == commit {
            return Ok(());
        }
        Cache::new(self.options.cache_dir.clone())
            .repo(Repo::with_revision(
                self.repo.to_owned(),
                RepoType::Model,
                rev.to_owned(),
            ))
            .create_ref(commit)
            .map_err(|source| SourceError::Io {
                path: self.cache.ref_path(rev),
                action: "write",
                source,
            })
    }

    /// Fetches `model.safetensors`, or else the index and every shard it names; for a repo
    /// with only a pickle, says which (`Ok(Err(file))`) before anything large is
    /// downloaded.
    fn fetch_weights(
        &self,
        pinned: &ApiRepo,
        commit: &str,
        progress: &mut dyn DownloadProgress,
    ) -> Result<Result<Weights, &'static str>, SourceError> {
        let found = shards::find(|name| self.metadata(pinned, name))?;
        match found {
            Found::Single(remote) => {
                let path = self.fetch(pinned, commit, WEIGHTS_FILE, remote, progress)?;
                Ok(Ok((vec![path], None)))
            }
            Found::Index(remote) => {
                // Offline lookups prefer model.safetensors: record that there is none.
                self.mark_absent(commit, WEIGHTS_FILE)?;
                let index =
                    self.fetch(pinned, commit, super::WEIGHTS_INDEX_FILE, remote, progress)?;
                let mut paths = Vec::new();
                for name in shards::shard_names(&index)? {
                    paths.push(self.fetch_required(pinned, commit, &name, progress)?);
                }
                Ok(Ok((paths, Some(index))))
            }
            Found::PickleOnly(file) => Ok(Err(file)),
            Found::Nothing => Err(SourceError::FileNotOnHub {
                repo: self.repo.to_owned(),
                file: WEIGHTS_FILE.to_owned(),
                endpoint: self.options.endpoint.clone(),
            }),
        }
    }

    /// Records under `.no_exist/<commit>/` (as `huggingface_hub` does) that the hub has no
    /// `name`, so offline mode knows too.
    fn mark_absent(&self, commit: &str, name: &str) -> Result<(), SourceError> {
        let marker = self.cache.no_exist(commit, name);
        let written = marker
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::write(&marker, b""));
        written.map_err(|source| SourceError::Io {
            path: marker,
            action: "write",
            source,
        })
    }

    fn repo_at(&self, revision: &str) -> ApiRepo {
        self.api.repo(Repo::with_revision(
            self.repo.to_owned(),
            RepoType::Model,
            revision.to_owned(),
        ))
    }

    /// The first request failed: an unreachable hub falls back to the cache (like
    /// `huggingface_hub` does), anything else is reported.
    fn first_request_failed(&self, err: ApiError, url: String) -> Result<ModelFiles, SourceError> {
        match classify(err) {
            Failure::Unreachable(reason) => match self.cache.lookup(self.repo, self.rev) {
                Ok(files) => {
                    tracing::warn!(
                        endpoint = self.options.endpoint,
                        %reason,
                        "model hub unreachable; using the cached copy of {}",
                        self.repo
                    );
                    Ok(files)
                }
                Err(cache_err) => {
                    tracing::debug!(%cache_err, "no usable cached copy");
                    Err(SourceError::HubUnreachable {
                        endpoint: self.options.endpoint.clone(),
                        reason,
                    })
                }
            },
            // The hub answers 401 to anonymous requests for repos that do not exist (so as
            // not to reveal private ones) and 404 for unknown revisions.
            Failure::Status(401 | 404) => Err(SourceError::RepoNotFound {
                repo: self.repo.to_owned(),
                revision: self.revision.map(str::to_owned),
                endpoint: self.options.endpoint.clone(),
            }),
            failure => Err(failure.into_error(self.file(CONFIG_FILE), url, &self.options.endpoint)),
        }
    }

    fn fetch_required(
        &self,
        pinned: &ApiRepo,
        commit: &str,
        name: &str,
        progress: &mut dyn DownloadProgress,
    ) -> Result<PathBuf, SourceError> {
        match self.metadata(pinned, name)? {
            Some(remote) => self.fetch(pinned, commit, name, remote, progress),
            None => Err(SourceError::FileNotOnHub {
                repo: self.repo.to_owned(),
                file: name.to_owned(),
                endpoint: self.options.endpoint.clone(),
            }),
        }
    }

    /// Fetches a file the model may lack: a 404 means "absent", recorded under
    /// `.no_exist/<commit>/` (as `huggingface_hub` does) so offline mode knows too.
    fn fetch_optional(
        &self,
        pinned: &ApiRepo,
        commit: &str,
        name: &'static str,
        progress: &mut dyn DownloadProgress,
    ) -> Result<Option<PathBuf>, SourceError> {
        match self.metadata(pinned, name)? {
            Some(remote) => self.fetch(pinned, commit, name, remote, progress).map(Some),
            None => {
                self.mark_absent(commit, name)?;
                tracing::debug!(
                    repo = self.repo,
                    file = name,
                    "not on the hub; using defaults"
                );
                Ok(None)
            }
        }
    }

    /// The file's metadata, or `None` when the hub answers 404.
    fn metadata(&self, pinned: &ApiRepo, name: &str) -> Result<Option<Remote>, SourceError> {
        let url = pinned.url(name);
        match self.api.metadata(&url) {
            Ok(meta) => remote(meta, url).map(Some),
            Err(err) => match classify(err) {
                Failure::Status(404) => Ok(None),
                failure => Err(failure.into_error(self.file(name), url, &self.options.endpoint)),
            },
        }
    }

    /// Puts `name` at `snapshots/<commit>/<name>`, from the cache when a sound copy is
    /// there, else downloaded and verified.
    fn fetch(
        &self,
        pinned: &ApiRepo,
        commit: &str,
        name: &str,
        remote: Remote,
        progress: &mut dyn DownloadProgress,
    ) -> Result<PathBuf, SourceError> {
        let blob = self.cache.blob(&remote.etag);
        let pointer = self.cache.pointer(commit, name);
        if blob.is_file() {
            match check_cached(&blob, name, remote.size) {
                Ok(()) => {
                    self.cache.link(&blob, &pointer)?;
                    tracing::debug!(file = name, "cache hit");
                    return Ok(pointer);
                }
                Err(problem) => {
                    tracing::warn!(blob = %blob.display(), %problem, "cached file is damaged; downloading it again");
                    discard(&pointer, &blob);
                }
            }
        }
        // hf-hub resumes from `<blob>.part`; one that is already complete (a crash between
        // the last byte and the rename) or too long would make it fail on every run.
        let part = with_part_extension(&blob);
        if fs::metadata(&part).is_ok_and(|m| m.len() >= remote.size) {
            remove_quietly(&part);
        }
        tracing::info!(
            file = name,
            bytes = remote.size,
            url = remote.url,
            "downloading"
        );
        let adapter = HubProgress {
            inner: &mut *progress,
            file: name,
            started: false,
            pos: 0,
            reported: 0,
        };
        let downloaded = pinned.download_with_progress(name, adapter);
        // hf-hub records `refs/<commit>` for the pinned revision; `huggingface_hub` keeps
        // only branch and tag names there, so take it out again.
        remove_quietly(&self.cache.ref_path(commit));
        let path = match downloaded {
            Ok(path) => path,
            Err(err) => return Err(self.download_failed(err, name, &part, &remote)),
        };
        self.verify_download(&path, name, &remote)?;
        progress.finish(name);
        Ok(path)
    }

    fn download_failed(
        &self,
        err: ApiError,
        name: &str,
        part: &Path,
        remote: &Remote,
    ) -> SourceError {
        let got = fs::metadata(part).map_or(0, |m| m.len());
        let failure = classify(err);
        match failure {
            Failure::Io(_) | Failure::Unreachable(_) if got > 0 && got < remote.size => {
                SourceError::Interrupted {
                    file: self.file(name),
                    got,
                    expected: remote.size,
                    reason: failure.reason(),
                }
            }
            failure => {
                failure.into_error(self.file(name), remote.url.clone(), &self.options.endpoint)
            }
        }
    }

    /// Checks a fresh download against the hub's size and hash; a file that fails is
    /// removed from the cache (or, if merely short, put back as `.part` to resume).
    fn verify_download(&self, path: &Path, name: &str, remote: &Remote) -> Result<(), SourceError> {
        let blob = fs::canonicalize(path).map_err(|source| SourceError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        let actual = fs::metadata(&blob)
            .map_err(|source| SourceError::Io {
                path: blob.clone(),
                action: "read",
                source,
            })?
            .len();
        if actual < remote.size {
            // The body ended early without an error (possible when a server closes a
            // response that has no length); keep the bytes for the next run to resume.
            remove_quietly(path);
            if let Err(err) = fs::rename(&blob, with_part_extension(&blob)) {
                tracing::warn!(blob = %blob.display(), %err, "cannot keep the partial download");
                remove_quietly(&blob);
            }
            return Err(SourceError::Interrupted {
                file: self.file(name),
                got: actual,
                expected: remote.size,
                reason: "the server closed the connection early".to_owned(),
            });
        }
        if actual > remote.size {
            discard(path, &blob);
            return Err(SourceError::SizeMismatch {
                file: self.file(name),
                expected: remote.size,
                actual,
            });
        }
        if let Some((algorithm, expected)) = announced_hash(&remote.etag) {
            let got = hash_file(&blob, algorithm).map_err(|source| SourceError::Io {
                path: blob.clone(),
                action: "read",
                source,
            })?;
            if got != expected {
                discard(path, &blob);
                return Err(SourceError::HashMismatch {
                    file: self.file(name),
                    algorithm,
                    expected,
                    actual: got,
                });
            }
        } else {
            tracing::warn!(
                file = name,
                etag = remote.etag,
                "the hub's etag is not a hash; only the size was checked"
            );
        }
        if is_safetensors(name)
            && let Err(err) = weights::check(path)
        {
            discard(path, &blob);
            return Err(err);
        }
        Ok(())
    }

    /// `repo/name`, for messages.
    fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.repo)
    }
}

/// Turns hf-hub's metadata into ours, refusing an etag unfit to be a file name (it names
/// the blob in the cache).
fn remote(meta: Metadata, url: String) -> Result<Remote, SourceError> {
    let etag = meta.etag().to_owned();
    if !is_safe_component(&etag) {
        return Err(SourceError::NotAHub {
            url,
            reason: format!("etag {etag:?} is not a content hash"),
        });
    }
    Ok(Remote {
        url,
        etag,
        size: meta.size() as u64,
    })
}

/// A cached blob is reused only if it has the announced size and, for the weights, a
/// complete safetensors structure; hashing a large file on every start would cost seconds.
fn check_cached(blob: &Path, name: &str, size: u64) -> Result<(), String> {
    let len = fs::metadata(blob).map_err(|e| e.to_string())?.len();
    if len != size {
        return Err(format!("it has {len} bytes, the hub announced {size}"));
    }
    if is_safetensors(name) {
        weights::check(blob).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A weights file (single or shard), checked structurally before use.
fn is_safetensors(name: &str) -> bool {
    name.ends_with(".safetensors")
}

/// The hash an etag stands for: LFS files carry their sha256 (64 hex digits), files kept
/// in git their git blob id (40 hex digits: sha1 of `blob <len>\0<bytes>`).
fn announced_hash(etag: &str) -> Option<(&'static str, String)> {
    let hex = etag.bytes().all(|b| b.is_ascii_hexdigit());
    match etag.len() {
        64 if hex => Some(("sha256", etag.to_ascii_lowercase())),
        40 if hex => Some(("git-sha1", etag.to_ascii_lowercase())),
        _ => None,
    }
}

fn hash_file(path: &Path, algorithm: &str) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut buf = vec![0u8; HASH_BUFFER_BYTES];
    let mut feed = |update: &mut dyn FnMut(&[u8])| -> io::Result<()> {
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            update(&buf[..n]);
        }
    };
    let digest = if algorithm == "sha256" {
        let mut hasher = sha2::Sha256::new();
        feed(&mut |chunk| hasher.update(chunk))?;
        hasher.finalize().to_vec()
    } else {
        let mut hasher = sha1::Sha1::new();
        hasher.update(format!("blob {len}\0").as_bytes());
        feed(&mut |chunk| hasher.update(chunk))?;
        hasher.finalize().to_vec()
    };
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// hf-hub's errors, sorted by what the user should hear.
enum Failure {
    /// No HTTP answer at all.
    Unreachable(String),
    /// An HTTP error status.
    Status(u16),
    /// An answer without the hub's headers.
    Protocol(String),
    /// A read or write failed mid-download.
    Io(io::Error),
    /// Another process holds the download lock.
    Locked(PathBuf),
    /// Anything else.
    Other(String),
}

fn classify(err: ApiError) -> Failure {
    match err {
        ApiError::RequestError(err) => classify_request(*err),
        ApiError::TooManyRetries(inner) => classify(*inner),
        ApiError::IoError(e) => Failure::Io(e),
        ApiError::LockAcquisition(path) => Failure::Locked(path),
        e @ (ApiError::MissingHeader(_)
        | ApiError::InvalidHeader(_)
        | ApiError::ParseIntError(_)) => Failure::Protocol(e.to_string()),
        e => Failure::Other(e.to_string()),
    }
}

fn classify_request(err: ureq::Error) -> Failure {
    match err {
        ureq::Error::StatusCode(code) => Failure::Status(code),
        ureq::Error::Protocol(e) => Failure::Protocol(e.to_string()),
        e @ (ureq::Error::Io(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Timeout(_)
        | ureq::Error::Tls(_)) => Failure::Unreachable(e.to_string()),
        e => Failure::Other(e.to_string()),
    }
}

impl Failure {
    fn reason(&self) -> String {
        match self {
            Self::Unreachable(r) | Self::Protocol(r) | Self::Other(r) => r.clone(),
            Self::Status(code) => format!("HTTP {code}"),
            Self::Io(e) => e.to_string(),
            Self::Locked(path) => format!("{} is locked", path.display()),
        }
    }

    fn into_error(self, file: String, url: String, endpoint: &str) -> SourceError {
        match self {
            Self::Unreachable(reason) => SourceError::HubUnreachable {
                endpoint: endpoint.to_owned(),
                reason,
            },
            Self::Status(status) => SourceError::HubStatus { url, status },
            Self::Protocol(reason) => SourceError::NotAHub { url, reason },
            Self::Locked(path) => SourceError::Locked { path },
            failure @ (Self::Io(_) | Self::Other(_)) => SourceError::Download {
                file,
                url,
                reason: failure.reason(),
            },
        }
    }
}

/// Adapts our [`DownloadProgress`] to hf-hub's `Progress`, which calls `init` once per
/// attempt and then reports the bytes already on disk (on resume) as one `update`: the
/// adapter reports each byte once, however many attempts there were.
struct HubProgress<'a> {
    inner: &'a mut dyn DownloadProgress,
    file: &'a str,
    started: bool,
    /// Bytes hf-hub has accounted for in the current attempt.
    pos: u64,
    /// Bytes reported to `inner`.
    reported: u64,
}

impl hf_hub::api::Progress for HubProgress<'_> {
    fn init(&mut self, size: usize, _filename: &str) {
        if !self.started {
            self.started = true;
            self.inner.start(self.file, Some(size as u64));
        }
        self.pos = 0;
    }

    fn update(&mut self, size: usize) {
        self.pos += size as u64;
        if self.pos > self.reported {
            self.inner.advance(self.pos - self.reported);
            self.reported = self.pos;
        }
    }

    fn finish(&mut self) {
        // Our `finish` comes after verification, from `Session::fetch`.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_map_to_the_right_hash() {
        let sha256 = "A".repeat(64);
        assert_eq!(announced_hash(&sha256), Some(("sha256", "a".repeat(64))));
        assert_eq!(
            announced_hash(&"0".repeat(40)),
            Some(("git-sha1", "0".repeat(40)))
        );
        assert_eq!(
            announced_hash("W-abc"),
            None,
            "a non-hash etag means size-only checks"
        );
    }

    #[test]
    fn git_blob_hash_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        fs::write(&path, b"hello\n").expect("write");
        assert_eq!(
            hash_file(&path, "git-sha1").expect("hash"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            hash_file(&path, "sha256").expect("hash"),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
    }
}
