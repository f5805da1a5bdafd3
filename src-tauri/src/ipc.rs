//! The IPC contract, made from the Rust side (docs/IPC.md, "How the contract is made").
//!
//! The commands are the functions of `src/commands.list`; their argument and result types,
//! the events of [`crate::events::contract`], the error codes of [`ErrorCode`] and the
//! query page size are described with `specta` and written by `tauri-specta` as TypeScript
//! into [`BINDINGS`], which the UI imports instead of declaring any of it. The same list
//! gives the invoke handler ([`builder`]), the `allow-<name>` permissions (`build.rs`) and
//! the grant of `capabilities/default.json` ([`capability`]).
//!
//! Both files are checked in. The tests at the end regenerate them in memory and fail when
//! the checked-in copies differ; `GLIMPSE_WRITE_BINDINGS=1 cargo test -p glimpse-app ipc::`
//! writes them instead. Nothing is generated at start-up.

use std::path::{Path, PathBuf};

use serde::Serialize;
use specta_typescript::Typescript;
use tauri_specta::{ErrorHandlingMode, collect_events};

use crate::error::ErrorCode;
use crate::events::contract::{
    FoldersChangedEvent, IdleEvent, ItemFailedEvent, ModelEvent, ModelSwitchEvent, ProgressEvent,
    StoppedEvent, ThumbnailsReadyEvent,
};
#[allow(unused_imports)] // Named by `src/commands.list`, expanded below.
use crate::{commands, drag_out, query, switch};

/// The generated bindings, from the repository root.
pub const BINDINGS: &str = "ui/src/ipc/bindings.ts";

/// The capability file, from the repository root.
pub const CAPABILITY: &str = "src-tauri/capabilities/default.json";

/// The environment variable that makes the contract tests write the files instead of
/// comparing them.
pub const WRITE_VAR: &str = "GLIMPSE_WRITE_BINDINGS";

/// What the page may call besides the app's own commands: listening to the shell's events
/// (not emitting them) and the native folder picker.
const OTHER_PERMISSIONS: &[&str] = &[
    "core:event:allow-listen",
    "core:event:allow-unlisten",
    "dialog:allow-open",
];

const HEADER: &str =
    "// Generated from the Rust side of the IPC contract (src-tauri/src/ipc.rs) by tauri-specta:
// do not edit. After changing a command, a type or an event, run
//   GLIMPSE_WRITE_BINDINGS=1 cargo test -p glimpse-app ipc::
// `cargo test` fails while this file is out of date.
";

/// The names of the app's commands, in the order of `src/commands.list`.
pub fn command_names() -> &'static [&'static str] {
    macro_rules! commands {
        ($($module:ident :: $name:ident),* $(,)?) => {
            &[$(stringify!($name)),*]
        };
    }
    include!("commands.list")
}

/// The contract: every command (which also makes the invoke handler), event and exported
/// type, as the bindings describe them.
pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    macro_rules! commands {
        ($($module:ident :: $name:ident),* $(,)?) => {
            tauri_specta::collect_commands![$($module::$name),*]
        };
    }
    tauri_specta::Builder::new()
        .commands(include!("commands.list"))
        .events(collect_events![
            ProgressEvent,
            IdleEvent,
            ItemFailedEvent,
            FoldersChangedEvent,
            ThumbnailsReadyEvent,
            ModelEvent,
            ModelSwitchEvent,
            StoppedEvent,
        ])
        .typ::<ErrorCode>()
        .constant("QUERY_PAGE_LIMIT", query::PAGE_LIMIT)
        .constant(
            "ERROR_CODES",
            ErrorCode::ALL
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
        )
        // Commands reject with `IpcError`; the UI's wrappers turn that into a `GlimpseError`.
        .error_handling(ErrorHandlingMode::Throw)
        // Ids, counts and byte sizes are far below 2^53: JSON numbers, as the shell sends.
        .dangerously_cast_bigints_to_number()
        .disable_serde_phases()
}

/// The bindings [`builder`] writes, as text.
pub fn bindings() -> Result<String, String> {
    generate_bindings(builder())
}

/// The bindings of any builder (the tests also generate from a changed command set).
pub fn generate_bindings(builder: tauri_specta::Builder<tauri::Wry>) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
    let path = dir.path().join("bindings.ts");
    builder
        .export(Typescript::default().header(HEADER), &path)
        .map_err(|e| format!("tauri-specta cannot export the bindings: {e}"))?;
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `capabilities/default.json`, the whole grant of the UI's windows.
#[derive(Serialize)]
struct Capability {
    #[serde(rename = "$schema")]
    schema: &'static str,
    identifier: &'static str,
    description: &'static str,
    windows: &'static [&'static str],
    permissions: Vec<String>,
}

/// The capability file's text: the windows `main` and `quick` may call exactly the app's
/// commands, listen to events and open the folder picker.
pub fn capability() -> String {
    let permissions = OTHER_PERMISSIONS
        .iter()
        .map(|p| (*p).to_string())
        .chain(command_names().iter().map(|c| format!("allow-{c}")))
        .collect();
    let capability = Capability {
        schema: "../gen/schemas/desktop-schema.json",
        identifier: "default",
        description: "What the Glimpse UI may call: its own commands, event listening, the folder picker. No fs, shell, opener or asset scopes: files are opened by the shell, by photo id only. Generated from src-tauri/src/commands.list (src-tauri/src/ipc.rs): do not edit.",
        windows: &[crate::windows::MAIN, crate::windows::QUICK],
        permissions,
    };
    let mut text = serde_json::to_string_pretty(&capability).unwrap_or_default();
    text.push('\n');
    text
}

/// The repository root (src-tauri's parent).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why `current` (the checked-in `file`) is not `generated`, with the command that
    /// brings it up to date; `None` when they are the same.
    fn stale(file: &str, current: &str, generated: &str) -> Option<String> {
        if current == generated {
            return None;
        }
        let line = current
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(generated.lines().count()));
        Some(format!(
            "{file} is out of date with the Rust side of the IPC contract (first difference \
             at line {}). Run\n    {WRITE_VAR}=1 cargo test -p glimpse-app ipc::\n\
             and commit the result.",
            line + 1
        ))
    }

    /// Compares `generated` with the checked-in `file`, or writes it when [`WRITE_VAR`] is
    /// set.
    fn check(file: &str, generated: &str) {
        let path = repo_root().join(file);
        if std::env::var_os(WRITE_VAR).is_some() {
            std::fs::write(&path, generated).expect("the generated file can be written");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(why) = stale(file, &current, generated) {
            panic!("{why}");
        }
    }

    #[test]
    fn the_checked_in_bindings_are_up_to_date() {
        check(BINDINGS, &bindings().expect("the bindings generate"));
    }

    #[test]
    fn the_capability_grants_exactly_the_commands() {
        check(CAPABILITY, &capability());
    }

    /// A command changed without regenerating fails the check: `photoDetails` taking
    /// another argument generates other bindings, which differ from the checked-in file in
    /// that command's signature.
    #[test]
    fn a_changed_command_fails_the_check() {
        mod changed {
            #![allow(non_snake_case)]
            use crate::commands::CmdResult;

            /// `photoDetails` with its argument renamed and retyped.
            #[tauri::command]
            #[specta::specta]
            async fn photoDetails(photo: String) -> CmdResult<()> {
                drop(photo);
                Ok(())
            }

            pub(super) fn commands() -> tauri_specta::Commands<tauri::Wry> {
                tauri_specta::collect_commands![photoDetails]
            }
        }
        let checked_in = std::fs::read_to_string(repo_root().join(BINDINGS))
            .expect("the bindings are checked in");
        assert!(
            checked_in.contains("photoDetails: (photoId: number) =>"),
            "today's signature is in the checked-in bindings"
        );
        let changed = generate_bindings(builder().commands(changed::commands()))
            .expect("the changed contract generates");
        assert!(
            changed.contains("photoDetails: (photo: string) =>"),
            "the changed signature is in the changed bindings"
        );
        let why = stale(BINDINGS, &checked_in, &changed).expect("the check fails");
        assert!(why.contains("cargo test -p glimpse-app ipc::"), "{why}");
    }

    /// Commands granted although the UI's code never calls them: `showQuickSearch` opens
    /// the quick window, which the tray and the shortcut do from Rust and the end-to-end
    /// test does from the page.
    const NOT_CALLED_BY_THE_UI: &[&str] = &["showQuickSearch"];

    /// The grant stays tight: every command granted is one the UI calls (through its
    /// wrappers of the generated bindings), or is listed above with the reason.
    #[test]
    fn the_ui_calls_every_granted_command() {
        let ui = include_str!("../../ui/src/ipc/commands.ts");
        for name in command_names() {
            let called = ui.contains(&format!("commands.{name}("));
            assert_eq!(
                called,
                !NOT_CALLED_BY_THE_UI.contains(name),
                "{name}: the UI (ui/src/ipc/commands.ts) calls it = {called}; a command the \
                 UI does not call is removed from src-tauri/src/commands.list or named in \
                 NOT_CALLED_BY_THE_UI"
            );
        }
    }

    #[test]
    fn every_command_is_listed_once() {
        let names = command_names();
        let mut unique = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
