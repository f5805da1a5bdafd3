//! Decoder panics, kept off the terminal.
//!
//! Third-party decoders (rawler above all) panic on some damaged files: an index out of
//! range, an exhausted bit reader — also inside rawler's own rayon workers. Glimpse catches
//! each one around the decode and lists the file with the reason ("raw decoder crashed:
//! …"), so indexing goes on; but Rust's default panic hook still printed every one to
//! stderr as "thread … panicked at …", which in `glimpse index` read like a crash.

use std::sync::Once;

/// Source paths of the decoder crates whose panics Glimpse catches by design: the vendored
/// and published rawler, the image crate and its codecs, the JPEG XL and byte-order readers
/// they call.
const DECODER_SOURCES: [&str; 9] = [
    "rawler",
    "/image-",
    "/jxl-",
    "/zune-",
    "/tiff-",
    "/png-",
    "/gif-",
    "/jpeg-decoder-",
    "/byteorder-",
];

/// Whether a panic at `file` (its source path, as the panic reports it) comes from a
/// decoder crate.
fn is_decoder_panic(file: &str) -> bool {
    DECODER_SOURCES.iter().any(|s| file.contains(s))
}

/// Installs, once per process, a panic hook that sends decoder panics to the log (debug
/// level, target `glimpse_media::panics`) instead of stderr; every other panic goes to the
/// hook that was there before. For binaries (the CLI and the app) to call at start.
pub fn quiet_decoder_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match info.location() {
            Some(location) if is_decoder_panic(location.file()) => {
                tracing::debug!("decoder panic, caught and reported with its file: {info}")
            }
            _ => previous(info),
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::is_decoder_panic;

    #[test]
    fn decoder_sources_are_told_from_ours() {
        for file in [
            "vendor/rawler/src/bits.rs",
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/rawler-0.8.0/src/pumps.rs",
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs",
            "/home/u/.cargo/registry/src/x/jxl-render-0.12.3/src/lib.rs",
        ] {
            assert!(is_decoder_panic(file), "{file}");
        }
        for file in [
            "crates/media/src/decode.rs",
            "crates/engine/src/writer.rs",
            "/rustc/59807616e1fa/library/core/src/panicking.rs",
            "src-tauri/src/lib.rs",
        ] {
            assert!(!is_decoder_panic(file), "{file}");
        }
    }
}
