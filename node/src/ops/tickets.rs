//! Helpdesk tickets: raise, comment, reopen, confirm, list and show.
//!
//! Each write signs one ticket event ([`sampark_crdt::ticket::raise`] or
//! [`sampark_crdt::ticket::append`]) on a copy of the ticket's document, derives the ticket's
//! state from the copy, and stores the change only if the state machine accepted the event: an
//! event the rules would refuse (confirming an open ticket, commenting on a closed one) is
//! reported to the person and never stored or sent. Who may do what is the table in
//! [`sampark_crdt::ticket::state`].
//!
//! The node signs its own events ([`Node::act_on`]); a relay signs its helpdesk operators' events
//! with their keys ([`Node::act_as`]), through the same code.
//!
//! A ticket is named by its ID or any unique start of it of at least 8 hex digits.

use std::collections::BTreeMap;

use sampark_crdt::ticket::{self, Action, Category, Outcome, Status, TicketError, TicketState, TimelineEntry};
use sampark_crdt::{Author, DocId, DocKind, Hlc, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Node, OpError, person_scope};
use crate::proto::policy;

/// Fewest hex digits that name a ticket.
pub const MIN_PREFIX: usize = 8;

/// One ticket in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRow {
    /// The ticket's ID (32 hex digits).
    pub id: String,
    /// `open`, `resolved`, `closed`, or `incomplete` (its first event has not arrived).
    pub status: String,
    /// The tier holding it: `block`, `district`, `state` (empty when incomplete).
    pub tier: String,
    /// The problem area.
    pub category: String,
    /// The problem, as raised.
    pub text: String,
    /// When it was raised (ms since the epoch, by the raiser's clock).
    pub raised_at: i64,
    /// Events in its history.
    pub events: usize,
    /// True when this node only carries it for another centre.
    pub carried: bool,
    /// True when it belongs to another centre of this sevika's sector: she keeps it, so that
    /// its answer reaches that centre through her phone too.
    #[serde(default)]
    pub sector: bool,
}

/// One event of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// The event's ID.
    pub id: String,
    /// What was done: raised, received, commented, assigned, escalated, pulled-up, resolved,
    /// reopened, confirmed.
    pub action: String,
    /// Its text, if it has one.
    pub text: Option<String>,
    /// For an assignment, the operator's key.
    pub to: Option<String>,
    /// Who did it (full key).
    pub by: String,
    /// In which capacity, e.g. "sevika", "operator at block".
    pub capacity: String,
    /// When, by the author's clock (ms since the epoch).
    pub at: i64,
    /// The clock's counter, ordering events within one millisecond.
    pub counter: u32,
    /// Why it did not take effect, if it did not.
    pub refused: Option<String>,
}

/// Where a ticket has arrived upstream: a relay's signed receipt for its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The relay's key.
    pub relay: String,
    /// When it held the ticket, by its clock (ms since the epoch).
    pub at: i64,
    /// True when it held everything this node holds of the ticket.
    pub complete: bool,
}

/// A phone that carried a ticket toward the relay (its signed "carried" event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// The phone's key.
    pub phone: String,
    /// When it took the ticket on, by its clock (ms since the epoch).
    pub at: i64,
}

/// Everything about one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketView {
    /// The ticket's ID.
    pub id: String,
    /// Its document.
    pub doc: String,
    /// The centre or sector it belongs to.
    pub scope: String,
    /// The problem area.
    pub category: String,
    /// The problem, as raised.
    pub text: String,
    /// Who raised it.
    pub raised_by: String,
    /// When (ms since the epoch, by the raiser's clock).
    pub raised_at: i64,
    /// `open`, `resolved` or `closed`.
    pub status: String,
    /// The tier holding it.
    pub tier: String,
    /// The operator it is assigned to.
    pub assignee: Option<String>,
    /// When the holding tier's time runs out (ms since the epoch).
    pub deadline: Option<i64>,
    /// True when the deadline has passed.
    pub overdue: bool,
    /// When each tier first had it, by that tier's clock.
    pub received: BTreeMap<String, i64>,
    /// The resolution, while resolved or closed.
    pub resolution: Option<String>,
    /// Every event, in the order it was judged.
    pub timeline: Vec<EventView>,
    /// Events held back until an event they follow arrives.
    pub waiting: usize,
    /// True when this node only carries it for another centre.
    pub carried: bool,
    /// True when it belongs to another centre of this sevika's sector (see [`TicketRow`]).
    #[serde(default)]
    pub sector: bool,
    /// True when the text this node just signed held a full Aadhaar number and was masked to its
    /// last 4 digits before signing (only in the answer to that raise or comment).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aadhaar_masked: bool,
    /// The phones that carried it toward the relay, in order.
    #[serde(default)]
    pub carried_by: Vec<Carrier>,
    /// The relays whose receipts show it arrived there.
    pub hops: Vec<Hop>,
}

/// The lower-case name of a status.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Resolved => "resolved",
        Status::Closed => "closed",
    }
}

fn event_view(e: &TimelineEntry) -> EventView {
    let (text, to) = match &e.action {
        Action::Raised { text, .. }
        | Action::Commented { text }
        | Action::Escalated { text }
        | Action::PulledUp { text }
        | Action::Resolved { text }
        | Action::Reopened { text } => (Some(text.clone()).filter(|t| !t.is_empty()), None),
        Action::Assigned { to } => (None, Some(to.to_hex())),
        Action::Received | Action::Confirmed | Action::Carried => (None, None),
    };
    EventView {
        id: e.id.clone(),
        action: e.action.name().into(),
        text,
        to,
        by: e.author.to_hex(),
        capacity: e.capacity.clone(),
        at: e.hlc.wall,
        counter: e.hlc.logical,
        refused: match &e.outcome {
            Outcome::Accepted => None,
            Outcome::Refused(why) => Some(why.clone()),
        },
    }
}

impl Node {
    /// Raises a ticket in this node's centre (or a supervisor's sector), durably.
    pub fn raise(&mut self, category: &str, text: &str) -> Result<TicketView, OpError> {
        let category: Category = category.parse().map_err(|e| OpError::Invalid(format!("--category: {e}")))?;
        let text = nonempty(text, "describe the problem with --text")?;
        let (text, masked) = masked(text);
        let grants = self.acting_grants()?;
        let Some((_, scope)) = person_scope(&grants) else {
            return Err(OpError::Refused("only a sevika's or a supervisor's node raises tickets".into()));
        };
        let hlc = self.next_hlc()?;
        let held = |t| -> Result<bool, OpError> {
            let id = DocId::new(scope.clone(), DocKind::Ticket(t)).map_err(|e| OpError::Invalid(e.to_string()))?;
            Ok(self.store.heads(&id)?.is_some())
        };
        let slot = ticket::free_slot(&self.author.public(), hlc, held)?.ok_or_else(|| {
            OpError::Refused(format!(
                "this phone raised {} tickets today, the most one phone may raise in a day; \
                 add to one of them with a comment, or raise it tomorrow",
                ticket::MAX_TICKETS_PER_DAY
            ))
        })?;
        let (doc, change) = ticket::raise(&self.author, scope, category, &text, vec![], slot, hlc, &self.trust)
            .map_err(ticket_error)?;
        let id = doc.id().clone();
        self.commit(doc, change)?;
        Ok(TicketView { aadhaar_masked: masked, ..self.view(&id)? })
    }

    /// Comments on a ticket.
    pub fn comment(&mut self, ticket: &str, text: &str) -> Result<TicketView, OpError> {
        let (text, masked) = masked(nonempty(text, "write the comment with --text")?);
        let view = self.act(ticket, Action::Commented { text })?;
        Ok(TicketView { aadhaar_masked: masked, ..view })
    }

    /// Reopens a resolved ticket (only its raiser), saying why.
    pub fn reopen(&mut self, ticket: &str, text: Option<&str>) -> Result<TicketView, OpError> {
        let (text, masked) = masked(text.unwrap_or_default().trim());
        let view = self.act(ticket, Action::Reopened { text })?;
        Ok(TicketView { aadhaar_masked: masked, ..view })
    }

    /// Confirms a resolution (only the raiser); the ticket is closed.
    pub fn confirm(&mut self, ticket: &str) -> Result<TicketView, OpError> {
        self.act(ticket, Action::Confirmed)
    }

    /// Signs `action` on the ticket named by `prefix`, checks the rules accept it, stores it.
    fn act(&mut self, prefix: &str, action: Action) -> Result<TicketView, OpError> {
        let id = self.find_ticket(prefix)?;
        self.act_on(&id, action)
    }

    /// Signs `action` on ticket `id` as this node, checks the rules accept it, stores it (a
    /// relay's own duties: receipt stamps and escalation on deadline).
    pub fn act_on(&mut self, id: &DocId, action: Action) -> Result<TicketView, OpError> {
        self.acting_grants()?;
        self.sign_event(id, action, None)
    }

    /// Signs `action` on ticket `id` as `author` (a helpdesk operator working at this relay,
    /// whose certificate this node knows), checks the rules accept it, stores it. The event and
    /// its change are the operator's, not the node's; the node's clock orders them.
    pub fn act_as(&mut self, author: &Author, id: &DocId, action: Action) -> Result<TicketView, OpError> {
        if self.trust.grants(&author.public(), self.now()).is_empty() {
            return Err(OpError::Refused(format!(
                "the key {} has no valid certificate now (unknown here, expired or revoked)",
                author.public().short()
            )));
        }
        self.sign_event(id, action, Some(author))
    }

    /// Signs `action` on ticket `id` as `author` (this node when `None`), derives the ticket's
    /// state with it, and stores it only if the rules accepted it.
    fn sign_event(&mut self, id: &DocId, action: Action, author: Option<&Author>) -> Result<TicketView, OpError> {
        let id = id.clone();
        let prefix = short(&id);
        let mut doc = self.docs.get(&id).cloned().ok_or_else(|| OpError::NotFound(format!("no ticket {prefix}")))?;
        let hlc = self.next_hlc()?;
        let author = author.unwrap_or(&self.author);
        let change = ticket::append(&mut doc, author, action, hlc, &self.trust).map_err(ticket_error)?;
        let state = ticket::state_of(&doc, &self.trust, &self.deadlines)
            .map_err(|e| OpError::Refused(format!("the ticket cannot be read: {e}")))?;
        if let Some(why) = refusal(&state, &author.public(), hlc) {
            return Err(OpError::Refused(format!("not done: {why} (the ticket is {})", status_name(state.status))));
        }
        self.commit(doc, change)?;
        self.view(&id)
    }

    /// Every ticket held, newest first.
    pub fn tickets(&self) -> Vec<TicketRow> {
        let mut rows: Vec<TicketRow> = self.docs.keys().filter(|d| d.kind.is_ticket()).map(|d| self.row(d)).collect();
        rows.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(a.id.cmp(&b.id)));
        rows
    }

    /// The ticket named by its ID or a unique start of it.
    pub fn ticket(&self, prefix: &str) -> Result<TicketView, OpError> {
        let id = self.find_ticket(prefix)?;
        self.view(&id)
    }

    /// The ticket document whose ID starts with `prefix` (8 hex digits or more).
    pub fn find_ticket(&self, prefix: &str) -> Result<DocId, OpError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.len() < MIN_PREFIX || p.len() > 32 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(OpError::Invalid(format!(
                "{prefix:?} is not a ticket ID: give its first {MIN_PREFIX} or more hex digits (`ticket list` shows them)"
            )));
        }
        let found: Vec<&DocId> = self
            .docs
            .keys()
            .filter(|d| matches!(d.kind, DocKind::Ticket(t) if t.to_string().starts_with(&p)))
            .collect();
        match found.as_slice() {
            [] => Err(OpError::NotFound(format!("there is no ticket {p} on this node"))),
            [one] => Ok((*one).clone()),
            many => Err(OpError::Invalid(format!("{} tickets start with {p}; give more digits", many.len()))),
        }
    }

    fn carried(&self, doc: &DocId) -> bool {
        !policy::keeps(&self.scope_grants(), doc)
    }

    fn of_sector_mate(&self, doc: &DocId) -> bool {
        let grants = self.scope_grants();
        policy::keeps(&grants, doc) && !policy::owns(&grants, doc)
    }

    /// When ticket `id` was closed (its last event's time), if it is held and closed.
    pub fn closed_at(&self, id: &DocId) -> Option<Timestamp> {
        if !id.kind.is_ticket() {
            return None;
        }
        let state = self.state(id).ok()?;
        (state.status == Status::Closed).then(|| state.timeline.iter().map(|e| e.hlc.timestamp()).max()).flatten()
    }

    /// The derived state of ticket `id`, under this node's deadlines.
    pub fn ticket_state(&self, id: &DocId) -> Result<TicketState, OpError> {
        self.state(id)
    }

    fn state(&self, id: &DocId) -> Result<TicketState, OpError> {
        let doc = self.docs.get(id).ok_or_else(|| OpError::NotFound(format!("there is no ticket {id}")))?;
        ticket::state_of(doc, &self.trust, &self.deadlines)
            .map_err(|e| OpError::NotFound(format!("ticket {} cannot be shown yet: {e}", short(id))))
    }

    fn row(&self, id: &DocId) -> TicketRow {
        let (carried, sector) = (self.carried(id), self.of_sector_mate(id));
        match self.state(id) {
            Ok(s) => TicketRow {
                id: s.id.clone(),
                status: status_name(s.status).into(),
                tier: s.tier.name().into(),
                category: s.category.name().into(),
                text: s.text.clone(),
                raised_at: s.raised_at.wall,
                events: s.timeline.len(),
                carried,
                sector,
            },
            Err(e) => TicketRow {
                id: ticket_hex(id),
                status: "incomplete".into(),
                tier: String::new(),
                category: String::new(),
                text: e.to_string(),
                raised_at: 0,
                events: 0,
                carried,
                sector,
            },
        }
    }

    /// Everything about ticket `id`.
    pub fn ticket_view(&self, id: &DocId) -> Result<TicketView, OpError> {
        self.view(id)
    }

    fn view(&self, id: &DocId) -> Result<TicketView, OpError> {
        let s = self.state(id)?;
        Ok(TicketView {
            id: s.id.clone(),
            doc: id.to_string(),
            scope: s.scope.to_string(),
            category: s.category.name().into(),
            text: s.text.clone(),
            raised_by: s.raised_by.to_hex(),
            raised_at: s.raised_at.wall,
            status: status_name(s.status).into(),
            tier: s.tier.name().into(),
            assignee: s.assignee.map(|k| k.to_hex()),
            deadline: s.deadline.map(|d| d.0),
            overdue: s.overdue((self.clock)()),
            received: s.received.iter().map(|(t, at)| (t.name().to_string(), at.0)).collect(),
            resolution: s.resolution.clone(),
            timeline: s.timeline.iter().map(event_view).collect(),
            waiting: s.waiting,
            carried: self.carried(id),
            sector: self.of_sector_mate(id),
            aadhaar_masked: false,
            carried_by: s.carried_by.iter().map(|(k, at)| Carrier { phone: k.to_hex(), at: at.0 }).collect(),
            hops: self.hops(id),
        })
    }

    /// The relays' receipts for `doc`, oldest first.
    fn hops(&self, doc: &DocId) -> Vec<Hop> {
        let mut hops: Vec<Hop> = self
            .receipts_of(doc)
            .iter()
            .map(|r| Hop { relay: r.relay.to_hex(), at: r.at.0, complete: self.covers(r) })
            .collect();
        hops.sort_by_key(|h| h.at);
        hops
    }
}

/// Why the event this node signed at `hlc` was refused, if it was.
fn refusal(state: &TicketState, me: &sampark_crdt::PublicKey, hlc: Hlc) -> Option<String> {
    let mine = state.timeline.iter().rev().find(|e| &e.author == me && e.hlc == hlc);
    match mine.map(|e| &e.outcome) {
        Some(Outcome::Accepted) => None,
        Some(Outcome::Refused(why)) => Some(why.clone()),
        None => Some("the event is waiting for an earlier event of the ticket".into()),
    }
}

/// `text` with any full Aadhaar number masked to its last 4 digits (a ticket travels through
/// many hands and is kept for years: it must never carry one), and whether one was.
fn masked(text: &str) -> (String, bool) {
    let m = sampark_crdt::register::mask_aadhaar(text);
    let changed = matches!(m, std::borrow::Cow::Owned(_));
    (m.into_owned(), changed)
}

fn nonempty<'a>(text: &'a str, hint: &str) -> Result<&'a str, OpError> {
    let text = text.trim();
    if text.is_empty() { Err(OpError::Invalid(format!("the text is empty: {hint}"))) } else { Ok(text) }
}

fn ticket_error(e: TicketError) -> OpError {
    match e {
        TicketError::Event(e) => OpError::Invalid(e.to_string()),
        other => OpError::Refused(other.to_string()),
    }
}

fn ticket_hex(id: &DocId) -> String {
    match id.kind {
        DocKind::Ticket(t) => t.to_string(),
        _ => id.to_string(),
    }
}

fn short(id: &DocId) -> String {
    match id.kind {
        DocKind::Ticket(t) => t.short(),
        _ => id.to_string(),
    }
}
