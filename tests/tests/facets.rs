//! What the app's search box shows around a query, on a real library: the values offered
//! for `in:` while it is typed, and the timeline of the good matches by month, on the
//! shapes with their file times spread over a year.

use std::path::Path;
use std::time::{Duration, SystemTime};

use glimpse_embed::ModelFiles;
use glimpse_engine::grammar::Period;
use glimpse_engine::{Facet, Library, LibraryConfig, Query, Scope, Suggestion};
use glimpse_tests::fixtures_dir;

/// The month a shape's file is dated: its number in the fixture spread over 2023.
fn month_of(name: &str) -> u32 {
    let number: u32 = name
        .rsplit('-')
        .next()
        .and_then(|n| n.split('.').next())
        .and_then(|n| n.parse().ok())
        .expect("shape files end in -NNN");
    number % 12 + 1
}

/// Copies the shapes into `root/Shapes` (red ones into `root/Shapes/Red ones`), each file
/// dated in the middle of its month.
fn dated_shapes(root: &Path) -> usize {
    let shapes = root.join("Shapes");
    let red = shapes.join("Red ones");
    std::fs::create_dir_all(&red).expect("folders");
    let mut copied = 0;
    for entry in std::fs::read_dir(fixtures_dir().join("shapes")).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") {
            continue;
        }
        let to = if name.starts_with("red-") {
            &red
        } else {
            &shapes
        }
        .join(&name);
        std::fs::copy(&path, &to).expect("copy");
        let start = Period {
            year: 2023,
            month: Some(month_of(&name)),
            day: None,
        }
        .start();
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(start as u64 + 14 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&to)
            .and_then(|f| f.set_modified(when))
            .expect("date the file");
        copied += 1;
    }
    copied
}

#[test]
fn suggestions_and_the_timeline_agree_with_the_filters() {
    let photos = tempfile::tempdir().expect("tempdir");
    let total = dated_shapes(photos.path());
    let data = tempfile::tempdir().expect("tempdir");
    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    let library =
        Library::open(LibraryConfig::new(data.path()).with_model(model)).expect("library");
    library
        .add_folder(&photos.path().join("Shapes"))
        .expect("add");
    library.wait_idle().expect("index");

    let s = |value: &str, count: u64| Suggestion {
        value: value.into(),
        count,
    };
    assert_eq!(
        library.suggest(Facet::Folder, "", 20).expect("suggest"),
        [s("Shapes", total as u64), s("Red ones", 40)],
        "the library's folder and its subfolder, with the photos under each"
    );
    assert_eq!(
        library.suggest(Facet::Folder, "RED", 20).expect("suggest"),
        [s("Red ones", 40)]
    );
    assert_eq!(library.suggest(Facet::Camera, "", 20).expect("suggest"), []);

    let query = Query::parse("a red circle").expect("parses");
    let good = library
        .query(&query.clone().scope(Scope::Good).page(0, 1000))
        .expect("query");
    assert!(good.good > 0, "the shapes model finds red circles");
    let timeline = library.timeline(&query).expect("timeline");
    eprintln!("timeline of “a red circle”: {timeline:?}");
    assert_eq!(
        timeline.iter().map(|m| m.count).sum::<usize>(),
        good.good,
        "every good match is in one month"
    );
    // Each month holds exactly the good matches dated in it, and clicking it in the app
    // (after:M before:next) selects exactly those.
    for m in &timeline {
        let (year, month) = m.month.split_once('-').expect("YYYY-MM");
        let month: u32 = month.parse().expect("month");
        assert_eq!(year, "2023");
        let dated_here = good
            .hits
            .iter()
            .filter(|h| month_of(&h.path.file_name().expect("name").to_string_lossy()) == month)
            .count();
        assert_eq!(m.count, dated_here, "{}", m.month);
        let next = if month == 12 {
            "2024-01".to_owned()
        } else {
            format!("2023-{:02}", month + 1)
        };
        let narrowed =
            Query::parse(&format!("a red circle after:{} before:{next}", m.month)).expect("parses");
        let narrowed = library
            .query(&narrowed.scope(Scope::Good).page(0, 1000))
            .expect("query");
        assert_eq!(narrowed.good, m.count, "after:{} before:{next}", m.month);
    }
    assert!(
        timeline.windows(2).all(|w| w[0].month < w[1].month),
        "oldest first"
    );
}
