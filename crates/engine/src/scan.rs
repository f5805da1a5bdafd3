//! The scanner: walks a folder, diffs (path, size, mtime) against the catalog and queues
//! what changed. It only reads the catalog; changes go to the writer as ops.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use crossbeam_channel::Sender;
use glimpse_catalog::{Catalog, FolderId, NewPhoto, PhotoState};

use crate::library::Shared;
use crate::ops::{FileJob, WriteOp};
use crate::{Event, Result};

/// A folder, a part of one, or a single file to scan.
#[derive(Debug, Clone)]
pub(crate) struct ScanJob {
    /// The library folder `root` belongs to.
    pub(crate) folder: FolderId,
    /// What to scan: the folder itself, a directory under it, or one file.
    pub(crate) root: PathBuf,
    /// `root` is the library folder itself: if it is missing, the disk may just be
    /// unplugged, so its photos are kept. A missing path under it was deleted.
    pub(crate) is_folder_root: bool,
}

/// Scans go to the writer in chunks so one huge folder does not hold one giant transaction.
const PENDING_CHUNK: usize = 1000;

/// A file seen on disk.
struct Seen {
    size: u64,
    mtime_ns: i64,
}

pub(crate) struct Scanner {
    pub(crate) catalog: Catalog,
    pub(crate) shared: Arc<Shared>,
    pub(crate) writer: Sender<WriteOp>,
    pub(crate) decode: Option<Sender<FileJob>>,
}

impl Scanner {
    pub(crate) fn run(self, jobs: crossbeam_channel::Receiver<ScanJob>) {
        for job in jobs {
            if self.shared.is_shutting_down() {
                // Unscanned folders are simply scanned again at the next start.
                let _ = self.writer.send(WriteOp::ScanDone);
                continue;
            }
            if let Err(e) = self.scan(&job) {
                tracing::error!(folder = %job.root.display(), error = %e, "scan failed");
                self.shared.stop(&e);
            }
            let _ = self.writer.send(WriteOp::ScanDone);
        }
    }

    fn scan(&self, job: &ScanJob) -> Result<()> {
        let root = &job.root;
        if job.is_folder_root && !root.is_dir() {
            // An unplugged disk or unmounted share must not empty the library: keep what is
            // known and say why nothing was scanned.
            tracing::warn!(folder = %root.display(), "folder is not reachable; skipping scan");
            self.shared.bus.emit(Event::ItemFailed {
                path: root.clone(),
                reason: "folder is not reachable (moved, deleted or on a disconnected disk); its photos are kept".into(),
            });
            return Ok(());
        }
        // A walk cut short by quitting has not seen every file: what it missed is not gone.
        let Some(Walk {
            files: on_disk,
            unreadable,
        }) = walk(root, &self.shared)
        else {
            return Ok(());
        };
        let mut known: HashMap<PathBuf, glimpse_catalog::PhotoRow> = self
            .catalog
            .photos_under(root)?
            .into_iter()
            .map(|p| (p.path.clone(), p))
            .collect();
        // A single-file job (a watcher event) knows the file's own row too.
        if let Some(row) = self.catalog.photo_by_path(root)? {
            known.insert(row.path.clone(), row);
        }

        // Photos searchable but without a vector for the model being indexed with (a model
        // switch, or a library opened with another model) are embedded again.
        let reembed: HashMap<PathBuf, i64> = match self.shared.indexing_slot() {
            Some(slot) if job.is_folder_root || root.is_dir() => self
                .catalog
                .photos_missing_vector(root, &slot.id)?
                .into_iter()
                .map(|(row, newest)| (row.path, newest))
                .collect(),
            _ => HashMap::new(),
        };

        let mut pending = Vec::new();
        // (sort key: capture time else mtime, in ns; the job)
        let mut jobs: Vec<(i64, FileJob)> = Vec::new();
        let mut unchanged = 0u64;
        for (path, seen) in &on_disk {
            let file = FileJob {
                path: path.clone(),
                size: seen.size,
                mtime_ns: seen.mtime_ns,
            };
            match known.get(path) {
                Some(row) if row.size == seen.size && row.mtime_ns == seen.mtime_ns => {
                    match row.state {
                        PhotoState::Pending => jobs.push((seen.mtime_ns, file)),
                        PhotoState::Indexed => match reembed.get(path) {
                            Some(newest) => jobs.push((*newest, file)),
                            None => unchanged += 1,
                        },
                        PhotoState::Failed => unchanged += 1,
                    }
                }
                _ => {
                    pending.push(NewPhoto {
                        folder: job.folder,
                        path: path.clone(),
                        size: seen.size,
                        mtime_ns: seen.mtime_ns,
                    });
                    jobs.push((seen.mtime_ns, file));
                }
            }
        }
        // Newest first, so the photos of the last days are searchable within minutes of
        // adding a large folder. Capture time is known only for photos decoded before; new
        // files go by mtime, and among equal times (a copied folder) by name, since camera
        // names count up.
        jobs.sort_unstable_by(|(a, fa), (b, fb)| b.cmp(a).then_with(|| fb.path.cmp(&fa.path)));
        // Photos under a subfolder that could not be read are kept: a permission change or
        // a flaky share must not empty part of the library.
        let removed: Vec<_> = known
            .iter()
            .filter(|(path, _)| !on_disk.contains_key(*path))
            .filter(|(path, _)| !unreadable.iter().any(|dir| path.starts_with(dir)))
            .map(|(_, row)| row.id)
            .collect();
        let scanned = on_disk.len() as u64;
        self.shared.tracker.record(|r| {
            r.scanned += scanned;
            r.unchanged += unchanged;
        });
        if !removed.is_empty() {
            let _ = self.writer.send(WriteOp::Removed(removed));
        }
        for chunk in pending.chunks(PENDING_CHUNK) {
            let _ = self.writer.send(WriteOp::Pending(chunk.to_vec()));
        }
        // Without a model the files stay pending in the catalog until one is configured.
        if let Some(decode) = &self.decode {
            jobs.retain(|(_, f)| self.shared.claim(&f.path));
            self.shared.tracker.add(jobs.len() as u64, true);
            for (_, file) in jobs {
                if decode.send(file).is_err() {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// What a walk of a folder found.
struct Walk {
    /// Every candidate image file, with its size and mtime.
    files: HashMap<PathBuf, Seen>,
    /// Folders (or files) that could not be read: what is known under them is unknown now.
    unreadable: Vec<PathBuf>,
}

/// Every candidate image file under `root`, with its size and mtime; `None` when the library
/// began shutting down before the walk was complete. Hidden files and folders are skipped, and
/// so are symbolic links: a link may point outside the folders the user chose, and following
/// directory links can loop.
fn walk(root: &Path, shared: &Shared) -> Option<Walk> {
    let mut out = HashMap::new();
    let mut unreadable = Vec::new();
    if std::fs::symlink_metadata(root).is_err() {
        return Some(Walk {
            files: out,
            unreadable,
        });
    }
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        if shared.is_shutting_down() {
            return None;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // An unreadable subfolder is reported and skipped; the rest goes on.
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                tracing::warn!(path = %path.display(), error = %e, "cannot read");
                unreadable.push(path);
                continue;
            }
        };
        if !entry.file_type().is_file() || !glimpse_media::is_candidate(entry.path()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            unreadable.push(entry.into_path());
            continue;
        };
        out.insert(
            entry.into_path(),
            Seen {
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
            },
        );
    }
    Some(Walk {
        files: out,
        unreadable,
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Modification time in nanoseconds since the Unix epoch (0 when the platform has none).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
