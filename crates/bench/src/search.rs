//! `search`: vector-search latency and recall on synthetic CLIP-like vectors, and the
//! latency of embedding a typed query.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use glimpse_embed::{DeviceChoice, Embedder, ModelFiles};
use glimpse_vectors::{ExactIndex, IndexSettings, Quantization, VectorIndex, recall_at_k};

use crate::report::{mean, ms, percentile, secs, table};
use crate::rng::Rng;

/// Queries a user might type, short and long.
pub const TYPED_QUERIES: [&str; 50] = [
    "dog",
    "a dog on the beach",
    "sunset over the sea",
    "birthday cake with candles",
    "snow",
    "mountains in the fog",
    "my cat sleeping on the sofa",
    "red car",
    "people dancing at a wedding",
    "a bowl of ramen",
    "receipt",
    "screenshot of a chat",
    "children playing in the park",
    "eiffel tower at night",
    "a plate of pasta with tomato sauce",
    "forest path in autumn",
    "close-up of a flower",
    "whiteboard with notes",
    "christmas tree",
    "a crowded street market in the rain",
    "selfie",
    "group photo in front of a lake",
    "boat",
    "passport",
    "fireworks over the city",
    "a baby laughing",
    "horse in a field",
    "old black and white photo of my grandparents",
    "bicycle leaning against a wall",
    "the view from an airplane window",
    "coffee",
    "a dog wearing sunglasses on a skateboard at the beach at sunset",
    "kitchen renovation before and after",
    "hiking boots",
    "northern lights",
    "a handwritten letter",
    "concert stage with lights",
    "tulips",
    "a cat and a dog together",
    "graduation ceremony",
    "pizza",
    "waterfall in the jungle",
    "broken phone screen",
    "the first day of school",
    "a lighthouse on a rocky coast",
    "map",
    "skiing",
    "street food in bangkok",
    "a cozy living room with a fireplace",
    "my car's license plate",
];

/// Synthetic CLIP-like embeddings: `centres` cluster centres around one shared direction
/// (CLIP vectors of unrelated photos still have cosine ~0.5), points scattered around them.
#[derive(Debug, Clone)]
pub struct ClusteredVectors {
    dim: usize,
    centres: Vec<Vec<f32>>,
    noise: f32,
    rng: Rng,
}

fn normalize(v: &mut [f32]) {
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
}

impl ClusteredVectors {
    /// A generator fixed by `seed`.
    pub fn new(dim: usize, centres: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut shared: Vec<f32> = (0..dim).map(|_| rng.normal()).collect();
        normalize(&mut shared);
        let centres = (0..centres)
            .map(|_| {
                let mut own: Vec<f32> = (0..dim).map(|_| rng.normal()).collect();
                normalize(&mut own);
                let mut c: Vec<f32> = shared
                    .iter()
                    .zip(&own)
                    .map(|(s, o)| 0.7 * s + 0.7 * o)
                    .collect();
                normalize(&mut c);
                c
            })
            .collect();
        // Noise of norm ~0.75 around a unit centre: cosine ~0.8 to the centre.
        let noise = 0.75 / (dim as f32).sqrt();
        Self {
            dim,
            centres,
            noise,
            rng,
        }
    }

    /// The next unit vector: a random centre plus Gaussian noise.
    pub fn next_vector(&mut self) -> Vec<f32> {
        let centre = &self.centres[self.rng.below(self.centres.len() as u64) as usize];
        let mut v: Vec<f32> = centre
            .iter()
            .map(|c| c + self.noise * self.rng.normal())
            .collect();
        normalize(&mut v);
        v
    }

    /// Dimensions.
    pub fn dim(&self) -> usize {
        self.dim
    }
}

/// One row of the vector-search table.
#[derive(Debug, Clone)]
pub struct SearchRow {
    /// Vectors in the index.
    pub n: usize,
    /// Storage.
    pub quantization: Quantization,
    /// Time to insert all vectors (`upsert_batch` in chunks).
    pub build: Duration,
    /// USearch's search expansion for this row.
    pub expansion_search: usize,
    /// Search latency, 50th percentile.
    pub p50: Duration,
    /// Search latency, 95th percentile.
    pub p95: Duration,
    /// Mean recall@k against exact f32 search.
    pub recall: f64,
    /// A typed query end to end: text embedding (warm) + this index's search, one per
    /// [`TYPED_QUERIES`] entry and pass; empty without a model.
    pub text_to_hits: Vec<Duration>,
    /// The same with [`TYPING_GAP`] of idleness before each query, as when typing.
    pub typed_to_hits: Vec<Duration>,
}

/// Idle time before each query of `typed_to_hits`: the UI debounces keystrokes by 90 ms, so
/// a typed query never finds the encoder's threads busy and its caches as warm as a query
/// right after another does.
pub const TYPING_GAP: Duration = Duration::from_millis(100);

/// Exact-search latency, for scale.
#[derive(Debug, Clone)]
pub struct ExactRow {
    /// Vectors.
    pub n: usize,
    /// Median latency of one exact (brute-force f32) search.
    pub p50: Duration,
}

/// Latency of `Embedder::embed_texts` for one query at a time.
#[derive(Debug, Clone)]
pub struct TextLatency {
    /// Model load.
    pub load: Duration,
    /// The first call after loading.
    pub cold: Duration,
    /// Warm calls, one query each.
    pub warm: Vec<Duration>,
    /// Tokens of the shortest and longest query.
    pub tokens: (usize, usize),
    /// The embedder id.
    pub model: String,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Index sizes.
    pub sizes: Vec<usize>,
    /// Storages.
    pub quantizations: Vec<Quantization>,
    /// Timed queries per index.
    pub queries: usize,
    /// Queries also run exactly, for recall.
    pub exact_queries: usize,
    /// Results per query.
    pub k: usize,
    /// Dimensions.
    pub dim: usize,
    /// Cluster centres.
    pub centres: usize,
    /// Seed.
    pub seed: u64,
    /// Search expansions to measure on each built index (empty: the default only).
    pub expansion_search: Vec<usize>,
    /// When set, each index is also queried with this model's text embeddings of
    /// [`TYPED_QUERIES`], timing the embedding and the search together.
    pub model: Option<std::path::PathBuf>,
}

/// Vectors are inserted in chunks of this many, so the copy handed to the index stays small.
const INSERT_CHUNK: usize = 10_000;

/// Runs the vector-search benchmark.
pub fn run_vectors(o: &SearchOptions) -> Result<(Vec<SearchRow>, Vec<ExactRow>)> {
    let mut rows = Vec::new();
    let mut exact_rows = Vec::new();
    let embedder = match &o.model {
        Some(dir) => {
            let embedder = Embedder::load(&ModelFiles::from_dir(dir)?, DeviceChoice::Cpu)?;
            embedder.embed_texts(&[TYPED_QUERIES[0]])?;
            Some(embedder)
        }
        None => None,
    };
    for &n in &o.sizes {
        let mut source = ClusteredVectors::new(o.dim, o.centres, o.seed);
        let data: Vec<(u64, Vec<f32>)> = (0..n)
            .map(|i| (i as u64 + 1, source.next_vector()))
            .collect();
        let queries: Vec<Vec<f32>> = (0..o.queries).map(|_| source.next_vector()).collect();

        eprintln!(
            "n = {n}: exact search for {} queries",
            o.exact_queries.min(queries.len())
        );
        let exact = ExactIndex::new(o.dim);
        for chunk in data.chunks(INSERT_CHUNK) {
            exact.upsert_batch(chunk)?;
        }
        let mut exact_times = Vec::new();
        let mut truth = Vec::new();
        for q in queries.iter().take(o.exact_queries) {
            let t = Instant::now();
            truth.push(exact.search(q, o.k)?);
            exact_times.push(t.elapsed());
        }
        drop(exact);
        exact_rows.push(ExactRow {
            n,
            p50: percentile(&exact_times, 50.0).unwrap_or_default(),
        });

        for &quantization in &o.quantizations {
            eprintln!("n = {n}, {quantization}: building");
            let index =
                VectorIndex::new(IndexSettings::new(o.dim).with_quantization(quantization))?;
            let t = Instant::now();
            for chunk in data.chunks(INSERT_CHUNK) {
                index.upsert_batch(chunk)?;
            }
            let build = t.elapsed();
            let built = *index.settings();
            // Other expansions: the same graph saved once and loaded with each (USearch
            // takes the search expansion at load), so every row searches one graph.
            let saved = tempfile::tempdir()?;
            let file = saved.path().join("index.usearch");
            // None: the library's default, which follows the index size.
            let expansions: Vec<Option<usize>> = if o.expansion_search.is_empty() {
                vec![None]
            } else {
                o.expansion_search.iter().copied().map(Some).collect()
            };
            let default_ef = built.expansion_search_for(index.len());
            if expansions
                .iter()
                .any(|&ef| ef.is_some_and(|ef| ef != default_ef))
            {
                index.save(&file)?;
            }
            let mut index = Some(index);
            for (i, &ef) in expansions.iter().enumerate() {
                let ef_used = ef.unwrap_or(default_ef);
                let searched = match index.take() {
                    Some(built_index) if ef_used == default_ef => built_index,
                    _ => VectorIndex::load(
                        &file,
                        IndexSettings {
                            expansion_search: ef_used,
                            expansion_scales_with_size: false,
                            ..built
                        },
                    )?,
                };
                rows.push(measure(
                    &searched,
                    &queries,
                    &truth,
                    o.k,
                    // Text timing once per index: the expansion barely matters next to
                    // the text encoder.
                    if i == 0 { embedder.as_ref() } else { None },
                    Row {
                        n,
                        quantization,
                        build,
                        expansion_search: ef_used,
                    },
                )?);
            }
        }
    }
    Ok((rows, exact_rows))
}

/// What identifies a row besides its timings.
struct Row {
    n: usize,
    quantization: Quantization,
    build: Duration,
    expansion_search: usize,
}

/// Times `queries` one at a time on `index`, recall against `truth`, and (with a model) a
/// typed query end to end.
fn measure(
    index: &VectorIndex,
    queries: &[Vec<f32>],
    truth: &[Vec<glimpse_vectors::Hit>],
    k: usize,
    embedder: Option<&Embedder>,
    row: Row,
) -> Result<SearchRow> {
    // One untimed search so lazily touched pages do not land in the first sample.
    index.search(&queries[0], k)?;
    let mut times = Vec::with_capacity(queries.len());
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        results.push(index.search(q, k)?);
        times.push(t.elapsed());
    }
    let recall = truth
        .iter()
        .zip(&results)
        .map(|(exact, approx)| recall_at_k(approx, exact, k))
        .sum::<f64>()
        / truth.len().max(1) as f64;
    // What a user waits for after typing: no query cache, as for a new query.
    let mut text_to_hits = Vec::new();
    let mut typed_to_hits = Vec::new();
    if let Some(embedder) = embedder {
        for (gap, times) in [
            (Duration::ZERO, &mut text_to_hits),
            (TYPING_GAP, &mut typed_to_hits),
        ] {
            for _ in 0..2 {
                for q in TYPED_QUERIES {
                    std::thread::sleep(gap);
                    let t = Instant::now();
                    let vector = embedder.embed_texts(&[q])?.remove(0);
                    index.search(&vector, k)?;
                    times.push(t.elapsed());
                }
            }
        }
    }
    Ok(SearchRow {
        n: row.n,
        quantization: row.quantization,
        build: row.build,
        expansion_search: row.expansion_search,
        p50: percentile(&times, 50.0).unwrap_or_default(),
        p95: percentile(&times, 95.0).unwrap_or_default(),
        recall,
        text_to_hits,
        typed_to_hits,
    })
}

/// Times `embed_texts` for [`TYPED_QUERIES`], one at a time: the first call cold, then
/// each query warm.
pub fn run_text(model: &Path, repeats: usize) -> Result<TextLatency> {
    let files = ModelFiles::from_dir(model)?;
    let t = Instant::now();
    let embedder = Embedder::load(&files, DeviceChoice::Cpu)?;
    let load = t.elapsed();
    let t = Instant::now();
    embedder.embed_texts(&[TYPED_QUERIES[0]])?;
    let cold = t.elapsed();
    let mut warm = Vec::new();
    for _ in 0..repeats.max(1) {
        for q in TYPED_QUERIES {
            let t = Instant::now();
            embedder.embed_texts(&[q])?;
            warm.push(t.elapsed());
        }
    }
    let lengths: Vec<usize> = TYPED_QUERIES
        .iter()
        .map(|q| embedder.tokenize(q).map(|ids| ids.len()))
        .collect::<Result<_, _>>()?;
    Ok(TextLatency {
        load,
        cold,
        warm,
        tokens: (
            lengths.iter().copied().min().unwrap_or(0),
            lengths.iter().copied().max().unwrap_or(0),
        ),
        model: embedder.id().to_owned(),
    })
}

/// The vector-search figures as markdown.
pub fn markdown_vectors(o: &SearchOptions, rows: &[SearchRow], exact: &[ExactRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let exact = exact
                .iter()
                .find(|e| e.n == r.n)
                .map_or("n/a".to_owned(), |e| ms(e.p50));
            let text = |p: f64| percentile(&r.text_to_hits, p).map_or("n/a".to_owned(), ms);
            let typed = |p: f64| percentile(&r.typed_to_hits, p).map_or("n/a".to_owned(), ms);
            vec![
                r.n.to_string(),
                r.quantization.to_string(),
                r.expansion_search.to_string(),
                secs(r.build),
                ms(r.p50),
                ms(r.p95),
                format!("{:.3}", r.recall),
                exact,
                text(50.0),
                text(95.0),
                typed(50.0),
                typed(95.0),
            ]
        })
        .collect();
    format!(
        "{} vectors of {} dims ({} clusters), {} queries, k = {}, recall on the first {} vs exact f32:\n\n{}",
        o.sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" / "),
        o.dim,
        o.centres,
        o.queries,
        o.k,
        o.exact_queries,
        table(
            &[
                "N",
                "quantization",
                "expansion_search",
                "build",
                "search p50",
                "search p95",
                &format!("recall@{}", o.k),
                "exact p50",
                "text→hits p50",
                "text→hits p95",
                "typed, 100 ms apart, p50",
                "typed p95"
            ],
            &body
        )
    )
}

/// The text-query figures as markdown.
pub fn markdown_text(t: &TextLatency) -> String {
    format!(
        "Model {} ({} queries, {}–{} tokens, one query per call):\n\n{}",
        t.model,
        TYPED_QUERIES.len(),
        t.tokens.0,
        t.tokens.1,
        table(
            &[
                "model load",
                "first query (cold)",
                "warm p50",
                "warm p95",
                "warm mean",
                "warm calls"
            ],
            &[vec![
                secs(t.load),
                ms(t.cold),
                ms(percentile(&t.warm, 50.0).unwrap_or_default()),
                ms(percentile(&t.warm, 95.0).unwrap_or_default()),
                ms(mean(&t.warm)),
                t.warm.len().to_string(),
            ]]
        )
    )
}
