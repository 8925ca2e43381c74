//! The ticket's state (status, tier, assignee, deadline), derived from its events.
//!
//! Every replica holding the same events derives the same state, whatever order they arrived
//! in, because the derivation never looks at arrival order:
//!
//! 1. Events are put in a *causal* order: an event comes after every event it names in `prev`.
//!    Among events whose predecessors have all been placed, the next is the one with the lowest
//!    `(action precedence, hybrid clock, event ID)`. Precedence, lowest first: raised, received
//!    and carried, commented, assigned, resolved, reopened, confirmed, pulled up, escalated. So when a
//!    resolution and an escalation are concurrent, the resolution is judged first; clocks only
//!    break ties between concurrent events of the same kind.
//! 2. Events are folded in that order. Each is checked against the state reached so far and the
//!    author's roles *at the event's time* ([`crate::trust`]); an event that is not allowed is
//!    kept in the timeline, marked refused with the reason, and changes nothing.
//!
//! Who may do what (the holding tier is the ticket's current tier):
//!
//! | action | who | when | effect |
//! |---|---|---|---|
//! | raised | the centre's sevika, or the sector's supervisor | first event | open at block |
//! | received | a relay above the ticket | any | notes when its tier first had it; starts the deadline if its tier holds the ticket and none runs |
//! | commented | the raiser, or an operator of the holding tier | not closed | none |
//! | assigned | an operator of the holding tier, to another operator of that tier | open | assignee |
//! | escalated | an operator or the relay of the holding tier | open, below state | next tier up; deadline waits for that tier's receipt |
//! | pulled up | an operator or relay of a higher tier | open | that tier; its deadline starts now |
//! | resolved | an operator of the holding tier | open | resolved |
//! | reopened | the raiser | resolved | open again at the same tier; deadline waits for a new receipt |
//! | confirmed | the raiser | resolved | closed (final) |
//! | carried | a sevika's or supervisor's phone other than the raiser's | before any relay received it | notes a hop of the ticket's path |
//!
//! Deadlines are computed only from times stamped by relays and operators (received, pulled
//! up), never from a phone's clock.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use thiserror::Error;

use super::event::{Action, Category, Event, EventId};
use crate::cert::Role;
use crate::docid::TicketId;
use crate::identity::PublicKey;
use crate::scope::{Level, Scope};
use crate::time::{Hlc, Timestamp};
use crate::trust::{Grant, TrustStore};

/// The helpdesk tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The block (ICDS project) helpdesk.
    Block,
    /// The district helpdesk.
    District,
    /// The state helpdesk.
    State,
}

impl Tier {
    /// The tier above, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Block => Some(Tier::District),
            Tier::District => Some(Tier::State),
            Tier::State => None,
        }
    }

    /// The tier a grant acts for, if it is a relay or an operator.
    pub fn of_grant(grant: &Grant) -> Option<Tier> {
        let tier = match grant.scope.level() {
            Level::State => Tier::State,
            Level::District => Tier::District,
            Level::Block => Tier::Block,
            Level::Sector | Level::Awc => return None,
        };
        (grant.role == Role::Operator || grant.role.is_relay()).then_some(tier)
    }

    /// Lower-case English name.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Block => "block",
            Tier::District => "district",
            Tier::State => "state",
        }
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being worked on.
    Open,
    /// Resolved by a tier, waiting for the raiser to confirm or reopen.
    Resolved,
    /// Confirmed by the raiser.
    Closed,
}

/// How long each tier has before its relay escalates, from configuration, in milliseconds (so a
/// test or a demo can give a tier seconds; in service they are hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// What the block has (default 48 hours).
    pub block_ms: i64,
    /// What the district has (default 72 hours).
    pub district_ms: i64,
    /// What the state has; `None` means no deadline (there is no tier above).
    pub state_ms: Option<i64>,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines { block_ms: 48 * Timestamp::HOUR, district_ms: 72 * Timestamp::HOUR, state_ms: None }
    }
}

impl Deadlines {
    fn millis(&self, tier: Tier) -> Option<i64> {
        match tier {
            Tier::Block => Some(self.block_ms),
            Tier::District => Some(self.district_ms),
            Tier::State => self.state_ms,
        }
    }
}

/// Whether an event took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    /// It took effect.
    Accepted,
    /// It was not allowed; it is kept for the record.
    Refused(String),
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// The event.
    pub id: String,
    /// What was done.
    pub action: Action,
    /// Who did it (full key).
    pub author: PublicKey,
    /// In which capacity, e.g. "sevika" or "operator at district" (empty if none held).
    pub capacity: String,
    /// The author's clock reading.
    pub hlc: Hlc,
    /// Whether it took effect.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Everything a screen needs to show about a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketState {
    /// The ticket's ID.
    pub id: String,
    /// The centre or sector it belongs to.
    pub scope: Scope,
    /// The problem area.
    pub category: Category,
    /// The problem as the raiser wrote it.
    pub text: String,
    /// Who raised it.
    pub raised_by: PublicKey,
    /// When, by the raiser's clock.
    pub raised_at: Hlc,
    /// Open, resolved or closed.
    pub status: Status,
    /// The tier holding it.
    pub tier: Tier,
    /// The operator it is assigned to.
    pub assignee: Option<PublicKey>,
    /// When the holding tier's time runs out (open tickets whose tier has stamped a receipt).
    pub deadline: Option<Timestamp>,
    /// When each tier first had it, by that tier's clock.
    pub received: BTreeMap<Tier, Timestamp>,
    /// The phones that carried it toward the relay, in order, each with its own clock's time.
    pub carried_by: Vec<(PublicKey, Timestamp)>,
    /// The latest resolution's text, while resolved or closed.
    pub resolution: Option<String>,
    /// Every event in the order it was judged.
    pub timeline: Vec<TimelineEntry>,
    /// Events held back because an event they follow has not arrived.
    pub waiting: usize,
    #[serde(skip)]
    clock_start: Option<Timestamp>,
}

impl TicketState {
    /// True when the deadline has passed at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }

    /// True when the relay of `tier` should stamp a "received" event: the ticket is open at its
    /// tier and no deadline clock runs.
    pub fn needs_receipt(&self, tier: Tier) -> bool {
        self.status == Status::Open && self.tier == tier && self.clock_start.is_none()
    }
}

/// Why no state can be derived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DeriveError {
    /// The "raised" event is not among the events.
    #[error("the ticket's first event has not arrived")]
    NotRaised,
    /// The "raised" event is not allowed.
    #[error("the ticket was raised by a key that may not raise it: {0}")]
    RaiseRefused(String),
}

/// Derives the state of ticket `id` from `events` (any order, duplicates ignored; events of
/// other tickets and events whose signature fails are left out).
pub fn derive(
    id: TicketId,
    events: &[Event],
    trust: &TrustStore,
    deadlines: &Deadlines,
) -> Result<TicketState, DeriveError> {
    let checked: Vec<Event> = events.iter().filter(|e| e.verify_signature().is_ok()).cloned().collect();
    derive_checked(id, &checked, trust, deadlines)
}

/// [`derive`] from events whose signatures were checked already ([`super::events`] checks each
/// as it decodes it), so that deriving a ticket's state checks each signature once.
pub(super) fn derive_checked(
    id: TicketId,
    events: &[Event],
    trust: &TrustStore,
    deadlines: &Deadlines,
) -> Result<TicketState, DeriveError> {
    let by_id: BTreeMap<EventId, &Event> = events.iter().filter(|e| e.ticket_id() == id).map(|e| (e.id(), e)).collect();
    // One raised event per ticket; should its raiser have signed two for one slot, the lower ID
    // counts everywhere, and whatever follows the other waits for good.
    let (raised_id, raised) = by_id
        .iter()
        .find(|(_, e)| matches!(e.action, Action::Raised { .. }))
        .map(|(eid, e)| (*eid, *e))
        .ok_or(DeriveError::NotRaised)?;
    let mut state = genesis(id, raised, trust)?;

    let mut children: BTreeMap<EventId, Vec<EventId>> = BTreeMap::new();
    let mut missing_prev: BTreeMap<EventId, usize> = BTreeMap::new();
    for (eid, e) in &by_id {
        missing_prev.insert(*eid, e.prev.len());
        for p in &e.prev {
            children.entry(*p).or_default().push(*eid);
        }
    }
    let key = |e: &Event| (e.action.precedence(), e.hlc, e.id());
    let mut ready: BTreeSet<(u8, Hlc, EventId)> = BTreeSet::new();
    let mut placed = 0usize;
    let mut release = |eid: &EventId, ready: &mut BTreeSet<(u8, Hlc, EventId)>| {
        for child in children.get(eid).map(Vec::as_slice).unwrap_or_default() {
            if let (Some(n), Some(e)) = (missing_prev.get_mut(child), by_id.get(child)) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(key(e));
                }
            }
        }
    };
    release(&raised_id, &mut ready);
    placed += 1;
    while let Some(next) = ready.pop_first() {
        let Some(event) = by_id.get(&next.2) else { continue };
        state.apply(event, trust, deadlines);
        placed += 1;
        release(&next.2, &mut ready);
    }
    state.waiting = by_id.len() - placed;
    Ok(state)
}

fn capacity(grants: &[Grant]) -> String {
    let names: Vec<String> = grants
        .iter()
        .map(|g| match Tier::of_grant(g) {
            Some(t) => format!("{} at {}", g.role, t.name()),
            None => g.role.to_string(),
        })
        .collect();
    names.join(", ")
}

fn genesis(id: TicketId, raised: &Event, trust: &TrustStore) -> Result<TicketState, DeriveError> {
    let Action::Raised { scope, category, text, .. } = &raised.action else {
        return Err(DeriveError::NotRaised);
    };
    let grants = trust.grants(&raised.author, raised.hlc.timestamp());
    let may_raise = grants.iter().any(|g| matches!(g.role, Role::Sevika | Role::Supervisor) && &g.scope == scope);
    if !may_raise {
        return Err(DeriveError::RaiseRefused(format!(
            "{} holds {} at that time",
            raised.author.short(),
            if grants.is_empty() { "no valid certificate".to_string() } else { capacity(&grants) }
        )));
    }
    Ok(TicketState {
        id: id.to_string(),
        scope: scope.clone(),
        category: *category,
        text: text.clone(),
        raised_by: raised.author,
        raised_at: raised.hlc,
        status: Status::Open,
        tier: Tier::Block,
        assignee: None,
        deadline: None,
        received: BTreeMap::new(),
        carried_by: Vec::new(),
        resolution: None,
        timeline: vec![TimelineEntry {
            id: raised.id().to_string(),
            action: raised.action.clone(),
            author: raised.author,
            capacity: capacity(&grants),
            hlc: raised.hlc,
            outcome: Outcome::Accepted,
        }],
        waiting: 0,
        clock_start: None,
    })
}

impl TicketState {
    fn apply(&mut self, e: &Event, trust: &TrustStore, deadlines: &Deadlines) {
        let at = e.hlc.timestamp();
        let grants = trust.grants(&e.author, at);
        let outcome = match self.judge(e, &grants, trust) {
            Ok(()) => Outcome::Accepted,
            Err(why) => Outcome::Refused(why),
        };
        self.deadline = match (self.status, self.clock_start, deadlines.millis(self.tier)) {
            (Status::Open, Some(start), Some(ms)) => Some(start.plus_millis(ms)),
            _ => None,
        };
        self.timeline.push(TimelineEntry {
            id: e.id().to_string(),
            action: e.action.clone(),
            author: e.author,
            capacity: capacity(&grants),
            hlc: e.hlc,
            outcome,
        });
    }

    /// Checks `e` against the current state and applies it; `Err` says why it is refused.
    fn judge(&mut self, e: &Event, grants: &[Grant], trust: &TrustStore) -> Result<(), String> {
        let at = e.hlc.timestamp();
        if grants.is_empty() {
            return Err("no valid certificate at that time (unknown, expired or revoked)".into());
        }
        let covers = |g: &Grant| g.scope.contains(&self.scope);
        let tiers_of = |role_ok: fn(Role) -> bool| -> Vec<Tier> {
            grants.iter().filter(|g| role_ok(g.role) && covers(g)).filter_map(Tier::of_grant).collect()
        };
        let operator_tiers = tiers_of(|r| r == Role::Operator);
        let acting_tiers = tiers_of(|r| r == Role::Operator || r.is_relay());
        let relay_tiers = tiers_of(Role::is_relay);
        let is_raiser = e.author == self.raised_by;
        let holds = |tiers: &[Tier]| tiers.contains(&self.tier);
        let need_status = |want: Status, now: Status| {
            if want == now { Ok(()) } else { Err(format!("the ticket is {now:?}, not {want:?}").to_lowercase()) }
        };
        match &e.action {
            Action::Raised { .. } => Err("a ticket is raised only once".into()),
            Action::Received => {
                let tier = relay_tiers.iter().max().copied().ok_or("only a relay records receipt")?;
                self.received.entry(tier).or_insert(at);
                if tier == self.tier && self.status == Status::Open && self.clock_start.is_none() {
                    self.clock_start = Some(at);
                }
                Ok(())
            }
            Action::Carried => {
                let phone = grants.iter().any(|g| matches!(g.role, Role::Sevika | Role::Supervisor));
                if !phone || is_raiser {
                    return Err("only another sevika's or supervisor's phone carries a ticket".into());
                }
                if !self.received.is_empty() {
                    return Err("a relay already has it".into());
                }
                if self.carried_by.iter().any(|(k, _)| *k == e.author) {
                    return Err("this phone already carried it".into());
                }
                self.carried_by.push((e.author, at));
                Ok(())
            }
            Action::Commented { .. } => {
                if self.status == Status::Closed {
                    return Err("the ticket is closed".into());
                }
                if is_raiser || holds(&operator_tiers) {
                    Ok(())
                } else {
                    Err("only the raiser or the holding tier's operators comment".into())
                }
            }
            Action::Assigned { to } => {
                need_status(Status::Open, self.status)?;
                if !holds(&operator_tiers) {
                    return Err("only the holding tier's operators assign".into());
                }
                let assignee_ok = trust
                    .grants(to, at)
                    .iter()
                    .any(|g| g.role == Role::Operator && covers(g) && Tier::of_grant(g) == Some(self.tier));
                if !assignee_ok {
                    return Err("the assignee is not an operator of the holding tier".into());
                }
                self.assignee = Some(*to);
                Ok(())
            }
            Action::Escalated { .. } => {
                need_status(Status::Open, self.status)?;
                if !holds(&acting_tiers) {
                    return Err("only the holding tier escalates".into());
                }
                let next = self.tier.next().ok_or("the state is the last tier")?;
                self.tier = next;
                self.assignee = None;
                self.clock_start = None;
                Ok(())
            }
            Action::PulledUp { .. } => {
                need_status(Status::Open, self.status)?;
                let tier = acting_tiers.iter().filter(|t| **t > self.tier).max().copied();
                let tier = tier.ok_or("only a higher tier pulls a ticket up")?;
                self.tier = tier;
                self.assignee = None;
                self.received.entry(tier).or_insert(at);
                self.clock_start = Some(at);
                Ok(())
            }
            Action::Resolved { text } => {
                need_status(Status::Open, self.status)?;
                if !holds(&operator_tiers) {
                    return Err("only the holding tier's operators resolve".into());
                }
                self.status = Status::Resolved;
                self.resolution = Some(text.clone());
                Ok(())
            }
            Action::Reopened { .. } => {
                need_status(Status::Resolved, self.status)?;
                if !is_raiser {
                    return Err("only the raiser reopens".into());
                }
                self.status = Status::Open;
                self.resolution = None;
                self.clock_start = None;
                Ok(())
            }
            Action::Confirmed => {
                need_status(Status::Resolved, self.status)?;
                if !is_raiser {
                    return Err("only the raiser confirms".into());
                }
                self.status = Status::Closed;
                Ok(())
            }
        }
    }
}
