//! glimpse-embed against the Hugging Face reference (`tests/fixtures/clip-reference`):
//! token ids, preprocessed pixels, embeddings, batching, and load errors.
//!
//! Thresholds come from `fixtures/PROVENANCE.md`: texts 1-cos <= 1e-5; images 1-cos <= 5e-5
//! (a 1-pixel crop shift costs ~1e-4, so it fails) with pixel mean abs diff <= 0.01; CMYK
//! JPEG and lossy WebP depend on the decoder and get 5e-3.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use glimpse_embed::{
    DeviceChoice, EmbedError, Embedder, ModelFiles, PREPROCESS_VERSION, Pixels, SourceError,
};
use glimpse_tests::{fixtures_dir, open_oriented};
use serde::Deserialize;

const TEXT_MAX_1_MINUS_COS: f32 = 1e-5;
const IMAGE_MAX_1_MINUS_COS: f32 = 5e-5;
const DECODER_DEPENDENT_MAX_1_MINUS_COS: f32 = 5e-3;
const DECODER_DEPENDENT: [&str; 2] = ["edge_cmyk.jpg", "edge_lossy.webp"];
const PIXEL_MAX_MEAN_ABS_DIFF: f32 = 0.01;
/// Same pixels, correct model: float32 noise only.
const MODEL_ONLY_MAX_1_MINUS_COS: f32 = 1e-6;
/// Batched vs one-at-a-time, per component.
const BATCH_MAX_ABS_DIFF: f32 = 1e-5;

#[derive(Deserialize)]
struct Reference {
    images: Vec<RefImage>,
    texts: Vec<RefText>,
}

#[derive(Deserialize)]
struct RefImage {
    file: String,
    decoded_size: [u32; 2],
    resized_size: [u32; 2],
    crop_box_ltrb: [i64; 4],
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct RefText {
    id: String,
    text: String,
    input_ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference_dir() -> PathBuf {
    fixtures_dir().join("clip-reference")
}

fn reference() -> Result<Reference> {
    let path = reference_dir().join("reference.json");
    let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn load_model() -> Result<Embedder> {
    let files = ModelFiles::from_dir(&reference_dir().join("model"))?;
    Ok(Embedder::load(&files, DeviceChoice::Cpu)?)
}

/// The reference's preprocessed tensors, keyed by image file name.
fn reference_pixels() -> Result<HashMap<String, Vec<f32>>> {
    let npz = candle_core::npy::NpzTensors::new(reference_dir().join("pixel_values.npz"))?;
    let mut out = HashMap::new();
    for name in npz.names() {
        let tensor = npz.get(name)?.context("listed tensor is readable")?;
        assert_eq!(
            tensor.dims(),
            [3, 224, 224],
            "{name}: reference pixels are [3,224,224]"
        );
        out.insert(name.clone(), tensor.flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(out)
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

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn texts_match_reference_ids_and_embeddings() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    let mut worst = (0.0f32, String::new());
    let started = Instant::now();
    for t in &reference.texts {
        let ids = embedder.tokenize(&t.text)?;
        assert_eq!(
            ids, t.input_ids,
            "{}: token ids differ from the reference for {:?}",
            t.id, t.text
        );
        let got = embedder.embed_texts(&[&t.text])?;
        let d = one_minus_cos(&got[0], &t.embedding);
        assert!(
            d <= TEXT_MAX_1_MINUS_COS,
            "{}: 1-cos = {d:e} > {TEXT_MAX_1_MINUS_COS:e} for {:?}",
            t.id,
            t.text
        );
        if d >= worst.0 {
            worst = (d, t.id.clone());
        }
    }
    let per_text = started.elapsed() / reference.texts.len() as u32;
    eprintln!("| group | n | worst 1-cos | worst item |");
    eprintln!("|---|---|---|---|");
    eprintln!(
        "| texts | {} | {:.2e} | {} |",
        reference.texts.len(),
        worst.0,
        worst.1
    );
    eprintln!("debug build, tiny model: {per_text:?} per text (tokenize + embed, batch 1)");
    Ok(())
}

#[test]
fn images_match_reference_pixels_and_embeddings() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    let expected_pixels = reference_pixels()?;
    let pre = embedder.preprocessor();
    let mut rows = Vec::new();
    let (mut worst_strict, mut worst_loose, mut worst_mad) =
        ((0.0f32, ""), (0.0f32, ""), (0.0f32, ""));
    let (mut decode_time, mut pre_time, mut embed_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for r in &reference.images {
        let path = reference_dir().join("images").join(&r.file);
        let t0 = Instant::now();
        let img = open_oriented(&path)?;
        let t1 = Instant::now();
        assert_eq!(
            [img.width(), img.height()],
            r.decoded_size,
            "{}: decoded (and oriented) size",
            r.file
        );
        let (rw, rh) = pre.resized_size(img.width(), img.height());
        assert_eq!([rw, rh], r.resized_size, "{}: resized size", r.file);
        assert_eq!(
            pre.crop_box(rw, rh),
            r.crop_box_ltrb,
            "{}: crop box",
            r.file
        );

        let pixels = pre.pixels(&img)?;
        let t2 = Instant::now();
        let want = expected_pixels
            .get(&r.file)
            .with_context(|| format!("{} missing in pixel_values.npz", r.file))?;
        assert_eq!(
            pixels.as_slice().len(),
            want.len(),
            "{}: pixel count",
            r.file
        );
        let mad = pixels
            .as_slice()
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / want.len() as f32;
        let max_diff = max_abs_diff(pixels.as_slice(), want);

        let got = embedder.embed_pixels(&[pixels])?;
        let t3 = Instant::now();
        decode_time += t1 - t0;
        pre_time += t2 - t1;
        embed_time += t3 - t2;
        let d = one_minus_cos(&got[0], &r.embedding);
        let loose = DECODER_DEPENDENT.contains(&r.file.as_str());
        let limit = if loose {
            DECODER_DEPENDENT_MAX_1_MINUS_COS
        } else {
            IMAGE_MAX_1_MINUS_COS
        };
        rows.push(format!(
            "| {} | {mad:.5} | {max_diff:.4} | {d:.2e} |",
            r.file
        ));
        assert!(
            mad <= PIXEL_MAX_MEAN_ABS_DIFF,
            "{}: pixel mean abs diff {mad} > {PIXEL_MAX_MEAN_ABS_DIFF}",
            r.file
        );
        assert!(d <= limit, "{}: 1-cos = {d:e} > {limit:e}", r.file);
        let worst = if loose {
            &mut worst_loose
        } else {
            &mut worst_strict
        };
        if d >= worst.0 {
            *worst = (d, &r.file);
        }
        if mad >= worst_mad.0 {
            worst_mad = (mad, &r.file);
        }
    }
    let n = reference.images.len() as u32;
    eprintln!(
        "| image | pixel MAD | pixel max diff | 1-cos |\n|---|---|---|---|\n{}",
        rows.join("\n")
    );
    eprintln!("| group | worst 1-cos | worst item |\n|---|---|---|");
    eprintln!(
        "| images (strict) | {:.2e} | {} |",
        worst_strict.0, worst_strict.1
    );
    eprintln!(
        "| images (CMYK, lossy WebP) | {:.2e} | {} |",
        worst_loose.0, worst_loose.1
    );
    eprintln!(
        "| pixels: worst mean abs diff | {:.5} | {} |",
        worst_mad.0, worst_mad.1
    );
    eprintln!(
        "debug build, tiny model, per image: decode {:?}, preprocess {:?}, embed (batch 1) {:?}",
        decode_time / n,
        pre_time / n,
        embed_time / n
    );
    Ok(())
}

#[test]
fn reference_pixels_give_reference_embeddings() -> Result<()> {
    // Same input tensor as the reference: any difference is the model's, not preprocessing's.
    let embedder = load_model()?;
    let reference = reference()?;
    let pixels = reference_pixels()?;
    let mut worst = (0.0f32, "");
    for r in &reference.images {
        let px = Pixels::from_chw(pixels[&r.file].clone(), 224, 224)?;
        let got = embedder.embed_pixels(&[px])?;
        let d = one_minus_cos(&got[0], &r.embedding);
        assert!(
            d <= MODEL_ONLY_MAX_1_MINUS_COS,
            "{}: model alone gives 1-cos = {d:e}",
            r.file
        );
        if d >= worst.0 {
            worst = (d, &r.file);
        }
    }
    eprintln!(
        "| model only (reference pixels) | {:.2e} | {} |",
        worst.0, worst.1
    );
    Ok(())
}

#[test]
fn batches_equal_single_items_and_vectors_are_unit() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    let images = reference
        .images
        .iter()
        .take(8)
        .map(|r| open_oriented(&reference_dir().join("images").join(&r.file)))
        .collect::<Result<Vec<_>>>()?;
    assert_eq!(images.len(), 8);
    let batched = embedder.embed_images(&images)?;
    let mut worst_image = 0.0f32;
    for (img, b) in images.iter().zip(&batched) {
        let single = embedder.embed_images(std::slice::from_ref(img))?;
        worst_image = worst_image.max(max_abs_diff(&single[0], b));
        assert_eq!(
            b.len(),
            embedder.dim(),
            "image vector length is the projection dim"
        );
        assert!(
            (norm(b) - 1.0).abs() < 1e-5,
            "image vectors are unit length, got {}",
            norm(b)
        );
    }
    assert!(
        worst_image <= BATCH_MAX_ABS_DIFF,
        "batch of 8 images differs from single by {worst_image}"
    );

    // Texts of very different lengths (2 to 77 ids) in one batch: padding must not leak.
    let texts: Vec<&str> = reference.texts.iter().map(|t| t.text.as_str()).collect();
    let batched = embedder.embed_texts(&texts)?;
    let mut worst_text = 0.0f32;
    for (t, b) in texts.iter().zip(&batched) {
        let single = embedder.embed_texts(&[t])?;
        worst_text = worst_text.max(max_abs_diff(&single[0], b));
        assert!(
            (norm(b) - 1.0).abs() < 1e-5,
            "text vectors are unit length, got {}",
            norm(b)
        );
    }
    assert!(
        worst_text <= BATCH_MAX_ABS_DIFF,
        "a padded text batch differs from single texts by {worst_text}"
    );
    assert!(embedder.embed_texts(&[])?.is_empty() && embedder.embed_pixels(&[])?.is_empty());
    eprintln!("batch vs single, max abs diff: images {worst_image:.1e}, texts {worst_text:.1e}");
    Ok(())
}

#[test]
fn embedder_reports_its_identity() -> Result<()> {
    let embedder = load_model()?;
    assert_eq!(
        embedder.model_name(),
        "model",
        "a local folder is named after itself"
    );
    assert_eq!(embedder.dim(), 16);
    assert_eq!(embedder.device_name(), "cpu");
    let id = embedder.id();
    assert!(id.starts_with("model@local-"), "local revision tag in {id}");
    assert!(
        id.ends_with(&format!("+pp{PREPROCESS_VERSION}")),
        "preprocess version in {id}"
    );
    assert_eq!(load_model()?.id(), id, "the id is stable across loads");

    // A copy with different preprocessing must get a different id (its vectors differ).
    let dir = copy_model()?;
    let pp = dir.path().join("model/preprocessor_config.json");
    let text = std::fs::read_to_string(&pp)?.replace("224", "224 ");
    std::fs::write(&pp, text)?;
    let copy = Embedder::load(
        &ModelFiles::from_dir(&dir.path().join("model"))?,
        DeviceChoice::Cpu,
    )?;
    assert_ne!(copy.id(), id, "changed model files must change the id");
    Ok(())
}

/// A temp copy of the reference model folder, at `<tmp>/model`.
fn copy_model() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let to = dir.path().join("model");
    std::fs::create_dir(&to)?;
    for entry in std::fs::read_dir(reference_dir().join("model"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(dir)
}

fn load_err(dir: &Path) -> EmbedError {
    match ModelFiles::from_dir(dir)
        .map_err(EmbedError::from)
        .and_then(|f| Embedder::load(&f, DeviceChoice::Cpu))
    {
        Ok(_) => panic!("{}: loading a broken model must fail", dir.display()),
        Err(e) => e,
    }
}

fn edit_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> Result<()> {
    let path = dir.join("config.json");
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    edit(&mut config);
    std::fs::write(&path, serde_json::to_vec(&config)?)?;
    Ok(())
}

#[test]
fn broken_model_folders_give_clear_errors() -> Result<()> {
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    let original_config = std::fs::read(dir.join("config.json"))?;
    let restore = |dir: &Path| std::fs::write(dir.join("config.json"), &original_config);

    // No weights at all.
    std::fs::rename(dir.join("model.safetensors"), tmp.path().join("weights"))?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Source(SourceError::MissingFile { .. })),
        "missing weights: {e}"
    );
    assert!(
        e.to_string().contains("model.safetensors"),
        "the message names the file: {e}"
    );
    std::fs::rename(tmp.path().join("weights"), dir.join("model.safetensors"))?;

    // Unsupported activation.
    edit_config(&dir, |c| c["vision_config"]["hidden_act"] = "relu".into())?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::UnsupportedActivation { ref activation, .. } if activation == "relu"),
        "{e}"
    );
    assert!(
        e.to_string().contains("config.json"),
        "the message names the file: {e}"
    );
    restore(&dir)?;

    // A size left out takes transformers' default (CLIPTextConfig: 512), as transformers
    // loads it; the weights then disagree, and the error names the tensor and the file.
    edit_config(&dir, |c| {
        c["text_config"]
            .as_object_mut()
            .map(|o| o.remove("hidden_size"));
    })?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Weights { .. })
            && e.to_string()
                .contains("text_model.embeddings.token_embedding.weight")
            && e.to_string().contains("model.safetensors"),
        "{e}"
    );
    restore(&dir)?;

    // Not JSON.
    std::fs::write(dir.join("config.json"), b"{ not json")?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Json { .. }),
        "config is not JSON: {e}"
    );
    restore(&dir)?;

    // Sizes that disagree with the weights: a shape error, not garbage vectors.
    edit_config(&dir, |c| c["projection_dim"] = 8.into())?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Weights { .. }),
        "wrong projection_dim: {e}"
    );
    assert!(
        e.to_string().contains("model.safetensors"),
        "the message names the file: {e}"
    );
    restore(&dir)?;

    // A checkpoint without the class token must not get a random one.
    let weights = dir.join("model.safetensors");
    let mut tensors = candle_core::safetensors::load(&weights, &candle_core::Device::Cpu)?;
    tensors.remove("vision_model.embeddings.class_embedding");
    candle_core::safetensors::save(&tensors, &weights)?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::MissingTensor { ref name, .. } if name == "vision_model.embeddings.class_embedding"),
        "{e}"
    );

    // Not a safetensors file. `ModelFiles::from_dir` refuses it already; build the files by
    // hand to check that loading does too.
    let good = copy_model()?;
    let garbage = tmp.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"garbage")?;
    let files = ModelFiles {
        weights: vec![garbage],
        ..ModelFiles::from_dir(&good.path().join("model"))?
    };
    let e = Embedder::load(&files, DeviceChoice::Cpu)
        .err()
        .context("garbage weights must not load")?;
    assert!(
        matches!(e, EmbedError::Weights { .. }) && e.to_string().contains("garbage.safetensors"),
        "{e}"
    );

    // A preprocessor whose output does not fit the vision tower.
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    let pp = dir.join("preprocessor_config.json");
    std::fs::write(
        &pp,
        std::fs::read_to_string(&pp)?.replace("\"height\": 224", "\"height\": 200"),
    )?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Config { .. })
            && e.to_string().contains("preprocessor_config.json"),
        "{e}"
    );

    // Device names.
    assert!(matches!(
        "tpu".parse::<DeviceChoice>(),
        Err(EmbedError::UnknownDevice(_))
    ));
    assert_eq!("CUDA".parse::<DeviceChoice>()?, DeviceChoice::Cuda);
    Ok(())
}

#[test]
fn model_without_preprocessor_config_uses_clip_defaults() -> Result<()> {
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    std::fs::remove_file(dir.join("preprocessor_config.json"))?;
    let embedder = Embedder::load(&ModelFiles::from_dir(&dir)?, DeviceChoice::Cpu)?;
    let reference = load_model()?;
    assert_eq!(
        embedder.preprocessor(),
        reference.preprocessor(),
        "the fixture's file holds CLIP's defaults"
    );
    Ok(())
}

#[test]
fn legacy_config_end_token_still_pools_at_the_end_token() -> Result<()> {
    // openai/clip-vit-base-patch32's config.json says bos 0 / eos 2 (see fixtures/vit-b32-config);
    // HF then pools at argmax(ids), i.e. the real end token 49407.
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    edit_config(&dir, |c| {
        c["text_config"]["eos_token_id"] = 2.into();
        c["text_config"]["bos_token_id"] = 0.into();
    })?;
    let embedder = Embedder::load(&ModelFiles::from_dir(&dir)?, DeviceChoice::Cpu)?;
    for t in reference()?.texts.iter().take(5) {
        assert_eq!(
            embedder.tokenize(&t.text)?,
            t.input_ids,
            "{}: ids with a legacy config",
            t.id
        );
        let d = one_minus_cos(&embedder.embed_texts(&[&t.text])?[0], &t.embedding);
        assert!(
            d <= TEXT_MAX_1_MINUS_COS,
            "{}: legacy config gives 1-cos = {d:e}",
            t.id
        );
    }
    Ok(())
}

/// A copy of the reference model, loaded, and its first reference image's pixels.
fn reference_model_and_image() -> Result<(tempfile::TempDir, Embedder, Pixels)> {
    let dir = copy_model()?;
    let embedder = Embedder::load(
        &ModelFiles::from_dir(&dir.path().join("model"))?,
        DeviceChoice::Cpu,
    )?;
    let reference = reference()?;
    let pixels = reference_pixels()?;
    let px = Pixels::from_chw(pixels[&reference.images[0].file].clone(), 224, 224)?;
    Ok((dir, embedder, px))
}

/// Rewrites a model folder's weights with the same bytes and a new modification time, then
/// checks that `embed` (which must build a released tower again) refuses them rather than
/// mixing them with the tower loaded before.
fn changed_weights_are_refused<T: std::fmt::Debug, E: std::fmt::Display>(
    model: &std::path::Path,
    embed: impl FnOnce() -> Result<T, E>,
) -> Result<()> {
    let weights = model.join("model.safetensors");
    let bytes = std::fs::read(&weights)?;
    std::fs::write(&weights, &bytes)?;
    let f = std::fs::File::options().write(true).open(&weights)?;
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))?;
    match embed() {
        Ok(v) => anyhow::bail!("changed weights were mixed in: {v:?}"),
        Err(e) => anyhow::ensure!(
            e.to_string().contains("changed since the model was loaded"),
            "{e}"
        ),
    }
    Ok(())
}

/// The image tower can be freed while only texts are embedded: the next image builds it
/// again from the same files and gets exactly the vector it had; weights that changed in
/// the meantime are refused rather than mixed with the text tower loaded before.
#[test]
fn the_image_tower_is_released_and_built_again_bit_for_bit() -> Result<()> {
    let (dir, embedder, px) = reference_model_and_image()?;
    let model = dir.path().join("model");
    let before = embedder.embed_pixels(std::slice::from_ref(&px))?;
    let text = embedder.embed_texts(&["a photo of a cat"])?;

    assert!(embedder.images_loaded());
    assert!(embedder.release_images(), "it was loaded");
    assert!(!embedder.images_loaded());
    assert!(!embedder.release_images(), "released once");
    assert_eq!(
        embedder.embed_texts(&["a photo of a cat"])?,
        text,
        "texts need no images"
    );
    let after = embedder.embed_pixels(std::slice::from_ref(&px))?;
    assert!(embedder.images_loaded());
    assert_eq!(after, before, "the same weights, the same vector");

    embedder.release_images();
    changed_weights_are_refused(&model, || embedder.embed_pixels(std::slice::from_ref(&px)))
}

/// The text tower freed at rest: images need no texts, the next text (or `load_texts`)
/// builds it again with the same vectors, and changed weights are refused.
#[test]
fn the_text_tower_is_released_and_built_again_bit_for_bit() -> Result<()> {
    let (dir, embedder, px) = reference_model_and_image()?;
    let model = dir.path().join("model");
    let image = embedder.embed_pixels(std::slice::from_ref(&px))?;
    let texts = [
        "a photo of a cat",
        "a long description of a dog running on a wide sandy beach at sunset with the waves behind it and a red ball in its mouth while two children watch",
    ];
    let before = embedder.embed_texts(&texts)?;
    let alone = embedder.embed_texts(&texts[..1])?;

    assert!(embedder.texts_loaded());
    assert!(embedder.release_texts(), "it was loaded");
    assert!(!embedder.texts_loaded());
    assert!(!embedder.release_texts(), "released once");
    assert_eq!(
        embedder.embed_pixels(std::slice::from_ref(&px))?,
        image,
        "images need no texts"
    );
    assert_eq!(
        embedder.embed_texts(&texts[..1])?,
        alone,
        "one text, built again"
    );
    assert!(embedder.texts_loaded());
    embedder.release_texts();
    embedder.load_texts()?;
    assert!(embedder.texts_loaded(), "loaded ahead of a text");
    assert_eq!(
        embedder.embed_texts(&texts)?,
        before,
        "a batch with a long text (the gemm path), built again"
    );
    assert!(embedder.text_idle() < std::time::Duration::from_secs(60));

    embedder.release_texts();
    changed_weights_are_refused(&model, || embedder.embed_texts(&texts[..1]))
}
