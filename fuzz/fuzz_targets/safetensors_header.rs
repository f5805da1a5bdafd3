//! The structural check of `model.safetensors` (`source::weights::check`, crate-private),
//! reached through its public caller `ModelFiles::from_dir` on a scratch model folder whose
//! `config.json` and `tokenizer.json` exist (`from_dir` only checks they are files).
//!
//! The first input byte picks how the rest becomes the weights file:
//! - even: the rest, byte for byte;
//! - odd: `[split: u16 LE][rest]`, where `rest[..split]` is the JSON header and the
//!   remainder the tensor data, and the 8-byte length prefix is written to match, so the
//!   fuzzer spends its time inside the JSON and offset checks rather than on the prefix.
#![no_main]

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use glimpse_embed::{ModelFiles, SourceError};
use libfuzzer_sys::fuzz_target;

fn model_dir() -> &'static Path {
    static DIR: OnceLock<&'static Path> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = glimpse_fuzz::scratch_dir("safetensors");
        for file in ["config.json", "tokenizer.json"] {
            fs::write(dir.join(file), b"{}").expect("scratch folder is writable");
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    glimpse_fuzz::init();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let weights = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        if rest.len() < 2 {
            return;
        }
        let split = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let body = &rest[2..];
        let (header, tensors) = body.split_at(split.min(body.len()));
        let mut file = Vec::with_capacity(8 + body.len());
        file.extend_from_slice(&(header.len() as u64).to_le_bytes());
        file.extend_from_slice(header);
        file.extend_from_slice(tensors);
        file
    };
    let dir = model_dir();
    let path = dir.join("model.safetensors");
    fs::write(&path, &weights).expect("scratch folder is writable");
    match ModelFiles::from_dir(dir) {
        Ok(files) => assert_eq!(files.weights, [path], "from_dir names the weights it checked"),
        Err(SourceError::InvalidWeights { .. } | SourceError::TruncatedWeights { .. }) => {}
        Err(other) => panic!("unexpected error kind for a bad weights file: {other}"),
    }
});
