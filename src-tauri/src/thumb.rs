//! The `thumb` URI scheme: `thumb://localhost/<contentId>` (`http://thumb.localhost/<id>` on
//! Windows) serves a thumbnail JPEG.
//!
//! The request path is only ever parsed as a content id — decimal digits and nothing else —
//! and the file is the one [`glimpse_engine::Library::thumbnail_path`] builds from the
//! stored hash. No part of the URL becomes part of a file path, so `../` and friends have
//! nothing to traverse: they are not digits and get a 404.

use std::path::PathBuf;
use std::sync::Arc;

use glimpse_engine::ContentId;
use tauri::http::{Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme's name.
pub const SCHEME: &str = "thumb";

/// Thumbnails are named by content hash, so the bytes behind one id change only if the id is
/// reused after its content left the library; a day's caching is safe, and the UI adds
/// `?v=` after `thumbnails-ready` to see a thumbnail that was just (re)written.
const CACHE_CONTROL: &str = "private, max-age=86400";

/// Longest id accepted: `i64::MAX` has 19 digits.
const MAX_ID_DIGITS: usize = 19;

/// The content id in a request path (`/123`), or `None` for anything else: empty, signs,
/// dots, slashes, percent-escapes, more segments, or a number out of range.
pub fn parse_content_id(path: &str) -> Option<ContentId> {
    let digits = path.strip_prefix('/')?;
    if digits.is_empty()
        || digits.len() > MAX_ID_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse::<ContentId>().ok().filter(|id| *id > 0)
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    response
}

/// Answers a request path given a way to find a content's thumbnail file. Separated from
/// Tauri's plumbing so the whole decision can be tested against a real library.
pub fn respond<E: std::fmt::Display>(
    path: &str,
    lookup: impl FnOnce(ContentId) -> Result<Option<PathBuf>, E>,
) -> Response<Vec<u8>> {
    let Some(id) = parse_content_id(path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let file = match lookup(id) {
        Ok(Some(file)) => file,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::warn!(id, error = %e, "thumbnail lookup failed");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    match std::fs::read(&file) {
        Ok(bytes) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CACHE_CONTROL, CACHE_CONTROL)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .body(bytes)
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
        // Deleted between lookup and read (content removed): not there.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::warn!(path = %file.display(), error = %e, "cannot read a thumbnail");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The handler given to `register_asynchronous_uri_scheme_protocol`: answers off the main
/// thread, since it may wait for the library to open and reads a file.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let state = ctx.app_handle().state::<Arc<AppState>>().inner().clone();
    let path = request.uri().path().to_string();
    tauri::async_runtime::spawn_blocking(move || {
        let response = respond(&path, |id| match state.library() {
            Ok(lib) => lib.thumbnail_path(id).map_err(|e| e.to_string()),
            Err(e) => Err(e.message),
        });
        responder.respond(response);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_positive_decimal_ids_parse() {
        assert_eq!(parse_content_id("/1"), Some(1));
        assert_eq!(parse_content_id("/9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            "/",
            "1",
            "/0",
            "/-1",
            "/+1",
            "/1.0",
            "/ 1",
            "/1 ",
            "/1/",
            "/1/2",
            "//1",
            "/../1",
            "/..%2F1",
            "/%31",
            "/0x1",
            "/１",
            "/9223372036854775808",
            "/99999999999999999999",
            "/../../etc/passwd",
            "/..%2f..%2fetc%2fpasswd",
            "/etc/passwd",
            "/1%00",
            "/1;2",
        ] {
            assert_eq!(parse_content_id(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn traversal_and_non_numeric_paths_are_404_without_any_lookup() {
        for bad in [
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/abc",
            "/1/../2",
        ] {
            let response = respond(bad, |_| -> Result<Option<PathBuf>, String> {
                panic!("{bad:?} reached the lookup")
            });
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad:?}");
            assert!(response.body().is_empty());
        }
    }

    /// The real library: an indexed photo's thumbnail is served as a JPEG with cache headers,
    /// an unknown id is 404, and nothing outside the thumbnail store is reachable.
    #[test]
    fn serves_real_thumbnails_of_an_indexed_library() {
        let fixture = crate::test_support::two_indexed_photos();
        let (lib, hits) = (&fixture.lib, &fixture.hits);

        for hit in hits {
            let response = respond(&format!("/{}", hit.content), |id| lib.thumbnail_path(id));
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "thumbnail of {}",
                hit.path.display()
            );
            assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
            assert!(response.headers().contains_key(header::CACHE_CONTROL));
            assert_eq!(
                &response.body()[..3],
                &[0xFF, 0xD8, 0xFF],
                "the body is a JPEG"
            );
        }
        let unknown = hits.iter().map(|h| h.content).max().unwrap_or(0) + 1000;
        let response = respond(&format!("/{unknown}"), |id| lib.thumbnail_path(id));
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "unknown content id"
        );
        let response = respond("/../catalog.sqlite", |id| lib.thumbnail_path(id));
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "no path into the data folder"
        );
    }
}
