//! Following the library's events on the terminal until it is idle.

use std::time::Duration;

use glimpse_engine::{Event, EventReceiver, Library};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows a progress bar (on a terminal; nothing otherwise) while the library works, and
/// returns once it is idle.
pub(crate) fn follow(library: &Library, events: EventReceiver) -> anyhow::Result<()> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} photos [{bar:30}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    std::thread::scope(|s| {
        let waiter = s.spawn(|| library.wait_idle());
        while !waiter.is_finished() {
            let Ok(event) = events.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            match event {
                Event::Progress {
                    done,
                    total,
                    current,
                    rate,
                } => {
                    bar.set_length(total);
                    bar.set_position(done);
                    let name = current
                        .as_ref()
                        .and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    bar.set_message(format!("{rate:.1}/s {name}"));
                }
                Event::ItemFailed { path, reason } => {
                    bar.println(format!("skipped {}: {reason}", path.display()));
                }
                _ => {}
            }
        }
        bar.finish_and_clear();
        waiter
            .join()
            .map_err(|_| anyhow::anyhow!("the indexing thread panicked"))?
            .map_err(anyhow::Error::from)
    })
}
