//! A test hook for crash-consistency tests: `GLIMPSE_STALL_AT=<point>[:<nth>]`.
//!
//! When set, the `nth` time (default 1) the pipeline reaches the named point it writes
//! `glimpse: test hook: stalled at <point> (<nth>)` to stderr and sleeps [`STALL`], so that
//! a test can SIGKILL the process exactly there (crates/cli/tests/cli.rs, the kill test).
//! Points:
//! - `batch`: inside a catalog transaction, after one embedded photo's rows were written
//!   and before the transaction commits;
//! - `commit`: after a transaction committed, before its vectors reach the vector index;
//! - `index-save`: the new index file is written and synced under its temporary name, not
//!   yet renamed over the old one;
//! - `thumbnail-write`: a thumbnail is written and synced under its temporary name, not
//!   yet renamed into place;
//! - `thumbnail`: a photo's thumbnail is written, its catalog rows are not.
//!
//! Debug builds only: a release build never reads the variable, and each point compiles to
//! nothing. Unset, it changes nothing; the variable is read once per process and each point
//! then costs one check of a cached value. An unknown value is logged and ignored.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The environment variable.
const VAR: &str = "GLIMPSE_STALL_AT";
/// How long the process sleeps at the point: far longer than a test needs to kill it, and
/// finite, so a forgotten variable only delays a run.
const STALL: Duration = Duration::from_secs(60);

/// A place in the pipeline where a crash matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    Batch,
    Commit,
    IndexSave,
    ThumbnailWrite,
    Thumbnail,
}

impl Point {
    const ALL: [Point; 5] = [
        Point::Batch,
        Point::Commit,
        Point::IndexSave,
        Point::ThumbnailWrite,
        Point::Thumbnail,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::Commit => "commit",
            Self::IndexSave => "index-save",
            Self::ThumbnailWrite => "thumbnail-write",
            Self::Thumbnail => "thumbnail",
        }
    }
}

struct Armed {
    point: Point,
    nth: u64,
    reached: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(VAR).ok()?;
            let parsed = parse(&value);
            if parsed.is_none() {
                tracing::warn!(value, "ignoring {VAR}: expected <point>[:<nth>]");
            }
            parsed
        })
        .as_ref()
}

fn parse(value: &str) -> Option<Armed> {
    let (name, nth) = match value.split_once(':') {
        Some((name, nth)) => (name, nth.parse().ok().filter(|&n| n >= 1)?),
        None => (value, 1),
    };
    let point = Point::ALL.into_iter().find(|p| p.name() == name)?;
    Some(Armed {
        point,
        nth,
        reached: AtomicU64::new(0),
    })
}

/// Stalls here if the test hook names `point` and this is its `nth` arrival.
pub(crate) fn at(point: Point) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(armed) = armed() else {
        return;
    };
    if armed.point != point {
        return;
    }
    let arrival = armed.reached.fetch_add(1, Ordering::Relaxed) + 1;
    if arrival == armed.nth {
        eprintln!(
            "glimpse: test hook: stalled at {} ({arrival})",
            point.name()
        );
        std::thread::sleep(STALL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_to_a_point_and_an_arrival() {
        let armed = parse("index-save:3").expect("valid");
        assert_eq!((armed.point, armed.nth), (Point::IndexSave, 3));
        let armed = parse("thumbnail").expect("valid");
        assert_eq!((armed.point, armed.nth), (Point::Thumbnail, 1));
        for bad in ["", "nowhere", "batch:0", "batch:x", "commit:"] {
            assert!(parse(bad).is_none(), "{bad:?} is refused");
        }
    }
}
