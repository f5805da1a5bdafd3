//! Shared set-up for the fuzz targets in `fuzz_targets/`.
//!
//! Owns the panic policy and the scratch folder of a fuzzing process; the targets own what
//! they feed to which parser.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock};

/// Environment variable: when set (to anything), keep libFuzzer's hook that aborts on
/// *every* panic, including panics that the code under test catches on purpose.
pub const STRICT_PANICS_VAR: &str = "GLIMPSE_FUZZ_STRICT_PANICS";

/// Makes panics that the code under test catches (`decode` wraps every decoder in
/// `catch_unwind` and reports "decoder crashed") non-fatal, as they are in the app.
///
/// libfuzzer-sys installs a panic hook that aborts before unwinding, which would turn
/// every caught decoder panic into a "crash". Our hook only reports each panic location
/// once, on stderr, with the marker `GLIMPSE-FUZZ panic` and a backtrace, so the run log
/// lists the dependency panics that `catch_unwind` hid. A panic that escapes the target still
/// fails the run: libfuzzer-sys itself catches it at the target boundary and aborts.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os(STRICT_PANICS_VAR).is_some() {
            return;
        }
        static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map_or_else(|| "unknown location".to_owned(), ToString::to_string);
            let seen = SEEN.get_or_init(Default::default);
            let first = seen
                .lock()
                .map(|mut set| set.insert(location.clone()))
                .unwrap_or(true);
            if first {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // libFuzzer's own stack trace of an escaped panic shows only the abort at
                // the target boundary; this one shows where the panic happened.
                let backtrace = std::backtrace::Backtrace::force_capture();
                eprintln!("GLIMPSE-FUZZ panic at {location}: {message}\n{backtrace}");
            }
        }));
    });
}

/// A scratch folder private to this process, created on first use. It lives under
/// `$TMPDIR` (the fuzz script points that inside `fuzz/target`) and is not removed:
/// libFuzzer ends the process with `exit`, and the folder is tiny.
pub fn scratch_dir(name: &str) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("glimpse-fuzz-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("{}: cannot create: {e}", dir.display()));
        dir
    })
}
