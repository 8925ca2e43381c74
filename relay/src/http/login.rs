//! `POST /api/login`, `GET /api/me`, `POST /api/logout`, and the checks every other `/api/*`
//! route makes: a session ([`session`], 401 without) and, for POSTs, its CSRF token
//! ([`session_for_post`], 403 without).
//!
//! A wrong user name and a wrong password get the same 401 answer after the same work (an
//! unknown name is checked against a stand-in hash). Each attempt is counted before its
//! password is checked, and repeated failures are refused for a while, per name and source
//! address and per name from anywhere ([`super::lockout`]).
//!
//! A password check costs Argon2's 19 MiB ([`crate::operators::password`]), and memory a
//! process took is seldom given back: checks run on [`HASHING`] threads of their own
//! ([`super::checker`]), so logins in parallel (with made-up names, which no lockout stops) cost
//! at most that much memory. An attempt waits up to [`HASH_WAIT`] for its turn, then is answered
//! 503 `busy` with `Retry-After` and uncounted. Login takes JSON only (415 otherwise), so that no form on another site can
//! log an operator's browser in to an account of the sender's choosing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use sampark_node::httpd;

use super::sessions::{self, Session};
use super::{ApiError, AppState, read_json, require_json};

/// Password checks run at once, at most.
pub const HASHING: usize = 2;
/// How long a login waits for its turn to have its password checked.
pub const HASH_WAIT: Duration = Duration::from_secs(5);
/// The `Retry-After` of a login refused because too many were being checked.
const BUSY_RETRY_AFTER: u64 = 2;

/// What login and `me` answer.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    /// The operator's user name.
    user: String,
    /// The operator's public key.
    key: String,
    /// The relay's tier.
    tier: &'static str,
    /// The relay's scope.
    scope: String,
    /// The token to send in `X-CSRF-Token` on every POST.
    csrf: String,
    /// When the operator's certificate ends (ms since the epoch).
    valid_until: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    user: String,
    password: String,
}

fn unauthorised(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", message)
}

/// The session of the request, or 401.
pub(super) fn session(state: &AppState, headers: &HeaderMap) -> Result<(String, Session), ApiError> {
    let token = sessions::cookie_token(headers).ok_or_else(|| unauthorised("log in first"))?;
    let session = state.0.sessions.get(&token, Instant::now()).ok_or_else(|| {
        unauthorised("the session has ended (logged out, expired, or the relay restarted); log in again")
    })?;
    Ok((token, session))
}

/// The session of a state-changing request, or 401; and its CSRF token, or 403.
pub(super) fn session_for_post(state: &AppState, headers: &HeaderMap) -> Result<(String, Session), ApiError> {
    let (token, session) = session(state, headers)?;
    if !sessions::csrf_ok(headers, &session.csrf) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the X-CSRF-Token header is missing or wrong; use the token login gave",
        ));
    }
    Ok((token, session))
}

fn me_of(state: &AppState, session: &Session) -> Result<Me, ApiError> {
    let operator = state.0.operators.get(&session.user).ok_or_else(|| unauthorised("log in again"))?;
    let relay = state.relay();
    Ok(Me {
        user: session.user.clone(),
        key: operator.author.public().to_hex(),
        tier: relay.tier.name(),
        scope: relay.scope.to_string(),
        csrf: session.csrf.clone(),
        valid_until: operator.valid_until,
    })
}

/// `POST /api/login`: 415 unless the body is JSON; 429 while the name is locked out at this
/// address or everywhere ([`super::lockout`]); 503 when [`HASHING`] checks are already running
/// and none ends within [`HASH_WAIT`].
pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let LoginBody { user, password } = read_json(&headers, body).await?;
    let operator = state.0.operators.get(&user).cloned();
    let from = httpd::source(peer.ip());
    let attempt = match state.0.lockout.reserve(&user, operator.is_some(), from, Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let secs = wait.as_secs().max(1);
            let words = format!("too many failed logins for this user name; try again in {secs} s");
            return Ok(with_retry_after(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", words), secs));
        }
    };
    let dummy = state.0.dummy_hash.clone();
    let check = move || match &operator {
        Some(op) => op.password_matches(&password),
        None => {
            let _ = crate::operators::password::verify(&dummy, &password);
            false
        }
    };
    let Some(matches) = state.0.checker.run(HASH_WAIT, check).await else {
        state.0.lockout.abandon(attempt, Instant::now());
        let busy = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many logins at once; try again");
        return Ok(with_retry_after(busy, BUSY_RETRY_AFTER));
    };
    if !matches {
        state.0.lockout.failed(attempt);
        tracing::info!(user = %user.chars().take(40).collect::<String>(), %peer, "helpdesk login failed");
        return Err(unauthorised("the user name or the password is wrong"));
    }
    state.0.lockout.succeeded(attempt, Instant::now());
    let (token, session) = state.0.sessions.open(&user, Instant::now()).map_err(ApiError::failed)?;
    tracing::info!(%user, %peer, "helpdesk login");
    let me = me_of(&state, &session)?;
    let mut response = axum::Json(me).into_response();
    let cookie = HeaderValue::from_str(&sessions::set_cookie(&token)).map_err(|e| ApiError::failed(e.to_string()))?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `error` as a response with `Retry-After: secs`.
fn with_retry_after(error: ApiError, secs: u64) -> Response {
    let mut response = error.into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// `GET /api/me`.
pub(super) async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<axum::Json<Me>, ApiError> {
    let (_, session) = session(&state, &headers)?;
    me_of(&state, &session).map(axum::Json)
}

/// `POST /api/logout`.
pub(super) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let (token, session) = session_for_post(&state, &headers)?;
    state.0.sessions.close(&token);
    tracing::info!(user = %session.user, "helpdesk logout");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&sessions::clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}
