//! The catalog on real SQLite: migrations, path handling, the content model.

use std::path::{Path, PathBuf};

use glimpse_catalog::{Catalog, CatalogError, ContentFacts, NewPhoto, PhotoState, SCHEMA_VERSION};

fn photo(cat: &Catalog, folder: i64, path: &str) -> i64 {
    cat.insert_photo(&NewPhoto {
        folder,
        path: PathBuf::from(path),
        size: 10,
        mtime_ns: 1,
    })
    .expect("insert")
}

fn facts() -> ContentFacts {
    ContentFacts {
        format: "jpeg".into(),
        width: 4,
        height: 3,
        ..ContentFacts::default()
    }
}

#[test]
fn a_new_catalog_is_migrated_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("catalog.sqlite");
    {
        let cat = Catalog::open(&db).expect("create");
        cat.add_folder(Path::new("/photos")).expect("folder");
        assert!(cat.integrity_problems().expect("check").is_empty());
    }
    let cat = Catalog::open(&db).expect("reopen");
    assert_eq!(
        cat.folders().expect("folders").len(),
        1,
        "data survives a reopen"
    );
    let ro = Catalog::open_read_only(&db).expect("read-only");
    assert_eq!(ro.folders().expect("folders").len(), 1);
    assert!(
        ro.add_folder(Path::new("/other")).is_err(),
        "a read-only handle cannot write"
    );
}

#[test]
fn a_catalog_from_a_newer_glimpse_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&db).expect("create"));
    bump_schema_version(&db);
    match Catalog::open(&db) {
        Err(CatalogError::TooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

/// A header whose `user_version` reads negative (SQLite stores it as a signed 32-bit value)
/// is an error, not a panic indexing the migrations with a wrapped-around number.
#[test]
fn a_catalog_with_a_negative_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&db).expect("create"));
    let mut bytes = std::fs::read(&db).expect("read db");
    bytes[60..64].copy_from_slice(&(-1i32).to_be_bytes());
    std::fs::write(&db, bytes).expect("write db");
    let writable = Catalog::open(&db);
    assert!(
        matches!(writable, Err(CatalogError::Invalid(ref m)) if m.contains("-1")),
        "{writable:?}"
    );
    let read_only = Catalog::open_read_only(&db);
    assert!(
        matches!(read_only, Err(CatalogError::Invalid(_))),
        "{read_only:?}"
    );
}

/// Bumps `user_version` in the file header (offset 60, big-endian u32), where SQLite keeps
/// it, as a newer Glimpse would have.
fn bump_schema_version(db: &Path) {
    let mut bytes = std::fs::read(db).expect("read db");
    let v = u32::from_be_bytes([bytes[60], bytes[61], bytes[62], bytes[63]]);
    assert_eq!(i64::from(v), SCHEMA_VERSION);
    bytes[60..64].copy_from_slice(&(v + 1).to_be_bytes());
    std::fs::write(db, bytes).expect("write db");
}

#[test]
fn paths_under_a_folder_are_found_by_prefix_even_with_like_wildcards() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p/100%_real")).expect("folder");
    photo(&cat, f, "/p/100%_real/a.jpg");
    photo(&cat, f, "/p/100%_real/sub/b.jpg");
    photo(&cat, f, "/p/100%_realistic/c.jpg"); // a sibling sharing the prefix text
    photo(&cat, f, "/p/100X_real/d.jpg"); // would match LIKE '100%_real'
    let under: Vec<PathBuf> = cat
        .photos_under(Path::new("/p/100%_real"))
        .expect("under")
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(
        under,
        vec![
            PathBuf::from("/p/100%_real/a.jpg"),
            PathBuf::from("/p/100%_real/sub/b.jpg")
        ]
    );
    assert_eq!(
        cat.delete_photos_under(Path::new("/p/100%_real/sub"))
            .expect("delete"),
        1
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_round_trip_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let raw = Path::new(std::ffi::OsStr::from_bytes(b"/p/caf\xe9.jpg"));
    let id = cat
        .insert_photo(&NewPhoto {
            folder: f,
            path: raw.to_path_buf(),
            size: 1,
            mtime_ns: 2,
        })
        .expect("insert");
    let row = cat.photo(id).expect("read").expect("row");
    assert_eq!(row.path.as_os_str().as_bytes(), b"/p/caf\xe9.jpg");
    assert_eq!(
        cat.photo_by_path(raw).expect("by path").map(|r| r.id),
        Some(id)
    );
}

#[test]
fn contents_are_shared_by_duplicates_and_collected_when_unused() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let a = photo(&cat, f, "/p/a.jpg");
    let b = photo(&cat, f, "/p/b.jpg");
    let hash = [7u8; 32];
    let c = cat.upsert_content(&hash, &facts()).expect("content");
    assert_eq!(
        cat.upsert_content(&hash, &facts()).expect("again"),
        c,
        "one row per hash"
    );
    cat.put_embedding(c, "m1", &[0.6, 0.8]).expect("vector");
    cat.set_indexed(a, c, 10, 1).expect("index a");
    cat.set_indexed(b, c, 10, 1).expect("index b");
    let status = cat.status().expect("status");
    assert_eq!(
        (status.indexed, status.distinct),
        (2, 1),
        "a duplicate is one content"
    );
    assert_eq!(cat.embedding(c, "m1").expect("read"), Some(vec![0.6, 0.8]));

    cat.delete_photo(a).expect("delete a");
    assert!(
        cat.collect_garbage().expect("gc").is_empty(),
        "b still uses the content"
    );
    cat.delete_photo(b).expect("delete b");
    assert_eq!(cat.collect_garbage().expect("gc"), vec![(c, hash)]);
    assert_eq!(
        cat.embedding(c, "m1").expect("read"),
        None,
        "vectors go with their content"
    );

    // Ids are never reused, so a stale index key cannot name new content.
    let c2 = cat.upsert_content(&[9u8; 32], &facts()).expect("content");
    assert!(c2 > c);
}

#[test]
fn photos_without_a_vector_for_the_current_model_are_queued_again() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let a = photo(&cat, f, "/p/a.jpg");
    let c = cat.upsert_content(&[1u8; 32], &facts()).expect("content");
    cat.put_embedding(c, "old-model", &[1.0]).expect("vector");
    cat.set_indexed(a, c, 10, 1).expect("indexed");
    assert_eq!(cat.requeue_unembedded("old-model").expect("same model"), 0);
    assert_eq!(cat.requeue_unembedded("new-model").expect("new model"), 1);
    let row = cat.photo(a).expect("read").expect("row");
    assert_eq!(row.state, PhotoState::Pending);
    assert_eq!(cat.pending_photos(Some(f)).expect("pending").len(), 1);
}

#[test]
fn a_transaction_that_fails_stores_nothing() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let result: Result<(), CatalogError> = cat.transaction(|c| {
        photo(c, f, "/p/a.jpg");
        Err(CatalogError::Invalid("stop".into()))
    });
    assert!(result.is_err());
    assert!(
        cat.photos_under(Path::new("/p")).expect("rows").is_empty(),
        "rolled back"
    );
}

#[test]
fn failures_keep_their_reason_until_the_file_changes() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let a = photo(&cat, f, "/p/a.jpg");
    cat.set_failed(a, "not an image").expect("fail");
    let failures = cat.failures(10).expect("failures");
    assert_eq!(failures[0].reason, "not an image");
    photo(&cat, f, "/p/a.jpg"); // seen again changed: back to pending, reason cleared
    let row = cat.photo(a).expect("read").expect("row");
    assert_eq!((row.state, row.failure), (PhotoState::Pending, None));
}

/// Each filter of search against a brute-force check of the same rows.
#[test]
fn search_filters_select_exactly_the_photos_they_name() {
    use glimpse_catalog::{PhotoFilter, Shape};
    let cat = Catalog::open_in_memory().expect("catalog");
    let folder = cat.add_folder(Path::new("/lib")).expect("folder");
    // (path, format, width, height, taken_at, make, model, mtime seconds)
    type Row<'a> = (
        &'a str,
        &'a str,
        u32,
        u32,
        Option<i64>,
        Option<&'a str>,
        Option<&'a str>,
        i64,
    );
    let rows: Vec<Row<'_>> = vec![
        (
            "/lib/Paris/a.jpg",
            "jpeg",
            400,
            300,
            Some(1_560_000_000),
            Some("Google"),
            Some("Pixel 7"),
            1,
        ),
        (
            "/lib/Paris/day2/b.heic",
            "heic",
            300,
            400,
            Some(1_600_000_000),
            Some("Apple"),
            Some("iPhone 12"),
            2,
        ),
        (
            "/lib/Rome/c.png",
            "png",
            200,
            200,
            None,
            None,
            None,
            1_580_000_000,
        ),
        (
            "/lib/Rome/IMG_50%_off.jpg",
            "jpeg",
            640,
            480,
            Some(1_500_000_000),
            Some("Canon"),
            Some("EOS R"),
            3,
        ),
        (
            "/lib/paris-notes/d.webp",
            "webp",
            100,
            50,
            None,
            None,
            None,
            1_700_000_000,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (path, format, w, h, taken, make, model, mtime)) in rows.iter().enumerate() {
        let id = cat
            .insert_photo(&NewPhoto {
                folder,
                path: PathBuf::from(path),
                size: 1,
                mtime_ns: mtime * 1_000_000_000,
            })
            .expect("insert");
        let content = cat
            .upsert_content(
                &[i as u8 + 1; 32],
                &ContentFacts {
                    format: (*format).into(),
                    width: *w,
                    height: *h,
                    taken_at: *taken,
                    camera_make: make.map(str::to_owned),
                    camera_model: model.map(str::to_owned),
                },
            )
            .expect("content");
        cat.set_indexed(id, content, 1, mtime * 1_000_000_000)
            .expect("indexed");
        ids.push(content);
    }
    let pick = |f: PhotoFilter| -> Vec<usize> {
        let got = cat.filtered_contents(&f).expect("filter");
        got.iter()
            .map(|c| ids.iter().position(|x| x == c).expect("known"))
            .collect()
    };
    assert_eq!(pick(PhotoFilter::default()), [0, 1, 2, 3, 4]);
    assert_eq!(
        pick(PhotoFilter {
            under: vec!["/lib/Rome".into(), "/lib/Paris/day2".into()],
            ..PhotoFilter::default()
        }),
        [1, 2, 3],
        "several folders are OR'd"
    );
    // Time: capture time, else mtime.
    assert_eq!(
        pick(PhotoFilter {
            after: Some(1_570_000_000),
            before: Some(1_650_000_000),
            ..PhotoFilter::default()
        }),
        [1, 2]
    );
    assert_eq!(
        pick(PhotoFilter {
            after: Some(1_500_000_000),
            before: Some(1_560_000_001),
            under: vec!["/lib/Paris".into()],
            ..PhotoFilter::default()
        }),
        [0],
        "a date range and a folder together"
    );
    assert_eq!(
        pick(PhotoFilter {
            after: Some(1_560_000_000),
            formats: vec!["jpeg".into()],
            ..PhotoFilter::default()
        }),
        [0],
        "a date range and a column of the content together; after: is inclusive"
    );
    assert_eq!(
        pick(PhotoFilter {
            formats: vec!["jpeg".into(), "webp".into()],
            ..PhotoFilter::default()
        }),
        [0, 3, 4]
    );
    assert_eq!(
        pick(PhotoFilter {
            cameras: vec!["pixel".into()],
            ..PhotoFilter::default()
        }),
        [0]
    );
    assert_eq!(
        pick(PhotoFilter {
            cameras: vec!["apple iphone".into()],
            ..PhotoFilter::default()
        }),
        [1]
    );
    assert_eq!(
        pick(PhotoFilter {
            shape: Some(Shape::Portrait),
            ..PhotoFilter::default()
        }),
        [1]
    );
    assert_eq!(
        pick(PhotoFilter {
            shape: Some(Shape::Square),
            ..PhotoFilter::default()
        }),
        [2]
    );
    assert_eq!(
        pick(PhotoFilter {
            shape: Some(Shape::Landscape),
            ..PhotoFilter::default()
        }),
        [0, 3, 4]
    );
    // Names match the file name only, literally (% and _ are not wildcards).
    assert_eq!(
        pick(PhotoFilter {
            names: vec!["50%_".into()],
            ..PhotoFilter::default()
        }),
        [3]
    );
    assert_eq!(
        pick(PhotoFilter {
            names: vec!["paris".into()],
            ..PhotoFilter::default()
        }),
        Vec::<usize>::new()
    );
    // One statement for photos and vectors of many contents.
    let photos = cat.searchable_photos_of(&ids).expect("photos");
    assert_eq!(photos.len(), 5);
    assert_eq!(photos[2].time, 1_580_000_000, "no capture time: the mtime");
    cat.put_embedding(ids[0], "m", &[1.0, 2.0]).expect("vector");
    assert_eq!(
        cat.vectors_of("m", &ids).expect("vectors"),
        vec![(ids[0], vec![1.0, 2.0])]
    );
    assert_eq!(
        cat.folders_named("PARIS").expect("named"),
        [PathBuf::from("/lib/Paris")],
        "not paris-notes (another name), not a file"
    );
    assert_eq!(
        cat.folders_named("day2").expect("named"),
        [PathBuf::from("/lib/Paris/day2")]
    );
    assert_eq!(
        cat.folders_named("paris-notes").expect("named"),
        [PathBuf::from("/lib/paris-notes")],
        "a name with punctuation, through the word index"
    );
    assert_eq!(
        cat.folders_named("lib").expect("named"),
        [PathBuf::from("/lib")],
        "the library folder's own name (not in the word index)"
    );
    assert!(cat.folders_named("c.png").expect("named").is_empty());
    assert!(cat.folders_named("nowhere").expect("named").is_empty());
}

/// The autocomplete's values: every folder name below the library's folders (with the
/// photos under it, subfolders included) and every camera, filtered by what is typed.
#[test]
fn folder_names_and_cameras_list_distinct_values_with_counts() {
    use glimpse_catalog::ValueCount;
    let cat = Catalog::open_in_memory().expect("catalog");
    let lib = cat
        .add_folder(Path::new("/home/me/Pictures"))
        .expect("folder");
    let phone = cat.add_folder(Path::new("/media/Phone")).expect("folder");
    // (folder, path, make, model, indexed)
    let rows = [
        (
            lib,
            "/home/me/Pictures/a.jpg",
            Some("Canon"),
            Some("Canon EOS R"),
            true,
        ),
        (
            lib,
            "/home/me/Pictures/Paris/b.jpg",
            Some("Canon"),
            Some("Canon EOS R"),
            true,
        ),
        (
            lib,
            "/home/me/Pictures/Paris/day 2/c.jpg",
            Some("Apple"),
            Some("iPhone 12"),
            true,
        ),
        (
            lib,
            "/home/me/Pictures/Rome/d.jpg",
            None,
            Some("Pixel 7"),
            true,
        ),
        (lib, "/home/me/Pictures/Rome/e.jpg", None, None, false),
        (
            phone,
            "/media/Phone/paris/f.jpg",
            Some("Apple"),
            Some("iPhone 12"),
            true,
        ),
    ];
    for (i, (folder, path, make, model, indexed)) in rows.iter().enumerate() {
        let id = photo(&cat, *folder, path);
        if !indexed {
            continue;
        }
        let content = cat
            .upsert_content(
                &[i as u8 + 1; 32],
                &ContentFacts {
                    camera_make: make.map(str::to_owned),
                    camera_model: model.map(str::to_owned),
                    ..facts()
                },
            )
            .expect("content");
        cat.set_indexed(id, content, 1, 1).expect("indexed");
    }
    let vc = |value: &str, count: u64| ValueCount {
        value: value.into(),
        count,
    };
    let names = cat.folder_names("", 20).expect("names");
    assert_eq!(
        names,
        [
            vc("Pictures", 4),
            // Both Paris folders are one name (`in:paris` selects both), any case.
            vc("Paris", 3),
            vc("day 2", 1),
            vc("Phone", 1),
            // The unindexed photo counts for nothing.
            vc("Rome", 1),
        ],
        "folders and subfolders, most photos first"
    );
    assert_eq!(
        cat.folder_names("R", 20).expect("names"),
        [vc("Rome", 1), vc("Pictures", 4), vc("Paris", 3)],
        "names starting with the text come first, then names containing it"
    );
    assert_eq!(cat.folder_names("day", 1).expect("names"), [vc("day 2", 1)]);
    assert_eq!(cat.folder_names("nowhere", 20).expect("names"), []);

    assert_eq!(
        cat.cameras("", 20).expect("cameras"),
        [
            vc("Apple iPhone 12", 2),
            vc("Canon EOS R", 2),
            vc("Pixel 7", 1)
        ],
        "a model that starts with its make is not repeated"
    );
    assert_eq!(
        cat.cameras("iphone", 20).expect("cameras"),
        [vc("Apple iPhone 12", 2)]
    );
}

/// A shot is the indexed files of one folder with one name and a single extension each:
/// not an edit with a second dot, not a file in a subfolder, not a longer name, not a file
/// still pending; `%`/`_` in names are plain characters.
#[test]
fn the_files_of_a_shot_are_found_by_name_in_one_folder() {
    let cat = Catalog::open_in_memory().expect("catalog");
    let f = cat.add_folder(Path::new("/p")).expect("folder");
    let mut content = 0u8;
    let mut indexed = |path: &str| {
        let id = photo(&cat, f, path);
        content += 1;
        let c = cat
            .upsert_content(&[content; 32], &facts())
            .expect("content");
        cat.set_indexed(id, c, 10, 1).expect("indexed");
    };
    for path in [
        "/p/IMG_1%.CR3",
        "/p/IMG_1%.JPG",
        "/p/IMG_1%.edit.jpg",
        "/p/IMG_1%0.JPG",
        "/p/IMG_1%/x.jpg",
        "/p/sub/IMG_1%.JPG",
        "/p/IMG_1_.JPG",
    ] {
        indexed(path);
    }
    photo(&cat, f, "/p/IMG_1%.HEIC"); // pending: not yet part of anything
    let names = |path: &str| -> Vec<PathBuf> {
        cat.indexed_shot_of(Path::new(path))
            .expect("shot")
            .into_iter()
            .map(|(_, _, p)| p)
            .collect()
    };
    assert_eq!(
        names("/p/IMG_1%.CR3"),
        vec![
            PathBuf::from("/p/IMG_1%.CR3"),
            PathBuf::from("/p/IMG_1%.JPG")
        ]
    );
    assert_eq!(names("/p/IMG_1%.JPG"), names("/p/IMG_1%.CR3"));
    assert!(names("/p/no-extension").is_empty());
}

/// A photo's time (what date filters and sorts use) is stored in its row: it must follow
/// every change that moves it — a new capture time for its content, a new mtime, another
/// content, a content without a capture time.
#[test]
fn a_photos_time_follows_its_capture_time_and_mtime() {
    use glimpse_catalog::PhotoFilter;
    let cat = Catalog::open_in_memory().expect("catalog");
    let folder = cat.add_folder(Path::new("/lib")).expect("folder");
    let mtime = |s: i64| s * 1_000_000_000;
    let id = cat
        .insert_photo(&NewPhoto {
            folder,
            path: PathBuf::from("/lib/a.jpg"),
            size: 1,
            mtime_ns: mtime(100),
        })
        .expect("insert");
    let with_time = |taken: Option<i64>| ContentFacts {
        taken_at: taken,
        ..facts()
    };
    let content = cat
        .upsert_content(&[1; 32], &with_time(Some(5_000)))
        .expect("content");
    cat.set_indexed(id, content, 1, mtime(100))
        .expect("indexed");
    let time = |cat: &Catalog| cat.searchable_photos_of(&[content]).expect("photos")[0].time;
    let in_range = |cat: &Catalog, after: i64, before: i64| {
        cat.filtered_contents(&PhotoFilter {
            after: Some(after),
            before: Some(before),
            ..PhotoFilter::default()
        })
        .expect("filter")
    };
    assert_eq!(time(&cat), 5_000, "the capture time wins over the mtime");
    assert_eq!(in_range(&cat, 5_000, 5_001), [content]);

    // The same bytes read again with another capture time (a fixed EXIF reader, say).
    cat.upsert_content(&[1; 32], &with_time(Some(7_000)))
        .expect("content again");
    assert_eq!(time(&cat), 7_000);
    assert!(
        in_range(&cat, 5_000, 5_001).is_empty(),
        "the old time is gone"
    );

    // Linked to a content without a capture time: the file's mtime.
    let plain = cat
        .upsert_content(&[2; 32], &with_time(None))
        .expect("plain");
    cat.set_indexed(id, plain, 1, mtime(300)).expect("indexed");
    assert_eq!(
        cat.searchable_photos_of(&[plain]).expect("photos")[0].time,
        300
    );
    assert_eq!(in_range(&cat, 300, 301), [plain]);
    cat.set_indexed(id, plain, 1, mtime(400)).expect("touched");
    assert_eq!(in_range(&cat, 400, 401), [plain], "a new mtime moves it");
    assert!(in_range(&cat, 300, 301).is_empty());
}

/// Query vectors are kept per embedder, most recent first, and only the newest few.
#[test]
fn recent_query_vectors_are_kept_per_model_newest_first() {
    let cat = Catalog::open_in_memory().expect("catalog");
    cat.put_query_vector("m", "a dog", &[1.0, 0.0], 1, 2)
        .expect("put");
    cat.put_query_vector("m", "a cat", &[0.0, 1.0], 2, 2)
        .expect("put");
    cat.put_query_vector("other", "a dog", &[0.5, 0.5], 3, 2)
        .expect("put");
    assert_eq!(
        cat.query_vectors("m", 10).expect("read"),
        [
            ("a cat".to_owned(), vec![0.0, 1.0]),
            ("a dog".to_owned(), vec![1.0, 0.0])
        ]
    );
    // Used again: it becomes the newest; a third text pushes the oldest out.
    cat.put_query_vector("m", "a dog", &[1.0, 0.0], 4, 2)
        .expect("put");
    cat.put_query_vector("m", "a bird", &[0.6, 0.8], 5, 2)
        .expect("put");
    let texts: Vec<String> = cat
        .query_vectors("m", 10)
        .expect("read")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(texts, ["a bird", "a dog"]);
    assert_eq!(cat.query_vectors("other", 10).expect("read").len(), 1);
    assert_eq!(cat.query_vectors("m", 1).expect("read").len(), 1);
    // Forgetting them all: every model's.
    assert_eq!(cat.forget_query_vectors().expect("forget"), 3);
    assert!(cat.query_vectors("m", 10).expect("read").is_empty());
    assert!(cat.query_vectors("other", 10).expect("read").is_empty());
}
