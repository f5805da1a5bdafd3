//! Rankings that mean something: the small trained models must find "a red circle" among
//! 240 pictures about as well as they did in training (their `eval.json`): `shapes-clip`,
//! and `shapes-siglip`, a SigLIP trained the same way, whose pair probabilities must also
//! separate matches from non-matches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, Result};
use glimpse_embed::{Architecture, DeviceChoice, Embedder, ModelFiles};
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

/// The shapes set embedded by one model, and the 24 "colour shape" queries.
struct Ranked {
    labels: BTreeMap<String, (String, String)>,
    files: Vec<String>,
    image_vectors: Vec<Vec<f32>>,
    /// (colour, shape, query text, query vector).
    queries: Vec<(String, String, String, Vec<f32>)>,
}

/// Embeds the 240 pictures and the 24 queries `template` makes of each colour and shape.
fn embed_shapes(embedder: &Embedder, template: impl Fn(&str, &str) -> String) -> Result<Ranked> {
    let pictures = fixtures_dir().join("shapes");
    let labels: BTreeMap<String, (String, String)> =
        serde_json::from_slice(&std::fs::read(pictures.join("labels.json"))?)?;
    assert_eq!(labels.len(), 240, "labels.json lists every picture");
    let files: Vec<String> = labels.keys().cloned().collect();
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
    let pairs: Vec<(&str, &str)> = colours
        .iter()
        .flat_map(|c| shapes.iter().map(move |s| (*c, *s)))
        .collect();
    assert_eq!(pairs.len(), 24, "6 colours x 4 shapes");
    let texts: Vec<String> = pairs.iter().map(|(c, s)| template(c, s)).collect();
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let text_vectors = embedder.embed_texts(&text_refs)?;
    let queries = pairs
        .iter()
        .zip(texts)
        .zip(text_vectors)
        .map(|(((c, s), t), v)| ((*c).to_owned(), (*s).to_owned(), t, v))
        .collect();
    Ok(Ranked {
        labels,
        files,
        image_vectors,
        queries,
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Ranked {
    fn matches(&self, file: &str, colour: &str, shape: &str) -> bool {
        self.labels[file] == (colour.to_owned(), shape.to_owned())
    }

    /// Mean precision@10 over the queries, printing each.
    fn mean_precision(&self) -> f64 {
        let mut total = 0.0;
        eprintln!("| query | precision@{TOP_K} |\n|---|---|");
        for (colour, shape, text, q) in &self.queries {
            let mut scored: Vec<(f32, &str)> = self
                .image_vectors
                .iter()
                .zip(&self.files)
                .map(|(v, f)| (cosine(q, v), f.as_str()))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let hits = scored[..TOP_K]
                .iter()
                .filter(|(_, f)| self.matches(f, colour, shape))
                .count();
            let precision = hits as f64 / TOP_K as f64;
            total += precision;
            eprintln!("| {text} | {precision:.1} |");
        }
        total / self.queries.len() as f64
    }
}

fn load(dir: &Path) -> Result<Embedder> {
    Ok(Embedder::load(
        &ModelFiles::from_dir(dir)?,
        DeviceChoice::Cpu,
    )?)
}

fn eval(dir: &Path) -> Result<Eval> {
    Ok(serde_json::from_slice(&std::fs::read(
        dir.join("eval.json"),
    )?)?)
}

#[test]
fn text_queries_rank_matching_shapes_first() -> Result<()> {
    let model_dir = fixtures_dir().join("shapes-clip");
    let eval = eval(&model_dir)?;
    let ranked = embed_shapes(&load(&model_dir)?, |c, s| format!("a {c} {s}"))?;
    let mean = ranked.mean_precision();
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

#[derive(Deserialize)]
struct SiglipEval {
    precision_at_10_mean: f64,
    recall_at_0_5_mean: f64,
    false_positive_rate_at_0_5_mean: f64,
}

// Floors for shapes-siglip on these 240 pictures. Measured here: precision@10 0.892, recall
// at p > 0.5 0.883, false-positive rate 0.0054; the model's own eval.json (other pictures of
// the same kind, transformers' pipeline) says 0.888, 0.892, 0.0058. The precision floor is
// eval.json's own target (0.85: 10 of the 240 top-10 places below what we get), recall
// leaves 8 of the 240 matching pairs, the false-positive ceiling allows 83 of the 5,520
// others (30 measured).
const SIGLIP_PRECISION_FLOOR: f64 = 0.85;
const SIGLIP_RECALL_FLOOR: f64 = 0.85;
const SIGLIP_FALSE_POSITIVE_CEILING: f64 = 0.015;

#[test]
fn siglip_ranks_the_shapes_and_calls_matches_by_probability() -> Result<()> {
    let model_dir = fixtures_dir().join("shapes-siglip");
    let eval: SiglipEval = serde_json::from_slice(&std::fs::read(model_dir.join("eval.json"))?)?;
    let embedder = load(&model_dir)?;
    assert_eq!(embedder.architecture(), Architecture::Siglip);
    // The query eval.json was measured with.
    let ranked = embed_shapes(&embedder, |c, s| format!("a photo of a {c} {s}"))?;
    let mean = ranked.mean_precision();

    // Probabilities: every (query, picture) pair, matching when colour and shape agree.
    let (mut tp, mut fn_, mut fp, mut tn) = (0usize, 0usize, 0usize, 0usize);
    let mut matching = Vec::new();
    for (colour, shape, _, q) in &ranked.queries {
        for (v, f) in ranked.image_vectors.iter().zip(&ranked.files) {
            let p = embedder
                .pair_probability(cosine(q, v))
                .context("SigLIP has probabilities")?;
            match (ranked.matches(f, colour, shape), p > 0.5) {
                (true, true) => tp += 1,
                (true, false) => fn_ += 1,
                (false, true) => fp += 1,
                (false, false) => tn += 1,
            }
            if ranked.matches(f, colour, shape) {
                matching.push(p);
            }
        }
    }
    let recall = tp as f64 / (tp + fn_) as f64;
    let false_positive_rate = fp as f64 / (fp + tn) as f64;
    matching.sort_by(f32::total_cmp);
    eprintln!(
        "shapes-siglip: mean precision@{TOP_K} {mean:.3} (its eval: {:.3}); at p > 0.5 recall \
         {recall:.3} (eval {:.3}), false-positive rate {false_positive_rate:.4} (eval {:.4}); \
         median probability of a match {:.3}",
        eval.precision_at_10_mean,
        eval.recall_at_0_5_mean,
        eval.false_positive_rate_at_0_5_mean,
        matching[matching.len() / 2]
    );
    assert!(
        mean >= SIGLIP_PRECISION_FLOOR,
        "mean precision@{TOP_K} {mean:.3} < {SIGLIP_PRECISION_FLOOR}: preprocessing or the model is off"
    );
    assert!(
        recall >= SIGLIP_RECALL_FLOOR,
        "recall at p > 0.5: {recall:.3}"
    );
    assert!(
        false_positive_rate <= SIGLIP_FALSE_POSITIVE_CEILING,
        "false-positive rate at p > 0.5: {false_positive_rate:.4}"
    );

    // Typed in capitals, the same query: the tokenizer lowercases as SigLIP was trained.
    let shouted = embedder.embed_texts(&["A PHOTO OF A RED CIRCLE"])?;
    let plain = embedder.embed_texts(&["a photo of a red circle"])?;
    assert_eq!(shouted, plain);
    Ok(())
}
