//! `GET /api/refusals`: the phones and relays this relay refused, or refused changes from, and
//! why: the last such contact of each peer, newest first ([`sampark_node::ops::Node::refusals`]).
//!
//! Each row names the peer's key and, from the certificates this relay knows, its role and
//! scope (a revoked phone keeps its certificate here, so the helpdesk still sees whose it was; a
//! key of another root shows no role). `reason` is why the contact itself was refused;
//! `refusals` are the first few reasons changes it brought were refused (a revoked author, no
//! right to write the document, a bad signature). The texts come from this relay's own checks,
//! not from the peer.

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use super::login::session;
use super::{AppState, Reply, with_node};

/// Most rows answered.
pub const MAX_ROWS: usize = 200;

/// One refused contact.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    peer: String,
    role: Option<String>,
    scope: Option<String>,
    at: i64,
    outcome: String,
    reason: Option<String>,
    changes_received: u64,
    changes_refused: u64,
    refusals: Vec<String>,
}

/// The answer of `GET /api/refusals`.
#[derive(Debug, Serialize)]
pub struct Refusals {
    refusals: Vec<Refusal>,
}

/// `GET /api/refusals`.
pub(super) async fn list(State(state): State<AppState>, headers: HeaderMap) -> Reply<Refusals> {
    session(&state, &headers)?;
    with_node(&state, move |node| {
        let trust = node.trust_store();
        let rows = node
            .refusals()?
            .into_iter()
            .take(MAX_ROWS)
            .map(|c| {
                let cert = c.peer.parse().ok().and_then(|k| trust.certificates_of(&k).last().cloned());
                Refusal {
                    role: cert.as_ref().map(|c| c.role.to_string()),
                    scope: cert.as_ref().map(|c| c.scope.to_string()),
                    peer: c.peer,
                    at: c.at,
                    outcome: c.outcome,
                    reason: c.reason,
                    changes_received: c.changes_received,
                    changes_refused: c.changes_refused,
                    refusals: c.refusals,
                }
            })
            .collect();
        Ok(axum::Json(Refusals { refusals: rows }))
    })
    .await
}
