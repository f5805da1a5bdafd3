//! A full disk during indexing: a clear error, and the library intact afterwards.
//!
//! Needs to mount a small tmpfs (root on Linux, as in CI); elsewhere it says so and passes
//! without checking anything — the only test here that can be skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use glimpse_embed::ModelFiles;
use glimpse_engine::{Library, LibraryConfig, LibraryError};
use glimpse_tests::fixtures_dir;

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn config(data: &Path) -> LibraryConfig {
    let model = ModelFiles::from_dir(&fixtures_dir().join("shapes-clip")).expect("model");
    LibraryConfig::new(data).with_model(model)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_full_disk_stops_indexing_with_a_clear_error_and_loses_nothing() {
    let mount_point = tempfile::tempdir().expect("tempdir");
    let Some(mount) = Mount::tmpfs(mount_point.path(), "1536k") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the full-disk case is untested"
        );
        return;
    };
    let data = mount.0.join("library");
    let library = Library::open(config(&data)).expect("open on the small disk");
    library
        .add_folder(&fixtures_dir().join("shapes"))
        .expect("add");
    let result = library.wait_idle();
    let status = library.status();
    drop(library);
    let error = result.expect_err("240 thumbnails cannot fit in 1.5 MB");
    let message = error.to_string();
    eprintln!("error: {message}");
    assert!(matches!(error, LibraryError::Stopped(_)), "{error:?}");
    assert!(
        message.contains("No space left") || message.contains("disk is full"),
        "the error says the disk is full: {message}"
    );
    let status = status.expect("status answers after the stop");
    eprintln!(
        "indexed before the disk filled: {} of {}",
        status.indexed, status.photos
    );
    let reason = status.stopped.expect("the status says indexing stopped");
    assert!(
        reason.contains("No space left") || reason.contains("disk is full"),
        "the status gives the reason (the app shows it in a banner): {reason}"
    );

    // Move the library to a disk with room: it opens, checks healthy and finishes the job.
    let roomy = tempfile::tempdir().expect("tempdir");
    let moved = roomy.path().join("library");
    copy_tree(&data, &moved);
    drop(mount);
    let library = Library::open(config(&moved)).expect("the library opens after a full disk");
    assert!(
        library.check().expect("check").is_healthy(),
        "catalog and index agree"
    );
    library.resume().expect("resume");
    library.wait_idle().expect("finish");
    let status = library.status().expect("status");
    assert_eq!(
        (status.photos, status.indexed, status.failed),
        (240, 240, 0),
        "{status:?}"
    );
    assert!(library.check().expect("check").is_healthy());
}
