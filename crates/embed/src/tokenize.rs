//! Text -> token ids with the model's own `tokenizer.json`.
//!
//! CLIP ([`ClipTokenizer`]): ids are `[start] + bpe + [end]`. CLIP's `tokenizer.json` adds
//! the two special tokens in its post-processor; for files without one they are added here
//! (never twice). Any padding or truncation configured in the file is switched off: texts
//! longer than the model's positions keep their first `max - 1` ids and end with the end
//! token, as the reference does, and batches are padded by the model code.
//!
//! SigLIP ([`SiglipTokenizer`]): the text is lowercased here (Gemma's tokenizer does not,
//! and SigLIP was trained on lowercased text), encoded without special tokens, cut to
//! `max - 1` ids, ended with `<eos>` and right-padded with `<pad>` to exactly `max` (64)
//! ids: what transformers' processor gives with `padding="max_length", max_length=64,
//! truncation=True`, which the model card prescribes.

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

/// Gemma's special tokens as SigLIP 2's `tokenizer.json` names them.
const SIGLIP_EOS: &str = "<eos>";
const SIGLIP_PAD: &str = "<pad>";

/// A SigLIP model's tokenizer plus the rules in the module docs.
#[derive(Debug, Clone)]
pub(crate) struct SiglipTokenizer {
    inner: Tokenizer,
    eos_id: u32,
    pad_id: u32,
    max_ids: usize,
}

impl SiglipTokenizer {
    /// `bytes` is the content of `tokenizer.json` at `path` (read by the caller, which also
    /// hashes it). `<eos>` and `<pad>` come from its vocabulary, never from `config.json`:
    /// `SiglipTextConfig`'s `pad_token_id` defaults to 1, which is Gemma's `<eos>`.
    pub(crate) fn from_bytes(
        path: &Path,
        bytes: &[u8],
        text: &TextConfig,
    ) -> Result<Self, EmbedError> {
        let tokenizer_error = |source| EmbedError::Tokenizer {
            path: path.to_path_buf(),
            source,
        };
        let mut inner = Tokenizer::from_bytes(bytes).map_err(tokenizer_error)?;
        inner.with_truncation(None).map_err(tokenizer_error)?;
        inner.with_padding(None);
        let id = |token: &str| {
            inner.token_to_id(token).ok_or_else(|| EmbedError::Config {
                path: path.to_path_buf(),
                reason: format!(
                    "the tokenizer has no {token} token, which SigLIP's text input needs"
                ),
            })
        };
        let (eos_id, pad_id) = (id(SIGLIP_EOS)?, id(SIGLIP_PAD)?);
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
            eos_id,
            pad_id,
            max_ids: text.max_position_embeddings,
        })
    }

    /// Exactly `max_position_embeddings` ids: the lowercased text's ids (at most `max - 1`),
    /// `<eos>`, then `<pad>`s.
    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        // Rust's full Unicode lowercasing is Python's `str.lower()`, final sigma included.
        let lower = text.to_lowercase();
        let encoding =
            self.inner
                .encode(lower.as_str(), false)
                .map_err(|source| EmbedError::Tokenize {
                    text: text.chars().take(80).collect(),
                    source,
                })?;
        let mut ids = encoding.get_ids().to_vec();
        ids.truncate(self.max_ids - 1);
        ids.push(self.eos_id);
        ids.resize(self.max_ids, self.pad_id);
        Ok(ids)
    }
}
