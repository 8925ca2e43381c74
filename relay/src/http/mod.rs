//! The relay's helpdesk HTTP API and dashboard (`sampark-relay run --http ADDR`).
//!
//! It runs beside the node's daemon ([`sampark_node::daemon::run_with`]), sharing its node, and
//! stops with it. Routes (the same list is in `openapi.json`, served at `/openapi.json`):
//!
//! | method and path | login | answer |
//! |---|---|---|
//! | `GET /healthz` | no | `{"ok", "key", "tier", "scope", "version"}` |
//! | `GET /metrics` | no | Prometheus text ([`metrics`]) |
//! | `GET /openapi.json` | no | the OpenAPI 3.0 description |
//! | `GET /`, `GET /assets/{file}` | no | the dashboard ([`dashboard`]) |
//! | `POST /api/login` | no | `{"user", "key", "tier", "scope", "csrf"}` and the session cookie; 415 unless JSON, 429 locked out ([`lockout`]), 503 `busy` |
//! | `GET /api/me` | yes | the same as login |
//! | `POST /api/logout` | yes | 204 |
//! | `GET /api/tickets?status=&tier=&category=&awc=&min_age_hours=` | yes | `{"tickets": [...]}` |
//! | `GET /api/tickets/{id}` | yes | `{"ticket": {...}}` with timeline, path and tiers |
//! | `POST /api/tickets/{id}/{action}` | yes | the ticket after `comment`, `assign`, `resolve`, `escalate` or `pullup` |
//! | `GET /api/centres` | yes | `{"centres": [...]}`: each centre's sync freshness |
//! | `GET /api/refusals` | yes | `{"refusals": [...]}`: peers refused, or whose changes were, and why |
//! | `GET /api/coverage?month=&scope=` | yes | service coverage per block, sector and centre ([`coverage`]) |
//! | `GET /api/mpr?month=&centre=` | yes | a centre's monthly progress report ([`coverage`]) |
//! | `GET /api/history/{member}` | yes | a beneficiary's history, for her new centre ([`coverage`]) |
//! | `GET /api/nutrition?month=&scope=` | yes | nutrition outcomes and full immunisation, this month and the one before ([`coverage`]) |
//! | `GET /api/alerts?state=` | yes | `{"outbox", "alerts": [...]}`: the SMS outbox ([`crate::alerts`]) |
//!
//! Sessions and CSRF are in [`sessions`]: a random session cookie (`HttpOnly; SameSite=Strict`),
//! kept in memory, expiring after 12 hours idle; every POST but login also needs the session's
//! CSRF token in `X-CSRF-Token`. Operators sign their ticket actions with their own keys
//! ([`crate::operators`], [`sampark_node::ops::Node::act_as`]).
//!
//! Login ([`login`]) counts each attempt before it checks the password, locks a name out per
//! client address and, more loosely, from everywhere ([`lockout`]), and checks passwords on two
//! threads of their own, so that logins in parallel cannot slip a guess past the lockout nor
//! make the relay take Argon2's memory again and again ([`checker`]).
//!
//! Bodies are JSON of at most [`MAX_BODY`] bytes with no unknown fields, sent with
//! `Content-Type: application/json` (login always; other POSTs whenever they have a body): a
//! browser sends a form of another site's page without asking, but never JSON, so no page
//! elsewhere can log an operator's browser in or act in its name. Failures answer
//! `{"error": "<plain words>", "kind": "<kind>"}`: 400 `invalid`, 401 `unauthorised`, 403
//! `forbidden`, 404 `not-found`, 408 `invalid` (the body came too slowly), 409 `refused` (the
//! ticket rules said no; their words), 413 `invalid`, 415 `invalid` (not JSON), 429
//! `throttled`, 500 `failed`, 503 `busy` (too many logins at once) or `not-ready`. Node
//! operations run on a blocking thread with the node locked, like the node's local API.
//!
//! The server is [`sampark_node::httpd`]'s, bounded: a request's head must arrive within 10 s
//! (which is also how long a kept-alive connection may idle) and its body within 30 s
//! (`--http-header-timeout`, `--http-body-timeout`); an answer the client stops taking for 30 s
//! is dropped; connections beyond its share of the file descriptors (three quarters of the
//! HTTP share, itself a quarter of `RLIMIT_NOFILE`: [`sampark_node::httpd::fd_budget`];
//! `--http-max-connections`), or beyond a quarter of that from one client address, are closed
//! as they come. Handlers see the client's address
//! as `ConnectInfo<SocketAddr>`.
//!
//! The server speaks plain HTTP: on a LAN address anyone on that network can see the traffic,
//! passwords included. `docs/operations.md` says where to put it.

mod centres;
pub mod checker;
mod coverage;
pub mod dashboard;
pub mod lockout;
mod login;
pub mod metrics;
mod refusals;
pub mod sessions;
mod tickets;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use sampark_crdt::ticket::Tier;
use sampark_crdt::{PublicKey, Scope};
use sampark_node::daemon::{Extra, Stopping};
use sampark_node::home::Home;
use sampark_node::httpd::{self, Limits};
use sampark_node::ops::{self, ErrorKind, OpError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::operators::{self, Operator};
use sessions::Sessions;

/// Where the helpdesk server listens when `--http` is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7700";
/// Largest request body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// The OpenAPI document, as served.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Who this relay is: its key, tier and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// The relay's key.
    pub key: PublicKey,
    /// The helpdesk tier it serves.
    pub tier: Tier,
    /// The scope it serves, e.g. `BR/DBG/P07`.
    pub scope: Scope,
}

impl Relay {
    /// The relay `node` is enrolled as, if it is enrolled as a relay.
    pub fn of(node: &ops::Node) -> Option<Relay> {
        let grant = node.scope_grants().into_iter().filter(|g| g.role.is_relay()).max_by_key(Tier::of_grant)?;
        Some(Relay { key: node.public(), tier: Tier::of_grant(&grant)?, scope: grant.scope })
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    node: Arc<Mutex<ops::Node>>,
    relay: Relay,
    operators: BTreeMap<String, Arc<Operator>>,
    names: BTreeMap<PublicKey, String>,
    dummy_hash: String,
    sessions: Sessions,
    lockout: lockout::Lockout,
    /// Where passwords are checked: [`login::HASHING`] threads, each holding Argon2's memory.
    checker: checker::Checker,
    requests: metrics::Requests,
    alerts: Option<crate::alerts::Outbox>,
}

impl AppState {
    /// The state for the relay `node`, with its `operators`; `None` when the node is not
    /// enrolled as a relay.
    pub fn new(node: Arc<Mutex<ops::Node>>, operators: Vec<Operator>) -> Option<AppState> {
        AppState::new_with(node, operators, None)
    }

    /// The same, serving the SMS outbox `alerts` (`GET /api/alerts`, the `sampark_sms` metrics).
    pub fn new_with(
        node: Arc<Mutex<ops::Node>>,
        operators: Vec<Operator>,
        alerts: Option<crate::alerts::Outbox>,
    ) -> Option<AppState> {
        let relay = node.lock().ok().and_then(|n| Relay::of(&n))?;
        let names = operators.iter().map(|o| (o.author.public(), o.user.clone())).collect();
        let operators = operators.into_iter().map(|o| (o.user.clone(), Arc::new(o))).collect();
        // Unknown users are checked against this hash, so they cost as much time as known ones.
        let dummy_hash = operators::password::hash("not a password of anyone's").unwrap_or_default();
        Some(AppState(Arc::new(Inner {
            node,
            relay,
            operators,
            names,
            dummy_hash,
            sessions: Sessions::new(),
            lockout: lockout::Lockout::new(),
            checker: checker::Checker::new(login::HASHING),
            requests: metrics::Requests::default(),
            alerts,
        })))
    }

    fn relay(&self) -> &Relay {
        &self.0.relay
    }

    /// The user name of an operator of this relay, by key.
    fn user_of(&self, key: &PublicKey) -> Option<String> {
        self.0.names.get(key).cloned()
    }
}

/// A failed request: a status, a kind and plain words.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, kind, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    fn failed(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "failed", message)
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> ApiError {
        let kind = e.kind();
        let status = StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let name = match kind {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Refused => "refused",
            ErrorKind::NotReady => "not-ready",
            ErrorKind::Unreachable => "unreachable",
            _ => "failed",
        };
        if name == "failed" {
            tracing::warn!(error = %e, "helpdesk request failed");
        }
        ApiError::new(status, name, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message, "kind": self.kind }))).into_response()
    }
}

/// A JSON answer, or an error.
type Reply<T> = Result<axum::Json<T>, ApiError>;

/// Runs `f` on the node, on a blocking thread with the node locked.
async fn with_node<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut ops::Node) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let node = Arc::clone(&state.0.node);
    tokio::task::spawn_blocking(move || match node.lock() {
        Ok(mut n) => f(&mut n),
        Err(_) => Err(ApiError::failed("the node's state is unavailable; restart the relay")),
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::failed(format!("the operation did not finish: {e}"))))
}

/// True when the request says its body is JSON (`Content-Type: application/json`, parameters
/// such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// 415 unless the request says its body is JSON. A browser sends a cross-site form (urlencoded,
/// multipart or text/plain) without asking first, but never a JSON one: so a page elsewhere
/// cannot post to the helpdesk in an operator's browser.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    if is_json(headers) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid",
        "the request body must be JSON, sent with Content-Type: application/json",
    ))
}

/// Reads a JSON body of at most [`MAX_BODY`] bytes; an empty body reads as `{}`. A body that
/// is not empty must be sent as JSON ([`require_json`], 415); one that does not arrive in time
/// ([`httpd::Limits::body_read`]) is a 408.
async fn read_json<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if httpd::is_timeout(&e) {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "invalid", "the request body did not arrive in time")
        } else {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid",
                format!("the request body is over {MAX_BODY} bytes"),
            )
        }
    })?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        require_json(headers)?;
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("the request body does not read: {e}")))
}

/// Every route the server serves: method, path and handler. The router is built from this
/// list alone, and a test checks it against `openapi.json` both ways.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/healthz", get(healthz)),
        (Method::GET, "/metrics", get(metrics::serve)),
        (Method::GET, "/openapi.json", get(openapi)),
        (Method::GET, "/", get(dashboard::index)),
        (Method::GET, "/assets/{file}", get(dashboard::asset)),
        (Method::POST, "/api/login", post(login::login)),
        (Method::GET, "/api/me", get(login::me)),
        (Method::POST, "/api/logout", post(login::logout)),
        (Method::GET, "/api/tickets", get(tickets::list)),
        (Method::GET, "/api/tickets/{id}", get(tickets::show)),
        (Method::POST, "/api/tickets/{id}/{action}", post(tickets::act)),
        (Method::GET, "/api/centres", get(centres::list)),
        (Method::GET, "/api/refusals", get(refusals::list)),
        (Method::GET, "/api/coverage", get(coverage::coverage)),
        (Method::GET, "/api/nutrition", get(coverage::nutrition)),
        (Method::GET, "/api/mpr", get(coverage::mpr)),
        (Method::GET, "/api/history/{id}", get(coverage::history)),
        (Method::GET, "/api/alerts", get(coverage::alerts)),
    ]
}

/// The server's router.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    router
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        .with_state(state)
}

/// Serves the helpdesk on `listener` within `limits` ([`httpd`]: timeouts, connection caps)
/// until `shutdown` completes (requests in progress finish).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    httpd::serve(listener, router(state), limits, shutdown).await
}

/// Binds `addr` and loads the operators of `home`; returns the task the daemon runs beside
/// itself ([`sampark_node::daemon::run_with`]). Fails, in plain words, when the address cannot
/// be bound or an operator file does not read.
pub async fn start(addr: SocketAddr, home: &Home) -> Result<Extra, String> {
    start_with(addr, home, None, Limits::shared()).await
}

/// The same, serving the SMS outbox `alerts` too, within `limits`.
pub async fn start_with(
    addr: SocketAddr,
    home: &Home,
    alerts: Option<crate::alerts::Outbox>,
    limits: Limits,
) -> Result<Extra, String> {
    let operators = operators::load(home).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!(
            "cannot serve the helpdesk on {addr}: {e}; is another relay using that port? Choose another with --http"
        )
    })?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    if !bound.ip().is_loopback() {
        tracing::warn!(%bound, "the helpdesk serves plain HTTP beyond this machine; see docs/operations.md");
    }
    let task = move |node: Arc<Mutex<ops::Node>>, stopping: Stopping| -> Stopping {
        Box::pin(async move {
            let count = operators.len();
            let Some(state) = AppState::new_with(node, operators, alerts) else {
                tracing::error!("the helpdesk did not start: this node is not enrolled as a relay");
                return;
            };
            tracing::info!(
                addr = %bound,
                operators = count,
                max_connections = limits.max_connections,
                per_address = limits.per_address,
                header_timeout_ms = u64::try_from(limits.header_read.as_millis()).unwrap_or(u64::MAX),
                "helpdesk HTTP API started"
            );
            if let Err(e) = serve(listener, state, limits, stopping).await {
                tracing::error!(error = %e, "the helpdesk HTTP API stopped");
            }
        })
    };
    Ok(Box::new(task))
}

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, Serialize)]
struct Health {
    ok: bool,
    key: String,
    tier: &'static str,
    scope: String,
    version: &'static str,
}

async fn healthz(State(state): State<AppState>) -> axum::Json<Health> {
    let relay = state.relay();
    axum::Json(Health {
        ok: true,
        key: relay.key.to_hex(),
        tier: relay.tier.name(),
        scope: relay.scope.to_string(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("there is no {method} {}; the routes are listed at /openapi.json", uri.path()))
}

async fn no_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid",
        format!("{} does not take {method}; the routes are listed at /openapi.json", uri.path()),
    )
}

#[cfg(test)]
mod tests;
