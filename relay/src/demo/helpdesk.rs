//! A helpdesk operator at work, through a relay's HTTP API (`run --http`): log in, read the
//! queue, and act on tickets (`comment`, `assign`, `resolve`, `escalate`, `pullup`).
//!
//! Assumes the API as `relay/src/http` serves it: `POST /api/login` answers the CSRF token and
//! sets the `sampark_session` cookie, which goes back in a `Cookie:` header; every other POST
//! carries `X-CSRF-Token`. Bodies and answers are JSON.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::{DemoError, at};

/// Largest answer read.
const MAX_ANSWER: u64 = 4 * 1024 * 1024;

/// A logged-in operator's session with one relay.
#[derive(Debug, Clone)]
pub struct Helpdesk {
    base: String,
    agent: ureq::Agent,
    cookie: String,
    csrf: String,
    /// Who is logged in.
    pub user: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(2)))
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// GET `url`, or POST `body` to it, with `headers`: the status, the JSON answer (`null` if it
/// is not JSON) and the `Set-Cookie` headers.
fn call(
    agent: &ureq::Agent,
    url: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Result<(u16, Value, Vec<String>), DemoError> {
    let failed = |e: ureq::Error| DemoError::Http { url: url.to_string(), why: e.to_string() };
    let mut response = match body {
        None => {
            let mut request = agent.get(url);
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            request.call().map_err(failed)?
        }
        Some(body) => {
            let mut request = agent.post(url).header("content-type", "application/json");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            request.send(body.to_string()).map_err(failed)?
        }
    };
    let cookies =
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let status = response.status().as_u16();
    let bytes = response.body_mut().with_config().limit(MAX_ANSWER).read_to_vec().map_err(failed)?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), cookies))
}

/// `GET /healthz` of the relay's HTTP API: `Some(answer)` once it answers 200.
pub fn health(http: SocketAddr) -> Option<Value> {
    match call(&agent(), &format!("http://{http}/healthz"), None, &[]) {
        Ok((200, answer, _)) => Some(answer),
        _ => None,
    }
}

impl Helpdesk {
    /// Logs `user` in at the relay whose HTTP API is at `http`.
    pub fn login(http: SocketAddr, user: &str, password: &str) -> Result<Helpdesk, DemoError> {
        let agent = agent();
        let base = format!("http://{http}");
        let url = format!("{base}/api/login");
        let (status, answer, cookies) = call(&agent, &url, Some(&json!({"user": user, "password": password})), &[])?;
        if status != 200 {
            return Err(DemoError::Http { url, why: format!("login as {user}: {status} {answer}") });
        }
        let cookie = cookies
            .iter()
            .filter_map(|c| c.split(';').next())
            .find(|c| c.trim_start().starts_with("sampark_session="))
            .map(|c| c.trim().to_string())
            .ok_or_else(|| DemoError::Http { url: url.clone(), why: "login set no sampark_session cookie".into() })?;
        let csrf = at(&answer, &["csrf"])
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| DemoError::Http { url, why: format!("login answered no csrf token: {answer}") })?;
        Ok(Helpdesk { base, agent, cookie, csrf, user: user.to_string() })
    }

    /// `GET path` with the session; the JSON answer of a 200.
    pub fn get(&self, path: &str) -> Result<Value, DemoError> {
        self.request(path, None)
    }

    fn request(&self, path: &str, body: Option<&Value>) -> Result<Value, DemoError> {
        let url = format!("{}{path}", self.base);
        let mut headers = vec![("cookie", self.cookie.as_str())];
        if body.is_some() {
            headers.push(("x-csrf-token", self.csrf.as_str()));
        }
        let (status, answer, _) = call(&self.agent, &url, body, &headers)?;
        if status == 200 { Ok(answer) } else { Err(DemoError::Http { url, why: format!("{status} {answer}") }) }
    }

    /// The relay's queue (`GET /api/tickets`).
    pub fn tickets(&self) -> Result<Vec<Value>, DemoError> {
        let answer = self.request("/api/tickets", None)?;
        Ok(at(&answer, &["tickets"]).as_array().cloned().unwrap_or_default())
    }

    /// One ticket in the queue, if it is there.
    pub fn queued(&self, id: &str) -> Result<Option<Value>, DemoError> {
        Ok(self.tickets()?.into_iter().find(|t| at(t, &["id"]) == id))
    }

    /// The ticket (with its timeline) once it is in this relay's queue at `tier` and the relay
    /// has stamped its receipt there (so the tier's deadline runs): how an operator sees that a
    /// ticket is hers to work.
    pub fn arrived(&self, id: &str, tier: &str) -> Result<Option<Value>, DemoError> {
        if self.queued(id)?.is_none() {
            return Ok(None);
        }
        let t = self.ticket(id)?;
        let stamped = at(&t, &["tiers", tier]).is_number();
        Ok((at(&t, &["tier"]) == tier && stamped).then_some(t))
    }

    /// A ticket with its timeline (`GET /api/tickets/{id}`).
    pub fn ticket(&self, id: &str) -> Result<Value, DemoError> {
        Ok(at(&self.request(&format!("/api/tickets/{id}"), None)?, &["ticket"]).clone())
    }

    /// `POST /api/tickets/{id}/{action}` with `{"text": text}`; returns the ticket.
    pub fn act(&self, id: &str, action: &str, text: &str) -> Result<Value, DemoError> {
        self.request(&format!("/api/tickets/{id}/{action}"), Some(&json!({ "text": text })))
    }
}
