//! Model sources against a local stand-in for the Hugging Face hub (`support/hub_server.rs`)
//! serving the reference CLIP fixture, and against local folders.
//!
//! No test touches the process environment: hub settings go in through `HubOptions`, and
//! the environment parsing is tested through `HubOptions::from_vars`.

#[path = "support/hub_server.rs"]
mod hub_server;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use glimpse_models::source::{DownloadProgress, HubOptions, ModelSource, NoProgress, SourceError};
use hub_server::{
    FakeFile, FakePr, FakeRepo, Fault, HubServer, LoggedRequest, closed_port_endpoint, sha256_hex,
};

const REPO: &str = "test/tiny-clip";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const FILES: [&str; 4] = [
    "config.json",
    "tokenizer.json",
    "preprocessor_config.json",
    "model.safetensors",
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clip-reference/model")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: cannot read fixture: {e}", path.display()))
}

/// A repo of the fixture's files; `skip` names files to leave out.
fn fake_repo(id: &str, skip: &[&str]) -> FakeRepo {
    let files = FILES
        .iter()
        .filter(|name| !skip.contains(name))
        .map(|name| FakeFile {
            name: (*name).to_owned(),
            bytes: fixture(name),
            lfs: *name == "model.safetensors",
        })
        .collect();
    FakeRepo::main(id, COMMIT, files)
}

fn hub(repo: &str) -> ModelSource {
    ModelSource::Hub {
        repo: repo.to_owned(),
        revision: None,
    }
}

fn options(endpoint: &str, cache: &Path) -> HubOptions {
    let mut options = HubOptions::new(endpoint, cache);
    // Tests that want retries say so; the default would only add back-off waits.
    options.max_retries = 0;
    options
}

fn offline(cache: &Path) -> HubOptions {
    let mut options = options("http://127.0.0.1:9", cache);
    options.offline = true;
    options
}

/// Records progress calls; `advance` bytes count toward the file last started.
#[derive(Default)]
struct Recorder {
    current: Option<String>,
    /// file -> (announced total, bytes advanced, finished)
    files: BTreeMap<String, (Option<u64>, u64, bool)>,
    starts: usize,
}

impl DownloadProgress for Recorder {
    fn start(&mut self, file: &str, total_bytes: Option<u64>) {
        self.starts += 1;
        self.current = Some(file.to_owned());
        self.files.insert(file.to_owned(), (total_bytes, 0, false));
    }
    fn advance(&mut self, bytes: u64) {
        let file = self.current.as_ref().expect("advance before start");
        self.files.get_mut(file).expect("started file").1 += bytes;
    }
    fn finish(&mut self, file: &str) {
        self.files
            .get_mut(file)
            .expect("finish of a started file")
            .2 = true;
    }
}

fn repo_dir(cache: &Path) -> PathBuf {
    cache.join("models--test--tiny-clip")
}

fn weights_blob(cache: &Path) -> PathBuf {
    repo_dir(cache)
        .join("blobs")
        .join(sha256_hex(&fixture("model.safetensors")))
}

fn part_files(cache: &Path) -> Vec<PathBuf> {
    fs::read_dir(repo_dir(cache).join("blobs"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "part"))
                .collect()
        })
        .unwrap_or_default()
}

fn print_requests(title: &str, requests: &[LoggedRequest]) {
    println!("{title}:");
    for r in requests {
        println!("  {r}");
    }
}

#[test]
fn hub_download_fills_the_cache_with_verified_files_and_reports_progress() {
    let server = HubServer::start(vec![fake_repo(REPO, &[])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.endpoint(), cache.path());

    let mut progress = Recorder::default();
    let files = hub(REPO)
        .resolve_with(&opts, &mut progress)
        .expect("resolve from the fake hub");

    assert_eq!(files.name, REPO);
    assert_eq!(
        files.revision.as_deref(),
        Some(COMMIT),
        "revision must be the commit the hub sent"
    );
    let snapshot = repo_dir(cache.path()).join("snapshots").join(COMMIT);
    let preprocessor = files
        .preprocessor
        .clone()
        .expect("the fixture has a preprocessor config");
    for (name, path) in [
        ("config.json", &files.config),
        ("tokenizer.json", &files.tokenizer),
        ("preprocessor_config.json", &preprocessor),
        ("model.safetensors", &files.weights[0]),
    ] {
        assert_eq!(
            path,
            &snapshot.join(name),
            "{name} must be in the standard snapshot layout"
        );
        assert_eq!(
            fs::read(path).expect("read"),
            fixture(name),
            "{name}: bytes must equal the fixture"
        );
        let total = fixture(name).len() as u64;
        assert_eq!(
            progress.files.get(name),
            Some(&(Some(total), total, true)),
            "{name}: progress must announce the size, advance by exactly it and finish"
        );
    }
    assert_eq!(
        fs::read_to_string(repo_dir(cache.path()).join("refs/main")).expect("refs/main"),
        COMMIT,
        "refs/main must point at the commit"
    );
    assert!(
        weights_blob(cache.path()).is_file(),
        "weights blob is named by its sha256"
    );
    assert!(
        part_files(cache.path()).is_empty(),
        "no .part file may be left behind"
    );
    assert!(
        !repo_dir(cache.path()).join("refs").join(COMMIT).exists(),
        "hf-hub's refs/<commit> is removed; refs holds branch names only"
    );

    let requests = server.take_requests();
    print_requests("requests of a first download", &requests);
    let sha = sha256_hex(&fixture("model.safetensors"));
    let has = |method: &str, target: &str, range: &str, status: u16| {
        requests.iter().any(|r| {
            r.method == method
                && r.target.starts_with(target)
                && r.range.as_deref() == Some(range)
                && r.status == status
        })
    };
    assert!(
        has(
            "GET",
            "/test/tiny-clip/resolve/main/config.json",
            "bytes=0-0",
            307
        ),
        "metadata probe on main"
    );
    assert!(
        has(
            "GET",
            "/api/resolve-cache/models/test/tiny-clip/",
            "bytes=0-0",
            206
        ),
        "relative redirect followed"
    );
    assert!(
        has(
            "GET",
            &format!("/test/tiny-clip/resolve/{COMMIT}/model.safetensors"),
            "bytes=0-",
            302
        ),
        "downloads are pinned to the commit"
    );
    assert!(
        has("GET", &format!("/cdn/{sha}"), "bytes=0-", 206),
        "the Range header survives the CDN redirect"
    );

    // A second online resolve finds everything cached: metadata requests only, no body.
    let mut again = Recorder::default();
    let second = hub(REPO)
        .resolve_with(&opts, &mut again)
        .expect("second resolve");
    assert_eq!(second, files, "a cache hit returns the same files");
    assert_eq!(again.starts, 0, "nothing may be downloaded again");
    let requests = server.take_requests();
    print_requests("requests of a cached resolve", &requests);
    assert!(
        requests
            .iter()
            .all(|r| r.range.as_deref() == Some("bytes=0-0")),
        "a cached resolve only probes metadata"
    );
}

#[test]
fn offline_mode_and_an_unreachable_hub_use_the_cache() {
    let cache = tempfile::tempdir().expect("tempdir");
    let endpoint;
    let downloaded = {
        let server = HubServer::start(vec![fake_repo(REPO, &[])]);
        endpoint = server.endpoint();
        hub(REPO)
            .resolve_with(&options(&endpoint, cache.path()), &mut NoProgress)
            .expect("download")
    }; // the server is stopped here

    let mut progress = Recorder::default();
    let files = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut progress)
        .expect("offline cache hit");
    assert_eq!(files, downloaded, "offline mode returns the cached files");
    assert_eq!(progress.starts, 0, "offline mode downloads nothing");

    // Without offline mode a dead hub falls back to the cache, like huggingface_hub does.
    let files = hub(REPO)
        .resolve_with(&options(&endpoint, cache.path()), &mut NoProgress)
        .expect("fallback");
    assert_eq!(
        files, downloaded,
        "an unreachable hub falls back to the complete cached copy"
    );

    // A pinned commit resolves offline without a ref.
    let pinned = ModelSource::Hub {
        repo: REPO.to_owned(),
        revision: Some(COMMIT.to_owned()),
    };
    assert_eq!(
        pinned
            .resolve_with(&offline(cache.path()), &mut NoProgress)
            .expect("pinned"),
        downloaded
    );

    let empty = tempfile::tempdir().expect("tempdir");
    let err = hub(REPO)
        .resolve_with(&offline(empty.path()), &mut NoProgress)
        .expect_err("empty cache");
    let message = err.to_string();
    println!("offline, empty cache: {message}");
    assert!(matches!(err, SourceError::NotCached { .. }), "{message}");
    assert!(
        message.contains("model test/tiny-clip is not in the cache")
            && message.contains("HF_HUB_OFFLINE is set"),
        "the message must name the model and the setting: {message}"
    );
}

#[test]
fn an_interrupted_weights_download_is_reported_never_used_and_resumed() {
    let server = HubServer::start(vec![fake_repo(REPO, &[])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let total = fixture("model.safetensors").len() as u64;
    server.set_fault(Fault::CutLfsBodies);

    let mut opts = options(&server.endpoint(), cache.path());
    opts.max_retries = 1; // one in-run resume: 1/2 + 1/4 of the file arrives before giving up
    let mut progress = Recorder::default();
    let err = hub(REPO)
        .resolve_with(&opts, &mut progress)
        .expect_err("cut download must fail");
    let message = err.to_string();
    println!("cut twice: {message}");
    let got = match err {
        SourceError::Interrupted { got, expected, .. } => {
            assert_eq!(expected, total, "expected size is the hub's");
            got
        }
        other => panic!("expected Interrupted, got {other:?}"),
    };
    // Each attempt resumes where the last stopped and gets half of the rest. (hf-hub 0.5
    // makes max_retries + 1 retries: its loop checks `i > max_retries` after retrying.)
    let ranges: Vec<String> = server
        .take_requests()
        .into_iter()
        .filter(|r| r.target.starts_with("/cdn/") && r.range.as_deref() != Some("bytes=0-0"))
        .filter_map(|r| r.range)
        .collect();
    let mut expected_got = 0;
    let mut expected_ranges = Vec::new();
    for _ in 0..ranges.len() {
        expected_ranges.push(format!("bytes={expected_got}-"));
        expected_got += (total - expected_got) / 2;
    }
    assert!(
        ranges.len() >= 2,
        "the download must have been retried in-run: {ranges:?}"
    );
    assert_eq!(
        ranges, expected_ranges,
        "every retry resumes at the bytes already on disk"
    );
    assert_eq!(got, expected_got, "the error reports the bytes on disk");
    assert!(
        message.contains(&format!("was interrupted ({got} of {total} bytes)"))
            && message.contains("run again to resume"),
        "{message}"
    );
    let snapshot_weights = repo_dir(cache.path())
        .join("snapshots")
        .join(COMMIT)
        .join("model.safetensors");
    assert!(
        !snapshot_weights.exists(),
        "a truncated file must never appear in the snapshot"
    );
    assert!(!weights_blob(cache.path()).exists(), "nor as a blob");
    assert_eq!(
        part_files(cache.path()).len(),
        1,
        "the partial bytes are kept for resuming"
    );
    assert!(
        !progress.files["model.safetensors"].2,
        "an interrupted file gets no finish"
    );
    let offline_err = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect_err("not complete");
    assert!(
        matches!(offline_err, SourceError::NotCached { .. }),
        "offline must not use it: {offline_err}"
    );

    server.set_fault(Fault::None);
    let mut progress = Recorder::default();
    let files = hub(REPO)
        .resolve_with(&opts, &mut progress)
        .expect("resume with a fixed server");
    assert_eq!(
        fs::read(&files.weights[0]).expect("read"),
        fixture("model.safetensors"),
        "resumed bytes are right"
    );
    assert_eq!(
        progress.files["model.safetensors"],
        (Some(total), total, true),
        "resume counts every byte once"
    );
    let requests = server.take_requests();
    print_requests("requests of the resumed download", &requests);
    let resumed_from = format!("bytes={got}-");
    assert!(
        requests
            .iter()
            .any(|r| r.target.starts_with("/cdn/") && r.range.as_deref() == Some(&resumed_from)),
        "the download must resume with Range: {resumed_from}"
    );
    assert!(
        part_files(cache.path()).is_empty(),
        "the .part file became the blob"
    );
}

/// hf-hub accepts a body that ends cleanly before the announced size (a close-delimited
/// response) and renames it into the cache; only our size check stands between that file
/// and the model loader.
#[test]
fn a_short_body_without_a_transport_error_is_caught_by_the_size_check() {
    let server = HubServer::start(vec![fake_repo(REPO, &[])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.endpoint(), cache.path());
    let total = fixture("model.safetensors").len() as u64;
    server.set_fault(Fault::CutLfsBodiesWithoutLength);

    let err = hub(REPO)
        .resolve_with(&opts, &mut NoProgress)
        .expect_err("short body must be refused");
    println!("short close-delimited body: {err}");
    assert!(
        matches!(err, SourceError::Interrupted { got, expected, .. } if got == total / 2 && expected == total),
        "{err:?}"
    );
    let snapshot_weights = repo_dir(cache.path())
        .join("snapshots")
        .join(COMMIT)
        .join("model.safetensors");
    assert!(
        !snapshot_weights.exists(),
        "the short file must leave the snapshot"
    );
    assert!(!weights_blob(cache.path()).exists(), "and the blobs");
    assert_eq!(
        part_files(cache.path()).len(),
        1,
        "its bytes go back to .part for resuming"
    );

    server.set_fault(Fault::None);
    server.take_requests();
    let files = hub(REPO)
        .resolve_with(&opts, &mut NoProgress)
        .expect("resume");
    assert_eq!(
        fs::read(&files.weights[0]).expect("read"),
        fixture("model.safetensors")
    );
    let resumed_from = format!("bytes={}-", total / 2);
    assert!(
        server
            .take_requests()
            .iter()
            .any(|r| r.target.starts_with("/cdn/") && r.range.as_deref() == Some(&resumed_from)),
        "the next run resumes with Range: {resumed_from}"
    );
}

#[test]
fn weights_that_do_not_match_the_hub_hash_are_refused() {
    let server = HubServer::start(vec![fake_repo(REPO, &[])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.endpoint(), cache.path());
    server.set_fault(Fault::CorruptLfsBodies);

    let err = hub(REPO)
        .resolve_with(&opts, &mut NoProgress)
        .expect_err("corrupt weights must be refused");
    let message = err.to_string();
    println!("corrupt: {message}");
    assert!(
        matches!(
            err,
            SourceError::HashMismatch {
                algorithm: "sha256",
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("does not match the hub's sha256 hash"),
        "{message}"
    );
    assert!(
        !weights_blob(cache.path()).exists(),
        "the bad blob is deleted"
    );
    assert!(
        !repo_dir(cache.path())
            .join("snapshots")
            .join(COMMIT)
            .join("model.safetensors")
            .exists(),
        "the snapshot entry is deleted"
    );
    let offline_err = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect_err("nothing usable");
    assert!(
        matches!(offline_err, SourceError::NotCached { .. }),
        "offline must not find it: {offline_err}"
    );

    server.set_fault(Fault::None);
    let files = hub(REPO)
        .resolve_with(&opts, &mut NoProgress)
        .expect("a good server afterwards");
    assert_eq!(
        fs::read(&files.weights[0]).expect("read"),
        fixture("model.safetensors")
    );
}

#[test]
fn a_truncated_weights_file_in_the_cache_is_detected_and_replaced() {
    let server = HubServer::start(vec![fake_repo(REPO, &[])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.endpoint(), cache.path());
    let files = hub(REPO)
        .resolve_with(&opts, &mut NoProgress)
        .expect("download");
    let total = fixture("model.safetensors").len() as u64;
    fs::OpenOptions::new()
        .write(true)
        .open(weights_blob(cache.path()))
        .and_then(|f| f.set_len(total / 2))
        .expect("truncate the cached blob");

    let err = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect_err("truncated cache");
    println!("offline, truncated cache: {err}");
    assert!(
        matches!(err, SourceError::TruncatedWeights { ref path, expected, actual } if *path == files.weights[0] && expected == total && actual == total / 2),
        "offline must refuse the truncated weights: {err:?}"
    );

    let mut progress = Recorder::default();
    let again = hub(REPO)
        .resolve_with(&opts, &mut progress)
        .expect("online replaces the damaged file");
    assert_eq!(
        progress.files.keys().collect::<Vec<_>>(),
        ["model.safetensors"],
        "only the weights are re-fetched"
    );
    assert_eq!(
        fs::read(&again.weights[0]).expect("read"),
        fixture("model.safetensors")
    );
}

#[test]
fn missing_models_files_revisions_and_hubs_give_clear_errors() {
    let server = HubServer::start(vec![
        fake_repo(REPO, &[]),
        fake_repo("test/no-tokenizer", &["tokenizer.json"]),
    ]);
    let cache = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.endpoint(), cache.path());
    let endpoint = server.endpoint();

    let err = hub("test/nope")
        .resolve_with(&opts, &mut NoProgress)
        .expect_err("no such repo");
    println!("404 repo: {err}");
    assert!(matches!(err, SourceError::RepoNotFound { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("model test/nope was not found on {endpoint}")),
        "{err}"
    );

    let bad_rev = ModelSource::Hub {
        repo: REPO.to_owned(),
        revision: Some("v9".to_owned()),
    };
    let err = bad_rev
        .resolve_with(&opts, &mut NoProgress)
        .expect_err("no such revision");
    println!("404 revision: {err}");
    assert!(
        err.to_string()
            .contains("test/tiny-clip at revision v9 was not found"),
        "{err}"
    );

    let err = hub("test/no-tokenizer")
        .resolve_with(&opts, &mut NoProgress)
        .expect_err("no tokenizer");
    println!("404 file: {err}");
    assert!(
        matches!(
            err,
            SourceError::FileNotOnHub { ref file, .. } if file == "tokenizer.json"
        ),
        "{err:?}"
    );

    let dead = closed_port_endpoint();
    let err = hub(REPO)
        .resolve_with(&options(&dead, cache.path()), &mut NoProgress)
        .expect_err("closed port");
    println!("closed port: {err}");
    assert!(matches!(err, SourceError::HubUnreachable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot reach the model hub at {dead}: ")),
        "{err}"
    );
}

#[test]
fn a_model_without_preprocessor_config_uses_defaults_online_and_offline() {
    let server = HubServer::start(vec![fake_repo(REPO, &["preprocessor_config.json"])]);
    let cache = tempfile::tempdir().expect("tempdir");
    let files = hub(REPO)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect("a 404 for preprocessor_config.json is not an error");
    assert_eq!(files.preprocessor, None, "absent on the hub means defaults");
    let marker = repo_dir(cache.path())
        .join(".no_exist")
        .join(COMMIT)
        .join("preprocessor_config.json");
    assert!(
        marker.is_file(),
        "the absence is recorded like huggingface_hub does"
    );
    drop(server);
    let cached = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect("offline");
    assert_eq!(
        cached, files,
        "offline mode knows the file is absent, not missing"
    );
}

#[test]
fn local_folders_are_checked_for_files_and_truncated_weights() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("tiny-clip");
    fs::create_dir(&model).expect("mkdir");
    for name in FILES {
        fs::copy(fixture_dir().join(name), model.join(name)).expect("copy fixture");
    }
    let files = ModelSource::Dir(model.clone())
        .resolve(&mut NoProgress)
        .expect("complete folder");
    assert_eq!(
        (files.name.as_str(), files.revision.as_deref()),
        ("tiny-clip", None)
    );
    assert_eq!(
        files.preprocessor,
        Some(model.join("preprocessor_config.json"))
    );

    let weights = fixture("model.safetensors");
    fs::write(
        model.join("model.safetensors"),
        &weights[..weights.len() - 1000],
    )
    .expect("truncate");
    let err = ModelSource::Dir(model.clone())
        .resolve(&mut NoProgress)
        .expect_err("truncated weights");
    println!("truncated local weights: {err}");
    assert!(
        matches!(err, SourceError::TruncatedWeights { expected, actual, .. } if expected == weights.len() as u64 && actual + 1000 == expected),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("model.safetensors: the weights file is truncated"),
        "{err}"
    );

    fs::remove_file(model.join("tokenizer.json")).expect("remove");
    let err = ModelSource::Dir(model.clone())
        .resolve(&mut NoProgress)
        .expect_err("missing tokenizer");
    println!("missing local file: {err}");
    assert!(
        err.to_string()
            .ends_with("not a model folder: tokenizer.json is missing"),
        "{err}"
    );
}

#[test]
fn hub_options_are_read_from_the_environment_like_huggingface_hub() {
    let vars = |pairs: &[(&str, &str)]| {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        HubOptions::from_vars(move |k| map.get(k).cloned())
    };
    let home = tempfile::tempdir().expect("tempdir");
    let hf_home = home.path().to_str().expect("utf-8 temp path");
    fs::write(home.path().join("token"), "hf_file_token\n").expect("token file");

    let o = vars(&[
        ("HF_HOME", hf_home),
        ("HF_ENDPOINT", "http://mirror.test/"),
        ("HF_HUB_OFFLINE", "1"),
    ])
    .expect("options");
    assert_eq!(o.endpoint, "http://mirror.test", "trailing slash dropped");
    assert_eq!(o.cache_dir, home.path().join("hub"), "HF_HOME/hub");
    assert!(o.offline, "HF_HUB_OFFLINE=1");
    assert_eq!(
        o.token.as_deref(),
        Some("hf_file_token"),
        "token file under HF_HOME"
    );
    assert!(
        !format!("{o:?}").contains("hf_file_token"),
        "Debug must not print the token"
    );

    let o = vars(&[
        ("HF_HOME", hf_home),
        ("HF_HUB_CACHE", "/c"),
        ("HF_TOKEN", "hf_env"),
        ("HF_HUB_OFFLINE", "0"),
    ])
    .expect("options");
    assert_eq!(
        (o.cache_dir.as_path(), o.token.as_deref(), o.offline),
        (Path::new("/c"), Some("hf_env"), false)
    );
    assert_eq!(o.endpoint, "https://huggingface.co");

    let o = vars(&[
        ("XDG_CACHE_HOME", "/x"),
        ("HOME", "/h"),
        ("HF_HUB_OFFLINE", "true"),
    ])
    .expect("options");
    assert_eq!(
        (o.cache_dir.as_path(), o.offline),
        (Path::new("/x/huggingface/hub"), true)
    );
    let o = vars(&[("HOME", "/h")]).expect("options");
    assert_eq!(o.cache_dir, Path::new("/h/.cache/huggingface/hub"));
    assert!(
        matches!(vars(&[]), Err(SourceError::NoCacheDir)),
        "no HOME and no HF_HOME"
    );
}

// --- Repos laid out as the real hub serves them (tests/fixtures/hub-layouts) -------------

fn layout(folder: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hub-layouts")
        .join(folder)
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: cannot read fixture: {e}", path.display()))
}

/// The files of a hub-layout fixture folder, LFS for weights and pickles as on the hub.
fn layout_files(folder: &str, names: &[&str]) -> Vec<FakeFile> {
    names
        .iter()
        .map(|name| FakeFile {
            name: (*name).to_owned(),
            bytes: layout(folder, name),
            lfs: name.ends_with(".safetensors") || name.ends_with(".bin"),
        })
        .collect()
}

const SIDE: [&str; 3] = ["config.json", "tokenizer.json", "preprocessor_config.json"];
const PR_COMMIT: &str = "fedcba9876543210fedcba9876543210fedcba98";
const BOT_TITLE: &str = "Adding `safetensors` variant of this model";

/// `openai/clip-vit-base-patch32` as the hub has it: `main` with only `pytorch_model.bin`;
/// the conversion bot's pull requests `prs` (number, parent commit) with model.safetensors.
fn pickle_only_repo(id: &str, prs: &[(u64, &str)]) -> Vec<FakeRepo> {
    let mut main_files = layout_files("clip-hub", &SIDE);
    main_files.extend(layout_files("clip-hub", &["pytorch_model.bin"]));
    let mut repos = vec![FakeRepo::main(id, COMMIT, main_files)];
    for (i, (num, parent)) in prs.iter().enumerate() {
        let mut files = layout_files("clip-hub", &SIDE);
        files.extend(layout_files("clip-hub", &["model.safetensors"]));
        let commit = format!("{}{i:02}", &PR_COMMIT[..38]);
        let mut pr = FakeRepo::main(id, &commit, files);
        pr.revision = format!("refs/pr/{num}");
        pr.parent = Some((*parent).to_owned());
        pr.pr = Some(FakePr {
            author: "SFconvertbot".to_owned(),
            title: BOT_TITLE.to_owned(),
            status: "open".to_owned(),
        });
        repos.push(pr);
    }
    repos
}

fn embed_a_text(files: &glimpse_models::ModelFiles) -> Vec<f32> {
    let embedder = glimpse_embed::Embedder::load(files, glimpse_embed::DeviceChoice::Cpu)
        .expect("the downloaded model loads");
    embedder.embed_texts(&["a dog"]).expect("embed").remove(0)
}

#[test]
fn a_repo_with_int64_buffers_downloads_and_loads() {
    let mut files = layout_files("clip-hub", &SIDE);
    files.extend(layout_files(
        "clip-hub",
        &["model.safetensors", "pytorch_model.bin"],
    ));
    let server = HubServer::start(vec![FakeRepo::main(REPO, COMMIT, files)]);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut progress = Recorder::default();
    let got = hub(REPO)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut progress)
        .expect("resolve");
    assert_eq!(got.weights.len(), 1);
    assert!(
        !progress.files.contains_key("pytorch_model.bin"),
        "the pickle beside model.safetensors is never downloaded: {:?}",
        progress.files.keys()
    );
    let local = glimpse_models::ModelFiles::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hub-layouts/clip-hub"),
    )
    .expect("local folder");
    assert_eq!(embed_a_text(&got), embed_a_text(&local));
}

#[test]
fn a_sharded_repo_downloads_every_shard_and_works_offline() {
    let shards = [
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ];
    let mut files = layout_files("clip-sharded", &SIDE);
    files.extend(layout_files("clip-sharded", &shards));
    let server = HubServer::start(vec![FakeRepo::main(REPO, COMMIT, files)]);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut progress = Recorder::default();
    let got = hub(REPO)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut progress)
        .expect("a sharded repo resolves");
    assert_eq!(got.weights.len(), 2, "{:?}", got.weights);
    assert!(got.weights_index.is_some());
    for name in shards {
        let total = layout("clip-sharded", name).len() as u64;
        assert_eq!(
            progress.files.get(name),
            Some(&(Some(total), total, true)),
            "{name} downloaded with progress"
        );
    }
    let offline_files = hub(REPO)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect("the cached shards resolve offline");
    assert_eq!(offline_files, got);
    let single = glimpse_models::ModelFiles::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hub-layouts/clip-hub"),
    )
    .expect("local folder");
    assert_eq!(
        embed_a_text(&got),
        embed_a_text(&single),
        "shards give the single file's vectors, bit for bit"
    );

    // A shard missing on the hub is named.
    let mut broken = layout_files("clip-sharded", &SIDE);
    broken.extend(layout_files("clip-sharded", &shards[..2]));
    let server = HubServer::start(vec![FakeRepo::main(REPO, COMMIT, broken)]);
    let cache = tempfile::tempdir().expect("tempdir");
    let err = hub(REPO)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect_err("a missing shard");
    assert!(
        matches!(err, SourceError::FileNotOnHub { ref file, .. } if file == shards[2]),
        "{err:?}"
    );
}

#[test]
fn a_pickle_only_main_uses_the_conversion_bots_pull_request() {
    // Pull request 15 converts today's main (parent COMMIT); 32 and 40 convert an older
    // one. The hub lists newest first, two a page here: 15 is found on the second page.
    let id = "openai/clip-vit-base-patch32";
    let older = "1111111111111111111111111111111111111111";
    let server = HubServer::start(pickle_only_repo(
        id,
        &[(15, COMMIT), (32, older), (40, older)],
    ));
    let cache = tempfile::tempdir().expect("tempdir");
    let mut progress = Recorder::default();
    let files = hub(id)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut progress)
        .expect("the conversion is used");
    assert_eq!(files.converted_from.as_deref(), Some("refs/pr/15"));
    let pr_commit = format!("{}00", &PR_COMMIT[..38]);
    assert_eq!(files.revision.as_deref(), Some(pr_commit.as_str()));
    assert!(
        !progress.files.contains_key("pytorch_model.bin"),
        "the pickle is never downloaded"
    );
    let requests = server.take_requests();
    print_requests("requests of a pickle-only main", &requests);
    assert!(
        requests
            .iter()
            .any(|r| r.target.contains("/resolve/refs%2Fpr%2F15/config.json")),
        "the pull request's ref is asked for URL-encoded"
    );

    // Offline (the app at its next start): main's snapshot has no weights, the
    // conversion recorded beside it is found.
    let offline_files = hub(id)
        .resolve_with(&offline(cache.path()), &mut NoProgress)
        .expect("offline lookup of main");
    assert_eq!(offline_files, files);
    let local = glimpse_models::ModelFiles::from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hub-layouts/clip-hub"),
    )
    .expect("local folder");
    assert_eq!(embed_a_text(&files), embed_a_text(&local));

    // Asking for the pull request by name works too.
    let explicit = ModelSource::Hub {
        repo: id.to_owned(),
        revision: Some("refs/pr/32".to_owned()),
    };
    let cache = tempfile::tempdir().expect("tempdir");
    let got = explicit
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect("refs/pr/32 by name");
    assert_eq!(
        got.revision.as_deref(),
        Some(&format!("{}01", &PR_COMMIT[..38])[..])
    );
    assert_eq!(got.converted_from, None);
}

#[test]
fn a_pickle_only_repo_without_a_current_conversion_is_refused_with_a_reason() {
    let id = "org/old-clip";
    let older = "1111111111111111111111111111111111111111";
    let server = HubServer::start(pickle_only_repo(id, &[(7, older)]));
    let cache = tempfile::tempdir().expect("tempdir");
    let err = hub(id)
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect_err("only a stale conversion");
    println!("stale conversion: {err}");
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SourceError::PickleOnly {
                file: "pytorch_model.bin",
                ..
            }
        ) && text.contains("refs/pr/7")
            && text.contains(&format!("{id}@refs/pr/7")),
        "{text}"
    );

    let server = HubServer::start(pickle_only_repo("org/no-conversion", &[]));
    let err = hub("org/no-conversion")
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect_err("no conversion at all");
    println!("no conversion: {err}");
    assert!(
        matches!(err, SourceError::PickleOnly { .. }) && err.to_string().contains("pickle"),
        "{err}"
    );
    // A pull request by anyone but the bot is not trusted.
    let mut repos = pickle_only_repo("org/impostor", &[(3, COMMIT)]);
    if let Some(pr) = repos[1].pr.as_mut() {
        pr.author = "someone".to_owned();
    }
    let server = HubServer::start(repos);
    let err = hub("org/impostor")
        .resolve_with(&options(&server.endpoint(), cache.path()), &mut NoProgress)
        .expect_err("a user's pull request is not a conversion");
    assert!(matches!(err, SourceError::PickleOnly { .. }), "{err}");
}
