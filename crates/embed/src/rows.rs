//! Rows of a weight tensor read from the weights file when needed, instead of held in memory.
//!
//! SigLIP 2's token embedding is 256,000 × 768 (786 MB as f32, half of B/16; 1.2 GB for
//! so400m), of which a query reads 64 rows. Kept in memory as f16 it would still
//! take 393 MB and move text vectors off the reference (the parity tests' probabilities by
//! up to 3e-4). Read from the file, it costs no memory of its own (the rows a query needs
//! come from the page cache) and stays exact.
//!
//! The file is the one opened while loading, whose bytes went into the model's id: the open
//! handle keeps reading the same file even if it is renamed, replaced or (on Unix)
//! deleted. A file changed in place (its length or modification time differ from what
//! loading saw) is refused, rather than mixing two models' weights.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use candle_core::DType;

use crate::error::EmbedError;

/// An open weights file and what it looked like when the model was loaded.
#[derive(Debug)]
pub(crate) struct OpenFile {
    pub(crate) path: PathBuf,
    file: Mutex<File>,
    len: u64,
    modified: Option<SystemTime>,
}

impl OpenFile {
    /// `file` is at `path`, with the length and modification time loading saw.
    pub(crate) fn new(path: PathBuf, file: File, len: u64, modified: Option<SystemTime>) -> Self {
        Self {
            path,
            file: Mutex::new(file),
            len,
            modified,
        }
    }
}

/// A 2-D tensor (rows × cols) stored at `offset` in an open weights file.
#[derive(Debug, Clone)]
pub(crate) struct DiskRows {
    file: Arc<OpenFile>,
    /// Absolute offset of row 0.
    offset: u64,
    dtype: DType,
    rows: usize,
    cols: usize,
}

impl DiskRows {
    pub(crate) fn new(
        file: Arc<OpenFile>,
        offset: u64,
        dtype: DType,
        rows: usize,
        cols: usize,
    ) -> Self {
        Self {
            file,
            offset,
            dtype,
            rows,
            cols,
        }
    }

    /// (rows, cols).
    pub(crate) fn dims(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn error(&self, reason: String) -> EmbedError {
        EmbedError::Weights {
            path: self.file.path.clone(),
            source: candle_core::Error::Msg(reason),
        }
    }

    /// Checks that this is the (vocabulary, hidden) token embedding a text config names;
    /// `name` is its tensor's.
    pub(crate) fn check_token_embedding(
        &self,
        name: &str,
        vocab: usize,
        hidden: usize,
    ) -> candle_core::Result<()> {
        if self.dims() != (vocab, hidden) {
            candle_core::bail!(
                "{name} is {:?}, the config says ({vocab}, {hidden})",
                self.dims()
            );
        }
        Ok(())
    }

    /// The token embeddings of `batch` texts of equal length, `ids` one after the other:
    /// (batch, tokens, cols) f32 on `device`.
    pub(crate) fn embed(
        &self,
        ids: &[u32],
        batch: usize,
        device: &candle_core::Device,
    ) -> Result<candle_core::Tensor, EmbedError> {
        let n = ids.len() / batch.max(1);
        let rows = self.gather(ids)?;
        candle_core::Tensor::from_vec(rows, (batch, n, self.cols), device)
            .map_err(EmbedError::Inference)
    }

    /// The rows `ids` as f32, one after the other (`ids.len() * cols` values). Each
    /// distinct row is read once.
    pub(crate) fn gather(&self, ids: &[u32]) -> Result<Vec<f32>, EmbedError> {
        let row_bytes = self.cols * self.dtype.size_in_bytes();
        let mut distinct: Vec<u32> = ids.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if let Some(&bad) = distinct.iter().find(|&&id| id as usize >= self.rows) {
            return Err(self.error(format!(
                "token id {bad} is outside the embedding's {} rows",
                self.rows
            )));
        }
        let mut rows: Vec<Vec<f32>> = Vec::with_capacity(distinct.len());
        {
            // A poisoned lock only means another reader panicked; the file is still fine.
            let mut file = self
                .file
                .file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let io = |source| EmbedError::Io {
                path: self.file.path.clone(),
                source,
            };
            let meta = file.metadata().map_err(io)?;
            if meta.len() != self.file.len || meta.modified().ok() != self.file.modified {
                return Err(self.error(
                    "the file changed after the model was loaded; load the model again".to_owned(),
                ));
            }
            let mut bytes = vec![0u8; row_bytes];
            for &id in &distinct {
                let at = self.offset + id as u64 * row_bytes as u64;
                file.seek(SeekFrom::Start(at)).map_err(io)?;
                file.read_exact(&mut bytes).map_err(io)?;
                rows.push(to_f32(&bytes, self.dtype));
            }
        }
        let mut out = Vec::with_capacity(ids.len() * self.cols);
        for id in ids {
            let i = distinct.binary_search(id).unwrap_or_default();
            out.extend_from_slice(&rows[i]);
        }
        Ok(out)
    }
}

/// Little-endian values of `dtype` (one of the weight dtypes the loader accepts) as f32.
fn to_f32(bytes: &[u8], dtype: DType) -> Vec<f32> {
    match dtype {
        DType::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        DType::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        DType::F64 => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()) as f32)
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    }
}
