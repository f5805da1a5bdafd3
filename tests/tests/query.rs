//! The search box's grammar end to end (issue 19): each filter returns exactly the photos it
//! names (checked against a brute-force filter over what the test put on disk), exclusions
//! and example photos steer the ranking, on the shapes CLIP and real files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use exif::experimental::Writer;
use exif::{DateTime, Field, In, Tag, Value};
use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, Query, Scope};
use glimpse_tests::fixtures_dir;

fn open(data: &Path) -> Library {
    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    Library::open(LibraryConfig::new(data).with_model(model)).expect("open")
}

/// An APP1 EXIF segment with a capture time and a camera, written by kamadak-exif.
fn exif_segment(taken: &str, make: &str, model: &str) -> Vec<u8> {
    let fields = [
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![taken.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![make.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![model.as_bytes().to_vec()]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("exif");
    let tiff = tiff.into_inner();
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// One file the test wrote, with the facts the filters look at.
#[derive(Debug, Clone)]
struct Truth {
    path: PathBuf,
    format: &'static str,
    /// Capture time, else the mtime the test set (seconds).
    time: i64,
    camera: Option<String>,
    landscape: bool,
    square: bool,
}

/// A library of shapes pictures spread over nested folders, with mtimes, some JPEGs with
/// EXIF capture times and cameras, in three formats.
fn build(root: &Path) -> Vec<Truth> {
    let shapes = fixtures_dir().join("shapes");
    let mut names: Vec<String> = std::fs::read_dir(&shapes)
        .expect("shapes")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    names.sort();
    let folders = ["Paris", "Paris/day2", "Rome", "Home/2019"];
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate().step_by(3) {
        let folder = root.join(folders[i % folders.len()]);
        std::fs::create_dir_all(&folder).expect("mkdir");
        // Neutral names: the words of a query must not find the file by its name.
        let ext = name.rsplit('.').next().expect("ext");
        let to = folder.join(format!("IMG_{i:04}.{ext}"));
        let bytes = std::fs::read(shapes.join(name)).expect("read");
        let (format, camera, exif_time) = match ext {
            "jpg" if i % 2 == 0 => {
                let (make, model) = if i % 4 == 0 {
                    ("Google", "Pixel 7")
                } else {
                    ("Canon", "EOS R6")
                };
                let taken = format!("20{:02}:0{}:1{} 12:00:00", 15 + i % 8, 1 + i % 9, i % 10);
                let segment = exif_segment(&taken, make, model);
                let with =
                    glimpse_bench::photos::insert_jpeg_segment(&bytes, &segment).expect("insert");
                std::fs::write(&to, with).expect("write");
                let dt = DateTime::from_ascii(taken.as_bytes()).expect("dt");
                let days = days(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day));
                (
                    "jpeg",
                    Some(format!("{make} {model}").to_lowercase()),
                    Some(days * 86_400 + 12 * 3600),
                )
            }
            _ => {
                std::fs::write(&to, &bytes).expect("write");
                let format = match ext {
                    "jpg" => "jpeg",
                    "png" => "png",
                    _ => "webp",
                };
                (format, None, None)
            }
        };
        let mtime = 1_400_000_000 + i as i64 * 5_000_000;
        std::fs::File::options()
            .write(true)
            .open(&to)
            .expect("open")
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime as u64))
            .expect("mtime");
        let img = image::image_dimensions(&to).expect("dims");
        out.push(Truth {
            path: std::fs::canonicalize(&to).expect("canonical"),
            format,
            time: exif_time.unwrap_or(mtime),
            camera,
            landscape: img.0 > img.1,
            square: img.0 == img.1,
        });
    }
    out
}

fn days(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn paths(library: &Library, text: &str) -> BTreeSet<PathBuf> {
    let query = Query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let found = library
        .query(&query.scope(Scope::All).page(0, 10_000))
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    found.hits.into_iter().map(|h| h.path).collect()
}

#[test]
fn every_filter_returns_exactly_the_photos_it_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("lib");
    let truth = build(&root);
    let library = open(&dir.path().join("data"));
    library.add_folder(&root).expect("add");
    library.wait_idle().expect("index");
    assert_eq!(
        library.status().expect("status").indexed as usize,
        truth.len()
    );
    let expect = |keep: &dyn Fn(&Truth) -> bool| -> BTreeSet<PathBuf> {
        truth
            .iter()
            .filter(|t| keep(t))
            .map(|t| t.path.clone())
            .collect()
    };
    let root = std::fs::canonicalize(&root).expect("root");
    let under = |t: &Truth, d: &str| t.path.starts_with(root.join(d));
    let y2019 = days(2019, 1, 1) * 86_400;
    let y2020 = days(2020, 1, 1) * 86_400;
    let jun2018 = days(2018, 6, 1) * 86_400;
    let cases: Vec<(String, BTreeSet<PathBuf>)> = vec![
        ("in:Paris".into(), expect(&|t| under(t, "Paris"))),
        (
            "in:paris in:Rome".into(),
            expect(&|t| under(t, "Paris") || under(t, "Rome")),
        ),
        (
            format!("in:{}", root.join("Paris/day2").display()),
            expect(&|t| under(t, "Paris/day2")),
        ),
        ("in:2019".into(), expect(&|t| under(t, "Home/2019"))),
        ("in:Nowhere".into(), BTreeSet::new()),
        ("in:Nowhere in:Rome".into(), expect(&|t| under(t, "Rome"))),
        ("after:2019".into(), expect(&|t| t.time >= y2019)),
        ("before:2019".into(), expect(&|t| t.time < y2019)),
        (
            "after:2019 before:2020".into(),
            expect(&|t| t.time >= y2019 && t.time < y2020),
        ),
        ("after:2018-06".into(), expect(&|t| t.time >= jun2018)),
        ("type:png".into(), expect(&|t| t.format == "png")),
        ("type:jpeg type:webp".into(), expect(&|t| t.format != "png")),
        (
            "camera:pixel".into(),
            expect(&|t| t.camera.as_deref().is_some_and(|c| c.contains("pixel"))),
        ),
        (
            "camera:CANON".into(),
            expect(&|t| t.camera.as_deref().is_some_and(|c| c.contains("canon"))),
        ),
        ("orientation:landscape".into(), expect(&|t| t.landscape)),
        ("orientation:square".into(), expect(&|t| t.square)),
        (
            "orientation:portrait".into(),
            expect(&|t| !t.landscape && !t.square),
        ),
        (
            "name:img_00".into(),
            expect(&|t| {
                t.path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().to_lowercase().contains("img_00"))
            }),
        ),
        (
            "in:Paris type:png after:2016".into(),
            expect(&|t| {
                under(t, "Paris") && t.format == "png" && t.time >= days(2016, 1, 1) * 86_400
            }),
        ),
    ];
    for (query, want) in cases {
        assert!(
            !want.is_empty() || query.contains("portrait") || query == "in:Nowhere",
            "{query}: the test names something"
        );
        assert_eq!(paths(&library, &query), want, "{query}");
    }

    // Sorting by date keeps every photo and orders it by time.
    let newest = library
        .query(
            &Query::parse("in:Rome sort:newest")
                .expect("parse")
                .scope(Scope::All)
                .page(0, 1000),
        )
        .expect("query");
    let times: Vec<i64> = newest
        .hits
        .iter()
        .map(|h| truth.iter().find(|t| t.path == h.path).expect("known").time)
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    let rome_good = library
        .query(&Query::parse("a red circle in:Rome").expect("parse"))
        .expect("query");
    assert!(
        rome_good
            .hits
            .iter()
            .all(|h| h.path.starts_with(root.join("Rome"))),
        "red in:Rome returns only Rome's pictures"
    );
}

fn labels() -> std::collections::HashMap<String, (String, String)> {
    serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("shapes/labels.json")).expect("labels"),
    )
    .expect("json")
}

fn colour_shape(path: &Path) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    labels().get(&name).cloned().unwrap_or_default()
}

#[test]
fn exclusions_push_matches_out_and_words_steer_an_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = open(dir.path());
    let shapes = fixtures_dir().join("shapes");
    library.add_folder(&shapes).expect("add");
    library.wait_idle().expect("index");
    let ranked = |text: &str, n: usize| -> Vec<(PathBuf, bool)> {
        library
            .query(
                &Query::parse(text)
                    .expect("parse")
                    .scope(Scope::All)
                    .page(0, n),
            )
            .expect("query")
            .hits
            .into_iter()
            .map(|h| (h.path, h.good))
            .collect()
    };
    let red = |p: &Path| colour_shape(p).0 == "red";
    let circle = |p: &Path| colour_shape(p).1 == "circle";

    let plain = ranked("circle", 25);
    let without = ranked("circle -red", 25);
    let everything = ranked("circle -red", 240);
    let good_without: Vec<&PathBuf> = everything
        .iter()
        .filter(|(_, g)| *g)
        .map(|(p, _)| p)
        .collect();
    assert!(
        good_without.iter().all(|p| !red(p)),
        "no red picture is a good match"
    );
    assert!(!good_without.is_empty(), "non-red circles are good matches");
    assert!(
        without.iter().all(|(p, _)| !red(p)),
        "no red picture among the first 25: {without:?}"
    );
    let kept: Vec<&PathBuf> = plain
        .iter()
        .map(|(p, _)| p)
        .filter(|p| circle(p) && !red(p))
        .collect();
    let stay = kept
        .iter()
        .filter(|p| without.iter().any(|(q, _)| q == **p))
        .count();
    eprintln!(
        "circle -red: {stay} of the {} non-red circles `circle` ranked in its top 25 stay",
        kept.len()
    );
    assert!(
        stay * 10 >= kept.len() * 8,
        "{stay} of {} non-red circles stayed",
        kept.len()
    );

    // An example photo steered by words: a blue square and "red" give red squares first.
    let example = shapes.join("blue-square-000.jpg");
    let steered = ranked(&format!("red like:{}", example.display()), 8);
    let red_squares = steered
        .iter()
        .filter(|(p, _)| colour_shape(p) == ("red".to_string(), "square".to_string()))
        .count();
    eprintln!("red like:blue-square: {red_squares} of the first 8 are red squares");
    assert!(red_squares >= 6, "red squares first: {steered:?}");

    // Small pages read the photos of the ranking's head only; page by page they are still
    // the whole ranking, and each counts every candidate (a filter makes every picture one).
    let circles = |offset: usize, limit: usize| {
        library
            .query(
                &Query::parse("circle in:shapes")
                    .expect("parse")
                    .scope(Scope::All)
                    .page(offset, limit),
            )
            .expect("query")
    };
    let whole = circles(0, 100);
    assert!(
        whole.total > 150,
        "every picture is ranked: {}",
        whole.total
    );
    let mut paged = Vec::new();
    for offset in (0..100).step_by(5) {
        let page = circles(offset, 5);
        assert_eq!(page.total, whole.total, "page at {offset}");
        paged.extend(page.hits.into_iter().map(|h| h.path));
    }
    let whole: Vec<PathBuf> = whole.hits.into_iter().map(|h| h.path).collect();
    assert_eq!(paged, whole);
}

/// Per class of the fresh shapes set: (precision, recall) of the good set of "a photo of a
/// {class}" in a library holding the set as `layout` arranges it.
fn per_class(
    layout: &dyn Fn(&str) -> &'static str,
) -> (
    std::collections::BTreeMap<String, (f64, f64)>,
    tempfile::TempDir,
) {
    let fresh = fixtures_dir().join("shapes-fresh");
    let labels: std::collections::HashMap<String, (String, String)> =
        serde_json::from_str(&std::fs::read_to_string(fresh.join("labels.json")).expect("labels"))
            .expect("json");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("lib");
    for (file, (c, s)) in &labels {
        let folder = root.join(layout(&format!("{c} {s}")));
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::copy(fresh.join(file), folder.join(file)).expect("copy");
    }
    let library = open(&dir.path().join("data"));
    library.add_folder(&root).expect("add");
    library.wait_idle().expect("index");
    let mut out = std::collections::BTreeMap::new();
    let present: BTreeSet<String> = labels.values().map(|(c, s)| format!("{c} {s}")).collect();
    for class in present {
        let found = library
            .query(&Query::text(&format!("a photo of a {class}")).page(0, 1000))
            .expect("query");
        let truth = labels
            .values()
            .filter(|(c, s)| format!("{c} {s}") == class)
            .count();
        let right = found
            .hits
            .iter()
            .filter(|h| {
                let name = h.path.file_name().map(|n| n.to_string_lossy().into_owned());
                name.and_then(|n| labels.get(&n))
                    .map(|(c, s)| format!("{c} {s}"))
                    == Some(class.clone())
            })
            .count();
        let precision = if found.hits.is_empty() {
            1.0
        } else {
            right as f64 / found.hits.len() as f64
        };
        out.insert(class, (precision, right as f64 / truth as f64));
    }
    (out, dir)
}

#[test]
fn a_folder_named_after_a_class_lifts_that_class_and_no_other() {
    let (plain, _a) = per_class(&|_| "set");
    // The class the model finds worst gets a folder of its own, named after it.
    let (class, (p0, r0)) = plain
        .iter()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1).then(a.0.cmp(b.0)))
        .map(|(c, f)| (c.clone(), *f))
        .expect("classes");
    let folder: &'static str = Box::leak(format!("{class}s").into_boxed_str());
    let named_class = class.clone();
    let (named, _b) = per_class(&move |c| if c == named_class { folder } else { "set" });
    let (p1, r1) = named[&class];
    eprintln!("“{folder}” folder: {class} precision {p0:.2} → {p1:.2}, recall {r0:.2} → {r1:.2}");
    assert!(
        p1 >= p0 && r1 >= r0 && (p1 > p0 || r1 > r0),
        "{class} is lifted"
    );
    for (other, (p, _)) in &plain {
        if *other != class {
            assert!(
                named[other].0 >= *p,
                "{other}: precision fell from {p:.2} to {:.2} beside the “{folder}” folder",
                named[other].0
            );
        }
    }
}
