//! Glimpse end to end: the real `glimpse-app` binary with its real UI, driven through
//! tauri-driver/WebKitWebDriver under Xvfb, on the bundled shapes model and photos.
//!
//! One test walks what a person does: add a folder, wait for indexing, search, open the
//! preview, find similar photos, open quick search, remove the folder. It also checks from
//! inside the webview that the `thumb` scheme serves a real thumbnail and refuses paths.
//! See `lib.rs` for what must be built first; screenshots go to `target/e2e-screenshots`
//! (or `$GLIMPSE_SCREENSHOT_DIR`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use glimpse_e2e::{App, repo_root, screenshot, wait_until};
use serde_json::{Value, json};

/// The stand-in Hugging Face hub of glimpse-embed's tests (hf-hub's protocol on 127.0.0.1),
/// shared rather than copied so both test the same hub behaviour.
#[allow(dead_code)]
#[path = "../../../crates/models/tests/support/hub_server.rs"]
mod hub_server;

/// Indexing 240 photos with a debug build on 2 busy cores; normally well under a minute.
const INDEX_TIMEOUT: Duration = Duration::from_secs(300);
/// UI reactions (a search, a preview opening).
const UI_TIMEOUT: Duration = Duration::from_secs(30);

fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// Calls a shell command through the webview's IPC bridge (the same path the UI's
/// `invoke` takes, including capability checks). Used to observe state, not to act.
async fn invoke(client: &Client, command: &str, args: Value) -> Result<Value> {
    let script = r#"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value === undefined ? null : value }),
                  (error) => done({ err: error }));
    "#;
    let reply = client
        .execute_async(script, vec![json!(command), args])
        .await
        .with_context(|| format!("invoking {command}"))?;
    match reply.get("ok") {
        Some(v) => Ok(v.clone()),
        None => bail!("{command} failed: {}", reply.get("err").unwrap_or(&reply)),
    }
}

/// The whole ranking for `text` (good matches first), as the `query` command pages it.
async fn ranking(client: &Client, text: &str, limit: u32) -> Result<Value> {
    let found = invoke(
        client,
        "query",
        json!({"text": text, "examples": [], "offset": 0, "limit": limit, "scope": "all"}),
    )
    .await?;
    Ok(found["hits"].clone())
}

async fn tile_paths(client: &Client) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for tile in client.find_all(css("[data-testid=tile]")).await? {
        paths.push(tile.attr("data-path").await?.unwrap_or_default());
    }
    Ok(paths)
}

/// The first element matching `selector` that is displayed, waiting for one.
async fn find(client: &Client, selector: &str) -> Result<Element> {
    let sel = selector.to_string();
    wait_until(UI_TIMEOUT, &format!("{selector} to be shown"), || {
        let sel = sel.clone();
        async move {
            for e in client.find_all(css(&sel)).await? {
                if e.is_displayed().await? {
                    return Ok(Some(e));
                }
            }
            Ok(None)
        }
    })
    .await
}

/// Adds a folder through the UI's own add-folder form (shown with `?e2e=1`, which the shell
/// adds under `GLIMPSE_E2E=1`): the same code path as the folder picker and drops, minus
/// the native dialog that WebDriver cannot drive.
async fn add_folder_through_ui(client: &Client, folder: &Path) -> Result<()> {
    let input = find(client, "[data-testid=add-folder-path] input").await?;
    // Set the value from script: the path may contain characters the driver's key
    // mapping does not cover, and typing 60 characters adds nothing to the test.
    client
        .execute(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            vec![serde_json::to_value(&input)?, json!(folder)],
        )
        .await?;
    find(client, "[data-testid=add-folder-path] button")
        .await?
        .click()
        .await
        .context("clicking the add-folder button")?;
    Ok(())
}

async fn wait_indexed(client: &Client, expect_photos: u64) -> Result<Value> {
    wait_until(INDEX_TIMEOUT, "the folder to be indexed", || async {
        let status = invoke(client, "status", json!({})).await?;
        let n = |k: &str| status[k].as_u64().unwrap_or(0);
        let done = n("photos") >= expect_photos
            && n("pending") == 0
            && n("indexed") + n("failed") == n("photos");
        Ok(done.then_some(status))
    })
    .await
}

/// Loads `src` as an image inside the webview: `Some(width)` if it decoded, `None` if the
/// load failed.
async fn load_image(client: &Client, src: &str) -> Result<Option<u64>> {
    let script = r#"
        const [src, done] = arguments;
        const img = new Image();
        img.onload = () => done(img.naturalWidth);
        img.onerror = () => done(null);
        img.src = src;
    "#;
    Ok(client
        .execute_async(script, vec![json!(src)])
        .await?
        .as_u64())
}

async fn check_thumb_scheme(client: &Client, content_id: i64, photo: &Path) -> Result<()> {
    let ok = load_image(client, &format!("thumb://localhost/{content_id}")).await?;
    ensure!(
        ok.is_some_and(|w| w > 0),
        "the thumbnail of content {content_id} must load through the thumb scheme"
    );
    // A real image file reached by path, by `../`, by escaped `../`: if the handler ever
    // joined the URL onto a folder, one of these would load. All must fail.
    let abs = photo.display().to_string();
    for src in [
        format!("thumb://localhost{abs}"),
        format!("thumb://localhost/../../../../..{abs}"),
        format!(
            "thumb://localhost/..%2F..%2F..%2F..%2F..{}",
            abs.replace('/', "%2F")
        ),
        "thumb://localhost/../../etc/passwd".to_string(),
        "thumb://localhost/abc".to_string(),
        format!("thumb://localhost/{content_id}abc"),
    ] {
        ensure!(
            load_image(client, &src).await?.is_none(),
            "{src} must not load through the thumb scheme"
        );
    }
    Ok(())
}

/// Shows the quick-search window (which does not exist before) and takes its screenshot,
/// then returns to `main`.
async fn screenshot_quick_window(client: &Client) -> Result<()> {
    // Made on first use: until then only `main` exists (and costs a web process).
    let before = client.windows().await?.len();
    ensure!(
        before == 1,
        "only the main window exists before quick search is first used: {before} windows"
    );
    invoke(client, "showQuickSearch", json!({})).await?;
    let main = client.window().await?;
    let mut quick = None;
    for handle in client.windows().await? {
        client.switch_to_window(handle.clone()).await?;
        if client.current_url().await?.as_str().contains("view=quick") {
            quick = Some(handle);
            break;
        }
    }
    let Some(_) = quick else {
        client.switch_to_window(main).await?;
        bail!("WebDriver lists no window with view=quick");
    };
    let quick_input = find(client, "[data-testid=quick-input]").await?;
    quick_input.send_keys("a red circle").await?;
    find(client, "[data-testid=quick-item]").await?;
    screenshot(client, "quick-search").await?;
    invoke(client, "hideQuickSearch", json!({})).await?;
    client.switch_to_window(main.clone()).await?;

    // Released when hidden (after a minute; a second under GLIMPSE_E2E): its web process
    // is given back, and the next use makes it again.
    wait_until(
        UI_TIMEOUT,
        "the hidden quick window to be released",
        || async { Ok((client.windows().await?.len() == 1).then_some(())) },
    )
    .await?;
    invoke(client, "showQuickSearch", json!({})).await?;
    let mut again = false;
    for handle in client.windows().await? {
        client.switch_to_window(handle.clone()).await?;
        if client.current_url().await?.as_str().contains("view=quick") {
            again = true;
            break;
        }
    }
    ensure!(again, "the quick window is made again after its release");
    find(client, "[data-testid=quick-input]").await?;
    invoke(client, "hideQuickSearch", json!({})).await?;
    client.switch_to_window(main).await?;
    Ok(())
}

async fn drive(client: &Client, shapes: &Path) -> Result<()> {
    // The window is up before the library: the UI renders, then the first status arrives.
    find(client, "[data-testid=search-input]").await?;
    let status = invoke(client, "status", json!({})).await?;
    ensure!(
        status["model"]["state"] == "ready",
        "GLIMPSE_MODEL_DIR's model must be loaded: {}",
        status["model"]
    );
    ensure!(
        status["folders"].as_array().is_some_and(|f| f.is_empty()),
        "a new data folder has no folders"
    );
    screenshot(client, "main-empty").await?;

    add_folder_through_ui(client, shapes).await?;
    let status = wait_indexed(client, 240).await?;
    ensure!(
        status["failed"] == 0,
        "no shape fails to index: {}",
        status["failures"]
    );
    let rows = find(client, "[data-testid=folder-row]").await?;
    ensure!(
        rows.attr("data-path").await?.as_deref() == Some(shapes.to_str().unwrap_or_default()),
        "the folder row shows the added folder"
    );

    // Search by typing, as a person does.
    let input = find(client, "[data-testid=search-input]").await?;
    input.send_keys("a red circle").await?;
    let paths = wait_until(
        UI_TIMEOUT,
        "red circles at the top of the results",
        || async {
            let paths = tile_paths(client).await?;
            Ok(
                (paths.len() >= 5 && paths[..5].iter().all(|p| p.contains("red-circle")))
                    .then_some(paths),
            )
        },
    )
    .await?;
    eprintln!("e2e: top results {:?}", &paths[..5]);
    screenshot(client, "results").await?;

    // The thumb scheme, from inside the webview, on a content id the UI is showing.
    let hits = ranking(client, "a red circle", 1).await?;
    let content_id = hits[0]["contentId"]
        .as_i64()
        .context("a hit has a contentId")?;
    check_thumb_scheme(client, content_id, &shapes.join("red-circle-000.jpg")).await?;
    // The search box's per-keystroke prefetch is granted and reaches the library (the UI
    // ignores its failures, so only this would show a refused one).
    let prefetched = invoke(client, "prefetchQuery", json!({"query": "a blue star"})).await?;
    ensure!(
        prefetched.is_null(),
        "prefetchQuery returns null: {prefetched}"
    );

    // Preview, then "find similar".
    let first = find(client, "[data-testid=tile]").await?;
    let previewed = first.attr("data-path").await?.unwrap_or_default();
    // Select with a click, open with Enter (the grid's keyboard path).
    first.click().await?;
    client
        .active_element()
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    find(client, "[data-testid=preview]").await?;
    screenshot(client, "preview").await?;
    find(client, "[data-testid=find-similar]")
        .await?
        .click()
        .await?;
    let similar = wait_until(UI_TIMEOUT, "similar photos", || {
        let previewed = previewed.clone();
        async move {
            let paths = tile_paths(client).await?;
            let fresh = !paths.is_empty() && !paths.contains(&previewed);
            Ok(fresh.then_some(paths))
        }
    })
    .await?;
    ensure!(
        similar[..3].iter().all(|p| p.contains("red-circle")),
        "the photos most similar to a red circle are red circles: {:?}",
        &similar[..3]
    );
    screenshot(client, "similar").await?;

    screenshot_quick_window(client).await?;

    // Back to the text results (the similar chip's ×), then remove the folder through its
    // row: the grid empties.
    find(client, "[data-testid=similar-clear]")
        .await?
        .click()
        .await?;
    wait_until(UI_TIMEOUT, "the text results to come back", || async {
        let paths = tile_paths(client).await?;
        Ok((!paths.is_empty() && paths[0].contains("red-circle-001")).then_some(()))
    })
    .await?;
    find(client, "[data-testid=folder-remove]")
        .await?
        .click()
        .await?;
    find(client, "[data-testid=folder-remove-confirm]")
        .await?
        .click()
        .await?;
    wait_until(
        UI_TIMEOUT,
        "the folder to be gone from the library",
        || async {
            let status = invoke(client, "status", json!({})).await?;
            let gone =
                status["photos"] == 0 && status["folders"].as_array().is_some_and(|f| f.is_empty());
            Ok(gone.then_some(()))
        },
    )
    .await?;
    let hits = ranking(client, "a red circle", 10).await?;
    ensure!(
        hits.as_array().is_some_and(|h| h.is_empty()),
        "search finds nothing once the folder is removed: {hits}"
    );
    wait_until(
        UI_TIMEOUT,
        "the grid to empty after removing the folder",
        || async {
            let tiles = client.find_all(css("[data-testid=tile]")).await?.len();
            let rows = client
                .find_all(css("[data-testid=folder-row]"))
                .await?
                .len();
            Ok((tiles == 0 && rows == 0).then_some(()))
        },
    )
    .await?;
    Ok(())
}

/// Starts the app; a session that cannot be opened at all (the driver answered nothing,
/// seen when other WebDriver runs share the machine) is retried once. Nothing of the app
/// has run at that point, so the retry hides no app behaviour.
async fn start_app(env: &[(&str, &OsStr)]) -> Result<App> {
    match App::start(env).await {
        Ok(app) => Ok(app),
        Err(e) if format!("{e:#}").contains("cannot open a WebDriver session") => {
            eprintln!("e2e: retrying the start once: {e:#}");
            App::start(env).await
        }
        Err(e) => Err(e),
    }
}

/// One app at a time: each test starts its own X server and driver, but two debug apps
/// indexing at once on a 2-core machine only make both slow.
static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Closes the session in every case (it quits the app), then reports the first failure.
async fn finish(app: App, outcome: Result<()>, test: &str) -> Result<()> {
    if outcome.is_err() {
        let _ = screenshot(&app.client, &format!("failure-{test}")).await;
    }
    let closed = app.close().await;
    outcome?;
    closed
}

async fn first_run(client: &Client) -> Result<()> {
    find(client, "[data-testid=search-input]").await?;
    let status = invoke(client, "status", json!({})).await?;
    ensure!(
        status["model"]
            == json!({
                "state": "missing",
                "defaultRepo": "google/siglip2-base-patch16-224",
                // The catalogue's figure: weights, tokenizer and configs.
                "downloadBytes": 1_500_800_904u64 + 34_363_039 + 4_000,
            }),
        "without a model in the cache the first status says missing: {}",
        status["model"]
    );
    // The UI offers the download and says how large it is; nothing went online to find
    // that out.
    find(client, "[data-testid=model-download]").await?;
    let screen = text_of(client, "[data-testid=empty-state]").await?;
    ensure!(
        screen.contains("about 1.5 GB") && screen.contains("google/siglip2-base-patch16-224"),
        "the first-run screen names the model and its size: {screen}"
    );
    let err = ranking(client, "a dog", 5)
        .await
        .expect_err("search without a model must fail");
    ensure!(
        err.to_string().contains("no_model"),
        "search without a model fails with code no_model: {err:#}"
    );
    screenshot(client, "first-run").await?;
    Ok(())
}

/// Launching Glimpse again on the same data folder (closing the window only hides it, so
/// people do) must bring the running app forward and exit, not open a second window on a
/// library it cannot open.
async fn second_launch(app: &App) -> Result<()> {
    let mut cmd = std::process::Command::new(glimpse_e2e::app_binary()?);
    cmd.env("DISPLAY", &app.display)
        .env("NO_AT_BRIDGE", "1")
        .env("GLIMPSE_DATA_DIR", app.data_dir.path())
        .env_remove("GLIMPSE_E2E")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().context("starting a second app")?;
    let exited = wait_until(UI_TIMEOUT, "the second launch to exit", || {
        let polled = child.try_wait();
        async move { Ok(polled?) }
    })
    .await;
    let status = match exited {
        Ok(status) => status,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e.context("a second launch on the same data folder kept running"));
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
    }
    ensure!(
        status.success(),
        "the second launch exits cleanly: {status}; stderr:\n{stderr}"
    );
    ensure!(
        stderr.contains("already running") && stderr.contains("brought forward"),
        "the second launch says why it exits; stderr:\n{stderr}"
    );
    // The first app was asked to show its window, and still works.
    let logs = app.data_dir.path().join("logs");
    wait_until(
        UI_TIMEOUT,
        "the first app to log the second launch",
        || async {
            let mut text = String::new();
            for entry in std::fs::read_dir(&logs)? {
                text.push_str(&std::fs::read_to_string(entry?.path())?);
            }
            Ok(text
                .contains("Glimpse was started again on this data folder")
                .then_some(()))
        },
    )
    .await?;
    let windows = app.client.windows().await?;
    ensure!(windows.len() == 1, "no window was added: {windows:?}");
    invoke(&app.client, "status", json!({})).await?;
    Ok(())
}

/// Started with no display at all (over ssh, from a service), the app says so in one
/// line and exits 1 instead of panicking in tao with a backtrace.
#[test]
fn without_a_display_the_app_says_so_and_exits() -> Result<()> {
    let data = tempfile::tempdir()?;
    let mut cmd = std::process::Command::new(glimpse_e2e::app_binary()?);
    for k in ["DISPLAY", "WAYLAND_DISPLAY", "GDK_BACKEND"]
        .into_iter()
        .chain(glimpse_e2e::DEVELOPER_ENV)
    {
        cmd.env_remove(k);
    }
    let out = cmd
        .env("GLIMPSE_DATA_DIR", data.path())
        .env("NO_AT_BRIDGE", "1")
        .output()
        .context("running the app")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1),
        "exit status {:?}; stderr: {stderr}",
        out.status
    );
    ensure!(
        stderr.contains("glimpse: cannot open a display (DISPLAY=unset, WAYLAND_DISPLAY=unset)")
            && stderr.contains("the `glimpse` command"),
        "one line that says what is missing: {stderr}"
    );
    ensure!(!stderr.contains("panicked"), "no panic: {stderr}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_without_a_model_offers_the_download() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    // An empty Hugging Face cache: the default model is "not downloaded yet".
    let hf_home = tempfile::tempdir()?;
    let app = start_app(&[("HF_HOME", hf_home.path().as_os_str())]).await?;
    let outcome = async {
        first_run(&app.client).await?;
        second_launch(&app).await
    }
    .await;
    finish(app, outcome, "first-run").await
}

/// What `glimpse index` in a terminal does to the app: it holds the library's lock
/// (`glimpse.lock`, an exclusive file lock, as `glimpse_engine` takes it) until it ends.
async fn in_use_until_freed(app: &App, lock: std::fs::File) -> Result<()> {
    let card = find(&app.client, "[data-testid=in-use-waiting]").await?;
    let text = find(&app.client, "[data-testid=empty-state]")
        .await?
        .text()
        .await?;
    ensure!(
        text.contains("This library is open in another Glimpse")
            && text.contains(&format!("(process {})", std::process::id()))
            && text.contains("opens it by itself"),
        "the window says who has the library: {text}"
    );
    ensure!(card.is_displayed().await?);
    screenshot(&app.client, "in-use").await?;
    drop(lock);
    // The app opens the library by itself, model and all; the UI follows.
    let status = wait_until(UI_TIMEOUT, "the library to open once freed", || async {
        Ok(invoke(&app.client, "status", json!({})).await.ok())
    })
    .await?;
    ensure!(
        status["model"]["state"] == "ready",
        "the model is loaded too: {}",
        status["model"]
    );
    find(
        &app.client,
        "[data-testid=empty-state][data-state=no-folders]",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_open_elsewhere_opens_when_it_is_freed() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let data = tempfile::tempdir()?;
    let lock = std::fs::File::create(data.path().join("glimpse.lock"))?;
    lock.lock()?;
    std::io::Write::write_all(&mut &lock, std::process::id().to_string().as_bytes())?;
    let model = repo_root().join("tests/fixtures/shapes-clip");
    let app = start_app(&[
        ("GLIMPSE_DATA_DIR", data.path().as_os_str()),
        ("GLIMPSE_MODEL_DIR", model.as_os_str()),
    ])
    .await?;
    let outcome = in_use_until_freed(&app, lock).await;
    finish(app, outcome, "in-use").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_search_preview_similar_quick_and_remove_in_the_real_app() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let root = repo_root();
    let model = root.join("tests/fixtures/shapes-clip");
    let shapes = root.join("tests/fixtures/shapes");
    let app = start_app(&[("GLIMPSE_MODEL_DIR", model.as_os_str())]).await?;
    let outcome = drive(&app.client, &shapes).await;
    finish(app, outcome, "library").await
}

/// A query the shapes model finds nothing good for (it knows coloured shapes, not cakes):
/// checked against the engine first, so the "no good matches" state is the model's answer.
const NOTHING_GOOD: &str = "birthday cake";

/// Days from 1970-01-01 to the first of each month of 2023.
const MONTHS_2023: [i64; 12] = [
    19_358, 19_389, 19_417, 19_448, 19_478, 19_509, 19_539, 19_570, 19_601, 19_631, 19_662, 19_692,
];

/// The month (1–12, of 2023) a shape's copy is dated in: its number spread over the year.
fn shape_month(name: &str) -> Option<u32> {
    let number: u32 = name.rsplit('-').next()?.split('.').next()?.parse().ok()?;
    Some(number % 12 + 1)
}

/// Copies the shapes into `root/shapes/<shape>s/`, each file dated (modification time) in
/// the middle of its month of 2023, so the timeline and date filters have something to show.
fn dated_shapes(root: &Path) -> Result<std::path::PathBuf> {
    let shapes = root.join("shapes");
    for entry in std::fs::read_dir(repo_root().join("tests/fixtures/shapes"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .context("a file name")?
            .to_string_lossy()
            .into_owned();
        let (Some(month), Some(shape)) = (shape_month(&name), name.split('-').nth(1)) else {
            continue;
        };
        let dir = shapes.join(format!("{shape}s"));
        std::fs::create_dir_all(&dir)?;
        let to = dir.join(&name);
        std::fs::copy(&path, &to)?;
        let day = MONTHS_2023[month as usize - 1] + 14;
        let when = std::time::UNIX_EPOCH + Duration::from_secs(day as u64 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&to)?
            .set_modified(when)?;
    }
    Ok(shapes)
}

/// Replaces the search box's text the way a person does: empty it, type.
async fn set_query(client: &Client, text: &str) -> Result<()> {
    let input = find(client, "[data-testid=search-input]").await?;
    client
        .execute(
            "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            vec![serde_json::to_value(&input)?],
        )
        .await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Waits for the status line to describe `text`'s results and returns it with the good count.
async fn wait_results_for(client: &Client, text: &str) -> Result<(String, u64)> {
    let want = format!("for \u{201c}{text}\u{201d}");
    wait_until(UI_TIMEOUT, &format!("the results of {text:?}"), || {
        let want = want.clone();
        async move {
            // textContent: WebKitWebDriver's text of an ellipsised line can come back empty.
            let state = client
                .execute(
                    "const line = document.querySelector('[data-testid=result-count]');
                     return {
                         shown: line ? line.textContent : '',
                         good: line ? (line.dataset.good || '') : '',
                         busy: !document.querySelector('.searchbar .spinner').hidden,
                     };",
                    vec![],
                )
                .await?;
            let shown = state["shown"].as_str().unwrap_or_default().to_string();
            let good = state["good"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .unwrap_or(0);
            Ok((shown.contains(&want) && state["busy"] == false).then_some((shown, good)))
        }
    })
    .await
}

/// The divider's top and each drawn tile's top, goodness and path, from the grid's layout.
const GRID_LAYOUT: &str = r#"
    const px = (el, re) => Number((re.exec(el.style.transform) || [])[1]);
    const d = document.querySelector("[data-testid=divider]");
    return {
        divider: d && !d.hidden ? px(d, /translateY\(([-\d.]+)px\)/) : null,
        tiles: Array.from(document.querySelectorAll("[data-testid=tile]")).map((t) => ({
            top: px(t, /translate\([^,]+, ([-\d.]+)px\)/),
            good: t.dataset.good === "true",
            path: t.dataset.path,
        })),
    };
"#;

/// The paths of the good matches the shell lists for `text`.
async fn good_paths(client: &Client, text: &str) -> Result<Vec<String>> {
    let found = invoke(
        client,
        "query",
        json!({"text": text, "examples": [], "offset": 0, "limit": 400, "scope": "good"}),
    )
    .await?;
    Ok(found["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|h| h["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

async fn query_flow(client: &Client, shapes: &Path) -> Result<()> {
    find(client, "[data-testid=search-input]").await?;
    add_folder_through_ui(client, shapes).await?;
    let status = wait_indexed(client, 240).await?;
    ensure!(
        status["failed"] == 0,
        "no shape fails: {}",
        status["failures"]
    );

    // Good matches first, with their count; a divider; the less likely ones below it.
    set_query(client, "a red circle").await?;
    let (line, good) = wait_results_for(client, "a red circle").await?;
    let listed = good_paths(client, "a red circle").await?;
    eprintln!("e2e: {line}: {listed:?}");
    ensure!(
        good > 1 && good as usize == listed.len(),
        "the count is the shell's good matches: {line} vs {}",
        listed.len()
    );
    ensure!(
        line == format!("{good} good matches for \u{201c}a red circle\u{201d}"),
        "{line}"
    );
    let red = listed
        .iter()
        .filter(|p| file_name(p).starts_with("red-circle"))
        .count();
    ensure!(
        red * 10 >= listed.len() * 8,
        "the good matches are red circles: {listed:?}"
    );
    let layout = wait_until(
        UI_TIMEOUT,
        "the divider and the less likely ones",
        || async {
            let layout = client.execute(GRID_LAYOUT, vec![]).await?;
            let below = layout["tiles"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["good"] == false));
            Ok((layout["divider"].is_number() && below).then_some(layout))
        },
    )
    .await?;
    let top = layout["divider"].as_f64().unwrap_or_default();
    for tile in layout["tiles"].as_array().into_iter().flatten() {
        let above = tile["top"].as_f64().unwrap_or_default() < top;
        ensure!(
            above == (tile["good"] == true),
            "good matches above the divider, the rest below: {tile} (divider at {top})"
        );
    }
    ensure!(
        text_of(client, "[data-testid=divider]")
            .await?
            .contains("Less likely"),
        "the divider says what follows"
    );
    // The picture: the end of the good matches, the divider and the first less likely ones.
    client
        .execute(
            "const g = document.querySelector('[data-testid=grid]'); \
             g.scrollTop = Math.max(0, arguments[0] - g.clientHeight * 0.5);",
            vec![json!(top)],
        )
        .await?;
    screenshot(client, "good-matches-divider").await?;

    // A malformed query: the message under the box names the token.
    set_query(client, "a red circle colour:red").await?;
    let error = find(client, "[data-testid=query-error]").await?;
    let message = error.text().await?;
    ensure!(
        message.contains("colour:red"),
        "the error names the token: {message}"
    );
    ensure!(error.attr("role").await?.as_deref() == Some("alert"));

    // A query with nothing good says so and offers the closest.
    let none = good_paths(client, NOTHING_GOOD).await?;
    ensure!(
        none.is_empty(),
        "{NOTHING_GOOD:?} has no good match: {none:?}"
    );
    set_query(client, NOTHING_GOOD).await?;
    find(client, "[data-testid=empty-state][data-state=no-good]").await?;
    let title = text_of(client, "[data-testid=no-good-title]").await?;
    ensure!(
        title == format!("No good matches for \u{201c}{NOTHING_GOOD}\u{201d}"),
        "{title}"
    );
    ensure!(
        find(client, "[data-testid=search-input]")
            .await?
            .attr("aria-invalid")
            .await?
            .is_none(),
        "no error is left under the box"
    );
    screenshot(client, "no-good-matches").await?;
    find(client, "[data-testid=show-closest]")
        .await?
        .click()
        .await?;
    wait_until(UI_TIMEOUT, "the closest photos", || async {
        let line = text_of(client, "[data-testid=result-count]").await?;
        let tiles = client.find_all(css("[data-testid=tile]")).await?.len();
        Ok((tiles > 0 && line.contains("showing the closest")).then_some(()))
    })
    .await?;

    // Chips for a date range and a type; `in:` completed from the library's folders.
    let suggested = invoke(client, "suggest", json!({"key": "in", "prefix": "s"})).await?;
    ensure!(
        suggested[0] == json!({"value": "shapes", "count": 240}),
        "the library's folder first, with its photos: {suggested}"
    );
    set_query(
        client,
        "a red circle after:2023-02 before:2023-07 type:jpeg in:s",
    )
    .await?;
    let options = wait_until(UI_TIMEOUT, "folder suggestions", || async {
        let mut values = Vec::new();
        for o in client.find_all(css("[data-testid=suggestion]")).await? {
            if o.is_displayed().await? {
                values.push(o.attr("data-value").await?.unwrap_or_default());
            }
        }
        Ok((!values.is_empty()).then_some(values))
    })
    .await?;
    ensure!(
        options.first().map(String::as_str) == Some("shapes")
            && options.iter().any(|o| o == "stars"),
        "in:s offers the folders whose name has an s, those starting with it first: {options:?}"
    );
    let chips = client
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=filter-chip]')).map((c) => [c.dataset.kind, c.textContent]);",
            vec![],
        )
        .await?;
    ensure!(
        chips == json!([["date", "Feb 2023 \u{2013} Jun 2023"], ["type", "JPEG"]]),
        "a date chip and a type chip (the folder is still being typed): {chips}"
    );
    screenshot(client, "query-chips").await?;
    find(client, "[data-testid=search-input]")
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    let text = "a red circle after:2023-02 before:2023-07 type:jpeg in:shapes";
    let (line, good) = wait_results_for(client, text).await?;
    ensure!(good > 0, "{line}");
    for path in good_paths(client, text).await? {
        let name = file_name(&path);
        let month = shape_month(name).unwrap_or_default();
        ensure!(
            path.starts_with(shapes.to_str().unwrap_or_default())
                && name.ends_with(".jpg")
                && (2..=6).contains(&month),
            "{path} passes in:shapes, type:jpeg and Feb–Jun 2023"
        );
    }
    find(
        client,
        "[data-testid=filter-chip][data-kind=date] [data-testid=chip-remove]",
    )
    .await?
    .click()
    .await?;
    let value = find(client, "[data-testid=search-input]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        value == "a red circle type:jpeg in:shapes",
        "removing the date chip removes both dates: {value:?}"
    );

    // The timeline of the good matches; a month narrows the query to it.
    set_query(client, "a red circle").await?;
    let (_, good) = wait_results_for(client, "a red circle").await?;
    let months = invoke(
        client,
        "timeline",
        json!({"text": "a red circle", "examples": []}),
    )
    .await?;
    let months = months.as_array().cloned().unwrap_or_default();
    ensure!(
        months
            .iter()
            .map(|m| m["count"].as_u64().unwrap_or(0))
            .sum::<u64>()
            == good,
        "every good match is in one month: {months:?}"
    );
    let bars = wait_until(UI_TIMEOUT, "the timeline", || async {
        let mut bars = Vec::new();
        for b in client.find_all(css("[data-testid=timeline-month]")).await? {
            if b.is_displayed().await? {
                bars.push(b.attr("data-month").await?.unwrap_or_default());
            }
        }
        Ok((bars.len() == months.len()).then_some(bars))
    })
    .await?;
    ensure!(
        bars.iter()
            .zip(&months)
            .all(|(b, m)| m["month"] == b.as_str()),
        "one bar per month with good matches: {bars:?} vs {months:?}"
    );
    screenshot(client, "query-timeline").await?;
    let busiest = months
        .iter()
        .max_by_key(|m| m["count"].as_u64())
        .context("a month")?;
    let month = busiest["month"].as_str().unwrap_or_default().to_string();
    find(
        client,
        &format!("[data-testid=timeline-month][data-month=\"{month}\"]"),
    )
    .await?
    .click()
    .await?;
    let (year, m) = month.split_once('-').context("YYYY-MM")?;
    let m: u32 = m.parse()?;
    let next = if m == 12 {
        format!("{}-01", year.parse::<u32>()? + 1)
    } else {
        format!("{year}-{:02}", m + 1)
    };
    let narrowed = format!("a red circle after:{month} before:{next}");
    let (line, in_month) = wait_results_for(client, &narrowed).await?;
    ensure!(
        in_month == busiest["count"].as_u64().unwrap_or(0),
        "the month's good matches: {line} vs {busiest}"
    );
    for path in good_paths(client, &narrowed).await? {
        ensure!(
            shape_month(file_name(&path)) == Some(m),
            "{path} is dated in {month}"
        );
    }

    // The help lists every key.
    find(client, "[data-testid=query-help-toggle]")
        .await?
        .click()
        .await?;
    let help = find(client, "[data-testid=query-help]").await?;
    let text = help.text().await?;
    for k in [
        "in:",
        "after:",
        "before:",
        "type:",
        "camera:",
        "orientation:",
        "name:",
        "sort:",
        "-word",
    ] {
        ensure!(text.contains(k), "the help lists {k}: {text}");
    }
    client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    wait_until(UI_TIMEOUT, "the help to close", || async {
        Ok((!help.is_displayed().await?).then_some(()))
    })
    .await?;
    Ok(())
}

/// Issues 17 and 19 in the app, on the shapes copied into subfolders and dated over 2023:
/// good matches with their count and the divider before the less likely ones; a malformed
/// query's message under the box; a query with nothing good; chips for a date range and a
/// type, `in:` completed from the library's folders; the timeline and a month clicked; the
/// help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_box_shows_good_matches_filters_and_the_timeline_in_the_real_app() -> Result<()>
{
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let model = repo_root().join("tests/fixtures/shapes-clip");
    let photos = tempfile::tempdir()?;
    let shapes = dated_shapes(photos.path())?;
    let app = start_app(&[("GLIMPSE_MODEL_DIR", model.as_os_str())]).await?;
    let outcome = query_flow(&app.client, &shapes).await;
    finish(app, outcome, "query").await
}

async fn download_model(client: &Client, hf_home: &Path) -> Result<()> {
    find(client, "[data-testid=model-download]")
        .await?
        .click()
        .await?;
    let status = wait_until(UI_TIMEOUT, "the downloaded model to be ready", || async {
        let status = invoke(client, "status", json!({})).await?;
        match status["model"]["state"].as_str() {
            Some("ready") => Ok(Some(status)),
            Some("error") => bail!("the download failed: {}", status["model"]),
            _ => Ok(None),
        }
    })
    .await?;
    let id = status["model"]["id"].as_str().unwrap_or_default();
    ensure!(
        id.starts_with("google/siglip2-base-patch16-224"),
        "the default repo was downloaded and loaded: {}",
        status["model"]
    );
    let cached = hf_home.join("hub/models--google--siglip2-base-patch16-224");
    ensure!(cached.is_dir(), "{} holds the download", cached.display());
    // The UI left the set-up screen for the library's empty state.
    find(client, "[data-testid=empty-add-folder]").await?;
    let settings = invoke(client, "getSettings", json!({})).await?;
    ensure!(
        settings["modelSource"] == "siglip2-b16-224",
        "the choice is remembered, as the catalogue names it: {settings}"
    );
    screenshot(client, "model-downloaded").await?;
    Ok(())
}

/// First run with a hub: "Download the model" fetches the default repo (from a stand-in
/// hub serving the trained shapes SigLIP under that name, laid out as Google's repo is: one
/// F32 `model.safetensors` on `main`, with the Gemma tokenizer files) and the library opens
/// with it. The conversion-bot layout of older repos is the model switch test's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_download_makes_the_library_ready() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let model_dir = repo_root().join("tests/fixtures/shapes-siglip");
    let file = |name: &str, lfs: bool| -> Result<hub_server::FakeFile> {
        Ok(hub_server::FakeFile {
            name: name.to_string(),
            bytes: std::fs::read(model_dir.join(name))?,
            lfs,
        })
    };
    let files = vec![
        file("config.json", false)?,
        file("model.safetensors", true)?,
        file("preprocessor_config.json", false)?,
        file("special_tokens_map.json", false)?,
        file("tokenizer.json", false)?,
        file("tokenizer_config.json", false)?,
    ];
    let hub = hub_server::HubServer::start(vec![hub_server::FakeRepo::main(
        "google/siglip2-base-patch16-224",
        "0123456789abcdef0123456789abcdef01234567",
        files,
    )]);
    let hf_home = tempfile::tempdir()?;
    let endpoint = hub.endpoint();
    let app = start_app(&[
        ("HF_HOME", hf_home.path().as_os_str()),
        ("HF_ENDPOINT", OsStr::new(&endpoint)),
    ])
    .await?;
    let outcome = download_model(&app.client, hf_home.path()).await;
    finish(app, outcome, "download").await
}

/// A model folder with only a PyTorch pickle (as many hub repos have): the model screen
/// says why Glimpse will not use it, in words a user understands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickle_only_model_is_explained_on_the_model_screen() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let model = repo_root().join("tests/fixtures/hub-layouts/pickle-only");
    let app = start_app(&[("GLIMPSE_MODEL_DIR", model.as_os_str())]).await?;
    let outcome = async {
        let text = wait_until(UI_TIMEOUT, "the model screen's explanation", || async {
            let error = find(&app.client, "[data-testid=model-error]").await?;
            let text = error.text().await?;
            Ok((error.is_displayed().await? && !text.is_empty()).then_some(text))
        })
        .await?;
        ensure!(
            text.contains("pytorch_model.bin")
                && text.contains("run any program")
                && text.contains("model.safetensors"),
            "the screen names the file and the reason: {text}"
        );
        screenshot(&app.client, "model-pickle-only").await?;
        Ok(())
    }
    .await;
    finish(app, outcome, "pickle-only").await
}

/// Calls a command that must be refused and returns the refusal's text.
async fn refused(client: &Client, command: &str, args: Value) -> Result<String> {
    match invoke(client, command, args.clone()).await {
        Ok(v) => bail!("{command}({args}) must be refused, but returned {v}"),
        Err(e) => Ok(format!("{e:#}")),
    }
}

/// A local HTTP listener that only counts connections: if the CSP let a request out of
/// the webview, it would arrive here.
struct Listener {
    port: u16,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Listener {
    fn start() -> Result<Self> {
        let socket = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = socket.local_addr()?.port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in socket.incoming() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if let Ok(mut s) = stream {
                    use std::io::Write;
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAccess-Control-Allow-Origin: *\r\n\r\n");
                }
            }
        });
        Ok(Self { port, hits })
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The CSP: an inline script put into the page does not run, and neither a remote script,
/// an image nor a fetch reaches a server (each is reported as a violation).
async fn check_csp(client: &Client) -> Result<()> {
    let server = Listener::start()?;
    let base = format!("http://127.0.0.1:{}", server.port);
    let script = r#"
        const [base] = arguments;
        const state = { inline: false, fetch: "pending", violations: [] };
        window.__cspProbe = state;
        document.addEventListener("securitypolicyviolation", (e) => {
            state.violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
        });
        const inline = document.createElement("script");
        inline.textContent = "window.__cspProbe.inline = true;";
        document.head.append(inline);
        const remote = document.createElement("script");
        remote.src = base + "/remote.js";
        document.head.append(remote);
        const img = new Image();
        img.src = base + "/pixel.png";
        fetch(base + "/data").then(() => { state.fetch = "loaded"; }, () => { state.fetch = "blocked"; });
    "#;
    client.execute(script, vec![json!(base)]).await?;
    let probe = wait_until(UI_TIMEOUT, "the CSP probe to settle", || async {
        let probe = client.execute("return window.__cspProbe;", vec![]).await?;
        let violations = probe["violations"].as_array().map_or(0, |v| v.len());
        Ok((probe["fetch"] != "pending" && violations >= 4).then_some(probe))
    })
    .await?;
    eprintln!("e2e: CSP probe {probe}");
    ensure!(
        probe["inline"] == false,
        "an inline script inserted into the page must not run: {probe}"
    );
    ensure!(
        probe["fetch"] == "blocked",
        "a fetch to another origin is blocked: {probe}"
    );
    let violations = probe["violations"].to_string();
    for directive in ["script-src", "img-src", "connect-src"] {
        ensure!(
            violations.contains(directive),
            "a {directive} violation is reported: {violations}"
        );
    }
    ensure!(
        server.hits() == 0,
        "no request left the webview, but the listener saw {}",
        server.hits()
    );
    Ok(())
}

/// The capabilities: plugins and plugin commands that were not granted are refused, and
/// our commands take photo ids of the library only.
async fn check_capabilities(client: &Client, home: &Path) -> Result<()> {
    // Not installed at all.
    let fs = refused(
        client,
        "plugin:fs|read_text_file",
        json!({"path": "/etc/passwd"}),
    )
    .await?;
    eprintln!("e2e: fs read refused: {fs}");
    // Installed, used by the shell, granted to no window.
    for (command, args) in [
        ("plugin:opener|open_path", json!({"path": "/etc/passwd"})),
        (
            "plugin:opener|reveal_item_in_dir",
            json!({"paths": ["/etc/passwd"]}),
        ),
        ("plugin:autostart|enable", json!({})),
        // Only `listen`/`unlisten` of the event plugin are granted: the page cannot forge
        // the shell's events.
        (
            "plugin:event|emit",
            json!({"event": "glimpse://folders-changed", "payload": null}),
        ),
        // Only `open` of the dialog plugin is granted.
        ("plugin:dialog|message", json!({"message": "hi"})),
        // Core window commands were never granted.
        (
            "plugin:window|set_title",
            json!({"label": "main", "value": "pwned"}),
        ),
    ] {
        let text = refused(client, command, args).await?;
        ensure!(
            text.contains("not allowed"),
            "{command} is refused by the ACL: {text}"
        );
    }
    ensure!(
        !home.join(".config/autostart").exists(),
        "the refused autostart call wrote nothing"
    );
    // Our own commands: photo ids only, of photos in the library.
    for (command, args, expect) in [
        ("openPhoto", json!({"photoId": 987_654}), "unknown_photo"),
        ("revealPhoto", json!({"photoId": 987_654}), "unknown_photo"),
        ("startDrag", json!({"photoId": 987_654}), "unknown_photo"),
        ("openPhoto", json!({"photoId": "/etc/passwd"}), "photoId"),
        ("revealPhoto", json!({"path": "/etc/passwd"}), "photoId"),
        ("addFolder", json!({"path": "relative/photos"}), "invalid"),
    ] {
        let text = refused(client, command, args.clone()).await?;
        ensure!(
            text.contains(expect),
            "{command}({args}) is refused with {expect}: {text}"
        );
    }
    Ok(())
}

async fn least_privilege(client: &Client, home: &Path) -> Result<()> {
    find(client, "[data-testid=search-input]").await?;
    // The library is open (commands below reach it). The page is up before the model has
    // loaded, so wait for that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = invoke(client, "status", json!({})).await?;
        if status["model"]["state"] == "ready" {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the model is ready within 60 s: {}",
            status["model"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    check_capabilities(client, home).await?;
    check_csp(client).await
}

/// Issue 5 item 5: what the webview may do. The CSP blocks inline and remote code and
/// remote loads; plugins and commands outside the capability are refused; open, reveal and
/// drag take only ids of library photos.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webview_gets_only_what_it_was_granted() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let model = repo_root().join("tests/fixtures/shapes-clip");
    let home = tempfile::tempdir()?;
    let app = start_app(&[
        ("GLIMPSE_MODEL_DIR", model.as_os_str()),
        ("HOME", home.path().as_os_str()),
    ])
    .await?;
    let outcome = least_privilege(&app.client, home.path()).await;
    finish(app, outcome, "least-privilege").await
}

/// Thumbnail files (`<2 hex>/<hash>.jpg`) under a cache folder.
fn count_thumbnails(dir: &Path) -> usize {
    let Ok(shards) = std::fs::read_dir(dir) else {
        return 0;
    };
    shards
        .flatten()
        .filter(|s| s.path().is_dir())
        .flat_map(|s| std::fs::read_dir(s.path()).into_iter().flatten().flatten())
        .filter(|f| f.path().extension().is_some_and(|e| e == "jpg"))
        .count()
}

/// Opens Settings, lets `edit` change the form, saves; returns the panel's message if the
/// save was refused (the panel stays open), `None` once it closed.
async fn save_settings<F, Fut>(client: &Client, edit: F) -> Result<Option<String>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    find(client, "[data-testid=settings-open]")
        .await?
        .click()
        .await?;
    find(client, "[data-testid=settings-save]:not([disabled])").await?;
    edit().await?;
    find(client, "[data-testid=settings-save]")
        .await?
        .click()
        .await?;
    // Moving thumbnails takes a moment: wait for the panel to close or to say why not.
    let message = wait_until(
        UI_TIMEOUT,
        "the settings to be saved or refused",
        || async {
            let panel = client.find(css("[data-testid=settings]")).await?;
            if !panel.is_displayed().await? {
                return Ok(Some(None));
            }
            let message = client.find(css("[data-testid=settings-message]")).await?;
            if message.is_displayed().await? {
                return Ok(Some(Some(message.text().await?)));
            }
            Ok(None)
        },
    )
    .await?;
    if message.is_some() {
        find(client, "[data-testid=settings-close]")
            .await?
            .click()
            .await?;
    }
    Ok(message)
}

/// Clicks an element of the Settings dialog, which scrolls: WebKitWebDriver fails to click a
/// control at the edge of a scrolled container (with an empty message), so it is brought to
/// the middle first, as a person scrolls to it.
async fn click_scrolled(client: &Client, selector: &str) -> Result<()> {
    let element = find(client, selector).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&element)?],
        )
        .await?;
    element.click().await?;
    Ok(())
}

async fn set_thumbnail_field(client: &Client, value: &str) -> Result<()> {
    let input = find(client, "[data-testid=settings-thumbnail-dir]").await?;
    client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![serde_json::to_value(&input)?, json!(value)],
        )
        .await?;
    Ok(())
}

async fn settings_flow(app: &App, photos: &Path, home: &Path, elsewhere: &Path) -> Result<()> {
    let client = &app.client;
    find(client, "[data-testid=search-input]").await?;
    add_folder_through_ui(client, photos).await?;
    let status = wait_indexed(client, 12).await?;
    ensure!(status["indexed"] == 12, "every photo is indexed: {status}");
    let default_cache = app.data_dir.path().join("thumbs");
    let before = count_thumbnails(&default_cache);
    ensure!(
        before == 12,
        "12 thumbnails in {}: {before}",
        default_cache.display()
    );

    // Launch at login, through the settings panel.
    let entry = home.join(".config/autostart/Glimpse.desktop");
    let refusal = save_settings(client, || async {
        click_scrolled(client, "[data-testid=settings-launch]").await
    })
    .await?;
    ensure!(
        refusal.is_none(),
        "launch at login is accepted: {refusal:?}"
    );
    let text = std::fs::read_to_string(&entry)
        .with_context(|| format!("{} is written when launch at login is on", entry.display()))?;
    ensure!(
        text.contains("Exec=") && text.contains("glimpse-app"),
        "the autostart entry starts the app: {text}"
    );
    let settings = invoke(client, "getSettings", json!({})).await?;
    ensure!(settings["launchAtLogin"] == true, "{settings}");
    let refusal = save_settings(client, || async {
        click_scrolled(client, "[data-testid=settings-launch]").await
    })
    .await?;
    ensure!(refusal.is_none(), "turning it off is accepted: {refusal:?}");
    ensure!(
        !entry.exists(),
        "{} is removed when launch at login is off",
        entry.display()
    );

    // A bad thumbnail folder (a file): a clear sentence, and nothing moves.
    let file = elsewhere.join("not-a-folder.txt");
    std::fs::write(&file, "mine")?;
    let file_text = file.display().to_string();
    let refusal = save_settings(client, || set_thumbnail_field(client, &file_text)).await?;
    let refusal = refusal.context("a file as thumbnail folder must be refused")?;
    ensure!(
        refusal.contains("not a folder") && refusal.contains(&file_text),
        "the refusal names the file and says why: {refusal}"
    );
    ensure!(
        count_thumbnails(&default_cache) == 12,
        "no thumbnail lost after the refusal"
    );
    ensure!(
        std::fs::read_to_string(&file)? == "mine",
        "the file is untouched"
    );

    // A good one: every thumbnail moves, the old folder goes, thumbnails still load.
    let target = elsewhere.join("thumbnail cache");
    let target_text = target.display().to_string();
    let refusal = save_settings(client, || set_thumbnail_field(client, &target_text)).await?;
    ensure!(
        refusal.is_none(),
        "an empty folder is accepted: {refusal:?}"
    );
    ensure!(
        count_thumbnails(&target) == 12,
        "all 12 thumbnails are in {}: {}",
        target.display(),
        count_thumbnails(&target)
    );
    ensure!(!default_cache.exists(), "the old cache folder is gone");
    let settings = invoke(client, "getSettings", json!({})).await?;
    ensure!(
        settings["thumbnailDir"] == target_text.as_str(),
        "{settings}"
    );
    let hits = ranking(client, "a red circle", 3).await?;
    let content_id = hits[0]["contentId"].as_i64().context("a hit")?;
    let loaded = load_image(client, &format!("thumb://localhost/{content_id}")).await?;
    ensure!(
        loaded.is_some_and(|w| w > 0),
        "thumbnails load from the new folder"
    );
    let status = invoke(client, "status", json!({})).await?;
    ensure!(status["indexed"] == 12, "nothing was forgotten: {status}");
    Ok(())
}

/// Settings that touch the system: launch at login writes and removes the XDG autostart
/// entry (under a temporary HOME); the thumbnail cache moves to another folder without a
/// loss, and a bad folder is refused with a sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_launch_at_login_and_move_the_thumbnail_cache() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let root = repo_root();
    let model = root.join("tests/fixtures/shapes-clip");
    let photos = tempfile::tempdir()?;
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/shapes"))?
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| {
            n.to_string_lossy().starts_with("red-") || n.to_string_lossy().starts_with("blue-")
        })
        .collect();
    names.sort();
    for name in names.iter().step_by(names.len() / 12).take(12) {
        std::fs::copy(
            root.join("tests/fixtures/shapes").join(name),
            photos.path().join(name),
        )?;
    }
    let home = tempfile::tempdir()?;
    let elsewhere = tempfile::tempdir()?;
    let app = start_app(&[
        ("GLIMPSE_MODEL_DIR", model.as_os_str()),
        ("HOME", home.path().as_os_str()),
    ])
    .await?;
    let outcome = settings_flow(&app, photos.path(), home.path(), elsewhere.path()).await;
    finish(app, outcome, "settings").await
}

/// A stand-in hub that starts when the test needs it. The app reads `HF_ENDPOINT` once, at
/// start, but the fake hub stops by itself two minutes after it starts, which indexing a
/// folder first could use up on a busy machine. So the endpoint is a local port that
/// forwards each connection to the hub once [`LateHub::start`] ran (and drops them before).
struct LateHub {
    endpoint: String,
    target: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    hub: Option<hub_server::HubServer>,
}

impl LateHub {
    fn new() -> Result<Self> {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let target = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (t, s) = (target.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let to = t.lock().map(|t| t.clone()).unwrap_or(None);
                let Some(to) = to else { continue };
                let Ok(server) = std::net::TcpStream::connect(&to) else {
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                    pipe(client, s2);
                    pipe(server, c2);
                }
            }
        });
        Ok(Self {
            endpoint,
            target,
            stop,
            hub: None,
        })
    }

    /// Starts serving `repos` behind the endpoint.
    fn start(&mut self, repos: Vec<hub_server::FakeRepo>) {
        let hub = hub_server::HubServer::start(repos);
        let addr = hub.endpoint().trim_start_matches("http://").to_string();
        if let Ok(mut t) = self.target.lock() {
            *t = Some(addr);
        }
        self.hub = Some(hub);
    }
}

impl Drop for LateHub {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `openai/clip-vit-base-patch32` at the catalogue's revision (`refs/pr/15`, the hub's
/// safetensors conversion), holding the shapes model: the catalogue's `clip-b32` as the
/// stand-in hub serves it.
fn shapes_as_clip_b32() -> Result<hub_server::FakeRepo> {
    let dir = repo_root().join("tests/fixtures/shapes-clip");
    let file = |name: &str, lfs: bool| -> Result<hub_server::FakeFile> {
        Ok(hub_server::FakeFile {
            name: name.to_string(),
            bytes: std::fs::read(dir.join(name))?,
            lfs,
        })
    };
    let mut repo = hub_server::FakeRepo::main(
        "openai/clip-vit-base-patch32",
        "fedcba9876543210fedcba9876543210fedcba98",
        vec![
            file("config.json", false)?,
            file("tokenizer.json", false)?,
            file("preprocessor_config.json", false)?,
            file("model.safetensors", true)?,
        ],
    );
    repo.revision = "refs/pr/15".to_string();
    Ok(repo)
}

async fn wait_paused(client: &Client, paused: bool) -> Result<()> {
    wait_until(UI_TIMEOUT, "indexing to pause or resume", || async {
        let status = invoke(client, "status", json!({})).await?;
        Ok((status["progress"]["paused"] == paused).then_some(()))
    })
    .await
}

/// Pauses indexing with the command the folders panel's button and the tray's "Pause
/// indexing" call: the button shows only while there is work (not before the switch queues
/// any), and WebDriver cannot click the tray. Also the quickest way to stop at a moment.
async fn pause(client: &Client) -> Result<()> {
    invoke(client, "setPaused", json!({"paused": true})).await?;
    wait_paused(client, true).await
}

/// Resumes indexing with the folders panel's button.
async fn resume_through_ui(client: &Client) -> Result<()> {
    let toggle = find(client, "[data-testid=pause-toggle]").await?;
    let label = toggle.attr("aria-label").await?.unwrap_or_default();
    ensure!(
        label == "Resume indexing",
        "the button offers to resume: {label}"
    );
    toggle.click().await?;
    wait_paused(client, false).await
}

/// The switch under way, once it is embedding (after its download and load).
async fn wait_switch_embedding(client: &Client) -> Result<Value> {
    wait_until(INDEX_TIMEOUT, "the switch to reach embedding", || async {
        let status = invoke(client, "status", json!({})).await?;
        let switch = &status["switch"];
        match switch["phase"].as_str() {
            Some("embedding") => Ok(Some(switch.clone())),
            Some("error") => bail!("the switch failed: {switch}"),
            _ => Ok(None),
        }
    })
    .await
}

/// The text of the first element matching `selector`, read in the page (Settings' rows are
/// rebuilt as the switch moves on, so an element handle can go stale between two calls).
async fn text_of(client: &Client, selector: &str) -> Result<String> {
    let text = client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            vec![json!(selector)],
        )
        .await?;
    text.as_str()
        .map(str::to_string)
        .with_context(|| format!("nothing matches {selector}"))
}

/// Clicks the element matching `selector`, finding it again if it was rebuilt meanwhile.
async fn click_fresh(client: &Client, selector: &str) -> Result<()> {
    wait_until(UI_TIMEOUT, &format!("{selector} to be clicked"), || async {
        find(client, selector).await?.click().await?;
        Ok(Some(()))
    })
    .await
}

async fn open_settings(client: &Client) -> Result<()> {
    find(client, "[data-testid=settings-open]")
        .await?
        .click()
        .await?;
    find(client, "[data-testid=settings-save]:not([disabled])").await?;
    find(client, "[data-testid=model-row]").await?;
    Ok(())
}

async fn close_settings(client: &Client) -> Result<()> {
    find(client, "[data-testid=settings-close]")
        .await?
        .click()
        .await?;
    wait_until(UI_TIMEOUT, "settings to close", || async {
        let panel = client.find(css("[data-testid=settings]")).await?;
        Ok((!panel.is_displayed().await?).then_some(()))
    })
    .await
}

/// Settings while switching: the catalogue with the row being switched to badged, the
/// switch's progress on top.
async fn screenshot_settings_while_switching(client: &Client) -> Result<()> {
    open_settings(client).await?;
    let selector = "[data-testid=model-row][data-name=clip-b32][data-switching=true]";
    find(client, selector).await?;
    let text = text_of(client, selector).await?;
    ensure!(
        text.contains("Switching…"),
        "the row being switched to says so: {text}"
    );
    find(
        client,
        "[data-testid=settings-model-switch][data-phase=embedding]",
    )
    .await?;
    screenshot(client, "settings-models").await?;
    close_settings(client).await
}

async fn switch_flow(
    client: &Client,
    shapes: &Path,
    hf_home: &Path,
    hub: &mut LateHub,
) -> Result<()> {
    find(client, "[data-testid=search-input]").await?;
    let status = invoke(client, "status", json!({})).await?;
    let tiny_id = status["model"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure!(
        status["model"]["state"] == "ready" && tiny_id.starts_with("model@"),
        "settings.json's folder model is loaded: {}",
        status["model"]
    );
    add_folder_through_ui(client, shapes).await?;
    wait_indexed(client, 240).await?;

    // Held still by a pause, the switch waits with its progress for the pictures and checks.
    pause(client).await?;
    hub.start(vec![shapes_as_clip_b32()?]);
    open_settings(client).await?;
    let rows = client.find_all(css("[data-testid=model-row]")).await?.len();
    ensure!(rows >= 6, "Settings lists the catalogue: {rows} rows");
    let text = text_of(client, "[data-testid=model-row][data-name=clip-b32]").await?;
    ensure!(
        text.contains("OpenAI CLIP ViT-B/32")
            && text.contains("512 dimensions")
            && text.contains("COCO R@1 30.4")
            && text.contains("not measured yet"),
        "the row has the model's facts: {text}"
    );
    click_fresh(
        client,
        "[data-testid=model-row][data-name=clip-b32] [data-testid=model-switch-button]",
    )
    .await?;
    let switch = wait_switch_embedding(client).await?;
    ensure!(
        switch["model"] == "clip-b32"
            && switch["title"] == "OpenAI CLIP ViT-B/32"
            && switch["fromTitle"] == "clip-reference/model"
            && switch["total"] == 240,
        "the switch says what it does: {switch}"
    );
    let cached = hf_home.join("hub/models--openai--clip-vit-base-patch32");
    ensure!(cached.is_dir(), "{} holds the download", cached.display());
    let settings = invoke(client, "getSettings", json!({})).await?;
    ensure!(
        settings["nextModelSource"] == "clip-b32"
            && settings["modelSource"]
                .as_str()
                .is_some_and(|s| s.starts_with("dir:")),
        "the switch is remembered, the folder model still in use: {settings}"
    );
    close_settings(client).await?;

    // While switching, the old model answers searches.
    let status = invoke(client, "status", json!({})).await?;
    ensure!(
        status["model"]["id"] == tiny_id.as_str(),
        "the folder model answers: {}",
        status["model"]
    );
    let hits = ranking(client, "a red circle", 10).await?;
    ensure!(
        hits.as_array().is_some_and(|h| h.len() == 10),
        "search works while switching: {hits}"
    );
    let input = find(client, "[data-testid=search-input]").await?;
    input.send_keys("a red circle").await?;
    // A random model calls nothing a good match: then the closest are asked for.
    let closest = wait_until(UI_TIMEOUT, "results while switching", || async {
        if tile_paths(client).await?.len() >= 5 {
            return Ok(Some(false));
        }
        let offer = client.find_all(css("[data-testid=show-closest]")).await?;
        for e in offer {
            if e.is_displayed().await? {
                return Ok(Some(true));
            }
        }
        Ok(None)
    })
    .await?;
    if closest {
        find(client, "[data-testid=show-closest]")
            .await?
            .click()
            .await?;
        wait_until(UI_TIMEOUT, "the closest while switching", || async {
            Ok((tile_paths(client).await?.len() >= 5).then_some(()))
        })
        .await?;
    }
    find(client, "[data-testid=model-switch][data-phase=embedding]").await?;
    // Pictures at 0 of 240 first: if the partial run below overshoots to the end, these stay.
    screenshot(client, "model-switch").await?;
    screenshot_settings_while_switching(client).await?;

    // Some progress for the pictures: resume until the new model has some photos, pause.
    let before = invoke(client, "status", json!({})).await?["progress"]["done"]
        .as_u64()
        .unwrap_or(0);
    resume_through_ui(client).await?;
    wait_until(
        INDEX_TIMEOUT,
        "the new model to embed some photos",
        || async {
            let status = invoke(client, "status", json!({})).await?;
            let done = status["progress"]["done"].as_u64().unwrap_or(0);
            Ok((done >= before + 30 || status["switch"].is_null()).then_some(()))
        },
    )
    .await?;
    pause(client).await?;
    // The shell reads the switch's progress once a second, up to two seconds after activity.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let status = invoke(client, "status", json!({})).await?;
    let done = status["switch"]["done"].as_u64().unwrap_or(0);
    if status["switch"]["phase"] == "embedding" && done > 0 && done < 240 {
        find(client, "[data-testid=model-switch][data-phase=embedding]").await?;
        // textContent: WebKitWebDriver's text of an ellipsised line can come back empty.
        let text = text_of(client, "[data-testid=model-switch]").await?;
        ensure!(
            text.contains(&format!("{done} of 240 photos"))
                && text.contains("Search uses clip-reference/model until then"),
            "the bar shows the progress: {text}"
        );
        screenshot(client, "model-switch").await?;
        screenshot_settings_while_switching(client).await?;
    } else {
        eprintln!(
            "e2e: the switch ran past the pause ({}); pictures at 0 kept",
            status["switch"]
        );
    }

    // Resume: the new model catches up and takes over by itself.
    resume_through_ui(client).await?;
    let status = wait_until(INDEX_TIMEOUT, "the switch to end", || async {
        let status = invoke(client, "status", json!({})).await?;
        let over = status["switch"].is_null()
            && status["model"]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("openai/clip-vit-base-patch32@"));
        if status["switch"]["phase"] == "error" {
            bail!("the switch failed: {}", status["switch"]);
        }
        Ok(over.then_some(status))
    })
    .await?;
    let settings = invoke(client, "getSettings", json!({})).await?;
    ensure!(
        settings["modelSource"] == "clip-b32" && settings["nextModelSource"].is_null(),
        "the catalogue model is now the settings' model: {settings}"
    );
    ensure!(status["indexed"] == 240, "nothing was lost: {status}");
    let bar = client.find(css("[data-testid=model-switch]")).await?;
    ensure!(!bar.is_displayed().await?, "the switch bar is gone");

    // The trained model answers: mostly red circles, in the grid too (refreshed by itself).
    let hits = ranking(client, "a red circle", 10).await?;
    let red = hits.as_array().map_or(0, |h| {
        h.iter()
            .filter(|h| {
                h["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("red-circle"))
            })
            .count()
    });
    ensure!(
        red >= 8,
        "the new model finds red circles: {red} of 10 in {hits}"
    );
    wait_until(
        UI_TIMEOUT,
        "the grid to show the new model's results",
        || async {
            let paths = tile_paths(client).await?;
            Ok(
                (paths.len() >= 5 && paths[..5].iter().all(|p| p.contains("red-circle")))
                    .then_some(()),
            )
        },
    )
    .await?;

    // The folder model's vectors are kept until removed, through Settings.
    let kept = invoke(client, "listModels", json!({})).await?;
    let tiny = kept["stored"]
        .as_array()
        .and_then(|s| s.iter().find(|m| m["id"] == tiny_id.as_str()))
        .cloned()
        .context("the folder model's vectors are kept")?;
    ensure!(
        tiny["vectors"] == 240 && tiny["searching"] == false,
        "all of them: {tiny}"
    );
    let b32_row = kept["models"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "clip-b32"))
        .cloned()
        .context("clip-b32 is listed")?;
    ensure!(
        b32_row["inUse"] == true
            && b32_row["downloaded"] == true
            && b32_row["storedVectors"] == 240
            && b32_row["measuredImagesPerSecond"]
                .as_f64()
                .is_some_and(|s| s > 0.0),
        "clip-b32 is in use, downloaded, with its vectors and its speed here: {b32_row}"
    );
    open_settings(client).await?;
    click_fresh(
        client,
        &format!(
            "[data-testid=model-vectors-row][data-id=\"{tiny_id}\"] [data-testid=model-vectors-remove]"
        ),
    )
    .await?;
    click_fresh(client, "[data-testid=model-vectors-confirm]").await?;
    wait_until(
        UI_TIMEOUT,
        "the folder model's vectors to be removed",
        || async {
            let kept = invoke(client, "listModels", json!({})).await?;
            let gone = kept["stored"]
                .as_array()
                .is_some_and(|s| s.iter().all(|m| m["id"] != tiny_id.as_str()));
            Ok(gone.then_some(()))
        },
    )
    .await?;
    close_settings(client).await
}

/// Switching models in the real app: a library indexed with a tiny random model (chosen in
/// settings.json as a folder) switches to the catalogue's `clip-b32`, downloaded from a
/// stand-in hub (the shapes model under that name, at the catalogue's revision). While it
/// re-embeds, the old model answers searches; once it has caught up it takes over, the
/// settings name it, search finds red circles, and the old vectors are kept until removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_models_keeps_search_working_and_ends_on_the_new_model() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let root = repo_root();
    let data = tempfile::tempdir()?;
    let tiny = root.join("tests/fixtures/clip-reference/model");
    std::fs::write(
        data.path().join("settings.json"),
        json!({ "modelSource": format!("dir:{}", tiny.display()) }).to_string(),
    )?;
    let mut hub = LateHub::new()?;
    let hf_home = tempfile::tempdir()?;
    let app = start_app(&[
        ("GLIMPSE_DATA_DIR", data.path().as_os_str()),
        ("HF_HOME", hf_home.path().as_os_str()),
        ("HF_ENDPOINT", OsStr::new(&hub.endpoint)),
    ])
    .await?;
    let shapes = root.join("tests/fixtures/shapes");
    let outcome = switch_flow(&app.client, &shapes, hf_home.path(), &mut hub).await;
    finish(app, outcome, "switch").await
}

/// A folder of phone and camera files in the real app: every readable one gets a thumbnail
/// the webview can load, the raw + JPEG pair is one tile, the preview of a raw file shows
/// its embedded preview, and the two files Glimpse cannot read are listed with a reason.
/// Screenshots `formats` (the grid) and `formats-raw-preview`.
async fn formats_flow(client: &Client, photos: &Path) -> Result<()> {
    find(client, "[data-testid=search-input]").await?;
    add_folder_through_ui(client, photos).await?;
    let status = wait_indexed(client, 10).await?;
    ensure!(
        status["indexed"] == 8 && status["failed"] == 2,
        "8 of 10 files indexed: {status}"
    );
    let failures = status["failures"].to_string();
    ensure!(
        failures.contains("unsupported image format: Photoshop PSD")
            && failures.contains("stripped.CR3"),
        "the unreadable files are listed with a reason: {failures}"
    );

    let hits = ranking(client, "a photo", 20).await?;
    let hits = hits.as_array().context("hits")?.clone();
    ensure!(
        hits.len() == 7,
        "7 results (the raw + JPEG pair is one): {hits:?}"
    );
    for hit in &hits {
        let content = hit["contentId"].as_i64().context("contentId")?;
        let width = load_image(client, &format!("thumb://localhost/{content}")).await?;
        ensure!(
            width.is_some_and(|w| w > 0),
            "{}: the thumbnail loads in the webview",
            hit["name"]
        );
    }
    let pair = hits
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("IMG_1234"))
        })
        .context("the pair is a result")?;
    ensure!(
        pair["others"].as_array().is_some_and(|o| o.len() == 1),
        "the pair's other file is named: {pair}"
    );

    let input = find(client, "[data-testid=search-input]").await?;
    input.send_keys("a photo").await?;
    // The shapes model calls none of these photos a good match for "a photo": the grid
    // offers the closest, which are all seven.
    find(client, "[data-testid=show-closest]")
        .await?
        .click()
        .await?;
    wait_until(UI_TIMEOUT, "seven tiles", || async {
        Ok((tile_paths(client).await?.len() == 7).then_some(()))
    })
    .await?;
    screenshot(client, "formats").await?;

    // The preview of a raw file shows the picture (its embedded preview), not a grey box.
    let raf = client
        .find(css(
            "[data-testid=tile][data-path$='.RAF'], [data-testid=tile][data-path$='.DNG']",
        ))
        .await
        .context("a raw tile")?;
    raf.click().await?;
    client
        .active_element()
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    find(client, "[data-testid=preview]").await?;
    let shown = wait_until(UI_TIMEOUT, "the preview image", || async {
        let width = client
            .execute(
                "const i = document.querySelector('.preview-img'); return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await?
            .as_u64()
            .unwrap_or(0);
        Ok((width > 0).then_some(width))
    })
    .await?;
    eprintln!("e2e: raw preview image {shown} px wide");
    screenshot(client, "formats-raw-preview").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_camera_formats_show_thumbnails_and_previews() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let root = repo_root();
    let model = root.join("tests/fixtures/shapes-clip");
    let formats = root.join("tests/fixtures/formats");
    let photos = tempfile::tempdir()?;
    for (from, to) in [
        ("chelsea.heic", "IMG_0001.HEIC"),
        ("coffee-10bit.avif", "phone.avif"),
        ("chelsea-lossy.jxl", "export.jxl"),
        ("with-preview.dng", "IMG_1234.DNG"),
        ("with-preview.jpg", "IMG_1234.JPG"),
        ("sensor-only.dng", "sensor.dng"),
        ("exiftool-FujiFilm.raf", "DSCF0001.RAF"),
        ("exiftool-Panasonic.rw2", "P1000001.RW2"),
        ("exiftool-CanonRaw.cr3", "stripped.CR3"),
    ] {
        std::fs::copy(formats.join(from), photos.path().join(to))?;
    }
    std::fs::write(
        photos.path().join("layers.psd"),
        b"8BPS\0\x01\0\0\0\0\0\0\0\x03",
    )?;
    let app = start_app(&[("GLIMPSE_MODEL_DIR", model.as_os_str())]).await?;
    let outcome = formats_flow(&app.client, photos.path()).await;
    finish(app, outcome, "formats").await
}

/// The thumbnail folder goes away under a running library (a drive unplugged): indexing
/// stops with a banner that says why; with the folder back, Retry reopens the library and
/// the photos that came in meanwhile are indexed.
async fn stopped_flow(app: &App, photos: &Path, more: &[PathBuf]) -> Result<()> {
    let client = &app.client;
    find(client, "[data-testid=search-input]").await?;
    add_folder_through_ui(client, photos).await?;
    wait_indexed(client, 4).await?;
    let banner_shown = || async {
        client
            .execute(
                "const b = document.querySelector('[data-testid=stopped-banner]'); return !!b && !b.hidden;",
                vec![],
            )
            .await
            .map(|v| v.as_bool().unwrap_or(false))
    };
    ensure!(!banner_shown().await?, "no banner while indexing runs");

    let thumbs = app.data_dir.path().join("thumbs");
    let away = app.data_dir.path().join("thumbs-away");
    ensure!(thumbs.is_dir(), "{} holds the thumbnails", thumbs.display());
    std::fs::rename(&thumbs, &away)?;
    // A file where the folder was: even root cannot write below it.
    std::fs::write(&thumbs, b"not a folder")?;
    for from in more {
        std::fs::copy(from, photos.join(from.file_name().context("name")?))?;
    }

    find(client, "[data-testid=stopped-banner]").await?;
    let text = client
        .execute(
            "return document.querySelector('[data-testid=stopped-banner]').textContent;",
            vec![],
        )
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure!(
        text.contains("Indexing stopped.")
            && text.contains("The thumbnail folder cannot be written")
            && text.contains("Not a directory"),
        "the banner says why and what to do: {text}"
    );
    let status = invoke(client, "status", json!({})).await?;
    ensure!(
        status["stopped"]
            .as_str()
            .is_some_and(|s| s.contains("thumbs")),
        "status names the stop and the folder: {status}"
    );
    let hits = ranking(client, "a red circle", 10).await?;
    ensure!(
        hits.as_array().is_some_and(|h| h.len() >= 4),
        "search keeps working while indexing is stopped: {hits}"
    );
    screenshot(client, "stopped-banner").await?;

    std::fs::remove_file(&thumbs)?;
    std::fs::rename(&away, &thumbs)?;
    find(client, "[data-testid=stopped-retry]")
        .await?
        .click()
        .await?;
    let status = wait_indexed(client, 4 + more.len() as u64).await?;
    ensure!(
        status["indexed"] == 4 + more.len() as u64 && status["stopped"].is_null(),
        "after the retry every photo is indexed and nothing is stopped: {status}"
    );
    wait_until(UI_TIMEOUT, "the banner to go", || async {
        Ok((!banner_shown().await?).then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_pipeline_shows_why_and_retry_goes_on() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let root = repo_root();
    let model = root.join("tests/fixtures/shapes-clip");
    let shapes = root.join("tests/fixtures/shapes");
    let mut names: Vec<_> = std::fs::read_dir(&shapes)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    names.sort();
    ensure!(names.len() >= 6, "the shapes pictures are there");
    let photos = tempfile::tempdir()?;
    for from in &names[..4] {
        std::fs::copy(from, photos.path().join(from.file_name().context("name")?))?;
    }
    let app = start_app(&[("GLIMPSE_MODEL_DIR", model.as_os_str())]).await?;
    let outcome = stopped_flow(&app, photos.path(), &names[4..6]).await;
    finish(app, outcome, "stopped").await
}

/// Issue 20: the main window opens on the last search of the session before, its results
/// shown from the vectors the library keeps while the model loads in the background.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_opens_on_the_last_search() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().await;
    let model = repo_root().join("tests/fixtures/shapes-clip");
    let photos = tempfile::tempdir()?;
    copy_dir(&repo_root().join("tests/fixtures/shapes"), photos.path())?;
    let data = tempfile::Builder::new()
        .prefix("glimpse-e2e-last-")
        .tempdir()?;
    let env = [
        ("GLIMPSE_MODEL_DIR", model.as_os_str()),
        ("GLIMPSE_DATA_DIR", data.path().as_os_str()),
    ];

    let app = start_app(&env).await?;
    let first = async {
        let client = &app.client;
        invoke(client, "addFolder", json!({"path": photos.path()})).await?;
        wait_indexed(client, 240).await?;
        set_query(client, "a red circle").await?;
        wait_results_for(client, "a red circle").await?;
        good_paths(client, "a red circle").await
    }
    .await;
    finish_keeping(app, &first, "last-search-1").await?;
    let shown_before = first?;

    let app = start_app(&env).await?;
    let second = async {
        let client = &app.client;
        let (line, good) = wait_results_for(client, "a red circle").await?;
        ensure!(good > 0, "the restored search has good matches: {line}");
        let input = find(client, "[data-testid=search-input]").await?;
        let typed = input.prop("value").await?.unwrap_or_default();
        ensure!(
            typed == "a red circle",
            "the box shows the last search: {typed:?}"
        );
        // The grid draws the tiles in view, good matches first: the same ones, in the same
        // order, as the first session's good matches.
        let shown = wait_until(UI_TIMEOUT, "the tiles to be drawn", || async {
            let shown = tile_paths(client).await?;
            Ok((shown.len() >= 10).then_some(shown))
        })
        .await?;
        let n = shown.len().min(shown_before.len());
        ensure!(
            n >= 10 && shown[..n] == shown_before[..n],
            "the same results as before: {shown:?} vs {shown_before:?}"
        );
        // Answered from the kept vector: the model's network loaded in the background.
        let logs = data.path().join("logs");
        wait_until(
            UI_TIMEOUT,
            "the model to load in the background",
            || async {
                let mut text = String::new();
                for entry in std::fs::read_dir(&logs)? {
                    text.push_str(&std::fs::read_to_string(entry?.path())?);
                }
                Ok(text
                    .contains("model loaded in the background")
                    .then_some(()))
            },
        )
        .await?;
        Ok(())
    }
    .await;
    finish(app, second, "last-search-2").await
}

/// Closes `app`, screenshotting a failure, and reports a failure to close.
async fn finish_keeping<T>(app: App, outcome: &Result<T>, test: &str) -> Result<()> {
    if outcome.is_err() {
        let _ = screenshot(&app.client, &format!("failure-{test}")).await;
    }
    app.close().await
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
