//! `GET /metrics`: the relay's figures in the Prometheus text format (version 0.0.4), written
//! by hand, and the middleware that counts the helpdesk's HTTP answers by status code.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `sampark_tickets{tier, status}` | gauge | tickets held, by holding tier and status |
//! | `sampark_tickets_overdue` | gauge | open tickets whose holding tier's deadline has passed |
//! | `sampark_documents` | gauge | documents held |
//! | `sampark_store_bytes` | gauge | bytes the store takes on disk |
//! | `sampark_centres_stale{days="7"}` | gauge | centres with no contact nor change for 7 days ([`super::centres`]) |
//! | `sampark_sessions` | gauge | helpdesk sessions open |
//! | `sampark_http_requests_total{code}` | counter | helpdesk HTTP answers since start, by status code |
//! | `sampark_sms{state}` | gauge | SMS alerts in the outbox, by state (`queued`, `sending`, `sent`, `failed`, `given-up`) |
//!
//! The figures are computed when scraped, with the node locked, like any request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sampark_crdt::ticket::{Status, Tier};
use sampark_node::ops;

use super::centres::{STALE_DAYS, stale_count};
use super::{AppState, with_node};
use crate::alerts::State as SmsState;

/// HTTP answers by status code, since start.
#[derive(Debug, Default)]
pub struct Requests(Mutex<BTreeMap<u16, u64>>);

impl Requests {
    fn add(&self, code: u16) {
        let mut counts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.entry(code).or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<u16, u64> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Middleware: counts every answer by status code and adds the headers every answer carries
/// (`X-Content-Type-Options: nosniff`; `Cache-Control: no-store` on the API).
pub(super) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    state.0.requests.add(response.status().as_u16());
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// What the node's figures are at one moment.
#[derive(Debug, Default)]
struct Figures {
    tickets: BTreeMap<(Tier, &'static str), u64>,
    overdue: u64,
    documents: u64,
    store_bytes: u64,
    stale: u64,
}

fn figures(node: &ops::Node, scope: &sampark_crdt::Scope) -> Figures {
    let now = node.now();
    let mut f = Figures::default();
    for doc in node.documents_held() {
        f.documents += 1;
        if !doc.id().kind.is_ticket() {
            continue;
        }
        let Ok(state) = node.ticket_state(doc.id()) else { continue };
        let status = ops::tickets::status_name(state.status);
        *f.tickets.entry((state.tier, status)).or_default() += 1;
        if state.status == Status::Open && state.overdue(now) {
            f.overdue += 1;
        }
    }
    f.store_bytes = node.store().disk_usage().unwrap_or(0);
    f.stale = stale_count(node, scope, now) as u64;
    f
}

/// Writes one metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn render(f: &Figures, sessions: usize, requests: &BTreeMap<u16, u64>, sms: &BTreeMap<SmsState, u64>) -> String {
    let mut out = String::new();
    family(&mut out, "sampark_tickets", "gauge", "Tickets held, by holding tier and status.");
    for tier in [Tier::Block, Tier::District, Tier::State] {
        for status in ["open", "resolved", "closed"] {
            let n = f.tickets.get(&(tier, status)).copied().unwrap_or(0);
            let _ = writeln!(out, "sampark_tickets{{tier=\"{}\",status=\"{status}\"}} {n}", tier.name());
        }
    }
    family(&mut out, "sampark_tickets_overdue", "gauge", "Open tickets past their holding tier's deadline.");
    let _ = writeln!(out, "sampark_tickets_overdue {}", f.overdue);
    family(&mut out, "sampark_documents", "gauge", "Documents held.");
    let _ = writeln!(out, "sampark_documents {}", f.documents);
    family(&mut out, "sampark_store_bytes", "gauge", "Bytes the store takes on disk.");
    let _ = writeln!(out, "sampark_store_bytes {}", f.store_bytes);
    family(
        &mut out,
        "sampark_centres_stale",
        "gauge",
        "Centres with neither a contact nor a change for that many days.",
    );
    let _ = writeln!(out, "sampark_centres_stale{{days=\"{STALE_DAYS}\"}} {}", f.stale);
    family(&mut out, "sampark_sessions", "gauge", "Helpdesk sessions open.");
    let _ = writeln!(out, "sampark_sessions {sessions}");
    family(&mut out, "sampark_http_requests_total", "counter", "Helpdesk HTTP answers since start, by status code.");
    for (code, n) in requests {
        let _ = writeln!(out, "sampark_http_requests_total{{code=\"{code}\"}} {n}");
    }
    family(&mut out, "sampark_sms", "gauge", "SMS alerts in the outbox, by state.");
    for state in SmsState::ALL {
        let _ = writeln!(out, "sampark_sms{{state=\"{}\"}} {}", state.name(), sms.get(&state).copied().unwrap_or(0));
    }
    out
}

/// `GET /metrics`.
pub(super) async fn serve(State(state): State<AppState>) -> Response {
    let scope = state.relay().scope.clone();
    let figures = match with_node(&state, move |node| Ok(figures(node, &scope))).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let sms = match state.0.alerts.clone() {
        Some(outbox) => {
            tokio::task::spawn_blocking(move || outbox.counts().unwrap_or_default()).await.unwrap_or_default()
        }
        None => BTreeMap::new(),
    };
    let text = render(&figures, state.0.sessions.count(), &state.0.requests.snapshot(), &sms);
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_help_and_type_and_every_sample_a_family() {
        let mut f = Figures { overdue: 1, documents: 7, store_bytes: 4096, stale: 2, ..Figures::default() };
        f.tickets.insert((Tier::Block, "open"), 3);
        let requests = BTreeMap::from([(200, 5), (401, 1)]);
        let sms = BTreeMap::from([(SmsState::Sent, 2)]);
        let text = render(&f, 1, &requests, &sms);
        assert!(text.contains("sampark_sms{state=\"sent\"} 2\n"));
        assert!(text.contains("sampark_sms{state=\"given-up\"} 0\n"));
        assert!(text.contains("sampark_tickets{tier=\"block\",status=\"open\"} 3\n"));
        assert!(text.contains("sampark_tickets{tier=\"state\",status=\"closed\"} 0\n"));
        assert!(text.contains("sampark_centres_stale{days=\"7\"} 2\n"));
        assert!(text.contains("sampark_http_requests_total{code=\"401\"} 1\n"));
        let mut typed = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.push(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with("# HELP ") {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(typed.last().is_some_and(|t| t == name), "{line} follows its own # TYPE");
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        assert_eq!(typed.len(), 8);
    }
}
