//! A vector index file forged with a valid checksum (docs/RELIABILITY.md, bug 3) must make
//! the library rebuild its index from the catalog at open: same search results as before,
//! never a crash. `glimpse_vectors` refuses the file as `Corrupt` after walking USearch's
//! layout; this test proves the engine then does the right thing with that error.

use std::path::{Path, PathBuf};

use glimpse_engine::{Library, LibraryConfig, ModelFiles};
use glimpse_vectors::{IndexSettings, VectorError, VectorIndex};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn open(data: &Path) -> Library {
    let model = ModelFiles::from_dir(&fixtures().join("shapes-clip")).expect("fixture model");
    Library::open(LibraryConfig::new(data).with_model(model)).expect("library opens")
}

fn index_file(data: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(data.join("vectors"))
        .expect("vectors folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "usearch"))
        .collect();
    assert_eq!(files.len(), 1, "one index file: {files:?}");
    files.into_iter().next().expect("one")
}

/// Points node 0's first graph link far outside the graph and recomputes the footer's
/// blake3 checksum, as a forger who knows the format would. Layouts: glimpse-vectors
/// `file.rs` (footer) and USearch 2.x `index_dense.hpp`/`index.hpp` (see the regression test
/// in crates/vectors/tests/fuzz_regressions.rs).
fn forge(file: &mut [u8]) {
    let word = |f: &[u8], at: usize| u32::from_le_bytes(f[at..at + 4].try_into().expect("4"));
    let long = |f: &[u8], at: usize| u64::from_le_bytes(f[at..at + 8].try_into().expect("8"));
    let (rows, cols) = (word(file, 0) as usize, word(file, 4) as usize);
    let head = 8 + rows * cols;
    assert_eq!(&file[head..head + 7], b"usearch", "USearch's dense head");
    let graph = head + 64;
    let size = long(file, graph) as usize;
    assert_eq!(size, rows, "one node per vector");
    let count_at = graph + 40 + size * 2 + 8 + 2; // node 0: key u64, level i16, count u32
    assert!(
        word(file, count_at) >= 1,
        "node 0 has a neighbour to redirect"
    );
    file[count_at + 4..count_at + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let hashed = file.len() - 40; // blake3 [32] + magic [8]
    let hash = blake3::hash(&file[..hashed]);
    file[hashed..hashed + 32].copy_from_slice(hash.as_bytes());
}

#[test]
fn a_forged_index_file_with_a_valid_checksum_is_rebuilt_from_the_catalog() {
    let data = tempfile::tempdir().expect("tempdir");
    let photos = tempfile::tempdir().expect("photos");
    for entry in std::fs::read_dir(fixtures().join("shapes"))
        .expect("shapes")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ["-000.", "-001.", "-002."].iter().any(|n| name.contains(n)) {
            std::fs::copy(entry.path(), photos.path().join(&name)).expect("copy");
        }
    }
    let queries = ["a red circle", "a green star", "a blue square"];
    let (before, vectors, dim) = {
        let library = open(data.path());
        library.add_folder(photos.path()).expect("add folder");
        library.wait_idle().expect("indexing finishes");
        let status = library.status().expect("status");
        assert_eq!(status.indexed, 72, "{status:?}");
        let results: Vec<Vec<PathBuf>> = queries
            .iter()
            .map(|q| {
                let hits = library.search(q, 10).expect("search");
                hits.into_iter().map(|h| h.path).collect()
            })
            .collect();
        let dim = library.text_vector("x").expect("text vector").len();
        (results, status.vectors, dim)
    };

    let path = index_file(data.path());
    let mut bytes = std::fs::read(&path).expect("read index");
    forge(&mut bytes);
    std::fs::write(&path, &bytes).expect("write forged index");
    match VectorIndex::load(&path, IndexSettings::new(dim)) {
        Err(e @ VectorError::Corrupt { .. }) => assert!(e.requires_rebuild()),
        other => panic!("the forged file is refused as Corrupt, got {other:?}"),
    }

    let library = open(data.path());
    let report = library.reconciliation();
    assert!(report.rebuilt, "the index was rebuilt: {report:?}");
    assert_eq!(
        report.added, vectors as u64,
        "from every stored vector: {report:?}"
    );
    let status = library.status().expect("status");
    assert_eq!(
        (status.indexed, status.vectors),
        (72, vectors),
        "{status:?}"
    );
    for (query, expected) in queries.iter().zip(&before) {
        let hits: Vec<PathBuf> = library
            .search(query, 10)
            .expect("search")
            .into_iter()
            .map(|h| h.path)
            .collect();
        assert_eq!(&hits, expected, "'{query}' answers as before the forgery");
    }
    drop(library);
    // The rebuilt index was saved over the forged file and loads cleanly.
    let rebuilt = VectorIndex::load(&path, IndexSettings::new(dim)).expect("rebuilt index loads");
    assert_eq!(rebuilt.len(), vectors);
}
