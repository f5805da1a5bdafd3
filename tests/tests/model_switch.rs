//! Switching models never breaks search: the library re-embeds itself with the new model in
//! the background while the old one answers, switches over once caught up (or earlier when
//! asked), survives a restart mid-switch, and keeps every model's vectors until removed.
//! Real catalog, real index, real models: the tiny random CLIP (`clip-reference`) as the
//! "old" model and the shapes CLIP (`shapes-clip`, trained) as the new one, so "a red circle"
//! means something only after the switch.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use glimpse_embed::ModelFiles;
use glimpse_engine::{Event, Library, LibraryConfig, LibraryError};
use glimpse_tests::fixtures_dir;

fn old_model() -> ModelFiles {
    ModelFiles::from_dir(&fixtures_dir().join("clip-reference/model")).expect("tiny model")
}

fn new_model() -> ModelFiles {
    ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("shapes model")
}

fn labels() -> HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(fixtures_dir().join("shapes/labels.json")).expect("labels");
    serde_json::from_str(&text).expect("labels json")
}

/// Red circles among the first ten hits for "a red circle".
fn red_circles(library: &Library) -> usize {
    let labels = labels();
    library
        .search("a red circle", 10)
        .expect("search")
        .iter()
        .filter(|h| {
            let name = h.path.file_name().map(|n| n.to_string_lossy().into_owned());
            name.and_then(|n| labels.get(&n).cloned())
                == Some(("red".to_string(), "circle".to_string()))
        })
        .count()
}

fn indexed_with_old_model(data: &Path) -> (Library, String) {
    let library =
        Library::open(LibraryConfig::new(data).with_model(old_model())).expect("open old");
    library
        .add_folder(&fixtures_dir().join("shapes"))
        .expect("add folder");
    library.wait_idle().expect("index");
    let old = library.embedder_id().expect("a model");
    (library, old)
}

fn wait_for_switch(events: &glimpse_engine::EventReceiver) -> (String, bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(Event::ModelSwitched { model, complete }) =
            events.recv_timeout(Duration::from_millis(200))
        {
            return (model, complete);
        }
    }
    panic!("no ModelSwitched event");
}

#[test]
fn a_switch_keeps_the_old_model_answering_until_the_new_one_has_caught_up() {
    let data = tempfile::tempdir().expect("tempdir");
    let (library, old) = indexed_with_old_model(data.path());
    let events = library.subscribe();
    // Nothing may be re-embedded before the search below has run on the old model.
    library.set_paused(true);
    library.start_model_switch(&new_model()).expect("switch");
    let new = new_model_id(&library);
    assert_ne!(old, new);
    assert_eq!(
        library.embedder_id().as_deref(),
        Some(old.as_str()),
        "the old model answers while the new one catches up"
    );
    let hits = library
        .search("a red circle", 240)
        .expect("search mid-switch");
    assert_eq!(
        hits.len(),
        240,
        "every picture is still found during a switch"
    );
    let switch = library.status().expect("status").switch.expect("a switch");
    assert_eq!(
        (switch.to.as_str(), switch.done, switch.total),
        (new.as_str(), 0, 240)
    );

    library.set_paused(false);
    let (model, complete) = wait_for_switch(&events);
    assert_eq!((model.as_str(), complete), (new.as_str(), true));
    library.wait_idle().expect("idle");
    assert_eq!(library.embedder_id().as_deref(), Some(new.as_str()));
    assert!(library.status().expect("status").switch.is_none());
    assert!(
        red_circles(&library) >= 7,
        "the trained model now answers: {} red circles in the top ten",
        red_circles(&library)
    );
    let stats = library.run_stats();
    assert_eq!(stats.embedded, 240, "each picture embedded once: {stats:?}");
    assert!(library.check().expect("check").is_healthy());

    // Each model's speed on this machine was measured the first time it indexed, once.
    let speeds = library.model_speeds().expect("speeds");
    let names: Vec<&str> = speeds.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(names, ["model", "shapes-clip"], "{speeds:?}");
    assert!(
        speeds
            .iter()
            .all(|s| s.images_per_second > 0.0 && s.device == "cpu")
    );

    // Both models' vectors are kept; the one in use cannot be removed, the other can.
    let stored = library.stored_models().expect("stored");
    let count = |id: &str| stored.iter().find(|m| m.id == id).map(|m| m.vectors);
    assert_eq!((count(&old), count(&new)), (Some(240), Some(240)));
    assert!(matches!(
        library.remove_model_vectors(&new),
        Err(LibraryError::ModelInUse(_))
    ));
    assert_eq!(library.remove_model_vectors(&old).expect("remove"), 240);
    assert_eq!(library.stored_models().expect("stored").len(), 1);
}

fn new_model_id(library: &Library) -> String {
    library
        .model_switch()
        .expect("switch status")
        .expect("a switch")
        .to
}

#[test]
fn switching_early_restarting_mid_switch_and_switching_back() {
    let data = tempfile::tempdir().expect("tempdir");
    let (library, old) = indexed_with_old_model(data.path());
    library.set_paused(true);
    library.start_model_switch(&new_model()).expect("switch");
    let new = new_model_id(&library);
    drop(library);

    // The app restarts with the switch remembered: it goes on where it stopped.
    let mut config = LibraryConfig::new(data.path()).with_model(old_model());
    config.next_model = Some(new_model());
    let library = Library::open(config).expect("reopen mid-switch");
    assert_eq!(library.embedder_id().as_deref(), Some(old.as_str()));
    assert_eq!(
        library.search("anything", 240).expect("search").len(),
        240,
        "a restart mid-switch leaves every photo searchable"
    );
    library.set_paused(true);
    library.resume().expect("resume");
    // Switch early: the new model answers at once with what it has.
    library.finish_model_switch().expect("finish early");
    assert_eq!(library.embedder_id().as_deref(), Some(new.as_str()));
    assert!(library.search("a red circle", 10).expect("search").len() <= 10);
    library.set_paused(false);
    library.wait_idle().expect("idle");
    assert_eq!(
        library.search("a red circle", 240).expect("search").len(),
        240,
        "the rest were embedded after the early switch"
    );
    assert!(library.check().expect("check").is_healthy());

    // Switching back to the old model reuses its kept vectors: nothing to embed.
    let events = library.subscribe();
    library
        .start_model_switch(&old_model())
        .expect("switch back");
    let (model, complete) = wait_for_switch(&events);
    assert_eq!((model.as_str(), complete), (old.as_str(), true));
    library.wait_idle().expect("idle");
    assert_eq!(library.run_stats().embedded, 0, "old vectors were kept");
}

#[test]
fn indexing_takes_the_newest_photos_first() {
    let data = tempfile::tempdir().expect("tempdir");
    let folder = data.path().join("photos");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let names: Vec<String> = {
        let mut v: Vec<String> = labels().into_keys().collect();
        v.sort();
        v.truncate(40);
        v
    };
    // File i was "taken" i hours after the first: the newest is the last.
    let start = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for (i, name) in names.iter().enumerate() {
        let to = folder.join(name);
        std::fs::copy(fixtures_dir().join("shapes").join(name), &to).expect("copy");
        let file = std::fs::File::options()
            .write(true)
            .open(&to)
            .expect("open");
        file.set_modified(start + Duration::from_secs(3600 * i as u64))
            .expect("set mtime");
    }
    let mut config = LibraryConfig::new(data.path().join("data")).with_model(new_model());
    // One decode thread: contents get their ids (AUTOINCREMENT) in the order files are
    // embedded, which is the queue's order.
    config.decode_threads = 1;
    let library = Library::open(config).expect("open");
    library.add_folder(&folder).expect("add");
    library.wait_idle().expect("idle");
    let mut by_content: Vec<(i64, String)> = library
        .search("anything", 40)
        .expect("search")
        .into_iter()
        .map(|h| {
            let name = h.path.file_name().map(|n| n.to_string_lossy().into_owned());
            (h.content, name.unwrap_or_default())
        })
        .collect();
    by_content.sort();
    let finished: Vec<String> = by_content.into_iter().map(|(_, n)| n).collect();
    let mut expected = names.clone();
    expected.reverse();
    assert_eq!(finished, expected, "newest first");
}
