//! The node as the transport sees it, and what a contact moved.
//!
//! [`Node`] implements [`Local`] (what a contact session reads) and
//! [`contact::Node`] (what it writes), so the libp2p transport
//! syncs it directly, shared as `Arc<Mutex<ops::Node>>`:
//!
//! - `deliver` applies each verified change to a copy of its cached document
//!   ([`Document::apply_verified`]), stores the new signed changes with the new heads in one
//!   [`Store::insert_changes`](crate::store::Store::insert_changes) per document, and only then
//!   replaces the cached document; it returns once everything is durable. It also moves the
//!   node's clock past the clocks of what arrived, so the node's next event is stamped after them.
//! - `learn` adds certificates and revocations to the trust store and stores the new ones.
//! - [`Local::missing`] reads the signed changes Automerge lists as missing from the store.
//!
//! - `learn_receipts` keeps each relay's newest receipt per document (in memory and in the
//!   store, under `<doc id>\0<relay key>`), then settles what this node only carried for others
//!   that a receipt shows arrived upstream. Receipts are kept, so they travel on to the phone
//!   that made the changes and a stale copy offered later is not taken again.
//!   - A carried **ticket** is dropped whole: it changes little after it arrives.
//!   - A carried **register** is *folded*: its signed changes are deleted and the document stays
//!     as an unsigned snapshot ([`Store::compact`](crate::store::Store::compact)). Registers
//!     grow every working day; when the centre's phone next offers one, this node asks only for
//!     what is new since its heads, instead of taking the whole month's register again. It
//!     sends on only what it holds signed, and nothing to a peer that has none of the document
//!     (that peer could not apply the new changes without the folded ones). Folded registers
//!     count against the carrying quota and are the first to go when it is full.
//!
//! After each contact the driver calls [`Node::record_contact`], which keeps the peer's last
//! contact in the store's peer state (JSON, see [`PeerContact`]) for `status`.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use sampark_crdt::verify::Verified;
use sampark_crdt::{
    Applied, Certificate, DocId, Document, Hlc, PublicKey, Receipt, Revocation, SignedChange, Timestamp, TrustStore,
};
use serde::{Deserialize, Serialize};

use super::{Node, OpError};
use crate::home;
use crate::net::contact;
use crate::proto::local::{held, upstream_has};
use crate::proto::{Local, Summary, policy};
use crate::store::Store;

/// What one contact moved, for people and for `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The peer's key (full when known, else its first 8 hex digits).
    pub peer: String,
    /// The address dialled, if this side dialled.
    pub address: String,
    /// `complete`, `budget-exhausted`, `refused`, `refused-by-peer`, `timed-out`, `interrupted`.
    pub outcome: String,
    /// Why, for refusals and interruptions.
    pub reason: Option<String>,
    /// Signed changes sent.
    pub changes_sent: u64,
    /// Signed changes received and stored.
    pub changes_received: u64,
    /// Signed changes received and refused.
    pub changes_refused: u64,
    /// Documents changes were sent for.
    pub docs_sent: u64,
    /// Documents found different.
    pub docs_differing: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Round trips.
    pub rounds: u64,
    /// Why changes were refused (the first few reasons).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
    /// How long the contact took, in milliseconds.
    pub millis: u64,
}

impl SyncReport {
    /// The report of a contact that ended with `summary`.
    pub fn new(summary: &Summary, peer: String, address: String, millis: u64) -> SyncReport {
        let outcome = serde_json::to_value(&summary.outcome).unwrap_or_default();
        SyncReport {
            peer,
            address,
            outcome: outcome.get("outcome").and_then(|v| v.as_str()).unwrap_or("unknown").to_string(),
            reason: outcome.get("reason").and_then(|v| v.as_str()).map(str::to_owned),
            changes_sent: summary.changes_sent,
            changes_received: summary.changes_received,
            changes_refused: summary.changes_refused,
            docs_sent: summary.docs_sent,
            docs_differing: summary.docs_differing,
            bytes_sent: summary.bytes_sent,
            bytes_received: summary.bytes_received,
            rounds: summary.rounds,
            refusals: summary.refusals.clone(),
            millis,
        }
    }

    /// True when the contact ended as it should (everything moved, or the budget ran out).
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome.as_str(), "complete" | "budget-exhausted")
    }
}

/// The last contact with one peer, as kept in the store's peer state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerContact {
    /// The peer's key.
    pub peer: String,
    /// When the contact ended (ms since the epoch, this node's wall clock).
    pub at: i64,
    /// How it ended.
    pub outcome: String,
    /// Why, for refusals and interruptions.
    pub reason: Option<String>,
    /// Signed changes sent.
    pub changes_sent: u64,
    /// Signed changes received.
    pub changes_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Signed changes received and refused.
    #[serde(default)]
    pub changes_refused: u64,
    /// Why (the first few reasons).
    #[serde(default)]
    pub refusals: Vec<String>,
}

impl PeerContact {
    /// True when the contact went through (everything moved, or the byte budget ran out).
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome.as_str(), "complete" | "budget-exhausted")
    }

    /// True when this node refused the peer, or some of what it brought.
    pub fn refused_something(&self) -> bool {
        self.outcome == "refused" || self.changes_refused > 0
    }
}

/// The peer-state record: the last contact, the last one that went through, and the last one in
/// which this node refused the peer or some of its changes (kept until another refusal, so that
/// the helpdesk sees it after the peer's next good contact); room for more (the protocol's
/// resume state).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct PeerRecord {
    last_contact: Option<PeerContact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_refusal: Option<PeerContact>,
    /// The last contact that went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_success: Option<PeerContact>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

impl Node {
    /// Keeps `report` as the last contact with `peer` (durably), keeping whatever else the
    /// peer's record holds.
    pub fn record_contact(&mut self, peer: PublicKey, report: &SyncReport) -> Result<(), OpError> {
        let mut record: PeerRecord = match self.store.peer_state(&peer) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
            _ => PeerRecord::default(),
        };
        let contact = PeerContact {
            peer: peer.to_hex(),
            at: (self.clock)().0,
            outcome: report.outcome.clone(),
            reason: report.reason.clone(),
            changes_sent: report.changes_sent,
            changes_received: report.changes_received,
            bytes_sent: report.bytes_sent,
            bytes_received: report.bytes_received,
            changes_refused: report.changes_refused,
            refusals: report.refusals.clone(),
        };
        if contact.refused_something() {
            record.last_refusal = Some(contact.clone());
        }
        if contact.succeeded() {
            record.last_success = Some(contact.clone());
        }
        record.last_contact = Some(contact);
        let bytes = serde_json::to_vec(&record).map_err(|e| OpError::Failed(e.to_string()))?;
        Ok(self.store.put_peer_state(&peer, &bytes)?)
    }

    /// The last contact with every peer, most recent first.
    pub fn contacts(&self) -> Result<Vec<PeerContact>, OpError> {
        self.peer_records(|r| r.last_contact)
    }

    /// The last contact of every peer in which this node refused it or some of its changes,
    /// most recent first.
    pub fn refusals(&self) -> Result<Vec<PeerContact>, OpError> {
        self.peer_records(|r| r.last_refusal)
    }

    /// The last contact of every peer that went through (complete, or cut short by the byte
    /// budget), most recent first: a refused or broken contact is not data arriving.
    pub fn successful_contacts(&self) -> Result<Vec<PeerContact>, OpError> {
        self.peer_records(|r| r.last_success.or(r.last_contact.filter(PeerContact::succeeded)))
    }

    /// One contact of each peer's record, picked by `pick`, most recent first.
    fn peer_records(&self, pick: impl Fn(PeerRecord) -> Option<PeerContact>) -> Result<Vec<PeerContact>, OpError> {
        let states = self.store.peer_states()?;
        let mut out: Vec<PeerContact> =
            states.value.iter().filter_map(|s| pick(serde_json::from_slice::<PeerRecord>(&s.state).ok()?)).collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.at));
        Ok(out)
    }

    /// The full key of a peer known by its short form (first 8 hex digits), from the
    /// certificates this node knows.
    pub fn peer_by_short(&self, short: &str) -> Option<PublicKey> {
        self.trust.certificates().map(|c| c.subject).find(|k| k.short() == short)
    }

    /// Applies one document's verified changes to a copy, stores them, then caches the copy.
    fn deliver_doc(&mut self, id: DocId, batch: Vec<(SignedChange, Verified)>) -> Result<(), String> {
        let mut doc = self.docs.get(&id).cloned().unwrap_or_else(|| Document::new(id.clone()));
        let (mut new, mut hashes) = (Vec::new(), Vec::new());
        let relay = self.is_relay();
        for (signed, verified) in batch {
            if relay {
                self.note_clock(verified.author, verified.at);
            }
            self.observe(Hlc { wall: verified.at.0, logical: 0 }, &verified.author, relay);
            for e in &verified.events {
                self.observe(e.hlc, &e.author, relay);
            }
            let hash = verified.change.hash();
            match doc.apply_verified(verified) {
                Ok(Applied::Duplicate) => {}
                Ok(Applied::New | Applied::Queued) => {
                    new.push(signed);
                    hashes.push(hash);
                }
                Err(e) => tracing::warn!(doc = %id, error = %e, "a verified change does not apply; skipped"),
            }
        }
        if !new.is_empty() {
            self.store.insert_changes(&id, &new, &doc.heads()).map_err(|e| e.to_string())?;
        }
        self.docs.insert(id.clone(), doc);
        self.vouch_delivered(&id, &hashes);
        Ok(())
    }
}

/// The store key of a receipt: `<doc id>\0<relay key hex>`, so a relay's newer receipt for a
/// document replaces its older one.
fn receipt_key(r: &Receipt) -> Vec<u8> {
    format!("{}\0{}", r.doc, r.relay.to_hex()).into_bytes()
}

/// Every stored receipt, by document (receipts were verified when they arrived).
pub(super) fn load_receipts(store: &Store) -> Result<BTreeMap<DocId, Vec<Receipt>>, OpError> {
    let read = store.receipts()?;
    super::log_damage(&read.damaged);
    let mut out: BTreeMap<DocId, Vec<Receipt>> = BTreeMap::new();
    for stored in read.value {
        match Receipt::decode(&stored.receipt) {
            Ok(r) => out.entry(r.doc.clone()).or_default().push(r),
            Err(e) => tracing::warn!(error = %e, "a stored receipt does not read; skipped"),
        }
    }
    Ok(out)
}

impl Node {
    /// The relays' receipts known for `doc`.
    pub fn receipts_of(&self, doc: &DocId) -> &[Receipt] {
        self.receipts.get(doc).map(Vec::as_slice).unwrap_or_default()
    }

    /// True when `receipt` shows its relay holds everything this node holds of its document.
    pub fn covers(&self, receipt: &Receipt) -> bool {
        let Some(doc) = self.docs.get(&receipt.doc) else { return false };
        let mine = doc.heads();
        mine.iter().all(|h| receipt.heads.contains(h))
            || (receipt.heads.iter().all(|h| doc.has_change(h))
                && doc.automerge().get_changes(&receipt.heads).is_empty())
    }

    /// The changes this node made in `doc` that no receipt shows upstream yet.
    pub fn unreceipted(&self, doc: &Document) -> usize {
        let me = self.public();
        let mine = |known: &[ChangeHash]| {
            doc.automerge().get_changes(known).iter().filter(|c| PublicKey::of_actor(c.actor_id()) == Some(me)).count()
        };
        let best = self
            .receipts_of(doc.id())
            .iter()
            .map(|r| mine(&r.heads.iter().filter(|h| doc.has_change(h)).copied().collect::<Vec<_>>()))
            .min();
        best.unwrap_or_else(|| mine(&[]))
    }

    /// A phone that took on a ticket it does not keep (another sector's), before any relay had
    /// it, signs that it carried it (once), so the ticket's path shows the phones it passed
    /// through. Phones of the ticket's own sector keep it and sign nothing: each of them would
    /// add an event every other one then takes. Failing to is logged: the ticket travels on
    /// either way.
    fn note_carried(&mut self, id: &DocId) {
        let grants = self.scope_grants();
        if policy::is_relay(&grants) || policy::keeps(&grants, id) {
            return;
        }
        let Ok(state) = self.ticket_state(id) else { return };
        let me = self.public();
        let pending = state.status == sampark_crdt::ticket::Status::Open && state.received.is_empty();
        if !pending || state.raised_by == me || state.carried_by.iter().any(|(k, _)| *k == me) {
            return;
        }
        if let Err(e) = self.act_on(id, sampark_crdt::ticket::Action::Carried) {
            tracing::warn!(doc = %id, error = %e, "could not note that this phone carried a ticket");
        }
    }

    /// Keeps `receipt` if it is its relay's newest for its document, durably.
    fn keep_receipt(&mut self, receipt: Receipt) -> Result<(), String> {
        let known = self.receipts_of(&receipt.doc);
        if known.iter().any(|k| k.relay == receipt.relay && k.at >= receipt.at) {
            return Ok(());
        }
        self.store.put_receipt(&receipt_key(&receipt), &receipt.encode()).map_err(|e| e.to_string())?;
        let known = self.receipts.entry(receipt.doc.clone()).or_default();
        known.retain(|k| k.relay != receipt.relay);
        known.push(receipt);
        Ok(())
    }

    /// The documents this node carries for others (it does not keep them), with the bytes of
    /// their changes.
    pub fn carried_documents(&self) -> Vec<(DocId, u64)> {
        let grants = self.scope_grants();
        self.docs
            .iter()
            .filter(|(id, _)| !policy::keeps(&grants, id))
            .map(|(id, d)| (id.clone(), d.changes().iter().map(|c| c.raw_bytes().len() as u64 + 64).sum()))
            .collect()
    }

    /// The bytes of what this node carries for others.
    pub fn carried_bytes(&self) -> u64 {
        self.carried_documents().iter().map(|(_, b)| b).sum()
    }

    /// Keeps carried data within the quota: drops what arrived upstream first (folded
    /// registers), then the least urgent (the rest before the registers the due list reads,
    /// tickets last), and among equals the longest unchanged.
    fn enforce_quota(&mut self) -> Result<(), String> {
        let mut carried = self.carried_documents();
        let mut total: u64 = carried.iter().map(|(_, b)| b).sum();
        if total <= self.carry_quota {
            return Ok(());
        }
        let newest = |id: &DocId| self.docs.get(id).and_then(|d| d.changes().iter().map(|c| c.timestamp()).max());
        carried.sort_by_cached_key(|(id, _)| {
            (!upstream_has(self, id), std::cmp::Reverse(policy::urgency(id)), newest(id))
        });
        for (id, bytes) in carried {
            if total <= self.carry_quota {
                break;
            }
            self.store.remove_document(&id).map_err(|e| e.to_string())?;
            self.docs.remove(&id);
            self.folded.remove(&id);
            total = total.saturating_sub(bytes);
            tracing::warn!(doc = %id, bytes, quota = self.carry_quota, "carrying quota full; dropped a carried document");
        }
        Ok(())
    }

    /// Settles what this node carried for others that a receipt shows arrived upstream: drops
    /// tickets, folds registers (see the module docs).
    fn settle_delivered(&mut self) -> Result<(), String> {
        let grants = self.scope_grants();
        let delivered: Vec<DocId> =
            self.docs.keys().filter(|id| !policy::keeps(&grants, id) && upstream_has(self, id)).cloned().collect();
        for id in delivered {
            if policy::folds_when_delivered(&id) {
                // Nothing is written when nothing signed is left (folded at an earlier receipt).
                let report = self.store.compact(&id, |_| false).map_err(|e| e.to_string())?;
                self.folded.insert(id.clone());
                if report.removed > 0 {
                    tracing::info!(doc = %id, folded = report.removed, "carried register arrived upstream; folded");
                }
            } else {
                self.store.remove_document(&id).map_err(|e| e.to_string())?;
                self.docs.remove(&id);
                tracing::info!(doc = %id, "carried ticket arrived upstream; dropped");
            }
        }
        Ok(())
    }

    /// True when `doc` is a register this node carries for others, folded (see the module docs):
    /// some of its changes are held unsigned.
    pub fn is_folded(&self, doc: &DocId) -> bool {
        self.folded.contains(doc)
    }

    /// The carried registers folded before the node was last closed: those whose first change
    /// is held unsigned (a fold takes every change held, so the first is always among them).
    pub(super) fn find_folded(&mut self) -> Result<(), OpError> {
        let grants = self.scope_grants();
        for (id, doc) in &self.docs {
            if policy::keeps(&grants, id) || !policy::folds_when_delivered(id) {
                continue;
            }
            let first = doc.automerge().get_changes(&[]).first().map(|c| c.hash());
            if let Some(hash) = first
                && self.store.change(id, &hash)?.is_none()
            {
                self.folded.insert(id.clone());
            }
        }
        Ok(())
    }
}

impl Local for Node {
    fn key(&self) -> PublicKey {
        self.public()
    }

    fn chain(&self) -> Vec<Certificate> {
        self.enrolment.chain.clone()
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

    fn clock(&self, wall: Timestamp) -> Timestamp {
        self.judging_time(wall)
    }

    fn receipts(&self, doc: &DocId) -> Vec<Receipt> {
        self.receipts_of(doc).to_vec()
    }

    fn closed_at(&self, doc: &DocId) -> Option<Timestamp> {
        self.closed_at(doc)
    }

    fn own_vouched_docs(&self) -> Vec<DocId> {
        self.own_vouched_docs()
    }

    fn missing(&self, doc: &DocId, their_heads: &[ChangeHash]) -> Vec<SignedChange> {
        let Some(d) = self.docs.get(doc) else { return Vec::new() };
        let known: Vec<ChangeHash> = their_heads.iter().filter(|h| d.has_change(h)).copied().collect();
        let mut out = Vec::new();
        for change in d.automerge().get_changes(&known) {
            match self.store.change(doc, &change.hash()) {
                Ok(Some(signed)) => out.push(signed),
                // A peer with none of a folded carried register could apply none of the rest.
                Ok(None) if known.is_empty() && self.folded.contains(doc) => return Vec::new(),
                // Folded into a snapshot after a relay's receipt: the peer finds it signed at the
                // relay.
                Ok(None) => tracing::debug!(%doc, hash = %change.hash(), "a change is kept unsigned here; not sent"),
                Err(e) => tracing::warn!(%doc, error = %e, "a stored change could not be read; not sent"),
            }
        }
        out
    }
}

impl contact::Node for Node {
    fn learn(&mut self, certificates: Vec<Certificate>, revocations: Vec<Revocation>) -> Result<(), String> {
        for cert in certificates {
            match self.trust.add_certificate(cert.clone()) {
                Ok(true) => self.store.put_certificate(&cert).map_err(|e| e.to_string())?,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "a certificate from a peer was not taken"),
            }
        }
        for rev in revocations {
            match self.take_revocation(rev) {
                Ok(_) => {}
                Err(OpError::Invalid(e)) => tracing::warn!(error = %e, "a revocation from a peer was not taken"),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    fn deliver(&mut self, batch: Vec<(SignedChange, Verified)>) -> Result<(), String> {
        let before = self.hlc;
        let mut by_doc: BTreeMap<DocId, Vec<(SignedChange, Verified)>> = BTreeMap::new();
        for (signed, verified) in batch {
            by_doc.entry(signed.doc.clone()).or_default().push((signed, verified));
        }
        let tickets: Vec<DocId> = by_doc.keys().filter(|id| id.kind.is_ticket()).cloned().collect();
        for (id, changes) in by_doc {
            self.deliver_doc(id, changes)?;
        }
        if self.hlc != before {
            home::save_hlc(&self.store, self.hlc).map_err(|e| e.to_string())?;
        }
        for id in tickets {
            self.note_carried(&id);
        }
        self.enforce_quota()
    }

    fn learn_receipts(&mut self, receipts: Vec<Receipt>) -> Result<(), String> {
        for receipt in receipts {
            self.vouch_receipt(&receipt);
            self.keep_receipt(receipt)?;
        }
        self.settle_delivered()
    }
}
