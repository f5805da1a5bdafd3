//! Harness for Glimpse's end-to-end tests: a private X display (Xvfb), `tauri-driver`
//! (which starts WebKitWebDriver, which starts the app), and a fantoccini WebDriver
//! session on the real `glimpse-app` binary.
//!
//! It builds nothing: it expects `target/debug/glimpse-app` (`cargo build -p glimpse-app`)
//! built after the UI (`npm --prefix ui run build`, which writes `ui/dist`, embedded at
//! compile time), plus `tauri-driver`, `WebKitWebDriver` and `Xvfb` on `PATH`
//! (`.ci/setup`). Each missing piece fails with a message saying how to get
//! it. When `DISPLAY` is set (e.g. under `xvfb-run`), that display is used; otherwise the
//! harness starts its own Xvfb, so a plain `cargo test -p glimpse-e2e` works headless.
//!
//! Every process it starts is put in its own process group and killed (by group id) when
//! the [`App`] is dropped, also when a test fails half-way.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long a process may take to open its port (tauri-driver, the app's first window).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the app may take from launch to a WebDriver session on its window, or to quit
/// when the session ends: a debug build on a busy 2-core machine takes seconds, never
/// minutes.
const SESSION_TIMEOUT: Duration = Duration::from_secs(120);

/// Removed from the app's environment, so that only what a test passes counts: a
/// developer's own settings must not leak in.
pub const DEVELOPER_ENV: [&str; 4] = [
    "GLIMPSE_MODEL_DIR",
    "GLIMPSE_DEMO",
    "GLIMPSE_DEMO_DIR",
    "HF_HUB_OFFLINE",
];

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")))
}

/// The debug app binary, or an error saying how to build it.
pub fn app_binary() -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        repo_root().join(target)
    };
    let bin = target.join("debug").join("glimpse-app");
    ensure!(
        bin.is_file(),
        "{} is missing: build the UI and then the app first:\n  npm --prefix ui ci && npm --prefix ui run build\n  cargo build -p glimpse-app",
        bin.display()
    );
    let dist = repo_root().join("ui/dist/index.html");
    ensure!(
        dist.is_file(),
        "{} is missing: run `npm --prefix ui run build`, then rebuild the app (the UI is embedded at compile time)",
        dist.display()
    );
    // A binary older than its UI or its shell code would test yesterday's app.
    let built = modified(&bin)?;
    let mut inputs = vec![dist, repo_root().join("src-tauri/tauri.conf.json")];
    let src = repo_root().join("src-tauri/src");
    for entry in
        std::fs::read_dir(&src).with_context(|| format!("{}: cannot list", src.display()))?
    {
        inputs.push(entry?.path());
    }
    for input in inputs {
        ensure!(
            modified(&input)? <= built,
            "{} is newer than {}: rebuild the app (`cargo build -p glimpse-app`)",
            input.display(),
            bin.display()
        );
    }
    Ok(bin)
}

fn modified(path: &Path) -> Result<std::time::SystemTime> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .with_context(|| format!("{}: cannot read its modification time", path.display()))
}

fn which(program: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .with_context(|| format!("{program} is not on PATH: run .ci/setup"))
}

/// A child process in its own process group, killed with its group on drop.
struct Group {
    name: &'static str,
    child: Child,
}

impl Group {
    fn spawn(name: &'static str, cmd: &mut Command) -> Result<Self> {
        // A new process group, so that the app started by WebKitWebDriver started by
        // tauri-driver can be ended together with it, by group id.
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Self { name, child })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        for signal in ["-TERM", "-KILL"] {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.wait();
        eprintln!("e2e: stopped {}", self.name);
    }
}

/// Starts Xvfb on a free display and returns it with its `:N` name.
fn start_xvfb() -> Result<(Group, String)> {
    let xvfb = which("Xvfb")?;
    // -displayfd: Xvfb picks a free display itself and writes its number to stdout once
    // it accepts connections (no guessing, no race with other X servers).
    let mut group = Group::spawn(
        "Xvfb",
        Command::new(xvfb)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
                // See .ci/test: no reset (which drops every connection) when the last
                // client leaves, as an app quits and the next one starts.
                "-noreset",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let stdout = group.child.stdout.take().context("Xvfb stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading Xvfb's display number")?;
    let n: u32 = line
        .trim()
        .parse()
        .with_context(|| format!("Xvfb printed {line:?} instead of a display number"))?;
    Ok((group, format!(":{n}")))
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for_port(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{what} did not open port {port} within {STARTUP_TIMEOUT:?}")
}

/// The app under test, driven through WebDriver.
pub struct App {
    /// The WebDriver session (the `main` window first).
    pub client: Client,
    /// The app's data folder (empty at start), unless the test's environment set
    /// `GLIMPSE_DATA_DIR`.
    pub data_dir: tempfile::TempDir,
    /// The X display the app runs on.
    pub display: String,
    // Dropped in this order: the driver (and with it the app), then the X server.
    _driver: Group,
    _xvfb: Option<Group>,
}

impl App {
    /// Starts the app with an empty data folder and the given extra environment.
    pub async fn start(env: &[(&str, &OsStr)]) -> Result<Self> {
        Self::start_binary(&app_binary()?, env).await
    }

    /// Ends the session (which quits the app).
    pub async fn close(self) -> Result<()> {
        let Self { client, .. } = self;
        // Bounded like the start: an app that hangs while quitting fails its test (the
        // driver's process group is killed on drop) instead of holding up the whole run.
        tokio::time::timeout(SESSION_TIMEOUT, client.close())
            .await
            .with_context(|| format!("the app did not quit within {SESSION_TIMEOUT:?}"))?
            .context("closing the WebDriver session")
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or fails after `timeout` with
/// `what` and the last observation.
pub async fn wait_until<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        if Instant::now() >= deadline {
            match last_err {
                Some(e) => {
                    bail!("timed out after {timeout:?} waiting for {what}; last error: {e:#}")
                }
                None => bail!("timed out after {timeout:?} waiting for {what}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where screenshots go: `$GLIMPSE_SCREENSHOT_DIR` (relative to the repository root), or
/// `target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("GLIMPSE_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/e2e-screenshots"));
    if dir.is_absolute() {
        dir
    } else {
        repo_root().join(dir)
    }
}

/// Saves a WebDriver screenshot of the current window as `<name>.png`, once the page has
/// painted: images decoded, two animation frames and the UI's short (≤ 0.25 s) transitions
/// over. Only the picture depends on this wait; no assertion does.
///
/// While it takes the picture an invisible pixel (1 % alpha) keeps changing: the app draws
/// without GL compositing (`windows.rs`), and there WebKitWebDriver's screenshot waits for
/// the page's next paint, which never comes on a page at rest (no caret blinking, no image
/// loading) — the suite hung on the preview until this.
pub async fn screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    // The e2e-only add-folder form is hidden for the picture (the docs use these images).
    let settle = r#"
        const done = arguments[0];
        const form = document.querySelector("[data-testid=add-folder-path]");
        if (form) form.style.visibility = "hidden";
        if (!document.getElementById("e2e-tick")) {
            const style = document.createElement("style");
            style.id = "e2e-tick-style";
            style.textContent = "@keyframes e2e-tick { from { background: transparent } to { background: rgba(0, 0, 0, 0.01) } }";
            const tick = document.createElement("div");
            tick.id = "e2e-tick";
            tick.style.cssText = "position: fixed; left: 0; top: 0; width: 1px; height: 1px; pointer-events: none; animation: e2e-tick 0.05s steps(2) infinite";
            document.head.append(style);
            document.body.append(tick);
        }
        const images = Array.from(document.images).filter((i) => !i.complete);
        Promise.all(images.map((i) => new Promise((r) => { i.onload = i.onerror = r; })))
            .then(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300))));
    "#;
    client
        .execute_async(settle, vec![])
        .await
        .context("waiting for the page to paint")?;
    let png = client.screenshot().await.context("taking a screenshot")?;
    let show_form = r#"
        const form = document.querySelector("[data-testid=add-folder-path]");
        if (form) form.style.visibility = "";
        document.getElementById("e2e-tick")?.remove();
        document.getElementById("e2e-tick-style")?.remove();
    "#;
    client.execute(show_form, vec![]).await?;
    ensure!(
        png.starts_with(b"\x89PNG"),
        "the screenshot of {name} is not a PNG"
    );
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).with_context(|| format!("{}: cannot write", path.display()))?;
    eprintln!("e2e: screenshot {}", path.display());
    Ok(path)
}

// ---------------------------------------------------------------------------------------
// Benchmark helpers (tests/bench.rs): a chosen app binary, and the app's processes as seen
// in /proc (start time, resident memory).

/// The app binary to measure: `$GLIMPSE_APP_BINARY` when set (e.g. a release build,
/// `target/release/glimpse-app`, relative to the repository root), else the debug binary
/// of [`app_binary`]. A binary given this way is not checked for staleness.
pub fn bench_app_binary() -> Result<PathBuf> {
    match std::env::var_os("GLIMPSE_APP_BINARY").filter(|v| !v.is_empty()) {
        Some(bin) => {
            let bin = PathBuf::from(bin);
            let bin = if bin.is_absolute() {
                bin
            } else {
                repo_root().join(bin)
            };
            ensure!(
                bin.is_file(),
                "GLIMPSE_APP_BINARY={} is not a file",
                bin.display()
            );
            Ok(bin)
        }
        None => app_binary(),
    }
}

impl App {
    /// Starts `binary` (see [`bench_app_binary`]) with an empty data folder and the given
    /// extra environment, under tauri-driver on `DISPLAY` or a private Xvfb.
    pub async fn start_binary(binary: &Path, env: &[(&str, &OsStr)]) -> Result<Self> {
        let driver_bin = which("tauri-driver")?;
        which("WebKitWebDriver")?;
        let data_dir = tempfile::Builder::new().prefix("glimpse-e2e-").tempdir()?;
        let (xvfb, display) = match std::env::var("DISPLAY") {
            Ok(d) if !d.is_empty() => (None, d),
            _ => {
                let (group, display) = start_xvfb()?;
                (Some(group), display)
            }
        };
        eprintln!("e2e: display {display}, app {}", binary.display());

        let port = free_port()?;
        let native_port = free_port()?;
        let mut cmd = Command::new(driver_bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", &display)
        // No accessibility bus under Xvfb: without this GTK waits for one at start.
        .env("NO_AT_BRIDGE", "1")
        .env("GLIMPSE_DATA_DIR", data_dir.path())
        .env("GLIMPSE_E2E", "1")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(Stdio::null());
        for k in DEVELOPER_ENV {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let driver = Group::spawn("tauri-driver", &mut cmd)?;
        wait_for_port(port, "tauri-driver")?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary }),
        );
        // WebKitWebDriver waits for the app without end when the app dies before its
        // window opens (a CI run once spent its last 85 minutes so, after GTK could not
        // open the display), so the wait has a bound and ends the test with a reason.
        let url = format!("http://127.0.0.1:{port}");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let client = match tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&url)).await {
            Ok(connected) => connected.context("cannot open a WebDriver session on the app")?,
            Err(_) => bail!(
                "cannot open a WebDriver session on the app: no window within \
                 {SESSION_TIMEOUT:?} (did the app exit? its log is above)"
            ),
        };
        Ok(Self {
            client,
            data_dir,
            display,
            _driver: driver,
            _xvfb: xvfb,
        })
    }

    /// The app's process and every process below it (WebKit's web and network
    /// processes), found under tauri-driver in /proc.
    pub fn processes(&self) -> Result<Vec<Proc>> {
        let all = list_processes()?;
        let below = |root: u32| {
            let mut found = vec![root];
            let mut i = 0;
            while i < found.len() {
                let parent = found[i];
                found.extend(all.iter().filter(|p| p.ppid == parent).map(|p| p.pid));
                i += 1;
            }
            found
        };
        let under_driver = below(self._driver.child.id());
        let app = all
            .iter()
            .find(|p| under_driver.contains(&p.pid) && p.name == "glimpse-app")
            .context("no glimpse-app process under tauri-driver")?;
        let tree = below(app.pid);
        Ok(all.into_iter().filter(|p| tree.contains(&p.pid)).collect())
    }
}

/// A process as seen in /proc.
#[derive(Debug, Clone)]
pub struct Proc {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// `comm` (at most 15 bytes: "WebKitWebProces").
    pub name: String,
    /// When it started (10 ms resolution: kernel clock ticks).
    pub started: std::time::SystemTime,
    /// Resident memory (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// Proportional set size (`Pss` of smaps_rollup: shared pages split among their
    /// users), KiB; 0 when unreadable.
    pub pss_kib: u64,
}

fn list_processes() -> Result<Vec<Proc>> {
    let uptime = std::fs::read_to_string("/proc/uptime").context("/proc/uptime: cannot read")?;
    let now = std::time::SystemTime::now();
    let uptime: f64 = uptime
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .context("/proc/uptime: unexpected format")?;
    let ticks = clock_ticks();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").context("/proc: cannot list")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes may end while being read: skip those.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After comm: state(0) ppid(1) … starttime is field 22 of stat, index 19 here.
        let (Some(ppid), Some(start_ticks)) = (
            fields.get(1).and_then(|v| v.parse::<u32>().ok()),
            fields.get(19).and_then(|v| v.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let age = (uptime - start_ticks as f64 / ticks).max(0.0);
        let started = now - Duration::from_secs_f64(age);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let smaps =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        out.push(Proc {
            pid,
            ppid,
            name,
            started,
            rss_kib: kib_field(&status, "VmRSS:"),
            pss_kib: kib_field(&smaps, "Pss:"),
        });
    }
    Ok(out)
}

fn kib_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Kernel clock ticks per second (`getconf CLK_TCK`; 100 on Linux in practice).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
