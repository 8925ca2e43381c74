//! Who keeps what, and who carries what for whom: decided from certificates alone.
//!
//! - A node **owns** the documents of its own scope: a sevika her centre's registers and
//!   tickets, a supervisor her sector's, a relay its whole subtree. Operators run no node.
//! - A node **keeps** for good what it owns and, on a sevika's phone, the tickets of the other
//!   centres of her sector. A ticket's answer comes down from the block relay to whichever
//!   phone of the sector meets it first, and from phone to phone of the sector to the one that
//!   raised it; tickets are small and few. She reads them and writes nothing on them
//!   (`sampark_crdt::verify` lets another centre's phone sign only that it carried a ticket,
//!   and a phone that keeps one does not sign even that).
//! - A phone (sevika or supervisor) **carries** documents of other centres of its own block that
//!   another phone gives it, toward the block relay. It takes nothing to carry from a relay: what
//!   a relay has is already upstream.
//!
//! - A sevika **retires** a ticket of another centre of her sector once it has been closed for
//!   [`SECTOR_TICKET_RETENTION_MS`] ([`retires`]): its answer has long reached the raiser, who
//!   keeps it for good, as the relay does. Both sides of a contact judge it from their own copy of
//!   the ticket, so neither sends it to a phone that no longer keeps it.
//!
//! In a contact, the documents both sides keep are *shared*: they are reconciled both ways, so
//! after the contact both hold the same version. Everything else one side holds that the other
//! keeps or carries is *offered* one way.

use sampark_crdt::{DocId, DocKind, Grant, Level, Role, Timestamp};

/// True when `doc` belongs to the scope of a node holding `grants`: its own centre's for a
/// sevika, its sector's or subtree's for a supervisor or relay. What it owns it keeps, asks
/// receipts for, and folds once a relay holds it.
pub fn owns(grants: &[Grant], doc: &DocId) -> bool {
    grants.iter().any(|g| match g.role {
        Role::Sevika => g.scope == doc.scope,
        Role::Supervisor | Role::BlockRelay | Role::DistrictRelay | Role::StateHub => g.scope.contains(&doc.scope),
        Role::Operator => false,
    })
}

/// True when a node holding `grants` keeps `doc` for good: it owns it, or it is a sevika and
/// `doc` is a ticket of her sector (see the module docs).
pub fn keeps(grants: &[Grant], doc: &DocId) -> bool {
    owns(grants, doc) || (doc.kind.is_ticket() && grants.iter().any(|g| sector_mates(g, doc)))
}

/// How long a sevika's phone keeps a closed ticket of another centre of her sector: 90 days.
pub const SECTOR_TICKET_RETENTION_MS: i64 = 90 * Timestamp::DAY;

/// True when a node holding `grants` no longer keeps `doc`, a ticket of another centre of its
/// sector that closed at `closed_at` (its last event's time, `None` while not closed), judged at
/// `now`. `closed_at` is asked for only when the rest holds.
pub fn retires(grants: &[Grant], doc: &DocId, closed_at: impl FnOnce() -> Option<Timestamp>, now: Timestamp) -> bool {
    doc.kind.is_ticket()
        && keeps(grants, doc)
        && !owns(grants, doc)
        && closed_at().is_some_and(|t| now.0.saturating_sub(t.0) > SECTOR_TICKET_RETENTION_MS)
}

/// True when `g` is a sevika's and `doc` belongs to her sector (another centre of it, or the
/// sector itself).
fn sector_mates(g: &Grant, doc: &DocId) -> bool {
    let sector = g.scope.ancestor(Level::Sector);
    g.role == Role::Sevika && sector.is_some() && doc.scope.ancestor(Level::Sector) == sector
}

/// True when a node is a relay.
pub fn is_relay(grants: &[Grant]) -> bool {
    grants.iter().any(|g| g.role.is_relay())
}

/// True when a phone holding `grants` takes `doc` from a peer holding `peer` to carry it upward.
pub fn carries(grants: &[Grant], peer: &[Grant], doc: &DocId) -> bool {
    if is_relay(peer) || keeps(grants, doc) {
        return false;
    }
    let doc_block = doc.scope.ancestor(Level::Block);
    grants
        .iter()
        .any(|g| matches!(g.role, Role::Sevika | Role::Supervisor) && g.scope.ancestor(Level::Block) == doc_block)
}

/// One side of a contact: its roles, and whether, as a district relay or the state hub, it
/// keeps registers as well as tickets (a configured policy, declared in its hello).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    /// The side's roles at the time of the contact.
    pub grants: Vec<Grant>,
    /// A district relay or state hub keeps its subtree's registers too (tickets always).
    pub keep_registers: bool,
}

impl Side {
    /// True when this side keeps `doc` for good: [`keeps`], except that a district relay or the
    /// state hub keeps registers only under its `keep_registers` policy.
    pub fn keeps(&self, doc: &DocId) -> bool {
        keeps(&self.grants, doc) && (self.keep_registers || doc.kind.is_ticket() || !above_block(&self.grants))
    }
}

/// True when a node's roles are all above the block (a district relay or the state hub).
fn above_block(grants: &[Grant]) -> bool {
    !grants.is_empty() && grants.iter().all(|g| matches!(g.role, Role::DistrictRelay | Role::StateHub))
}

/// True when `doc` is shared between the two sides (both keep it).
pub fn shared(mine: &Side, theirs: &Side, doc: &DocId) -> bool {
    mine.keeps(doc) && theirs.keeps(doc)
}

/// True when `me` takes `doc` from `peer` at all (keeps it, or carries it onward).
pub fn takes(me: &Side, peer: &Side, doc: &DocId) -> bool {
    me.keeps(doc) || carries(&me.grants, &peer.grants, doc)
}

/// True when a carrier keeps `doc` folded once a receipt shows it arrived upstream (registers,
/// which grow every working day, so that only their new changes travel next time), rather than
/// dropping it (tickets, which change little once they have arrived).
pub fn folds_when_delivered(doc: &DocId) -> bool {
    !doc.kind.is_ticket()
}

/// How urgent a document is, lowest first: tickets, then the registers the due list reads,
/// then the rest. A short contact sends the most urgent first; a full carrier drops the least
/// urgent first.
pub fn urgency(doc: &DocId) -> u8 {
    match doc.kind {
        DocKind::Ticket(_) => 0,
        DocKind::Families
        | DocKind::Cases { .. }
        | DocKind::Immunisation(_)
        | DocKind::Growth(_)
        | DocKind::Visits(_) => 1,
        DocKind::Daily(_) | DocKind::Thr(_) | DocKind::Stock(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sampark_crdt::Scope;

    fn g(role: Role, scope: &str) -> Vec<Grant> {
        vec![Grant { role, scope: Scope::parse(scope).unwrap() }]
    }

    fn d(s: &str) -> DocId {
        DocId::parse(s).unwrap()
    }

    #[test]
    fn keeping_and_carrying() {
        let sevika = g(Role::Sevika, "BR/DBG/P07/S03/A0412");
        let other = g(Role::Sevika, "BR/DBG/P07/S05/A0500");
        let relay = g(Role::BlockRelay, "BR/DBG/P07");
        let own = d("BR/DBG/P07/S03/A0412:families");
        let theirs = d("BR/DBG/P07/S05/A0500:families");
        let far = d("BR/DBG/P08/S01/A0001:families");
        assert!(keeps(&sevika, &own) && !keeps(&sevika, &theirs));
        assert!(keeps(&relay, &own) && keeps(&relay, &theirs) && !keeps(&relay, &far));
        assert!(carries(&sevika, &other, &theirs), "a phone carries its block's data from a phone");
        assert!(!carries(&sevika, &relay, &theirs), "but not from the relay");
        assert!(!carries(&sevika, &other, &far), "nor another block's");
        let side = |grants: &Vec<Grant>, keep_registers| Side { grants: grants.clone(), keep_registers };
        assert!(shared(&side(&sevika, false), &side(&relay, false), &own));
        assert!(!shared(&side(&sevika, false), &side(&other, false), &own));
        // A district relay keeps tickets, and registers only under its policy.
        let district = g(Role::DistrictRelay, "BR/DBG");
        let ticket = d("BR/DBG/P07/S03/A0412:ticket/00112233445566778899aabbccddeeff");
        assert!(side(&district, false).keeps(&ticket) && !side(&district, false).keeps(&own));
        assert!(side(&district, true).keeps(&own));
        assert!(side(&relay, false).keeps(&own), "a block relay keeps its registers regardless");
        assert!(!keeps(&g(Role::Operator, "BR/DBG/P07"), &own));
    }

    #[test]
    fn a_sevika_keeps_her_sectors_tickets_but_owns_only_her_centres() {
        let sevika = g(Role::Sevika, "BR/DBG/P07/S03/A0412");
        let relay = g(Role::BlockRelay, "BR/DBG/P07");
        let ticket = |scope: &str| d(&format!("{scope}:ticket/00112233445566778899aabbccddeeff"));
        let mate = ticket("BR/DBG/P07/S03/A0413");
        let supervisors = ticket("BR/DBG/P07/S03");
        let other_sector = ticket("BR/DBG/P07/S05/A0500");
        assert!(keeps(&sevika, &mate) && !owns(&sevika, &mate), "a sector-mate's ticket: kept, not owned");
        assert!(keeps(&sevika, &supervisors), "and the supervisor's tickets for the sector");
        assert!(!keeps(&sevika, &other_sector), "another sector's tickets she only carries");
        assert!(carries(&sevika, &g(Role::Sevika, "BR/DBG/P07/S05/A0500"), &other_sector));
        assert!(!keeps(&sevika, &d("BR/DBG/P07/S03/A0413:families")), "registers stay her centre's");
        let side = |grants: &Vec<Grant>| Side { grants: grants.clone(), keep_registers: false };
        assert!(shared(&side(&sevika), &side(&relay), &mate), "so the relay's answer reaches her");
        assert!(shared(&side(&sevika), &side(&g(Role::Sevika, "BR/DBG/P07/S03/A0413")), &mate));
    }
}
