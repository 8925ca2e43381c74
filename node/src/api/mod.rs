//! The local JSON HTTP API: the node's operations for the phone app and for CLI commands run
//! while the daemon holds the store. It listens on a loopback address only (the daemon refuses
//! any other address).
//!
//! Loopback is not a boundary on a phone: any web page open in the phone's browser can send
//! requests to `127.0.0.1`, and any other app can connect. So every request must show that it
//! comes from the sevika's own software ([`guard`]), checked in this order:
//!
//! 1. `Host` names the address the API listens on (`127.0.0.1:PORT` or `localhost:PORT`);
//!    anything else is refused with 403 (a page on a rebound DNS name reaches the socket, but
//!    its requests carry its own host name);
//! 2. an `Origin`, when a browser sends one, is the API's own (`http://127.0.0.1:PORT`, the page
//!    the node serves); a foreign origin is refused with 403;
//! 3. `Authorization: Bearer TOKEN` carries the home's token ([`crate::home::Home::api_token`]:
//!    made by `init`, in `HOME/api-token`, readable by the owner only; the CLI reads it there and
//!    the phone's app is handed it by the app that embeds it); without it, 401;
//! 4. a POST's body is `Content-Type: application/json`; otherwise 415. (A page can send a form or
//!    plain text across origins without asking; JSON it cannot.)
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /`, `GET /app/{file}` | — | the sevika's app ([`page`]; no token needed, Host checked) |
//! | `GET /healthz` | — | `{"ok": true, "key": "<hex>", "version": "..."}` |
//! | `GET /status` | — | the status ([`ops::StatusView`]) |
//! | `POST /enroll` | an enrolment file ([`ops::EnrolFile`]) | [`ops::Enrolled`] |
//! | `POST /record` | `{"entry": {...}, "centre": "..."?}` | [`ops::record::Recorded`] |
//! | `POST /import-history` | `{"history": {...}, "household": "ID", "centre": "..."?}` | [`ops::record::Imported`] |
//! | `GET /tickets` | — | a list of [`ops::TicketRow`] |
//! | `POST /tickets` | `{"category": "...", "text": "..."}` | the new ticket ([`ops::TicketView`]) |
//! | `GET /tickets/{id}` | — | the ticket |
//! | `POST /tickets/{id}/comment` | `{"text": "..."}` | the ticket |
//! | `POST /tickets/{id}/reopen` | `{"text": "..."}` (optional) | the ticket |
//! | `POST /tickets/{id}/confirm` | — or `{}` | the ticket |
//! | `POST /sync` | `{"peer": "<multiaddr>"}` | what the contact moved ([`ops::SyncReport`]) |
//! | `POST /compact` | — or `{}` | what compaction did ([`ops::Compacted`]) |
//! | `POST /due` | `{"date": "YYYY-MM-DD"?}` | the due list ([`ops::DueView`]) |
//! | `POST /mpr` | `{"month": "YYYY-MM"?, "centre": "..."?}` | the monthly progress report ([`sampark_crdt::due::mpr::Report`]) |
//! | `POST /entries` | `{"register"?, "about"?, "text"?, "centre"?}` ([`ops::entries::EntryQuery`]) | the matching entries ([`ops::entries::EntryView`]) |
//! | `POST /correct` | `{"entry": "ID", "fields": {...}, "centre"?}` | the entry as corrected |
//! | `POST /void` | `{"entry": "ID", "reason": "...", "centre"?}` | the entry, voided |
//! | `POST /duplicates` | `{"centre"?}` or `{}` | members that may be one person ([`ops::entries::Duplicate`]) |
//!
//! `{id}` is a ticket ID or a unique start of it (8 hex digits or more). Bodies are JSON, at most
//! [`MAX_BODY`] bytes, and unknown fields are refused. Failures answer
//! `{"error": "<plain words>", "kind": "<kind>"}` with a status by [`ops::ErrorKind`]: 400 bad
//! input, 401 no or wrong token, 403 foreign host or origin, 404 no such ticket or endpoint, 409
//! not allowed by the rules, 413 too large, 415 not JSON, 500 the node failed, 502 the peer could
//! not be reached, 503 not ready. A write is answered only once
//! it is durable. Operations run on a blocking thread, one at a time (the node is behind a mutex
//! shared with the transport).

pub mod client;
pub mod page;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request as HttpRequest, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use sampark_crdt::Keypair;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ops::entries::EntryQuery;
use crate::ops::{self, EnrolFile, ErrorKind, OpError, Request, Response};

/// Largest request body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// What the API's handlers share: the node and its key (for `sync`), and what [`guard`] checks.
#[derive(Clone)]
pub struct State {
    node: Arc<Mutex<ops::Node>>,
    key: Arc<Keypair>,
    access: Arc<Access>,
}

/// What a request must show to be served (see the module docs).
#[derive(Debug)]
struct Access {
    /// The `Host` values that name this API.
    hosts: Vec<String>,
    /// The home's API token.
    token: String,
}

impl State {
    /// The state for `node`, whose key is `key`, served at `addr` to callers that show `token`.
    pub fn new(node: Arc<Mutex<ops::Node>>, key: Keypair, addr: SocketAddr, token: String) -> State {
        let hosts = vec![addr.to_string(), format!("localhost:{}", addr.port())];
        State { node, key: Arc::new(key), access: Arc::new(Access { hosts, token }) }
    }
}

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always true when the daemon answers.
    pub ok: bool,
    /// The node's public key.
    pub key: String,
    /// The daemon's version.
    pub version: String,
}

/// The API's routes, and the app's page and files (which need no token: [`page`]).
pub fn router(state: State) -> Router {
    let page = Router::new()
        .route("/", get(page::index))
        .route("/app/{file}", get(page::file))
        .layer(middleware::from_fn_with_state(state.clone(), page_guard))
        .with_state(state.clone());
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/status", get(status))
        .route("/enroll", post(enroll))
        .route("/record", post(record))
        .route("/import-history", post(import_history))
        .route("/tickets", get(list).post(raise))
        .route("/tickets/{id}", get(show))
        .route("/tickets/{id}/{action}", post(act))
        .route("/sync", post(sync))
        .route("/compact", post(compact))
        .route("/due", post(due))
        .route("/mpr", post(mpr))
        .route("/entries", post(entries))
        .route("/correct", post(correct))
        .route("/void", post(void))
        .route("/duplicates", post(duplicates))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    page.merge(api)
}

/// Serves the app's files only to a request whose `Host` names this API (a page on a rebound
/// DNS name gets nothing).
async fn page_guard(Extract(state): Extract<State>, request: HttpRequest, next: Next) -> HttpResponse {
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    if host.is_some_and(|h| state.access.hosts.iter().any(|ours| ours.eq_ignore_ascii_case(h))) {
        next.run(request).await
    } else {
        error_reply(StatusCode::FORBIDDEN, ErrorKind::Forbidden, "the Host header does not name this node's API".into())
    }
}

/// Serves a request only if it shows it comes from the sevika's own software (the module docs
/// give the checks and their order).
async fn guard(Extract(state): Extract<State>, request: HttpRequest, next: Next) -> HttpResponse {
    match admit(&state.access, request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err((status, kind, why)) => {
            tracing::warn!(%status, path = %request.uri().path(), why, "local API request refused");
            error_reply(status, kind, why.to_owned())
        }
    }
}

/// The checks of [`guard`], as a pure function of the request's method and headers.
fn admit(access: &Access, method: &Method, headers: &HeaderMap) -> Result<(), (StatusCode, ErrorKind, &'static str)> {
    let text = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let ours = |host: &str| access.hosts.iter().any(|h| h.eq_ignore_ascii_case(host));
    if !text(header::HOST).is_some_and(ours) {
        return Err((StatusCode::FORBIDDEN, ErrorKind::Forbidden, "the Host header does not name this node's API"));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let own = origin.strip_prefix("http://").is_some_and(ours);
        if !own {
            return Err((StatusCode::FORBIDDEN, ErrorKind::Forbidden, "requests from other web pages are refused"));
        }
    }
    let token = text(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
    if !same_secret(token.trim().as_bytes(), access.token.as_bytes()) {
        return Err((
            StatusCode::UNAUTHORIZED,
            ErrorKind::Unauthorised,
            "give the node's API token (HOME/api-token) as `Authorization: Bearer TOKEN`",
        ));
    }
    if method == Method::POST {
        let json = text(header::CONTENT_TYPE)
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::Invalid,
                "the request body must be JSON, sent as Content-Type: application/json",
            ));
        }
    }
    Ok(())
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Serves the API on `listener` until `shutdown` completes (requests in progress finish).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::httpd::serve(listener, router(state), crate::httpd::Limits::local_api(), shutdown).await
}

fn error_reply(status: StatusCode, kind: ErrorKind, message: String) -> HttpResponse {
    (status, axum::Json(json!({ "error": message, "kind": kind }))).into_response()
}

fn reply(result: Result<Response, OpError>) -> HttpResponse {
    match result {
        Ok(response) => axum::Json(response).into_response(),
        Err(e) => {
            let kind = e.kind();
            let status = StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if kind == ErrorKind::Failed {
                tracing::warn!(error = %e, "API request failed");
            }
            error_reply(status, kind, e.to_string())
        }
    }
}

/// Why a request body could not be read.
enum BodyError {
    TooLarge,
    TimedOut,
    Bad(String),
}

/// Reads a JSON body of at most [`MAX_BODY`] bytes; an empty body reads as `{}`.
async fn read<T: DeserializeOwned>(body: Body) -> Result<T, BodyError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| if crate::httpd::is_timeout(&e) { BodyError::TimedOut } else { BodyError::TooLarge })?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
    serde_json::from_slice(bytes).map_err(|e| BodyError::Bad(format!("the request body does not read: {e}")))
}

/// Runs `request` against the node, off the async threads (or the transport, for `sync`).
async fn run(state: State, request: Request) -> HttpResponse {
    let result = match request {
        Request::Sync { peer } => {
            crate::daemon::sync(Arc::clone(&state.node), &state.key, &peer).await.map(Response::Synced)
        }
        request => {
            let node = Arc::clone(&state.node);
            tokio::task::spawn_blocking(move || match node.lock() {
                Ok(mut n) => n.handle(request),
                Err(_) => Err(OpError::Failed("the node's state is unavailable; restart the daemon".into())),
            })
            .await
            .unwrap_or_else(|e| Err(OpError::Failed(format!("the operation did not finish: {e}"))))
        }
    };
    reply(result)
}

/// Reads the body as `T`, makes the request from it, and runs it.
async fn run_with<T: DeserializeOwned>(state: State, body: Body, make: impl FnOnce(T) -> Request) -> HttpResponse {
    match read::<T>(body).await {
        Ok(fields) => run(state, make(fields)).await,
        Err(BodyError::TooLarge) => error_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Invalid,
            format!("the request body is over {MAX_BODY} bytes"),
        ),
        Err(BodyError::TimedOut) => error_reply(
            StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Invalid,
            "the request body came too slowly; send it again".into(),
        ),
        Err(BodyError::Bad(why)) => error_reply(StatusCode::BAD_REQUEST, ErrorKind::Invalid, why),
    }
}

async fn healthz(Extract(state): Extract<State>) -> HttpResponse {
    let health = Health { ok: true, key: state.key.public().to_hex(), version: env!("CARGO_PKG_VERSION").to_string() };
    axum::Json(health).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DueBody {
    #[serde(default)]
    date: Option<String>,
}

async fn due(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: DueBody| Request::Due { date: b.date }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MprBody {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    centre: Option<String>,
}

async fn mpr(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: MprBody| Request::Mpr { month: b.month, centre: b.centre }).await
}

async fn entries(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |query: EntryQuery| Request::Entries { query }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectBody {
    entry: String,
    fields: Map<String, Value>,
    #[serde(default)]
    centre: Option<String>,
}

async fn correct(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: CorrectBody| Request::Correct { entry: b.entry, fields: b.fields, centre: b.centre })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidBody {
    entry: String,
    reason: String,
    #[serde(default)]
    centre: Option<String>,
}

async fn void(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: VoidBody| Request::Void { entry: b.entry, reason: b.reason, centre: b.centre }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreBody {
    #[serde(default)]
    centre: Option<String>,
}

async fn duplicates(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: CentreBody| Request::Duplicates { centre: b.centre }).await
}

async fn compact(Extract(state): Extract<State>) -> HttpResponse {
    run(state, Request::Compact).await
}

async fn status(Extract(state): Extract<State>) -> HttpResponse {
    run(state, Request::Status).await
}

async fn list(Extract(state): Extract<State>) -> HttpResponse {
    run(state, Request::Tickets).await
}

async fn show(Extract(state): Extract<State>, id: Result<Path<String>, PathRejection>) -> HttpResponse {
    match id {
        Ok(Path(ticket)) => run(state, Request::Ticket { ticket }).await,
        Err(e) => error_reply(StatusCode::BAD_REQUEST, ErrorKind::Invalid, e.body_text()),
    }
}

async fn enroll(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |file: EnrolFile| Request::Enroll { file }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordBody {
    entry: Value,
    #[serde(default)]
    centre: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    history: Value,
    household: String,
    #[serde(default)]
    centre: Option<String>,
}

async fn import_history(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: ImportBody| Request::ImportHistory {
        history: b.history,
        household: b.household,
        centre: b.centre,
    })
    .await
}

async fn record(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: RecordBody| Request::Record { entry: b.entry, centre: b.centre }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RaiseBody {
    category: String,
    text: String,
}

async fn raise(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: RaiseBody| Request::Raise { category: b.category, text: b.text }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextBody {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoBody {}

async fn act(
    Extract(state): Extract<State>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Body,
) -> HttpResponse {
    let (ticket, action) = match path {
        Ok(Path(p)) => p,
        Err(e) => return error_reply(StatusCode::BAD_REQUEST, ErrorKind::Invalid, e.body_text()),
    };
    match action.as_str() {
        "comment" => {
            run_with(state, body, |b: TextBody| Request::Comment { ticket, text: b.text.unwrap_or_default() }).await
        }
        "reopen" => run_with(state, body, |b: TextBody| Request::Reopen { ticket, text: b.text }).await,
        "confirm" => run_with(state, body, |_: NoBody| Request::Confirm { ticket }).await,
        other => error_reply(
            StatusCode::NOT_FOUND,
            ErrorKind::NotFound,
            format!("a ticket has no action {other:?}; the actions are comment, reopen and confirm"),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    peer: String,
}

async fn sync(Extract(state): Extract<State>, body: Body) -> HttpResponse {
    run_with(state, body, |b: SyncBody| Request::Sync { peer: b.peer }).await
}

async fn no_route(method: Method, uri: Uri) -> HttpResponse {
    error_reply(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        format!("there is no {method} {}; the endpoints are listed in docs/node.md", uri.path()),
    )
}

async fn no_method(method: Method, uri: Uri) -> HttpResponse {
    error_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Invalid,
        format!("{} does not take {method}; the endpoints are listed in docs/node.md", uri.path()),
    )
}
