//! How the app was started: data and model folders from the environment, and demo mode.
//!
//! | variable / flag | effect |
//! |---|---|
//! | `GLIMPSE_DATA_DIR` | the data folder (default: the platform's data dir, e.g. `~/.local/share/glimpse`) |
//! | `GLIMPSE_MODEL_DIR` | a model folder in the Hugging Face layout; overrides the setting |
//! | `--demo`, `GLIMPSE_DEMO=1` | a throw-away data folder, the bundled shapes model and photos, a query typed in |
//! | `GLIMPSE_DEMO_DIR` | where demo mode finds `shapes-clip/` and `shapes/`; when set, the only place it looks |
//! | `GLIMPSE_E2E=1` | end-to-end tests, debug builds only: the main page gets `?e2e=1`, which adds the UI's path-typed add-folder form |
//!
//! Without `GLIMPSE_DEMO_DIR`, demo mode looks for `shapes-clip/` and `shapes/` in
//!
//! 1. `demo/` in the app's resource folder: the package installs them there
//!    (`bundle.resources` in `tauri.conf.json`; `/usr/lib/Glimpse/demo` from the .deb), and
//!    a cargo build copies them next to the binary (`target/<profile>/demo`);
//! 2. debug builds only: the repository's `tests/fixtures`, where the source was built. A
//!    release build holds no path of the machine that built it.
//!
//! When none has both, the app does not start and says where it looked.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The query demo mode types into the search box.
pub const DEMO_QUERY: &str = "a red circle";

/// The demo's folder inside the app's resource folder (`bundle.resources` in
/// `tauri.conf.json` maps the fixtures there).
pub const DEMO_RESOURCES: &str = "demo";

/// Where the repository's fixtures were at compile time: only debug builds may point at the
/// build machine, so that `cargo run` works from a checkout without the packaged resources.
#[cfg(debug_assertions)]
const FIXTURES_AT_BUILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

/// Demo mode: what to load instead of the user's library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// The model folder (`shapes-clip`).
    pub model_dir: PathBuf,
    /// The photo folder added at start (`shapes`).
    pub photos: PathBuf,
    /// The query typed into the search box.
    pub query: String,
}

/// The start-up options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The data folder; `None` in demo mode, where a temporary one is made.
    pub data_dir: Option<PathBuf>,
    /// A model folder that overrides the settings.
    pub model_dir: Option<PathBuf>,
    /// Demo mode, when asked for.
    pub demo: Option<Demo>,
    /// Started by the end-to-end tests.
    pub e2e: bool,
}

/// Why the app cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// No data folder was given and the platform has none (no home directory).
    #[error("cannot find a folder for Glimpse's data: set GLIMPSE_DATA_DIR")]
    NoDataDir,
    /// Demo mode was asked for and no folder looked in has the demo's model and pictures.
    #[error(
        "demo mode: the demo model and pictures (shapes-clip/ and shapes/) are in none of: {}; set GLIMPSE_DEMO_DIR to a folder holding both",
        list_paths(.looked)
    )]
    NoDemo {
        /// The folders looked in, in order.
        looked: Vec<PathBuf>,
    },
}

fn list_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

impl Launch {
    /// Reads the options from command-line arguments (without the program name), an
    /// environment lookup and the app's resource folder (where demo mode looks first; `None`
    /// when the platform has none). Unknown arguments are ignored: WebDriver and desktop
    /// launchers may pass their own.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        var: impl Fn(&str) -> Option<OsString>,
        resource_dir: Option<&Path>,
    ) -> Result<Self, LaunchError> {
        let demo_flag = args.into_iter().any(|a| a == "--demo");
        let flag = |k: &str| {
            var(k)
                .is_some_and(|v| matches!(v.to_string_lossy().trim(), "1" | "true" | "yes" | "on"))
        };
        let demo_env = flag("GLIMPSE_DEMO");
        let non_empty = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let demo = if demo_flag || demo_env {
            let root = match non_empty("GLIMPSE_DEMO_DIR") {
                // Asked for by name: a folder without the demo is an error, not a reason to
                // quietly show another one.
                Some(dir) => find_demo(&[dir])?,
                None => find_demo(&demo_places(resource_dir))?,
            };
            Some(Demo {
                model_dir: root.join("shapes-clip"),
                photos: root.join("shapes"),
                query: DEMO_QUERY.to_string(),
            })
        } else {
            None
        };
        let data_dir = match (&demo, non_empty("GLIMPSE_DATA_DIR")) {
            (Some(_), _) => None,
            (None, Some(dir)) => Some(dir),
            (None, None) => Some(default_data_dir().ok_or(LaunchError::NoDataDir)?),
        };
        let model_dir = match &demo {
            Some(d) => Some(d.model_dir.clone()),
            None => non_empty("GLIMPSE_MODEL_DIR"),
        };
        Ok(Self {
            data_dir,
            model_dir,
            demo,
            // A test hook: a release build has none.
            e2e: cfg!(debug_assertions) && flag("GLIMPSE_E2E"),
        })
    }
}

/// Where demo mode looks when `GLIMPSE_DEMO_DIR` is not set, in order (see the module docs).
fn demo_places(resource_dir: Option<&Path>) -> Vec<PathBuf> {
    let installed = resource_dir.map(|dir| dir.join(DEMO_RESOURCES));
    #[cfg(debug_assertions)]
    let checkout = Some(PathBuf::from(FIXTURES_AT_BUILD));
    #[cfg(not(debug_assertions))]
    let checkout = None;
    installed.into_iter().chain(checkout).collect()
}

/// The first of `places` that holds both `shapes-clip/` and `shapes/`, made absolute
/// (`src-tauri/../tests/fixtures` reads badly in the UI and the logs).
fn find_demo(places: &[PathBuf]) -> Result<PathBuf, LaunchError> {
    places
        .iter()
        .find(|p| p.join("shapes-clip").is_dir() && p.join("shapes").is_dir())
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .ok_or_else(|| LaunchError::NoDemo {
            looked: places.to_vec(),
        })
}

/// The platform's data folder for Glimpse (`$XDG_DATA_HOME/glimpse` on Linux).
fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("app", "glimpse", "Glimpse").map(|d| d.data_dir().to_path_buf())
}

/// The log folder inside a data folder.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn no_args() -> Vec<OsString> {
        Vec::new()
    }

    /// A folder laid out as the package installs the demo: `<dir>/demo/{shapes-clip,shapes}`.
    fn resource_dir_with_demo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["shapes-clip", "shapes"] {
            std::fs::create_dir_all(dir.path().join(DEMO_RESOURCES).join(sub)).expect("mkdir");
        }
        dir
    }

    #[test]
    fn data_and_model_dirs_come_from_the_environment() {
        let l = Launch::parse(
            no_args(),
            env(&[("GLIMPSE_DATA_DIR", "/d"), ("GLIMPSE_MODEL_DIR", "/m")]),
            None,
        )
        .expect("parses");
        assert_eq!(l.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(l.model_dir, Some(PathBuf::from("/m")));
        assert_eq!(l.demo, None);
        assert!(!l.e2e);
    }

    /// `cargo run -- --demo` from a checkout: no resource folder holds the demo, the
    /// repository's fixtures do (debug builds only, which tests are).
    #[test]
    fn demo_flag_uses_the_checkouts_fixtures_and_no_fixed_data_dir() {
        let empty = tempfile::tempdir().expect("tempdir");
        let l = Launch::parse(
            vec![OsString::from("--demo")],
            env(&[("GLIMPSE_DATA_DIR", "/d")]),
            Some(empty.path()),
        )
        .expect("parses");
        let demo = l.demo.expect("demo mode on");
        assert!(
            l.data_dir.is_none(),
            "demo mode must not touch the user's data folder"
        );
        assert!(
            demo.model_dir.join("model.safetensors").is_file(),
            "the bundled shapes model is found at {}",
            demo.model_dir.display()
        );
        assert!(demo.photos.join("red-circle-000.jpg").is_file());
        assert_eq!(l.model_dir, Some(demo.model_dir));
        assert_eq!(demo.query, "a red circle");
    }

    /// An installed app: the package's resources come before the checkout's fixtures.
    #[test]
    fn demo_mode_prefers_the_installed_resources() {
        let resources = resource_dir_with_demo();
        let l = Launch::parse(
            vec![OsString::from("--demo")],
            env(&[]),
            Some(resources.path()),
        )
        .expect("parses");
        let installed = resources.path().canonicalize().expect("canonical");
        let demo = l.demo.expect("demo mode on");
        assert_eq!(demo.photos, installed.join("demo/shapes"));
        assert_eq!(demo.model_dir, installed.join("demo/shapes-clip"));
    }

    #[test]
    fn demo_env_and_demo_dir_override() {
        let resources = resource_dir_with_demo();
        let chosen = resource_dir_with_demo();
        let demo_dir = chosen.path().join(DEMO_RESOURCES);
        let l = Launch::parse(
            no_args(),
            env(&[
                ("GLIMPSE_DEMO", "1"),
                ("GLIMPSE_DEMO_DIR", &demo_dir.to_string_lossy()),
            ]),
            Some(resources.path()),
        )
        .expect("parses");
        let expected = demo_dir.canonicalize().expect("canonical").join("shapes");
        assert_eq!(l.demo.map(|d| d.photos), Some(expected));
    }

    /// A GLIMPSE_DEMO_DIR without the demo fails, naming it, although other places have one.
    #[test]
    fn a_demo_dir_without_the_demo_is_an_error_naming_it() {
        let resources = resource_dir_with_demo();
        let err = Launch::parse(
            vec![OsString::from("--demo")],
            env(&[("GLIMPSE_DEMO_DIR", "/no/such/demo")]),
            Some(resources.path()),
        )
        .expect_err("refused");
        assert!(
            matches!(&err, LaunchError::NoDemo { looked } if looked == &[PathBuf::from("/no/such/demo")]),
            "{err:?}"
        );
        assert!(err.to_string().contains("none of: /no/such/demo;"), "{err}");
        assert!(err.to_string().contains("GLIMPSE_DEMO_DIR"), "{err}");
    }

    #[test]
    fn no_demo_anywhere_says_where_it_looked() {
        let empty = tempfile::tempdir().expect("tempdir");
        let places = [empty.path().join(DEMO_RESOURCES), PathBuf::from("/nowhere")];
        let err = find_demo(&places).expect_err("nothing there");
        let message = err.to_string();
        for place in &places {
            assert!(message.contains(&place.display().to_string()), "{message}");
        }
        // Every place the app looks without GLIMPSE_DEMO_DIR, in order.
        let looked = demo_places(Some(empty.path()));
        assert_eq!(looked[0], empty.path().join("demo"));
        assert_eq!(looked.get(1), Some(&PathBuf::from(FIXTURES_AT_BUILD)));
        assert_eq!(looked.len(), 2);
    }
}
