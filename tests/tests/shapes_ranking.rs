//! Rankings that mean something: the small trained `shapes-clip` model must find "a red
//! circle" among 240 pictures about as well as it did in training (`eval.json`).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_tests::{fixtures_dir, open_oriented};
use serde::Deserialize;

/// How far below the model's own measured precision@10 we may land (decoder and resampler
/// differences from the Python pipeline it was evaluated with).
const PRECISION_SLACK: f64 = 0.05;
const TOP_K: usize = 10;
const BATCH: usize = 16;

#[derive(Deserialize)]
struct Eval {
    precision_at_10_mean: f64,
}

#[test]
fn text_queries_rank_matching_shapes_first() -> Result<()> {
    let model_dir = fixtures_dir().join("shapes-clip");
    let pictures = fixtures_dir().join("shapes");
    let eval: Eval = serde_json::from_slice(&std::fs::read(model_dir.join("eval.json"))?)?;
    let labels: BTreeMap<String, (String, String)> =
        serde_json::from_slice(&std::fs::read(pictures.join("labels.json"))?)?;
    assert_eq!(labels.len(), 240, "labels.json lists every picture");

    let embedder = Embedder::load(&ModelFiles::from_dir(&model_dir)?, DeviceChoice::Cpu)?;
    let files: Vec<&String> = labels.keys().collect();
    let mut image_vectors = Vec::with_capacity(files.len());
    for chunk in files.chunks(BATCH) {
        let pixels = chunk
            .iter()
            .map(|f| {
                let img = open_oriented(&pictures.join(f))?;
                embedder
                    .preprocessor()
                    .pixels(&img)
                    .with_context(|| f.to_string())
            })
            .collect::<Result<Vec<_>>>()?;
        image_vectors.extend(embedder.embed_pixels(&pixels)?);
    }

    let colours: BTreeSet<&str> = labels.values().map(|(c, _)| c.as_str()).collect();
    let shapes: BTreeSet<&str> = labels.values().map(|(_, s)| s.as_str()).collect();
    let queries: Vec<(&str, &str)> = colours
        .iter()
        .flat_map(|c| shapes.iter().map(move |s| (*c, *s)))
        .collect();
    assert_eq!(queries.len(), 24, "6 colours x 4 shapes");

    let texts: Vec<String> = queries.iter().map(|(c, s)| format!("a {c} {s}")).collect();
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let text_vectors = embedder.embed_texts(&text_refs)?;

    let mut total = 0.0;
    eprintln!("| query | precision@{TOP_K} |\n|---|---|");
    for ((colour, shape), (text, q)) in queries.iter().zip(texts.iter().zip(&text_vectors)) {
        let mut scored: Vec<(f32, &str)> = image_vectors
            .iter()
            .zip(&files)
            .map(|(v, f)| (q.iter().zip(v).map(|(a, b)| a * b).sum(), f.as_str()))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hits = scored[..TOP_K]
            .iter()
            .filter(|(_, f)| labels[*f] == ((*colour).to_owned(), (*shape).to_owned()))
            .count();
        let precision = hits as f64 / TOP_K as f64;
        total += precision;
        eprintln!("| {text} | {precision:.1} |");
    }
    let mean = total / queries.len() as f64;
    eprintln!(
        "mean precision@{TOP_K}: {mean:.3} (the model's own eval: {:.3})",
        eval.precision_at_10_mean
    );
    assert!(
        mean >= eval.precision_at_10_mean - PRECISION_SLACK,
        "mean precision@{TOP_K} {mean:.3} is more than {PRECISION_SLACK} below the model's measured {:.3}: \
         preprocessing or the model is off",
        eval.precision_at_10_mean
    );
    Ok(())
}
