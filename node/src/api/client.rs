//! The CLI's way to its node: through a running daemon's API, or by opening the home directly.
//!
//! sled lets one process at a time open a store, so while `sampark-node run` serves a home every
//! other command on that home must go through the daemon. [`execute`] decides: if
//! `HOME/daemon.json` names an API that answers `/healthz` with this home's key, the request goes
//! there ([`Client`]); otherwise (no daemon, or a stale file left by a killed one) the command
//! opens the home itself and runs the same [`ops::Node::handle`].

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::Health;
use crate::daemon::{self, DaemonFile};
use crate::home::Home;
use crate::ops::{self, ErrorKind, OpError, Request, Response, enrol, wall_clock};

/// Largest answer read from the API.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// A client of one daemon's local API.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    authorization: String,
}

impl Client {
    /// A client of the API at `addr` that shows `token`, giving up after `timeout`.
    pub fn new(addr: SocketAddr, token: &str, timeout: Duration) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(2)))
            .timeout_global(Some(timeout))
            .build();
        Client { base: format!("http://{addr}"), agent: config.into(), authorization: format!("Bearer {token}") }
    }

    /// Asks the daemon who it is.
    pub fn health(&self) -> Result<Health, OpError> {
        let (status, body) = self.call("/healthz", None)?;
        if status != 200 {
            return Err(OpError::Failed(format!("the daemon answered /healthz with status {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| OpError::Failed(format!("the daemon's health does not read: {e}")))
    }

    /// Sends `request` and reads its answer.
    pub fn send(&self, request: &Request) -> Result<Response, OpError> {
        let (path, body) = route(request)?;
        let (status, answer) = self.call(&path, body)?;
        if status == 200 {
            return request.parse_response(&answer);
        }
        let error: Value = serde_json::from_slice(&answer).unwrap_or_default();
        let message = error
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the daemon answered with status {status}"));
        let kind = error
            .get("kind")
            .and_then(|k| serde_json::from_value::<ErrorKind>(k.clone()).ok())
            .unwrap_or(ErrorKind::Failed);
        Err(OpError::Remote { kind, message })
    }

    /// GETs `path`, or POSTs `body` to it.
    fn call(&self, path: &str, body: Option<Value>) -> Result<(u16, Vec<u8>), OpError> {
        let url = format!("{}{path}", self.base);
        let unreachable = |e: ureq::Error| OpError::Failed(format!("the daemon's API at {} failed: {e}", self.base));
        let mut response = match body {
            None => self.agent.get(&url).header("authorization", &self.authorization).call().map_err(unreachable)?,
            Some(body) => self
                .agent
                .post(&url)
                .header("authorization", &self.authorization)
                .header("content-type", "application/json")
                .send(body.to_string())
                .map_err(unreachable)?,
        };
        let status = response.status().as_u16();
        let bytes = response.body_mut().with_config().limit(MAX_ANSWER).read_to_vec().map_err(unreachable)?;
        Ok((status, bytes))
    }
}

/// The path and body of a request (no body: a GET). Ticket IDs must be hex (they go into the
/// path).
fn route(request: &Request) -> Result<(String, Option<Value>), OpError> {
    let ticket_path = |ticket: &str| -> Result<String, OpError> {
        if ticket.is_empty() || !ticket.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(OpError::Invalid(format!(
                "{ticket:?} is not a ticket ID: give its first 8 or more hex digits (`ticket list` shows them)"
            )));
        }
        Ok(format!("/tickets/{ticket}"))
    };
    Ok(match request {
        Request::Status => ("/status".into(), None),
        Request::Enroll { file } => ("/enroll".into(), Some(serde_json::to_value(file).unwrap_or_default())),
        Request::Record { entry, centre } => ("/record".into(), Some(json!({ "entry": entry, "centre": centre }))),
        Request::ImportHistory { history, household, centre } => {
            ("/import-history".into(), Some(json!({ "history": history, "household": household, "centre": centre })))
        }
        Request::Raise { category, text } => ("/tickets".into(), Some(json!({ "category": category, "text": text }))),
        Request::Comment { ticket, text } => {
            (format!("{}/comment", ticket_path(ticket)?), Some(json!({ "text": text })))
        }
        Request::Reopen { ticket, text } => (format!("{}/reopen", ticket_path(ticket)?), Some(json!({ "text": text }))),
        Request::Confirm { ticket } => (format!("{}/confirm", ticket_path(ticket)?), Some(json!({}))),
        Request::Tickets => ("/tickets".into(), None),
        Request::Ticket { ticket } => (ticket_path(ticket)?, None),
        Request::Sync { peer } => ("/sync".into(), Some(json!({ "peer": peer }))),
        Request::Compact => ("/compact".into(), Some(json!({}))),
        Request::Due { date } => ("/due".into(), Some(json!({ "date": date }))),
        Request::Mpr { month, centre } => ("/mpr".into(), Some(json!({ "month": month, "centre": centre }))),
        Request::Entries { query } => ("/entries".into(), Some(serde_json::to_value(query).unwrap_or_default())),
        Request::Correct { entry, fields, centre } => {
            ("/correct".into(), Some(json!({ "entry": entry, "fields": fields, "centre": centre })))
        }
        Request::Void { entry, reason, centre } => {
            ("/void".into(), Some(json!({ "entry": entry, "reason": reason, "centre": centre })))
        }
        Request::Duplicates { centre } => ("/duplicates".into(), Some(json!({ "centre": centre }))),
    })
}

/// The API of the daemon serving `home`, if one is running: its daemon file names an API that
/// answers with this home's key.
pub fn running_daemon(home: &Home) -> Option<Client> {
    let file = DaemonFile::read(home)?;
    let key = home.key().ok()?.public().to_hex();
    let token = home.api_token().ok()?;
    let client = Client::new(file.api, &token, Duration::from_secs(3));
    let health = client.health().ok()?;
    (health.ok && health.key == key).then(|| Client::new(file.api, &token, daemon::CONNECT_TIMEOUT * 4))
}

/// Carries out `request` on the node in `home`: through its daemon if one runs, else directly.
pub fn execute(home: &Path, request: Request) -> Result<Response, OpError> {
    let home = Home::new(home);
    if !home.exists() {
        return Err(crate::home::HomeError::NoNode { dir: home.dir().to_path_buf() }.into());
    }
    if let Some(client) = running_daemon(&home) {
        return client.send(&request);
    }
    match request {
        Request::Sync { peer } => daemon::sync_home(home.dir(), &peer).map(Response::Synced),
        Request::Enroll { file } => enrol::enroll_home(&home, &file, wall_clock()).map(Response::Enrolled),
        request => ops::Node::open(&home)?.handle(request),
    }
}
