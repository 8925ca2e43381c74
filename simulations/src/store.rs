//! What each simulated node holds, and the [`Local`] view a protocol session reads it through.
//!
//! A node holds, per document, the verified signed changes it has accepted (as the phone's
//! store does), the change graph's heads, and the receipts it has learnt. Every signed change
//! exists once in memory, in the run's [`Changes`] table, and nodes refer to it by number: a
//! node only refers to a change after its own session decoded and verified the bytes the peer
//! sent (or after making it). So a change is verified by every node that accepts it, as in
//! service, with one saving: the ed25519 signature of a given signed change (or receipt) is
//! checked once in the run, by the first node that receives it. Later receivers run every other
//! check against their own trust store (author binding, certificates and revocations at the
//! change's time, permission, layout; see `sampark_crdt::verify::verify_checked_before`), so
//! each node accepts or refuses exactly what it would have, at a fraction of the CPU.
//!
//! Automerge documents are materialised only where the simulation reads or writes them: a
//! centre's registers on its sevika's phone (to record entries) and tickets at the relays (to
//! derive their state and append receipts, escalations and resolutions). Elsewhere the change
//! graph answers everything a session asks ([`Local`]), the same way: heads, whether a change is
//! held, the latest changes, and what a holder of given heads lacks, dependencies first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use automerge::ChangeHash;
use sampark_crdt::verify::Verified;
use sampark_crdt::{Certificate, DocId, Document, Hlc, PublicKey, Receipt, SignedChange, Timestamp, TrustStore};
use sampark_node::proto::{Local, local::upstream_has, policy};

/// One signed change of the run.
#[derive(Debug)]
pub struct ChangeRec {
    /// Its hash.
    pub hash: ChangeHash,
    /// The changes it depends on (numbers in the table).
    pub deps: Vec<u32>,
    /// The signed change.
    pub signed: SignedChange,
    /// Its document's number.
    pub doc: u32,
    /// Its encoded size in bytes.
    pub size: u32,
}

/// Every signed change and document of the run, by number.
#[derive(Debug, Default)]
pub struct Changes {
    recs: Vec<ChangeRec>,
    by_hash: HashMap<ChangeHash, u32>,
    docs: Vec<DocId>,
    doc_index: HashMap<DocId, u32>,
    /// SHA-256 digests of the encodings of the receipts some node verified.
    receipts_checked: HashSet<[u8; 32]>,
}

/// The SHA-256 digest of a receipt's encoding.
fn receipt_digest(r: &Receipt) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(r.encode()).into()
}

impl Changes {
    /// The number of document `doc`, adding it if new.
    pub fn doc(&mut self, doc: &DocId) -> u32 {
        if let Some(i) = self.doc_index.get(doc) {
            return *i;
        }
        let i = self.docs.len() as u32;
        self.docs.push(doc.clone());
        self.doc_index.insert(doc.clone(), i);
        i
    }

    /// The number of document `doc`, if known.
    pub fn doc_of(&self, doc: &DocId) -> Option<u32> {
        self.doc_index.get(doc).copied()
    }

    /// The document numbered `i`.
    pub fn doc_id(&self, i: u32) -> Option<&DocId> {
        self.docs.get(i as usize)
    }

    /// The number of the change with `hash`, if known.
    pub fn find(&self, hash: &ChangeHash) -> Option<u32> {
        self.by_hash.get(hash).copied()
    }

    /// The change numbered `i`.
    pub fn get(&self, i: u32) -> Option<&ChangeRec> {
        self.recs.get(i as usize)
    }

    /// How many changes the run made.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// True before any change was made.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Notes that a node verified these exact receipts (see [`View`]'s `receipt_checked_before`).
    pub fn receipts_verified(&mut self, receipts: &[Receipt]) {
        self.receipts_checked.extend(receipts.iter().map(receipt_digest));
    }

    /// Adds a change (made by a node, or first received), returning its number.
    pub fn intern(&mut self, signed: &SignedChange, change: &automerge::Change) -> u32 {
        let hash = change.hash();
        if let Some(i) = self.by_hash.get(&hash) {
            return *i;
        }
        let doc = self.doc(&signed.doc);
        let deps = change.deps().iter().filter_map(|d| self.by_hash.get(d).copied()).collect();
        let i = self.recs.len() as u32;
        let size = signed.encode().len() as u32;
        self.recs.push(ChangeRec { hash, deps, signed: signed.clone(), doc, size });
        self.by_hash.insert(hash, i);
        i
    }
}

/// One document as a node holds it.
#[derive(Debug, Default, Clone)]
pub struct Held {
    /// Changes in the order they were applied (so dependencies first).
    pub order: Vec<u32>,
    /// The heads.
    pub heads: Vec<u32>,
    /// Verified changes waiting for a dependency.
    pub queued: Vec<u32>,
    /// How many of the first changes in `order` are held folded, without their signatures (a
    /// carried register after a receipt, as on the phone).
    pub folded: usize,
}

impl Held {
    fn has(&self, c: u32) -> bool {
        self.order.contains(&c)
    }

    /// The changes held signed.
    fn signed(&self) -> impl Iterator<Item = &u32> {
        self.order.get(self.folded..).unwrap_or_default().iter().chain(&self.queued)
    }
}

/// A node's state.
#[derive(Debug)]
pub struct NodeState {
    /// Its key.
    pub key: PublicKey,
    /// Its certificates, root first.
    pub chain: Vec<Certificate>,
    /// What it knows of certificates and revocations.
    pub trust: TrustStore,
    /// Documents held, by number.
    pub docs: BTreeMap<u32, Held>,
    /// Receipts held, by document number.
    pub receipts: BTreeMap<u32, Vec<Receipt>>,
    /// Automerge documents this node reads or writes, by number.
    pub live: BTreeMap<u32, Document>,
    /// Its hybrid logical clock.
    pub hlc: Hlc,
    /// Bumped whenever what it holds changes (so a lasting contact knows to sync again).
    pub version: u64,
    /// Bytes of signed changes and receipts held.
    pub bytes: u64,
    /// Bytes the changes held folded took when signed (what a folded snapshot stands for).
    pub folded_bytes: u64,
    /// The most bytes ever held.
    pub peak_bytes: u64,
}

impl NodeState {
    /// A node with key `key`, chain `chain` and trust store `trust`, holding nothing.
    pub fn new(key: PublicKey, chain: Vec<Certificate>, trust: TrustStore) -> NodeState {
        NodeState {
            key,
            chain,
            trust,
            docs: BTreeMap::new(),
            receipts: BTreeMap::new(),
            live: BTreeMap::new(),
            hlc: Hlc::default(),
            version: 0,
            bytes: 0,
            folded_bytes: 0,
            peak_bytes: 0,
        }
    }

    /// Ticks the clock to `now` and returns the reading.
    pub fn tick(&mut self, now: i64) -> Hlc {
        self.hlc = self.hlc.tick(Timestamp(now));
        self.hlc
    }

    /// Holds change `c` (already verified, or made here). Returns the changes that became
    /// applied (with `c`, any queued ones it released), in order; empty when `c` waits for a
    /// dependency or was held already.
    pub fn hold(&mut self, changes: &Changes, c: u32) -> Vec<u32> {
        let Some(rec) = changes.get(c) else { return Vec::new() };
        let held = self.docs.entry(rec.doc).or_default();
        if held.has(c) || held.queued.contains(&c) {
            return Vec::new();
        }
        self.bytes += u64::from(rec.size);
        self.peak_bytes = self.peak_bytes.max(self.bytes);
        self.version += 1;
        held.queued.push(c);
        let mut applied = Vec::new();
        loop {
            let ready = held
                .queued
                .iter()
                .position(|q| changes.get(*q).is_some_and(|r| r.deps.iter().all(|d| held.order.contains(d))));
            let Some(pos) = ready else { break };
            let q = held.queued.remove(pos);
            if let Some(r) = changes.get(q) {
                held.heads.retain(|h| !r.deps.contains(h));
            }
            held.heads.push(q);
            held.order.push(q);
            applied.push(q);
        }
        applied
    }

    /// Applies a verified change to the materialised document, if this node keeps one for it.
    pub fn apply_live(&mut self, doc: u32, verified: Verified) {
        if let Some(d) = self.live.get_mut(&doc) {
            let _ = d.apply_verified(verified);
        }
    }

    /// Keeps verified receipts (the newest per relay and document), and settles what it only
    /// carried once a receipt shows it arrived upstream, as the phone does: tickets are dropped,
    /// registers folded (the change graph stays, the signatures go), so a register offered again
    /// later brings only its new changes. The receipts stay, as on the phone: they travel on to
    /// the phone that made the changes, and a later offer of what they cover is not taken again.
    pub fn learn_receipts(&mut self, changes: &mut Changes, receipts: Vec<Receipt>) {
        for r in receipts {
            let doc = changes.doc(&r.doc);
            let known = self.receipts.entry(doc).or_default();
            known.retain(|k| k.relay != r.relay || k.at > r.at);
            if !known.iter().any(|k| k.relay == r.relay) {
                self.bytes += r.encode().len() as u64;
                self.peak_bytes = self.peak_bytes.max(self.bytes);
                known.push(r);
                self.version += 1;
            }
        }
        let grants = self.trust.scope_grants(&self.key);
        let view = View { node: self, changes };
        let carried: Vec<u32> = self
            .docs
            .keys()
            .filter_map(|d| changes.doc_id(*d).map(|id| (*d, id)))
            .filter(|(_, id)| !policy::keeps(&grants, id) && upstream_has(&view, id))
            .map(|(d, _)| d)
            .collect();
        let size = |ids: &[u32]| -> u64 { ids.iter().filter_map(|c| changes.get(*c)).map(|r| u64::from(r.size)).sum() };
        for d in carried {
            let folds = changes.doc_id(d).is_some_and(policy::folds_when_delivered);
            if !folds {
                if let Some(held) = self.docs.remove(&d) {
                    self.bytes = self.bytes.saturating_sub(size(&held.order) + size(&held.queued));
                    self.version += 1;
                }
                self.live.remove(&d);
            } else if let Some(held) = self.docs.get_mut(&d)
                && held.folded < held.order.len()
            {
                let newly = size(held.order.get(held.folded..).unwrap_or_default());
                self.bytes = self.bytes.saturating_sub(newly);
                self.folded_bytes += newly;
                held.folded = held.order.len();
                self.version += 1;
            }
        }
    }

    /// Adds certificates and revocations a session verified.
    pub fn learn_trust(&mut self, certificates: Vec<Certificate>, revocations: Vec<sampark_crdt::Revocation>) {
        for c in certificates {
            if self.trust.add_certificate(c).unwrap_or(false) {
                self.version += 1;
            }
        }
        for r in revocations {
            if self.trust.add_revocation(r).unwrap_or(false) {
                self.version += 1;
            }
        }
    }

    /// Numbers of the signed changes held (applied or waiting).
    pub fn held_changes(&self) -> impl Iterator<Item = u32> + '_ {
        self.docs.values().flat_map(Held::signed).copied()
    }
}

/// A node as a session reads it.
pub struct View<'a> {
    /// The node.
    pub node: &'a NodeState,
    /// The run's changes.
    pub changes: &'a Changes,
}

impl View<'_> {
    fn held(&self, doc: &DocId) -> Option<&Held> {
        self.node.docs.get(&self.changes.doc_of(doc)?)
    }

    fn hashes(&self, ids: &[u32]) -> Vec<ChangeHash> {
        ids.iter().filter_map(|c| self.changes.get(*c)).map(|r| r.hash).collect()
    }
}

impl Local for View<'_> {
    fn key(&self) -> PublicKey {
        self.node.key
    }

    fn chain(&self) -> Vec<Certificate> {
        self.node.chain.clone()
    }

    fn trust(&self) -> &TrustStore {
        &self.node.trust
    }

    fn documents(&self) -> Vec<(DocId, Vec<ChangeHash>)> {
        self.node
            .docs
            .iter()
            .filter(|(_, h)| !h.heads.is_empty())
            .filter_map(|(d, h)| Some((self.changes.doc_id(*d)?.clone(), self.hashes(&h.heads))))
            .collect()
    }

    fn heads(&self, doc: &DocId) -> Option<Vec<ChangeHash>> {
        self.held(doc).filter(|h| !h.heads.is_empty()).map(|h| self.hashes(&h.heads))
    }

    fn has_change(&self, doc: &DocId, hash: &ChangeHash) -> bool {
        let Some(c) = self.changes.find(hash) else { return false };
        self.held(doc).is_some_and(|h| h.has(c))
    }

    fn recent(&self, doc: &DocId, n: usize) -> Vec<ChangeHash> {
        let Some(h) = self.held(doc) else { return Vec::new() };
        self.hashes(h.order.get(h.order.len().saturating_sub(n)..).unwrap_or_default())
    }

    fn missing(&self, doc: &DocId, their_heads: &[ChangeHash]) -> Vec<SignedChange> {
        let Some(h) = self.held(doc) else { return Vec::new() };
        let mut have: BTreeSet<u32> = BTreeSet::new();
        let mut stack: Vec<u32> =
            their_heads.iter().filter_map(|x| self.changes.find(x)).filter(|c| h.has(*c)).collect();
        if stack.is_empty() && h.folded > 0 {
            // A peer with none of a folded register could apply none of the rest (as the phone).
            return Vec::new();
        }
        while let Some(c) = stack.pop() {
            if have.insert(c)
                && let Some(r) = self.changes.get(c)
            {
                stack.extend(r.deps.iter().copied());
            }
        }
        let signed = h.order.get(h.folded..).unwrap_or_default();
        signed
            .iter()
            .filter(|c| !have.contains(c))
            .filter_map(|c| self.changes.get(*c))
            .map(|r| r.signed.clone())
            .collect()
    }

    fn receipts(&self, doc: &DocId) -> Vec<Receipt> {
        self.changes.doc_of(doc).and_then(|d| self.node.receipts.get(&d)).cloned().unwrap_or_default()
    }

    /// A change is in the run's table only once some node verified (or made) exactly these
    /// bytes; its signature is then not checked again (every other check still runs).
    fn checked_before(&self, signed: &SignedChange) -> bool {
        let Ok(header) = sampark_crdt::verify::header(&signed.change) else { return false };
        self.changes.find(&header.hash).and_then(|c| self.changes.get(c)).is_some_and(|r| r.signed == *signed)
    }

    /// Likewise for a receipt some node verified (its signature is a pure function of its bytes).
    fn receipt_checked_before(&self, receipt: &Receipt) -> bool {
        self.changes.receipts_checked.contains(&receipt_digest(receipt))
    }
}
