//! How soon recent photos are searchable when a large folder is added: the library queues
//! the newest photos first (capture time, else mtime), so the photos of the last days come
//! first however large the folder.
//!
//! The photos of a folder get distinct mtimes, one hour apart, in a seeded shuffled order
//! (so neither file names nor creation order give the newest away); a fresh library adds the
//! folder, and the catalog is polled until every one of the newest `newest` photos is
//! searchable.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use glimpse_catalog::{Catalog, PhotoState};
use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig};

use crate::rng::Rng;

/// What to measure.
#[derive(Debug, Clone)]
pub struct NewestOptions {
    /// Model folder.
    pub model: PathBuf,
    /// Folder of photos (their mtimes are rewritten).
    pub photos: PathBuf,
    /// How many of the newest photos must be searchable.
    pub newest: usize,
    /// Seed of the mtime order.
    pub seed: u64,
}

/// Times measured from `add_folder`.
#[derive(Debug, Clone)]
pub struct NewestReport {
    /// Photos in the folder.
    pub photos: usize,
    /// How many newest photos were waited for.
    pub newest: usize,
    /// Until the first photo was searchable.
    pub first: Duration,
    /// Until all of the newest were searchable.
    pub all_newest: Duration,
    /// Photos indexed by then (of any age).
    pub indexed_by_then: usize,
}

/// Runs the measurement.
pub fn run(options: &NewestOptions) -> Result<NewestReport> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&options.photos)
        .with_context(|| format!("{}", options.photos.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| glimpse_media::is_candidate(p))
        .collect();
    files.sort();
    if files.len() <= options.newest {
        bail!(
            "{} has {} photos; it needs more than the {} newest",
            options.photos.display(),
            files.len(),
            options.newest
        );
    }
    // A seeded shuffle gives each file its hour.
    let mut rng = Rng::new(options.seed);
    let mut order: Vec<usize> = (0..files.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    for (hour, &i) in order.iter().enumerate() {
        let file = std::fs::File::options()
            .write(true)
            .open(&files[i])
            .with_context(|| format!("{}", files[i].display()))?;
        file.set_modified(start + Duration::from_secs(3600 * hour as u64))?;
    }
    let photos = std::fs::canonicalize(&options.photos)?;
    let newest: Vec<PathBuf> = order[order.len() - options.newest..]
        .iter()
        .map(|&i| photos.join(files[i].file_name().unwrap_or_default()))
        .collect();

    let data = std::env::temp_dir().join(format!("glimpse-newest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let library =
        Library::open(LibraryConfig::new(&data).with_model(ModelFiles::from_dir(&options.model)?))?;
    let started = Instant::now();
    library.add_folder(&photos)?;
    let catalog = Catalog::open_read_only(&data.join("catalog.sqlite"))?;
    let mut first = None;
    let report = loop {
        std::thread::sleep(Duration::from_millis(100));
        let status = library.status()?;
        if status.indexed > 0 && first.is_none() {
            first = Some(started.elapsed());
        }
        let mut searchable = 0;
        for path in &newest {
            if catalog
                .photo_by_path(path)?
                .is_some_and(|p| p.state == PhotoState::Indexed)
            {
                searchable += 1;
            }
        }
        if searchable == newest.len() {
            break NewestReport {
                photos: files.len(),
                newest: newest.len(),
                first: first.unwrap_or_default(),
                all_newest: started.elapsed(),
                indexed_by_then: status.indexed as usize,
            };
        }
        if started.elapsed() > Duration::from_secs(6 * 3600) {
            bail!("gave up after 6 hours ({searchable} of the newest searchable)");
        }
    };
    drop(library);
    let _ = std::fs::remove_dir_all(&data);
    Ok(report)
}

/// The report as markdown.
pub fn markdown(report: &NewestReport, photos: &Path) -> String {
    let rate = report.indexed_by_then as f64 / report.all_newest.as_secs_f64().max(1e-9);
    format!(
        "{} photos in {}: the first searchable after {:.1} s; all {} newest searchable after \
         {:.1} s, when {} photos were indexed ({:.1} photos/s). In scan order the newest would \
         be spread through the whole run: the last of them would come at about {:.0} s at \
         that rate.",
        report.photos,
        photos.display(),
        report.first.as_secs_f64(),
        report.newest,
        report.all_newest.as_secs_f64(),
        report.indexed_by_then,
        rate,
        report.photos as f64 * (report.newest as f64 / (report.newest as f64 + 1.0)) / rate
    )
}
