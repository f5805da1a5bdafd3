//! Hostile input and concurrency: a folder of everything that goes wrong on real disks,
//! mixed with good photos, and library calls racing the pipeline from several threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig};
use glimpse_tests::fixtures_dir;

fn open(data: &Path) -> Library {
    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    Library::open(LibraryConfig::new(data).with_model(model)).expect("open")
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w`×`h` pixels, with one tiny (invalid) data chunk.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00]);
    chunk(b"IEND", &[]);
    out
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn a_folder_of_hostile_files_indexes_every_good_photo_and_explains_every_bad_one() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("photos");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let shapes = fixtures_dir().join("shapes");
    let mut good = vec![];
    for name in [
        "red-circle-000.jpg",
        "blue-star-001.png",
        "green-square-000.webp",
    ] {
        std::fs::copy(shapes.join(name), root.join(name)).expect("copy");
        good.push(root.join(name));
    }
    let jpeg = std::fs::read(shapes.join("red-circle-003.jpg")).expect("read");
    let png = std::fs::read(shapes.join("blue-star-004.png")).expect("read");
    let webp = std::fs::read(shapes.join("blue-star-000.webp")).expect("read");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("zero.jpg", vec![]),
        ("truncated.jpg", jpeg[..jpeg.len() / 3].to_vec()),
        ("truncated.png", png[..png.len() / 2].to_vec()),
        ("truncated.webp", webp[..webp.len() / 2].to_vec()),
        ("text.jpg", b"Dear diary, today I took no photos.".to_vec()),
        (
            "random.gif",
            (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("bomb.png", png_claiming(100_000, 100_000)),
        (
            "GIF89a-but-not.gif",
            b"GIF89a\x01\x00\x01\x00garbage".to_vec(),
        ),
    ];
    for (name, bytes) in &files {
        std::fs::write(root.join(name), bytes).expect("write");
    }
    // A good photo under a name that is not UTF-8, and one at the end of a very long path.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9-photo.jpg");
        std::fs::copy(shapes.join("yellow-star-000.jpg"), root.join(latin1)).expect("copy");
        good.push(root.join(latin1));
    }
    let mut deep = root.clone();
    for i in 0..12 {
        deep.push(format!(
            "a-rather-long-folder-name-to-make-the-path-long-{i:02}"
        ));
    }
    std::fs::create_dir_all(&deep).expect("deep dirs");
    std::fs::copy(shapes.join("purple-circle-000.png"), deep.join("deep.png")).expect("copy");
    good.push(deep.join("deep.png"));
    assert!(deep.join("deep.png").as_os_str().len() > 600);
    std::fs::create_dir(root.join("directory.jpg")).expect("mkdir");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&root, root.join("loop")).expect("loop");
        std::os::unix::fs::symlink("/etc/passwd", root.join("outside.jpg")).expect("symlink");
        let fifo = root.join("pipe.jpg");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(status.is_ok_and(|s| s.success()), "mkfifo");
    }

    let library = open(data.path());
    library.add_folder(&root).expect("add");
    // No hang: a FIFO or a symlink loop would block or loop forever if followed.
    library.wait_idle().expect("indexing ends");
    let status = library.status().expect("status");
    let failed: HashMap<String, String> = status
        .failures
        .iter()
        .map(|f| (name_of(&f.path), f.reason.clone()))
        .collect();
    eprintln!("{:#?}", failed);
    assert_eq!(
        status.indexed as usize,
        good.len(),
        "every good photo is indexed: {status:?}"
    );
    for (name, _) in &files {
        let reason = failed
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is listed: {failed:?}"));
        assert!(
            reason.len() > 5,
            "{name}: a readable reason, got {reason:?}"
        );
    }
    assert_eq!(
        failed.len(),
        files.len(),
        "directories, links and FIFOs are not photos: {failed:?}"
    );
    assert!(
        failed["bomb.png"].contains("100000×100000"),
        "{}",
        failed["bomb.png"]
    );
    let all: Vec<PathBuf> = library
        .search("a shape", 50)
        .expect("search")
        .into_iter()
        .map(|h| h.path)
        .collect();
    for g in &good {
        assert!(all.contains(g), "{} is searchable", g.display());
    }
    assert!(library.check().expect("check").is_healthy());
}

#[test]
fn a_file_deleted_between_scan_and_decode_simply_leaves() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("photos");
    let shapes = fixtures_dir().join("shapes");
    for name in [
        "red-circle-000.jpg",
        "blue-star-001.png",
        "green-square-000.webp",
    ] {
        std::fs::copy(shapes.join(name), dir.path().join(name)).expect("copy");
    }
    let library = open(data.path());
    library.set_paused(true);
    library.add_folder(dir.path()).expect("add");
    // Paused: the scan has queued the files but no decoder has read them yet.
    while library.status().expect("status").pending < 3 {
        std::thread::yield_now();
    }
    std::fs::remove_file(dir.path().join("blue-star-001.png")).expect("delete");
    library.set_paused(false);
    library.wait_idle().expect("index");
    let status = library.status().expect("status");
    assert_eq!(
        (status.photos, status.indexed, status.failed),
        (2, 2, 0),
        "{status:?}"
    );
}

#[test]
fn searches_rescans_and_removals_from_many_threads_never_deadlock_or_return_stale_paths() {
    let data = tempfile::tempdir().expect("tempdir");
    let a = tempfile::tempdir().expect("a");
    let b = tempfile::tempdir().expect("b");
    let shapes = fixtures_dir().join("shapes");
    let names: Vec<String> = std::fs::read_dir(&shapes)
        .expect("shapes")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    for (i, name) in names.iter().enumerate() {
        let to = if i % 2 == 0 { a.path() } else { b.path() };
        std::fs::copy(shapes.join(name), to.join(name)).expect("copy");
    }
    let (a, b) = (
        std::fs::canonicalize(a.path()).expect("a"),
        std::fs::canonicalize(b.path()).expect("b"),
    );
    let library = open(data.path());
    library.add_folder(&a).expect("add a");
    library.add_folder(&b).expect("add b");
    std::thread::scope(|s| {
        let (a, b) = (&a, &b);
        for t in 0..4 {
            let library = &library;
            s.spawn(move || {
                for i in 0..40 {
                    let hits = library
                        .search(
                            if (i + t) % 2 == 0 {
                                "a red star"
                            } else {
                                "a blue circle"
                            },
                            20,
                        )
                        .expect("search during indexing");
                    assert!(
                        hits.windows(2).all(|w| w[0].score >= w[1].score),
                        "ranked best first while the index changes"
                    );
                    let mut contents: Vec<_> = hits.iter().map(|h| h.content).collect();
                    contents.sort_unstable();
                    contents.dedup();
                    assert_eq!(
                        contents.len(),
                        hits.len(),
                        "no picture twice in one result list"
                    );
                }
            });
        }
        let library = &library;
        s.spawn(move || {
            for _ in 0..5 {
                library.rescan(a).expect("rescan");
                std::thread::yield_now();
            }
        });
        s.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            library.remove_folder(b).expect("remove during indexing");
        });
    });
    library.wait_idle().expect("idle");
    let status = library.status().expect("status");
    assert_eq!(status.folders.len(), 1, "{status:?}");
    assert_eq!(status.indexed, 120, "folder a is fully indexed: {status:?}");
    for hit in library.search("a shape", 200).expect("search") {
        assert!(
            hit.path.starts_with(&a),
            "no result from the removed folder: {}",
            hit.path.display()
        );
    }
    assert!(library.check().expect("check").is_healthy());
}
