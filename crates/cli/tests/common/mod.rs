//! Checks shared by the CLI's tests and the package's (`package.rs`).

use std::path::Path;
use std::process::Command;

/// `glimpse demo` for a user whose home is `home`: nothing of the developer's environment
/// (a demo or model folder, a hub) reaches it. Run from `cwd`.
pub fn demo_command(glimpse: &Path, home: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(glimpse);
    cmd.arg("demo")
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("GLIMPSE_DEMO_DIR")
        .env_remove("GLIMPSE_MODEL")
        .env_remove("GLIMPSE_MODEL_DIR")
        .env_remove("GLIMPSE_DATA_DIR")
        .env("HF_HUB_OFFLINE", "1");
    cmd
}

/// Runs `cmd`, asserts it succeeded and returns its standard output.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run glimpse demo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A first `glimpse demo` on a fresh library: all 240 pictures indexed, and "a red circle"
/// ranks red circles first (at least 8 of the top 10).
pub fn assert_first_demo_run(stdout: &str) {
    assert!(
        stdout.contains("240 pictures searchable (240 newly indexed, 0 unchanged)"),
        "{stdout}"
    );
    let right: usize = stdout
        .lines()
        .find_map(|l| l.strip_suffix(" of the top 10 are red circles."))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a count of red circles: {stdout}"));
    assert!(right >= 8, "{right} of 10 red circles: {stdout}");
}

/// The folder a demo run says its pictures came from.
pub fn demo_pictures(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("pictures: "))
        .unwrap_or_else(|| panic!("the pictures folder: {stdout}"))
}
