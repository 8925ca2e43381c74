//! The dashboard's static files, built into the binary: `GET /` (the page) and
//! `GET /assets/{file}` (`app.js`, `reports.js`, `style.css`). The page itself asks the API for everything.
//!
//! The page is served with `Content-Security-Policy: default-src 'self'` (no script, style or
//! connection to anywhere but this relay, and no inline script) and `X-Frame-Options: DENY`.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::ApiError;

const INDEX: &str = include_str!("dashboard/index.html");
const APP_JS: &str = include_str!("dashboard/app.js");
const REPORTS_JS: &str = include_str!("dashboard/reports.js");
const STYLE_CSS: &str = include_str!("dashboard/style.css");

/// The files under `/assets/`, with their content types.
pub const ASSETS: [(&str, &str, &str); 3] = [
    ("app.js", "text/javascript; charset=utf-8", APP_JS),
    ("reports.js", "text/javascript; charset=utf-8", REPORTS_JS),
    ("style.css", "text/css; charset=utf-8", STYLE_CSS),
];

fn with_type(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
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

/// `GET /assets/{file}`.
pub(super) async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, content_type, body)| with_type(body, content_type))
        .ok_or_else(|| ApiError::not_found(format!("there is no asset {file:?}")))
}
