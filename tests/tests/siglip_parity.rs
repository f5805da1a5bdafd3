//! glimpse-embed's SigLIP against transformers 5.25 (`tests/fixtures/siglip-reference`, made
//! by `fixtures/scripts/make_siglip_reference.py`): token ids, preprocessed pixels,
//! embeddings, pair probabilities, batching, and load errors.
//!
//! Thresholds (the fixture's README measures how far each mistake moves the vectors):
//! texts 1-cos <= 1e-5, images 1-cos <= 5e-5, pixel mean abs diff <= 0.01, probabilities
//! within 1e-4. Cosines barely see a wrong GELU (exact instead of tanh: 1-cos ~1e-8), so the
//! normalised embeddings are also compared element by element where the inputs are the
//! reference's own (ids, pixel tensors): a wrong GELU moves them by 2e-5..7e-5.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use glimpse_embed::{Architecture, DeviceChoice, EmbedError, Embedder, ModelFiles, Pixels};
use glimpse_tests::{fixtures_dir, open_oriented};
use serde::Deserialize;

const TEXT_MAX_1_MINUS_COS: f32 = 1e-5;
const IMAGE_MAX_1_MINUS_COS: f32 = 5e-5;
const PIXEL_MAX_MEAN_ABS_DIFF: f32 = 0.01;
const PROBABILITY_MAX_ABS_DIFF: f32 = 1e-4;
/// Element-wise, normalised embeddings, same input tensors as the reference.
const ELEMENT_MAX_ABS_DIFF: f32 = 5e-6;
/// Batched vs one at a time, per component.
const BATCH_MAX_ABS_DIFF: f32 = 1e-5;

#[derive(Deserialize)]
struct Reference {
    images: Vec<RefImage>,
    texts: Vec<RefText>,
    probabilities: Probabilities,
    logit_scale: f32,
    logit_bias: f32,
}

#[derive(Deserialize)]
struct RefImage {
    file: String,
    decoded_size: [u32; 2],
    resized_size: [u32; 2],
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct RefText {
    id: String,
    text: String,
    input_ids: Vec<u32>,
    num_content_ids: usize,
    truncated: bool,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct Probabilities {
    rows_text_ids: Vec<String>,
    cols_image_files: Vec<String>,
    values: Vec<Vec<f32>>,
}

fn reference_dir() -> PathBuf {
    fixtures_dir().join("siglip-reference")
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

/// The processor's tensors, keyed by image file name.
fn reference_pixels() -> Result<HashMap<String, Vec<f32>>> {
    let npz = candle_core::npy::NpzTensors::new(reference_dir().join("pixel_values.npz"))?;
    let mut out = HashMap::new();
    for name in npz.names() {
        let tensor = npz.get(name)?.context("listed tensor is readable")?;
        assert_eq!(tensor.dims(), [3, 224, 224], "{name}: [3,224,224]");
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
    assert_eq!(a.len(), b.len(), "vectors of different length");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(v: &[f32]) -> f32 {
    dot(v, v).sqrt()
}

/// Tracks the largest value seen and where.
#[derive(Default)]
struct Worst {
    value: f32,
    item: String,
}

impl Worst {
    fn see(&mut self, value: f32, item: &str) {
        if value >= self.value {
            self.value = value;
            self.item = item.to_owned();
        }
    }
}

#[test]
fn texts_match_reference_ids_and_embeddings() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    assert_eq!(reference.texts.len(), 30, "the fixture's 30 texts");
    let (mut worst_cos, mut worst_elem) = (Worst::default(), Worst::default());
    for t in &reference.texts {
        // The reference lowercased in Python; `tokenize` must do the same from the raw text.
        let ids = embedder.tokenize(&t.text)?;
        assert_eq!(
            ids, t.input_ids,
            "{}: token ids differ from transformers' for {:?}",
            t.id, t.text
        );
        assert_eq!(ids.len(), 64, "{}: always 64 ids", t.id);
        let eos_at = t.num_content_ids.min(63);
        assert_eq!(ids[eos_at], 1, "{}: <eos> after the content", t.id);
        assert_eq!(t.truncated, t.num_content_ids > 63, "{}", t.id);

        let got = &embedder.embed_texts(&[&t.text])?[0];
        let d = one_minus_cos(got, &t.embedding);
        let e = max_abs_diff(got, &t.embedding);
        assert!(
            d <= TEXT_MAX_1_MINUS_COS,
            "{}: 1-cos = {d:e} > {TEXT_MAX_1_MINUS_COS:e} for {:?}",
            t.id,
            t.text
        );
        assert!(
            e <= ELEMENT_MAX_ABS_DIFF,
            "{}: max abs diff {e:e} > {ELEMENT_MAX_ABS_DIFF:e} for {:?}",
            t.id,
            t.text
        );
        worst_cos.see(d, &t.id);
        worst_elem.see(e, &t.id);
    }
    eprintln!("| group | n | worst 1-cos | item | worst max abs diff | item |");
    eprintln!("|---|---|---|---|---|---|");
    eprintln!(
        "| SigLIP texts | {} | {:.2e} | {} | {:.2e} | {} |",
        reference.texts.len(),
        worst_cos.value,
        worst_cos.item,
        worst_elem.value,
        worst_elem.item
    );
    Ok(())
}

/// Issue 16, item 5: queries in German, Japanese and Arabic go through the real path (the
/// Embedder's tokenizer, the model, the pair probability) and get transformers' ids,
/// vectors and probabilities.
#[test]
fn german_japanese_and_arabic_queries_end_to_end() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    let pixels = reference_pixels()?;
    let image = &reference.images[0];
    let image_vector =
        &embedder.embed_pixels(&[Pixels::from_chw(pixels[&image.file].clone(), 224, 224)?])?[0];
    let col = reference
        .probabilities
        .cols_image_files
        .iter()
        .position(|f| *f == image.file)
        .context("image in the probability table")?;
    // "german_eszett_upper" ("STRASSE UND GRÜẞE") also lowercases ẞ to ß, as Python does.
    for id in ["german", "german_eszett_upper", "japanese", "arabic"] {
        let t = reference
            .texts
            .iter()
            .find(|t| t.id == id)
            .with_context(|| format!("{id} in the fixture"))?;
        let ids = embedder.tokenize(&t.text)?;
        assert_eq!(ids, t.input_ids, "{id}: ids of {:?}", t.text);
        // Byte fallback: a 4,096-piece English vocabulary spells Japanese and Arabic byte by
        // byte (36 and 39 ids).
        assert!(
            t.num_content_ids > 10,
            "{id}: {} content ids",
            t.num_content_ids
        );
        let v = &embedder.embed_texts(&[&t.text])?[0];
        let d = one_minus_cos(v, &t.embedding);
        assert!(d <= TEXT_MAX_1_MINUS_COS, "{id}: 1-cos {d:e}");
        let row = reference
            .probabilities
            .rows_text_ids
            .iter()
            .position(|r| r == id)
            .context("text in the probability table")?;
        let want = reference.probabilities.values[row][col];
        let got = embedder
            .pair_probability(dot(v, image_vector))
            .context("SigLIP has pair probabilities")?;
        assert!(
            (got - want).abs() <= PROBABILITY_MAX_ABS_DIFF,
            "{id}: probability {got} vs transformers' {want}"
        );
        eprintln!(
            "{id}: {:?} -> {} content ids, 1-cos {d:.1e}, p({}) = {got:.5} (reference {want:.5})",
            t.text, t.num_content_ids, image.file
        );
    }
    Ok(())
}

#[test]
fn images_match_reference_pixels_and_embeddings() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    assert_eq!(reference.images.len(), 26, "the fixture's 26 images");
    let expected_pixels = reference_pixels()?;
    let pre = embedder.preprocessor();
    let (mut worst_cos, mut worst_mad) = (Worst::default(), Worst::default());
    let mut rows = Vec::new();
    for r in &reference.images {
        let path = fixtures_dir().join("clip-reference/images").join(&r.file);
        let img = open_oriented(&path)?;
        assert_eq!(
            [img.width(), img.height()],
            r.decoded_size,
            "{}: decoded (and oriented) size",
            r.file
        );
        assert_eq!(
            pre.resized_size(img.width(), img.height()),
            (r.resized_size[0], r.resized_size[1]),
            "{}: squashed to 224x224 whatever the aspect ratio",
            r.file
        );
        let pixels = pre.pixels(&img)?;
        let want = expected_pixels
            .get(&r.file)
            .with_context(|| format!("{} missing in pixel_values.npz", r.file))?;
        let mad = pixels
            .as_slice()
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / want.len() as f32;
        let max_diff = max_abs_diff(pixels.as_slice(), want);
        let got = &embedder.embed_pixels(&[pixels])?[0];
        let d = one_minus_cos(got, &r.embedding);
        rows.push(format!(
            "| {} | {mad:.5} | {max_diff:.4} | {d:.2e} |",
            r.file
        ));
        assert!(
            mad <= PIXEL_MAX_MEAN_ABS_DIFF,
            "{}: pixel mean abs diff {mad} > {PIXEL_MAX_MEAN_ABS_DIFF}",
            r.file
        );
        assert!(
            d <= IMAGE_MAX_1_MINUS_COS,
            "{}: 1-cos = {d:e} > {IMAGE_MAX_1_MINUS_COS:e}",
            r.file
        );
        worst_cos.see(d, &r.file);
        worst_mad.see(mad, &r.file);
    }
    eprintln!(
        "| image | pixel MAD | pixel max diff | 1-cos |\n|---|---|---|---|\n{}",
        rows.join("\n")
    );
    eprintln!(
        "SigLIP images: worst 1-cos {:.2e} ({}), worst pixel mean abs diff {:.5} ({})",
        worst_cos.value, worst_cos.item, worst_mad.value, worst_mad.item
    );
    Ok(())
}

#[test]
fn reference_pixels_give_reference_embeddings_element_by_element() -> Result<()> {
    // Same input tensors as the reference: any difference is the model's.
    let embedder = load_model()?;
    let reference = reference()?;
    let pixels = reference_pixels()?;
    let (mut worst_cos, mut worst_elem) = (Worst::default(), Worst::default());
    for r in &reference.images {
        let px = Pixels::from_chw(pixels[&r.file].clone(), 224, 224)?;
        let got = &embedder.embed_pixels(&[px])?[0];
        let d = one_minus_cos(got, &r.embedding);
        let e = max_abs_diff(got, &r.embedding);
        assert!(d <= 1e-6, "{}: model alone gives 1-cos = {d:e}", r.file);
        assert!(
            e <= ELEMENT_MAX_ABS_DIFF,
            "{}: model alone gives max abs diff {e:e} > {ELEMENT_MAX_ABS_DIFF:e}",
            r.file
        );
        worst_cos.see(d, &r.file);
        worst_elem.see(e, &r.file);
    }
    eprintln!(
        "| SigLIP model only (reference pixels) | 1-cos {:.2e} ({}) | max abs diff {:.2e} ({}) |",
        worst_cos.value, worst_cos.item, worst_elem.value, worst_elem.item
    );
    Ok(())
}

#[test]
fn pair_probabilities_match_the_reference() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    let pixels = reference_pixels()?;
    let p = &reference.probabilities;
    assert_eq!((p.rows_text_ids.len(), p.cols_image_files.len()), (30, 26));
    let texts: HashMap<&str, &RefText> =
        reference.texts.iter().map(|t| (t.id.as_str(), t)).collect();
    let text_vectors = embedder.embed_texts(
        &p.rows_text_ids
            .iter()
            .map(|id| texts[id.as_str()].text.as_str())
            .collect::<Vec<_>>(),
    )?;
    let image_vectors = embedder.embed_pixels(
        &p.cols_image_files
            .iter()
            .map(|f| Pixels::from_chw(pixels[f].clone(), 224, 224))
            .collect::<Result<Vec<_>, _>>()?,
    )?;
    let mut worst = Worst::default();
    let mut worst_calibration = 0.0f32;
    for (row, t) in text_vectors.iter().enumerate() {
        for (col, i) in image_vectors.iter().enumerate() {
            let want = p.values[row][col];
            let cosine = dot(t, i);
            let got = embedder
                .pair_probability(cosine)
                .context("SigLIP has pair probabilities")?;
            let item = format!("{} x {}", p.rows_text_ids[row], p.cols_image_files[col]);
            assert!(
                (got - want).abs() <= PROBABILITY_MAX_ABS_DIFF,
                "{item}: probability {got} vs {want}"
            );
            worst.see((got - want).abs(), &item);
            // The calibration alone, on the reference's own cosine.
            let ref_cos = dot(&texts[p.rows_text_ids[row].as_str()].embedding, &{
                let r = &reference.images;
                r.iter()
                    .find(|r| r.file == p.cols_image_files[col])
                    .context("image")?
                    .embedding
                    .clone()
            });
            let logit = reference.logit_scale.exp() * ref_cos + reference.logit_bias;
            let sigmoid = 1.0 / (1.0 + (-logit).exp());
            let calibrated = embedder.pair_probability(ref_cos).context("probability")?;
            worst_calibration = worst_calibration.max((calibrated - sigmoid).abs());
        }
    }
    assert!(
        worst_calibration <= 1e-6,
        "sigmoid(exp(logit_scale) cos + logit_bias) off by {worst_calibration}"
    );
    // The scale and bias the search's good-match line is built from are the checkpoint's.
    assert!((embedder.logit_scale() - reference.logit_scale.exp()).abs() <= 1e-4);
    assert_eq!(embedder.logit_bias(), Some(reference.logit_bias));
    eprintln!(
        "SigLIP probabilities (780 pairs): worst abs diff {:.2e} ({}); calibration alone {worst_calibration:.1e}",
        worst.value, worst.item
    );
    Ok(())
}

#[test]
fn batches_equal_single_items_and_vectors_are_unit() -> Result<()> {
    let embedder = load_model()?;
    let reference = reference()?;
    // Batches of texts take gemm, a single text the few-rows kernel: same rounded weights.
    let texts: Vec<&str> = reference.texts.iter().map(|t| t.text.as_str()).collect();
    let batched = embedder.embed_texts(&texts)?;
    let mut worst_text = 0.0f32;
    for (t, b) in texts.iter().zip(&batched) {
        let single = embedder.embed_texts(&[t])?;
        worst_text = worst_text.max(max_abs_diff(&single[0], b));
        assert_eq!(b.len(), embedder.dim());
        assert!((norm(b) - 1.0).abs() < 1e-5, "unit text vector");
    }
    assert!(
        worst_text <= BATCH_MAX_ABS_DIFF,
        "a batch of texts differs from single texts by {worst_text}"
    );
    let images = reference
        .images
        .iter()
        .take(6)
        .map(|r| open_oriented(&fixtures_dir().join("clip-reference/images").join(&r.file)))
        .collect::<Result<Vec<_>>>()?;
    let batched = embedder.embed_images(&images)?;
    let mut worst_image = 0.0f32;
    for (img, b) in images.iter().zip(&batched) {
        let single = embedder.embed_images(std::slice::from_ref(img))?;
        worst_image = worst_image.max(max_abs_diff(&single[0], b));
        assert_eq!(b.len(), embedder.dim());
        assert!((norm(b) - 1.0).abs() < 1e-5, "unit image vector");
    }
    assert!(
        worst_image <= BATCH_MAX_ABS_DIFF,
        "a batch of images differs from single images by {worst_image}"
    );
    eprintln!("batch vs single, max abs diff: texts {worst_text:.1e}, images {worst_image:.1e}");
    Ok(())
}

#[test]
fn the_embedder_says_what_it_is() -> Result<()> {
    let siglip = load_model()?;
    assert_eq!(siglip.architecture(), Architecture::Siglip);
    assert_eq!(siglip.dim(), 64, "text_config.projection_size");
    assert_eq!(siglip.model_name(), "model");
    assert!(siglip.id().starts_with("model@local-"), "{}", siglip.id());
    let p = siglip.pair_probability(0.0).context("SigLIP calibrates")?;
    // logit_bias -1: sigmoid(-1).
    assert!((p - 0.268_941_4).abs() < 1e-6, "p(cos 0) = {p}");

    let clip = Embedder::load(
        &ModelFiles::from_dir(&fixtures_dir().join("clip-reference/model"))?,
        DeviceChoice::Cpu,
    )?;
    assert_eq!(clip.architecture(), Architecture::Clip);
    assert_eq!(
        clip.pair_probability(0.5),
        None,
        "CLIP has no per-pair calibration"
    );
    Ok(())
}

/// A temp copy of the SigLIP reference model folder, at `<tmp>/model`.
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

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> Result<()> {
    let mut value: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    edit(&mut value);
    std::fs::write(path, serde_json::to_vec(&value)?)?;
    Ok(())
}

#[test]
fn unsupported_or_broken_siglip_models_give_clear_errors() -> Result<()> {
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    let config = dir.join("config.json");
    let original = std::fs::read(&config)?;

    // SigLIP 2 NaFlex (variable resolution) is another model: refused by name.
    edit_json(&config, |c| c["model_type"] = "siglip2".into())?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::UnsupportedArchitecture { ref model_type, .. } if model_type == "siglip2"),
        "{e}"
    );
    let message = e.to_string();
    assert!(
        message.contains("config.json") && message.contains("\"siglip2\""),
        "names the file and the model_type: {message}"
    );
    edit_json(&config, |c| c["model_type"] = "blip".into())?;
    assert!(load_err(&dir).to_string().contains("\"blip\""));
    std::fs::write(&config, &original)?;

    // The image vector is the pooling head's output: without a head there is none.
    edit_json(&config, |c| {
        c["vision_config"]["vision_use_head"] = false.into()
    })?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::Config { .. }) && e.to_string().contains("vision_use_head"),
        "{e}"
    );
    std::fs::write(&config, &original)?;

    // Text and image vectors of different widths could not be compared.
    edit_json(&config, |c| c["text_config"]["projection_size"] = 32.into())?;
    let e = load_err(&dir);
    assert!(e.to_string().contains("projection_size"), "{e}");
    std::fs::write(&config, &original)?;

    // An activation Candle does not have.
    edit_json(&config, |c| c["text_config"]["hidden_act"] = "silu".into())?;
    let e = load_err(&dir);
    assert!(
        e.to_string().contains("silu") && e.to_string().contains("config.json"),
        "{e}"
    );
    std::fs::write(&config, &original)?;

    // A missing tensor is named, not made up.
    let weights = dir.join("model.safetensors");
    let original_weights = std::fs::read(&weights)?;
    let mut tensors = candle_core::safetensors::load(&weights, &candle_core::Device::Cpu)?;
    tensors.remove("vision_model.head.attention.in_proj_bias");
    candle_core::safetensors::save(&tensors, &weights)?;
    let e = load_err(&dir);
    assert!(
        matches!(e, EmbedError::MissingTensor { ref name, .. } if name == "vision_model.head.attention.in_proj_bias"),
        "{e}"
    );
    std::fs::write(&weights, &original_weights)?;

    // A tokenizer without Gemma's <pad> cannot pad the way the model was trained.
    let tokenizer = dir.join("tokenizer.json");
    let text = std::fs::read_to_string(&tokenizer)?;
    std::fs::write(&tokenizer, text.replace("\"<pad>\"", "\"<nopad>\""))?;
    let e = load_err(&dir);
    assert!(
        e.to_string().contains("<pad>") && e.to_string().contains("tokenizer.json"),
        "{e}"
    );
    std::fs::write(&tokenizer, text)?;

    // The resize filter is honoured, not ignored: bicubic gives other pixels.
    let pp = dir.join("preprocessor_config.json");
    edit_json(&pp, |c| c["resample"] = 3.into())?;
    let bicubic = Embedder::load(&ModelFiles::from_dir(&dir)?, DeviceChoice::Cpu)?;
    let img = open_oriented(&fixtures_dir().join("clip-reference/images/skimage_chelsea.png"))?;
    let a = load_model()?.preprocessor().pixels(&img)?;
    let b = bicubic.preprocessor().pixels(&img)?;
    assert!(max_abs_diff(a.as_slice(), b.as_slice()) > 0.01);
    edit_json(&pp, |c| c["resample"] = 1.into())?;
    assert!(load_err(&dir).to_string().contains("resample = 1"));
    Ok(())
}

#[test]
fn without_a_preprocessor_config_siglip_gets_siglip_defaults() -> Result<()> {
    let tmp = copy_model()?;
    let dir = tmp.path().join("model");
    std::fs::remove_file(dir.join("preprocessor_config.json"))?;
    let embedder = Embedder::load(&ModelFiles::from_dir(&dir)?, DeviceChoice::Cpu)?;
    let config = embedder.preprocessor().config();
    // `SiglipImageProcessor`'s class defaults: squash to 224x224 bicubic, no crop, [-1, 1].
    assert_eq!(config, &glimpse_embed::PreprocessConfig::siglip_default());
    assert_eq!(config.crop, None);
    assert_eq!(config.resample, glimpse_embed::Resample::Bicubic);
    assert_eq!(config.normalize, Some(([0.5; 3], [0.5; 3])));
    Ok(())
}
