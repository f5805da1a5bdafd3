//! [`ModelRef`]: the one way a model is named, on the command line and in settings.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::source::ModelSource;

use crate::catalogue::{self, Entry};

/// A model, as a user names it.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelRef {
    /// A model of the catalogue (by its name, or by its repo without a revision).
    Known(&'static Entry),
    /// Any hub repo, at a revision or `main`.
    Hub {
        /// `org/name`.
        repo: String,
        /// A branch, tag, commit or `refs/pr/N`; `None`: `main`.
        revision: Option<String>,
    },
    /// A local folder in the Hugging Face layout.
    Dir(PathBuf),
}

/// Why a model name could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelRefError {
    /// Nothing was given.
    #[error("no model named: give a catalogue name (see `glimpse models`) or a hub repo org/name")]
    Empty,
    /// Neither a catalogue name nor an `org/name` repo id.
    #[error(
        "unknown model {0:?}: give a catalogue name ({names}) or a hub repo as org/name[@revision]",
        names = catalogue::CATALOGUE.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
    )]
    Unknown(String),
}

impl ModelRef {
    /// The model used when none is named.
    pub fn default_model() -> Self {
        Self::Known(catalogue::find(catalogue::DEFAULT_MODEL).unwrap_or(&catalogue::CATALOGUE[0]))
    }

    /// Its catalogue entry: a known model, or a hub repo of the catalogue at its
    /// catalogued revision.
    pub fn entry(&self) -> Option<&'static Entry> {
        match self {
            Self::Known(entry) => Some(entry),
            Self::Hub { repo, revision } => catalogue::find_repo(repo)
                .filter(|e| revision.is_none() || revision.as_deref() == e.revision),
            Self::Dir(_) => None,
        }
    }

    /// Where its files come from.
    pub fn source(&self) -> ModelSource {
        match self {
            Self::Known(entry) => ModelSource::Hub {
                repo: entry.repo.to_owned(),
                revision: entry.revision.map(str::to_owned),
            },
            Self::Hub { repo, revision } => ModelSource::Hub {
                repo: repo.clone(),
                revision: revision.clone(),
            },
            Self::Dir(dir) => ModelSource::Dir(dir.clone()),
        }
    }

    /// The form settings store: `hub:<repo>[@rev]`, `dir:<path>` or a catalogue name.
    pub fn to_setting(&self) -> String {
        match self {
            Self::Known(entry) => entry.name.to_owned(),
            Self::Hub {
                repo,
                revision: None,
            } => format!("hub:{repo}"),
            Self::Hub {
                repo,
                revision: Some(rev),
            } => format!("hub:{repo}@{rev}"),
            Self::Dir(dir) => format!("dir:{}", dir.display()),
        }
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(entry) => write!(f, "{} ({})", entry.name, entry.repo),
            Self::Hub { .. } | Self::Dir(_) => write!(f, "{}", self.source()),
        }
    }
}

impl FromStr for ModelRef {
    type Err = ModelRefError;

    /// Accepts a catalogue name (`siglip2-b16-224`), a hub repo (`org/name`,
    /// `org/name@revision`, optionally prefixed `hub:`) and `dir:<path>`. A catalogue
    /// model's repo without a revision is that catalogue entry (its safetensors revision
    /// included), so settings written as `hub:openai/clip-vit-base-patch32` keep working.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ModelRefError::Empty);
        }
        if let Some(dir) = text.strip_prefix("dir:") {
            if dir.is_empty() {
                return Err(ModelRefError::Empty);
            }
            return Ok(Self::Dir(PathBuf::from(dir)));
        }
        let hub = text.strip_prefix("hub:");
        let spec = hub.unwrap_or(text);
        if hub.is_none()
            && let Some(entry) = catalogue::find(spec)
        {
            return Ok(Self::Known(entry));
        }
        let (repo, revision) = match spec.split_once('@') {
            Some((repo, rev)) if !rev.is_empty() => (repo, Some(rev.to_owned())),
            Some(_) => return Err(ModelRefError::Unknown(text.to_owned())),
            None => (spec, None),
        };
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2
            || parts
                .iter()
                .any(|p| p.is_empty() || p.contains(char::is_whitespace))
        {
            return Err(ModelRefError::Unknown(text.to_owned()));
        }
        if revision.is_none()
            && let Some(entry) = catalogue::find_repo(repo)
        {
            return Ok(Self::Known(entry));
        }
        Ok(Self::Hub {
            repo: repo.to_owned(),
            revision,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_and_round_trips_through_settings() {
        for text in [
            "clip-b32",
            "SIGLIP2-B16-224",
            "hub:org/model",
            "org/model@refs/pr/3",
            "dir:/models/clip",
        ] {
            let parsed: ModelRef = text.parse().expect(text);
            let again: ModelRef = parsed.to_setting().parse().expect("setting");
            assert_eq!(again, parsed, "{text}");
        }
        let known: ModelRef = "hub:openai/clip-vit-base-patch32"
            .parse()
            .expect("old setting");
        assert_eq!(known.entry().map(|e| e.name), Some("clip-b32"));
        assert_eq!(
            known.source(),
            ModelSource::Hub {
                repo: "openai/clip-vit-base-patch32".into(),
                revision: Some("refs/pr/15".into())
            }
        );
        let pinned: ModelRef = "openai/clip-vit-base-patch32@abc".parse().expect("pinned");
        assert!(matches!(pinned, ModelRef::Hub { .. }) && pinned.entry().is_none());
    }

    #[test]
    fn nonsense_is_refused_with_the_names_listed() {
        for text in [
            "", "  ", "nonsense", "a/b/c", "org/", "/x", "org/x@", "dir:",
        ] {
            let err = text.parse::<ModelRef>().expect_err(text);
            if let ModelRefError::Unknown(_) = err {
                assert!(err.to_string().contains("clip-b32"), "{err}");
            }
        }
    }
}
