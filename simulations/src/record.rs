//! What a run records as it goes: each ticket's journey, each register change's arrival at its
//! block relay, each contact's bytes and sessions. Summaries are made afterwards
//! ([`crate::metrics`]).

use std::collections::{BTreeMap, HashMap};

use sampark_node::proto::{Outcome, Summary};

use crate::contacts::LinkKind;
use crate::population::NodeId;

/// One ticket's journey.
#[derive(Debug, Clone)]
pub struct TicketRec {
    /// The centre.
    pub awc: u32,
    /// The phone that raised it.
    pub raiser: NodeId,
    /// When.
    pub raised: i64,
    /// Its first change's number.
    pub genesis: u32,
    /// Its document's number.
    pub doc: u32,
    /// Block, district and state relays.
    pub tiers: [NodeId; 3],
    /// When each tier's relay first held it.
    pub arrived: [Option<i64>; 3],
    /// How many nodes received its first change in a contact.
    pub copies: u32,
    /// When, at which tier and at which relay it was resolved.
    pub resolved: Option<(i64, usize, NodeId)>,
    /// When the resolution reached the raising phone.
    pub returned: Option<i64>,
    /// Escalations by an operator.
    pub escalations: u32,
    /// Escalations by a relay on its deadline.
    pub auto_escalations: u32,
}

/// One register change.
#[derive(Debug, Clone, Copy)]
pub struct RegisterRec {
    /// The centre.
    pub awc: u32,
    /// When it was made.
    pub created: i64,
    /// When its block relay first held it.
    pub arrived: Option<i64>,
}

/// One contact's traffic.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactRec {
    /// Bytes sent both ways in all its sessions.
    pub bytes: u64,
    /// Sessions run.
    pub sessions: u32,
    /// Sessions cut by the contact's end.
    pub interrupted: u32,
    /// Signed changes moved.
    pub changes: u64,
}

/// Everything recorded.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Tickets, in the order raised.
    pub tickets: Vec<TicketRec>,
    /// Ticket number by document number.
    pub ticket_by_doc: HashMap<u32, usize>,
    /// Ticket number by first change's number.
    pub ticket_by_genesis: HashMap<u32, usize>,
    /// Register changes, in the order made.
    pub registers: Vec<RegisterRec>,
    /// Register change number by change number.
    pub register_by_change: HashMap<u32, usize>,
    /// Contacts' traffic, by contact number.
    pub contacts: BTreeMap<u32, ContactRec>,
    /// Sessions by outcome name.
    pub outcomes: BTreeMap<String, u64>,
    /// Bytes by link kind.
    pub bytes_by_link: BTreeMap<LinkKind, u64>,
    /// Bytes sent by message kind.
    pub bytes_by_message: BTreeMap<&'static str, u64>,
    /// Signed changes refused by receivers.
    pub refused: u64,
    /// Signed changes receivers accepted as new.
    pub accepted: u64,
}

impl Recorder {
    /// Notes a frame of `len` bytes holding a message named `name` sent.
    pub fn message(&mut self, name: &'static str, len: usize) {
        *self.bytes_by_message.entry(name).or_default() += len as u64;
    }

    /// Notes a new ticket.
    pub fn raised(&mut self, rec: TicketRec) {
        let i = self.tickets.len();
        self.ticket_by_doc.insert(rec.doc, i);
        self.ticket_by_genesis.insert(rec.genesis, i);
        self.tickets.push(rec);
    }

    /// Notes a new register change.
    pub fn registered(&mut self, change: u32, awc: u32, created: i64) {
        self.register_by_change.insert(change, self.registers.len());
        self.registers.push(RegisterRec { awc, created, arrived: None });
    }

    /// Notes that `node` now holds change `change` (received in a contact) at `now`;
    /// `block_relay_of_awc` tells whether `node` is the block relay of a centre.
    pub fn held(&mut self, node: NodeId, change: u32, now: i64, block_relay_of_awc: impl Fn(u32) -> bool) {
        if let Some(&t) = self.ticket_by_genesis.get(&change)
            && let Some(rec) = self.tickets.get_mut(t)
        {
            rec.copies += 1;
            for (tier, relay) in rec.tiers.iter().enumerate() {
                if *relay == node
                    && let Some(slot) = rec.arrived.get_mut(tier)
                    && slot.is_none()
                {
                    *slot = Some(now);
                }
            }
        }
        if let Some(&r) = self.register_by_change.get(&change)
            && let Some(rec) = self.registers.get_mut(r)
            && rec.arrived.is_none()
            && block_relay_of_awc(rec.awc)
        {
            rec.arrived = Some(now);
        }
    }

    /// Notes a finished (or cut) session of contact `contact`.
    pub fn session(&mut self, contact: u32, link: LinkKind, summary: &Summary) {
        let name = match &summary.outcome {
            Outcome::Running => "running",
            Outcome::Complete => "complete",
            Outcome::BudgetExhausted => "budget-exhausted",
            Outcome::Refused(_) => "refused",
            Outcome::RefusedByPeer(_) => "refused-by-peer",
            Outcome::TimedOut => "timed-out",
            Outcome::Interrupted(_) => "interrupted",
        };
        *self.outcomes.entry(name.to_owned()).or_default() += 1;
        let c = self.contacts.entry(contact).or_default();
        c.bytes += summary.bytes_sent;
        c.changes += summary.changes_sent;
        if matches!(summary.outcome, Outcome::Interrupted(_)) {
            c.interrupted += 1;
        }
        *self.bytes_by_link.entry(link).or_default() += summary.bytes_sent;
        self.refused += summary.changes_refused;
        self.accepted += summary.changes_received;
    }
}
