//! The clients use the engine as their one API: `glimpse-cli` and `glimpse-app` depend on
//! `glimpse-engine` (and `glimpse-models`, which names and finds models), never directly on
//! the crates below the engine. A client that decodes or embeds by itself drifts from what
//! indexing does (`glimpse embed image` once decoded at full size while indexing decoded at
//! reduced scale, and gave another vector).

use std::path::Path;

/// Crates only the engine (and the benchmarks, tests) may use.
const BELOW_THE_ENGINE: [&str; 4] = ["glimpse-embed", "glimpse-media", "image", "blake3"];

/// The names in a manifest's `[dependencies]` table (not dev- or build-dependencies: tests
/// may write pictures with `image`).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", manifest.display()));
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]"
                || line.starts_with("[target.") && line.ends_with(".dependencies]");
            continue;
        }
        if inside
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            names.push(name.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    names
}

#[test]
fn the_cli_and_the_app_depend_on_the_engine_not_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for client in ["crates/cli/Cargo.toml", "src-tauri/Cargo.toml"] {
        let deps = dependencies(&root.join(client));
        assert!(
            deps.iter().any(|d| d == "glimpse-engine"),
            "{client}: the engine is a dependency (parsed: {deps:?})"
        );
        let below: Vec<&String> = deps
            .iter()
            .filter(|d| BELOW_THE_ENGINE.contains(&d.as_str()))
            .collect();
        assert!(
            below.is_empty(),
            "{client} depends on {below:?} directly: go through glimpse-engine \
             (glimpse_engine::prepare, Encoder, thumbcache) or glimpse-models instead"
        );
    }
}
