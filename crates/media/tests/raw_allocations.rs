//! Damaged TIFF-structured raw files never make the decoder ask for gigabytes.
//!
//! rawler 0.8 allocates what a directory entry declares (up to 4 G items of up to 8 bytes)
//! before it reads the value; a request the system refuses aborts the process, so one bad
//! file could end the app (and again at every start, as indexing meets it again). The
//! fuzzer found four (`fuzz-artifacts/`: `new_formats` and `decode`, 2026-12-07, asking for
//! 3.3 GB, 2.1 GB and, inside a Fujifilm RAF and a Canon CR3, 2.5 and 4.0 GB;
//! docs/RELIABILITY.md), a fifth whose directory chain loops, which rawler follows
//! until memory runs out, and a sixth outside any directory: a CR3 timed-metadata record
//! declaring 3.7 GB. Two layers keep them harmless — Glimpse's check in front of rawler and
//! the bounds in the vendored rawler (`vendor/rawler/GLIMPSE-PATCHES.md`) — and each is
//! tested here on its own. This test binary counts the largest single allocation while each
//! file decodes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use glimpse_media::decode;

mod tiff_bytes;
use tiff_bytes::{directory, tiff};

/// The system allocator, recording the largest request since the last reset.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is
// updated beside it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests run on threads of one process: one measurement at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Far above what a small damaged file needs, far below what the bug asked for.
const LIMIT: usize = 256 << 20;

/// The fuzzers' files (`fuzz-artifacts/README.md`), and whether a picture survives: the
/// RAF keeps the fixture's small preview, which is still shown — only rawler is kept away.
const REPRODUCERS: [(&str, bool); 7] = [
    ("new_formats-oom-3c886d3f.dng", false),
    ("decode-oom-84efc4f3.tif", false),
    ("decode-oom-69f9477c.raf", true),
    ("new_formats-oom-e429304b.dng", false),
    ("decode-oom-b61b92a4.cr3", false),
    ("decode-oom-bf6f3072.cr3", false),
    ("decode-oom-b9b91d97.cr3", false),
];

fn artifact(name: &str) -> (PathBuf, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-artifacts")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, bytes)
}

/// Decodes `bytes` as `path` and returns the outcome and the largest allocation.
fn largest_allocation(path: &Path, bytes: &[u8]) -> (Result<(), String>, usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    LARGEST.store(0, Ordering::SeqCst);
    let outcome = decode(path, bytes).map(|_| ()).map_err(|e| e.to_string());
    (outcome, LARGEST.load(Ordering::SeqCst))
}

const DNG_VERSION: (u16, u16, u32, u32) = (0xC612, 1, 4, 0x0000_0401);

#[test]
fn the_fuzzers_files_are_refused_without_a_huge_allocation() {
    for (name, picture) in REPRODUCERS {
        let (path, bytes) = artifact(name);
        let (outcome, largest) = largest_allocation(&path, &bytes);
        assert!(
            largest < LIMIT,
            "{name}: {largest} bytes asked for at once ({outcome:?})"
        );
        assert_eq!(outcome.is_ok(), picture, "{name}: {outcome:?}");
        if let Err(message) = outcome {
            assert!(
                !message.contains("model ''"),
                "{name}: rawler's empty camera fields reach the user: {message}"
            );
        }
    }
}

/// What rawler itself asks for while it reads `bytes` as a decoder would (its decoder, the
/// metadata, the image without pixels), with the check in front of it left out.
fn largest_allocation_in_rawler(bytes: &[u8]) -> usize {
    use rawler::decoders::RawDecodeParams;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    LARGEST.store(0, Ordering::SeqCst);
    let _ = std::panic::catch_unwind(|| {
        let source = rawler::rawsource::RawSource::new_from_slice(bytes);
        let params = RawDecodeParams::default();
        if let Ok(decoder) = rawler::get_decoder(&source) {
            let _ = decoder.raw_metadata(&source, &params);
            let _ = decoder.raw_image(&source, &params, true);
        }
    });
    LARGEST.load(Ordering::SeqCst)
}

#[test]
fn rawler_itself_reads_every_damaged_file_without_a_huge_allocation() {
    // The vendored rawler (vendor/rawler/GLIMPSE-PATCHES.md) bounds what it reserves by
    // the bytes the file holds: the fuzzers' files and the made ones, given to it directly.
    let mut files: Vec<(String, Vec<u8>)> = REPRODUCERS
        .into_iter()
        .map(|(name, _)| (name.to_owned(), artifact(name).1))
        .collect();
    files.extend(
        made_cases()
            .into_iter()
            .map(|(what, _, bytes)| (what.to_owned(), bytes)),
    );
    for (what, bytes) in files {
        let largest = largest_allocation_in_rawler(&bytes);
        assert!(largest < LIMIT, "{what}: {largest} bytes asked for at once");
    }
}

/// TIFFs with an entry declaring far more than the file holds, wherever rawler's TIFF reader
/// looks, and one whose directory chain loops.
fn made_cases() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    // IFD0 ends at 8 + 2 + n*12 + 4; a second directory or the EXIF directory follows.
    let ifd1_at = 8 + 2 + 2 * 12 + 4;
    vec![
        (
            "an unknown type in IFD0 (the fuzzer's)",
            "x.dng",
            tiff(&[DNG_VERSION, (0x0008, 0, 0xC612_0001, 0)], 0, &[]),
        ),
        (
            "a directory naming itself as the next (rawler follows it for ever)",
            "x.dng",
            tiff(&[DNG_VERSION, (0x0100, 4, 1, 16)], 8, &[]),
        ),
        (
            "doubles, 34 GB",
            "x.dng",
            tiff(&[DNG_VERSION, (0x9999, 12, u32::MAX, 64)], 0, &[]),
        ),
        (
            "rationals in the second directory of the chain",
            "x.dng",
            tiff(
                &[DNG_VERSION, (0x0100, 4, 1, 16)],
                ifd1_at,
                &directory(0x829A, 5, 0x4000_0000, 8),
            ),
        ),
        (
            "shorts in the EXIF directory",
            "x.dng",
            tiff(
                &[DNG_VERSION, (0x8769, 4, 1, ifd1_at)],
                0,
                &directory(0x9209, 3, 0xF000_0000, 8),
            ),
        ),
    ]
}

#[test]
fn oversized_entries_anywhere_rawler_looks_are_refused() {
    for (what, name, bytes) in made_cases() {
        let (outcome, largest) = largest_allocation(Path::new(name), &bytes);
        assert!(
            largest < LIMIT,
            "{what}: {largest} bytes asked for at once ({outcome:?})"
        );
        let message = outcome.expect_err(what);
        assert!(message.contains("damaged"), "{what}: {message}");
    }
}

#[test]
fn a_real_raw_file_is_still_decoded_and_measured() {
    // The guard must not refuse what rawler reads: the DNG with a preview and the one
    // developed from its sensor data decode as before.
    for name in ["with-preview.dng", "sensor-only.dng"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/formats")
            .join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (outcome, largest) = largest_allocation(&path, &bytes);
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
        assert!(largest < LIMIT, "{name}: {largest} bytes at once");
    }
}

#[test]
fn no_camera_file_is_taken_for_a_damaged_one() {
    // ExifTool's stripped camera files (some refused for other reasons) and the DNGs: none
    // declares an entry the guard refuses.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/formats");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the formats fixtures") {
        let path = entry.expect("a directory entry").path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["dng", "cr2", "cr3", "nef", "raf", "rw2"].contains(&ext) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (outcome, _) = largest_allocation(&path, &bytes);
        if let Err(message) = outcome {
            assert!(
                !message.contains("damaged: a directory entry"),
                "{}: {message}",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} camera files among the fixtures");
}
