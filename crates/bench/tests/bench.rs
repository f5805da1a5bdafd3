//! The benchmark's inputs are what they claim to be, and its harness runs end to end on a
//! tiny model and small photos (no timing is asserted).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glimpse_bench::photos::{self, PhotoKind};
use glimpse_bench::rng::Rng;
use glimpse_bench::search::ClusteredVectors;
use glimpse_bench::{indexing, model};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn shapes_of(path: &Path) -> BTreeMap<String, (String, Vec<usize>)> {
    candle_core::safetensors::load(path, &candle_core::Device::Cpu)
        .unwrap_or_else(|e| panic!("{}: cannot load: {e}", path.display()))
        .into_iter()
        .map(|(name, t)| (name, (format!("{:?}", t.dtype()), t.dims().to_vec())))
        .collect()
}

/// A model for a tiny config, in a temporary folder.
fn tiny_model(dir: &Path) -> PathBuf {
    let out = dir.join("model");
    model::make_model(&fixture("shapes-clip"), &out, 3).expect("make_model on the tiny config");
    out
}

#[test]
fn make_model_writes_the_state_dict_of_a_real_hf_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = tiny_model(dir.path());
    // shapes-clip/model.safetensors was saved by transformers' CLIPModel: same config,
    // so it is the reference for names, dtypes and shapes.
    let ours = shapes_of(&out.join("model.safetensors"));
    let reference = shapes_of(&fixture("shapes-clip/model.safetensors"));
    let missing: Vec<_> = reference
        .keys()
        .filter(|k| !ours.contains_key(*k))
        .collect();
    let extra: Vec<_> = ours
        .keys()
        .filter(|k| !reference.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (name, shape) in &reference {
        assert_eq!(
            &ours[name], shape,
            "{name}: dtype/shape differs from the HF export"
        );
    }

    let embedder = Embedder::load(&ModelFiles::from_dir(&out).unwrap(), DeviceChoice::Cpu)
        .expect("the embedder must load the random model");
    let v = embedder.embed_texts(&["a red bicycle"]).unwrap();
    assert_eq!(v[0].len(), 32, "projection_dim of the tiny config");
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-4,
        "vectors are unit length, got {norm}"
    );
}

#[test]
fn random_weights_have_the_requested_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let out = tiny_model(dir.path());
    let tensors =
        candle_core::safetensors::load(out.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    let values = |name: &str| {
        tensors[name]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    let w = values("vision_model.encoder.layers.0.mlp.fc1.weight");
    let std = (w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32).sqrt();
    assert!(
        (std - 0.02).abs() < 0.002,
        "weights should have std 0.02, got {std}"
    );
    assert!(
        values("vision_model.pre_layrnorm.weight")
            .iter()
            .all(|&x| x == 1.0),
        "layer-norm weight 1"
    );
    assert!(
        values("vision_model.pre_layrnorm.bias")
            .iter()
            .all(|&x| x == 0.0),
        "layer-norm bias 0"
    );
    let scale = tensors["logit_scale"].to_scalar::<f32>().unwrap();
    assert!(
        (scale - 2.6592).abs() < 1e-4,
        "logit_scale from the config, got {scale}"
    );
}

fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn portrait_photo_decodes_upright_through_exif_orientation_6() {
    let full = (400, 300);
    let index = (0..10)
        .find(|&i| PhotoKind::for_index(i) == PhotoKind::PortraitJpeg)
        .unwrap();
    let (kind, bytes) = photos::make_photo(index, 5, full).unwrap();
    assert_eq!(kind, PhotoKind::PortraitJpeg);
    let decoded = glimpse_media::decode(Path::new("portrait.jpg"), &bytes).expect("decodes");
    assert_eq!(
        (decoded.width, decoded.height),
        (300, 400),
        "orientation 6 turns 400×300 upright"
    );

    // The same scene rendered upright must match the decoded pixels (up to JPEG loss),
    // and clearly better than the scene turned the wrong way.
    let mut rng = Rng::for_item(5, index as u64);
    let upright = photos::render_scene(300, 400, &mut rng);
    let got = decoded.image.to_rgb8();
    let right = mean_abs_diff(&got, &upright);
    let wrong = mean_abs_diff(&got, &image::imageops::rotate180(&upright));
    assert!(
        right < 6.0,
        "decoded portrait should match the upright scene, mean diff {right}"
    );
    assert!(
        wrong > 2.0 * right,
        "orientation must not be upside down ({right} vs {wrong})"
    );
}

#[test]
fn photo_sets_are_deterministic_and_mix_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let summary = photos::make_photos(&a, 10, 9, (320, 240)).unwrap();
    photos::make_photos(&b, 10, 9, (320, 240)).unwrap();
    assert_eq!(summary.files(), 10);
    let mut formats = BTreeMap::new();
    for i in 0..10 {
        let name = photos::file_name(i, PhotoKind::for_index(i));
        let bytes = std::fs::read(a.join(&name)).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(b.join(&name)).unwrap(),
            "{name}: same seed, same bytes"
        );
        let format = glimpse_media::sniff(&bytes).unwrap_or_else(|| panic!("{name}: not an image"));
        glimpse_media::decode(Path::new(&name), &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        *formats.entry(format.to_string()).or_insert(0) += 1;
    }
    assert_eq!(formats.values().sum::<i32>(), 10);
    assert_eq!(
        formats.len(),
        3,
        "JPEG, PNG and WebP expected, got {formats:?}"
    );
}

#[test]
fn clustered_vectors_look_like_clip_embeddings() {
    let mut source = ClusteredVectors::new(512, 50, 1);
    let vs: Vec<Vec<f32>> = (0..200).map(|_| source.next_vector()).collect();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    for v in &vs {
        assert!((dot(v, v) - 1.0).abs() < 1e-4, "unit vectors");
    }
    let pairs: Vec<f32> = (0..199).map(|i| dot(&vs[i], &vs[i + 1])).collect();
    let mean = pairs.iter().sum::<f32>() / pairs.len() as f32;
    assert!(
        (0.2..0.6).contains(&mean),
        "unrelated vectors share a direction, mean cosine {mean}"
    );
    assert!(
        pairs.iter().any(|&c| c > 0.5),
        "some pairs fall in the same cluster"
    );
}

#[test]
fn index_benchmark_runs_end_to_end_on_a_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let pics = dir.path().join("photos");
    photos::make_photos(&pics, 12, 2, (320, 240)).unwrap();
    let report = indexing::run(&indexing::IndexOptions {
        model,
        photos: pics,
        data: Some(dir.path().join("data")),
        sample: 5,
        batch: 4,
        cpu_limit: 100,
    })
    .expect("index benchmark");
    assert_eq!(report.photos, 12);
    assert_eq!(
        report.first_run.embedded, 12,
        "every photo is embedded: {:?}",
        report.failures
    );
    assert_eq!(report.first_run.failed, 0, "{:?}", report.failures);
    assert_eq!(
        report.rescan_run.embedded, 0,
        "an unchanged folder embeds nothing again"
    );
    assert_eq!(
        report.rescan_run.unchanged, 12,
        "the rescan sees every file unchanged"
    );
    assert_eq!(report.split.photos, 5);
    assert!(report.peak_rss.is_some_and(|b| b > 0));
    assert!(report.index_cpu.is_some(), "the CPU time used is read");
    assert!(report.machine_share().is_some_and(|s| s > 0.0 && s <= 1.05));
    let md = indexing::markdown(&report);
    assert!(
        md.contains("| 12 |"),
        "the table names the photo count:\n{md}"
    );
}
