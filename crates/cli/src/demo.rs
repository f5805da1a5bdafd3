//! Where `glimpse demo` finds the demo's model (`shapes-clip/`) and pictures (`shapes/`).
//!
//! In order: `GLIMPSE_DEMO_DIR` (only it, when set); the installed package's copy, which
//! Tauri's bundler puts with the desktop app's resources in `/usr/lib/<productName>/demo`
//! next to `/usr/bin/glimpse`, so it is found relative to this program wherever the package
//! was unpacked; and in debug builds only, the checkout's `tests/fixtures`, so `cargo run`
//! works. A release build holds no path of the machine that built it.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// `productName` in `src-tauri/tauri.conf.json`: the bundler names the resource folder
/// after it, and the app finds the same folder through Tauri's `resource_dir()`.
const PRODUCT_NAME: &str = "Glimpse";

/// The demo's folder among the app's resources (`bundle.resources` in `tauri.conf.json`).
const DEMO_RESOURCES: &str = "demo";

/// The demo's model folder and pictures folder, absolute.
pub(crate) fn assets() -> anyhow::Result<(PathBuf, PathBuf)> {
    let places = match std::env::var_os("GLIMPSE_DEMO_DIR").filter(|v| !v.is_empty()) {
        // Named by the user: a folder without the demo is an error, not a reason to
        // quietly show another one.
        Some(dir) => vec![PathBuf::from(dir)],
        None => {
            // Resolved through /proc/self/exe: a symlink to the program (e.g. in ~/bin) still
            // leads to the package's tree.
            let exe = std::env::current_exe().ok();
            places(exe.as_deref())
        }
    };
    let Some(root) = places
        .iter()
        .find(|p| p.join("shapes-clip").is_dir() && p.join("shapes").is_dir())
    else {
        let looked: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "the demo model and pictures (shapes-clip/ and shapes/) are in none of: {}; set GLIMPSE_DEMO_DIR to a folder holding both",
            looked.join(", ")
        )
    };
    let root = std::fs::canonicalize(root)
        .map_err(|e| anyhow::anyhow!("{}: cannot resolve the demo folder: {e}", root.display()))?;
    Ok((root.join("shapes-clip"), root.join("shapes")))
}

/// The places looked in without `GLIMPSE_DEMO_DIR`, given this program's path.
fn places(exe: Option<&Path>) -> Vec<PathBuf> {
    // `<prefix>/bin/glimpse` → `<prefix>/lib/Glimpse/demo`, the rule Tauri's resource_dir()
    // applies to the app in `<prefix>/bin`.
    let installed = exe
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|prefix| prefix.join("lib").join(PRODUCT_NAME).join(DEMO_RESOURCES));
    #[cfg(debug_assertions)]
    let checkout = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"));
    #[cfg(not(debug_assertions))]
    let checkout = None;
    installed.into_iter().chain(checkout).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_demo_is_found_beside_the_program_then_the_checkouts() {
        let places = places(Some(Path::new("/opt/x/usr/bin/glimpse")));
        assert_eq!(places[0], Path::new("/opt/x/usr/lib/Glimpse/demo"));
        assert_eq!(
            places.get(1).and_then(|p| p.canonicalize().ok()),
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures")
                .canonicalize()
                .ok(),
        );
        assert_eq!(places.len(), 2);
    }

    /// The package puts the demo where `places` looks: the bundler's folder is named after
    /// `productName`, and the resources map the fixtures to `demo/shapes{,-clip}`.
    #[test]
    fn the_app_config_installs_the_demo_where_the_cli_looks() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/tauri.conf.json");
        let text = std::fs::read_to_string(&path).expect("read tauri.conf.json");
        let config: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(config["productName"], PRODUCT_NAME);
        let resources = &config["bundle"]["resources"];
        for name in ["shapes", "shapes-clip"] {
            let from = format!("../tests/fixtures/{name}/");
            assert_eq!(
                resources[&from],
                format!("{DEMO_RESOURCES}/{name}/"),
                "{from} in {resources}"
            );
        }
        assert!(
            config["bundle"]["linux"]["deb"]["files"]["/usr/bin/glimpse"].is_string(),
            "the CLI is in the package"
        );
    }
}
