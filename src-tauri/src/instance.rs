//! One app per data folder. Closing the window only hides it (the tray brings it back), so
//! people start Glimpse again to find it; a second app on the same data folder would get
//! a window that can only say the library is in use. Instead the second launch asks the
//! first to show its window, and exits.
//!
//! The first app holds an exclusive lock on `<data>/app.lock` for its whole life and
//! listens on `<data>/app.sock`; a launch that cannot take the lock connects there, sends
//! `show`, waits for `ok` and exits. Keyed by data folder, not by app id as
//! `tauri-plugin-single-instance` is (which also needs a D-Bus session on Linux): demo
//! mode and `GLIMPSE_DATA_DIR` libraries are separate apps and must stay so.
//!
//! Unix only (std has no Unix sockets on Windows); elsewhere every launch is the first,
//! and the library's own lock still keeps a second app off the data folder.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The lock file held by the first app on a data folder.
pub const LOCK_FILE: &str = "app.lock";
/// The socket the first app listens on.
pub const SOCKET_FILE: &str = "app.sock";

/// How long a later launch keeps trying to reach the first app: the first one takes the
/// lock a moment before it listens.
const CONNECT_PATIENCE: Duration = Duration::from_secs(3);

/// What this launch is.
pub enum Claim {
    /// The first app on the data folder. Keep it (and serve it) for the app's whole life.
    First(Primary),
    /// Another app has the data folder open and was asked to show its window.
    Forwarded,
}

/// The first app's hold on its data folder.
pub struct Primary {
    _lock: Option<File>,
    #[cfg(unix)]
    listener: Option<std::os::unix::net::UnixListener>,
    socket: PathBuf,
}

/// Decides whether this launch is the first on `data_dir`. Anything that keeps the check
/// from working (an unwritable folder, a path too long for a socket) is logged and makes
/// this launch the first: the worst case is the library's own "in use" message.
pub fn claim(data_dir: &Path) -> Claim {
    let lock_path = data_dir.join(LOCK_FILE);
    let socket = data_dir.join(SOCKET_FILE);
    let file = match File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(path = %lock_path.display(), error = %e, "cannot open the app lock; not checking for another Glimpse");
            return Claim::First(Primary::unlocked(socket));
        }
    };
    match file.try_lock() {
        Ok(()) => Claim::First(Primary::locked(file, socket)),
        Err(std::fs::TryLockError::WouldBlock) => {
            if ask_to_show(&socket) {
                Claim::Forwarded
            } else {
                tracing::warn!(
                    socket = %socket.display(),
                    "another Glimpse holds this data folder but did not answer; starting anyway"
                );
                Claim::First(Primary::unlocked(socket))
            }
        }
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!(path = %lock_path.display(), error = %e, "cannot lock the app lock; not checking for another Glimpse");
            Claim::First(Primary::unlocked(socket))
        }
    }
}

impl Primary {
    fn unlocked(socket: PathBuf) -> Self {
        Self {
            _lock: None,
            #[cfg(unix)]
            listener: None,
            socket,
        }
    }

    fn locked(file: File, socket: PathBuf) -> Self {
        #[cfg(unix)]
        {
            // Holding the lock, any socket file left here is a dead app's.
            let _ = std::fs::remove_file(&socket);
            let listener = match std::os::unix::net::UnixListener::bind(&socket) {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(socket = %socket.display(), error = %e, "cannot listen for later launches; they will find the library in use");
                    None
                }
            };
            Self {
                _lock: Some(file),
                listener,
                socket,
            }
        }
        #[cfg(not(unix))]
        Self {
            _lock: Some(file),
            socket,
        }
    }

    /// Answers later launches on a thread for as long as the returned guard lives, calling
    /// `on_show` for each.
    pub fn serve(self, on_show: impl Fn() + Send + 'static) -> Served {
        #[cfg(unix)]
        if let Some(listener) = &self.listener {
            match listener.try_clone() {
                Ok(listener) => {
                    let spawned = std::thread::Builder::new()
                        .name("glimpse-instance".into())
                        .spawn(move || answer(listener, on_show));
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, "cannot answer later launches");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot answer later launches"),
            }
        }
        #[cfg(not(unix))]
        let _ = on_show;
        Served { primary: self }
    }
}

/// Keeps the data folder claimed; removes the socket when dropped (at exit).
pub struct Served {
    primary: Primary,
}

impl Drop for Served {
    fn drop(&mut self) {
        #[cfg(unix)]
        if self.primary.listener.is_some() {
            let _ = std::fs::remove_file(&self.primary.socket);
        }
    }
}

#[cfg(unix)]
fn answer(listener: std::os::unix::net::UnixListener, on_show: impl Fn()) {
    use std::io::{BufRead, BufReader, Write};
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        // A client that connects and says nothing must not stop the next one.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut line = String::new();
        let read = BufReader::new(&stream).read_line(&mut line);
        if read.is_ok() && line.trim() == "show" {
            tracing::info!("Glimpse was started again on this data folder; showing the window");
            on_show();
            let _ = stream.write_all(b"ok\n");
        }
    }
}

/// Asks the app listening on `socket` to show its window; true once it said so.
#[cfg(unix)]
fn ask_to_show(socket: &Path) -> bool {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;
    let deadline = std::time::Instant::now() + CONNECT_PATIENCE;
    loop {
        if let Ok(mut stream) = UnixStream::connect(socket) {
            let _ = stream.set_read_timeout(Some(CONNECT_PATIENCE));
            let mut reply = String::new();
            if stream.write_all(b"show\n").is_ok()
                && BufReader::new(&stream).read_line(&mut reply).is_ok()
                && reply.trim() == "ok"
            {
                return true;
            }
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(not(unix))]
fn ask_to_show(_socket: &Path) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn first(claim: Claim) -> Primary {
        match claim {
            Claim::First(p) => p,
            Claim::Forwarded => panic!("expected the first claim on this folder"),
        }
    }

    #[test]
    fn a_second_launch_shows_the_first_apps_window_and_is_told_to_exit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (shown, showings) = mpsc::channel();
        let served = first(claim(dir.path())).serve(move || {
            let _ = shown.send(());
        });
        assert!(
            matches!(claim(dir.path()), Claim::Forwarded),
            "a second launch on the same folder is forwarded"
        );
        showings
            .recv_timeout(Duration::from_secs(5))
            .expect("the first app was asked to show its window");
        assert!(matches!(claim(dir.path()), Claim::Forwarded));
        showings
            .recv_timeout(Duration::from_secs(5))
            .expect("and again for the next launch");

        // Another data folder is another app.
        let other = tempfile::tempdir().expect("tempdir");
        let _other = first(claim(other.path()));

        drop(served);
        assert!(
            !dir.path().join(SOCKET_FILE).exists(),
            "the socket goes with the app"
        );
        let _again = first(claim(dir.path()));
    }

    #[test]
    fn a_dead_apps_socket_does_not_stop_the_next_launch() {
        let dir = tempfile::tempdir().expect("tempdir");
        // What a killed app leaves: the socket file with no one listening, the lock free.
        drop(std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET_FILE)).expect("bind"));
        assert!(dir.path().join(SOCKET_FILE).exists());
        let (shown, showings) = mpsc::channel();
        let _served = first(claim(dir.path())).serve(move || {
            let _ = shown.send(());
        });
        assert!(matches!(claim(dir.path()), Claim::Forwarded));
        showings
            .recv_timeout(Duration::from_secs(5))
            .expect("the new first app answers");
    }

    #[test]
    fn an_unreachable_first_app_lets_the_launch_go_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Holding the lock without listening: e.g. an app that is hung.
        let lock = File::create(dir.path().join(LOCK_FILE)).expect("create");
        lock.lock().expect("lock");
        let started = std::time::Instant::now();
        let claim = claim(dir.path());
        assert!(matches!(claim, Claim::First(_)), "not forwarded to no one");
        assert!(
            started.elapsed() >= CONNECT_PATIENCE,
            "it waited for the first app to start listening"
        );
    }
}
