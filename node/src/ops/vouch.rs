//! What a relay held before it learnt of a revocation stands (see `sampark_crdt::trust`,
//! "Revocations and receipts"): where a node gets the changes it vouches for, and how a relay
//! remembers its own.
//!
//! - Every relay's receipt a node keeps vouches for the changes it names ([`Node::vouch_receipt`]),
//!   at open for the stored ones too; the changes it holds among them vouch for their author at
//!   their time, and so does each vouched change as it is delivered ([`Node::vouch_delivered`]).
//! - A relay that learns of a new revocation of a key first vouches for every change of that key
//!   it holds: it verified them before it knew ([`Node::take_revocation`]). Those it keeps in
//!   memory and in the store's `vouched` meta record (document ID and change hash, 32 bytes each, as lines of hex),
//!   and it signs a receipt for them whenever it sends them, and for the documents holding them
//!   at every contact with a peer that shares them, so every receiver vouches too
//!   (`proto::Session`).

use std::collections::BTreeMap;

use automerge::ChangeHash;
use sampark_crdt::receipt::vouch_held;
use sampark_crdt::{DocId, PublicKey, Receipt, Revocation};

use super::{Node, OpError};

/// The meta record of the changes a relay vouched for itself.
const META_VOUCHED: &str = "vouched";

impl Node {
    /// Vouches for what the receipts kept in the store name, and for what this relay vouched for
    /// itself (called once, when the node opens).
    pub(super) fn vouch_from_store(&mut self) -> Result<(), OpError> {
        let receipts: Vec<Receipt> = self.receipts.values().flatten().cloned().collect();
        for r in &receipts {
            self.vouch_receipt(r);
        }
        self.own_vouched = self.stored_vouches()?;
        for (doc, hashes) in &self.own_vouched {
            for h in hashes {
                self.trust.vouch_change(*h);
            }
            if let Some(d) = self.docs.get(doc) {
                vouch_held(&mut self.trust, d, hashes.iter().copied());
            }
        }
        Ok(())
    }

    /// Vouches for the changes `receipt` names (it verified) and, among them, those held here.
    pub(super) fn vouch_receipt(&mut self, receipt: &Receipt) {
        receipt.vouch(&mut self.trust);
        if let Some(doc) = self.docs.get(&receipt.doc) {
            vouch_held(&mut self.trust, doc, receipt.heads.iter().copied());
        }
    }

    /// Vouches for the statements of the just-delivered changes `hashes` of `doc` that are
    /// vouched for.
    pub(super) fn vouch_delivered(&mut self, doc: &DocId, hashes: &[ChangeHash]) {
        if let Some(d) = self.docs.get(doc) {
            vouch_held(&mut self.trust, d, hashes.iter().copied());
        }
    }

    /// Takes a revocation into the trust store and the store. A relay first vouches for every
    /// change of the revoked key it holds, and keeps that, so a revocation dated back erases
    /// nothing it accepted. Returns `false` if the revocation was known.
    pub fn take_revocation(&mut self, rev: Revocation) -> Result<bool, OpError> {
        if self.trust.knows_revocation(&rev) {
            return Ok(false);
        }
        if self.is_relay() {
            self.vouch_all_of(&rev.subject)?;
        }
        let added = self.trust.add_revocation(rev.clone()).map_err(|e| OpError::Invalid(e.to_string()))?;
        if added {
            self.store.put_revocation(&rev)?;
        }
        Ok(added)
    }

    /// Vouches for every change by `key` held here, and keeps the list.
    fn vouch_all_of(&mut self, key: &PublicKey) -> Result<(), OpError> {
        let mut found = 0;
        for (id, doc) in &self.docs {
            for change in doc.changes() {
                if PublicKey::of_actor(change.actor_id()).as_ref() == Some(key) {
                    self.own_vouched.entry(id.clone()).or_default().push(change.hash());
                    self.trust.vouch_change(change.hash());
                    self.trust.vouch_statement(*key, sampark_crdt::Timestamp(change.timestamp()));
                    found += 1;
                }
            }
        }
        if found == 0 {
            return Ok(());
        }
        let mut text = String::new();
        for (doc, hashes) in &self.own_vouched {
            for h in hashes {
                text.push_str(&format!("{doc}\t{h}\n"));
            }
        }
        self.store.put_meta(META_VOUCHED, text.as_bytes())?;
        tracing::info!(key = %key.short(), changes = found, "a revoked key's changes held here stand (vouched for)");
        Ok(())
    }

    /// The documents this relay vouched for itself (they hold changes of a key revoked after
    /// they arrived): a relay sends its receipt for those it shares with a peer at every contact,
    /// so a phone that took them before the revocation, without a receipt, keeps them too.
    pub fn own_vouched_docs(&self) -> Vec<DocId> {
        self.own_vouched.keys().cloned().collect()
    }

    /// The changes this relay vouched for itself, by document, as the store keeps them.
    fn stored_vouches(&self) -> Result<BTreeMap<DocId, Vec<ChangeHash>>, OpError> {
        let mut out: BTreeMap<DocId, Vec<ChangeHash>> = BTreeMap::new();
        let Some(bytes) = self.store.meta(META_VOUCHED)? else { return Ok(out) };
        for line in String::from_utf8_lossy(&bytes).lines() {
            let Some((doc, hash)) = line.split_once('\t') else { continue };
            if let (Ok(doc), Ok(hash)) = (DocId::parse(doc), hash.parse::<ChangeHash>()) {
                out.entry(doc).or_default().push(hash);
            }
        }
        Ok(out)
    }
}
