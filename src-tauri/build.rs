//! Generates Tauri's context and the permissions of the app's own commands: each command
//! of `src/commands.list` (the one list, also behind the invoke handler and the generated
//! bindings) gets an `allow-<name>` permission, and only those granted in `capabilities/`
//! can be invoked by the UI.

/// `module::function, …` → the functions' names.
macro_rules! commands {
    ($($module:ident :: $name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = include!("src/commands.list");

fn main() {
    println!("cargo:rerun-if-changed=src/commands.list");
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
