//! Forwarding engine events to the UI, throttled to at most [`MAX_RATE_HZ`] emits of
//! coalescible events per second.
//!
//! Progress and thumbnail notices come in bursts of hundreds per second while indexing;
//! the webview only needs the latest progress and the union of new thumbnails. Idle,
//! folder changes and a stopped pipeline are always delivered, after whatever was pending
//! (so the UI never sees "idle" followed by stale progress). File failures go out one per
//! interval: a folder of thousands of unreadable files fails as fast as it is read, and the
//! rest of a burst is announced as one folders-changed, after which the UI reads the
//! failures from `status`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use glimpse_engine::{Event, EventReceiver};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::dto::{FailureDto, ProgressDto};
use crate::state::AppState;

/// Most coalesced emits per second.
pub const MAX_RATE_HZ: u32 = 10;

/// The events of the contract (docs/IPC.md): each type is one event, its name is the
/// `event_name` below and its payload the type itself as serde writes it (a newtype is its
/// inner value, a unit struct `null`). The generated bindings list them
/// ([`crate::ipc::builder`]); [`send`] is the only way the shell emits them.
pub mod contract {
    use serde::Serialize;
    use tauri_specta::Event;

    use crate::dto::{FailureDto, ModelState, ModelSwitchDto, ProgressDto};

    /// Indexing progress.
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://progress")]
    pub struct ProgressEvent(pub ProgressDto);

    /// All queued work is done.
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://idle")]
    pub struct IdleEvent;

    /// One file could not be indexed (at most one per interval; the rest of a burst is
    /// announced by [`FoldersChangedEvent`]).
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://item-failed")]
    pub struct ItemFailedEvent(pub FailureDto);

    /// Folders or their counts changed: the UI reads them again.
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://folders-changed")]
    pub struct FoldersChangedEvent;

    /// New thumbnails exist for these contents.
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://thumbnails-ready")]
    pub struct ThumbnailsReadyEvent {
        /// Content ids.
        pub contents: Vec<i64>,
    }

    /// The model's state changed (download progress, ready, error).
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://model")]
    pub struct ModelEvent(pub ModelState);

    /// A model switch moved on (`null`: none is under way any more): at every phase change,
    /// and at most once a second while the library is re-embedded.
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://model-switch")]
    pub struct ModelSwitchEvent(pub Option<ModelSwitchDto>);

    /// The pipeline stopped after a store failure (`status` reports it too).
    #[derive(Debug, Clone, Serialize, specta::Type, Event)]
    #[tauri_specta(event_name = "glimpse://stopped")]
    pub struct StoppedEvent {
        /// Why, as a sentence.
        pub message: String,
    }
}

/// Emits a contract event to every window, under its name.
pub fn send<E: tauri_specta::Event + Serialize + Clone>(
    app: &AppHandle,
    event: E,
) -> tauri::Result<()> {
    app.emit(E::NAME, event)
}

/// An event as it leaves for the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// Latest progress.
    Progress(ProgressDto),
    /// Contents whose thumbnails appeared since the last emit.
    ThumbnailsReady(Vec<i64>),
    /// One file failed.
    ItemFailed {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Folders changed.
    FoldersChanged,
    /// All work done.
    Idle,
    /// The pipeline stopped.
    Stopped(String),
    /// The engine switched to another model (embedder id).
    ModelSwitched(String),
}

/// The coalescing state machine, free of threads and clocks so it can be tested with
/// made-up instants.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last_emit: Option<Instant>,
    progress: Option<ProgressDto>,
    thumbnails: Vec<i64>,
    /// When the last file failure went out.
    last_failure: Option<Instant>,
    /// Failures held back since then: announced as one folders-changed when due.
    failures_held: bool,
}

impl Throttle {
    /// A throttle emitting coalesced events at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_emit: None,
            progress: None,
            thumbnails: Vec::new(),
            last_failure: None,
            failures_held: false,
        }
    }

    fn pending(&self) -> bool {
        self.progress.is_some() || !self.thumbnails.is_empty() || self.failures_held
    }

    /// Flushes whatever is pending, in a fixed order.
    fn flush(&mut self, now: Instant, out: &mut Vec<Outgoing>) {
        if !self.thumbnails.is_empty() {
            out.push(Outgoing::ThumbnailsReady(std::mem::take(
                &mut self.thumbnails,
            )));
        }
        if let Some(p) = self.progress.take() {
            out.push(Outgoing::Progress(p));
        }
        if std::mem::take(&mut self.failures_held) {
            out.push(Outgoing::FoldersChanged);
        }
        self.last_emit = Some(now);
    }

    /// Takes one engine event; returns what to emit now. `paused` fills in the progress
    /// payload (the engine's event does not carry it).
    pub fn push(&mut self, event: Event, paused: bool, now: Instant) -> Vec<Outgoing> {
        let mut out = Vec::new();
        match event {
            Event::Progress {
                done,
                total,
                current,
                rate,
            } => {
                self.progress = Some(ProgressDto {
                    done,
                    total,
                    current: current.map(|p| p.to_string_lossy().into_owned()),
                    rate,
                    paused,
                });
            }
            Event::ThumbnailsReady { contents } => {
                for c in contents {
                    if !self.thumbnails.contains(&c) {
                        self.thumbnails.push(c);
                    }
                }
            }
            Event::ItemFailed { .. }
                if self
                    .last_failure
                    .is_some_and(|last| now.duration_since(last) < self.interval) =>
            {
                self.failures_held = true;
            }
            urgent => {
                if matches!(urgent, Event::ItemFailed { .. }) {
                    // A failure counts as an emit: what it holds back goes out an interval on.
                    self.last_failure = Some(now);
                    self.last_emit = Some(now);
                }
                if self.pending() {
                    self.flush(now, &mut out);
                }
                out.push(match urgent {
                    Event::ItemFailed { path, reason } => Outgoing::ItemFailed {
                        path: path.to_string_lossy().into_owned(),
                        reason,
                    },
                    Event::FoldersChanged => Outgoing::FoldersChanged,
                    Event::Idle => Outgoing::Idle,
                    Event::Stopped { message } => Outgoing::Stopped(message),
                    Event::ModelSwitched { model, .. } => Outgoing::ModelSwitched(model),
                    // Coalescible events were handled above; any event the engine adds later
                    // is dropped here until the UI knows it.
                    _ => return out,
                });
                return out;
            }
        }
        out.extend(self.due(now));
        out
    }

    /// What to emit at `now` if the interval has passed since the last emit.
    pub fn due(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let ready = self
            .last_emit
            .is_none_or(|last| now.duration_since(last) >= self.interval);
        if self.pending() && ready {
            self.flush(now, &mut out);
        }
        out
    }

    /// When the pending events become due (`None` when nothing is pending).
    pub fn deadline(&self) -> Option<Instant> {
        if !self.pending() {
            return None;
        }
        Some(
            self.last_emit
                .map_or_else(Instant::now, |t| t + self.interval),
        )
    }

    /// Everything pending, regardless of time (the library is closing).
    pub fn drain(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut out = Vec::new();
        if self.pending() {
            self.flush(now, &mut out);
        }
        out
    }
}

/// When to read a model switch's progress: after the library did something, at most once
/// per interval (each read is one SQL count over the library), and a few more times after
/// the last activity, since the engine's progress events are rate-limited and the last
/// pictures embedded may come without one. Quiet libraries are not read at all. Free of
/// threads and clocks, like [`Throttle`].
#[derive(Debug)]
pub struct SwitchPoll {
    interval: Duration,
    last: Option<Instant>,
    /// Reads still to do since the last activity.
    left: u32,
}

/// Reads after the last activity.
const READS_AFTER_ACTIVITY: u32 = 3;

impl SwitchPoll {
    /// Reads at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
            left: 0,
        }
    }

    /// The library did something: the progress may have changed.
    pub fn note(&mut self) {
        self.left = READS_AFTER_ACTIVITY;
    }

    /// Whether to read now (and, if so, the read is counted).
    pub fn due(&mut self, now: Instant) -> bool {
        let ready = self
            .last
            .is_none_or(|last| now.duration_since(last) >= self.interval);
        if self.left > 0 && ready {
            self.left -= 1;
            self.last = Some(now);
            return true;
        }
        false
    }

    /// When the next read is due (`None`: nothing to read until something happens).
    pub fn deadline(&self) -> Option<Instant> {
        if self.left == 0 {
            return None;
        }
        Some(self.last.map_or_else(Instant::now, |t| t + self.interval))
    }
}

fn emit(app: &AppHandle, state: &AppState, event: &Outgoing) {
    let result = match event {
        Outgoing::Progress(p) => {
            state.set_last_progress(Some(p.clone()));
            send(app, contract::ProgressEvent(p.clone()))
        }
        Outgoing::ThumbnailsReady(contents) => send(
            app,
            contract::ThumbnailsReadyEvent {
                contents: contents.clone(),
            },
        ),
        Outgoing::ItemFailed { path, reason } => send(
            app,
            contract::ItemFailedEvent(FailureDto {
                path: path.clone(),
                reason: reason.clone(),
            }),
        ),
        Outgoing::FoldersChanged => send(app, contract::FoldersChangedEvent),
        Outgoing::Idle => {
            state.set_last_progress(None);
            send(app, contract::IdleEvent)
        }
        Outgoing::Stopped(message) => send(
            app,
            contract::StoppedEvent {
                message: message.clone(),
            },
        ),
        Outgoing::ModelSwitched(model) => {
            crate::switch::on_switched(app, state, model);
            Ok(())
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot emit an event to the UI");
    }
}

/// Starts forwarding `events` to the UI on a thread that ends when the library closes
/// (its event channel disconnects). It holds no reference to the library itself.
pub fn forward(app: AppHandle, state: Arc<AppState>, events: EventReceiver) {
    let spawned = std::thread::Builder::new()
        .name("glimpse-events".into())
        .spawn(move || run(&app, &state, &events));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the event forwarder; the UI will not see progress");
    }
}

/// How often a model switch's progress is read at most.
pub const SWITCH_POLL: Duration = Duration::from_secs(1);

fn run(app: &AppHandle, state: &AppState, events: &Receiver<Event>) {
    let mut throttle = Throttle::new(Duration::from_secs(1) / MAX_RATE_HZ);
    let mut poll = SwitchPoll::new(SWITCH_POLL);
    loop {
        let deadline = match (throttle.deadline(), poll.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = deadline.map_or(Duration::from_secs(1), |d| {
            d.saturating_duration_since(Instant::now())
        });
        let out = match events.recv_timeout(wait) {
            Ok(event) => {
                poll.note();
                throttle.push(event, state.paused(), Instant::now())
            }
            Err(RecvTimeoutError::Timeout) => throttle.due(Instant::now()),
            Err(RecvTimeoutError::Disconnected) => {
                for e in throttle.drain(Instant::now()) {
                    emit(app, state, &e);
                }
                return;
            }
        };
        for e in &out {
            emit(app, state, e);
        }
        if poll.due(Instant::now()) {
            crate::switch::poll(app, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payloads are what docs/IPC.md says (and what they were before the contract was
    /// generated): a newtype is its inner value, a unit struct `null`.
    #[test]
    fn event_payloads_keep_their_json_shapes() {
        use contract::*;
        use serde_json::json;
        let json = |v: &dyn erased::Json| v.json();
        assert_eq!(json(&IdleEvent), json!(null));
        assert_eq!(json(&FoldersChangedEvent), json!(null));
        assert_eq!(json(&ModelSwitchEvent(None)), json!(null));
        assert_eq!(
            json(&ItemFailedEvent(FailureDto {
                path: "/p/a.jpg".into(),
                reason: "corrupt".into()
            })),
            json!({"path": "/p/a.jpg", "reason": "corrupt"})
        );
        assert_eq!(
            json(&ThumbnailsReadyEvent {
                contents: vec![1, 2]
            }),
            json!({"contents": [1, 2]})
        );
        assert_eq!(
            json(&StoppedEvent {
                message: "disk full".into()
            }),
            json!({"message": "disk full"})
        );
        assert_eq!(
            json(&ProgressEvent(ProgressDto {
                done: 1,
                total: 2,
                current: None,
                rate: 0.5,
                paused: false
            })),
            json!({"done": 1, "total": 2, "current": null, "rate": 0.5, "paused": false})
        );
        assert_eq!(
            json(&ModelEvent(crate::dto::ModelState::Error {
                message: "no".into()
            })),
            json!({"state": "error", "message": "no"})
        );
    }

    mod erased {
        pub trait Json {
            fn json(&self) -> serde_json::Value;
        }
        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> serde_json::Value {
                serde_json::to_value(self).expect("serializable")
            }
        }
    }

    fn progress(done: u64) -> Event {
        Event::Progress {
            done,
            total: 100,
            current: Some(format!("/p/{done}.jpg").into()),
            rate: 1.0,
        }
    }

    fn done_of(out: &[Outgoing]) -> Vec<u64> {
        out.iter()
            .filter_map(|o| match o {
                Outgoing::Progress(p) => Some(p.done),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_burst_of_progress_is_coalesced_to_the_latest_per_interval() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut th = Throttle::new(ms(100));
        // The first event goes out at once: the UI reacts immediately to a new job.
        assert_eq!(done_of(&th.push(progress(1), false, t0)), vec![1]);
        let mut emitted = Vec::new();
        for i in 2..=50 {
            emitted.extend(th.push(progress(i), false, t0 + ms(i)));
        }
        assert!(
            emitted.is_empty(),
            "nothing within the interval: {emitted:?}"
        );
        assert_eq!(th.deadline(), Some(t0 + ms(100)));
        assert_eq!(
            done_of(&th.due(t0 + ms(100))),
            vec![50],
            "only the latest survives"
        );
        assert!(
            th.due(t0 + ms(150)).is_empty(),
            "nothing pending, nothing emitted"
        );
    }

    #[test]
    fn urgent_events_flush_pending_progress_first_and_are_never_throttled() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut th = Throttle::new(ms(100));
        th.push(progress(1), false, t0);
        th.push(progress(2), true, t0 + ms(10));
        th.push(
            Event::ThumbnailsReady {
                contents: vec![4, 5],
            },
            false,
            t0 + ms(11),
        );
        th.push(
            Event::ThumbnailsReady {
                contents: vec![5, 6],
            },
            false,
            t0 + ms(12),
        );
        let failed = th.push(
            Event::ItemFailed {
                path: "/p/bad.jpg".into(),
                reason: "corrupt".into(),
            },
            false,
            t0 + ms(13),
        );
        assert_eq!(failed.len(), 3, "{failed:?}");
        assert_eq!(
            failed[0],
            Outgoing::ThumbnailsReady(vec![4, 5, 6]),
            "thumbnails are merged"
        );
        match &failed[1] {
            Outgoing::Progress(p) => assert!(p.done == 2 && p.paused, "latest progress: {p:?}"),
            other => panic!("expected progress, got {other:?}"),
        }
        assert!(matches!(failed[2], Outgoing::ItemFailed { .. }));
        // Two urgent events in a row both go out at once.
        assert_eq!(
            th.push(Event::FoldersChanged, false, t0 + ms(14)),
            vec![Outgoing::FoldersChanged]
        );
        assert_eq!(
            th.push(Event::Idle, false, t0 + ms(15)),
            vec![Outgoing::Idle]
        );
        assert_eq!(th.deadline(), None);
    }

    #[test]
    fn a_burst_of_file_failures_sends_one_per_interval_and_then_one_folders_changed() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut th = Throttle::new(ms(100));
        let failed = |i: u64| Event::ItemFailed {
            path: format!("/p/bad-{i}.jpg").into(),
            reason: "corrupt".into(),
        };
        let mut out = Vec::new();
        // A folder of 1,000 unreadable files, failing in 50 ms.
        for i in 0..1000 {
            out.extend(th.push(failed(i), false, t0 + Duration::from_micros(i * 50)));
        }
        assert_eq!(
            out.len(),
            1,
            "one failure goes out at once: {:?}",
            &out[..out.len().min(3)]
        );
        assert!(matches!(&out[0], Outgoing::ItemFailed { path, .. } if path == "/p/bad-0.jpg"));
        assert!(
            th.due(t0 + ms(60)).is_empty(),
            "the rest waits for the interval"
        );
        assert_eq!(th.deadline(), Some(t0 + ms(100)));
        assert_eq!(
            th.due(t0 + ms(100)),
            vec![Outgoing::FoldersChanged],
            "the held failures are announced once; the UI reads them from status"
        );
        assert_eq!(th.deadline(), None);
        // A failure after a quiet interval goes out by itself again.
        let later = th.push(failed(1000), false, t0 + ms(250));
        assert!(
            matches!(later.as_slice(), [Outgoing::ItemFailed { .. }]),
            "{later:?}"
        );
        // Idle right after a held failure: the announcement first, then idle.
        th.push(failed(1001), false, t0 + ms(260));
        assert_eq!(
            th.push(Event::Idle, false, t0 + ms(270)),
            vec![Outgoing::FoldersChanged, Outgoing::Idle]
        );
    }

    #[test]
    fn drain_emits_whatever_is_pending() {
        let t0 = Instant::now();
        let mut th = Throttle::new(Duration::from_millis(100));
        th.push(progress(1), false, t0);
        th.push(progress(2), false, t0);
        assert_eq!(done_of(&th.drain(t0)), vec![2]);
        assert!(th.drain(t0).is_empty());
    }
    #[test]
    fn a_model_switch_is_delivered_at_once_after_pending_progress() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut th = Throttle::new(ms(100));
        th.push(progress(1), false, t0);
        th.push(progress(2), false, t0 + ms(10));
        let out = th.push(
            Event::ModelSwitched {
                model: "openai/clip-vit-base-patch32@abc+pp1".into(),
                complete: true,
            },
            false,
            t0 + ms(11),
        );
        assert_eq!(
            done_of(&out),
            vec![2],
            "the progress before it first: {out:?}"
        );
        assert_eq!(
            out.last(),
            Some(&Outgoing::ModelSwitched(
                "openai/clip-vit-base-patch32@abc+pp1".into()
            ))
        );
    }

    #[test]
    fn switch_progress_is_read_at_most_once_a_second_and_a_little_after_the_last_activity() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut poll = SwitchPoll::new(ms(1000));
        assert!(!poll.due(t0), "nothing happened: no read");
        assert_eq!(poll.deadline(), None);
        poll.note();
        assert!(poll.due(t0), "the first activity is read at once");
        let mut reads = 0;
        // Ten progress events a second for three seconds: three reads, not thirty.
        for i in 1..=30 {
            poll.note();
            if poll.due(t0 + ms(i * 100)) {
                reads += 1;
            }
        }
        assert_eq!(reads, 3, "one read per second of activity");
        // Then quiet: two more reads, a second apart, catch what came without an event.
        let after: Vec<u64> = (31..=100).filter(|i| poll.due(t0 + ms(i * 100))).collect();
        assert_eq!(
            after,
            vec![40, 50],
            "the read at the last activity and two more"
        );
        assert_eq!(poll.deadline(), None, "a quiet library is not read");
    }
}
