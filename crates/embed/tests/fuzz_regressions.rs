//! Regression tests from fuzzing the model-file parsers (`fuzz/fuzz_targets/
//! safetensors_header.rs` and `config_json.rs`, results in docs/RELIABILITY.md).
//!
//! The last two tests are bugs that fuzzing confirmed (now fixed); each runs the once-failing
//! call in a child copy of this test binary, so that an abort (allocation failure) would fail
//! that test alone.

use std::path::Path;
use std::process::Command;

use glimpse_embed::{ModelFiles, PreprocessConfig, Preprocessor, SourceError};
use image::{DynamicImage, RgbImage};

/// Set in the child process of [`in_child_process`].
const CHILD_VAR: &str = "GLIMPSE_EMBED_REGRESSION_CHILD";

/// Runs `body` in a child copy of this test binary when the test runs normally, so that a
/// panic, an abort or running out of memory fails *this* test with the child's output.
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
        "{test_name} failed in its child process ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A model folder whose `model.safetensors` has `header` as its JSON header and
/// `data_len` zero bytes of tensor data (`from_dir` only checks that the other files
/// exist).
fn model_folder(dir: &Path, header: &str, data_len: usize) {
    for file in ["config.json", "tokenizer.json"] {
        std::fs::write(dir.join(file), b"{}").expect("write");
    }
    let mut weights = (header.len() as u64).to_le_bytes().to_vec();
    weights.extend_from_slice(header.as_bytes());
    weights.resize(weights.len() + data_len, 0);
    std::fs::write(dir.join("model.safetensors"), weights).expect("write");
}

fn assert_refused(dir: &Path, what: &str) {
    match ModelFiles::from_dir(dir) {
        Err(SourceError::InvalidWeights { .. } | SourceError::TruncatedWeights { .. }) => {}
        other => panic!("{what}: expected InvalidWeights or TruncatedWeights, got {other:?}"),
    }
}

#[test]
fn headers_the_fuzzer_explored_are_refused_with_a_weights_error() {
    // Shapes of header the fuzz target reached without finding a bug; kept as a baseline
    // beside the overflow regression below.
    let cases = [
        ("not JSON", "\u{0}\u{1}garbage", 0),
        ("a JSON array", "[1,2,3]", 0),
        (
            "offsets reversed",
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
            4,
        ),
        (
            "size mismatch",
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
            4,
        ),
        (
            "shape overflows",
            r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
            8,
        ),
        (
            "a hole",
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
            2,
        ),
        (
            "data missing",
            r#"{"a":{"dtype":"U8","shape":[9],"data_offsets":[0,9]}}"#,
            3,
        ),
        (
            "trailing bytes",
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            5,
        ),
    ];
    for (what, header, data_len) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        model_folder(dir.path(), header, data_len);
        assert_refused(dir.path(), what);
    }
}

#[test]
fn a_tensor_ending_near_u64_max_is_refused_without_overflowing() {
    in_child_process(
        "a_tensor_ending_near_u64_max_is_refused_without_overflowing",
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            // U8 × 2^64-1 elements is exactly the span the header gives it, so the size
            // check passes and the end offset reaches the final length arithmetic.
            let header = r#"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}}"#;
            model_folder(dir.path(), header, 0);
            match ModelFiles::from_dir(dir.path()) {
                Err(SourceError::TruncatedWeights {
                    expected, actual, ..
                }) => assert!(expected > actual, "{expected} > {actual}"),
                Err(SourceError::InvalidWeights { reason, .. }) => {
                    assert!(
                        !reason.contains("after the last tensor"),
                        "the file is far too short, not too long: {reason}"
                    );
                }
                other => panic!("expected a weights error, got {other:?}"),
            }
        },
    );
}

#[test]
fn an_absurd_crop_size_is_refused_instead_of_allocated() {
    in_child_process(
        "an_absurd_crop_size_is_refused_instead_of_allocated",
        || {
            let tiny = DynamicImage::ImageRgb8(RgbImage::new(3, 2));
            for json in [r#"{"crop_size": 100000}"#, r#"{"crop_size": 4294967295}"#] {
                // Refusing the config or refusing the image both fix it.
                if let Ok(config) = PreprocessConfig::from_slice(
                    Path::new("preprocessor_config.json"),
                    json.as_bytes(),
                ) {
                    let result = Preprocessor::new(config).pixels(&tiny);
                    assert!(result.is_err(), "{json}: expected an error, got pixels");
                }
            }
        },
    );
}
