//! The index file: USearch's own serialisation, followed by our key list and a footer.
//!
//! ```text
//! [USearch bytes: usearch_len] [keys: key_count × u64 LE] [footer: FOOTER_LEN bytes]
//! footer = format u32 | quantization u32 | dim u64 | connectivity u64
//!          | usearch_len u64 | key_count u64 | blake3 [32] | MAGIC [8]      (little-endian)
//! ```
//!
//! Why a footer: USearch's loader trusts the sizes it reads, so a damaged file can make it
//! allocate wildly or read garbage graph links. The checksum (over everything before it)
//! is verified before USearch sees a byte. The key list gives [`crate::VectorIndex::keys`]
//! without USearch key iteration (its Rust API has none). Putting it all *after* the
//! USearch bytes keeps the file loadable by stock USearch tools for debugging (they stop
//! reading where USearch's data ends).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{IndexSettings, Quantization, VectorError};

const MAGIC: [u8; 8] = *b"GLIMPSEV";
const FORMAT_VERSION: u32 = 1;
const HASH_LEN: usize = 32;
const FOOTER_LEN: usize = 4 + 4 + 8 + 8 + 8 + 8 + HASH_LEN + MAGIC.len();

/// What a verified file holds; `bytes` is the whole file (in memory, or mapped).
pub(crate) struct Contents<B: AsRef<[u8]> = Vec<u8>> {
    pub(crate) bytes: B,
    pub(crate) usearch_len: usize,
    pub(crate) keys: Vec<u64>,
    pub(crate) connectivity: usize,
}

impl<B: AsRef<[u8]>> Contents<B> {
    pub(crate) fn usearch_bytes(&self) -> &[u8] {
        &self.bytes.as_ref()[..self.usearch_len]
    }
}

/// Appends the key list and footer to USearch's bytes.
pub(crate) fn encode(
    mut usearch_bytes: Vec<u8>,
    keys: &[u64],
    settings: &IndexSettings,
) -> Vec<u8> {
    let usearch_len = usearch_bytes.len() as u64;
    usearch_bytes.reserve(keys.len() * 8 + FOOTER_LEN);
    for key in keys {
        usearch_bytes.extend_from_slice(&key.to_le_bytes());
    }
    let mut out = usearch_bytes;
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&settings.quantization.code().to_le_bytes());
    out.extend_from_slice(&(settings.dim as u64).to_le_bytes());
    out.extend_from_slice(&(settings.connectivity as u64).to_le_bytes());
    out.extend_from_slice(&usearch_len.to_le_bytes());
    out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
    let hash = blake3::hash(&out);
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(&MAGIC);
    out
}

/// Verifies a file's bytes (read or mapped by the caller): the footer, the checksum, and
/// dimensions and quantization against `settings`.
pub(crate) fn verify<B: AsRef<[u8]>>(
    path: &Path,
    file_bytes: B,
    settings: &IndexSettings,
) -> Result<Contents<B>, VectorError> {
    let bytes = file_bytes.as_ref();
    let corrupt = |message: String| VectorError::Corrupt {
        path: path.to_owned(),
        message,
    };
    if bytes.len() < FOOTER_LEN {
        return Err(corrupt(format!(
            "{} bytes is too short to be an index file (truncated?)",
            bytes.len()
        )));
    }
    let footer_start = bytes.len() - FOOTER_LEN;
    let mut reader = FieldReader(&bytes[footer_start..]);
    let version = reader.u32();
    let quantization_code = reader.u32();
    let dim = reader.u64();
    let connectivity = reader.u64();
    let usearch_len = reader.u64();
    let key_count = reader.u64();
    let hash = reader.take(HASH_LEN);
    let magic = reader.take(MAGIC.len());

    if magic != MAGIC {
        return Err(corrupt(
            "no Glimpse index footer at the end (truncated, or not an index file)".into(),
        ));
    }
    if version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "file format {version} is not the supported {FORMAT_VERSION}"
        )));
    }
    let hashed_len = bytes.len() - HASH_LEN - MAGIC.len();
    if blake3::hash(&bytes[..hashed_len]).as_bytes() != hash {
        return Err(corrupt("checksum mismatch (the file was damaged)".into()));
    }
    // Sizes are covered by the checksum, but check the arithmetic anyway: never slice on
    // an unchecked length.
    let expected_len = key_count
        .checked_mul(8)
        .and_then(|keys_len| keys_len.checked_add(usearch_len))
        .and_then(|n| n.checked_add(FOOTER_LEN as u64));
    if expected_len != Some(bytes.len() as u64) {
        return Err(corrupt(format!(
            "sections ({usearch_len} USearch bytes, {key_count} keys) do not add up to the \
             file size {}",
            bytes.len()
        )));
    }
    let quantization = Quantization::from_code(quantization_code)
        .ok_or_else(|| corrupt(format!("unknown quantization code {quantization_code}")))?;
    let mismatch = |setting, in_file: String, requested: String| VectorError::SettingsMismatch {
        path: path.to_owned(),
        setting,
        in_file,
        requested,
    };
    if dim != settings.dim as u64 {
        return Err(mismatch(
            "dimensions",
            dim.to_string(),
            settings.dim.to_string(),
        ));
    }
    if quantization != settings.quantization {
        return Err(mismatch(
            "quantization",
            quantization.to_string(),
            settings.quantization.to_string(),
        ));
    }
    // Both fit in usize: their sum is the length of a slice we hold.
    let usearch_len = usearch_len as usize;
    let keys = bytes[usearch_len..footer_start]
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .collect();
    Ok(Contents {
        usearch_len,
        keys,
        connectivity: usize::try_from(connectivity)
            .map_err(|_| corrupt(format!("connectivity {connectivity} is out of range")))?,
        bytes: file_bytes,
    })
}

/// Sequential little-endian reads from a slice whose length the caller has checked.
struct FieldReader<'a>(&'a [u8]);

impl<'a> FieldReader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u32(&mut self) -> u32 {
        let mut word = [0u8; 4];
        word.copy_from_slice(self.take(4));
        u32::from_le_bytes(word)
    }
    fn u64(&mut self) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8));
        u64::from_le_bytes(word)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync,
/// rename over `path`, then fsync of the directory so the rename itself is durable. A
/// crash at any point leaves either the old file or the new one, never a mix.
/// `before_replace` runs between the temp file's fsync and the rename (a test hook).
pub(crate) fn write_atomically(
    path: &Path,
    bytes: &[u8],
    before_replace: impl FnOnce(&Path),
) -> Result<(), VectorError> {
    let io = |path: &Path, action, source| VectorError::Io {
        path: path.to_owned(),
        action,
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let temp = temp_path(path);
    let result = (|| {
        let mut file = File::create_new(&temp).map_err(|e| io(&temp, "cannot create", e))?;
        file.write_all(bytes)
            .map_err(|e| io(&temp, "cannot write", e))?;
        file.sync_all().map_err(|e| io(&temp, "cannot sync", e))?;
        drop(file);
        before_replace(&temp);
        fs::rename(&temp, path).map_err(|e| io(path, "cannot replace", e))
    })();
    if result.is_err() {
        // Best effort: the write already failed; a leftover temp file is only clutter.
        let _ = fs::remove_file(&temp);
        return result;
    }
    sync_dir(&dir).map_err(|e| io(&dir, "cannot sync directory", e))
}

fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{unique}.tmp", std::process::id()))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows cannot open a directory as a file; its rename is durable once it returns
    // for our purposes (NTFS journals metadata).
    Ok(())
}
