//! The counter-based weight generator of `tests/fixtures/scripts/siglip_weightgen.py`,
//! ported bit for bit, and a writer of the real-size SigLIP 2 B/16-224 sample model
//! (`tests/fixtures/siglip-reference/siglip2-b16-224-sample.json`), whose 1.5 GB of weights
//! are stored nowhere.
//!
//! Every value is a pure function of the tensor's name and the element's index (FNV-1a of
//! the name, one SplitMix64 step per element), so the weights can be made in any order, in
//! parallel, and compared with the Python generator's check values.

// Shared by a test and an example; each uses part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One SplitMix64 step.
pub fn mix64(x: u64) -> u64 {
    let z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How one tensor is filled: `offset + a_i * s`, or the constant `offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// The rule's name as the sample JSON spells it.
    pub name: &'static str,
    /// Half-range.
    pub s: f32,
    /// Added after scaling (only when non-zero: a second f32 rounding).
    pub offset: f32,
}

const LN_WEIGHT_SUFFIXES: [&str; 5] = [
    "layer_norm1.weight",
    "layer_norm2.weight",
    "final_layer_norm.weight",
    "post_layernorm.weight",
    "head.layernorm.weight",
];
const EMBED_SUFFIXES: [&str; 3] = [
    "token_embedding.weight",
    "position_embedding.weight",
    "probe",
];

/// `siglip_weightgen.scheme` with the real-size sample's constants (no overrides).
pub fn rule(name: &str, shape: &[usize]) -> Rule {
    if name == "logit_scale" {
        // The generator's constant as written (f32(2.302585)), not ln 10: the weights must
        // be bit-exact.
        #[allow(clippy::approx_constant)]
        return Rule {
            name: "constant",
            s: 0.0,
            offset: 2.302_585,
        };
    }
    if name == "logit_bias" {
        return Rule {
            name: "constant",
            s: 0.0,
            offset: -1.0,
        };
    }
    if LN_WEIGHT_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Rule {
            name: "layernorm_weight",
            s: 0.05,
            offset: 1.0,
        };
    }
    if name.ends_with(".bias") || name.ends_with("in_proj_bias") {
        return Rule {
            name: "bias",
            s: 0.01,
            offset: 0.0,
        };
    }
    if EMBED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Rule {
            name: "embedding",
            s: 0.02,
            offset: 0.0,
        };
    }
    let fan_in: usize = if shape.len() > 1 {
        shape[1..].iter().product()
    } else {
        shape[0]
    };
    Rule {
        name: "weight",
        s: (1.0 / (fan_in as f64).sqrt()) as f32,
        offset: 0.0,
    }
}

/// Element `i` of the tensor whose name hashes to `h`.
#[inline]
pub fn value(h: u64, i: u64, rule: Rule) -> f32 {
    let k = mix64(h.wrapping_add(i)) >> 40;
    // Exact: |k - 2^23| < 2^24 fits an f32 mantissa, and the power-of-two scale is exact.
    let a = (k as i32 - 8_388_608) as f32 * f32::from_bits(0x3400_0000); // 2^-23
    let v = a * rule.s;
    if rule.offset != 0.0 {
        rule.offset + v
    } else {
        v
    }
}

/// Fills `out` with elements `first..first + out.len()` of tensor `name`.
pub fn fill(name: &str, shape: &[usize], first: u64, out: &mut [f32]) {
    let rule = rule(name, shape);
    if rule.name == "constant" {
        out.fill(rule.offset);
        return;
    }
    let h = fnv1a64(name.as_bytes());
    out.par_chunks_mut(1 << 16)
        .enumerate()
        .for_each(|(c, chunk)| {
            let start = first + (c as u64) * (1 << 16);
            for (j, v) in chunk.iter_mut().enumerate() {
                *v = value(h, start + j as u64, rule);
            }
        });
}

/// All values of tensor `name`.
pub fn tensor(name: &str, shape: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let mut out = vec![0f32; n];
    fill(name, shape, 0, &mut out);
    out
}

/// Writes `model.safetensors` with `tensors` (name, shape) in that order, all F32, as
/// `safetensors.torch.save_file(..., metadata={"format": "pt"})` lays them out.
pub fn write_safetensors(path: &Path, tensors: &[(String, Vec<usize>)]) -> std::io::Result<u64> {
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".to_owned(),
        serde_json::json!({ "format": "pt" }),
    );
    let mut offset = 0usize;
    for (name, shape) in tensors {
        let bytes = 4 * shape.iter().product::<usize>();
        header.insert(
            name.clone(),
            serde_json::json!({
                "dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]
            }),
        );
        offset += bytes;
    }
    let mut header = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    // safetensors pads the header with spaces to a multiple of 8.
    header.resize(header.len().div_ceil(8) * 8, b' ');
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(8 << 20, file);
    w.write_all(&(header.len() as u64).to_le_bytes())?;
    w.write_all(&header)?;
    const CHUNK: usize = 1 << 22;
    let mut buf = vec![0f32; CHUNK];
    let mut bytes = Vec::with_capacity(CHUNK * 4);
    for (name, shape) in tensors {
        let n: usize = shape.iter().product();
        let mut done = 0;
        while done < n {
            let len = CHUNK.min(n - done);
            fill(name, shape, done as u64, &mut buf[..len]);
            bytes.clear();
            bytes.extend(buf[..len].iter().flat_map(|v| v.to_le_bytes()));
            w.write_all(&bytes)?;
            done += len;
        }
    }
    w.flush()?;
    Ok(8 + header.len() as u64 + offset as u64)
}

/// `tests/fixtures` of the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The sample's description.
pub fn sample() -> serde_json::Value {
    let path = fixtures().join("siglip-reference/siglip2-b16-224-sample.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample's tensors in its order: (name, shape).
pub fn sample_tensors(sample: &serde_json::Value) -> Vec<(String, Vec<usize>)> {
    sample["tensors"]
        .as_array()
        .expect("tensors")
        .iter()
        .map(|t| {
            let name = t[0].as_str().expect("name").to_owned();
            let shape = t[1]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim") as usize)
                .collect();
            (name, shape)
        })
        .collect()
}

/// Writes the sample model folder into `dir`: the hub's `config.json` of
/// `google/siglip2-base-patch16-224`, the fixture's tokenizer and preprocessor files, and
/// the generated weights. Returns the size of `model.safetensors`.
pub fn write_sample_model(dir: &Path) -> std::io::Result<u64> {
    let sample = sample();
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec_pretty(&sample["hub_config_json"]).map_err(std::io::Error::other)?,
    )?;
    let tiny = fixtures().join("siglip-reference/model");
    for file in [
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "preprocessor_config.json",
    ] {
        std::fs::copy(tiny.join(file), dir.join(file))?;
    }
    write_safetensors(&dir.join("model.safetensors"), &sample_tensors(&sample))
}
