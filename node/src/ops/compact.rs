//! Compaction: folding what a node no longer needs to keep signed into snapshots, then
//! rewriting the store so the disk space comes back (`sampark-node compact`).
//!
//! What may be folded is a matter of who still needs the signatures:
//!
//! - **A relay keeps every signed change.** It serves restores to replaced phones and forwards
//!   upward, and every receiver verifies each change. Its compaction only rewrites the store.
//! - **A phone folds a change of its own centre's documents once a relay's receipt covers it**
//!   (the change is an ancestor of heads the relay signed for). The relay holds it signed and
//!   serves it to anyone who needs it, a replaced phone included; the phone keeps the document
//!   itself, as a snapshot, and works on as before. A peer that asks this phone for a folded
//!   change gets the rest and finds the folded one at the relay.
//! - **What a phone carries for others is not folded here:** it is kept signed until a receipt
//!   shows it arrived, and then a ticket is dropped whole and a register folded at once (see
//!   [`super::sync`]). The tickets of the other centres of a sevika's sector, which she keeps,
//!   stay signed: she passes their answers on to the phone that raised them, until they have
//!   been closed for [`policy::SECTOR_TICKET_RETENTION_MS`]; then compaction lets them go
//!   ([`policy::retires`]), and no contact brings them back.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use sampark_crdt::Document;
use serde::{Deserialize, Serialize};

use super::{Node, OpError};
use crate::proto::policy;

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compacted {
    /// Documents whose receipted changes were folded into their snapshot.
    pub documents: usize,
    /// Signed change records removed.
    pub changes_folded: usize,
    /// Signed change records kept (not yet receipted, carried, or kept by a relay).
    pub changes_kept: usize,
    /// Records found damaged on the way (and removed: fetched again at the next contact).
    pub damaged: usize,
    /// Tickets of other centres of the sector let go, closed for longer than the retention.
    #[serde(default)]
    pub tickets_retired: usize,
    /// Bytes the store took on disk before.
    pub bytes_before: u64,
    /// Bytes it takes now.
    pub bytes_after: u64,
}

/// The changes of `doc` that a relay's receipt shows upstream: ancestors of the receipted heads
/// this node knows.
fn receipted(node: &Node, doc: &Document) -> BTreeSet<ChangeHash> {
    let mut covered = BTreeSet::new();
    if node.receipts_of(doc.id()).is_empty() {
        return covered;
    }
    let all: Vec<ChangeHash> = doc.automerge().get_changes(&[]).iter().map(|c| c.hash()).collect();
    for receipt in node.receipts_of(doc.id()) {
        let known: Vec<ChangeHash> = receipt.heads.iter().filter(|h| doc.has_change(h)).copied().collect();
        if known.is_empty() {
            continue;
        }
        let after: BTreeSet<ChangeHash> = doc.automerge().get_changes(&known).iter().map(|c| c.hash()).collect();
        covered.extend(all.iter().filter(|h| !after.contains(h)));
    }
    covered
}

impl Node {
    /// Folds what this node no longer needs to keep signed (see the module docs), then
    /// rewrites the store. Holds the node for the time it takes, which grows with the store.
    pub fn compact(&mut self) -> Result<Compacted, OpError> {
        let bytes_before = self.store.disk_usage()?;
        let grants = self.scope_grants();
        let phone = !policy::is_relay(&grants);
        let (mut documents, mut changes_folded, mut damaged) = (0, 0, 0);
        let now = self.now();
        let retired: Vec<_> =
            self.docs.keys().filter(|id| policy::retires(&grants, id, || self.closed_at(id), now)).cloned().collect();
        for id in &retired {
            self.store.remove_document(id)?;
            self.docs.remove(id);
            tracing::info!(doc = %id, "a sector ticket closed long ago let go");
        }
        if phone {
            let own: Vec<_> = self.docs.iter().filter(|(id, _)| policy::owns(&grants, id)).collect();
            let plans: Vec<_> = own.into_iter().map(|(id, doc)| (id.clone(), receipted(self, doc))).collect();
            for (id, covered) in plans {
                if covered.is_empty() {
                    continue;
                }
                let report = self.store.compact(&id, |h| !covered.contains(h))?;
                documents += usize::from(report.removed > 0);
                changes_folded += report.removed;
                damaged += report.damaged.len();
            }
        }
        let rewritten = self.store.rewrite()?;
        damaged += rewritten.damaged.len();
        let changes_kept = self.store.change_count()?;
        Ok(Compacted {
            documents,
            changes_folded,
            changes_kept,
            damaged,
            tickets_retired: retired.len(),
            bytes_before,
            bytes_after: rewritten.after,
        })
    }
}
