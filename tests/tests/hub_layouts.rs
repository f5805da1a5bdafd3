//! glimpse-embed on model folders laid out as real Hugging Face repos serve them
//! (`tests/fixtures/hub-layouts`, made by `fixtures/scripts/make_hub_layouts.py`): a
//! checkpoint with transformers 4.x's int64 `position_ids` buffers and legacy config files,
//! the same weights sharded, and stored as F16 and BF16; and a pickle-only repo.
//!
//! Thresholds are those of `embed_parity.rs` (fixtures/PROVENANCE.md): texts 1-cos <= 1e-5,
//! images 1-cos <= 5e-5.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, ensure};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles, Pixels, SourceError};
use glimpse_tests::{fixtures_dir, open_oriented};
use serde::Deserialize;

const TEXT_MAX_1_MINUS_COS: f32 = 1e-5;
const IMAGE_MAX_1_MINUS_COS: f32 = 5e-5;
/// Decoder-dependent images, held looser in `embed_parity.rs` for the same reason.
const DECODER_DEPENDENT: [&str; 2] = ["edge_cmyk.jpg", "edge_lossy.webp"];
const DECODER_DEPENDENT_MAX_1_MINUS_COS: f32 = 5e-3;

#[derive(Deserialize)]
struct Reference {
    images: Vec<RefImage>,
    texts: Vec<RefText>,
}

#[derive(Deserialize)]
struct RefImage {
    file: String,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct RefText {
    id: String,
    text: String,
    embedding: Vec<f32>,
}

fn layouts() -> PathBuf {
    fixtures_dir().join("hub-layouts")
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn load(folder: &str) -> Result<(ModelFiles, Embedder)> {
    let files = ModelFiles::from_dir(&layouts().join(folder))?;
    let embedder =
        Embedder::load(&files, DeviceChoice::Cpu).with_context(|| format!("{folder} must load"))?;
    Ok((files, embedder))
}

fn one_minus_cos(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "vectors of different length");
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    (1.0 - dot / (na * nb)) as f32
}

/// The reference's preprocessed tensor for `file`.
fn reference_pixels(file: &str) -> Result<Pixels> {
    let npz = candle_core::npy::NpzTensors::new(
        fixtures_dir()
            .join("clip-reference")
            .join("pixel_values.npz"),
    )?;
    let tensor = npz.get(file)?.context("listed tensor")?;
    Ok(Pixels::from_chw(
        tensor.flatten_all()?.to_vec1::<f32>()?,
        224,
        224,
    )?)
}

/// Every text and image of `reference` through `embedder`; images either decoded and
/// preprocessed by us (`from_files`) or from the reference's own pixel tensors.
fn check(embedder: &Embedder, reference: &Reference, from_files: bool, what: &str) -> Result<()> {
    let mut worst_text = 0.0f32;
    for t in &reference.texts {
        let got = embedder.embed_texts(&[&t.text])?;
        let d = one_minus_cos(&got[0], &t.embedding);
        ensure!(
            d <= TEXT_MAX_1_MINUS_COS,
            "{what}: text {}: 1-cos {d:e}",
            t.id
        );
        worst_text = worst_text.max(d);
    }
    let mut worst_image = 0.0f32;
    for r in &reference.images {
        let pixels = if from_files {
            let path = fixtures_dir().join("clip-reference/images").join(&r.file);
            embedder.preprocessor().pixels(&open_oriented(&path)?)?
        } else {
            reference_pixels(&r.file)?
        };
        let got = embedder.embed_pixels(&[pixels])?;
        let d = one_minus_cos(&got[0], &r.embedding);
        let limit = if from_files && DECODER_DEPENDENT.contains(&r.file.as_str()) {
            DECODER_DEPENDENT_MAX_1_MINUS_COS
        } else {
            IMAGE_MAX_1_MINUS_COS
        };
        ensure!(d <= limit, "{what}: image {}: 1-cos {d:e}", r.file);
        if !DECODER_DEPENDENT.contains(&r.file.as_str()) {
            worst_image = worst_image.max(d);
        }
    }
    eprintln!(
        "| {what} | {} texts, worst 1-cos {worst_text:.2e} | {} images, worst 1-cos {worst_image:.2e} |",
        reference.texts.len(),
        reference.images.len()
    );
    Ok(())
}

#[test]
fn a_checkpoint_as_the_hub_serves_it_matches_the_reference() -> Result<()> {
    let (files, embedder) = load("clip-hub")?;
    // What makes this folder the hub's: the buffers old transformers saved.
    let header = safetensors_dtypes(&files.weights[0])?;
    for buffer in [
        "text_model.embeddings.position_ids",
        "vision_model.embeddings.position_ids",
    ] {
        ensure!(
            header.iter().any(|(n, d)| n == buffer && d == "I64"),
            "the fixture carries {buffer} as I64: {header:?}"
        );
    }
    let reference: Reference = read_json(&fixtures_dir().join("clip-reference/reference.json"))?;
    // Legacy preprocessor_config.json ("size": 224, "crop_size": 224) and config.json
    // (*_config_dict) decide the pixels and the model: check from the image files.
    check(
        &embedder,
        &reference,
        true,
        "clip-hub (int64 buffers, legacy configs)",
    )
}

#[test]
fn a_sharded_checkpoint_gives_bit_identical_embeddings() -> Result<()> {
    let (_, single) = load("clip-hub")?;
    let (files, sharded) = load("clip-sharded")?;
    ensure!(
        files.weights.len() >= 2 && files.weights_index.is_some(),
        "the fixture is sharded: {:?}",
        files.weights
    );
    let reference: Reference = read_json(&fixtures_dir().join("clip-reference/reference.json"))?;
    let texts: Vec<&str> = reference.texts.iter().map(|t| t.text.as_str()).collect();
    ensure!(
        single.embed_texts(&texts)? == sharded.embed_texts(&texts)?,
        "texts differ between one file and shards"
    );
    for r in &reference.images {
        let px = reference_pixels(&r.file)?;
        ensure!(
            single.embed_pixels(std::slice::from_ref(&px))? == sharded.embed_pixels(&[px])?,
            "{}: image differs between one file and shards",
            r.file
        );
    }
    ensure!(
        single.id() != sharded.id(),
        "different files are different local revisions: {} vs {}",
        single.id(),
        sharded.id()
    );
    check(&sharded, &reference, false, "clip-sharded")
}

#[test]
fn half_precision_checkpoints_match_transformers_on_the_same_weights() -> Result<()> {
    for (folder, dtype) in [("clip-f16", "F16"), ("clip-bf16", "BF16")] {
        let (files, embedder) = load(folder)?;
        let dtypes = safetensors_dtypes(&files.weights[0])?;
        ensure!(
            dtypes
                .iter()
                .any(|(n, d)| n == "visual_projection.weight" && d == dtype),
            "{folder} stores its weights as {dtype}"
        );
        let reference: Reference = read_json(&layouts().join(format!("reference-{folder}.json")))?;
        check(&embedder, &reference, false, folder)?;
    }
    // And against the F32 checkpoint: the stored weights' precision is all that differs.
    let f32_ref: Reference = read_json(&fixtures_dir().join("clip-reference/reference.json"))?;
    let (_, f16) = load("clip-f16")?;
    let got = f16.embed_texts(&[&f32_ref.texts[0].text])?;
    let d = one_minus_cos(&got[0], &f32_ref.texts[0].embedding);
    eprintln!("| clip-f16 vs the F32 reference (first text) | 1-cos {d:.2e} |");
    ensure!(
        d < 1e-3,
        "f16 weights move a text by 1-cos {d:e}, more than their precision explains"
    );
    Ok(())
}

#[test]
fn a_pickle_only_folder_is_refused_by_name() -> Result<()> {
    let dir = layouts().join("pickle-only");
    match ModelFiles::from_dir(&dir) {
        Err(e @ SourceError::PickleOnly { .. }) => {
            let text = e.to_string();
            ensure!(
                text.contains("pytorch_model.bin") && text.contains("safetensors"),
                "{text}"
            );
            Ok(())
        }
        other => anyhow::bail!("a pickle-only folder must be refused by name: {other:?}"),
    }
}

/// `(name, dtype)` of every tensor in a safetensors header.
fn safetensors_dtypes(path: &Path) -> Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path)?;
    let len = u64::from_le_bytes(bytes[..8].try_into()?) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + len])?;
    Ok(header
        .into_iter()
        .filter(|(n, _)| n != "__metadata__")
        .map(|(n, v)| (n, v["dtype"].as_str().unwrap_or_default().to_owned()))
        .collect())
}
