//! Regression tests from fuzzing `VectorIndex::load` (`fuzz/fuzz_targets/vector_index_file.rs`,
//! results in docs/RELIABILITY.md).
//!
//! USearch's loader trusts what it reads. Two guards stand before it: the blake3 footer
//! (any accidental damage) and a walk of USearch's layout in Rust (a forged file whose
//! checksum was recomputed). These tests pin both: every single-byte change is caught by
//! the checksum, and forged graphs (links, levels and counts out of range, and every byte
//! of a real index overwritten with hostile values, then re-checksummed) are refused as
//! `Corrupt` or load into an index that searches and inserts, never a crash.

use std::path::Path;
use std::process::Command;

use glimpse_vectors::{IndexSettings, Quantization, VectorError, VectorIndex};

const DIM: usize = 4;
/// The footer of `crates/vectors/src/file.rs` ends in blake3 [32] and magic [8]; the hash
/// covers everything before it.
const HASH_AT_FROM_END: usize = 40;
/// Set in the child process of [`in_child_process`].
const CHILD_VAR: &str = "GLIMPSE_VECTORS_REGRESSION_CHILD";

fn settings() -> IndexSettings {
    IndexSettings::new(DIM).with_quantization(Quantization::F32)
}

/// The fuzz target's base index: 24 four-dimensional vectors, saved and read back.
fn saved_index(dir: &Path) -> Vec<u8> {
    let index = VectorIndex::new(settings()).expect("4-d settings are valid");
    for key in 0..24u64 {
        let k = key as f32;
        index
            .upsert(
                key * 7 + 1,
                &[1.0 + k, (k * 0.37).sin(), (k * 0.11).cos(), 0.5 - k],
            )
            .expect("finite non-zero vector");
    }
    let path = dir.join("base.usearch");
    index.save(&path).expect("save");
    std::fs::read(&path).expect("read back")
}

/// Recomputes the footer checksum after the bytes before it were changed: what a forger
/// who knows the format would do.
fn rechecksum(file: &mut [u8]) {
    let hashed = file.len() - HASH_AT_FROM_END;
    let hash = blake3::hash(&file[..hashed]);
    file[hashed..hashed + 32].copy_from_slice(hash.as_bytes());
}

/// Runs `body` in a child copy of this test binary when the test runs normally, so that a
/// segfault or an abort in native code fails *this* test instead of killing the whole run.
fn in_child_process(test_name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD_VAR).is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([test_name, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD_VAR, "1")
        .output()
        .expect("spawn the test binary");
    assert!(
        output.status.success(),
        "{test_name} crashed in its child process ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // What the child reported (figures of the sweep), shown with --nocapture.
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn every_single_byte_change_anywhere_in_the_file_is_caught_by_the_checksum() {
    // The fuzz target's raw mode only ever reached the footer checks; this makes the
    // guarantee exhaustive for one small file: every byte, with its lowest bit flipped
    // (the smallest possible damage).
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = saved_index(dir.path());
    let bad = dir.path().join("bad.usearch");
    for position in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x01;
        std::fs::write(&bad, &damaged).expect("write");
        match VectorIndex::load(&bad, settings()) {
            Err(VectorError::Corrupt { .. }) => {}
            other => panic!(
                "byte {position} of {} with its low bit flipped: expected Corrupt, got {other:?}",
                bytes.len()
            ),
        }
    }
    let good = dir.path().join("good.usearch");
    std::fs::write(&good, &bytes).expect("write");
    assert_eq!(
        VectorIndex::load(&good, settings()).expect("intact").len(),
        24
    );
}

/// Where the sections of a saved index file are, read from its footer (file.rs `encode`).
struct Sections {
    usearch_len: usize,
}

fn sections(file: &[u8]) -> Sections {
    // footer = format u32 | quantization u32 | dim u64 | connectivity u64 | usearch_len u64
    //          | key_count u64 | blake3 [32] | magic [8]
    let footer = file.len() - (4 + 4 + 8 + 8 + 8 + 8 + 32 + 8);
    let at = footer + 24;
    Sections {
        usearch_len: u64::from_le_bytes(file[at..at + 8].try_into().expect("8")) as usize,
    }
}

/// Offsets inside USearch's bytes of a saved F32 `DIM`-d index (index_dense.hpp, index.hpp):
/// `[rows u32][cols u32][rows × cols]`, a 64-byte dense head, a 40-byte graph header (size,
/// connectivity, connectivity_base, max_level, entry_slot: u64), `size` levels (i16), then
/// per node: key u64, level i16, and per level a u32 count and a fixed number of u32 slots.
struct Layout {
    graph: usize,
    levels: usize,
    nodes: usize,
    size: usize,
    connectivity: usize,
    connectivity_base: usize,
}

fn layout(file: &[u8]) -> Layout {
    let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().expect("4")) as usize;
    let long = |at: usize| u64::from_le_bytes(file[at..at + 8].try_into().expect("8")) as usize;
    let (rows, cols) = (word(0), word(4));
    let head = 8 + rows * cols;
    assert_eq!(&file[head..head + 7], b"usearch", "USearch's dense head");
    let graph = head + 64;
    let size = long(graph);
    assert_eq!(size, rows, "graph header: one node per vector");
    Layout {
        graph,
        levels: graph + 40,
        nodes: graph + 40 + size * 2,
        size,
        connectivity: long(graph + 8),
        connectivity_base: long(graph + 16),
    }
}

impl Layout {
    fn level(&self, file: &[u8], slot: usize) -> i16 {
        let at = self.levels + slot * 2;
        i16::from_le_bytes(file[at..at + 2].try_into().expect("2"))
    }

    /// Byte offset of node `slot`.
    fn node(&self, file: &[u8], slot: usize) -> usize {
        (0..slot).fold(self.nodes, |at, s| {
            at + 10
                + (self.connectivity_base * 4 + 4)
                + self.level(file, s) as usize * (self.connectivity * 4 + 4)
        })
    }

    /// Byte offset of the neighbour count of node `slot` at `level`.
    fn neighbours(&self, file: &[u8], slot: usize, level: usize) -> usize {
        let base = self.node(file, slot) + 10;
        if level == 0 {
            base
        } else {
            base + (self.connectivity_base * 4 + 4) + (level - 1) * (self.connectivity * 4 + 4)
        }
    }
}

fn put_u32(file: &mut [u8], at: usize, value: u32) {
    file[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Loads `file` from disk; if it loads, searches it and inserts into it. Returns whether
/// it loaded; anything other than `Corrupt` or a working index fails the test.
fn load_and_use(path: &Path, file: &[u8], what: &str) -> bool {
    std::fs::write(path, file).expect("write");
    match VectorIndex::load(path, settings()) {
        Err(VectorError::Corrupt { .. }) => false,
        Err(other) => panic!("{what}: expected Corrupt, got {other:?}"),
        Ok(index) => {
            let hits = index
                .search(&[0.3, -0.2, 0.9, 0.1], 5)
                .unwrap_or_else(|e| panic!("{what}: search of a loaded index: {e}"));
            assert!(hits.len() <= index.len(), "{what}: more hits than vectors");
            index
                .upsert(u64::MAX - 1, &[0.1, 0.2, 0.3, 0.4])
                .unwrap_or_else(|e| panic!("{what}: upsert into a loaded index: {e}"));
            true
        }
    }
}

/// One forgery: a name and a change to USearch's bytes (the checksum is then recomputed).
type Forgery = (&'static str, Box<dyn Fn(&mut Vec<u8>, &Layout)>);

fn forgeries() -> Vec<Forgery> {
    vec![
        (
            "node 0's first neighbour slot far past the 24 nodes (the fuzzer's SEGV in search)",
            Box::new(|f, l| {
                let at = l.neighbours(f, 0, 0);
                assert!((1..=32).contains(&u32::from_le_bytes(f[at..at + 4].try_into().unwrap())));
                put_u32(f, at + 4, 0xFFFF_FFF0);
            }),
        ),
        (
            "a neighbour slot equal to the node count (one past the end)",
            Box::new(|f, l| {
                let at = l.neighbours(f, 3, 0);
                put_u32(f, at + 4, l.size as u32);
            }),
        ),
        (
            "a neighbour count larger than the slots a node has",
            Box::new(|f, l| {
                let at = l.neighbours(f, 5, 0);
                put_u32(f, at, l.connectivity_base as u32 + 1);
            }),
        ),
        (
            "a node level changed in the level table (shifts every later node)",
            Box::new(|f, l| {
                let at = l.levels + 2 * 7;
                let level = l.level(f, 7);
                f[at..at + 2].copy_from_slice(&(level + 1).to_le_bytes());
            }),
        ),
        (
            "a negative node level",
            Box::new(|f, l| {
                let at = l.levels + 2 * 2;
                f[at..at + 2].copy_from_slice(&(-1i16).to_le_bytes());
            }),
        ),
        (
            "a node's own level disagreeing with the level table",
            Box::new(|f, l| {
                let at = l.node(f, 4) + 8;
                let level = l.level(f, 4);
                f[at..at + 2].copy_from_slice(&(level + 1).to_le_bytes());
            }),
        ),
        (
            "the entry slot past the nodes",
            Box::new(|f, l| {
                f[l.graph + 32..l.graph + 40].copy_from_slice(&1000u64.to_le_bytes());
            }),
        ),
        (
            "a max level above the entry node's",
            Box::new(|f, l| {
                f[l.graph + 24..l.graph + 32].copy_from_slice(&7u64.to_le_bytes());
            }),
        ),
        (
            "a vector count of 2^32 - 1 (the fuzzer's 8-34 GB allocations)",
            Box::new(|f, _| put_u32(f, 0, u32::MAX)),
        ),
        (
            "vectors wider than the dimensions",
            Box::new(|f, _| put_u32(f, 4, 4096)),
        ),
        (
            "a huge connectivity in the graph header",
            Box::new(|f, l| {
                f[l.graph + 8..l.graph + 16].copy_from_slice(&u64::MAX.to_le_bytes());
            }),
        ),
        (
            "a node key changed to one not in the key list",
            Box::new(|f, l| {
                let at = l.node(f, 9);
                f[at..at + 8].copy_from_slice(&123_456_789u64.to_le_bytes());
            }),
        ),
        (
            "the USearch bytes cut short by one neighbour slot",
            Box::new(|f, _| f.truncate(f.len() - 4)),
        ),
        (
            "four extra bytes after the graph",
            Box::new(|f, _| f.extend_from_slice(&[0, 0, 0, 0])),
        ),
    ]
}

/// Rebuilds a file from changed USearch bytes, the original key list and a recomputed
/// checksum (the footer's `usearch_len` is updated too).
fn reassemble(original: &[u8], usearch: &[u8]) -> Vec<u8> {
    let old_len = sections(original).usearch_len;
    let mut file = usearch.to_vec();
    file.extend_from_slice(&original[old_len..]);
    let footer = file.len() - (4 + 4 + 8 + 8 + 8 + 8 + 32 + 8);
    file[footer + 24..footer + 32].copy_from_slice(&(usearch.len() as u64).to_le_bytes());
    rechecksum(&mut file);
    file
}

#[test]
fn a_forged_index_whose_graph_links_point_outside_it_is_refused_not_followed() {
    in_child_process(
        "a_forged_index_whose_graph_links_point_outside_it_is_refused_not_followed",
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            let original = saved_index(dir.path());
            let usearch = &original[..sections(&original).usearch_len];
            let l = layout(usearch);
            assert!(
                (0..l.size).any(|s| l.level(usearch, s) > 0),
                "the base index has upper levels to forge"
            );
            let path = dir.path().join("forged.usearch");
            for (what, forge) in forgeries() {
                let mut bytes = usearch.to_vec();
                forge(&mut bytes, &l);
                let file = reassemble(&original, &bytes);
                match VectorIndex::load(
                    {
                        std::fs::write(&path, &file).expect("write");
                        &path
                    },
                    settings(),
                ) {
                    Err(VectorError::Corrupt { message, .. }) => {
                        assert!(
                            message.contains("USearch data is malformed"),
                            "{what}: refused by the layout check, not by luck: {message}"
                        );
                    }
                    other => panic!("{what}: expected Corrupt, got {other:?}"),
                }
            }
            // The untouched bytes, reassembled the same way, still load: the check is not
            // refusing everything.
            let file = reassemble(&original, usearch);
            assert!(
                load_and_use(&path, &file, "unchanged"),
                "an honest index loads"
            );
        },
    );
}

#[test]
fn a_link_at_an_upper_level_to_a_node_without_that_level_is_refused() {
    // Searching level L walks the neighbours' own level-L lists: a node linked at a level
    // it does not have would be read past its allocation.
    in_child_process(
        "a_link_at_an_upper_level_to_a_node_without_that_level_is_refused",
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            let original = saved_index(dir.path());
            let mut usearch = original[..sections(&original).usearch_len].to_vec();
            let l = layout(&usearch);
            let high = (0..l.size)
                .find(|&s| l.level(&usearch, s) > 0)
                .expect("an upper-level node");
            let low = (0..l.size)
                .find(|&s| l.level(&usearch, s) == 0)
                .expect("a base-only node");
            let at = l.neighbours(&usearch, high, 1);
            put_u32(&mut usearch, at, 1);
            put_u32(&mut usearch, at + 4, low as u32);
            let file = reassemble(&original, &usearch);
            let path = dir.path().join("forged.usearch");
            assert!(
                !load_and_use(&path, &file, "level-1 link to a level-0 node"),
                "refused"
            );
        },
    );
}

#[test]
fn every_byte_of_the_usearch_data_overwritten_and_rechecksummed_never_crashes() {
    // A deterministic sweep of the fuzzer's forged mode: each byte of the USearch section
    // of a real index set to 4 hostile values in turn, the checksum recomputed. Each file
    // must be refused as Corrupt, or load into an index that searches and inserts. Bytes of
    // vectors may load (any bit pattern is a value); graph damage must not crash.
    in_child_process(
        "every_byte_of_the_usearch_data_overwritten_and_rechecksummed_never_crashes",
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            let original = saved_index(dir.path());
            let usearch = &original[..sections(&original).usearch_len];
            let path = dir.path().join("forged.usearch");
            let (mut loaded, mut refused) = (0usize, 0usize);
            for position in 0..usearch.len() {
                let old = usearch[position];
                for value in [old ^ 0x01, old ^ 0x80, 0x00, 0xFF] {
                    if value == old {
                        continue;
                    }
                    let mut bytes = usearch.to_vec();
                    bytes[position] = value;
                    let file = reassemble(&original, &bytes);
                    let what = format!("byte {position} set from {old:#04x} to {value:#04x}");
                    if load_and_use(&path, &file, &what) {
                        loaded += 1;
                    } else {
                        refused += 1;
                    }
                }
            }
            eprintln!(
                "{} USearch bytes: {loaded} forged files loaded and worked, {refused} refused",
                usearch.len()
            );
            assert!(refused > 0 && loaded > 0, "both outcomes occur");
        },
    );
}
