//! What a contact session reads of its own node ([`Local`]), and an in-memory node
//! ([`MemoryNode`]) that implements it for tests and the simulator.
//!
//! The session never writes: received changes come out of it as [`super::Out::Deliver`] and the
//! driver applies and stores them (the daemon durably, in sled; the simulator in memory) before
//! it hands the session its next input.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use sampark_crdt::verify::Verified;
use sampark_crdt::{
    Applied, ApplyError, Certificate, DocId, Document, PublicKey, Receipt, SignedChange, Timestamp, TrustStore,
};

/// A node's data, as a session reads it.
pub trait Local {
    /// This node's key.
    fn key(&self) -> PublicKey;
    /// This node's certificates, root first.
    fn chain(&self) -> Vec<Certificate>;
    /// What this node knows of certificates and revocations.
    fn trust(&self) -> &TrustStore;
    /// Every document held, with its heads.
    fn documents(&self) -> Vec<(DocId, Vec<ChangeHash>)>;
    /// The heads of `doc`, if held.
    fn heads(&self, doc: &DocId) -> Option<Vec<ChangeHash>>;
    /// True when the change `hash` of `doc` is held.
    fn has_change(&self, doc: &DocId, hash: &ChangeHash) -> bool;
    /// The hashes of the latest `n` changes of `doc` (by causal order), newest last.
    fn recent(&self, doc: &DocId, n: usize) -> Vec<ChangeHash>;
    /// The signed changes of `doc` that a holder of `their_heads` lacks, dependencies first.
    /// Heads this node does not know are ignored (the peer will send those changes instead).
    fn missing(&self, doc: &DocId, their_heads: &[ChangeHash]) -> Vec<SignedChange>;
    /// The time to judge certificates at, given the wall clock: a node whose clock was reset
    /// behind its own certificate's start answers with its hybrid logical clock instead.
    fn clock(&self, wall: Timestamp) -> Timestamp {
        wall
    }
    /// When ticket `doc` was closed (its last event's time), if it is held and closed; for
    /// [`super::policy::retires`].
    fn closed_at(&self, doc: &DocId) -> Option<Timestamp> {
        let _ = doc;
        None
    }
    /// The documents this node, a relay, vouches for itself: they hold changes of a key revoked
    /// after they arrived (see `sampark_crdt::trust`).
    fn own_vouched_docs(&self) -> Vec<DocId> {
        Vec::new()
    }
    /// The relays' receipts this node holds for `doc`, newest of each relay.
    fn receipts(&self, doc: &DocId) -> Vec<Receipt> {
        let _ = doc;
        Vec::new()
    }
    /// True when the driver has verified these exact bytes (document, change and signature)
    /// before, so the session may skip the ed25519 check and run every other check
    /// ([`sampark_crdt::verify::verify_checked_before`]). The phone and the relay always answer
    /// `false`; the simulator answers for changes any simulated node verified.
    fn checked_before(&self, signed: &SignedChange) -> bool {
        let _ = signed;
        false
    }
    /// The same for a relay's receipt ([`sampark_crdt::Receipt::verify_checked_before`]).
    fn receipt_checked_before(&self, receipt: &Receipt) -> bool {
        let _ = receipt;
        false
    }
}

/// True when a relay's receipt shows it holds everything this node holds of `doc`: each of
/// this node's heads is among the receipt's, or this node knows the receipt's heads and has
/// nothing beyond them.
pub fn upstream_has(local: &dyn Local, doc: &DocId) -> bool {
    let Some(mine) = local.heads(doc) else { return false };
    local.receipts(doc).iter().any(|r| {
        mine.iter().all(|h| r.heads.contains(h))
            || (r.heads.iter().all(|h| local.has_change(doc, h)) && local.missing(doc, &r.heads).is_empty())
    })
}

/// The document-reading part of [`Local`] for a node that keeps its documents in a map (the
/// in-memory node and the phone's node both do).
pub mod held {
    use std::collections::BTreeMap;

    use automerge::ChangeHash;
    use sampark_crdt::{DocId, Document};

    /// Every document with changes, with its heads.
    pub fn documents(docs: &BTreeMap<DocId, Document>) -> Vec<(DocId, Vec<ChangeHash>)> {
        docs.iter().map(|(id, d)| (id.clone(), d.heads())).filter(|(_, h)| !h.is_empty()).collect()
    }

    /// The heads of `doc`, if it has changes.
    pub fn heads(docs: &BTreeMap<DocId, Document>, doc: &DocId) -> Option<Vec<ChangeHash>> {
        docs.get(doc).map(Document::heads).filter(|h| !h.is_empty())
    }

    /// True when change `hash` of `doc` is applied.
    pub fn has_change(docs: &BTreeMap<DocId, Document>, doc: &DocId, hash: &ChangeHash) -> bool {
        docs.get(doc).is_some_and(|d| d.has_change(hash))
    }

    /// The hashes of the latest `n` changes of `doc`, newest last.
    pub fn recent(docs: &BTreeMap<DocId, Document>, doc: &DocId, n: usize) -> Vec<ChangeHash> {
        let Some(d) = docs.get(doc) else { return Vec::new() };
        let all: Vec<ChangeHash> = d.automerge().get_changes(&[]).iter().map(|c| c.hash()).collect();
        all.get(all.len().saturating_sub(n)..).unwrap_or_default().to_vec()
    }
}

/// A node held in memory: documents, the signed changes that made them, and a trust store.
#[derive(Debug, Clone)]
pub struct MemoryNode {
    key: PublicKey,
    chain: Vec<Certificate>,
    trust: TrustStore,
    docs: BTreeMap<DocId, Document>,
    signed: BTreeMap<ChangeHash, SignedChange>,
    receipts: BTreeMap<DocId, Vec<Receipt>>,
    /// Carried registers folded after a receipt: the document stays, the signed changes it then
    /// held go (later changes are kept signed until the next receipt).
    folded: BTreeSet<DocId>,
}

impl MemoryNode {
    /// A node with key `key`, certificates `chain` (root first) and trust store `trust`.
    pub fn new(key: PublicKey, chain: Vec<Certificate>, trust: TrustStore) -> MemoryNode {
        MemoryNode {
            key,
            chain,
            trust,
            docs: BTreeMap::new(),
            signed: BTreeMap::new(),
            receipts: BTreeMap::new(),
            folded: BTreeSet::new(),
        }
    }

    /// Mutable access to the trust store (to add what a peer taught).
    pub fn trust_mut(&mut self) -> &mut TrustStore {
        &mut self.trust
    }

    /// The replica of `doc`, if held.
    pub fn document(&self, doc: &DocId) -> Option<&Document> {
        self.docs.get(doc)
    }

    /// The replica of `doc`, made empty if not held, for local edits.
    pub fn document_mut(&mut self, doc: &DocId) -> &mut Document {
        self.docs.entry(doc.clone()).or_insert_with(|| Document::new(doc.clone()))
    }

    /// Keeps a signed change this node made itself (already applied to its document).
    pub fn record_own(&mut self, change: SignedChange) {
        if let Ok(c) = automerge::Change::from_bytes(change.change.clone()) {
            self.signed.insert(c.hash(), change);
        }
    }

    /// Applies and keeps a change a session delivered (already verified).
    pub fn deliver(&mut self, signed: SignedChange, verified: Verified) -> Result<(), ApplyError> {
        let hash = verified.change.hash();
        if self.document_mut(&signed.doc).apply_verified(verified)? != Applied::Duplicate {
            if let Some(doc) = self.docs.get(&signed.doc) {
                sampark_crdt::receipt::vouch_held(&mut self.trust, doc, [hash]);
            }
            self.signed.insert(hash, signed);
        }
        Ok(())
    }

    /// Keeps verified receipts (the newest per relay and document), and settles what it only
    /// carried for others once a receipt shows it arrived upstream, as the phone does: drops
    /// tickets, folds registers (keeps the document, drops its signed changes).
    pub fn learn_receipts(&mut self, receipts: Vec<Receipt>) {
        for r in receipts {
            r.vouch(&mut self.trust);
            if let Some(doc) = self.docs.get(&r.doc) {
                sampark_crdt::receipt::vouch_held(&mut self.trust, doc, r.heads.iter().copied());
            }
            let known = self.receipts.entry(r.doc.clone()).or_default();
            known.retain(|k| k.relay != r.relay || k.at > r.at);
            if !known.iter().any(|k| k.relay == r.relay) {
                known.push(r);
            }
        }
        let grants = self.trust.scope_grants(&self.key);
        let carried: Vec<DocId> = self
            .docs
            .iter()
            .filter(|(id, _)| !super::policy::keeps(&grants, id) && upstream_has(self, id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in carried {
            if let Some(doc) = self.docs.get(&id) {
                for c in doc.changes() {
                    self.signed.remove(&c.hash());
                }
            }
            if super::policy::folds_when_delivered(&id) {
                self.folded.insert(id);
            } else {
                self.docs.remove(&id);
            }
        }
    }

    /// True when `doc` is a carried register this node folded (some of its changes are held
    /// unsigned).
    pub fn is_folded(&self, doc: &DocId) -> bool {
        self.folded.contains(doc)
    }

    /// How many signed changes are held.
    pub fn change_count(&self) -> usize {
        self.signed.len()
    }
}

impl Local for MemoryNode {
    fn key(&self) -> PublicKey {
        self.key
    }

    fn chain(&self) -> Vec<Certificate> {
        self.chain.clone()
    }

    fn trust(&self) -> &TrustStore {
        &self.trust
    }

    fn documents(&self) -> Vec<(DocId, Vec<ChangeHash>)> {
        held::documents(&self.docs)
    }

    fn heads(&self, doc: &DocId) -> Option<Vec<ChangeHash>> {
        held::heads(&self.docs, doc)
    }

    fn has_change(&self, doc: &DocId, hash: &ChangeHash) -> bool {
        held::has_change(&self.docs, doc, hash)
    }

    fn recent(&self, doc: &DocId, n: usize) -> Vec<ChangeHash> {
        held::recent(&self.docs, doc, n)
    }

    fn receipts(&self, doc: &DocId) -> Vec<Receipt> {
        self.receipts.get(doc).cloned().unwrap_or_default()
    }

    fn missing(&self, doc: &DocId, their_heads: &[ChangeHash]) -> Vec<SignedChange> {
        let Some(d) = self.docs.get(doc) else { return Vec::new() };
        let known: Vec<ChangeHash> = their_heads.iter().filter(|h| d.has_change(h)).copied().collect();
        if known.is_empty() && self.folded.contains(doc) {
            // A peer with none of a folded register could apply none of the rest.
            return Vec::new();
        }
        d.automerge().get_changes(&known).iter().filter_map(|c| self.signed.get(&c.hash()).cloned()).collect()
    }
}
