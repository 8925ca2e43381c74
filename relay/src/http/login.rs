//! `POST /api/login`, `GET /api/me`, `POST /api/logout`, and the checks every other `/api/*`
//! route makes: a session ([`session`], 401 without) and, for POSTs, its CSRF token
//! ([`session_for_post`], 403 without).
//!
//! A wrong user name and a wrong password get the same 401 answer after the same work (an
//! unknown name is checked against a stand-in hash), and repeated failures for one name are
//! refused for a while ([`super::sessions`]).

use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::sessions::{self, Session};
use super::{ApiError, AppState, read_json};

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

/// `POST /api/login`.
pub(super) async fn login(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let LoginBody { user, password } = read_json(body).await?;
    if let Some(wait) = state.0.sessions.throttled(&user, Instant::now()) {
        let secs = wait.as_secs().max(1);
        let mut refused = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            format!("too many failed logins for this user name; try again in {secs} s"),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            refused.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(refused);
    }
    let operator = state.0.operators.get(&user).cloned();
    let dummy = state.0.dummy_hash.clone();
    let checked_password = password.clone();
    let matches = tokio::task::spawn_blocking(move || match &operator {
        Some(op) => op.password_matches(&checked_password),
        None => {
            let _ = crate::operators::password::verify(&dummy, &checked_password);
            false
        }
    })
    .await
    .unwrap_or(false);
    if !matches {
        state.0.sessions.failed(&user, Instant::now());
        tracing::info!(user = %user.chars().take(40).collect::<String>(), "helpdesk login failed");
        return Err(unauthorised("the user name or the password is wrong"));
    }
    state.0.sessions.succeeded(&user);
    let (token, session) = state.0.sessions.open(&user, Instant::now()).map_err(ApiError::failed)?;
    tracing::info!(%user, "helpdesk login");
    let me = me_of(&state, &session)?;
    let mut response = axum::Json(me).into_response();
    let cookie = HeaderValue::from_str(&sessions::set_cookie(&token)).map_err(|e| ApiError::failed(e.to_string()))?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
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
