//! Loading safetensors weights one tensor at a time.
//!
//! Reading the whole file and then building tensors from it holds the model twice in
//! memory (1.2 GB for ViT-B/32). Streaming the file in offset order keeps at most one
//! tensor's bytes beside the finished tensors, and hashes the file on the way for the
//! local revision id.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use crate::error::EmbedError;

/// Tensors by name, and the BLAKE3 hasher fed with the whole file in order.
pub(crate) struct StreamedWeights {
    pub(crate) tensors: HashMap<String, Tensor>,
    pub(crate) hasher: blake3::Hasher,
}

#[derive(serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

fn invalid(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Weights {
        path: path.to_path_buf(),
        source: candle_core::Error::Msg(reason.into()),
    }
}

fn dtype(path: &Path, name: &str, s: &str) -> Result<DType, EmbedError> {
    Ok(match s {
        "F32" => DType::F32,
        "F16" => DType::F16,
        "BF16" => DType::BF16,
        "F64" => DType::F64,
        other => {
            return Err(invalid(
                path,
                format!("tensor {name} has unsupported dtype {other}"),
            ));
        }
    })
}

/// Reads every tensor of a safetensors file onto the CPU, feeding `hasher` the file's
/// length and then its bytes in order (the framing of the local revision id).
pub(crate) fn load(path: &Path, mut hasher: blake3::Hasher) -> Result<StreamedWeights, EmbedError> {
    let io = |source: std::io::Error| match source.kind() {
        // A short file is a damaged model, not an I/O problem.
        std::io::ErrorKind::UnexpectedEof => invalid(
            path,
            "not a complete safetensors file: it ends before the data it declares",
        ),
        _ => EmbedError::Io {
            path: path.to_path_buf(),
            source,
        },
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    hasher.update(&file_len.to_le_bytes());
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);

    let mut len_bytes = [0u8; 8];
    reader.read_exact(&mut len_bytes).map_err(io)?;
    hasher.update(&len_bytes);
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > file_len.saturating_sub(8) || header_len > 100 << 20 {
        return Err(invalid(
            path,
            "the safetensors header is larger than the file",
        ));
    }
    let mut header = vec![0u8; header_len as usize];
    reader.read_exact(&mut header).map_err(io)?;
    hasher.update(&header);
    let raw: HashMap<String, serde_json::Value> = serde_json::from_slice(&header).map_err(|e| {
        invalid(
            path,
            format!("the safetensors header is not valid JSON: {e}"),
        )
    })?;
    let mut entries: Vec<(String, Entry)> = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        if name == "__metadata__" {
            continue;
        }
        let entry: Entry = serde_json::from_value(value)
            .map_err(|e| invalid(path, format!("tensor {name}: {e}")))?;
        entries.push((name, entry));
    }
    entries.sort_by_key(|(_, e)| e.data_offsets.0);

    let data_start = 8 + header_len;
    let mut pos = 0u64; // relative to the data section
    let mut tensors = HashMap::with_capacity(entries.len());
    let mut skip = Vec::new();
    for (name, entry) in entries {
        let (start, end) = entry.data_offsets;
        // Checked: offsets come from the file and may be anything.
        let past_file = data_start.checked_add(end).is_none_or(|e| e > file_len);
        if start < pos || end < start || past_file {
            return Err(invalid(
                path,
                format!("tensor {name} has invalid data offsets"),
            ));
        }
        if start > pos {
            // A gap (not written by common exporters): hash it to keep the id exact.
            skip.resize((start - pos) as usize, 0);
            reader.read_exact(&mut skip).map_err(io)?;
            hasher.update(&skip);
        }
        let dtype = dtype(path, &name, &entry.dtype)?;
        let expected = entry
            .shape
            .iter()
            .try_fold(dtype.size_in_bytes(), |acc, d| acc.checked_mul(*d));
        let Some(expected) = expected.filter(|n| *n as u64 == end - start) else {
            return Err(invalid(
                path,
                format!("tensor {name}: shape and byte size disagree"),
            ));
        };
        let mut bytes = vec![0u8; expected];
        reader.read_exact(&mut bytes).map_err(io)?;
        hasher.update(&bytes);
        let tensor = Tensor::from_raw_buffer(&bytes, dtype, &entry.shape, &Device::Cpu).map_err(
            |source| EmbedError::Weights {
                path: path.to_path_buf(),
                source,
            },
        )?;
        tensors.insert(name, tensor);
        pos = end;
    }
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).map_err(io)?;
    hasher.update(&rest);
    Ok(StreamedWeights { tensors, hasher })
}
