//! Loading safetensors weights one tensor at a time.
//!
//! Reading the whole file and then building tensors from it holds the model twice in
//! memory (1.2 GB for ViT-B/32). Streaming the file in offset order keeps at most one
//! tensor's bytes beside the finished tensors, and hashes the file on the way for the
//! local revision id.
//!
//! Real checkpoints hold more than the model reads: the hub's `openai/clip-vit-base-patch32`
//! carries two int64 `position_ids` buffers and a `logit_scale`, and other exports add
//! whatever their framework kept. Like transformers, which ignores unexpected keys on load,
//! only the tensors the model asks for are built; every other byte is read into the hash
//! and dropped, whatever its dtype. Weights stored as F16, BF16 or F64 are widened to f32
//! as they are read, so a half-precision checkpoint never sits in memory twice.
//!
//! A tensor the model asks to keep on disk (SigLIP's 256k-row token embedding, see
//! `rows.rs`) is hashed like the others but not built: the loader hands back where it is in
//! the file, and the open file itself.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};

use crate::error::EmbedError;
use crate::rows::{DiskRows, OpenFile};

/// How the model wants a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Built in memory as the `dtype` given to [`load`].
    Load,
    /// Left in the file (a 2-D tensor whose rows are read when needed).
    OnDisk,
}

/// A `VarBuilder` over loaded tensors that hands each one out once and forgets it. A layer
/// that keeps its weights in another form (f16 words, panels) then frees each original as
/// soon as it is converted, instead of all of them after the whole model is built: with
/// candle's map they all stayed until then, beside their copies (SigLIP 2 B/16's text
/// tower in panels: +335 MB at the peak of a load).
pub(crate) fn taking_var_builder(
    tensors: HashMap<String, Tensor>,
    dtype: DType,
    device: &Device,
) -> candle_nn::VarBuilder<'static> {
    candle_nn::VarBuilder::from_backend(
        Box::new(Taking(std::sync::Mutex::new(tensors))),
        dtype,
        device.clone(),
    )
}

struct Taking(std::sync::Mutex<HashMap<String, Tensor>>);

impl Taking {
    fn take(&self, name: &str) -> candle_core::Result<Tensor> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name)
            .ok_or_else(|| candle_core::Error::CannotFindTensor {
                path: name.to_owned(),
            })
    }
}

impl candle_nn::var_builder::SimpleBackend for Taking {
    fn get(
        &self,
        s: candle_core::Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.take(name)?;
        if tensor.shape() != &s {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: s,
                got: tensor.shape().clone(),
            });
        }
        tensor.to_device(dev)?.to_dtype(dtype)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        self.take(name)?.to_device(dev)?.to_dtype(dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(name)
    }
}

/// Tensors by name, those left on disk, and the BLAKE3 hasher fed with every file in order.
pub(crate) struct StreamedWeights {
    pub(crate) tensors: HashMap<String, Tensor>,
    pub(crate) on_disk: HashMap<String, DiskRows>,
    pub(crate) hasher: blake3::Hasher,
}

impl StreamedWeights {
    /// Whether `name` was found, in memory or on disk.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name) || self.on_disk.contains_key(name)
    }
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

/// The dtype a weight the model needs may be stored in.
fn weight_dtype(path: &Path, name: &str, s: &str) -> Result<DType, EmbedError> {
    Ok(match s {
        "F32" => DType::F32,
        "F16" => DType::F16,
        "BF16" => DType::BF16,
        "F64" => DType::F64,
        other => {
            return Err(invalid(
                path,
                format!(
                    "tensor {name} is stored as {other}, which cannot be a model weight \
                     (expected F32, F16, BF16 or F64)"
                ),
            ));
        }
    })
}

/// Reads the tensors named in `needed` from the safetensors files `paths` (one file, or the
/// shards of a sharded checkpoint in a fixed order) onto the CPU as `dtype`.
///
/// `hasher` is fed each file's length and then its bytes in order (the framing of the
/// local revision id), including the tensors that are skipped. A needed tensor found in two
/// files, or stored in a dtype that cannot be a weight, is an error naming it; a needed
/// tensor found nowhere is left for the caller to report (it knows the model's words).
pub(crate) fn load(
    paths: &[&Path],
    mut hasher: blake3::Hasher,
    needed: &HashMap<String, Want>,
    dtype: DType,
) -> Result<StreamedWeights, EmbedError> {
    let mut out = load_files(paths, Some(&mut hasher), needed, dtype)?;
    out.hasher = hasher;
    Ok(out)
}

/// [`load`] without the hash: the tensors it skips are seeked over, not read (a tower built
/// again from files already identified reads only its own tensors: B/32's text tower is
/// 151 MB of a 605 MB file).
pub(crate) fn load_unhashed(
    paths: &[&Path],
    needed: &HashMap<String, Want>,
    dtype: DType,
) -> Result<StreamedWeights, EmbedError> {
    load_files(paths, None, needed, dtype)
}

fn load_files(
    paths: &[&Path],
    mut hasher: Option<&mut blake3::Hasher>,
    needed: &HashMap<String, Want>,
    dtype: DType,
) -> Result<StreamedWeights, EmbedError> {
    let mut out = StreamedWeights {
        tensors: HashMap::with_capacity(needed.len()),
        on_disk: HashMap::new(),
        hasher: blake3::Hasher::new(),
    };
    for path in paths {
        load_file(path, hasher.as_deref_mut(), needed, dtype, &mut out)?;
    }
    Ok(out)
}

fn load_file(
    path: &Path,
    mut hasher: Option<&mut blake3::Hasher>,
    needed: &HashMap<String, Want>,
    dtype: DType,
    out: &mut StreamedWeights,
) -> Result<(), EmbedError> {
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
    let meta = file.metadata().map_err(io)?;
    let file_len = meta.len();
    if let Some(h) = hasher.as_deref_mut() {
        h.update(&file_len.to_le_bytes());
    }
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);

    let mut len_bytes = [0u8; 8];
    reader.read_exact(&mut len_bytes).map_err(io)?;
    if let Some(h) = hasher.as_deref_mut() {
        h.update(&len_bytes);
    }
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > file_len.saturating_sub(8) || header_len > 100 << 20 {
        return Err(invalid(
            path,
            "the safetensors header is larger than the file",
        ));
    }
    let mut header = vec![0u8; header_len as usize];
    reader.read_exact(&mut header).map_err(io)?;
    if let Some(h) = hasher.as_deref_mut() {
        h.update(&header);
    }
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
    // (name, absolute offset, stored dtype, rows, cols) of the tensors left on disk.
    let mut left_on_disk = Vec::new();
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
        // A gap (not written by common exporters) is hashed to keep the id exact.
        skip(&mut reader, hasher.as_deref_mut(), start - pos).map_err(io)?;
        let Some(&want) = needed.get(&name) else {
            skip(&mut reader, hasher.as_deref_mut(), end - start).map_err(io)?;
            pos = end;
            continue;
        };
        if out.contains(&name) {
            return Err(invalid(
                path,
                format!("tensor {name} is stored in more than one weights file"),
            ));
        }
        let stored = weight_dtype(path, &name, &entry.dtype)?;
        let expected = entry
            .shape
            .iter()
            .try_fold(stored.size_in_bytes(), |acc, d| acc.checked_mul(*d));
        let Some(expected) = expected.filter(|n| *n as u64 == end - start) else {
            return Err(invalid(
                path,
                format!("tensor {name}: shape and byte size disagree"),
            ));
        };
        if want == Want::OnDisk {
            let [rows, cols] = entry.shape[..] else {
                return Err(invalid(
                    path,
                    format!("tensor {name} has shape {:?}, not 2-D", entry.shape),
                ));
            };
            skip(&mut reader, hasher.as_deref_mut(), end - start).map_err(io)?;
            left_on_disk.push((name, data_start + start, stored, rows, cols));
            pos = end;
            continue;
        }
        let mut bytes = vec![0u8; expected];
        reader.read_exact(&mut bytes).map_err(io)?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&bytes);
        }
        let weights_error = |source| EmbedError::Weights {
            path: path.to_path_buf(),
            source,
        };
        let tensor = Tensor::from_raw_buffer(&bytes, stored, &entry.shape, &Device::Cpu)
            .map_err(weights_error)?;
        drop(bytes);
        let tensor = if stored == dtype {
            tensor
        } else {
            tensor.to_dtype(dtype).map_err(weights_error)?
        };
        out.tensors.insert(name, tensor);
        pos = end;
    }
    if let Some(h) = hasher {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).map_err(io)?;
        h.update(&rest);
    }
    if !left_on_disk.is_empty() {
        // The very file whose bytes were hashed, so later reads see what the id names.
        let file = Arc::new(OpenFile::new(
            path.to_path_buf(),
            reader.into_inner(),
            file_len,
            meta.modified().ok(),
        ));
        for (name, offset, stored, rows, cols) in left_on_disk {
            let rows = DiskRows::new(Arc::clone(&file), offset, stored, rows, cols);
            out.on_disk.insert(name, rows);
        }
    }
    Ok(())
}

/// Passes over the next `n` bytes: fed to `hasher` when there is one, else seeked over
/// (the offsets were checked against the file's length).
fn skip(
    reader: &mut std::io::BufReader<std::fs::File>,
    hasher: Option<&mut blake3::Hasher>,
    n: u64,
) -> std::io::Result<()> {
    match hasher {
        Some(h) => hash_through(reader, h, n),
        None => reader.seek_relative(
            i64::try_from(n).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?,
        ),
    }
}

/// Feeds the next `n` bytes of `reader` to `hasher` without keeping them.
fn hash_through(
    reader: &mut impl Read,
    hasher: &mut blake3::Hasher,
    n: u64,
) -> std::io::Result<()> {
    let copied = std::io::copy(&mut reader.take(n), hasher)?;
    if copied < n {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file of `(name, dtype, shape, bytes)` tensors, in order.
    fn write(dir: &Path, file: &str, tensors: &[(&str, &str, &[usize], Vec<u8>)]) -> PathBuf {
        let mut header = serde_json::Map::new();
        header.insert("__metadata__".into(), serde_json::json!({ "format": "pt" }));
        let mut offset = 0usize;
        let mut data = Vec::new();
        for (name, dtype, shape, bytes) in tensors {
            header.insert(
                (*name).into(),
                serde_json::json!({
                    "dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes.len()]
                }),
            );
            offset += bytes.len();
            data.extend_from_slice(bytes);
        }
        let header = serde_json::to_vec(&header).expect("json");
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&header);
        out.extend_from_slice(&data);
        let path = dir.join(file);
        std::fs::write(&path, out).expect("write");
        path
    }

    use std::path::PathBuf;

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn needed(names: &[&str]) -> HashMap<String, Want> {
        names
            .iter()
            .map(|s| ((*s).to_owned(), Want::Load))
            .collect()
    }

    /// Without the hash, the tensors between and after the needed ones are seeked over and
    /// the needed ones come out the same.
    #[test]
    fn unhashed_loads_read_only_the_needed_tensors_and_give_the_same_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "a.safetensors",
            &[
                ("skip1", "F32", &[3], f32s(&[9.0, 9.0, 9.0])),
                ("w", "F32", &[2], f32s(&[1.0, 2.0])),
                ("skip2", "I64", &[1], 5i64.to_le_bytes().to_vec()),
                ("v", "F16", &[2], vec![0, 60, 0, 64]), // 1.0, 2.0
                ("skip3", "F32", &[1], f32s(&[7.0])),
            ],
        );
        let wanted = needed(&["w", "v"]);
        let hashed = load(&[&path], blake3::Hasher::new(), &wanted, DType::F32).expect("load");
        let unhashed = load_unhashed(&[&path], &wanted, DType::F32).expect("load unhashed");
        for name in ["w", "v"] {
            assert_eq!(
                unhashed.tensors[name].to_vec1::<f32>().expect("f32"),
                hashed.tensors[name].to_vec1::<f32>().expect("f32"),
                "{name}"
            );
        }
        assert_eq!(
            unhashed.tensors["v"].to_vec1::<f32>().expect("f32"),
            vec![1.0, 2.0]
        );
        assert_eq!(unhashed.tensors.len(), 2);
    }

    #[test]
    fn unneeded_tensors_of_any_dtype_are_skipped_but_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ids: Vec<u8> = (0i64..4).flat_map(|x| x.to_le_bytes()).collect();
        let path = write(
            dir.path(),
            "a.safetensors",
            &[
                ("w", "F32", &[2], f32s(&[1.0, 2.0])),
                ("position_ids", "I64", &[1, 4], ids.clone()),
                ("mask", "BOOL", &[3], vec![1, 0, 1]),
                ("odd", "F8_E4M3", &[2], vec![7, 9]),
            ],
        );
        let got = load(&[&path], blake3::Hasher::new(), &needed(&["w"]), DType::F32)
            .expect("extra buffers must not stop loading");
        assert_eq!(got.tensors.len(), 1);
        assert_eq!(
            got.tensors["w"].to_vec1::<f32>().expect("f32"),
            vec![1.0, 2.0]
        );
        // The skipped bytes still count: another value in a skipped tensor is another id.
        let other = write(
            dir.path(),
            "b.safetensors",
            &[
                ("w", "F32", &[2], f32s(&[1.0, 2.0])),
                ("position_ids", "I64", &[1, 4], {
                    let mut b = ids;
                    b[0] = 9;
                    b
                }),
                ("mask", "BOOL", &[3], vec![1, 0, 1]),
                ("odd", "F8_E4M3", &[2], vec![7, 9]),
            ],
        );
        let again = load(
            &[&other],
            blake3::Hasher::new(),
            &needed(&["w"]),
            DType::F32,
        )
        .expect("load");
        assert_ne!(got.hasher.finalize(), again.hasher.finalize());
        // And the hash covers exactly the file, as before this loader skipped anything.
        let mut whole = blake3::Hasher::new();
        let bytes = std::fs::read(&path).expect("read");
        whole.update(&(bytes.len() as u64).to_le_bytes());
        whole.update(&bytes);
        assert_eq!(got.hasher.finalize(), whole.finalize());
    }

    #[test]
    fn a_needed_tensor_with_an_unusable_dtype_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ids: Vec<u8> = (0i64..2).flat_map(|x| x.to_le_bytes()).collect();
        let path = write(dir.path(), "a.safetensors", &[("w", "I64", &[2], ids)]);
        let err = load(&[&path], blake3::Hasher::new(), &needed(&["w"]), DType::F32)
            .err()
            .expect("an int64 weight is refused");
        let message = err.to_string();
        assert!(
            message.contains("tensor w") && message.contains("I64"),
            "{message}"
        );
    }

    #[test]
    fn half_precision_weights_are_widened_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let values = [0.5f32, -1.25, 3.0e-3, 65504.0];
        let f16: Vec<u8> = values
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect();
        let bf16: Vec<u8> = values
            .iter()
            .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes())
            .collect();
        let path = write(
            dir.path(),
            "a.safetensors",
            &[("h", "F16", &[4], f16), ("b", "BF16", &[4], bf16)],
        );
        let got = load(
            &[&path],
            blake3::Hasher::new(),
            &needed(&["h", "b"]),
            DType::F32,
        )
        .expect("load");
        let h = got.tensors["h"].to_vec1::<f32>().expect("f32");
        let b = got.tensors["b"].to_vec1::<f32>().expect("f32");
        for (i, v) in values.iter().enumerate() {
            assert_eq!(h[i], half::f16::from_f32(*v).to_f32());
            assert_eq!(b[i], half::bf16::from_f32(*v).to_f32());
        }
    }

    #[test]
    fn shards_are_merged_and_a_tensor_in_two_shards_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = write(
            dir.path(),
            "1.safetensors",
            &[("a", "F32", &[1], f32s(&[1.0]))],
        );
        let two = write(
            dir.path(),
            "2.safetensors",
            &[("b", "F32", &[1], f32s(&[2.0]))],
        );
        let got = load(
            &[&one, &two],
            blake3::Hasher::new(),
            &needed(&["a", "b"]),
            DType::F32,
        )
        .expect("load");
        assert_eq!(got.tensors.len(), 2);
        let dup = write(
            dir.path(),
            "3.safetensors",
            &[("a", "F32", &[1], f32s(&[3.0]))],
        );
        let err = load(
            &[&one, &dup],
            blake3::Hasher::new(),
            &needed(&["a"]),
            DType::F32,
        )
        .err()
        .expect("duplicate");
        assert!(err.to_string().contains("more than one"), "{err}");
    }

    #[test]
    fn tensors_left_on_disk_are_hashed_and_their_rows_read_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 3 rows of 2: f32, and the same values stored as f16 and bf16.
        let values = [0.5f32, -1.25, 3.0e-3, 65504.0, 1.0, -2.0];
        let f16: Vec<u8> = values
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect();
        let bf16: Vec<u8> = values
            .iter()
            .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes())
            .collect();
        let path = write(
            dir.path(),
            "a.safetensors",
            &[
                ("w", "F32", &[2], f32s(&[7.0, 8.0])),
                ("e32", "F32", &[3, 2], f32s(&values)),
                ("e16", "F16", &[3, 2], f16),
                ("eb16", "BF16", &[3, 2], bf16),
            ],
        );
        let needed: HashMap<String, Want> = [
            ("w", Want::Load),
            ("e32", Want::OnDisk),
            ("e16", Want::OnDisk),
            ("eb16", Want::OnDisk),
        ]
        .into_iter()
        .map(|(n, w)| (n.to_owned(), w))
        .collect();
        let got = load(&[&path], blake3::Hasher::new(), &needed, DType::F32).expect("load");
        assert_eq!(got.tensors.len(), 1, "only `w` is built");
        assert!(got.contains("e32") && got.contains("w") && !got.contains("x"));
        // The id still covers every byte of the file.
        let mut whole = blake3::Hasher::new();
        let bytes = std::fs::read(&path).expect("read");
        whole.update(&(bytes.len() as u64).to_le_bytes());
        whole.update(&bytes);
        assert_eq!(got.hasher.finalize(), whole.finalize());

        let e32 = &got.on_disk["e32"];
        assert_eq!(e32.dims(), (3, 2));
        // Repeated and unordered ids, as a padded text has them.
        let rows = e32.gather(&[2, 0, 2, 2]).expect("rows");
        assert_eq!(rows, [1.0, -2.0, 0.5, -1.25, 1.0, -2.0, 1.0, -2.0]);
        let widened =
            |f: fn(f32) -> f32| -> Vec<f32> { values[2..4].iter().map(|&v| f(v)).collect() };
        assert_eq!(
            got.on_disk["e16"].gather(&[1]).expect("f16 rows"),
            widened(|v| half::f16::from_f32(v).to_f32())
        );
        assert_eq!(
            got.on_disk["eb16"].gather(&[1]).expect("bf16 rows"),
            widened(|v| half::bf16::from_f32(v).to_f32())
        );
        let err = e32.gather(&[3]).expect_err("row 3 of 3");
        assert!(err.to_string().contains("outside"), "{err}");

        // A file rewritten in place after loading is refused, not read as a mix of models.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .expect("touch");
        let err = e32.gather(&[0]).expect_err("changed file");
        assert!(
            err.to_string().contains("changed") && err.to_string().contains("a.safetensors"),
            "{err}"
        );
    }

    #[test]
    fn a_tensor_left_on_disk_must_be_a_matrix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "a.safetensors",
            &[("e", "F32", &[2], f32s(&[1.0, 2.0]))],
        );
        let needed = [("e".to_owned(), Want::OnDisk)].into_iter().collect();
        let err = load(&[&path], blake3::Hasher::new(), &needed, DType::F32)
            .err()
            .expect("1-D");
        assert!(err.to_string().contains("not 2-D"), "{err}");
    }
}
