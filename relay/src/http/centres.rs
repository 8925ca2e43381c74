//! `GET /api/centres`: how fresh each Anganwadi centre's data is at this relay.
//!
//! What it measures, from what the relay holds (it cannot see phones it has not met):
//!
//! - `last_contact`: the latest contact this relay had with a phone certified as a sevika of the
//!   centre (its peer records, keyed by the peer's key, mapped to the centre through the
//!   certificate) that went through (complete, or cut short by its byte budget): a contact the
//!   relay refused (a revoked phone) or that broke off is not the centre's data arriving.
//!   Phones of supervisors and carriers from other centres do not count, though they may have
//!   brought the centre's data.
//! - `clock_ahead_ms`: when the latest change of a sevika of the centre came dated more than
//!   [`sampark_crdt::time::MAX_SKEW_MS`] ahead of the relay's clock, by how much
//!   ([`ops::Node::clock_ahead`]): her phone's clock is set ahead. Its data is kept and its time
//!   moves no clock (`sampark_crdt::time`); the helpdesk should have the sevika set it.
//! - `last_change`: the newest time stamped on the heads of the centre's documents held here:
//!   when the centre's newest data held here was made, by its author's clock, however it came.
//! - `pending`: the centre's tickets held here that are still open (at any tier).
//! - `documents`: the centre's documents held here.
//! - `stale`: neither a contact nor a change in the last [`STALE_DAYS`] days.
//!
//! Centres are those with documents here or a sevika certificate known here inside the relay's
//! scope.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use sampark_crdt::scope::Level;
use sampark_crdt::ticket::Status;
use sampark_crdt::{Role, Scope, Timestamp};
use sampark_node::ops;
use serde::Serialize;

use super::login::session;
use super::{AppState, Reply, with_node};

/// Days without contact or change after which a centre counts as stale.
pub const STALE_DAYS: i64 = 7;

/// One centre's freshness.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Centre {
    awc: String,
    last_contact: Option<i64>,
    last_change: Option<i64>,
    clock_ahead_ms: Option<i64>,
    pending: usize,
    documents: usize,
    stale: bool,
}

/// The answer of `GET /api/centres`.
#[derive(Debug, Serialize)]
pub struct Centres {
    centres: Vec<Centre>,
}

fn later(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// Every centre's freshness at `node`, a relay over `scope`, judged at `now`.
pub fn centres(node: &ops::Node, scope: &Scope, now: Timestamp) -> Vec<Centre> {
    let mut by_awc: BTreeMap<String, Centre> = BTreeMap::new();
    let trust = node.trust_store();
    for cert in trust.certificates() {
        if cert.role == Role::Sevika && cert.scope.level() == Level::Awc && scope.contains(&cert.scope) {
            by_awc.entry(cert.scope.to_string()).or_default();
        }
    }
    for doc in node.documents_held() {
        let id = doc.id();
        if id.scope.level() != Level::Awc {
            continue;
        }
        let centre = by_awc.entry(id.scope.to_string()).or_default();
        centre.documents += 1;
        let am = doc.automerge();
        for head in doc.heads() {
            if let Some(meta) = am.get_change_meta_by_hash(&head) {
                centre.last_change = later(centre.last_change, meta.timestamp);
            }
        }
        if id.kind.is_ticket() && node.ticket_state(id).is_ok_and(|s| s.status == Status::Open) {
            centre.pending += 1;
        }
    }
    for (author, ahead) in node.clock_ahead() {
        for cert in trust.certificates_of(author).iter().filter(|c| c.role == Role::Sevika) {
            if let Some(centre) = by_awc.get_mut(cert.scope.as_str()) {
                centre.clock_ahead_ms = Some(centre.clock_ahead_ms.map_or(*ahead, |a| a.max(*ahead)));
            }
        }
    }
    for contact in node.successful_contacts().unwrap_or_default() {
        let Ok(key) = contact.peer.parse() else { continue };
        for cert in trust.certificates_of(&key).iter().filter(|c| c.role == Role::Sevika) {
            if let Some(centre) = by_awc.get_mut(cert.scope.as_str()) {
                centre.last_contact = later(centre.last_contact, contact.at);
            }
        }
    }
    let since = now.0.saturating_sub(STALE_DAYS * 86_400_000);
    by_awc
        .into_iter()
        .map(|(awc, mut c)| {
            c.stale = c.last_contact.max(c.last_change).is_none_or(|t| t < since);
            c.awc = awc;
            c
        })
        .collect()
}

/// How many centres are stale (for the metrics).
pub fn stale_count(node: &ops::Node, scope: &Scope, now: Timestamp) -> usize {
    centres(node, scope, now).iter().filter(|c| c.stale).count()
}

/// `GET /api/centres`.
pub(super) async fn list(State(state): State<AppState>, headers: HeaderMap) -> Reply<Centres> {
    session(&state, &headers)?;
    let scope = state.relay().scope.clone();
    with_node(&state, move |node| Ok(axum::Json(Centres { centres: centres(node, &scope, node.now()) }))).await
}
