//! The sevika's app: a page and its files, built into the binary and served by the local API
//! (`GET /` and `GET /app/{file}`). Everything the page shows it asks the API for.
//!
//! The files hold no data and no secret, so they are served without the API token; the Host
//! check still applies (a page on a rebound DNS name gets nothing). The token reaches the page
//! in the URL's fragment (`http://127.0.0.1:PORT/#t=TOKEN`), which browsers never send to any
//! server: the app that embeds the page (or `sampark-node app` on a computer) reads it from
//! `HOME/api-token` and opens that address; the page keeps it in its session storage and
//! takes it out of the address bar. Another app or page that loads the page gets no token, and
//! every API call without it is refused.
//!
//! Served with `Content-Security-Policy: default-src 'self'` (no inline script, nothing from
//! anywhere else), `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`. No framework:
//! plain HTML, CSS and JavaScript, so it runs in an old Android WebView with no network.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("app/index.html");
const APP_JS: &str = include_str!("app/app.js");
const STYLE_CSS: &str = include_str!("app/style.css");

/// The files under `/app/`, with their content types.
pub const FILES: [(&str, &str, &str); 2] =
    [("app.js", "text/javascript; charset=utf-8", APP_JS), ("style.css", "text/css; charset=utf-8", STYLE_CSS)];

/// The page's weight: the page and every file it loads, in bytes.
pub fn weight() -> usize {
    INDEX.len() + FILES.iter().map(|(_, _, body)| body.len()).sum::<usize>()
}

fn with_type(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /`.
pub(super) async fn index() -> Response {
    let mut response = with_type(INDEX, "text/html; charset=utf-8");
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `GET /app/{file}`.
pub(super) async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => with_type(body, content_type),
        None => (StatusCode::NOT_FOUND, format!("there is no file {name:?}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The budget of `docs/node.md`: the page and its files under 100 KB, so that the first
    /// screen of a 2 GB Android Go phone's WebView needs no more than one small read.
    #[test]
    fn the_page_is_within_its_weight_budget() {
        assert!(weight() < 100_000, "the app weighs {} bytes", weight());
        // The page loads only files that are served.
        for file in ["/app/app.js", "/app/style.css"] {
            assert!(INDEX.contains(file), "{file}");
            assert!(FILES.iter().any(|(name, _, _)| format!("/app/{name}") == file));
        }
        assert!(!INDEX.contains("http://") && !INDEX.contains("https://"), "nothing from elsewhere");
    }
}
