//! The node's status: who it is, what it holds, what waits to go upward, what it carries for
//! others, and when it last met each peer.
//!
//! "Waiting to go upward" counts the changes this node made itself in the documents it keeps
//! that no relay's receipt shows upstream yet. "Carrying" counts the documents held that the node
//! does not keep (other centres' data on its way to the relay); once a receipt shows they
//! arrived they are no longer counted (tickets are dropped, registers folded; see [`super::sync`]).

use serde::{Deserialize, Serialize};

use super::sync::PeerContact;
use super::{Node, OpError};
use crate::proto::local::upstream_has;
use crate::proto::policy;

/// Documents and the signed changes in them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Documents.
    pub documents: usize,
    /// Changes in them.
    pub changes: usize,
}

/// What `status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// The node's key.
    pub key: String,
    /// Its role, e.g. `sevika`.
    pub role: String,
    /// Its scope, e.g. `BR/DBG/P07/S03/A0412`.
    pub scope: String,
    /// End of its certificate's validity (ms since the epoch).
    pub valid_until: i64,
    /// True when its certificate counts now.
    pub certified: bool,
    /// Documents held in all.
    pub documents: usize,
    /// Heads over all documents.
    pub heads: usize,
    /// Signed changes held in all.
    pub changes: usize,
    /// The documents it keeps for good: its own scope's and, on a sevika's phone, the tickets of
    /// her sector's other centres.
    pub kept: Count,
    /// Tickets held: its own scope's and those it carries (not its sector's other centres',
    /// which `ticket list` shows).
    pub tickets: usize,
    /// Of which open.
    pub tickets_open: usize,
    /// Changes this node made that are not yet known to be at a relay.
    pub waiting_upward: usize,
    /// Documents of others it carries toward the relay.
    pub carrying: Count,
    /// The node's clock (ms since the epoch).
    pub clock: i64,
    /// The last contact with each peer, most recent first.
    pub peers: Vec<PeerContact>,
}

impl Node {
    /// The node's status.
    pub fn status(&self) -> Result<StatusView, OpError> {
        let me = self.public();
        let grants = self.scope_grants();
        let leaf = self.leaf();
        let (mut kept, mut carrying) = (Count::default(), Count::default());
        let (mut heads, mut waiting) = (0, 0);
        for doc in self.docs.values() {
            let keeps = policy::keeps(&grants, doc.id());
            if !keeps && upstream_has(self, doc.id()) {
                // Arrived upstream (a register kept folded, to take only what is new next time).
                continue;
            }
            let changes = doc.automerge().get_changes(&[]);
            heads += doc.heads().len();
            let count = if keeps { &mut kept } else { &mut carrying };
            count.documents += 1;
            count.changes += changes.len();
            if policy::owns(&grants, doc.id()) {
                waiting += self.unreceipted(doc);
            }
        }
        let tickets: Vec<_> = self.tickets().into_iter().filter(|t| !t.sector).collect();
        Ok(StatusView {
            key: me.to_hex(),
            role: leaf.map(|c| c.role.to_string()).unwrap_or_default(),
            scope: leaf.map(|c| c.scope.to_string()).unwrap_or_default(),
            valid_until: leaf.map(|c| c.not_after.0).unwrap_or_default(),
            certified: !self.grants().is_empty(),
            documents: self.docs.len(),
            heads,
            changes: kept.changes + carrying.changes,
            kept,
            tickets: tickets.len(),
            tickets_open: tickets.iter().filter(|t| t.status == "open").count(),
            waiting_upward: waiting,
            carrying,
            clock: self.hlc.wall,
            peers: self.contacts()?,
        })
    }
}
