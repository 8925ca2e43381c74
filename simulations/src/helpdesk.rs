//! The helpdesk at each relay: the relay's own duties and its operator's work, on the tickets it
//! holds, as real signed ticket events (`sampark_crdt::ticket::append`).
//!
//! The duties are those of `sampark-relay` (`relay/src/duties.rs`), decided the same way from the
//! ticket's derived state: a ticket open at the relay's tier with no deadline running gets a
//! "received" stamp signed by the relay; a ticket whose tier deadline has passed is escalated by
//! the relay. They run whenever a ticket changes at the relay (after each delivered batch) and
//! at each deadline, rather than on the daemon's timer.
//!
//! The operator: once a ticket is open at her tier she acts after a response time drawn from
//! the scenario (log-normal), if the ticket is still open at her tier then: she resolves it
//! with the tier's share, or escalates it; the state helpdesk resolves everything it works.

use std::collections::BTreeSet;

use sampark_crdt::ticket::{self, Action, Deadlines, Status, Tier};
use sampark_crdt::{Author, Timestamp};

use crate::calendar::HOUR;
use crate::population::NodeId;
use crate::rng::Rng;
use crate::scenario;
use crate::store::{Changes, NodeState};

/// Something to do later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Todo {
    /// The relay's operator looks at the ticket.
    Operator {
        /// When.
        at: i64,
    },
    /// The relay checks the ticket's deadline.
    Deadline {
        /// When.
        at: i64,
    },
}

/// What was done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The relay stamped its receipt.
    Received,
    /// The operator resolved it.
    Resolved,
    /// The operator escalated it.
    Escalated,
    /// The relay escalated it on its deadline.
    AutoEscalated,
}

/// The helpdesks of a run.
#[derive(Debug)]
pub struct Helpdesk {
    /// Tier deadlines.
    pub deadlines: Deadlines,
    config: scenario::Helpdesk,
    rng: Rng,
    working: BTreeSet<(NodeId, u32)>,
    deadline_checks: BTreeSet<(NodeId, u32, i64)>,
}

/// The tier of a relay given its number in [`crate::population::Kind::tier`].
pub fn tier(n: usize) -> Tier {
    match n {
        0 => Tier::Block,
        1 => Tier::District,
        _ => Tier::State,
    }
}

impl Helpdesk {
    /// The helpdesks of a scenario, drawing response times from `seed`.
    pub fn new(config: &scenario::Helpdesk, seed: u64) -> Helpdesk {
        let ms = |h: f64| (h * HOUR as f64) as i64;
        Helpdesk {
            deadlines: Deadlines {
                block_ms: ms(config.block_deadline_hours),
                district_ms: ms(config.district_deadline_hours),
                state_ms: None,
            },
            config: config.clone(),
            rng: Rng::derive(seed, "helpdesk", 0),
            working: BTreeSet::new(),
            deadline_checks: BTreeSet::new(),
        }
    }

    fn response(&mut self, tier: Tier) -> i64 {
        let median = match tier {
            Tier::Block => self.config.block_response_hours,
            Tier::District => self.config.district_response_hours,
            Tier::State => self.config.state_response_hours,
        };
        (self.rng.lognormal(median, self.config.response_sigma) * HOUR as f64) as i64
    }

    /// After ticket `doc` changed at relay `relay` of tier `tier`: stamps the relay's receipt if
    /// due, and says when its operator and its deadline are to be looked at. Returns what was
    /// appended (change numbers) and what to do later.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        relay: NodeId,
        tier: Tier,
        doc: u32,
        node: &mut NodeState,
        changes: &mut Changes,
        author: &Author,
        now: i64,
    ) -> (Vec<u32>, Vec<Todo>) {
        let mut made = Vec::new();
        let mut todo = Vec::new();
        let Some(mut state) = self.state(node, doc) else { return (made, todo) };
        if state.needs_receipt(tier)
            && let Some(c) = append(node, changes, doc, author, Action::Received, now)
        {
            made.push(c);
            match self.state(node, doc) {
                Some(s) => state = s,
                None => return (made, todo),
            }
        }
        if state.status != Status::Open || state.tier != tier {
            return (made, todo);
        }
        if self.working.insert((relay, doc)) {
            todo.push(Todo::Operator { at: now + self.response(tier) });
        }
        if let Some(deadline) = state.deadline.filter(|_| tier.next().is_some())
            && self.deadline_checks.insert((relay, doc, deadline.0))
        {
            todo.push(Todo::Deadline { at: deadline.0.max(now) });
        }
        (made, todo)
    }

    /// The operator of relay `relay` looks at ticket `doc`: resolves or escalates it if it is
    /// still open at her tier.
    #[allow(clippy::too_many_arguments)]
    pub fn operate(
        &mut self,
        relay: NodeId,
        tier: Tier,
        doc: u32,
        node: &mut NodeState,
        changes: &mut Changes,
        operator: &Author,
        now: i64,
    ) -> Option<(Done, u32)> {
        self.working.remove(&(relay, doc));
        let state = self.state(node, doc)?;
        if state.status != Status::Open || state.tier != tier {
            return None;
        }
        let share = match tier {
            Tier::Block => self.config.block_resolves,
            Tier::District => self.config.district_resolves,
            Tier::State => 1.0,
        };
        let (done, action) = if self.rng.chance(share) {
            (
                Done::Resolved,
                Action::Resolved {
                    text: "समस्या हल हो गई: ऐप अपडेट करें".into()
                },
            )
        } else {
            (Done::Escalated, Action::Escalated { text: format!("needs the {} helpdesk", tier.next()?.name()) })
        };
        append(node, changes, doc, operator, action, now).map(|c| (done, c))
    }

    /// Relay `relay` checks ticket `doc`'s deadline and escalates it if it has passed.
    #[allow(clippy::too_many_arguments)]
    pub fn deadline(
        &mut self,
        tier: Tier,
        doc: u32,
        node: &mut NodeState,
        changes: &mut Changes,
        author: &Author,
        now: i64,
    ) -> Option<(Done, u32)> {
        let state = self.state(node, doc)?;
        if state.status != Status::Open || state.tier != tier || !state.overdue(Timestamp(now)) {
            return None;
        }
        tier.next()?;
        let text = format!("deadline passed at the {} helpdesk; escalated automatically", tier.name());
        append(node, changes, doc, author, Action::Escalated { text }, now).map(|c| (Done::AutoEscalated, c))
    }

    fn state(&self, node: &NodeState, doc: u32) -> Option<ticket::TicketState> {
        let live = node.live.get(&doc)?;
        ticket::state_of(live, &node.trust, &self.deadlines).ok()
    }
}

/// Appends an event to a node's copy of a ticket and holds the signed change.
pub fn append(
    node: &mut NodeState,
    changes: &mut Changes,
    doc: u32,
    author: &Author,
    action: Action,
    now: i64,
) -> Option<u32> {
    let hlc = node.tick(now);
    let live = node.live.get_mut(&doc)?;
    let signed = ticket::append(live, author, action, hlc, &node.trust).ok()?;
    let change = automerge::Change::from_bytes(signed.change.clone()).ok()?;
    let c = changes.intern(&signed, &change);
    node.hold(changes, c);
    Some(c)
}
