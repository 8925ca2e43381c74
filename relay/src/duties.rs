//! A relay's own duties on the tickets it holds, decided by its own clock:
//!
//! - **receipt**: a ticket that has reached this relay's tier and has no deadline running gets a
//!   signed "received" stamp; the tier's deadline runs from it (never from a phone's clock);
//! - **escalation**: a ticket this tier holds whose deadline has passed is escalated to the tier
//!   above, signed by the relay.
//!
//! [`due`] decides (pure, from the node's state and the time); [`perform`] signs and stores. The
//! daemon runs them on a timer and after contacts; what they append travels like any event.

use sampark_crdt::ticket::{Action, Tier};
use sampark_crdt::{DocId, Timestamp};
use sampark_node::ops::{self, OpError};

/// One thing a relay must do to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    /// The ticket.
    pub doc: DocId,
    /// What to append.
    pub action: Action,
}

/// The tier this node acts for, if it is a relay.
pub fn tier_of(node: &ops::Node) -> Option<Tier> {
    node.scope_grants().iter().filter(|g| g.role.is_relay()).filter_map(Tier::of_grant).max()
}

/// What the relay must do now to the tickets it holds.
pub fn due(node: &ops::Node, now: Timestamp) -> Vec<Duty> {
    let Some(tier) = tier_of(node) else { return Vec::new() };
    let mut duties = Vec::new();
    for doc in node.documents_held().map(|d| d.id().clone()).filter(|id| id.kind.is_ticket()) {
        let Ok(state) = node.ticket_state(&doc) else { continue };
        if state.needs_receipt(tier) {
            duties.push(Duty { doc, action: Action::Received });
        } else if state.tier == tier && state.overdue(now) && tier.next().is_some() {
            let text = format!("deadline passed at the {} helpdesk; escalated automatically", tier.name());
            duties.push(Duty { doc, action: Action::Escalated { text } });
        }
    }
    duties
}

/// Does what is due, signed by the relay, each stored before the next; returns what was done.
/// A duty the rules refuse (the ticket moved on meanwhile) is skipped and logged.
pub fn perform(node: &mut ops::Node) -> Result<Vec<Duty>, OpError> {
    let now = node.now();
    let mut done = Vec::new();
    for duty in due(node, now) {
        match node.act_on(&duty.doc, duty.action.clone()) {
            Ok(_) => {
                tracing::info!(ticket = %duty.doc, action = duty.action.name(), "relay duty done");
                done.push(duty);
            }
            Err(OpError::Refused(why)) => tracing::warn!(ticket = %duty.doc, %why, "relay duty refused"),
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
