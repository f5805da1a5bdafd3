//! Benchmarks for Glimpse, behind the `glimpse-bench` binary.
//!
//! Owns the synthetic inputs the benchmarks need — a random-weight CLIP with the real
//! ViT-B/32 shape ([`model`]), camera-sized photos ([`photos`]), clustered CLIP-like
//! vectors ([`search::ClusteredVectors`]) — and the measurements: indexing throughput with
//! a per-stage split ([`indexing`]), vector-search latency and recall, text-query latency
//! ([`search`]), decode speed per file and format ([`decoding`]). It does not own any production code path: everything measured is called
//! through the engine's, embedder's, media's and vectors' public APIs. Results are printed
//! as markdown; `docs/BENCHMARKS.md` records them.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use std::path::Path;
//! let out = Path::new("/tmp/photos");
//! let summary = glimpse_bench::photos::make_photos(out, 20, 1, glimpse_bench::photos::CAMERA_SIZE)?;
//! println!("{} photos, {} bytes", summary.files(), summary.bytes());
//! # Ok(()) }
//! ```

pub mod decoding;
pub mod indexing;
pub mod latency;
pub mod launch;
pub mod model;
pub mod newest;
pub mod photos;
pub mod query;
pub mod report;
pub mod rng;
pub mod search;
pub mod typing;
