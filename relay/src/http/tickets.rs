//! `GET /api/tickets`, `GET /api/tickets/{id}` and `POST /api/tickets/{id}/{action}`: the
//! relay's ticket queue, one ticket's history, and an operator's actions on it.
//!
//! The list holds every ticket document the relay holds whose first event has arrived,
//! whichever tier holds it now (`tier=` narrows it to one holding tier), newest first. A row is
//! built from the node's [`TicketView`], the same view the phone's API gives. Ages and "overdue"
//! are by the relay's clock; `raised_at` is the raiser's clock.
//!
//! An action is signed with the logged-in operator's key ([`ops::Node::act_as`]); what the
//! ticket rules refuse (`sampark_crdt::ticket::state`) answers 409 with the rule's words and
//! nothing is stored.

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use sampark_crdt::ticket::{Action, Category};
use sampark_crdt::{DocId, PublicKey, Scope, Timestamp};
use sampark_node::ops::tickets::{EventView, TicketView};
use sampark_node::ops::{self};
use serde::{Deserialize, Serialize};

use super::login::{session, session_for_post};
use super::{ApiError, AppState, Reply, read_json, with_node};

/// One ticket in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    id: String,
    short: String,
    status: String,
    /// The holding tier.
    tier: String,
    category: String,
    /// The centre (or, for a supervisor's ticket, the sector) it belongs to.
    awc: String,
    /// The same as `awc`.
    scope: String,
    /// The first line of the problem as raised.
    text: String,
    raised_at: i64,
    age_ms: i64,
    deadline: Option<i64>,
    overdue: bool,
    /// The assignee's key, if assigned.
    assigned_to: Option<String>,
    /// The assignee's user name, if an operator of this relay.
    assigned_user: Option<String>,
}

/// Who did something, as far as this relay's trust store and operator list tell.
#[derive(Debug, Clone, Serialize)]
struct Who {
    key: String,
    short: String,
    role: Option<String>,
    scope: Option<String>,
    tier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
}

/// One event of the timeline.
#[derive(Debug, Clone, Serialize)]
struct Step {
    at: i64,
    action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<Who>,
    by: Who,
    /// Why the rules refused it, if they did (it is kept for the record, with no effect).
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
}

/// A hop of the ticket's path: a phone that signed that it carried the ticket on, or a relay
/// whose signed receipt shows the ticket arrived there.
#[derive(Debug, Clone, Serialize)]
struct Hop {
    /// `phone` or `relay`.
    kind: &'static str,
    key: String,
    short: String,
    role: Option<String>,
    scope: Option<String>,
    at: i64,
    complete: bool,
}

/// When each tier first had the ticket, by that tier's clock.
#[derive(Debug, Clone, Serialize)]
struct Tiers {
    block: Option<i64>,
    district: Option<i64>,
    state: Option<i64>,
}

/// Everything about one ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    row: Row,
    /// The whole problem as raised.
    full_text: String,
    raised_by: Who,
    resolution: Option<String>,
    timeline: Vec<Step>,
    path: Vec<Hop>,
    tiers: Tiers,
    /// Events held back until an event they follow arrives.
    waiting: usize,
}

/// The list's filters; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    status: Option<String>,
    tier: Option<String>,
    category: Option<String>,
    awc: Option<String>,
    min_age_hours: Option<String>,
}

/// The filters, checked.
#[derive(Debug, Default)]
struct Checked {
    status: Option<String>,
    tier: Option<String>,
    category: Option<String>,
    scope: Option<Scope>,
    min_age_ms: Option<i64>,
}

fn one_of(name: &str, value: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) if !allowed.contains(&v.as_str()) => {
            Err(ApiError::invalid(format!("{name}={v:?} is not one of {}", allowed.join(", "))))
        }
        other => Ok(other),
    }
}

impl Filters {
    fn check(self) -> Result<Checked, ApiError> {
        let status = one_of("status", self.status, &["open", "resolved", "closed"])?;
        let tier = one_of("tier", self.tier, &["block", "district", "state"])?;
        let category = match self.category.filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<Category>()
                    .map(|c| c.name().to_owned())
                    .map_err(|e| ApiError::invalid(format!("category: {e}")))?,
            ),
            None => None,
        };
        let scope = match self.awc.filter(|a| !a.is_empty()) {
            Some(a) => {
                Some(Scope::parse(&a).map_err(|e| ApiError::invalid(format!("awc={a:?} is not a code path: {e}")))?)
            }
            None => None,
        };
        let min_age_ms = match self.min_age_hours.filter(|h| !h.is_empty()) {
            Some(h) => match h.trim().parse::<f64>() {
                Ok(hours) if hours.is_finite() && (0.0..=1e6).contains(&hours) => Some((hours * 3_600_000.0) as i64),
                _ => return Err(ApiError::invalid(format!("min_age_hours={h:?} is not a number of hours"))),
            },
            None => None,
        };
        Ok(Checked { status, tier, category, scope, min_age_ms })
    }
}

impl Checked {
    fn keeps(&self, row: &Row) -> bool {
        let same = |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
        same(&self.status, &row.status)
            && same(&self.tier, &row.tier)
            && same(&self.category, &row.category)
            && self.scope.as_ref().is_none_or(|s| Scope::parse(&row.scope).is_ok_and(|r| s.contains(&r)))
            && self.min_age_ms.is_none_or(|m| row.age_ms >= m)
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

fn row_of(state: &AppState, view: &TicketView, now: Timestamp) -> Row {
    let assignee = view.assignee.as_deref().and_then(|k| k.parse::<PublicKey>().ok());
    Row {
        id: view.id.clone(),
        short: view.id.chars().take(8).collect(),
        status: view.status.clone(),
        tier: view.tier.clone(),
        category: view.category.clone(),
        awc: view.scope.clone(),
        scope: view.scope.clone(),
        text: first_line(&view.text),
        raised_at: view.raised_at,
        age_ms: now.0.saturating_sub(view.raised_at).max(0),
        deadline: view.deadline,
        overdue: view.overdue,
        assigned_to: view.assignee.clone(),
        assigned_user: assignee.and_then(|k| state.user_of(&k)),
    }
}

fn who(state: &AppState, node: &ops::Node, key: &str, at: i64) -> Who {
    let parsed = key.parse::<PublicKey>().ok();
    let trust = node.trust_store();
    let grant = parsed.and_then(|k| {
        let now = trust.grants(&k, Timestamp(at)).into_iter().next();
        now.or_else(|| {
            trust.certificates_of(&k).first().map(|c| sampark_crdt::Grant { role: c.role, scope: c.scope.clone() })
        })
    });
    Who {
        key: key.to_owned(),
        short: key.chars().take(8).collect(),
        role: grant.as_ref().map(|g| g.role.to_string()),
        scope: grant.as_ref().map(|g| g.scope.to_string()),
        tier: grant.as_ref().and_then(sampark_crdt::ticket::Tier::of_grant).map(|t| t.name()),
        user: parsed.and_then(|k| state.user_of(&k)),
    }
}

fn step(state: &AppState, node: &ops::Node, e: &EventView) -> Step {
    Step {
        at: e.at,
        action: e.action.clone(),
        text: e.text.clone(),
        to: e.to.as_deref().map(|k| who(state, node, k, e.at)),
        by: who(state, node, &e.by, e.at),
        refused: e.refused.clone(),
    }
}

fn detail(state: &AppState, node: &ops::Node, view: &TicketView) -> Detail {
    let tier_at = |t: &str| view.received.get(t).copied();
    let phones = view.carried_by.iter().map(|c| {
        let w = who(state, node, &c.phone, c.at);
        Hop { kind: "phone", key: w.key, short: w.short, role: w.role, scope: w.scope, at: c.at, complete: true }
    });
    let relays = view.hops.iter().map(|h| {
        let w = who(state, node, &h.relay, h.at);
        Hop { kind: "relay", key: w.key, short: w.short, role: w.role, scope: w.scope, at: h.at, complete: h.complete }
    });
    let path = phones.chain(relays).collect();
    Detail {
        row: row_of(state, view, node.now()),
        full_text: view.text.clone(),
        raised_by: who(state, node, &view.raised_by, view.raised_at),
        resolution: view.resolution.clone(),
        timeline: view.timeline.iter().map(|e| step(state, node, e)).collect(),
        path,
        tiers: Tiers { block: tier_at("block"), district: tier_at("district"), state: tier_at("state") },
        waiting: view.waiting,
    }
}

/// The answer of `GET /api/tickets`.
#[derive(Debug, Serialize)]
pub struct List {
    tickets: Vec<Row>,
}

/// The answer of a ticket's routes.
#[derive(Debug, Serialize)]
pub struct One {
    ticket: Detail,
}

/// `GET /api/tickets`.
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Filters>, QueryRejection>,
) -> Reply<List> {
    session(&state, &headers)?;
    let Query(filters) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let filters = filters.check()?;
    let shared = state.clone();
    with_node(&state, move |node| {
        let now = node.now();
        let ids: Vec<DocId> = node.documents_held().map(|d| d.id().clone()).filter(|id| id.kind.is_ticket()).collect();
        let mut rows: Vec<Row> = ids
            .iter()
            .filter_map(|id| node.ticket_view(id).ok())
            .map(|v| row_of(&shared, &v, now))
            .filter(|r| filters.keeps(r))
            .collect();
        rows.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then_with(|| a.id.cmp(&b.id)));
        Ok(axum::Json(List { tickets: rows }))
    })
    .await
}

/// `GET /api/tickets/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Reply<One> {
    session(&state, &headers)?;
    let Path(id) = id.map_err(|e| ApiError::invalid(e.body_text()))?;
    let shared = state.clone();
    with_node(&state, move |node| {
        let doc = node.find_ticket(&id)?;
        let view = node.ticket_view(&doc)?;
        Ok(axum::Json(One { ticket: detail(&shared, node, &view) }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextBody {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    to: String,
}

/// The text of `body`, required or not; trimmed.
fn text_of(body: TextBody, required: Option<&str>) -> Result<String, ApiError> {
    let text = body.text.unwrap_or_default().trim().to_owned();
    match required {
        Some(what) if text.is_empty() => Err(ApiError::invalid(format!("the text is empty: {what}"))),
        _ => Ok(text),
    }
}

/// The operator named by user name (of this relay) or key.
fn assignee(state: &AppState, to: &str) -> Result<PublicKey, ApiError> {
    let to = to.trim();
    if let Some(op) = state.0.operators.get(to) {
        return Ok(op.author.public());
    }
    to.parse::<PublicKey>().map_err(|_| {
        ApiError::invalid(format!("{to:?} is neither an operator of this relay nor a key (64 hex digits)"))
    })
}

/// The action `name` with its body.
async fn action_of(state: &AppState, name: &str, headers: &HeaderMap, body: Body) -> Result<Action, ApiError> {
    Ok(match name {
        "comment" => Action::Commented { text: text_of(read_json(headers, body).await?, Some("write the comment"))? },
        "resolve" => {
            Action::Resolved { text: text_of(read_json(headers, body).await?, Some("say how it was resolved"))? }
        }
        "escalate" => Action::Escalated { text: text_of(read_json(headers, body).await?, None)? },
        "pullup" => Action::PulledUp { text: text_of(read_json(headers, body).await?, None)? },
        "assign" => {
            let AssignBody { to } = read_json(headers, body).await?;
            Action::Assigned { to: assignee(state, &to)? }
        }
        other => {
            return Err(ApiError::not_found(format!(
                "a ticket has no action {other:?}; the actions are comment, assign, resolve, escalate and pullup"
            )));
        }
    })
}

/// `POST /api/tickets/{id}/{action}`.
pub(super) async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Body,
) -> Reply<One> {
    let (_, session) = session_for_post(&state, &headers)?;
    let Path((id, name)) = path.map_err(|e| ApiError::invalid(e.body_text()))?;
    let action = action_of(&state, &name, &headers, body).await?;
    let operator = state.0.operators.get(&session.user).cloned().ok_or_else(|| ApiError::invalid("log in again"))?;
    let shared = state.clone();
    let user = session.user.clone();
    with_node(&state, move |node| {
        let doc = node.find_ticket(&id)?;
        let view = node.act_as(&operator.author, &doc, action)?;
        tracing::info!(%user, ticket = %view.id, action = %name, "helpdesk action");
        Ok(axum::Json(One { ticket: detail(&shared, node, &view) }))
    })
    .await
}
