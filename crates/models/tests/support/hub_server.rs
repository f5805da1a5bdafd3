//! A stand-in for the Hugging Face hub on 127.0.0.1, answering hf-hub 0.5's sync client
//! the way huggingface.co does.
//!
//! What the real hub does, and this server copies:
//! - `GET {endpoint}/{repo}/resolve/{revision}/{file}` for a file kept in git answers
//!   `307` with a *relative* `Location: /api/resolve-cache/models/{repo}/{commit}/{file}?etag=..`
//!   plus `X-Repo-Commit` and `ETag` (the git blob id); the resolve-cache URL serves the bytes.
//! - the same for an LFS file answers `302` with an *absolute* `Location` on a CDN host and
//!   carries the metadata itself: `X-Repo-Commit`, `X-Linked-Etag` (the file's sha256),
//!   `X-Linked-Size`, `ETag` (the git id of the LFS pointer file).
//! - bodies honour `Range: bytes=a-b` / `bytes=a-` with `206` and `Content-Range`
//!   (`bytes a-b/total`), which hf-hub relies on both for metadata (`bytes=0-0`) and to
//!   resume a download.
//! - unknown repo, revision or file: `404` with `X-Error-Code` `RepoNotFound`,
//!   `RevisionNotFound` or `EntryNotFound`.
//!
//! Every response closes its connection. The server lives in one thread, stops when
//! dropped, and in any case after [`MAX_LIFETIME`] so a failing test cannot leave it behind.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha1::Digest as _;

/// The server stops by itself after this long, whatever the test does.
const MAX_LIFETIME: Duration = Duration::from_secs(120);
/// Longest wait for a client to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest request head accepted, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// One file of a fake repo.
#[derive(Clone)]
pub struct FakeFile {
    /// Path in the repo, e.g. `config.json`.
    pub name: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Stored in LFS (served through the CDN redirect, etag = sha256).
    pub lfs: bool,
}

/// A fake model repo at one commit of one revision. Several entries with one `id` and
/// different revisions make one repo with several branches or pull requests.
#[derive(Clone)]
pub struct FakeRepo {
    /// `org/name`.
    pub id: String,
    /// The commit `revision` points at (40 hex digits).
    pub commit: String,
    /// Its files.
    pub files: Vec<FakeFile>,
    /// The branch or ref, e.g. `main` or `refs/pr/15`.
    pub revision: String,
    /// The commit before `commit` (what the hub's commits API lists second).
    pub parent: Option<String>,
    /// For a `refs/pr/N` revision: the pull request as the discussions API lists it.
    pub pr: Option<FakePr>,
}

/// A pull request of a fake repo, as `/api/models/{repo}/discussions` lists it.
#[derive(Clone)]
pub struct FakePr {
    /// Its author's user name, e.g. `SFconvertbot`.
    pub author: String,
    /// Its title.
    pub title: String,
    /// `open`, `closed`, `merged` or `draft`.
    pub status: String,
}

impl FakeRepo {
    /// `files` on `main` at `commit`.
    pub fn main(id: &str, commit: &str, files: Vec<FakeFile>) -> Self {
        Self {
            id: id.to_owned(),
            commit: commit.to_owned(),
            files,
            revision: "main".to_owned(),
            parent: None,
            pr: None,
        }
    }
}

/// Misbehaviour to inject into LFS bodies (the CDN's responses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Serve faithfully.
    None,
    /// Announce the full length, send half of it, close the connection.
    CutLfsBodies,
    /// Send the full length with the file's last byte flipped.
    CorruptLfsBodies,
    /// Send no `Content-Length` (the body ends when the connection closes, which HTTP/1.1
    /// allows) and close after half: the client sees a clean end of a short body.
    CutLfsBodiesWithoutLength,
}

/// One request the server answered.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The status answered.
    pub status: u16,
}

impl std::fmt::Display for LoggedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.target)?;
        if let Some(range) = &self.range {
            write!(f, " [Range: {range}]")?;
        }
        write!(f, " -> {}", self.status)
    }
}

/// A file's hashes, computed once at start (hashing per request made the tests slow).
struct Hashes {
    sha256: String,
    git_id: String,
    /// Git id of the LFS pointer file that stands in git for an LFS file.
    pointer_git_id: String,
}

struct State {
    endpoint: String,
    repos: Vec<FakeRepo>,
    /// Per repo, per file.
    hashes: Vec<Vec<Hashes>>,
    fault: Mutex<Fault>,
    log: Mutex<Vec<LoggedRequest>>,
}

/// The running server; dropping it stops it.
pub struct HubServer {
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HubServer {
    /// Starts serving `repos` on a random port of 127.0.0.1.
    pub fn start(repos: Vec<FakeRepo>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let hashes = repos
            .iter()
            .map(|repo| {
                repo.files
                    .iter()
                    .map(|f| {
                        let sha256 = sha256_hex(&f.bytes);
                        let pointer = format!(
                            "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {}\n",
                            f.bytes.len()
                        );
                        Hashes { git_id: git_blob_id(&f.bytes), pointer_git_id: git_blob_id(pointer.as_bytes()), sha256 }
                    })
                    .collect()
            })
            .collect();
        let state = Arc::new(State {
            endpoint: format!("http://127.0.0.1:{port}"),
            repos,
            hashes,
            fault: Mutex::new(Fault::None),
            log: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || serve(&listener, &state, &stop))
        };
        Self {
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.state.endpoint.clone()
    }

    /// Sets the misbehaviour for the following requests.
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().expect("fault lock") = fault;
    }

    /// Takes the requests answered so far.
    pub fn take_requests(&self) -> Vec<LoggedRequest> {
        std::mem::take(&mut *self.state.log.lock().expect("log lock"))
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on which nothing listens (bound, then released).
pub fn closed_port_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// The git blob id of `bytes` (what the hub sends as the etag of a file kept in git).
pub fn git_blob_id(bytes: &[u8]) -> String {
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn serve(listener: &TcpListener, state: &State, stop: &AtomicBool) {
    let deadline = Instant::now() + MAX_LIFETIME;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => handle(stream, state),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return,
        }
    }
}

struct Request {
    method: String,
    target: String,
    headers: HashMap<String, String>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() > MAX_HEAD_BYTES {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

/// A response before it is written.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Bytes of `body` to send before closing (all when `None`).
    cut_at: Option<usize>,
    /// Leave out `Content-Length`, so the body is delimited by the connection's close.
    no_length: bool,
}

impl Response {
    fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut_at: None,
            no_length: false,
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn text(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    fn not_found(code: &str, message: &str) -> Self {
        Self::new(404)
            .header("X-Error-Code", code)
            .header("X-Error-Message", message)
            .text(message)
    }
}

fn handle(mut stream: TcpStream, state: &State) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let response = route(&request, state);
    state.log.lock().expect("log lock").push(LoggedRequest {
        method: request.method.clone(),
        target: request.target.clone(),
        range: request.headers.get("range").cloned(),
        status: response.status,
    });
    let reason = match response.status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Whatever",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !response.no_length {
        out.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let body = if request.method == "HEAD" {
        &[][..]
    } else {
        &response.body[..]
    };
    let body = &body[..response.cut_at.unwrap_or(body.len()).min(body.len())];
    let _ = stream
        .write_all(out.as_bytes())
        .and_then(|()| stream.write_all(body));
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn route(request: &Request, state: &State) -> Response {
    if request.method != "GET" && request.method != "HEAD" {
        return Response::new(405);
    }
    let path = request.target.split('?').next().unwrap_or_default();
    let repos = || state.repos.iter().zip(&state.hashes);
    if let Some(rest) = path.strip_prefix("/api/models/") {
        return api(rest, &request.target, state);
    }
    if let Some(sha) = path.strip_prefix("/cdn/") {
        let file = repos()
            .flat_map(|(repo, hashes)| repo.files.iter().zip(hashes))
            .find(|(f, h)| f.lfs && h.sha256 == sha)
            .map(|(f, _)| f);
        return match file {
            Some(file) => {
                let fault = *state.fault.lock().expect("fault lock");
                serve_bytes(request, &file.bytes, fault).header("ETag", format!("\"{sha}\""))
            }
            None => Response::new(404).text("NoSuchKey"),
        };
    }
    if let Some(rest) = path.strip_prefix("/api/resolve-cache/models/") {
        for (repo, hashes) in repos() {
            let Some(tail) = rest.strip_prefix(&format!("{}/", repo.id)) else {
                continue;
            };
            let Some((commit, name)) = tail.split_once('/') else {
                continue;
            };
            if commit != repo.commit {
                continue;
            }
            let found = repo.files.iter().zip(hashes).find(|(f, _)| f.name == name);
            if let Some((file, hashes)) = found {
                return serve_bytes(request, &file.bytes, Fault::None)
                    .header("X-Repo-Commit", &repo.commit)
                    .header("ETag", format!("\"{}\"", hashes.git_id));
            }
        }
        return Response::not_found("EntryNotFound", "Entry not found");
    }
    let Some((repo_id, tail)) = path.trim_start_matches('/').split_once("/resolve/") else {
        return Response::new(404).text("Not Found");
    };
    if !state.repos.iter().any(|r| r.id == repo_id) {
        return Response::not_found("RepoNotFound", "Repository not found");
    }
    let Some((revision, name)) = tail.split_once('/') else {
        return Response::not_found("EntryNotFound", "Entry not found");
    };
    // The hub takes `refs/pr/15` URL-encoded as one path segment.
    let revision = revision.replace("%2F", "/").replace("%2f", "/");
    let Some((repo, hashes)) =
        repos().find(|(r, _)| r.id == repo_id && (r.revision == revision || r.commit == revision))
    else {
        return Response::not_found("RevisionNotFound", "Invalid rev id");
    };
    let Some((file, hashes)) = repo.files.iter().zip(hashes).find(|(f, _)| f.name == name) else {
        return Response::not_found("EntryNotFound", "Entry not found")
            .header("X-Repo-Commit", &repo.commit);
    };
    if file.lfs {
        let sha = &hashes.sha256;
        let location = format!("{}/cdn/{sha}", state.endpoint);
        Response::new(302)
            .header("Location", &location)
            .header("X-Repo-Commit", &repo.commit)
            .header("X-Linked-Etag", format!("\"{sha}\""))
            .header("X-Linked-Size", file.bytes.len().to_string())
            .header("ETag", format!("\"{}\"", hashes.pointer_git_id))
            .text(&format!("Found. Redirecting to {location}"))
    } else {
        let etag = &hashes.git_id;
        let location = format!(
            "/api/resolve-cache/models/{}/{}/{name}?etag=%22{etag}%22",
            repo.id, repo.commit
        );
        Response::new(307)
            .header("Location", &location)
            .header("X-Repo-Commit", &repo.commit)
            .header("ETag", format!("\"{etag}\""))
            .text(&format!("Temporary Redirect. Redirecting to {location}"))
    }
}

/// The two JSON APIs transformers' safetensors auto-conversion reads:
/// `GET /api/models/{repo}/discussions?p=N` (pull requests, paginated like the hub: `count`,
/// `start`, one page of 2 here so that paging is exercised) and
/// `GET /api/models/{repo}/commits/{revision}` (newest first).
fn api(rest: &str, target: &str, state: &State) -> Response {
    const PAGE: usize = 2;
    let json = |value: serde_json::Value| {
        Response::new(200)
            .header("Content-Type", "application/json")
            .text(&value.to_string())
    };
    if let Some(repo_id) = rest.strip_suffix("/discussions") {
        if !state.repos.iter().any(|r| r.id == repo_id) {
            return Response::not_found("RepoNotFound", "Repository not found");
        }
        let page: usize = target
            .split_once("p=")
            .and_then(|(_, p)| p.split('&').next()?.parse().ok())
            .unwrap_or(0);
        let mut prs: Vec<(u64, &FakePr)> = state
            .repos
            .iter()
            .filter(|r| r.id == repo_id)
            .filter_map(|r| {
                let num = r.revision.strip_prefix("refs/pr/")?.parse().ok()?;
                Some((num, r.pr.as_ref()?))
            })
            .collect();
        // Newest first, as the hub lists them.
        prs.sort_by_key(|(num, _)| std::cmp::Reverse(*num));
        let listed: Vec<serde_json::Value> = prs
            .iter()
            .skip(page * PAGE)
            .take(PAGE)
            .map(|(num, pr)| {
                serde_json::json!({
                    "num": num, "title": pr.title, "status": pr.status,
                    "isPullRequest": true, "author": {"name": pr.author},
                    "createdAt": "2023-03-01T00:00:00.000Z",
                    "repo": {"name": repo_id, "type": "model"}
                })
            })
            .collect();
        return json(serde_json::json!({
            "discussions": listed, "count": prs.len(), "start": page * PAGE,
            "numItemsPerPage": PAGE
        }));
    }
    if let Some((repo_id, revision)) = rest.split_once("/commits/") {
        let revision = revision.replace("%2F", "/").replace("%2f", "/");
        let Some(repo) = state
            .repos
            .iter()
            .find(|r| r.id == repo_id && (r.revision == revision || r.commit == revision))
        else {
            return Response::not_found("RevisionNotFound", "Invalid rev id");
        };
        let mut commits = vec![serde_json::json!({"id": repo.commit, "title": "head"})];
        if let Some(parent) = &repo.parent {
            commits.push(serde_json::json!({"id": parent, "title": "parent"}));
        }
        return json(serde_json::Value::Array(commits));
    }
    Response::new(404).text("Not Found")
}

/// Serves `bytes`, honouring a `Range` header the way the hub and its CDN do.
fn serve_bytes(request: &Request, bytes: &[u8], fault: Fault) -> Response {
    let total = bytes.len();
    let range = request
        .headers
        .get("range")
        .and_then(|r| parse_range(r, total));
    let (status, start, end) = match range {
        Some(Ok((start, end))) => (206, start, end),
        Some(Err(())) => {
            return Response::new(416).header("Content-Range", format!("bytes */{total}"));
        }
        None => (200, 0, total.saturating_sub(1)),
    };
    let mut body = if total == 0 {
        Vec::new()
    } else {
        bytes[start..=end].to_vec()
    };
    let mut response = Response::new(status).header("Accept-Ranges", "bytes");
    if status == 206 {
        response = response.header("Content-Range", format!("bytes {start}-{end}/{total}"));
    }
    // Faults spare the one-byte metadata probes, so the client always learns the true size.
    if body.len() > 1 {
        match fault {
            Fault::None => {}
            Fault::CutLfsBodies => response.cut_at = Some(body.len() / 2),
            Fault::CutLfsBodiesWithoutLength => {
                response.cut_at = Some(body.len() / 2);
                response.no_length = true;
            }
            Fault::CorruptLfsBodies => {
                if end == total - 1
                    && let Some(last) = body.last_mut()
                {
                    *last ^= 0xff;
                }
            }
        }
    }
    response.body = body;
    response
}

/// `bytes=a-b` or `bytes=a-` to an inclusive range; `Err` when unsatisfiable.
fn parse_range(header: &str, total: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = header.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let start: usize = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => total.saturating_sub(1),
        end => end.parse::<usize>().ok()?.min(total.saturating_sub(1)),
    };
    if start >= total || end < start {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}
