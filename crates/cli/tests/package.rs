//! The Debian package as it installs: unpacked into an empty root, its `glimpse` runs the
//! demo from the package's own resources, from any working directory, and the desktop app's
//! resources are where the app looks for them.
//!
//! Needs a built package, so it is ignored by a plain `cargo test`; `.ci/test` builds a
//! debug one and runs it:
//!
//! ```sh
//! bash .ci/package --debug
//! GLIMPSE_DEB=target/debug/bundle/deb/Glimpse_0.1.0_amd64.deb \
//!   cargo test --workspace --locked --test package -- --ignored
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The .deb named by GLIMPSE_DEB (relative to the repository root, where `.ci/test` runs).
fn deb() -> PathBuf {
    let deb = std::env::var_os("GLIMPSE_DEB")
        .map(PathBuf::from)
        .expect("GLIMPSE_DEB names the .deb to test (bash .ci/package --debug prints it)");
    let deb = if deb.is_absolute() {
        deb
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(deb)
    };
    assert!(deb.is_file(), "{} is not a file", deb.display());
    deb
}

fn dpkg_deb(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .output()
        .expect("run dpkg-deb (Debian's dpkg package)");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under `dir` with its size and modification time.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                let modified = meta.modified().expect("mtime");
                files.insert(entry.path(), (meta.len(), modified));
            }
        }
    }
    files
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
#[ignore = "needs a built .deb: bash .ci/package --debug, then GLIMPSE_DEB=PATH cargo test --test package -- --ignored"]
fn the_package_runs_the_demo_from_its_own_resources_anywhere() {
    let deb = deb();
    let control = dpkg_deb(&[
        "--field".as_ref(),
        deb.as_os_str(),
        "Package".as_ref(),
        "Depends".as_ref(),
    ]);
    assert!(control.contains("Package: glimpse"), "{control}");
    for dependency in ["libheif1", "libayatana-appindicator3-1"] {
        assert!(
            control.contains(dependency),
            "depends on {dependency}: {control}"
        );
    }

    let root = tempfile::tempdir().expect("tempdir");
    dpkg_deb(&["-x".as_ref(), deb.as_os_str(), root.path().as_os_str()]);
    let root = root.path().canonicalize().expect("canonical root");
    let usr = root.join("usr");
    for program in ["bin/glimpse", "bin/glimpse-app"] {
        let path = usr.join(program);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path)
                .unwrap_or_else(|e| panic!("{} is in the package: {e}", path.display()))
                .permissions(),
        );
        assert!(mode & 0o111 != 0, "{} is executable", path.display());
    }
    assert!(usr.join("share/applications/Glimpse.desktop").is_file());

    // The app's resources, where Tauri's resource_dir() finds them for /usr/bin/glimpse-app
    // (`<exe dir>/../lib/<productName>`), with the same files as the repository's fixtures.
    let demo = usr.join("lib/Glimpse/demo");
    for name in ["shapes", "shapes-clip"] {
        assert_eq!(
            names(&demo.join(name)),
            names(&fixtures().join(name)),
            "{name} in the package"
        );
    }

    // A user somewhere else entirely, with no demo folder in the environment.
    let home = tempfile::tempdir().expect("home");
    let elsewhere = tempfile::tempdir().expect("working directory");
    let before = tree(&root);
    let stdout = common::stdout_of(&mut common::demo_command(
        &usr.join("bin/glimpse"),
        home.path(),
        elsewhere.path(),
    ));
    common::assert_first_demo_run(&stdout);
    assert_eq!(
        Path::new(common::demo_pictures(&stdout)),
        demo.join("shapes"),
        "the pictures come from the package"
    );
    let model = demo.join("shapes-clip");
    assert!(
        stdout.contains(&format!("model:    {} ", model.display())),
        "the model comes from the package: {stdout}"
    );
    assert_eq!(
        tree(&root),
        before,
        "the installed files are left as they were"
    );
    assert_eq!(
        names(elsewhere.path()),
        Vec::<String>::new(),
        "nothing is written to the working directory"
    );
}
