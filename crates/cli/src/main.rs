//! `glimpse`: find photos by what is in them, from the terminal.
//!
//! A headless client of [`glimpse_engine::Library`]: index folders, search them by text or
//! by example, report status. Every error is one line on stderr and a non-zero exit.

mod commands;
mod demo;
mod model;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Find photos by what is in them. Private: nothing leaves this machine.
#[derive(Debug, Parser)]
#[command(name = "glimpse", version, about, long_about = None)]
pub(crate) struct Cli {
    /// A local model folder (config.json, tokenizer.json, model.safetensors or its shards,
    /// preprocessor_config.json).
    #[arg(long, global = true, env = "GLIMPSE_MODEL_DIR", value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// A model of the catalogue (`glimpse models` lists them) or any CLIP/SigLIP repo on
    /// the Hugging Face hub as `org/name[@revision]`, downloaded on first use
    /// [default: siglip2-b16-224].
    #[arg(
        long,
        global = true,
        env = "GLIMPSE_MODEL",
        value_name = "MODEL",
        conflicts_with = "model_dir"
    )]
    model: Option<String>,
    /// Where the library (catalog, vectors, thumbnails) lives [default: the platform's data
    /// folder, e.g. ~/.local/share/glimpse].
    #[arg(long, global = true, env = "GLIMPSE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where the model runs.
    #[arg(
        long,
        global = true,
        default_value = "auto",
        value_name = "auto|cpu|cuda|metal"
    )]
    device: glimpse_engine::DeviceChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add folders to the library and index them until done.
    Index {
        /// Folders to index.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Index the library's folders, then follow changes in them until interrupted (Ctrl-C
    /// stops cleanly).
    Watch {
        /// Also add these folders first.
        dirs: Vec<PathBuf>,
    },
    /// Find photos: words, -exclusions, "phrases", like:PHOTO, term^2 weights, and filters
    /// in:FOLDER after:/before:YYYY[-MM[-DD]] type: camera: orientation: name: sort:
    /// (see the README). Prints the good matches; --all prints the whole ranking.
    Search {
        /// The query, e.g. "dog on a beach -people in:Holidays after:2019".
        text: String,
        /// How many results at most.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
        /// The whole ranking (good matches first, then the less likely ones), not only the
        /// good matches.
        #[arg(long)]
        all: bool,
        /// Print JSON: [{"path", "score", "good", "taken"}].
        #[arg(long)]
        json: bool,
    },
    /// Find photos that look like an image. Prints the good matches; --all prints the whole
    /// ranking.
    Similar {
        /// An image file (in the library or not).
        image: PathBuf,
        /// How many results at most.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
        /// The whole ranking, not only the good matches.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what the library holds and what failed.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also check the stores: SQLite's integrity, and that the model's vector index
        /// holds exactly the catalog's vectors (loads the model). Exits 1 if anything is
        /// wrong.
        #[arg(long)]
        check: bool,
    },
    /// List the library's folders.
    Folders {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a folder from the library (the files are not touched).
    Forget {
        /// The folder.
        dir: PathBuf,
    },
    /// Compute one embedding (for checking a model).
    Embed {
        #[command(subcommand)]
        what: EmbedWhat,
    },
    /// List the models Glimpse knows: size, languages, published quality, speed measured
    /// here, and the vectors this library keeps for each.
    Models {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Index the bundled demo pictures with the bundled demo model and search them.
    ///
    /// The demo's `shapes-clip/` and `shapes/` come from GLIMPSE_DEMO_DIR when set, else
    /// from the installed package (`../lib/Glimpse/demo` from this program's folder, e.g.
    /// /usr/lib/Glimpse/demo).
    Demo {
        /// What to search for.
        #[arg(default_value = "a red circle")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
enum EmbedWhat {
    /// Embed a text.
    Text {
        /// The text.
        text: String,
        /// Print JSON (the default and only format).
        #[arg(long)]
        json: bool,
    },
    /// Embed an image file.
    Image {
        /// The image.
        path: PathBuf,
        /// Print JSON (the default and only format).
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLIMPSE_LOG")
                // rawler warns about what a raw lacks (lens data, …) on every such file;
                // a file it cannot read is reported with its reason anyway.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rawler=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    glimpse_engine::quiet_decoder_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("glimpse: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error as one line: its message and each cause the message does not already say
/// (many errors quote their source in their own text), never a backtrace.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Index { dirs, json } => commands::index(&cli, dirs, *json),
        Command::Watch { dirs } => commands::watch(&cli, dirs),
        Command::Search {
            text,
            limit,
            all,
            json,
        } => commands::search(&cli, text, *limit, *all, *json),
        Command::Similar {
            image,
            limit,
            all,
            json,
        } => commands::similar(&cli, image, *limit, *all, *json),
        Command::Status { json, check } => commands::status(&cli, *json, *check),
        Command::Folders { json } => commands::folders(&cli, *json),
        Command::Forget { dir } => commands::forget(&cli, dir),
        Command::Embed {
            what: EmbedWhat::Text { text, .. },
        } => commands::embed_text(&cli, text),
        Command::Embed {
            what: EmbedWhat::Image { path, .. },
        } => commands::embed_image(&cli, path),
        Command::Demo { text } => commands::demo(&cli, text),
        Command::Models { json } => commands::models(&cli, *json),
    }
}
