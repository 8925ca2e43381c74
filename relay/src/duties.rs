//! A relay's own duties on the tickets it holds, decided by its own clock:
//!
//! - **receipt**: a ticket that has reached this relay's tier and has no deadline running gets a
//!   signed "received" stamp; the tier's deadline runs from it (never from a phone's clock);
//! - **escalation**: a ticket this tier holds whose deadline has passed is escalated to the tier
//!   above, signed by the relay.
//!
//! [`due`] decides (pure, from the node's state and the time); [`perform`] signs and stores. The
//! daemon runs them on a timer and after contacts; what they append travels like any event.
//! The tiers' allowances come from the relay's configuration ([`deadlines`], from `run
//! --block-deadline 48h --district-deadline 72h`); tests and the demo give them seconds.

use std::time::Duration;

use sampark_crdt::ticket::{Action, Deadlines, Tier};
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

/// Reads a span such as `48h`, `90m`, `30s`, `2d` or `1500ms` (a whole number and a unit).
pub fn parse_span(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a span such as 48h, 90m or 30s"))?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: the unit must be ms, s, m, h or d (e.g. 48h)")),
    };
    let ms = n.checked_mul(unit_ms).filter(|ms| *ms > 0).ok_or_else(|| format!("{text:?} is out of range"))?;
    Ok(Duration::from_millis(ms))
}

/// The deadlines of a relay that gives the block `block` and the district `district` (the state
/// has none: there is no tier above it).
pub fn deadlines(block: Duration, district: Duration) -> Deadlines {
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    Deadlines { block_ms: ms(block), district_ms: ms(district), state_ms: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_with_their_units() {
        assert_eq!(parse_span("48h"), Ok(Duration::from_secs(48 * 3600)));
        assert_eq!(parse_span("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_span("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_span("2d"), Ok(Duration::from_secs(2 * 86_400)));
        for bad in ["", "h", "48", "4.5h", "0s", "-1h", "48 hours"] {
            assert!(parse_span(bad).is_err(), "{bad:?}");
        }
        assert_eq!(deadlines(Duration::from_secs(48 * 3600), Duration::from_secs(72 * 3600)), Deadlines::default());
    }
}
