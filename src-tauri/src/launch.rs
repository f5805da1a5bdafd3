//! How the app was started: data and model folders from the environment, and demo mode.
//!
//! | variable / flag | effect |
//! |---|---|
//! | `GLIMPSE_DATA_DIR` | the data folder (default: the platform's data dir, e.g. `~/.local/share/glimpse`) |
//! | `GLIMPSE_MODEL_DIR` | a model folder in the Hugging Face layout; overrides the setting |
//! | `--demo`, `GLIMPSE_DEMO=1` | a throw-away data folder, the bundled shapes model and photos, a query typed in |
//! | `GLIMPSE_DEMO_DIR` | where demo mode finds `shapes-clip/` and `shapes/` (default: the repo's `tests/fixtures`) |
//! | `GLIMPSE_E2E=1` | end-to-end tests, debug builds only: the main page gets `?e2e=1`, which adds the UI's path-typed add-folder form |

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The query demo mode types into the search box.
pub const DEMO_QUERY: &str = "a red circle";

/// Where the repository's fixtures were at compile time (used by demo mode).
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
}

impl Launch {
    /// Reads the options from command-line arguments (without the program name) and an
    /// environment lookup. Unknown arguments are ignored: WebDriver and desktop launchers
    /// may pass their own.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        var: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, LaunchError> {
        let demo_flag = args.into_iter().any(|a| a == "--demo");
        let flag = |k: &str| {
            var(k)
                .is_some_and(|v| matches!(v.to_string_lossy().trim(), "1" | "true" | "yes" | "on"))
        };
        let demo_env = flag("GLIMPSE_DEMO");
        let non_empty = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let demo = (demo_flag || demo_env).then(|| {
            let root =
                non_empty("GLIMPSE_DEMO_DIR").unwrap_or_else(|| PathBuf::from(FIXTURES_AT_BUILD));
            // `src-tauri/../tests/fixtures` reads badly in the UI and the logs.
            let root = root.canonicalize().unwrap_or(root);
            Demo {
                model_dir: root.join("shapes-clip"),
                photos: root.join("shapes"),
                query: DEMO_QUERY.to_string(),
            }
        });
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

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn data_and_model_dirs_come_from_the_environment() {
        let l = Launch::parse(
            Vec::<OsString>::new(),
            env(&[("GLIMPSE_DATA_DIR", "/d"), ("GLIMPSE_MODEL_DIR", "/m")]),
        )
        .expect("parses");
        assert_eq!(l.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(l.model_dir, Some(PathBuf::from("/m")));
        assert_eq!(l.demo, None);
        assert!(!l.e2e);
    }

    #[test]
    fn demo_flag_uses_bundled_fixtures_and_no_fixed_data_dir() {
        let l = Launch::parse(
            vec![OsString::from("--demo")],
            env(&[("GLIMPSE_DATA_DIR", "/d")]),
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

    #[test]
    fn demo_env_and_demo_dir_override() {
        let l = Launch::parse(
            Vec::<OsString>::new(),
            env(&[("GLIMPSE_DEMO", "1"), ("GLIMPSE_DEMO_DIR", "/fx")]),
        )
        .expect("parses");
        assert_eq!(l.demo.map(|d| d.photos), Some(PathBuf::from("/fx/shapes")));
    }
}
