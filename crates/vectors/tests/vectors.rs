//! Integration tests of glimpse-vectors: semantics, persistence, damage, concurrency and
//! recall against the exact index.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use glimpse_vectors::{
    ExactIndex, Hit, IndexSettings, Quantization, VectorError, VectorIndex, recall_at_k,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------- CLIP-like test data

/// Generator of CLIP-like embeddings: unit vectors that share a common direction (CLIP
/// embeddings sit in a narrow cone), grouped around cluster centres (subjects), with
/// per-photo noise. Same-cluster cosine ≈ 0.75, cross-cluster ≈ 0.3.
struct ClipLike {
    rng: StdRng,
    dim: usize,
    shared: Vec<f32>,
    centres: Vec<Vec<f32>>,
}

impl ClipLike {
    fn new(seed: u64, dim: usize, clusters: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let shared = unit_gaussian(&mut rng, dim);
        let centres = (0..clusters)
            .map(|_| unit_gaussian(&mut rng, dim))
            .collect();
        Self {
            rng,
            dim,
            shared,
            centres,
        }
    }

    /// A new photo of a random subject.
    fn sample(&mut self) -> Vec<f32> {
        let cluster = self.rng.random_range(0..self.centres.len());
        let noise = unit_gaussian(&mut self.rng, self.dim);
        let centre = &self.centres[cluster];
        let v: Vec<f32> = (0..self.dim)
            .map(|i| 0.6 * self.shared[i] + 0.7 * centre[i] + 0.5 * noise[i])
            .collect();
        normalize(v)
    }

    fn samples(&mut self, n: usize) -> Vec<Vec<f32>> {
        (0..n).map(|_| self.sample()).collect()
    }
}

fn unit_gaussian(rng: &mut StdRng, dim: usize) -> Vec<f32> {
    // Box-Muller: rand 0.9 itself has no normal distribution.
    let v = (0..dim)
        .map(|_| {
            let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            let u2: f64 = rng.random();
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect();
    normalize(v)
}

fn normalize(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn keyed(vectors: &[Vec<f32>], first_key: u64) -> Vec<(u64, Vec<f32>)> {
    vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (first_key + i as u64, v.clone()))
        .collect()
}

fn settings(dim: usize, quantization: Quantization) -> IndexSettings {
    IndexSettings::new(dim).with_quantization(quantization)
}

fn assert_best_first(hits: &[Hit]) {
    assert!(
        hits.windows(2).all(|w| w[0].score >= w[1].score),
        "hits must be sorted by descending score: {hits:?}"
    );
}

// ---------------------------------------------------------------- settings

#[test]
fn quantization_names_round_trip_and_f16_is_default() {
    for q in Quantization::ALL {
        assert_eq!(q.to_string().parse::<Quantization>(), Ok(q));
    }
    assert_eq!(" F16 ".parse::<Quantization>(), Ok(Quantization::F16));
    let error = "bf16".parse::<Quantization>().unwrap_err();
    assert!(
        error.to_string().contains("bf16"),
        "the error names the input"
    );
    assert_eq!(Quantization::default(), Quantization::F16);
    let s = IndexSettings::new(512);
    assert_eq!(
        (s.dim, s.quantization, s.connectivity),
        (512, Quantization::F16, 16)
    );
}

#[test]
fn invalid_settings_are_refused() {
    for bad in [
        IndexSettings::new(0),
        IndexSettings {
            connectivity: 1,
            ..IndexSettings::new(8)
        },
        IndexSettings {
            expansion_search: 0,
            ..IndexSettings::new(8)
        },
    ] {
        assert!(
            matches!(
                VectorIndex::new(bad),
                Err(VectorError::InvalidSettings { .. })
            ),
            "{bad:?} must be refused"
        );
    }
}

// ---------------------------------------------------------------- semantics

#[test]
fn upsert_search_remove_and_replace_semantics() {
    for q in Quantization::ALL {
        let index = VectorIndex::new(settings(4, q)).unwrap();
        assert!(index.is_empty());
        assert_eq!(
            index.search(&[1.0, 0.0, 0.0, 0.0], 5).unwrap(),
            vec![],
            "{q}: empty index"
        );

        index.upsert(10, &[1.0, 0.0, 0.0, 0.0]).unwrap();
        index.upsert(20, &[0.0, 2.0, 0.0, 0.0]).unwrap(); // not normalised: allowed
        index.upsert(30, &[0.0, 0.0, 1.0, 1.0]).unwrap();
        assert_eq!(index.len(), 3);
        assert_eq!(index.keys(), vec![10, 20, 30]);
        assert!(index.contains(20) && !index.contains(40));

        let hits = index.search(&[0.1, 0.9, 0.0, 0.0], 10).unwrap();
        assert_eq!(hits.len(), 3, "{q}: limit above len returns all");
        assert_eq!(hits[0].key, 20, "{q}: nearest first");
        let expected = 0.9 / (0.1f32 * 0.1 + 0.9 * 0.9).sqrt();
        assert!(
            (hits[0].score - expected).abs() < 0.02,
            "{q}: score {} is cosine {expected}",
            hits[0].score
        );
        assert_best_first(&hits);
        assert_eq!(index.search(&[0.1, 0.9, 0.0, 0.0], 0).unwrap(), vec![]);

        // Replace: same key, new direction; the count does not change.
        index.upsert(20, &[0.0, 0.0, 0.0, -1.0]).unwrap();
        assert_eq!(index.len(), 3, "{q}: replace must not add");
        let hits = index.search(&[0.0, 0.0, 0.0, -1.0], 1).unwrap();
        assert_eq!(
            hits[0].key, 20,
            "{q}: replaced vector is found at its new place"
        );
        assert!(hits[0].score > 0.99);
        let hits = index.search(&[0.0, 1.0, 0.0, 0.0], 3).unwrap();
        assert!(
            hits.iter().all(|h| h.key != 20 || h.score < 0.5),
            "{q}: old vector of 20 is gone: {hits:?}"
        );

        assert!(index.remove(10).unwrap());
        assert!(!index.remove(10).unwrap(), "second remove reports absence");
        assert!(!index.remove(999).unwrap());
        assert!(!index.contains(10));
        let hits = index.search(&[1.0, 0.0, 0.0, 0.0], 10).unwrap();
        assert!(
            hits.iter().all(|h| h.key != 10),
            "{q}: removed key is never returned"
        );
        assert_eq!(hits.len(), 2);

        // Remove everything, then search and insert again (slots are reused).
        assert!(index.remove(20).unwrap() && index.remove(30).unwrap());
        assert!(index.is_empty());
        assert_eq!(index.search(&[1.0, 0.0, 0.0, 0.0], 3).unwrap(), vec![]);
        index.upsert(40, &[1.0, 1.0, 0.0, 0.0]).unwrap();
        let hits = index.search(&[1.0, 1.0, 0.0, 0.0], 3).unwrap();
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![40]);
    }
}

#[test]
fn item_errors_leave_the_index_unchanged() {
    let index = VectorIndex::new(IndexSettings::new(3)).unwrap();
    index.upsert(1, &[1.0, 0.0, 0.0]).unwrap();
    let cases: [(u64, Vec<f32>); 4] = [
        (2, vec![1.0, 0.0]),
        (2, vec![f32::NAN, 0.0, 0.0]),
        (2, vec![0.0, 0.0, 0.0]),
        (u64::MAX, vec![1.0, 0.0, 0.0]),
    ];
    for (key, vector) in &cases {
        let error = index.upsert(*key, vector).unwrap_err();
        assert!(
            error.is_item_error() && !error.requires_rebuild(),
            "{error}"
        );
    }
    assert!(matches!(
        index.search(&[1.0, 0.0], 1),
        Err(VectorError::DimensionMismatch {
            expected: 3,
            got: 2
        })
    ));
    // One bad item refuses the whole batch before anything is inserted.
    let batch = vec![(5, vec![0.0, 1.0, 0.0]), (6, vec![f32::INFINITY, 0.0, 0.0])];
    assert!(index.upsert_batch(&batch).is_err());
    assert_eq!(
        index.keys(),
        vec![1],
        "nothing of a refused batch is stored"
    );
}

#[test]
fn upsert_batch_inserts_replaces_and_the_last_duplicate_wins() {
    let dim = 64;
    let mut data = ClipLike::new(7, dim, 20);
    let vectors = data.samples(1200); // batches above the parallel-insert threshold
    let index = VectorIndex::new(IndexSettings::new(dim)).unwrap();
    index.upsert_batch(&keyed(&vectors[..600], 0)).unwrap();

    // Second batch: new keys 600..1200, keys 0..100 replaced by vectors[1100..1200], and
    // key 5000 given twice.
    let mut second = keyed(&vectors[600..], 600);
    second.extend(keyed(&vectors[1100..1200], 0));
    second.push((5000, vectors[0].clone()));
    second.push((5000, vectors[1].clone()));
    index.upsert_batch(&second).unwrap();

    assert_eq!(index.len(), 1201, "replacements and duplicates add nothing");
    let mut expected: Vec<u64> = (0..1200).collect();
    expected.push(5000);
    assert_eq!(index.keys(), expected);
    let top = |v: &[f32], k| index.search(v, k).unwrap();
    let hit = top(&vectors[1], 1)[0];
    assert!(
        hit.key == 5000 && hit.score > 0.99,
        "key 1 was replaced, so only key 5000 holds vectors[1] (its last vector): {hit:?}"
    );
    assert!(
        top(&vectors[0], 1)[0].score < 0.99,
        "vectors[0] is stored nowhere: key 0 was replaced and key 5000 got vectors[1]"
    );
    let mut both: Vec<u64> = top(&vectors[1150], 2).iter().map(|h| h.key).collect();
    both.sort_unstable();
    assert_eq!(both, vec![50, 1150], "key 50 now holds vectors[1150]");
}

#[test]
fn filtered_search_keeps_only_accepted_keys_with_high_recall() {
    let dim = 128;
    let mut data = ClipLike::new(11, dim, 50);
    let vectors = data.samples(3000);
    let index = VectorIndex::new(IndexSettings::new(dim)).unwrap();
    let exact = ExactIndex::new(dim);
    index.upsert_batch(&keyed(&vectors, 0)).unwrap();
    exact.upsert_batch(&keyed(&vectors, 0)).unwrap();

    let keep = |key: u64| key % 10 == 3; // 10% of the keys
    let queries = data.samples(50);
    let mut recall = 0.0;
    for query in &queries {
        let approx = index.search_filtered(query, 10, keep).unwrap();
        let truth = exact.search_filtered(query, 10, keep).unwrap();
        assert!(
            approx.iter().all(|h| keep(h.key)),
            "only accepted keys: {approx:?}"
        );
        assert_eq!(approx.len(), 10, "enough accepted keys exist for 10 hits");
        assert_best_first(&approx);
        recall += recall_at_k(&approx, &truth, 10);
    }
    recall /= queries.len() as f64;
    println!("filtered (10% of keys) recall@10 = {recall:.4}");
    assert!(
        recall >= 0.95,
        "filtered search recall {recall} must stay high"
    );
    assert_eq!(
        index.search_filtered(&queries[0], 10, |_| false).unwrap(),
        vec![]
    );
}

#[test]
fn a_panicking_filter_panics_the_caller_and_leaves_the_index_usable() {
    let index = VectorIndex::new(IndexSettings::new(2)).unwrap();
    index.upsert(1, &[1.0, 0.0]).unwrap();
    index.upsert(2, &[0.0, 1.0]).unwrap();
    let outcome = std::panic::catch_unwind(|| {
        index.search_filtered(&[1.0, 0.0], 2, |_| panic!("filter bug"))
    });
    let payload = outcome.expect_err("the filter's panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"filter bug"));
    assert_eq!(index.search(&[1.0, 0.0], 1).unwrap()[0].key, 1);
}

#[test]
fn vectors_of_gives_the_stored_vectors_whose_dot_is_the_search_score() {
    for q in [Quantization::F32, Quantization::F16] {
        let mut data = ClipLike::new(7, 64, 10);
        let vectors = data.samples(300);
        let index = VectorIndex::new(settings(64, q)).expect("index");
        index.upsert_batch(&keyed(&vectors, 1)).expect("insert");
        index.remove(5).expect("remove");
        // Keys 5 (removed) and 9999 (never added) are left out; order follows the request.
        let got = index.vectors_of(&[3, 5, 9999, 1, 300]).expect("vectors");
        let keys: Vec<u64> = got.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec![3, 1, 300], "{q:?}");
        // The index stores vectors renormalised: f32 within rounding, f16 within its step.
        let tolerance = if q == Quantization::F32 { 1e-6 } else { 1e-3 };
        for (key, v) in &got {
            let stored = &vectors[(*key - 1) as usize];
            let worst = v
                .iter()
                .zip(stored)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst <= tolerance, "{q:?} key {key}: |Δ| {worst}");
        }
        // The exact score of a candidate from its stored vector is the search's score.
        let query = data.sample();
        let hits = index.search(&query, 20).expect("search");
        let keys: Vec<u64> = hits.iter().map(|h| h.key).collect();
        let stored = index.vectors_of(&keys).expect("vectors");
        for (hit, (key, v)) in hits.iter().zip(&stored) {
            assert_eq!(hit.key, *key);
            let dot: f32 = v.iter().zip(&query).map(|(a, b)| a * b).sum();
            assert!(
                (dot - hit.score).abs() < 2e-3,
                "{q:?} key {key}: {dot} vs {}",
                hit.score
            );
        }
    }
}

#[test]
fn recall_at_k_counts_the_overlap_of_the_top_k() {
    let hit = |key| Hit { key, score: 0.0 };
    let exact = [hit(1), hit(2), hit(3), hit(4)];
    assert_eq!(recall_at_k(&[hit(1), hit(9), hit(3)], &exact, 3), 2.0 / 3.0);
    assert_eq!(
        recall_at_k(&[hit(4), hit(1)], &exact, 2),
        0.5,
        "only the top k of each count"
    );
    assert_eq!(recall_at_k(&[], &[], 10), 1.0);
    assert_eq!(recall_at_k(&[hit(2)], &[hit(2)], 10), 1.0);
}

#[test]
fn exact_index_keeps_rows_consistent_through_removals() {
    let exact = ExactIndex::new(2);
    for (key, v) in [(1, [1.0, 0.0]), (2, [0.0, 1.0]), (3, [1.0, 1.0])] {
        exact.upsert(key, &v).unwrap();
    }
    assert!(
        exact.remove(1),
        "removing the first row moves the last into it"
    );
    assert!(!exact.remove(1));
    let hits = exact.search(&[1.0, 1.0], 5).unwrap();
    assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![3, 2]);
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    exact.upsert(2, &[-1.0, 0.0]).unwrap();
    assert_eq!(exact.search(&[-1.0, 0.0], 1).unwrap()[0].key, 2);
    assert_eq!(exact.keys(), vec![2, 3]);
}

// ---------------------------------------------------------------- persistence

fn built_index(q: Quantization, dim: usize, n: usize, seed: u64) -> (VectorIndex, ClipLike) {
    let mut data = ClipLike::new(seed, dim, 30);
    let index = VectorIndex::new(settings(dim, q)).unwrap();
    index.upsert_batch(&keyed(&data.samples(n), 100)).unwrap();
    // Leave removed slots and a replacement in the saved graph.
    for key in (100..100 + n as u64).step_by(7) {
        assert!(index.remove(key).unwrap());
    }
    index.upsert(101, &data.sample()).unwrap();
    (index, data)
}

#[test]
fn save_then_load_round_trips_keys_and_results() {
    let dir = tempfile::tempdir().unwrap();
    for q in Quantization::ALL {
        let (index, mut data) = built_index(q, 96, 1500, 3);
        let path = dir.path().join(format!("index-{q}.usearch"));
        index.save(&path).unwrap();
        let loaded = VectorIndex::load(&path, settings(96, q)).unwrap();

        assert_eq!(loaded.keys(), index.keys(), "{q}: same keys");
        assert_eq!(loaded.len(), index.len());
        assert_eq!(loaded.settings(), index.settings());
        for query in data.samples(20) {
            assert_eq!(
                loaded.search(&query, 10).unwrap(),
                index.search(&query, 10).unwrap(),
                "{q}: a loaded index answers exactly like the saved one"
            );
        }
        // The loaded index keeps working: inserts past its loaded capacity, removals.
        loaded
            .upsert_batch(&keyed(&data.samples(2000), 10_000))
            .unwrap();
        assert!(loaded.remove(102).unwrap());
        assert_eq!(loaded.len(), index.len() + 2000 - 1);
        let probe = data.sample();
        loaded.upsert(99_999, &probe).unwrap();
        assert_eq!(loaded.search(&probe, 1).unwrap()[0].key, 99_999);
    }
}

/// A loaded index serves from its file (USearch's view): the same answers, vectors and
/// filtered results as the index saved, after its pages are let go, while the file is
/// replaced under it, and saved from the view; the first change copies it to memory.
#[test]
fn a_loaded_index_serves_from_its_file_until_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    for q in Quantization::ALL {
        let (index, mut data) = built_index(q, 64, 3000, 7);
        let path = dir.path().join(format!("view-{q}.usearch"));
        index.save(&path).unwrap();
        let loaded = VectorIndex::load(&path, settings(64, q)).unwrap();
        assert!(loaded.is_mapped(), "{q}: served from the file");
        let queries = data.samples(20);
        let same = |loaded: &VectorIndex, when: &str| {
            for query in &queries {
                assert_eq!(
                    loaded.search(query, 10).unwrap(),
                    index.search(query, 10).unwrap(),
                    "{q} {when}: search"
                );
                assert_eq!(
                    loaded.search_filtered(query, 10, |k| k % 3 == 0).unwrap(),
                    index.search_filtered(query, 10, |k| k % 3 == 0).unwrap(),
                    "{q} {when}: filtered search"
                );
            }
            // Unknown keys among them (99_999 comes and goes below), out of order.
            let mut keys: Vec<u64> = (0..3000).step_by(37).chain([99_999, 123_456]).collect();
            keys.swap(0, 40);
            assert_eq!(
                loaded.vectors_of(&keys).unwrap(),
                index.vectors_of(&keys).unwrap(),
                "{q} {when}: stored vectors"
            );
        };
        same(&loaded, "viewed");
        loaded.release_pages();
        same(&loaded, "after its pages were let go");
        // The file replaced (as a save does: a new file renamed over it) while viewed.
        let other = VectorIndex::new(settings(64, q)).unwrap();
        other.upsert(1, &data.sample()).unwrap();
        other.save(&path).unwrap();
        same(&loaded, "after its file was replaced");
        let copy = dir.path().join(format!("view-{q}-copy.usearch"));
        loaded.save(&copy).unwrap();
        let reloaded = VectorIndex::load(&copy, settings(64, q)).unwrap();
        same(&reloaded, "saved from the view and loaded");
        assert!(loaded.is_mapped(), "{q}: reading and saving change nothing");

        loaded.upsert_batch(&[]).unwrap();
        assert!(!loaded.remove(123_456).unwrap());
        assert!(loaded.is_mapped(), "{q}: no change, no copy");
        let probe = data.sample();
        loaded.upsert(99_999, &probe).unwrap();
        assert!(!loaded.is_mapped(), "{q}: a change copies it to memory");
        assert_eq!(loaded.search(&probe, 1).unwrap()[0].key, 99_999);
        assert!(loaded.remove(99_999).unwrap());
        same(&loaded, "in memory, changed and changed back");

        // Back to the file only once it holds every change.
        let back = dir.path().join(format!("view-{q}-back.usearch"));
        assert!(
            !loaded.serve_from_file(&back).unwrap(),
            "{q}: never saved there"
        );
        loaded.save(&back).unwrap();
        loaded.upsert(99_998, &probe).unwrap();
        assert!(
            !loaded.serve_from_file(&back).unwrap(),
            "{q}: changed since the save"
        );
        assert!(loaded.remove(99_998).unwrap());
        loaded.save(&back).unwrap();
        assert!(
            loaded.serve_from_file(&back).unwrap(),
            "{q}: saved with every change"
        );
        assert!(loaded.is_mapped());
        same(&loaded, "served from the file saved last");
        assert!(!loaded.serve_from_file(&back).unwrap(), "{q}: already");
    }
}

#[test]
fn save_replaces_atomically_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.usearch");
    let index = VectorIndex::new(IndexSettings::new(8)).unwrap();
    index.save(&path).unwrap(); // an empty index saves and loads too
    assert!(
        VectorIndex::load(&path, IndexSettings::new(8))
            .unwrap()
            .is_empty()
    );
    index.upsert(1, &[1.0; 8]).unwrap();
    index.save(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["index.usearch"], "no temporary file is left");
    let loaded = VectorIndex::load(&path, IndexSettings::new(8)).unwrap();
    assert_eq!(loaded.keys(), vec![1], "the second save replaced the first");
    // Saving into a missing directory is an I/O error that names the path.
    let error = index
        .save(&dir.path().join("missing").join("index.usearch"))
        .unwrap_err();
    assert!(matches!(error, VectorError::Io { .. }), "{error}");
    assert!(error.to_string().contains("missing"), "{error}");
}

#[test]
fn load_with_other_dimensions_or_quantization_is_a_settings_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.usearch");
    let (index, _) = built_index(Quantization::F16, 32, 100, 5);
    index.save(&path).unwrap();
    for (requested, setting) in [
        (settings(64, Quantization::F16), "dimensions"),
        (settings(32, Quantization::I8), "quantization"),
    ] {
        match VectorIndex::load(&path, requested) {
            Err(error @ VectorError::SettingsMismatch { setting: s, .. }) => {
                assert_eq!(s, setting);
                assert!(error.requires_rebuild());
                println!("{error}");
            }
            other => panic!("expected a {setting} mismatch, got {other:?}"),
        }
    }
    let missing = VectorIndex::load(&dir.path().join("nope"), settings(32, Quantization::F16));
    assert!(
        matches!(missing, Err(VectorError::Io { .. })),
        "{missing:?}"
    );
}

fn assert_corrupt(path: &Path, what: &str) {
    match VectorIndex::load(path, IndexSettings::new(32)) {
        Err(error @ VectorError::Corrupt { .. }) => assert!(error.requires_rebuild()),
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    }
}

#[test]
fn truncated_damaged_and_garbage_files_are_corrupt_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.usearch");
    let (index, _) = built_index(Quantization::F16, 32, 300, 9);
    index.save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.usearch");

    for len in [
        0,
        1,
        7,
        64,
        bytes.len() / 2,
        bytes.len() - 80,
        bytes.len() - 1,
    ] {
        std::fs::write(&bad, &bytes[..len]).unwrap();
        assert_corrupt(&bad, &format!("truncated to {len} bytes"));
    }
    for position in [0, 8, bytes.len() / 3, bytes.len() - 50] {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x5a;
        std::fs::write(&bad, &damaged).unwrap();
        assert_corrupt(&bad, &format!("byte {position} flipped"));
    }
    let mut rng = StdRng::seed_from_u64(1);
    for len in [16, 4096, bytes.len()] {
        let garbage: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        std::fs::write(&bad, &garbage).unwrap();
        assert_corrupt(&bad, &format!("{len} random bytes"));
    }
    // Extra bytes after a good file: the footer is no longer at the end.
    let mut extended = bytes.clone();
    extended.extend_from_slice(b"trailing");
    std::fs::write(&bad, &extended).unwrap();
    assert_corrupt(&bad, "trailing bytes");

    assert_eq!(
        VectorIndex::load(&good, IndexSettings::new(32))
            .unwrap()
            .len(),
        index.len()
    );
}

// ---------------------------------------------------------------- concurrency

#[test]
fn concurrent_searches_while_one_writer_upserts_5000_vectors() {
    const VECTORS: usize = 5000;
    const SEARCHERS: usize = 4;
    let dim = 128;
    let dir = tempfile::tempdir().unwrap();
    for run in 0..3 {
        let mut data = ClipLike::new(100 + run, dim, 50);
        let vectors = data.samples(VECTORS);
        let queries = data.samples(64);
        // Starts empty: the searchers race the very first insert (a crash seen in USearch).
        let index = Arc::new(VectorIndex::new(IndexSettings::new(dim)).unwrap());
        let start = Arc::new(Barrier::new(SEARCHERS + 1));
        let done = Arc::new(AtomicBool::new(false));
        let searches = Arc::new(AtomicUsize::new(0));

        let searchers: Vec<_> = (0..SEARCHERS)
            .map(|s| {
                let (index, start, done, searches) =
                    (index.clone(), start.clone(), done.clone(), searches.clone());
                let queries = queries.clone();
                std::thread::spawn(move || {
                    start.wait();
                    let mut i = s;
                    while !done.load(Ordering::Acquire) {
                        let hits = index
                            .search(&queries[i % queries.len()], 10)
                            .expect("search during writes must not fail");
                        assert!(hits.len() <= 10);
                        assert!(hits.iter().all(|h| h.key < VECTORS as u64));
                        assert_best_first(&hits);
                        searches.fetch_add(1, Ordering::Relaxed);
                        i += SEARCHERS;
                    }
                })
            })
            .collect();

        start.wait();
        let mut expected = VECTORS;
        for (key, vector) in vectors.iter().enumerate() {
            index.upsert(key as u64, vector).expect("upsert");
            if key % 500 == 499 {
                // Mix in the other writes: a replacement, a removal and a save.
                index.upsert(key as u64 - 250, &vectors[key - 1]).unwrap();
                assert!(index.remove(key as u64 - 100).unwrap());
                expected -= 1;
            }
            if key == VECTORS / 2 {
                index.save(&dir.path().join("mid.usearch")).unwrap();
            }
        }
        done.store(true, Ordering::Release);
        for searcher in searchers {
            searcher
                .join()
                .expect("a searcher panicked (see its message above)");
        }
        assert_eq!(index.len(), expected, "run {run}: every upsert landed");
        let total = searches.load(Ordering::Relaxed);
        println!("run {run}: {total} searches ran during {VECTORS} upserts");
        assert!(total > 0, "the searchers must have overlapped the writer");
    }
}

#[test]
fn more_concurrent_callers_than_thread_slots_wait_instead_of_failing() {
    let dim = 64;
    let mut data = ClipLike::new(21, dim, 20);
    let index = Arc::new(VectorIndex::new(IndexSettings::new(dim)).unwrap());
    index.upsert_batch(&keyed(&data.samples(500), 0)).unwrap();
    let queries = Arc::new(data.samples(32));
    let more = keyed(&data.samples(3000), 10_000);
    // 32 searchers + a parallel batch insert > max(cores, 8) slots.
    let barrier = Arc::new(Barrier::new(33));
    let searchers: Vec<_> = (0..32)
        .map(|t| {
            let (index, queries, barrier) = (index.clone(), queries.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..40 {
                    let hits = index.search(&queries[(t + i) % 32], 5).unwrap();
                    assert_eq!(hits.len(), 5);
                }
            })
        })
        .collect();
    barrier.wait();
    index.upsert_batch(&more).unwrap();
    for searcher in searchers {
        searcher
            .join()
            .expect("no caller may fail for lack of a slot");
    }
    assert_eq!(index.len(), 3500);
}

#[test]
fn indexes_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<VectorIndex>();
    assert_send_sync::<ExactIndex>();
    assert_send_sync::<VectorError>();
}

// ---------------------------------------------------------------- recall

struct Measured {
    recall: f64,
    build: Duration,
    search: Duration,
}

fn measure(
    settings: IndexSettings,
    items: &[(u64, Vec<f32>)],
    queries: &[Vec<f32>],
    truth: &[Vec<Hit>],
) -> Measured {
    let index = VectorIndex::new(settings).unwrap();
    println!(
        "{} kernel: {}",
        settings.quantization,
        index.hardware_acceleration()
    );
    let started = Instant::now();
    index.upsert_batch(items).unwrap();
    let build = started.elapsed();
    let started = Instant::now();
    let results: Vec<Vec<Hit>> = queries
        .iter()
        .map(|q| index.search(q, 10).unwrap())
        .collect();
    let search = started.elapsed() / queries.len() as u32;
    let recall = results
        .iter()
        .zip(truth)
        .map(|(approx, exact)| recall_at_k(approx, exact, 10))
        .sum::<f64>()
        / queries.len() as f64;
    Measured {
        recall,
        build,
        search,
    }
}

/// 10k CLIP-like 512-d vectors, 200 queries drawn near them, and the exact top 10.
struct RecallFixture {
    items: Vec<(u64, Vec<f32>)>,
    queries: Vec<Vec<f32>>,
    truth: Vec<Vec<Hit>>,
}

fn recall_fixture() -> RecallFixture {
    const DIM: usize = 512;
    let mut data = ClipLike::new(42, DIM, 200);
    let items = keyed(&data.samples(10_000), 1);
    let queries = data.samples(200);
    let exact = ExactIndex::new(DIM);
    exact.upsert_batch(&items).unwrap();
    let truth = queries
        .iter()
        .map(|q| exact.search(q, 10).unwrap())
        .collect();
    RecallFixture {
        items,
        queries,
        truth,
    }
}

/// Recall floor asserted for I8 (measured 0.982); F32 and F16 must reach 0.98.
const I8_RECALL_FLOOR: f64 = 0.95;

#[test]
fn recall_at_10_against_exact_search() {
    let RecallFixture {
        items,
        queries,
        truth,
    } = recall_fixture();
    for q in Quantization::ALL {
        let m = measure(settings(512, q), &items, &queries, &truth);
        println!(
            "{q}: recall@10 = {:.4}, build 10k = {:.2} s, search = {} µs",
            m.recall,
            m.build.as_secs_f64(),
            m.search.as_micros()
        );
        let floor = if q == Quantization::I8 {
            I8_RECALL_FLOOR
        } else {
            0.98
        };
        assert!(
            m.recall >= floor,
            "{q}: recall@10 {:.4} is below {floor} with the default settings",
            m.recall
        );
    }
}

/// How recall moves with connectivity and search expansion (F16). Ignored: it only
/// documents how the defaults were chosen. Run with
/// `cargo test -p glimpse-vectors --test vectors recall_sweep -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check: it documents how the defaults were chosen (minutes)"]
fn recall_sweep() {
    let RecallFixture {
        items,
        queries,
        truth,
    } = recall_fixture();
    let grid = [(16, 16), (16, 32), (16, 64), (16, 128), (8, 64), (32, 64)];
    for (connectivity, expansion_search) in grid {
        let s = IndexSettings {
            connectivity,
            expansion_search,
            ..IndexSettings::new(512)
        };
        let m = measure(s, &items, &queries, &truth);
        println!(
            "M={connectivity:2} ef={expansion_search:3}: recall@10 = {:.4}, build = {:.2} s, \
             search = {} µs",
            m.recall,
            m.build.as_secs_f64(),
            m.search.as_micros()
        );
    }
}
