//! Finding the model the user asked for, with a download progress bar.

use std::path::Path;

use anyhow::Context;
use glimpse_models::ModelFiles;
use glimpse_models::ModelRef;
use glimpse_models::source::DownloadProgress;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Cli;

/// The model named on the command line (or the default).
pub(crate) fn chosen(cli: &Cli) -> anyhow::Result<ModelRef> {
    Ok(match (&cli.model_dir, &cli.model) {
        (Some(dir), _) => ModelRef::Dir(dir.clone()),
        (None, Some(name)) => named(name)?,
        (None, None) => ModelRef::default_model(),
    })
}

/// `--model` takes a catalogue name or a hub repo, but people also hand it the folder they
/// downloaded (`--model ./clip`, `--model models/clip`): an existing folder is taken as
/// `--model-dir` would take it rather than sent to the hub as a repo id, and a missing one
/// that is plainly a path says where folders go instead of failing a download.
fn named(name: &str) -> anyhow::Result<ModelRef> {
    let parsed = name.parse::<ModelRef>();
    if let Ok(known @ ModelRef::Known(_)) = parsed {
        return Ok(known);
    }
    let trimmed = name.trim();
    if Path::new(trimmed).is_dir() {
        return Ok(ModelRef::Dir(trimmed.into()));
    }
    if ["/", "./", "../", "~"]
        .iter()
        .any(|start| trimmed.starts_with(start))
        || trimmed.ends_with('/')
    {
        anyhow::bail!(
            "no model folder at {trimmed}: a local model folder goes to --model-dir, \
             --model takes a catalogue name (`glimpse models`) or a hub repo as org/name"
        );
    }
    Ok(parsed?)
}

/// Resolves (downloading if needed) the model's files.
pub(crate) fn resolve(cli: &Cli) -> anyhow::Result<ModelFiles> {
    let source = chosen(cli)?.source();
    let mut bar = BarProgress::default();
    let files = source
        .resolve(&mut bar)
        .with_context(|| format!("cannot load the model {source}"))?;
    Ok(files)
}

/// A terminal progress bar per downloaded file (hidden when stderr is not a terminal).
#[derive(Default)]
struct BarProgress {
    bar: Option<ProgressBar>,
}

impl DownloadProgress for BarProgress {
    fn start(&mut self, file: &str, total_bytes: Option<u64>) {
        let bar =
            ProgressBar::with_draw_target(total_bytes, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(format!("downloading {file}"));
        self.bar = Some(bar);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn finish(&mut self, _file: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
