//! `VectorIndex::load` on fuzzed index files, then a search and an insert on what loaded.
//!
//! The file ends in a footer with a blake3 checksum over everything before it
//! (`crates/vectors/src/file.rs`), so raw bytes almost never get past it. The first input
//! byte (mod 3) picks the mode:
//! - 0, raw: the rest is the file, byte for byte (footer parsing and its checks);
//! - 1, re-footered: `[quantization][connectivity][key count][body]`; the body is split
//!   into USearch bytes and `key count` keys and a valid footer (4 dimensions, correct
//!   checksum) is appended, so USearch's own loader sees arbitrary bytes;
//! - 2, mutated real index: a real saved 4-d index of 24 vectors, whose USearch bytes get
//!   `[offset u16 LE][value]` overwrites from the rest (a trailing lone byte truncates
//!   them to that fraction, a trailing pair is appended), then a valid footer.
//!
//! Modes 1 and 2 model a file damaged *and* re-checksummed, i.e. forged by someone who
//! knows the format: beyond what the checksum is meant to stop (accidental damage). USearch
//! trusts the graph it loads, so these modes crash within seconds (out-of-range neighbour
//! slots: SEGV / heap-buffer-overflow in `load` and `search`; see docs/RELIABILITY.md and
//! the ignored test in crates/vectors/tests/fuzz_regressions.rs). They therefore run only
//! when `GLIMPSE_FUZZ_FORGED_INDEX=1`; otherwise every input is taken as mode 0.
#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use glimpse_vectors::{IndexSettings, Quantization, VectorIndex};
use libfuzzer_sys::fuzz_target;

const DIM: usize = 4;
const MAGIC: &[u8; 8] = b"GLIMPSEV";
const FOOTER_LEN: usize = 4 + 4 + 8 + 8 + 8 + 8 + 32 + 8;

/// A real index file split into its sections.
struct Base {
    usearch: Vec<u8>,
    keys: Vec<u64>,
    connectivity: u64,
}

fn file_path() -> PathBuf {
    glimpse_fuzz::scratch_dir("vectors").join("index.usearch")
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let index = VectorIndex::new(IndexSettings::new(DIM).with_quantization(Quantization::F32))
            .expect("4-d settings are valid");
        for key in 0..24u64 {
            let k = key as f32;
            index
                .upsert(
                    key * 7 + 1,
                    &[1.0 + k, (k * 0.37).sin(), (k * 0.11).cos(), 0.5 - k],
                )
                .expect("finite non-zero vector");
        }
        let path = glimpse_fuzz::scratch_dir("vectors").join("base.usearch");
        index.save(&path).expect("scratch folder is writable");
        let bytes = fs::read(&path).expect("just saved");
        let footer = &bytes[bytes.len() - FOOTER_LEN..];
        let word = |at: usize| u64::from_le_bytes(footer[at..at + 8].try_into().expect("8 bytes"));
        let (connectivity, usearch_len, key_count) =
            (word(16), word(24) as usize, word(32) as usize);
        let keys = bytes[usearch_len..usearch_len + key_count * 8]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Base {
            usearch: bytes[..usearch_len].to_vec(),
            keys,
            connectivity,
        }
    })
}

/// The file format of `glimpse_vectors` (file.rs `encode`), with any field values.
fn encode(usearch: &[u8], keys: &[u8], quantization: u32, connectivity: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(usearch.len() + keys.len() + FOOTER_LEN);
    out.extend_from_slice(usearch);
    out.extend_from_slice(keys);
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&quantization.to_le_bytes());
    out.extend_from_slice(&(DIM as u64).to_le_bytes());
    out.extend_from_slice(&connectivity.to_le_bytes());
    out.extend_from_slice(&(usearch.len() as u64).to_le_bytes());
    out.extend_from_slice(&((keys.len() / 8) as u64).to_le_bytes());
    let hash = blake3::hash(&out);
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(MAGIC);
    out
}

/// Whether the re-checksummed modes 1 and 2 are on (`GLIMPSE_FUZZ_FORGED_INDEX=1`).
fn forged_modes() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("GLIMPSE_FUZZ_FORGED_INDEX").is_ok_and(|v| v == "1"))
}

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut quantization = Quantization::F32;
    let mode = if forged_modes() { mode % 3 } else { 0 };
    let file = match mode {
        0 => rest.to_vec(),
        1 => {
            let [q, connectivity, key_count, body @ ..] = rest else {
                return;
            };
            let code = u32::from(*q % 4);
            quantization = Quantization::ALL
                .get(code as usize)
                .copied()
                .unwrap_or_default();
            let key_bytes = (usize::from(*key_count) * 8).min(body.len() / 8 * 8);
            let (usearch, keys) = body.split_at(body.len() - key_bytes);
            encode(usearch, keys, code, u64::from(*connectivity))
        }
        _ => {
            let base = base();
            let mut usearch = base.usearch.clone();
            let mut ops = rest.chunks_exact(3);
            for op in ops.by_ref() {
                let offset = usize::from(u16::from_le_bytes([op[0], op[1]]));
                let len = usearch.len();
                usearch[offset % len] = op[2];
            }
            match ops.remainder() {
                [fraction] => usearch.truncate(usearch.len() * usize::from(*fraction) / 255),
                [a, b] => usearch.extend_from_slice(&[*a, *b]),
                _ => {}
            }
            let keys: Vec<u8> = base.keys.iter().flat_map(|k| k.to_le_bytes()).collect();
            encode(&usearch, &keys, 0, base.connectivity)
        }
    };
    let path = file_path();
    fs::write(&path, &file).expect("scratch folder is writable");
    let settings = IndexSettings::new(DIM).with_quantization(quantization);
    let Ok(index) = VectorIndex::load(&path, settings) else {
        return;
    };
    // A loaded index must be usable: search walks the loaded graph, upsert links into it.
    let hits = index
        .search(&[0.3, -0.2, 0.9, 0.1], 5)
        .expect("search of a loaded index");
    assert!(hits.len() <= index.len(), "more hits than vectors");
    index
        .upsert(u64::MAX - 1, &[0.1, 0.2, 0.3, 0.4])
        .expect("upsert into a loaded index");
    assert!(index.contains(u64::MAX - 1), "the inserted key is there");
});
