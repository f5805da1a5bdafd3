//! The `glimpse` binary as a user runs it: real processes, real files, real stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn glimpse(data: &Path, model: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimpse"));
    cmd.arg("--data-dir")
        .arg(data)
        .arg("--model-dir")
        .arg(model)
        .env_remove("GLIMPSE_MODEL")
        .env("HF_HUB_OFFLINE", "1");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run glimpse")
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "glimpse failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// One line on stderr, starting with our prefix, no panic, no backtrace, non-zero exit.
fn assert_clean_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must fail: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("glimpse: error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(stderr.contains(needle), "mentions {needle:?}: {stderr}");
}

#[test]
fn embed_text_and_image_print_the_reference_embeddings() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("clip-reference/reference.json")).expect("read"),
    )
    .expect("json");
    let model = fixtures().join("clip-reference/model");
    let data = tempfile::tempdir().expect("tempdir");

    let text = &reference["texts"][0];
    let out = run(glimpse(data.path(), &model)
        .args(["embed", "text", "--json"])
        .arg(text["text"].as_str().expect("text")));
    let json = stdout_json(&out);
    assert_eq!(json["dim"], 16);
    assert!(json["model"].as_str().is_some_and(|m| !m.is_empty()));
    let got = floats(&json["embedding"]);
    assert!(
        1.0 - cosine(&got, &floats(&text["embedding"])) <= 1e-5,
        "text parity"
    );

    let image = reference["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["file"] == "edge_exif_orientation6.jpg")
        .expect("fixture");
    let out = run(glimpse(data.path(), &model)
        .args(["embed", "image", "--json"])
        .arg(fixtures().join("clip-reference/images/edge_exif_orientation6.jpg")));
    let json = stdout_json(&out);
    let got = floats(&json["embedding"]);
    assert!(
        1.0 - cosine(&got, &floats(&image["embedding"])) <= 5e-5,
        "image parity through the CLI, EXIF rotation included"
    );
}

#[test]
fn errors_are_one_clear_line() {
    let data = tempfile::tempdir().expect("tempdir");
    let nowhere = data.path().join("no-such-model");
    std::fs::create_dir(&nowhere).expect("mkdir");
    let out = run(glimpse(data.path(), &nowhere).args(["embed", "text", "hi"]));
    assert_clean_error(&out, "config.json is missing");

    let model = fixtures().join("clip-reference/model");
    let text_file = data.path().join("notes.jpg");
    std::fs::write(&text_file, "not a photo").expect("write");
    let out = run(glimpse(data.path(), &model)
        .args(["embed", "image"])
        .arg(&text_file));
    assert_clean_error(&out, "not an image");

    let out = run(glimpse(data.path(), &model)
        .args(["embed", "image"])
        .arg(data.path().join("missing.png")));
    assert_clean_error(&out, "missing.png");

    let out = run(glimpse(data.path(), &model)
        .args(["index"])
        .arg(data.path().join("nope")));
    assert_clean_error(&out, "nope");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".json") {
            continue;
        }
        std::fs::copy(entry.path(), to.join(name)).expect("copy");
    }
}

#[test]
fn index_search_similar_status_and_forget() {
    let data = tempfile::tempdir().expect("tempdir");
    let model = fixtures().join("shapes-clip");
    let photos = tempfile::tempdir().expect("photos");
    copy_dir(&fixtures().join("shapes"), photos.path());

    let out = run(glimpse(data.path(), &model)
        .args(["index", "--json"])
        .arg(photos.path()));
    let summary = stdout_json(&out);
    assert_eq!(summary["indexed"], 240, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");

    let out = run(glimpse(data.path(), &model).args([
        "search",
        "a red circle",
        "--limit",
        "10",
        "--json",
    ]));
    let hits = stdout_json(&out);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 10);
    let red_circles = hits
        .iter()
        .filter(|h| h["path"].as_str().is_some_and(|p| p.contains("red-circle")))
        .count();
    assert!(
        red_circles >= 8,
        "most of the top 10 are red circles: {hits:?}"
    );
    let scores: Vec<f64> = hits
        .iter()
        .map(|h| h["score"].as_f64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked best first: {scores:?}"
    );

    let probe = photos.path().join("blue-star-003.webp");
    let out = run(glimpse(data.path(), &model)
        .args(["similar", "--limit", "5", "--json"])
        .arg(&probe));
    let hits = stdout_json(&out);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 5);
    assert!(
        hits.iter()
            .all(|h| h["path"].as_str() != Some(&*probe.to_string_lossy())),
        "the photo itself is not its own neighbour"
    );
    assert!(
        hits[0]["path"]
            .as_str()
            .is_some_and(|p| p.contains("blue-star")),
        "the nearest neighbour of a blue star is a blue star: {hits:?}"
    );

    let out = run(glimpse(data.path(), &model).args(["status", "--json"]));
    let status = stdout_json(&out);
    assert_eq!(status["indexed"], 240);

    let out = run(glimpse(data.path(), &model)
        .args(["forget"])
        .arg(photos.path()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(glimpse(data.path(), &model).args(["folders", "--json"]));
    assert_eq!(stdout_json(&out), serde_json::json!([]));
    let out = run(glimpse(data.path(), &model).args(["search", "a red circle", "--json"]));
    assert_eq!(
        stdout_json(&out),
        serde_json::json!([]),
        "a forgotten folder leaves no results"
    );
}

/// A small deterministic generator for kill delays (the seed is printed to reproduce).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn killed_mid_indexing_the_library_resumes_consistent_with_nothing_lost_or_duplicated() {
    let rounds: u32 = std::env::var("GLIMPSE_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let seed = std::env::var("GLIMPSE_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
        });
    eprintln!("kill test: {rounds} rounds, GLIMPSE_KILL_SEED={seed}");
    let mut rng = Lcg(seed);
    let data = tempfile::tempdir().expect("tempdir");
    let model = fixtures().join("shapes-clip");
    let photos = tempfile::tempdir().expect("photos");
    copy_dir(&fixtures().join("shapes"), photos.path());

    for round in 0..rounds {
        let mut child = glimpse(data.path(), &model)
            .arg("index")
            .arg(photos.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let delay = std::time::Duration::from_millis(200 + rng.next() % 4000);
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("poll").is_some();
        child.kill().ok(); // SIGKILL on Unix: no destructor, no flush.
        child.wait().expect("reap");
        eprintln!("round {round}: killed after {delay:?} (finished before: {finished})");
    }

    let out = run(glimpse(data.path(), &model)
        .args(["index", "--json"])
        .arg(photos.path()));
    let summary = stdout_json(&out);
    eprintln!("final run: {summary}");
    let out = run(glimpse(data.path(), &model).args(["status", "--json"]));
    let status = stdout_json(&out);
    assert_eq!(
        status["photos"], 240,
        "no photo lost or duplicated: {status}"
    );
    assert_eq!(
        status["indexed"], 240,
        "every photo indexed in the end: {status}"
    );
    assert_eq!(status["distinct"], 240, "{status}");
    assert_eq!(status["failed"], 0, "{status}");

    // The stores on disk, read directly: SQLite is intact and the saved vector index holds
    // exactly the catalog's vectors.
    let catalog = glimpse_catalog::Catalog::open_read_only(&data.path().join("catalog.sqlite"))
        .expect("catalog");
    assert!(catalog.integrity_problems().expect("check").is_empty());
    let embedder = status["model"].as_str().expect("model id");
    let mut wanted = catalog.embedded_content_ids(embedder).expect("ids");
    wanted.sort_unstable();
    let index_files: Vec<PathBuf> = std::fs::read_dir(data.path().join("vectors"))
        .expect("vectors")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "usearch"))
        .collect();
    assert_eq!(index_files.len(), 1, "{index_files:?}");
    let index = glimpse_vectors::VectorIndex::load(
        &index_files[0],
        glimpse_vectors::IndexSettings::new(32),
    )
    .expect("saved index loads");
    let mut keys: Vec<i64> = index.keys().into_iter().map(|k| k as i64).collect();
    keys.sort_unstable();
    assert_eq!(keys, wanted, "index and catalog hold the same vectors");
    assert_eq!(keys.len(), 240);

    // The same as a clean run.
    let clean = tempfile::tempdir().expect("tempdir");
    let out = run(glimpse(clean.path(), &model)
        .args(["index"])
        .arg(photos.path()));
    assert!(out.status.success());
    for query in ["a red circle", "a green star", "a purple triangle"] {
        let a = stdout_json(&run(
            glimpse(data.path(), &model).args(["search", query, "--json"])
        ));
        let b = stdout_json(&run(
            glimpse(clean.path(), &model).args(["search", query, "--json"])
        ));
        let paths = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .expect("array")
                .iter()
                .map(|h| h["path"].to_string())
                .collect()
        };
        assert_eq!(paths(&a), paths(&b), "'{query}' ranks as after a clean run");
    }
}
