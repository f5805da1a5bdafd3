//! A cheap structural check of a `model.safetensors` file, run before any weights are used.
//!
//! It reads only the 8-byte header length and the JSON header, never the tensor data, so it
//! costs the same for a 600 MB model as for a tiny one. It catches what a cut-off copy or
//! an interrupted download leaves behind: the file must be exactly as long as its header
//! says, and the tensors must tile the data region with no gap or overlap (the rules the
//! `safetensors` crate enforces when Candle loads the file).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::SourceError;

/// The largest JSON header accepted, in bytes; the `safetensors` crate uses the same limit.
/// A larger length means the file is not safetensors at all.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// What the check learnt about a valid weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WeightsSummary {
    /// Number of tensors in the file.
    pub tensors: usize,
    /// Bytes of tensor data after the header.
    pub data_bytes: u64,
}

/// One tensor's entry in the safetensors header.
#[derive(Debug, Deserialize)]
struct TensorEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// Checks that `path` is a complete safetensors file without reading its tensor data.
pub(crate) fn check(path: &Path) -> Result<WeightsSummary, SourceError> {
    let invalid = |reason: String| SourceError::InvalidWeights {
        path: path.to_path_buf(),
        reason,
    };
    let io = |source| SourceError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    };

    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    if file_len < 8 {
        return Err(invalid(format!(
            "it has only {file_len} bytes, fewer than the 8-byte header length: \
             the file is empty or truncated"
        )));
    }
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes).map_err(io)?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_BYTES {
        return Err(invalid(format!(
            "its header length {header_len} is implausible (the limit is {MAX_HEADER_BYTES})"
        )));
    }
    let header_end = 8 + header_len;
    if header_end > file_len {
        return Err(SourceError::TruncatedWeights {
            path: path.to_path_buf(),
            expected: header_end,
            actual: file_len,
        });
    }
    // Bounded by MAX_HEADER_BYTES above, so the cast cannot truncate.
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(io)?;

    let entries: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&header)
        .map_err(|e| invalid(format!("its header is not a JSON object: {e}")))?;
    let mut spans = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        if name == "__metadata__" {
            continue;
        }
        let entry: TensorEntry = serde_json::from_value(value)
            .map_err(|e| invalid(format!("tensor {name}: malformed header entry: {e}")))?;
        let (begin, end) = entry.data_offsets;
        if end < begin {
            return Err(invalid(format!(
                "tensor {name}: data ends before it begins"
            )));
        }
        if let Some(expected) = tensor_bytes(&entry.dtype, &entry.shape)
            && expected != Some(end - begin)
        {
            return Err(invalid(format!(
                "tensor {name}: {} {:?} needs {} bytes but the header gives it {}",
                entry.dtype,
                entry.shape,
                expected.map_or_else(|| "too many".to_owned(), |n| n.to_string()),
                end - begin
            )));
        }
        spans.push((begin, end, name));
    }

    // The tensors must cover the data region exactly, in some order: a hole or an overlap
    // means a damaged header, and Candle's loader would reject it later with a vaguer error.
    spans.sort();
    let mut cursor = 0u64;
    for (begin, end, name) in &spans {
        if *begin != cursor {
            return Err(invalid(format!(
                "tensor {name} starts at byte {begin} of the data, expected {cursor}"
            )));
        }
        cursor = *end;
    }
    // Offsets come from the file: saturate instead of overflowing.
    let expected = header_end.saturating_add(cursor);
    if file_len < expected {
        return Err(SourceError::TruncatedWeights {
            path: path.to_path_buf(),
            expected,
            actual: file_len,
        });
    }
    if file_len > expected {
        return Err(invalid(format!(
            "it has {} bytes after the last tensor ({file_len} bytes, the header accounts \
             for {expected})",
            file_len - expected
        )));
    }
    Ok(WeightsSummary {
        tensors: spans.len(),
        data_bytes: cursor,
    })
}

/// Bytes a tensor of `dtype` and `shape` occupies: `None` for a dtype this check does not
/// know (it then skips the size check for that tensor), `Some(None)` on overflow.
fn tensor_bytes(dtype: &str, shape: &[u64]) -> Option<Option<u64>> {
    let width: u64 = match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 1,
        "I16" | "U16" | "F16" | "BF16" => 2,
        "I32" | "U32" | "F32" => 4,
        "I64" | "U64" | "F64" => 8,
        _ => return None,
    };
    Some(shape.iter().try_fold(width, |acc, &d| acc.checked_mul(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a safetensors file with the given header JSON and `data_len` data bytes.
    fn write(dir: &Path, header: &str, data_len: usize) -> std::path::PathBuf {
        let path = dir.join("model.safetensors");
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend(std::iter::repeat_n(7u8, data_len));
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    const TWO_TENSORS: &str = r#"{"__metadata__":{"format":"pt"},
        "b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},
        "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;

    #[test]
    fn a_complete_file_passes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), TWO_TENSORS, 14);
        let summary = check(&path).expect("a complete file must pass");
        assert_eq!(
            summary,
            WeightsSummary {
                tensors: 2,
                data_bytes: 14
            }
        );
    }

    #[test]
    fn a_cut_file_is_reported_as_truncated_with_sizes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), TWO_TENSORS, 10);
        let full = 8 + TWO_TENSORS.len() as u64 + 14;
        match check(&path) {
            Err(SourceError::TruncatedWeights {
                expected, actual, ..
            }) => {
                assert_eq!((expected, actual), (full, full - 4), "sizes in the error");
            }
            other => panic!("a file 4 bytes short must be truncated, got {other:?}"),
        }
    }

    #[test]
    fn a_file_cut_inside_its_header_is_truncated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), TWO_TENSORS, 14);
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..20]).expect("cut");
        assert!(
            matches!(
                check(&path),
                Err(SourceError::TruncatedWeights { actual: 20, .. })
            ),
            "a file that ends inside its header is truncated"
        );
    }

    #[test]
    fn holes_trailing_bytes_wrong_sizes_and_garbage_are_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            (
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                12,
                "hole",
            ),
            (
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                9,
                "trailing",
            ),
            (
                r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                8,
                "size",
            ),
            (r#"{"a":{"dtype":"F32","shape":[2]}}"#, 8, "no offsets"),
            ("not json at all", 0, "garbage"),
        ];
        for (header, data, what) in cases {
            let path = write(dir.path(), header, data);
            assert!(
                matches!(check(&path), Err(SourceError::InvalidWeights { .. })),
                "{what}: must be rejected as invalid"
            );
        }
        let path = dir.path().join("tiny");
        std::fs::write(&path, [1, 2, 3]).expect("write");
        assert!(
            matches!(check(&path), Err(SourceError::InvalidWeights { .. })),
            "3-byte file"
        );
        std::fs::write(&path, u64::MAX.to_le_bytes()).expect("write");
        assert!(
            matches!(check(&path), Err(SourceError::InvalidWeights { .. })),
            "an absurd header length is not safetensors"
        );
    }
}
