//! Live folders: the real watcher on real directories, with the shapes model. Tests wait
//! for conditions (with a generous deadline) and the pipeline's idle signal, never a fixed
//! sleep.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, LibraryStatus, WatchOptions};
use glimpse_tests::fixtures_dir;

const DEADLINE: Duration = Duration::from_secs(60);

fn open(data: &Path) -> Library {
    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    let mut config = LibraryConfig::new(data).with_model(model);
    config.watch = WatchOptions {
        debounce: Duration::from_millis(200),
        settle: Duration::from_millis(600),
    };
    Library::open(config).expect("open")
}

/// Waits until `cond` holds for the library's status, letting the pipeline go idle between
/// looks; panics with the last status after the deadline.
fn wait_until(library: &Library, what: &str, cond: impl Fn(&LibraryStatus) -> bool) {
    let started = Instant::now();
    loop {
        library.wait_idle().expect("pipeline");
        let status = library.status().expect("status");
        if cond(&status) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "timed out waiting for {what}: {status:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn shapes() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("shapes"))
        .expect("shapes")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "json"))
        .collect();
    v.sort();
    v
}

fn paths_of(library: &Library, query: &str) -> Vec<PathBuf> {
    library
        .search(query, 300)
        .expect("search")
        .into_iter()
        .flat_map(|h| std::iter::once(h.path).chain(h.duplicates))
        .collect()
}

#[test]
fn files_copied_renamed_moved_and_deleted_are_followed_without_re_embedding() {
    let data = tempfile::tempdir().expect("data");
    let dir = tempfile::tempdir().expect("watched");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library.watch().expect("watch");
    library.wait_idle().expect("idle");

    // 200 files at once.
    let all = shapes();
    for src in all.iter().take(200) {
        std::fs::copy(src, root.join(src.file_name().expect("name"))).expect("copy");
    }
    wait_until(&library, "200 files indexed", |s| s.indexed == 200);
    assert_eq!(library.embedded_count(), 200, "each file embedded once");

    // Rename a file and a folder (with files in it).
    let first = root.join(all[0].file_name().expect("name"));
    let renamed = root.join("renamed.jpg");
    let original_ext = first.extension().map(|e| e.to_os_string());
    let renamed = renamed.with_extension(original_ext.expect("ext"));
    std::fs::rename(&first, &renamed).expect("rename file");
    let sub = root.join("album");
    std::fs::create_dir(&sub).expect("mkdir");
    for src in all.iter().skip(200).take(10) {
        std::fs::copy(src, sub.join(src.file_name().expect("name"))).expect("copy");
    }
    wait_until(&library, "the album indexed", |s| s.indexed == 210);
    let embedded = library.embedded_count();
    let moved = root.join("album (2024)");
    std::fs::rename(&sub, &moved).expect("rename folder");
    wait_until(&library, "the renames applied", |_| {
        let paths = paths_of(&library, "a shape");
        paths.contains(&renamed) && paths.iter().filter(|p| p.starts_with(&moved)).count() == 10
    });
    assert_eq!(
        library.embedded_count(),
        embedded,
        "renames must not re-embed"
    );
    let paths = paths_of(&library, "a shape");
    assert!(!paths.contains(&first), "the old file name is gone");
    assert!(
        !paths.iter().any(|p| p.starts_with(&sub)),
        "the old folder name is gone"
    );

    // Delete a file and a whole folder.
    std::fs::remove_file(&renamed).expect("delete");
    std::fs::remove_dir_all(&moved).expect("delete folder");
    wait_until(&library, "deletions applied", |s| s.indexed == 199);
    let paths = paths_of(&library, "a shape");
    assert!(!paths.contains(&renamed) && !paths.iter().any(|p| p.starts_with(&moved)));
    assert!(library.check().expect("check").is_healthy());
}

#[test]
fn a_file_written_slowly_is_indexed_once_complete() {
    let data = tempfile::tempdir().expect("data");
    let dir = tempfile::tempdir().expect("watched");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library.watch().expect("watch");
    library.wait_idle().expect("idle");

    let bytes = std::fs::read(fixtures_dir().join("shapes/red-circle-009.jpg")).expect("read");
    let target = root.join("download.jpg");
    let mut file = std::fs::File::create(&target).expect("create");
    for chunk in bytes.chunks(bytes.len().div_ceil(5)) {
        use std::io::Write;
        file.write_all(chunk).expect("write");
        file.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(250)); // the scenario: a slow download
    }
    drop(file);
    wait_until(&library, "the file indexed", |s| s.indexed == 1);
    let status = library.status().expect("status");
    assert_eq!(status.failed, 0, "never indexed half-way: {status:#?}");
    assert_eq!(library.embedded_count(), 1, "indexed once, complete");
    let hits = library.search("a red circle", 1).expect("search");
    assert_eq!(hits[0].path, target);
}

#[test]
fn the_watched_folder_removed_and_recreated_is_followed_again() {
    let data = tempfile::tempdir().expect("data");
    let parent = tempfile::tempdir().expect("parent");
    let root = std::fs::canonicalize(parent.path())
        .expect("canonical")
        .join("photos");
    std::fs::create_dir(&root).expect("mkdir");
    let all = shapes();
    std::fs::copy(&all[0], root.join("one.jpg")).expect("copy");
    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library.watch().expect("watch");
    wait_until(&library, "first file", |s| s.indexed == 1);

    std::fs::remove_dir_all(&root).expect("remove the watched folder");
    // An unplugged disk looks the same: the folder's photos are kept, not deleted.
    std::fs::create_dir(&root).expect("recreate");
    for src in all.iter().skip(20).take(3) {
        std::fs::copy(src, root.join(src.file_name().expect("name"))).expect("copy");
    }
    wait_until(&library, "the recreated folder's files", |s| {
        s.indexed == 3 && s.photos == 3
    });
    assert!(library.check().expect("check").is_healthy());
}

#[test]
fn changes_made_while_closed_are_found_at_the_next_start() {
    let data = tempfile::tempdir().expect("data");
    let dir = tempfile::tempdir().expect("watched");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let all = shapes();
    for src in all.iter().take(5) {
        std::fs::copy(src, root.join(src.file_name().expect("name"))).expect("copy");
    }
    {
        let library = open(data.path());
        library.add_folder(&root).expect("add");
        library.wait_idle().expect("idle");
    }
    std::fs::remove_file(root.join(all[0].file_name().expect("name"))).expect("delete");
    std::fs::copy(&all[100], root.join("new.png")).expect("add while closed");
    let library = open(data.path());
    library.resume().expect("resume");
    library.watch().expect("watch");
    wait_until(&library, "the catch-up scan", |s| {
        s.indexed == 5 && s.photos == 5
    });
    assert_eq!(library.embedded_count(), 1, "only the new file is embedded");
}

#[test]
fn a_storm_of_files_created_moved_and_half_deleted_ends_equal_to_the_disk() {
    // 2,000 by default (CI); GLIMPSE_STORM_FILES=10000 for the full storm. Contents repeat
    // the 240 shapes pictures, so the model's time does not dominate the watcher's.
    let count: usize = std::env::var("GLIMPSE_STORM_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let data = tempfile::tempdir().expect("data");
    let dir = tempfile::tempdir().expect("watched");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let library = open(data.path());
    library.add_folder(&root).expect("add");
    library.watch().expect("watch");
    library.wait_idle().expect("idle");
    let all = shapes();
    let started = Instant::now();
    let incoming = root.join("incoming");
    std::fs::create_dir(&incoming).expect("mkdir");
    for i in 0..count {
        let src = &all[i % all.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
        std::fs::copy(src, incoming.join(format!("img-{i:05}.{ext}"))).expect("copy");
    }
    let sorted = root.join("sorted");
    std::fs::rename(&incoming, &sorted).expect("move all");
    let mut expected = Vec::new();
    for i in 0..count {
        let src = &all[i % all.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
        let p = sorted.join(format!("img-{i:05}.{ext}"));
        if i % 2 == 0 {
            std::fs::remove_file(&p).expect("delete");
        } else {
            expected.push(p);
        }
    }
    wait_until(&library, "the storm to settle", |s| {
        s.photos as usize == expected.len() && s.indexed as usize == expected.len()
    });
    eprintln!(
        "storm of {count} files settled in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Search shows one path per content; the catalog has every file.
    let catalog = glimpse_catalog::Catalog::open_read_only(&data.path().join("catalog.sqlite"))
        .expect("catalog");
    let mut rows: Vec<PathBuf> = catalog
        .photos_under(&root)
        .expect("rows")
        .into_iter()
        .map(|r| r.path)
        .collect();
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected, "the catalog equals the file system");
    assert!(library.check().expect("check").is_healthy());
}
