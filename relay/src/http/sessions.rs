//! Helpdesk sessions and CSRF tokens.
//!
//! A session is a random 32-byte token (hex) sent as the cookie `sampark_session`
//! (`HttpOnly; SameSite=Strict; Path=/`), with a second random token, the CSRF token, that the
//! dashboard sends back in `X-CSRF-Token` on every POST. Sessions live in memory only: a
//! restart logs everyone out. A session expires after [`IDLE`] without a request. Times are
//! passed in, so tests need no clock. Failed logins are counted in [`super::lockout`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use sampark_crdt::codec::hex;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "sampark_session";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts without a request.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);
/// Most sessions kept; older ones are dropped first when full.
const MAX_ENTRIES: usize = 4096;

/// A logged-in operator's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The operator's user name.
    pub user: String,
    /// The token every POST must carry in `X-CSRF-Token`.
    pub csrf: String,
}

#[derive(Debug)]
struct Entry {
    session: Session,
    last_seen: Instant,
}

/// Every open session, in memory.
#[derive(Debug, Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Entry>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// 32 random bytes in hex.
fn token() -> Result<String, String> {
    sampark_node::home::random::<32>().map(|b| hex(&b)).map_err(|e| e.to_string())
}

impl Sessions {
    /// No sessions yet.
    pub fn new() -> Sessions {
        Sessions::default()
    }

    /// Opens a session for `user`; returns its token (the cookie's value) and the session.
    pub fn open(&self, user: &str, now: Instant) -> Result<(String, Session), String> {
        let (token, csrf) = (token()?, token()?);
        let session = Session { user: user.to_owned(), csrf };
        let mut open = lock(&self.open);
        open.retain(|_, e| now.saturating_duration_since(e.last_seen) < IDLE);
        if open.len() >= MAX_ENTRIES
            && let Some(oldest) = open.iter().min_by_key(|(_, e)| e.last_seen).map(|(k, _)| k.clone())
        {
            open.remove(&oldest);
        }
        open.insert(token.clone(), Entry { session: session.clone(), last_seen: now });
        Ok((token, session))
    }

    /// The session of `token` if it is open and not idle too long; a request refreshes it.
    pub fn get(&self, token: &str, now: Instant) -> Option<Session> {
        let mut open = lock(&self.open);
        let entry = open.get_mut(token)?;
        if now.saturating_duration_since(entry.last_seen) >= IDLE {
            open.remove(token);
            return None;
        }
        entry.last_seen = now;
        Some(entry.session.clone())
    }

    /// Closes the session of `token`.
    pub fn close(&self, token: &str) {
        lock(&self.open).remove(token);
    }

    /// How many sessions are open (idle ones included until they are next looked at).
    pub fn count(&self) -> usize {
        lock(&self.open).len()
    }
}

/// The session token in the request's `Cookie` headers, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().to_owned())
}

/// The `Set-Cookie` value that gives the browser `token`.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// True when the request's `X-CSRF-Token` is `expected`, compared in constant time.
pub fn csrf_ok(headers: &HeaderMap, expected: &str) -> bool {
    let Some(given) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) else { return false };
    constant_time_eq(given.trim().as_bytes(), expected.as_bytes())
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_session_lasts_while_used_and_ends_after_twelve_idle_hours() {
        let s = Sessions::new();
        let t0 = Instant::now();
        let (token, session) = s.open("asha", t0).unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(session.csrf.len(), 64);
        assert_ne!(token, session.csrf);
        assert_eq!(s.get(&token, t0 + Duration::from_secs(11 * 3600)), Some(session.clone()));
        // Used at 11 h, so still open at 22 h; idle from then on, gone 12 h later.
        assert_eq!(s.get(&token, t0 + Duration::from_secs(22 * 3600)), Some(session));
        assert_eq!(s.get(&token, t0 + Duration::from_secs(34 * 3600)), None);
        assert_eq!(s.count(), 0);
        assert_eq!(s.get("not a token", t0), None);
    }

    #[test]
    fn logout_closes_only_its_session() {
        let s = Sessions::new();
        let now = Instant::now();
        let (a, _) = s.open("asha", now).unwrap();
        let (b, _) = s.open("asha", now).unwrap();
        assert_ne!(a, b);
        s.close(&a);
        assert!(s.get(&a, now).is_none());
        assert!(s.get(&b, now).is_some());
    }

    #[test]
    fn cookies_and_csrf_headers_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(cookie_token(&h), None);
        h.append(COOKIE, HeaderValue::from_static("theme=dark; sampark_session=abc123 ; x=y"));
        assert_eq!(cookie_token(&h).as_deref(), Some("abc123"));
        assert!(!csrf_ok(&h, "tok"));
        h.insert(CSRF_HEADER, HeaderValue::from_static("tok"));
        assert!(csrf_ok(&h, "tok"));
        assert!(!csrf_ok(&h, "tok2"));
        assert!(!csrf_ok(&h, "tol"));
        assert!(set_cookie("abc").contains("HttpOnly; SameSite=Strict; Path=/"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"a", b""));
    }
}
