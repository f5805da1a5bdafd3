//! The debouncing state machine, driven from data: raw events with timestamps in, batches
//! with the (simulated) instant they were emitted out. Time is simulated, so the expected
//! emission instants are exact: they prove the `debounce` and `settle` rules, not a clock.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use glimpse_watch::{Change, Debouncer, RawEvent, WatchOptions};

/// Random operation sequences checked against a model consumer.
#[path = "debounce/model.rs"]
mod model;

const OPTIONS: WatchOptions = WatchOptions {
    debounce: Duration::from_millis(500),
    settle: Duration::from_millis(1000),
};

fn p(path: &str) -> PathBuf {
    PathBuf::from(path)
}

fn create(path: &str) -> RawEvent {
    RawEvent::Create(p(path))
}
fn modify(path: &str) -> RawEvent {
    RawEvent::Modify(p(path))
}
fn remove(path: &str) -> RawEvent {
    RawEvent::Remove(p(path))
}
fn from(path: &str, cookie: usize) -> RawEvent {
    RawEvent::RenameFrom {
        path: p(path),
        cookie: Some(cookie),
    }
}
fn to(path: &str, cookie: usize) -> RawEvent {
    RawEvent::RenameTo {
        path: p(path),
        cookie: Some(cookie),
    }
}
fn both(a: &str, b: &str) -> RawEvent {
    RawEvent::RenameBoth {
        from: p(a),
        to: p(b),
    }
}

fn created(path: &str) -> Change {
    Change::Created(p(path))
}
fn modified(path: &str) -> Change {
    Change::Modified(p(path))
}
fn removed(path: &str) -> Change {
    Change::Removed(p(path))
}
fn renamed(a: &str, b: &str) -> Change {
    Change::Renamed {
        from: p(a),
        to: p(b),
    }
}
fn rescan(root: &str) -> Change {
    Change::Rescan { root: p(root) }
}

struct Case {
    name: &'static str,
    roots: &'static [&'static str],
    /// (milliseconds after start, event), in time order.
    events: Vec<(u64, RawEvent)>,
    /// (milliseconds after start when emitted, changes of that batch).
    expected: Vec<(u64, Vec<Change>)>,
}

/// Feeds the events at their instants and polls at every deadline the debouncer asks for,
/// until nothing is pending.
fn run(case: &Case) -> Vec<(u64, Vec<Change>)> {
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    let mut debouncer = Debouncer::new(OPTIONS);
    for root in case.roots {
        debouncer.add_root(root);
    }
    let mut batches = Vec::new();
    let mut events = case.events.iter().peekable();
    // A deadline may lie before the last event (a change freed by it): time never goes back.
    let mut clock = start;
    for _ in 0..10_000 {
        let next_event = events.peek().map(|(ms, _)| at(*ms));
        match (next_event, debouncer.next_deadline()) {
            (None, None) => return batches,
            (Some(event_at), deadline) if deadline.is_none_or(|d| event_at < d) => {
                let (_, event) = events.next().expect("peeked");
                clock = clock.max(event_at);
                debouncer.push(event.clone(), clock);
            }
            (_, Some(deadline)) => {
                clock = clock.max(deadline);
                if let Some(batch) = debouncer.poll(clock) {
                    let ms = u64::try_from((clock - start).as_millis()).expect("small");
                    batches.push((ms, batch.changes));
                }
            }
            (Some(_), None) => unreachable!("guarded above"),
        }
    }
    panic!("{}: the debouncer never became idle", case.name);
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a file written in chunks is one Created once quiet for `settle`",
            roots: &["/r"],
            events: vec![
                (0, create("/r/a.jpg")),
                (300, modify("/r/a.jpg")),
                (600, modify("/r/a.jpg")),
                (900, modify("/r/a.jpg")),
                (1200, modify("/r/a.jpg")),
            ],
            expected: vec![(2200, vec![created("/r/a.jpg")])],
        },
        Case {
            name: "create then remove before it settled is nothing",
            roots: &["/r"],
            events: vec![
                (0, create("/r/a.jpg")),
                (100, modify("/r/a.jpg")),
                (400, remove("/r/a.jpg")),
            ],
            expected: vec![],
        },
        Case {
            name: "modify of a known file is one Modified once quiet",
            roots: &["/r"],
            events: vec![(0, modify("/r/a.jpg")), (300, modify("/r/a.jpg"))],
            expected: vec![(1300, vec![modified("/r/a.jpg")])],
        },
        Case {
            name: "modified then removed is only Removed",
            roots: &["/r"],
            events: vec![(0, modify("/r/a.jpg")), (100, remove("/r/a.jpg"))],
            expected: vec![(600, vec![removed("/r/a.jpg")])],
        },
        Case {
            name: "RenameFrom/RenameTo with one cookie is Renamed",
            roots: &["/r"],
            events: vec![(0, from("/r/a.jpg", 7)), (0, to("/r/b.jpg", 7))],
            expected: vec![(500, vec![renamed("/r/a.jpg", "/r/b.jpg")])],
        },
        Case {
            name: "RenameBoth is Renamed, also right after its own RenameFrom",
            roots: &["/r"],
            events: vec![
                (0, both("/r/a.jpg", "/r/b.jpg")),
                (10, from("/r/c.jpg", 3)),
                (10, both("/r/c.jpg", "/r/d.jpg")),
            ],
            expected: vec![
                (500, vec![renamed("/r/a.jpg", "/r/b.jpg")]),
                (510, vec![renamed("/r/c.jpg", "/r/d.jpg")]),
            ],
        },
        Case {
            name: "a directory rename is ONE Renamed; pending content under it follows it",
            roots: &["/r"],
            events: vec![
                (0, modify("/r/album/x.jpg")),
                (100, from("/r/album", 1)),
                (100, to("/r/trip", 1)),
            ],
            expected: vec![
                (600, vec![renamed("/r/album", "/r/trip")]),
                (1000, vec![modified("/r/trip/x.jpg")]),
            ],
        },
        Case {
            name: "RenameFrom with no RenameTo within the window is Removed",
            roots: &["/r"],
            events: vec![(0, from("/r/a.jpg", 3))],
            expected: vec![(500, vec![removed("/r/a.jpg")])],
        },
        Case {
            name: "RenameTo with no RenameFrom (moved in from outside) is Created",
            roots: &["/r"],
            events: vec![(0, to("/r/b.jpg", 9))],
            expected: vec![(1000, vec![created("/r/b.jpg")])],
        },
        Case {
            name: "a RenameTo after its RenameFrom was already reported is Created",
            roots: &["/r"],
            events: vec![(0, from("/r/a.jpg", 1)), (800, to("/r/b.jpg", 1))],
            expected: vec![
                (500, vec![removed("/r/a.jpg")]),
                (1800, vec![created("/r/b.jpg")]),
            ],
        },
        Case {
            name: "rename chain a→b→c is Renamed{a, c}",
            roots: &["/r"],
            events: vec![
                (0, from("/r/a.jpg", 1)),
                (0, to("/r/b.jpg", 1)),
                (100, from("/r/b.jpg", 2)),
                (100, to("/r/c.jpg", 2)),
            ],
            expected: vec![(600, vec![renamed("/r/a.jpg", "/r/c.jpg")])],
        },
        Case {
            name: "rename a→b→a is nothing",
            roots: &["/r"],
            events: vec![
                (0, both("/r/a.jpg", "/r/b.jpg")),
                (100, both("/r/b.jpg", "/r/a.jpg")),
            ],
            expected: vec![],
        },
        Case {
            name: "swapping two names through a temporary name keeps every step, in order",
            roots: &["/r"],
            events: vec![
                (0, both("/r/a.jpg", "/r/t.jpg")),
                (1, both("/r/b.jpg", "/r/a.jpg")),
                (2, both("/r/t.jpg", "/r/b.jpg")),
            ],
            expected: vec![
                (500, vec![renamed("/r/a.jpg", "/r/t.jpg")]),
                (501, vec![renamed("/r/b.jpg", "/r/a.jpg")]),
                (502, vec![renamed("/r/t.jpg", "/r/b.jpg")]),
            ],
        },
        Case {
            name: "create a then rename a→b is Created(b)",
            roots: &["/r"],
            events: vec![
                (0, create("/r/a.jpg")),
                (50, modify("/r/a.jpg")),
                (100, from("/r/a.jpg", 4)),
                (100, to("/r/b.jpg", 4)),
            ],
            expected: vec![(1100, vec![created("/r/b.jpg")])],
        },
        Case {
            name: "remove of a directory is one Removed(dir)",
            roots: &["/r"],
            events: vec![
                (0, modify("/r/d/w.jpg")),
                (1, remove("/r/d/x.jpg")),
                (2, remove("/r/d/y.jpg")),
                (3, remove("/r/d/sub/z.jpg")),
                (4, remove("/r/d/sub")),
                (5, remove("/r/d")),
            ],
            expected: vec![(505, vec![removed("/r/d")])],
        },
        Case {
            name: "a new directory and files written into it are one Created(dir) once quiet",
            roots: &["/r"],
            events: vec![
                (0, create("/r/new")),
                (100, create("/r/new/x.jpg")),
                (900, modify("/r/new/x.jpg")),
                (1500, create("/r/new/y.jpg")),
                (1600, both("/r/new/y.jpg", "/r/new/z.jpg")),
            ],
            expected: vec![(2600, vec![created("/r/new")])],
        },
        Case {
            name: "a new directory renamed before it settled is Created under its new name",
            roots: &["/r"],
            events: vec![
                (0, create("/r/new")),
                (10, create("/r/new/a.jpg")),
                (20, from("/r/new", 5)),
                (20, to("/r/album", 5)),
            ],
            expected: vec![(1020, vec![created("/r/album")])],
        },
        Case {
            name: "overflow drops what was pending and swallows events until Rescan{root}",
            roots: &["/r", "/s"],
            events: vec![
                (0, modify("/r/a.jpg")),
                (0, modify("/s/a.jpg")),
                (10, create("/r/b.jpg")),
                (20, both("/r/c.jpg", "/r/d.jpg")),
                (30, RawEvent::Overflow(Some(p("/r/sub")))),
                (40, create("/r/e.jpg")),
            ],
            expected: vec![
                (530, vec![rescan("/r")]),
                (1000, vec![modified("/s/a.jpg")]),
            ],
        },
        Case {
            name: "overflow without a path rescans every root",
            roots: &["/r", "/s"],
            events: vec![(0, modify("/s/a.jpg")), (10, RawEvent::Overflow(None))],
            expected: vec![(510, vec![rescan("/r"), rescan("/s")])],
        },
        Case {
            name: "the root removed is Rescan (never Removed), and again when it is back",
            roots: &["/r"],
            events: vec![
                (0, create("/r/a.jpg")),
                (50, remove("/r/a.jpg")),
                (60, modify("/r/b.jpg")),
                (100, remove("/r")),
                (3000, RawEvent::Overflow(Some(p("/r")))),
            ],
            expected: vec![(600, vec![rescan("/r")]), (3500, vec![rescan("/r")])],
        },
        Case {
            name: "RootGone (unmount) is Rescan",
            roots: &["/r"],
            events: vec![(0, modify("/r/a.jpg")), (10, RawEvent::RootGone(p("/r")))],
            expected: vec![(510, vec![rescan("/r")])],
        },
        Case {
            name: "ignored names never appear",
            roots: &["/r"],
            events: vec![
                (0, create("/r/.hidden.jpg")),
                (0, create("/r/a.jpg.tmp")),
                (0, create("/r/.git/objects/ab")),
                (0, create("/r/album/.thumbnails/x.png")),
                (0, create("/r/Thumbs.db")),
                (0, modify("/r/~$notes.docx")),
                (0, create("/r/._IMG_1.JPG")),
                (0, both("/r/x.tmp", "/r/y.part")),
                (0, remove("/r/.DS_Store")),
                (0, create("/elsewhere/a.jpg")),
            ],
            expected: vec![],
        },
        Case {
            name: "an ignored name renamed to a real one is Created; real to ignored is Removed",
            roots: &["/r"],
            events: vec![
                (0, create("/r/photo.jpg.part")),
                (100, modify("/r/photo.jpg.part")),
                (500, from("/r/photo.jpg.part", 8)),
                (500, to("/r/photo.jpg", 8)),
                (600, both("/r/old.jpg", "/r/old.jpg.tmp")),
            ],
            expected: vec![
                (1100, vec![removed("/r/old.jpg")]),
                (1500, vec![created("/r/photo.jpg")]),
            ],
        },
        Case {
            name: "a root inside a hidden folder: only names below the root are judged",
            roots: &["/tmp/.tmpAbC/root"],
            events: vec![(0, create("/tmp/.tmpAbC/root/a.jpg"))],
            expected: vec![(1000, vec![created("/tmp/.tmpAbC/root/a.jpg")])],
        },
        Case {
            name: "rename then a new file at the old name: Renamed first, then Created",
            roots: &["/r"],
            events: vec![(0, both("/r/a.jpg", "/r/b.jpg")), (10, create("/r/a.jpg"))],
            expected: vec![
                (500, vec![renamed("/r/a.jpg", "/r/b.jpg")]),
                (1010, vec![created("/r/a.jpg")]),
            ],
        },
        Case {
            name: "rename into a name and out of it in one window keeps both, in order",
            roots: &["/r"],
            events: vec![
                (0, both("/r/a.jpg", "/r/b.jpg")),
                (0, both("/r/c.jpg", "/r/a.jpg")),
            ],
            expected: vec![(
                500,
                vec![
                    renamed("/r/a.jpg", "/r/b.jpg"),
                    renamed("/r/c.jpg", "/r/a.jpg"),
                ],
            )],
        },
        Case {
            name: "a directory removed and recreated: Removed, then Created of the new one",
            roots: &["/r"],
            events: vec![
                (0, remove("/r/d/x.jpg")),
                (1, remove("/r/d")),
                (100, create("/r/d")),
                (150, create("/r/d/y.jpg")),
            ],
            expected: vec![(501, vec![removed("/r/d")]), (1150, vec![created("/r/d")])],
        },
        Case {
            name: "a known file renamed over a modified one: the replaced file is not lost",
            roots: &["/r"],
            events: vec![
                (0, modify("/r/b.jpg")),
                (10, both("/r/a.jpg", "/r/b.jpg")),
                (20, both("/r/b.jpg", "/r/c.jpg")),
            ],
            // Not merged into Renamed{a, c}: that would leave the consumer's b.jpg behind.
            expected: vec![
                (510, vec![renamed("/r/a.jpg", "/r/b.jpg")]),
                (520, vec![renamed("/r/b.jpg", "/r/c.jpg")]),
            ],
        },
        Case {
            name: "changes that settle together come in event order",
            roots: &["/r"],
            events: vec![
                (0, create("/r/c.jpg")),
                (0, create("/r/a.jpg")),
                (0, create("/r/b.jpg")),
            ],
            expected: vec![(
                1000,
                vec![
                    created("/r/c.jpg"),
                    created("/r/a.jpg"),
                    created("/r/b.jpg"),
                ],
            )],
        },
        Case {
            name: "the first half of a rename lost in a directory removal: Removed, Created",
            roots: &["/r"],
            events: vec![
                (0, from("/r/d/a.jpg", 1)),
                (100, remove("/r/d")),
                (150, to("/r/e.jpg", 1)),
            ],
            expected: vec![
                (600, vec![removed("/r/d")]),
                (1150, vec![created("/r/e.jpg")]),
            ],
        },
    ]
}

#[test]
fn every_case_emits_the_expected_batches() {
    let cases = cases();
    assert!(cases.len() >= 15, "the brief asks for at least 15 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let got = run(case);
        if got != case.expected {
            failures.push(format!(
                "{}\n  expected {:?}\n  got      {:?}",
                case.name, case.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn next_deadline_is_none_when_idle_and_poll_before_it_is_empty() {
    let start = Instant::now();
    let mut debouncer = Debouncer::new(OPTIONS);
    debouncer.add_root("/r");
    assert_eq!(debouncer.next_deadline(), None, "nothing pending yet");
    debouncer.push(create("/r/a.jpg"), start);
    let deadline = debouncer.next_deadline().expect("a change is pending");
    assert!(
        deadline <= start + OPTIONS.settle,
        "the deadline must not be late"
    );
    assert_eq!(
        debouncer.poll(start + Duration::from_millis(999)),
        None,
        "not settled yet"
    );
    let batch = debouncer.poll(start + OPTIONS.settle).expect("settled");
    assert_eq!(batch.changes, vec![created("/r/a.jpg")]);
    assert_eq!(debouncer.next_deadline(), None, "idle again");
    assert!(debouncer.is_idle());
}

#[test]
fn removing_a_root_drops_its_pending_changes() {
    let start = Instant::now();
    let mut debouncer = Debouncer::new(OPTIONS);
    debouncer.add_root("/r");
    debouncer.add_root("/s");
    debouncer.push(create("/r/a.jpg"), start);
    debouncer.push(create("/s/a.jpg"), start);
    debouncer.remove_root(&p("/r"), start);
    debouncer.push(create("/r/b.jpg"), start);
    let batch = debouncer
        .poll(start + OPTIONS.settle)
        .expect("the other root's change");
    assert_eq!(
        batch.changes,
        vec![created("/s/a.jpg")],
        "nothing from the unwatched root"
    );
    assert_eq!(debouncer.roots(), [p("/s")]);
}

#[test]
fn a_burst_of_ten_thousand_new_files_is_each_created_exactly_once() {
    // 10 000 files at 10 000 per second, three events each, polled whenever a deadline
    // passes (as the watcher thread does). Polls only look at what is due, so this stays
    // cheap however much is pending.
    let start = Instant::now();
    let mut debouncer = Debouncer::new(OPTIONS);
    debouncer.add_root("/r");
    let mut created = std::collections::HashSet::new();
    let mut record = |batch: Option<glimpse_watch::Batch>| {
        for change in batch.map(|b| b.changes).unwrap_or_default() {
            let Change::Created(path) = change else {
                panic!("only creations expected, got {change:?}");
            };
            assert!(created.insert(path.clone()), "{path:?} reported twice");
        }
    };
    let mut now = start;
    for i in 0..10_000u64 {
        now = start + Duration::from_micros(i * 100);
        let path = PathBuf::from(format!("/r/album{}/img_{i:05}.jpg", i / 1000));
        debouncer.push(RawEvent::Create(path.clone()), now);
        debouncer.push(RawEvent::Modify(path.clone()), now);
        debouncer.push(RawEvent::Modify(path), now);
        if debouncer.next_deadline().is_some_and(|d| d <= now) {
            record(debouncer.poll(now));
        }
    }
    while let Some(deadline) = debouncer.next_deadline() {
        now = now.max(deadline);
        record(debouncer.poll(now));
    }
    assert_eq!(created.len(), 10_000, "every file must be reported");
}
