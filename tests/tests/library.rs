//! The Library end to end on real files, the real catalog and the real vector index, with the
//! small CLIP trained on coloured shapes (tests/fixtures/shapes-clip).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, Prefetch};
use glimpse_tests::fixtures_dir;

fn shapes_model() -> ModelFiles {
    ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("shapes model")
}

fn open(data: &Path) -> Library {
    Library::open(LibraryConfig::new(data).with_model(shapes_model())).expect("open library")
}

/// file name -> (colour, shape)
fn labels() -> HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(fixtures_dir().join("shapes/labels.json")).expect("labels");
    let raw: HashMap<String, (String, String)> = serde_json::from_str(&text).expect("labels json");
    raw
}

/// Copies the first `n` shapes pictures (sorted by name, so every colour×shape is included
/// when `n` is a multiple of 10 × 24 … or a simple prefix otherwise) into `dir`.
fn copy_shapes(dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for name in names {
        std::fs::copy(fixtures_dir().join("shapes").join(name), dir.join(name)).expect("copy");
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn shapes_search_ranks_the_right_pictures_and_a_second_run_does_no_work() {
    let data = tempfile::tempdir().expect("tempdir");
    let library = open(data.path());
    library
        .add_folder(&fixtures_dir().join("shapes"))
        .expect("add folder");
    library.wait_idle().expect("index");
    let stats = library.run_stats();
    assert_eq!(
        stats.embedded, 240,
        "every picture is embedded once: {stats:?}"
    );
    assert_eq!(stats.failed, 0, "no shapes picture fails: {stats:?}");

    let labels = labels();
    let mut precisions = Vec::new();
    for colour in ["red", "green", "blue", "yellow", "purple", "orange"] {
        for shape in ["circle", "square", "triangle", "star"] {
            let hits = library
                .search(&format!("a {colour} {shape}"), 10)
                .expect("search");
            assert_eq!(hits.len(), 10, "ten results for a {colour} {shape}");
            let right = hits
                .iter()
                .filter(|h| {
                    labels.get(&file_name(&h.path))
                        == Some(&(colour.to_string(), shape.to_string()))
                })
                .count();
            precisions.push(right as f64 / 10.0);
            eprintln!("a {colour} {shape}: precision@10 = {}", right as f64 / 10.0);
        }
    }
    let mean = precisions.iter().sum::<f64>() / precisions.len() as f64;
    let eval: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("shapes-clip/eval.json")).expect("eval"),
    )
    .expect("eval json");
    let expected = eval["precision_at_10_mean"].as_f64().expect("figure");
    eprintln!("mean precision@10 = {mean:.3} (model's own eval: {expected:.3})");
    assert!(
        mean >= expected - 0.05,
        "search precision@10 {mean:.3} is below the model's own {expected:.3} − 0.05"
    );
    let red_circles = library.search("a red circle", 10).expect("search");
    assert!(
        file_name(&red_circles[0].path).starts_with("red-circle"),
        "the best match for 'a red circle' is a red circle, got {}",
        red_circles[0].path.display()
    );
    assert!(library.check().expect("check").is_healthy());
    drop(library);

    // Reopen and index again: nothing changed, so nothing is decoded or embedded.
    let library = open(data.path());
    assert!(
        !library.reconciliation().rebuilt,
        "the saved index is reused"
    );
    library
        .add_folder(&fixtures_dir().join("shapes"))
        .expect("add folder again");
    library.wait_idle().expect("rescan");
    let stats = library.run_stats();
    assert_eq!(
        library.embedded_count(),
        0,
        "an unchanged folder must not be re-embedded"
    );
    assert_eq!(
        stats.unchanged, 240,
        "every file is seen unchanged: {stats:?}"
    );
    assert_eq!(
        library.search("a red circle", 10).expect("search"),
        red_circles,
        "results survive a restart"
    );
}

#[test]
fn rename_move_duplicate_and_delete_are_tracked_without_re_embedding() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = tempfile::tempdir().expect("photos");
    let names = [
        "red-circle-000.jpg",
        "red-circle-001.webp",
        "blue-square-000.jpg",
        "green-star-000.png",
        "yellow-triangle-001.png",
        "purple-star-000.png",
    ];
    copy_shapes(photos.path(), &names);
    let root = std::fs::canonicalize(photos.path()).expect("canonical");
    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library.wait_idle().expect("index");
    assert_eq!(library.embedded_count(), 6);

    // Rename one, move one into a subfolder, copy one (an exact duplicate), delete one.
    let renamed = root.join("my red ball.jpg");
    std::fs::rename(root.join("red-circle-000.jpg"), &renamed).expect("rename");
    std::fs::create_dir(root.join("sub")).expect("mkdir");
    let moved = root.join("sub/square.jpg");
    std::fs::rename(root.join("blue-square-000.jpg"), &moved).expect("move");
    std::fs::copy(
        root.join("green-star-000.png"),
        root.join("copy of star.png"),
    )
    .expect("copy");
    std::fs::remove_file(root.join("purple-star-000.png")).expect("delete");

    library.rescan(&root).expect("rescan");
    library.wait_idle().expect("index again");
    let stats = library.run_stats();
    assert_eq!(
        library.embedded_count(),
        6,
        "renamed, moved and duplicated files reuse their embedding: {stats:?}"
    );
    assert_eq!(stats.reused, 3, "rename + move + duplicate: {stats:?}");
    assert_eq!(
        stats.removed, 3,
        "the two old paths and the deleted file: {stats:?}"
    );

    // Two red circles are in the folder; the renamed one is among the best two.
    let hits = library.search("a red circle", 2).expect("search");
    assert!(
        hits.iter().any(|h| h.path == renamed),
        "the renamed red circle is found under its new name: {hits:?}"
    );
    let all: Vec<PathBuf> = library
        .search("a shape", 100)
        .expect("search")
        .into_iter()
        .flat_map(|h| std::iter::once(h.path).chain(h.duplicates))
        .collect();
    assert!(
        all.contains(&moved),
        "the moved file is found at its new place"
    );
    assert!(
        !all.iter().any(|p| file_name(p) == "purple-star-000.png"),
        "a deleted file never shows up in results"
    );
    assert!(
        !all.iter().any(|p| file_name(p) == "red-circle-000.jpg"),
        "the old name of a renamed file is gone"
    );
    let status = library.status().expect("status");
    assert_eq!(status.indexed, 6, "5 files left plus one duplicate");
    assert_eq!(
        status.distinct, 5,
        "the duplicate is recognised as the same content"
    );
    let star = library.search("a green star", 1).expect("search");
    assert_eq!(
        star[0].duplicates.len(),
        1,
        "a duplicate is shown once, with its twin"
    );
    assert!(library.check().expect("check").is_healthy());
}

#[test]
fn broken_files_are_listed_with_reasons_and_every_good_file_is_indexed() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = tempfile::tempdir().expect("photos");
    let good = [
        "red-circle-000.jpg",
        "blue-square-001.webp",
        "green-star-000.png",
        "orange-circle-002.jpg",
    ];
    copy_shapes(photos.path(), &good);
    let root = std::fs::canonicalize(photos.path()).expect("canonical");
    let jpeg = std::fs::read(fixtures_dir().join("shapes/red-circle-003.jpg")).expect("read");
    std::fs::write(root.join("empty.jpg"), b"").expect("write");
    std::fs::write(root.join("truncated.jpg"), &jpeg[..jpeg.len() / 2]).expect("write");
    std::fs::write(
        root.join("notes.jpg"),
        b"this is a text file, not a photo\n",
    )
    .expect("write");
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(root.join("noise.webp"), noise).expect("write");
    std::fs::create_dir(root.join("folder.jpg")).expect("a directory named like a photo");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&root, root.join("loop")).expect("symlink loop");
        std::os::unix::fs::symlink("/etc/hostname", root.join("outside.jpg")).expect("symlink");
    }

    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library
        .wait_idle()
        .expect("indexing finishes despite broken files");
    let status = library.status().expect("status");
    assert_eq!(
        status.indexed, 4,
        "every good picture is indexed: {status:?}"
    );
    let failed: HashMap<String, String> = status
        .failures
        .iter()
        .map(|f| (file_name(&f.path), f.reason.clone()))
        .collect();
    for bad in ["empty.jpg", "truncated.jpg", "notes.jpg", "noise.webp"] {
        let reason = failed
            .get(bad)
            .unwrap_or_else(|| panic!("{bad} is listed as failed: {failed:?}"));
        assert!(
            !reason.is_empty() && !reason.contains(&*root.to_string_lossy()),
            "{bad}: a short reason without the path: {reason}"
        );
    }
    assert_eq!(
        failed.len(),
        4,
        "directories and symlinks are not photos: {failed:?}"
    );
    assert!(
        failed["empty.jpg"].contains("empty"),
        "{}",
        failed["empty.jpg"]
    );
    assert!(
        failed["notes.jpg"].contains("not an image"),
        "{}",
        failed["notes.jpg"]
    );
    assert!(library.check().expect("check").is_healthy());

    // Failed files are not retried while unchanged; a fixed file is.
    library.rescan(&root).expect("rescan");
    library.wait_idle().expect("rescan");
    assert_eq!(
        library.run_stats().failed,
        0,
        "unchanged broken files are not retried"
    );
    std::fs::write(root.join("truncated.jpg"), &jpeg).expect("fix the file");
    library.rescan(&root).expect("rescan");
    library.wait_idle().expect("rescan");
    assert_eq!(
        library.status().expect("status").indexed,
        5,
        "a repaired file is indexed"
    );
}

#[test]
fn searches_run_while_indexing_and_a_removed_folder_leaves_no_trace() {
    let data = tempfile::tempdir().expect("tempdir");
    let library = open(data.path());
    let shapes = fixtures_dir().join("shapes");
    std::thread::scope(|s| {
        let searcher = s.spawn(|| {
            // Searches answered while photos were still waiting: a search that had to wait
            // for indexing to finish would never be counted here.
            let mut during_indexing = 0;
            let mut seen_results = false;
            loop {
                let pending_before = library.status().expect("status").pending;
                let hits = library
                    .search("a blue star", 5)
                    .expect("search while indexing");
                let pending_after = library.status().expect("status").pending;
                seen_results |= !hits.is_empty();
                if pending_before > 0 && pending_after > 0 {
                    during_indexing += 1;
                }
                if pending_after == 0 && seen_results {
                    return during_indexing;
                }
            }
        });
        library.add_folder(&shapes).expect("add");
        library.wait_idle().expect("index");
        let during_indexing = searcher.join().expect("searcher thread");
        assert!(
            during_indexing >= 1,
            "searches must be answered while indexing goes on"
        );
    });
    assert!(!library.search("a blue star", 5).expect("search").is_empty());
    let thumbs = data.path().join("thumbs");
    let count_files = |dir: &Path| walk_count(dir);
    assert_eq!(
        count_files(&thumbs),
        240,
        "one thumbnail per distinct picture"
    );

    library.remove_folder(&shapes).expect("remove");
    assert!(
        library.search("a blue star", 5).expect("search").is_empty(),
        "no result from a removed folder"
    );
    assert_eq!(library.status().expect("status").photos, 0);
    assert_eq!(
        count_files(&thumbs),
        0,
        "thumbnails of removed photos are deleted"
    );
    assert!(library.check().expect("check").is_healthy());
}

fn walk_count(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() { walk_count(&p) } else { 1 }
        })
        .sum()
}

#[test]
fn a_lost_or_damaged_vector_index_is_rebuilt_from_the_catalog() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = tempfile::tempdir().expect("photos");
    copy_shapes(
        photos.path(),
        &[
            "red-circle-000.jpg",
            "blue-square-000.jpg",
            "green-star-000.png",
        ],
    );
    let library = open(data.path());
    library.add_folder(photos.path()).expect("add");
    library.wait_idle().expect("index");
    let before = library.search("a red circle", 3).expect("search");
    drop(library);

    let index_files: Vec<PathBuf> = std::fs::read_dir(data.path().join("vectors"))
        .expect("vectors dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        index_files.len(),
        1,
        "one index file for one model: {index_files:?}"
    );
    std::fs::write(&index_files[0], b"garbage").expect("damage the index");
    let library = open(data.path());
    assert!(
        library.reconciliation().rebuilt,
        "a damaged index is rebuilt"
    );
    assert_eq!(library.search("a red circle", 3).expect("search"), before);
    drop(library);

    std::fs::remove_file(&index_files[0]).expect("lose the index");
    let library = open(data.path());
    assert!(library.reconciliation().rebuilt, "a lost index is rebuilt");
    assert_eq!(library.search("a red circle", 3).expect("search"), before);
    assert!(library.check().expect("check").is_healthy());
}

/// One library per data folder at a time, in this process too (the app reopens its library
/// when the model changes: the old one must be gone first). An interrupted index save's
/// temporary file, which can be as large as the index, is removed at the next open.
#[test]
fn a_data_folder_opens_once_at_a_time_and_interrupted_saves_are_cleaned_up() {
    let data = tempfile::tempdir().expect("tempdir");
    let vectors = data.path().join("vectors");
    std::fs::create_dir_all(&vectors).expect("mkdir");
    let stale = vectors.join(".0123456789abcdef.usearch.4242-0.tmp");
    std::fs::write(&stale, vec![0u8; 4096]).expect("write");
    // A thumbnail write cut between its temp file and the rename (glimpse-media's naming).
    let fan = data.path().join("thumbs").join("ab");
    std::fs::create_dir_all(&fan).expect("mkdir");
    let stale_thumb = fan.join(".ab12.jpg.4242.7.tmp");
    std::fs::write(&stale_thumb, b"half a jpeg").expect("write");
    let kept = fan.join("ab12.jpg");
    std::fs::write(&kept, b"a thumbnail").expect("write");

    let first = Library::open(LibraryConfig::new(data.path())).expect("first open");
    assert!(!stale.exists(), "the interrupted save is removed");
    assert!(
        !stale_thumb.exists(),
        "the interrupted thumbnail is removed"
    );
    assert!(kept.exists(), "finished thumbnails stay");
    let err = Library::open(LibraryConfig::new(data.path())).expect_err("second open refused");
    assert_eq!(err.code(), "in_use", "{err}");
    assert!(
        err.to_string()
            .contains(&format!("process {}", std::process::id())),
        "names the holder: {err}"
    );
    drop(first);
    let again = open(data.path());
    assert_eq!(again.status().expect("status").photos, 0);
}

/// The search box prefetches each keystroke's text while the search waits for a pause: the
/// search then runs no forward pass of its own and ranks exactly as without the prefetch.
#[test]
fn a_prefetched_query_is_searched_without_encoding_it_again() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = data.path().join("photos");
    let labels = labels();
    let mut names: Vec<&str> = labels.keys().map(String::as_str).collect();
    names.sort_unstable();
    copy_shapes(&photos, &names[..40]);
    let library = open(&data.path().join("data"));
    library.add_folder(&photos).expect("add folder");
    library.wait_idle().expect("index");
    let unprefetched = library.search("a blue square", 5).expect("search");
    let before = library.text_encodes();

    assert_eq!(
        library.prefetch_text("a red circle").expect("prefetch"),
        Prefetch::Encoded
    );
    assert_eq!(library.text_encodes(), before + 1);
    assert_eq!(
        library.prefetch_text(" a red circle  ").expect("prefetch"),
        Prefetch::Cached,
        "the query is trimmed as the search trims it"
    );
    let hits = library.search("a red circle", 5).expect("search");
    assert_eq!(
        library.text_encodes(),
        before + 1,
        "the search used the prefetched vector"
    );
    assert_eq!(hits.len(), 5);
    assert_eq!(
        library
            .text_vector("a red circle")
            .expect("vector")
            .as_slice(),
        glimpse_embed::Embedder::load(&shapes_model(), glimpse_embed::DeviceChoice::Cpu)
            .expect("model")
            .embed_texts(&["a red circle"])
            .expect("embed")[0]
            .as_slice(),
        "a prefetched vector is the model's own"
    );
    assert_eq!(
        library.search("a blue square", 5).expect("search"),
        unprefetched
    );
}

#[test]
fn quitting_while_a_folder_is_scanned_loses_no_photo() {
    // Quitting stops the folder walk part-way; a walk cut short must not read the files it
    // did not reach as deleted (it once did, and the next start had lost most photos).
    // Thousands of files (hard links to the shapes: 240 contents) make each walk long
    // enough to be cut.
    let photos = tempfile::tempdir().expect("tempdir");
    let shapes = fixtures_dir().join("shapes");
    let mut files = 0u64;
    for copy in 0..12 {
        let dir = photos.path().join(format!("copy-{copy:02}"));
        std::fs::create_dir(&dir).expect("mkdir");
        for entry in std::fs::read_dir(&shapes).expect("shapes") {
            let path = entry.expect("entry").path();
            if glimpse_media::is_candidate(&path) {
                std::fs::hard_link(&path, dir.join(path.file_name().expect("name"))).expect("link");
                files += 1;
            }
        }
    }
    let data = tempfile::tempdir().expect("tempdir");
    let library = open(data.path());
    library.add_folder(photos.path()).expect("add folder");
    library.wait_idle().expect("index");
    assert_eq!(library.status().expect("status").indexed, files);
    drop(library);

    let catalog = data.path().join("catalog.sqlite");
    let known = || {
        glimpse_catalog::Catalog::open_read_only(&catalog)
            .expect("catalog")
            .photos_under(photos.path())
            .expect("photos")
            .len() as u64
    };
    for round in 0..15 {
        // The app rescans its folders at each start; quitting at once cuts that scan short.
        let library = open(data.path());
        library.resume().expect("rescan");
        // Quit at different moments of the scan (its walk takes some tens of ms here).
        std::thread::sleep(std::time::Duration::from_millis(round * 4));
        drop(library);
        assert_eq!(known(), files, "photos known after quit {round}");
    }
}

/// A library reopened on a model it has loaded before opens without waiting for the
/// model's network and answers its last searches from the query vectors it keeps: shown
/// with a model whose weights were changed after the first session, keeping their size
/// and time (so the library cannot tell before loading them; loaded, they are another
/// model, which it refuses). The kept search gives the same results as before; a new one,
/// which needs the network, says why it cannot run.
#[test]
fn a_reopened_library_answers_its_last_searches_before_the_model_loads() {
    let data = tempfile::tempdir().expect("tempdir");
    let models = tempfile::tempdir().expect("tempdir");
    let model_dir = models.path().join("shapes-clip");
    std::fs::create_dir_all(&model_dir).expect("mkdir");
    for entry in std::fs::read_dir(fixtures_dir().join("shapes-clip")).expect("model dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), model_dir.join(entry.file_name())).expect("copy");
        }
    }
    let config = || {
        LibraryConfig::new(data.path())
            .with_model(ModelFiles::from_dir(&model_dir).expect("model files"))
    };
    let photos = data.path().join("photos");
    let names: Vec<String> = labels().into_keys().take(48).collect();
    copy_shapes(
        &photos,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let library = Library::open(config()).expect("open");
    assert!(
        library.model_loaded(),
        "a model new to the library is loaded at open"
    );
    library.add_folder(&photos).expect("add folder");
    library.wait_idle().expect("index");
    let before = library.search("a red circle", 10).expect("search");
    assert_eq!(before.len(), 10);
    drop(library);

    let weights = model_dir.join("model.safetensors");
    let modified = std::fs::metadata(&weights)
        .and_then(|m| m.modified())
        .expect("mtime");
    let mut bytes = std::fs::read(&weights).expect("read weights");
    // Weights changed in place (the last bytes of the last tensor): the files name another
    // model now, which the library finds out only by loading it.
    let end = bytes.len();
    for b in &mut bytes[end - 64..] {
        *b = !*b;
    }
    std::fs::write(&weights, &bytes).expect("damage weights");
    std::fs::File::options()
        .write(true)
        .open(&weights)
        .and_then(|f| f.set_modified(modified))
        .expect("keep the time");

    let library = Library::open(config()).expect("reopen without loading the model");
    let after = library.search("a red circle", 10).expect("kept search");
    let key = |hits: &[glimpse_engine::Hit]| -> Vec<(PathBuf, String)> {
        hits.iter()
            .map(|h| (h.path.clone(), format!("{:.6}", h.score)))
            .collect()
    };
    assert_eq!(
        key(&after),
        key(&before),
        "the kept query vector gives the same results"
    );
    let err = library
        .search("a blue square", 10)
        .expect_err("a new text needs the model");
    assert_eq!(err.code(), "model", "{err}");
    assert!(err.to_string().contains("could not be loaded"), "{err}");
    assert!(!library.model_loaded());
}

/// A library over 24 shapes pictures, indexed, its config changed by `tweak` (idle times).
fn idle_shapes_library(
    tweak: impl Fn(&mut LibraryConfig),
) -> (tempfile::TempDir, PathBuf, Vec<String>, Library) {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = data.path().join("photos");
    let names: Vec<String> = labels().into_keys().take(24).collect();
    copy_shapes(
        &photos,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut config = LibraryConfig::new(data.path()).with_model(shapes_model());
    tweak(&mut config);
    let library = Library::open(config).expect("open");
    library.add_folder(&photos).expect("add folder");
    library.wait_idle().expect("index");
    (data, photos, names, library)
}

/// At rest the library frees its model's image tower (after 200 ms here; 20 s by
/// default): text searches go on without it, and a search by an image file builds it
/// again and ranks exactly as before.
#[test]
fn the_image_tower_is_freed_at_rest_and_built_again_for_an_image_search() {
    let (_data, photos, names, library) = idle_shapes_library(|config| {
        config.image_tower_idle = std::time::Duration::from_millis(200);
    });
    let probe = photos.join(&names[0]);
    let ranked = |hits: Vec<glimpse_engine::Hit>| -> Vec<(PathBuf, f32)> {
        hits.into_iter().map(|h| (h.path, h.score)).collect()
    };
    let like = glimpse_engine::SimilarTo::File(probe);
    let before = ranked(library.similar(&like, 10).expect("similar"));
    let text = ranked(library.search("a red circle", 10).expect("search"));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while library.images_loaded() {
        assert!(
            std::time::Instant::now() < deadline,
            "the image tower is still loaded 30 s after the last image"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        ranked(library.search("a red circle", 10).expect("search")),
        text
    );
    let after = ranked(
        library
            .similar(&like, 10)
            .expect("similar after the release"),
    );
    assert_eq!(after, before, "the same tower again, the same ranking");
}

/// A reopened library serves its vector index from the file; a change copies it to
/// memory, and at rest, once saved, it is served from the file again, answering the same.
#[test]
fn the_vector_index_is_served_from_its_file_at_rest() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = data.path().join("photos");
    let names: Vec<String> = labels().into_keys().take(24).collect();
    let (first, second) = names.split_at(20);
    copy_shapes(
        &photos,
        &first.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let config = || {
        let mut config = LibraryConfig::new(data.path()).with_model(shapes_model());
        config.image_tower_idle = std::time::Duration::from_millis(100);
        config.text_tower_idle = std::time::Duration::from_millis(200);
        config
    };
    {
        let library = Library::open(config()).expect("open");
        library.add_folder(&photos).expect("add folder");
        library.wait_idle().expect("index");
    }
    let library = Library::open(config()).expect("reopen");
    library.wait_idle().expect("idle");
    assert!(
        library.index_served_from_file(),
        "served from the file after an open"
    );
    let ranked = |library: &Library| -> Vec<(PathBuf, f32)> {
        library
            .search("a red circle", 30)
            .expect("search")
            .into_iter()
            .map(|h| (h.path, h.score))
            .collect()
    };
    assert_eq!(ranked(&library).len(), 20);

    copy_shapes(
        &photos,
        &second.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    library.rescan(&photos).expect("rescan");
    library.wait_idle().expect("index the new photos");
    let before = ranked(&library);
    assert_eq!(before.len(), 24, "the new photos are found");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !library.index_served_from_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the changed index is not served from its file 30 s after the changes"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(ranked(&library), before, "the same answers from the file");
}

/// The text tower is freed after `text_tower_idle` without a text; a new text builds it
/// again and ranks as before, and `load_texts` builds it ahead of a text.
#[test]
fn the_text_tower_is_freed_at_rest_and_built_again_for_a_new_text() {
    let (_data, _photos, _names, library) = idle_shapes_library(|config| {
        config.image_tower_idle = std::time::Duration::from_millis(200);
        config.text_tower_idle = std::time::Duration::from_millis(300);
    });
    let ranked = |hits: Vec<glimpse_engine::Hit>| -> Vec<(PathBuf, f32)> {
        hits.into_iter().map(|h| (h.path, h.score)).collect()
    };
    let before = ranked(library.search("a blue square", 10).expect("search"));
    let freed = |library: &Library| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while library.texts_loaded() {
            assert!(
                std::time::Instant::now() < deadline,
                "the text tower is still loaded 30 s after the last text"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    freed(&library);
    let encodes = library.text_encodes();
    // The same words in other letters: the tokenizer lowercases them, the search's cache
    // does not, so the network encodes them.
    let after = ranked(
        library
            .search("A blue square", 10)
            .expect("search after the release"),
    );
    assert_eq!(
        library.text_encodes(),
        encodes + 1,
        "encoded by the network"
    );
    assert_eq!(after, before, "the same tower again, the same ranking");

    freed(&library);
    library.load_texts();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !library.texts_loaded() {
        assert!(
            std::time::Instant::now() < deadline,
            "load_texts did not build the tower in 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
