//! The Glimpse engine: the [`Library`] facade over the catalog, the vector index, the image
//! decoder and the CLIP model.
//!
//! It owns the indexing pipeline — a scanner that diffs folders against the catalog, a
//! decode pool, one embedder thread that batches, and one writer thread that alone mutates
//! SQLite and the vector index — and answers queries (text search, search by example,
//! status). It knows nothing of Tauri or terminals: the app and the CLI are its clients and
//! learn what happens through [`Library::subscribe`].
//!
//! ```no_run
//! use glimpse_engine::{Library, LibraryConfig};
//! use glimpse_engine::ModelFiles;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = ModelFiles::from_dir(std::path::Path::new("models/clip"))?;
//! let library = Library::open(LibraryConfig::new("/tmp/glimpse").with_model(model))?;
//! library.add_folder(std::path::Path::new("/home/me/Pictures"))?;
//! library.wait_idle()?;
//! for hit in library.search("a dog on a beach", 10)? {
//!     println!("{:.3} {}", hit.score, hit.path.display());
//! }
//! # Ok(()) }
//! ```

mod check;
mod config;
mod decode;
mod embedding;
mod error;
mod events;
mod facets;
pub mod grammar;
mod library;
mod live;
mod lock;
mod models;
mod ops;
pub mod prepare;
mod query;
mod scan;
mod search;
mod stall;
mod store;
pub mod thumbcache;
mod tracker;
mod writer;

pub use check::CheckReport;
pub use config::LibraryConfig;
pub use error::{LibraryError, Result};
pub use events::Event;
pub use facets::{Facet, MAX_SUGGESTIONS, MonthCount, Suggestion};

/// Where [`Library::subscribe`] delivers events.
pub type EventReceiver = crossbeam_channel::Receiver<Event>;
pub use library::Library;
pub use models::{ModelSpeed, ModelSwitch, StoredModel};
pub use prepare::{Encoder, Preparer};
pub use query::{FailedFile, FolderStatus, Hit, LibraryStatus, PhotoDetails, Prefetch, SimilarTo};
pub use search::{EXACT_FILTER_LIMIT, MAX_GOOD, MatchLine, Query, QueryResults, Scope};
pub use store::Reconciliation;
pub use tracker::RunStats;

pub use glimpse_catalog::{ContentId, FolderId, PhotoId};
pub use glimpse_embed::{DeviceChoice, ModelFiles};
/// For binaries: decoder panics (caught, reported with their file) go to the log, not stderr.
pub use glimpse_media::quiet_decoder_panics;
pub use glimpse_vectors::Quantization;
pub use glimpse_watch::WatchOptions;
