//! Text -> token ids with the model's own `tokenizer.json`.
//!
//! Ids are `[start] + bpe + [end]`. CLIP's `tokenizer.json` adds the two special tokens in
//! its post-processor; for files without one they are added here (never twice). Any
//! padding or truncation configured in the file is switched off: texts longer than the
//! model's positions keep their first `max - 1` ids and end with the end token, as the
//! reference does, and batches are padded by the model code.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::config::TextConfig;
use crate::error::EmbedError;

/// CLIP's special tokens as written in `tokenizer.json`.
const START_TOKEN: &str = "<|startoftext|>";
const END_TOKEN: &str = "<|endoftext|>";
/// The placeholder end id old Hugging Face exports carry in `config.json`.
const LEGACY_EOS_ID: u32 = 2;

/// The model's tokenizer plus the rules above.
#[derive(Debug, Clone)]
pub(crate) struct ClipTokenizer {
    inner: Tokenizer,
    start_id: u32,
    end_id: u32,
    max_ids: usize,
    vocab_size: usize,
}

impl ClipTokenizer {
    /// `bytes` is the content of `tokenizer.json` at `path` (read by the caller, which also
    /// hashes it).
    pub(crate) fn from_bytes(
        path: &Path,
        bytes: &[u8],
        text: &TextConfig,
    ) -> Result<Self, EmbedError> {
        let mut inner = Tokenizer::from_bytes(bytes).map_err(|source| EmbedError::Tokenizer {
            path: path.to_path_buf(),
            source,
        })?;
        inner
            .with_truncation(None)
            .map_err(|source| EmbedError::Tokenizer {
                path: path.to_path_buf(),
                source,
            })?;
        inner.with_padding(None);
        // Old configs say bos 0 / eos 2 (Hugging Face then pools at argmax(ids), which is
        // the end token because it has the largest id): ask the vocabulary instead.
        let legacy = text.eos_token_id == LEGACY_EOS_ID;
        let lookup = |token: &str, configured: u32| -> Result<u32, EmbedError> {
            match (inner.token_to_id(token), legacy) {
                (Some(id), true) => Ok(id),
                (_, false) => Ok(configured),
                (None, true) => Err(EmbedError::Config {
                    path: PathBuf::from(path),
                    reason: format!(
                        "the config's legacy eos_token_id 2 needs {token} in the vocabulary"
                    ),
                }),
            }
        };
        let start_id = lookup(START_TOKEN, text.bos_token_id)?;
        let end_id = lookup(END_TOKEN, text.eos_token_id)?;
        let vocab_size = inner.get_vocab_size(true);
        if vocab_size > text.vocab_size {
            return Err(EmbedError::Config {
                path: path.to_path_buf(),
                reason: format!(
                    "the tokenizer has {vocab_size} tokens but the model only {}",
                    text.vocab_size
                ),
            });
        }
        Ok(Self {
            inner,
            start_id,
            end_id,
            max_ids: text.max_position_embeddings,
            vocab_size: text.vocab_size,
        })
    }

    /// The id the text model pools at and pads with.
    pub(crate) fn end_id(&self) -> u32 {
        self.end_id
    }

    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self
            .inner
            .encode(text, true)
            .map_err(|source| EmbedError::Tokenize {
                text: text.chars().take(80).collect(),
                source,
            })?;
        let mut ids = encoding.get_ids().to_vec();
        if ids.first() != Some(&self.start_id) {
            ids.insert(0, self.start_id);
        }
        if ids.last() != Some(&self.end_id) {
            ids.push(self.end_id);
        }
        if ids.len() > self.max_ids {
            ids.truncate(self.max_ids - 1);
            ids.push(self.end_id);
        }
        debug_assert!(ids.iter().all(|&id| (id as usize) < self.vocab_size));
        Ok(ids)
    }
}
