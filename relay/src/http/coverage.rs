//! `GET /api/coverage`, `GET /api/nutrition` and `GET /api/alerts`: service coverage, nutrition
//! outcomes and the SMS outbox.
//!
//! - **Coverage** (`?month=YYYY-MM&scope=`): [`sampark_crdt::due::coverage`] over the register
//!   documents this relay holds inside `scope` (default: the relay's own), for the month
//!   (default: this month by the relay's clock, in India), counted up to today while the month
//!   is not over. Rows for the block, its sectors and its centres, each with every service's
//!   eligible, delivered and share. Each centre counts what its district's programme gives
//!   (JE where the district relay's certificate says so).
//! - **Nutrition** (same `month` and `scope`): [`sampark_crdt::due::nutrition`] for the month and
//!   the month before (the trend), per block, sector and centre.
//! - **Monthly progress report** (`/api/mpr?month=&centre=`): [`sampark_crdt::due::mpr`] of one
//!   centre inside the relay's scope, for the month (default: this month), the same report the
//!   centre's phone prints (`sampark-node mpr`).
//! - **History** (`/api/history/{member}`): one beneficiary's history, to move with her.
//! - **Alerts** (`?state=queued|sending|sent|failed|given-up`): every message of the relay's
//!   outbox ([`crate::alerts`]) with its state, attempts, last error and next try, oldest first.
//!   A relay without an outbox (not started with one) answers an empty list.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use sampark_crdt::docid::Month;
use sampark_crdt::due::{self, Coverage, Day, Schedule, Settings};
use sampark_crdt::scope::Level;
use sampark_crdt::{Scope, register};
use serde::{Deserialize, Serialize};

use super::login::session;
use super::{ApiError, AppState, Reply, with_node};
use crate::alerts::{Message, State as MessageState};

/// The filters of `GET /api/coverage`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CoverageQuery {
    month: Option<String>,
    scope: Option<String>,
}

/// The scope and month asked for: the scope inside (or around) the relay's own, the month as its
/// first day (`None`: this month).
fn scope_and_month(state: &AppState, q: &CoverageQuery) -> Result<(Scope, Option<Day>), ApiError> {
    let own = state.relay().scope.clone();
    let scope = match q.scope.as_deref().filter(|s| !s.is_empty()) {
        None => own.clone(),
        Some(text) => Scope::parse(text).map_err(|e| ApiError::invalid(format!("scope: {e}")))?,
    };
    if !own.contains(&scope) && !scope.contains(&own) {
        return Err(ApiError::invalid(format!("scope {scope} is outside this relay's {own}")));
    }
    let month = match q.month.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let m: Month = text.parse().map_err(|_| ApiError::invalid(format!("month {text:?}: write YYYY-MM")))?;
            Some(Day::parse(&format!("{m}-01")).map_err(|e| ApiError::invalid(e.to_string()))?)
        }
    };
    Ok((scope, month))
}

/// `GET /api/coverage`.
pub(super) async fn coverage(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CoverageQuery>, QueryRejection>,
) -> Reply<Coverage> {
    session(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let (scope, month) = scope_and_month(&state, &q)?;
    let schedule = Schedule::bihar().map_err(ApiError::failed)?;
    with_node(&state, move |node| {
        let today = Day::of_millis_ist(node.now().0);
        let docs = node.documents_held().filter(|d| scope.contains(&d.id().scope));
        let settings = |centre: &Scope| Settings::from(node.trust_store().programme(centre, node.now()));
        let c = due::coverage(docs, &schedule, settings, month.unwrap_or(today), today);
        Ok(axum::Json(c))
    })
    .await
}

/// One scope's indicators in the month asked and the month before.
#[derive(Debug, Serialize)]
pub(super) struct NutritionRow {
    #[serde(flatten)]
    now: due::NutritionScope,
    previous: due::Nutrition,
}

/// The answer of `GET /api/nutrition`.
#[derive(Debug, Serialize)]
pub(super) struct NutritionAnswer {
    month: String,
    previous_month: String,
    as_of: Day,
    closes_on: Day,
    closed: bool,
    scopes: Vec<NutritionRow>,
}

/// `GET /api/nutrition`: [`due::nutrition`] for the month and the month before.
pub(super) async fn nutrition(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CoverageQuery>, QueryRejection>,
) -> Reply<NutritionAnswer> {
    session(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let (scope, month) = scope_and_month(&state, &q)?;
    with_node(&state, move |node| {
        let today = Day::of_millis_ist(node.now().0);
        let month = month.unwrap_or(today).month_start();
        let before = month.plus_days(-1).month_start();
        let docs: Vec<_> = node.documents_held().filter(|d| scope.contains(&d.id().scope)).collect();
        let now = due::nutrition(docs.iter().copied(), month, today);
        let previous = due::nutrition(docs.iter().copied(), before, today);
        let scopes = now
            .into_iter()
            .map(|row| {
                let previous = previous.iter().find(|p| p.scope == row.scope).map(|p| p.counts).unwrap_or_default();
                NutritionRow { now: row, previous }
            })
            .collect();
        let as_of = month.month_end().min(today);
        let closes_on = due::coverage::closes_on(month);
        Ok(axum::Json(NutritionAnswer {
            closes_on,
            closed: today > closes_on,
            month: month.month_text(),
            previous_month: before.month_text(),
            as_of,
            scopes,
        }))
    })
    .await
}

/// The filters of `GET /api/mpr`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MprQuery {
    month: Option<String>,
    centre: Option<String>,
}

/// `GET /api/mpr`: the monthly progress report of one centre ([`due::mpr::report`]).
pub(super) async fn mpr(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<MprQuery>, QueryRejection>,
) -> Reply<due::mpr::Report> {
    session(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let Some(centre) = q.centre.filter(|c| !c.is_empty()) else {
        return Err(ApiError::invalid("centre: give the centre (STATE/DISTRICT/BLOCK/SECTOR/AWC)"));
    };
    let (centre, month) = scope_and_month(&state, &CoverageQuery { month: q.month, scope: Some(centre) })?;
    if centre.level() != Level::Awc || !state.relay().scope.contains(&centre) {
        return Err(ApiError::invalid(format!("centre {centre}: give one centre inside this relay's scope")));
    }
    with_node(&state, move |node| {
        let today = Day::of_millis_ist(node.now().0);
        Ok(axum::Json(due::mpr::report(node.documents_held(), &centre, month.unwrap_or(today), today)))
    })
    .await
}

/// `GET /api/history/{member}`: a beneficiary's history at the centre that holds her member
/// entry ([`sampark_crdt::register::history`]), for her new centre's phone to import when she
/// moves (`sampark-node import-history`).
pub(super) async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Reply<register::history::History> {
    session(&state, &headers)?;
    let axum::extract::Path(member) = member.map_err(|e| ApiError::invalid(e.body_text()))?;
    if !register::is_entry_id(&member) {
        return Err(ApiError::invalid(format!("{member:?} is not an entry ID")));
    }
    with_node(&state, move |node| {
        let registers =
            || node.documents_held().filter(|d| !d.id().kind.is_ticket() && d.id().scope.level() == Level::Awc);
        let centre = registers()
            .find(|d| register::entry(d, &member).is_some())
            .map(|d| d.id().scope.clone())
            .ok_or_else(|| ApiError::not_found(format!("no centre held here has the member {member}")))?;
        let entries: Vec<_> = registers().filter(|d| d.id().scope == centre).flat_map(register::entries).collect();
        register::history::collect(&centre, &entries, &member).map(axum::Json).map_err(ApiError::invalid)
    })
    .await
}

/// The filters of `GET /api/alerts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertsQuery {
    state: Option<String>,
}

/// The answer of `GET /api/alerts`.
#[derive(Debug, Serialize)]
pub(super) struct Alerts {
    /// This relay keeps an outbox (a relay started by `run`).
    outbox: bool,
    /// The messages, oldest first.
    alerts: Vec<Message>,
}

/// `GET /api/alerts`.
pub(super) async fn alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AlertsQuery>, QueryRejection>,
) -> Reply<Alerts> {
    session(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(MessageState::parse(text).ok_or_else(|| {
            ApiError::invalid(format!("state {text:?}: one of queued, sending, sent, failed, given-up"))
        })?),
    };
    let Some(outbox) = state.0.alerts.clone() else {
        return Ok(axum::Json(Alerts { outbox: false, alerts: Vec::new() }));
    };
    let all = tokio::task::spawn_blocking(move || outbox.all())
        .await
        .map_err(|e| ApiError::failed(e.to_string()))?
        .map_err(|e| ApiError::failed(e.to_string()))?;
    let alerts = all.into_iter().filter(|m| wanted.is_none_or(|s| m.state == s)).collect();
    Ok(axum::Json(Alerts { outbox: true, alerts }))
}
