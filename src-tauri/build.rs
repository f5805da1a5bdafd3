//! Generates Tauri's context and the permissions of the app's own commands: each command
//! listed here gets an `allow-<name>` permission, and only those granted in
//! `capabilities/` can be invoked by the UI.

const COMMANDS: &[&str] = &[
    "query",
    "suggest",
    "timeline",
    "prefetchQuery",
    "addFolder",
    "removeFolder",
    "folders",
    "status",
    "photoDetails",
    "openPhoto",
    "revealPhoto",
    "setPaused",
    "retryIndexing",
    "downloadModel",
    "useModelDir",
    "getSettings",
    "setSettings",
    "hideQuickSearch",
    "showQuickSearch",
    "startDrag",
    "listModels",
    "switchModel",
    "finishModelSwitch",
    "cancelModelSwitch",
    "removeModelVectors",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
