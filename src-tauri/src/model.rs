//! Finding the CLIP model without touching the network, and downloading it when the user
//! asks (the only time the app goes online).

use glimpse_models::ModelFiles;
use glimpse_models::source::{DownloadProgress, HubOptions, ModelSource, NoProgress, SourceError};

/// Finds `source`'s files if they are already here: a complete local folder, or a hub repo
/// in the cache. `Ok(None)` means "not downloaded yet" (first run); errors are real problems
/// (a broken folder, an unreadable cache).
pub fn locate(source: &ModelSource) -> Result<Option<ModelFiles>, SourceError> {
    match source {
        ModelSource::Dir(dir) => ModelFiles::from_dir(dir).map(Some),
        ModelSource::Hub { .. } => {
            let mut options = HubOptions::from_env()?;
            // Starting the app must never go online: only an explicit download does.
            options.offline = true;
            match source.resolve_with(&options, &mut NoProgress) {
                Ok(files) => Ok(Some(files)),
                Err(SourceError::NotCached { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }
}

/// What the model screen says about a model that cannot be used: the engine's sentence,
/// except where that sentence speaks of file formats a user need not know.
pub fn describe(error: &SourceError) -> String {
    match error {
        SourceError::PickleOnly { place, file, .. } => format!(
            "This model cannot be used: {place} has it only as a PyTorch \"pickle\" file \
             ({file}), and opening such a file can run any program hidden in it, so Glimpse \
             never does. Choose a model that includes a model.safetensors file, or the \
             default model."
        ),
        other => other.to_string(),
    }
}

/// Downloads (or finds in the cache) a hub model, reporting each file's progress.
pub fn download(
    source: &ModelSource,
    progress: &mut dyn DownloadProgress,
) -> Result<ModelFiles, SourceError> {
    let mut options = HubOptions::from_env()?;
    options.offline = false;
    source.resolve_with(&options, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
    }

    #[test]
    fn a_complete_model_folder_is_located() {
        let files = locate(&ModelSource::Dir(fixtures().join("shapes-clip")))
            .expect("no error")
            .expect("found");
        assert!(files.weights.iter().all(|w| w.is_file()));
    }

    #[test]
    fn a_pickle_only_folder_is_explained_in_plain_words() {
        let dir = fixtures().join("hub-layouts/pickle-only");
        let err = locate(&ModelSource::Dir(dir.clone())).expect_err("a pickle is refused");
        let text = describe(&err);
        assert!(
            text.contains("pytorch_model.bin")
                && text.contains("run any program")
                && text.contains(&dir.display().to_string()),
            "{text}"
        );
    }

    #[test]
    fn a_folder_without_a_model_is_an_error_not_missing() {
        let err = locate(&ModelSource::Dir(fixtures().join("shapes"))).expect_err("not a model");
        assert!(err.to_string().contains("not a model folder"), "{err}");
    }
}
