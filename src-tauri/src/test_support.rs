//! Test fixtures shared by the shell's unit tests: a real library indexed with the bundled
//! shapes model.

use std::path::PathBuf;

use glimpse_engine::{Hit, Library, LibraryConfig, ModelFiles};
use tempfile::TempDir;

/// A library of two fixture photos (a red circle, a blue square), indexed, with the hits
/// of "a red circle". The temporary folders (photos, data) live as long as the value.
pub(crate) struct TwoPhotos {
    pub(crate) lib: Library,
    pub(crate) hits: Vec<Hit>,
    /// The library's data folder (thumbnails under `thumbs/`).
    pub(crate) data: TempDir,
    _photos: TempDir,
}

pub(crate) fn two_indexed_photos() -> TwoPhotos {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let photos = tempfile::tempdir().expect("temp dir");
    for name in ["red-circle-000.jpg", "blue-square-001.webp"] {
        std::fs::copy(fixtures.join("shapes").join(name), photos.path().join(name))
            .expect("fixture copied");
    }
    let data = tempfile::tempdir().expect("temp dir");
    let model = ModelFiles::from_dir(&fixtures.join("shapes-clip")).expect("shapes model");
    let lib = Library::open(LibraryConfig::new(data.path()).with_model(model)).expect("opens");
    lib.add_folder(photos.path()).expect("folder added");
    lib.wait_idle().expect("indexed");
    let hits = lib.search("a red circle", 2).expect("search works");
    assert_eq!(hits.len(), 2, "both photos are indexed");
    TwoPhotos {
        lib,
        hits,
        _photos: photos,
        data,
    }
}
