//! The real watcher on real temporary folders. Every wait is on the channel the sink feeds,
//! with a generous timeout; absence of a change is proven with a sentinel file created
//! afterwards (batches are ordered, so once the sentinel is reported everything before it
//! has been too). The only sleeps are the slow writer's pauses, which are the scenario.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use glimpse_watch::{Change, WatchError, WatchOptions, Watcher, is_ignored};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The default debounce; settle a bit longer than the default 1 s so that a writer thread
/// delayed by a loaded machine between its 300 ms chunks does not look finished.
const OPTIONS: WatchOptions = WatchOptions {
    debounce: Duration::from_millis(500),
    settle: Duration::from_millis(1500),
};

/// One change as the sink saw it, with the size of the file at that instant (`None` for a
/// directory or a missing path).
#[derive(Debug, Clone)]
struct Seen {
    change: Change,
    size_then: Option<u64>,
}

struct Live {
    watcher: Watcher,
    rx: mpsc::Receiver<Seen>,
    root: PathBuf,
    seen: Vec<Seen>,
    sentinels: usize,
    _dir: tempfile::TempDir,
}

impl Live {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        fs::create_dir(&root).expect("create root");
        let (watcher, rx) = watcher_with_channel();
        watcher.watch(&root).expect("watch root");
        Self {
            watcher,
            rx,
            root,
            seen: Vec::new(),
            sentinels: 0,
            _dir: dir,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Waits until a change matching `want` arrives; returns its index in `self.seen`.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Change) -> bool) -> usize {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(seen) => {
                    let hit = want(&seen.change);
                    self.seen.push(seen);
                    if hit {
                        return self.seen.len() - 1;
                    }
                }
                Err(_) => panic!(
                    "no change `{what}` within {TIMEOUT:?}; seen so far: {:#?}",
                    self.changes()
                ),
            }
        }
    }

    /// Creates a new file and waits for its `Created`: everything caused before it has then
    /// been delivered. Returns the index just after the changes seen so far.
    fn sentinel(&mut self) -> usize {
        self.sentinels += 1;
        let path = self.path(&format!("sentinel-{}.jpg", self.sentinels));
        fs::write(&path, b"sentinel").expect("write sentinel");
        self.wait_for("sentinel Created", |c| *c == Change::Created(path.clone()))
    }

    fn changes(&self) -> Vec<&Change> {
        self.seen.iter().map(|s| &s.change).collect()
    }

    fn changes_since(&self, start: usize) -> Vec<&Change> {
        self.seen[start..].iter().map(|s| &s.change).collect()
    }
}

fn watcher_with_channel() -> (Watcher, mpsc::Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::new(OPTIONS, move |batch| {
        for change in batch.changes {
            let size_then = match &change {
                Change::Created(p) | Change::Modified(p) => fs::metadata(p)
                    .ok()
                    .filter(fs::Metadata::is_file)
                    .map(|m| m.len()),
                _ => None,
            };
            let _ = tx.send(Seen { change, size_then });
        }
    })
    .expect("start watcher");
    (watcher, rx)
}

fn paths_of(change: &Change) -> Vec<&Path> {
    match change {
        Change::Created(p) | Change::Modified(p) | Change::Removed(p) => vec![p],
        Change::Renamed { from, to } => vec![from, to],
        Change::Rescan { root } => vec![root],
    }
}

#[test]
fn two_hundred_new_files_are_each_reported_created_exactly_once() {
    let mut live = Live::start();
    let names: Vec<PathBuf> = (0..200)
        .map(|i| live.path(&format!("img_{i:03}.jpg")))
        .collect();
    for (i, path) in names.iter().enumerate() {
        fs::write(path, format!("photo {i}")).expect("write photo");
    }
    for path in &names {
        let already = live.changes().contains(&&Change::Created(path.clone()));
        if !already {
            live.wait_for("Created of every file", |c| {
                *c == Change::Created(path.clone())
            });
        }
    }
    live.sentinel();
    for path in &names {
        let about: Vec<&Change> = live
            .changes()
            .into_iter()
            .filter(|c| paths_of(c).contains(&path.as_path()))
            .collect();
        assert_eq!(
            about,
            vec![&Change::Created(path.clone())],
            "each new file must be reported once, as Created, and nothing else"
        );
    }
}

#[test]
fn a_file_written_slowly_in_chunks_is_one_created_after_it_is_complete() {
    let mut live = Live::start();
    let path = live.path("slow.jpg");
    const CHUNK: &[u8] = &[0xAB; 4096];
    let mut file = fs::File::create(&path).expect("create slow file");
    for i in 0..5 {
        if i > 0 {
            // The scenario: a slow writer (a download, a camera import).
            std::thread::sleep(Duration::from_millis(300));
        }
        file.write_all(CHUNK).expect("write chunk");
        file.flush().expect("flush chunk");
    }
    drop(file);
    let index = live.wait_for("Created(slow.jpg)", |c| *c == Change::Created(path.clone()));
    assert_eq!(
        live.seen[index].size_then,
        Some(5 * CHUNK.len() as u64),
        "Created must only be emitted once the file is complete"
    );
    live.sentinel();
    let about: Vec<&Change> = live
        .changes()
        .into_iter()
        .filter(|c| paths_of(c).contains(&path.as_path()))
        .collect();
    assert_eq!(
        about,
        vec![&Change::Created(path.clone())],
        "exactly one change for the slow file"
    );
}

#[test]
fn renaming_a_file_is_reported_as_renamed() {
    let mut live = Live::start();
    let (a, b) = (live.path("a.jpg"), live.path("b.jpg"));
    fs::write(&a, b"photo").expect("write");
    live.wait_for("Created(a.jpg)", |c| *c == Change::Created(a.clone()));
    let start = live.seen.len();
    fs::rename(&a, &b).expect("rename");
    live.wait_for("Renamed(a→b)", |c| {
        *c == Change::Renamed {
            from: a.clone(),
            to: b.clone(),
        }
    });
    live.sentinel();
    let about: Vec<&Change> = live
        .changes_since(start)
        .into_iter()
        .filter(|c| paths_of(c).iter().any(|p| *p == a || *p == b))
        .collect();
    assert_eq!(
        about.len(),
        1,
        "a rename is one change, not a removal and a creation: {about:?}"
    );
}

#[test]
fn renaming_a_directory_with_files_is_one_renamed_of_the_directory() {
    let mut live = Live::start();
    let (album, trip) = (live.path("album"), live.path("trip"));
    fs::create_dir(&album).expect("mkdir");
    for i in 0..20 {
        fs::write(album.join(format!("{i:02}.jpg")), b"photo").expect("write");
    }
    live.sentinel();
    let start = live.seen.len();
    fs::rename(&album, &trip).expect("rename dir");
    live.wait_for("Renamed(album→trip)", |c| {
        *c == Change::Renamed {
            from: album.clone(),
            to: trip.clone(),
        }
    });
    live.sentinel();
    let about: Vec<&Change> = live
        .changes_since(start)
        .into_iter()
        .filter(|c| {
            paths_of(c)
                .iter()
                .any(|p| p.starts_with(&album) || p.starts_with(&trip))
        })
        .collect();
    assert_eq!(
        about,
        vec![&Change::Renamed {
            from: album.clone(),
            to: trip.clone()
        }],
        "a directory rename must not be expanded into per-file changes"
    );
    // The watch followed the directory to its new name.
    let new = trip.join("new.jpg");
    fs::write(&new, b"photo").expect("write into renamed dir");
    live.wait_for("Created(trip/new.jpg)", |c| {
        *c == Change::Created(new.clone())
    });
}

#[test]
fn deleting_a_file_and_a_directory_is_reported_removed_once_each() {
    let mut live = Live::start();
    let file = live.path("x.jpg");
    let dir = live.path("old");
    fs::write(&file, b"photo").expect("write");
    fs::create_dir_all(dir.join("sub")).expect("mkdir");
    for i in 0..10 {
        fs::write(dir.join(format!("{i}.jpg")), b"photo").expect("write");
        fs::write(dir.join("sub").join(format!("{i}.jpg")), b"photo").expect("write");
    }
    live.sentinel();
    let start = live.seen.len();
    fs::remove_file(&file).expect("rm file");
    fs::remove_dir_all(&dir).expect("rm -r dir");
    live.wait_for("Removed(x.jpg)", |c| *c == Change::Removed(file.clone()));
    live.wait_for("Removed(old)", |c| *c == Change::Removed(dir.clone()));
    live.sentinel();
    let about: Vec<&Change> = live
        .changes_since(start)
        .into_iter()
        .filter(|c| {
            paths_of(c)
                .iter()
                .any(|p| *p == file || p.starts_with(&dir))
        })
        .collect();
    assert_eq!(
        about,
        vec![
            &Change::Removed(file.clone()),
            &Change::Removed(dir.clone())
        ],
        "one Removed per deleted file or directory, none for what was inside the directory"
    );
}

#[test]
fn removing_the_root_and_recreating_it_is_rescan_and_watching_resumes() {
    let mut live = Live::start();
    let root = live.root.clone();
    fs::write(live.path("a.jpg"), b"photo").expect("write");
    live.wait_for("Created(a.jpg)", |c| matches!(c, Change::Created(_)));
    fs::remove_dir_all(&root).expect("remove root");
    live.wait_for("Rescan after the root vanished", |c| {
        *c == Change::Rescan { root: root.clone() }
    });
    assert!(
        !live
            .changes()
            .iter()
            .any(|c| **c == Change::Removed(root.clone())),
        "a vanished root must never be reported as Removed"
    );
    assert_eq!(
        live.watcher.roots(),
        vec![root.clone()],
        "the root stays registered while away"
    );
    fs::create_dir(&root).expect("recreate root");
    live.wait_for("Rescan after the root came back", |c| {
        *c == Change::Rescan { root: root.clone() }
    });
    let after = live.path("after.jpg");
    fs::write(&after, b"photo").expect("write after recreate");
    live.wait_for("Created(after.jpg): watching resumed", |c| {
        *c == Change::Created(after.clone())
    });
}

#[test]
fn ignored_names_never_appear_but_a_temp_file_renamed_to_a_real_name_does() {
    let mut live = Live::start();
    fs::create_dir_all(live.path(".git/objects")).expect("mkdir .git");
    fs::write(live.path(".git/objects/ab"), b"x").expect("write");
    for name in [
        ".hidden.jpg",
        "x.tmp",
        "~$notes.docx",
        "Thumbs.db",
        "desktop.ini",
        "._a.jpg",
        "b.jpg~",
        "c.crdownload",
    ] {
        fs::write(live.path(name), b"x").expect("write ignored");
    }
    let part = live.path("photo.jpg.part");
    let photo = live.path("photo.jpg");
    fs::write(&part, b"downloaded photo").expect("write part");
    fs::rename(&part, &photo).expect("rename part");
    live.wait_for("Created(photo.jpg)", |c| {
        *c == Change::Created(photo.clone())
    });
    fs::rename(&photo, live.path("photo.jpg.tmp")).expect("rename to ignored");
    live.wait_for("Removed(photo.jpg)", |c| {
        *c == Change::Removed(photo.clone())
    });
    live.sentinel();
    for change in live.changes() {
        for path in paths_of(change) {
            let rest = path.strip_prefix(&live.root).expect("under the root");
            assert!(
                !is_ignored(rest),
                "an ignored path was reported: {change:?}"
            );
        }
    }
}

#[test]
fn a_missing_root_is_polled_and_reported_when_it_appears() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("later");
    let (watcher, rx) = watcher_with_channel();
    watcher.watch(&root).expect("a missing root is accepted");
    assert_eq!(watcher.roots(), vec![root.clone()]);
    fs::create_dir(&root).expect("create root");
    let seen = rx
        .recv_timeout(TIMEOUT)
        .expect("a change once the root exists");
    assert_eq!(seen.change, Change::Rescan { root: root.clone() });
    let photo = root.join("a.jpg");
    fs::write(&photo, b"photo").expect("write");
    let seen = rx.recv_timeout(TIMEOUT).expect("the new root is watched");
    assert_eq!(seen.change, Change::Created(photo));
}

#[test]
fn watch_refuses_files_and_overlapping_roots_and_unwatch_stops_reporting() {
    let mut live = Live::start();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let file = elsewhere.path().join("f.jpg");
    fs::write(&file, b"photo").expect("write");
    assert!(
        matches!(
            live.watcher.watch(&file),
            Err(WatchError::NotADirectory { .. })
        ),
        "a file is not a root"
    );
    let inner = live.path("inner");
    fs::create_dir(&inner).expect("mkdir");
    assert!(
        matches!(
            live.watcher.watch(&inner),
            Err(WatchError::Overlapping { .. })
        ),
        "a root inside a root is refused"
    );
    live.watcher
        .watch(&live.root.clone())
        .expect("watching the same root again is a no-op");
    assert!(matches!(
        live.watcher.unwatch(Path::new("/definitely/not/watched")),
        Err(WatchError::NotWatched { .. })
    ));

    // A second root, so that "nothing more from the first" can be proven with a sentinel.
    let other_dir = tempfile::tempdir().expect("temp dir");
    live.watcher
        .watch(other_dir.path())
        .expect("watch second root");
    live.sentinel();
    live.watcher.unwatch(&live.root.clone()).expect("unwatch");
    assert_eq!(live.watcher.roots(), vec![other_dir.path().to_path_buf()]);
    let start = live.seen.len();
    fs::write(live.path("unwatched.jpg"), b"photo").expect("write");
    let marker = other_dir.path().join("marker.jpg");
    fs::write(&marker, b"photo").expect("write marker");
    live.wait_for("Created(marker)", |c| *c == Change::Created(marker.clone()));
    let from_first: Vec<&Change> = live
        .changes_since(start)
        .into_iter()
        .filter(|c| paths_of(c).iter().any(|p| p.starts_with(&live.root)))
        .collect();
    assert!(
        from_first.is_empty(),
        "an unwatched root reports nothing: {from_first:?}"
    );
}

#[test]
fn dropping_the_watcher_stops_its_thread() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (watcher, rx) = watcher_with_channel();
    watcher.watch(dir.path()).expect("watch");
    drop(watcher);
    // The sink (and its sender) lives on the watcher thread: a closed channel means the
    // thread has ended.
    assert!(
        matches!(
            rx.recv_timeout(TIMEOUT),
            Err(mpsc::RecvTimeoutError::Disconnected)
        ),
        "the watcher thread must end when the handle is dropped"
    );
}
