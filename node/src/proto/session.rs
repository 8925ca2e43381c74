//! One contact with one peer, as a state machine: bytes and time in, bytes and actions out.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use sampark_crdt::verify::{Verified, verify, verify_checked_before};
use sampark_crdt::{Certificate, DocId, Keypair, PublicKey, Receipt, Revocation, SignedChange, Timestamp, TrustStore};

use super::local::{Local, upstream_has};
use super::message::{
    DocHeads, MAX_CHANGES, MAX_DOCS, MAX_FRAME, MAX_PREFIXES, MAX_RECEIPTS, MAX_RECENT, MAX_TRUST_RECORDS,
    MAX_WANT_RECEIPTS, Message, ShortEntry, VERSION,
};
use super::policy::{self, Side};
use super::reconcile::{Index, Prefix, Step, step};

/// Settings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Stop sending changes once this many bytes have been sent (a short contact: send the most
    /// urgent first and stop). `None`: no limit.
    pub budget_bytes: Option<u64>,
    /// Largest changes frame, in bytes (at most [`MAX_FRAME`]).
    pub batch_bytes: usize,
    /// Give up when the peer has been silent this long, in milliseconds.
    pub idle_timeout_ms: i64,
    /// Give up when the peer's hello has not come this long after the session began, in
    /// milliseconds: until its hello, the peer is not known to hold any certificate.
    pub hello_timeout_ms: i64,
    /// As a district relay or the state hub, keep registers as well as tickets.
    pub keep_registers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            budget_bytes: None,
            batch_bytes: 256 * 1024,
            idle_timeout_ms: 60_000,
            hello_timeout_ms: 15_000,
            keep_registers: false,
        }
    }
}

/// An input to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum In {
    /// The connection is up: say hello.
    Connected,
    /// A frame arrived from the peer.
    Frame(Vec<u8>),
    /// Time passed.
    Tick,
}

/// What the session asks its driver to do.
#[derive(Debug, Clone)]
pub enum Out {
    /// Send this frame to the peer.
    Send(Vec<u8>),
    /// Store these certificates and revocations (their signatures verified).
    LearnTrust {
        /// Certificates.
        certificates: Vec<Certificate>,
        /// Revocations.
        revocations: Vec<Revocation>,
    },
    /// Apply and store these verified changes, then feed the session its next input.
    Deliver(Vec<(SignedChange, Verified)>),
    /// Keep these verified receipts (and drop carried documents they show arrived upstream).
    LearnReceipts(Vec<Receipt>),
    /// The contact is over; close the connection.
    Finished(Summary),
}

/// How a contact ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum Outcome {
    /// Still going.
    #[default]
    Running,
    /// Both sides sent everything.
    Complete,
    /// The byte budget ran out; the rest goes at the next contact.
    BudgetExhausted,
    /// This side refused the peer.
    Refused(String),
    /// The peer refused this side.
    RefusedByPeer(String),
    /// The peer went silent.
    TimedOut,
    /// The link failed or closed before both sides were done.
    Interrupted(String),
}

/// What moved in a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Summary {
    /// The peer.
    pub peer: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Frames and bytes sent.
    pub frames_sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Signed changes sent.
    pub changes_sent: u64,
    /// Documents changes were sent for.
    pub docs_sent: u64,
    /// Signed changes received and accepted.
    pub changes_received: u64,
    /// Signed changes received and refused (bad signature, no right, not wanted).
    pub changes_refused: u64,
    /// Documents found different by reconciliation.
    pub docs_differing: u64,
    /// Round trips: times this side answered a frame that needed an answer.
    pub rounds: u64,
    /// Why changes were refused: the first [`MAX_REFUSALS`] different reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
}

/// Most refusal reasons a [`Summary`] keeps.
pub const MAX_REFUSALS: usize = 8;

impl Summary {
    /// Counts a refused change and keeps why, if that reason is new and there is room.
    fn refused(&mut self, why: String) {
        self.changes_refused += 1;
        if self.refusals.len() < MAX_REFUSALS && !self.refusals.contains(&why) {
            self.refusals.push(why);
        }
    }
}

/// A document whose missing changes are to be sent.
#[derive(Debug, Clone)]
struct Pending {
    doc: DocId,
    their_heads: Vec<ChangeHash>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    New,
    Syncing,
    Over,
}

/// A contact session with one authenticated peer.
#[derive(Debug)]
pub struct Session {
    config: Config,
    peer: PublicKey,
    phase: Phase,
    /// The node's trust store plus what the peer taught in this session, copied from the node's
    /// only once the peer teaches something new (the driver stores it too, before the next
    /// input); until then the node's own store is the session's view.
    learnt: Option<TrustStore>,
    mine: Side,
    theirs: Side,
    index: Index,
    awaiting_fingerprints: BTreeSet<Prefix>,
    awaiting_items: BTreeSet<Prefix>,
    awaiting_heads: BTreeSet<[u8; 8]>,
    awaiting_offer: bool,
    awaiting_want: bool,
    offered: BTreeSet<DocId>,
    offered_to_me: BTreeSet<DocId>,
    /// The peer's own documents it asked receipts for (those this node shares with it).
    wants_receipts: BTreeSet<DocId>,
    received_docs: BTreeSet<DocId>,
    signer: Option<Keypair>,
    pending: BTreeMap<DocId, Pending>,
    peer_knows: BTreeSet<PublicKey>,
    sent_done: bool,
    peer_done: bool,
    peer_acked: bool,
    last_heard: Timestamp,
    /// The time the session judges at (set when the peer's hello is checked).
    now: Timestamp,
    summary: Summary,
}

impl Session {
    /// A session with `peer`, whose key the transport has authenticated.
    pub fn new(peer: PublicKey, config: Config, now: Timestamp) -> Session {
        Session {
            config,
            peer,
            phase: Phase::New,
            learnt: None,
            mine: Side::default(),
            theirs: Side::default(),
            index: Index::default(),
            awaiting_fingerprints: BTreeSet::new(),
            awaiting_items: BTreeSet::new(),
            awaiting_heads: BTreeSet::new(),
            awaiting_offer: false,
            awaiting_want: false,
            offered: BTreeSet::new(),
            offered_to_me: BTreeSet::new(),
            wants_receipts: BTreeSet::new(),
            received_docs: BTreeSet::new(),
            signer: None,
            pending: BTreeMap::new(),
            peer_knows: BTreeSet::new(),
            sent_done: false,
            peer_done: false,
            peer_acked: false,
            last_heard: now,
            now,
            summary: Summary { peer: peer.short(), ..Summary::default() },
        }
    }

    /// Makes this session issue receipts, signed with `relay`, for the documents it received or
    /// was offered, once it has stored them (for relays).
    pub fn with_receipts(mut self, relay: Keypair) -> Session {
        self.signer = Some(relay);
        self
    }

    /// True once the session has finished (the driver closes the connection).
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// The figures so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Ends the session because its link failed (the driver saw it, not the session), and
    /// returns the figures so far.
    pub fn abort(&mut self, reason: String) -> Summary {
        if self.phase != Phase::Over {
            self.phase = Phase::Over;
            self.summary.outcome = Outcome::Interrupted(reason);
        }
        self.summary.clone()
    }

    /// Handles one input at time `now`, reading the node through `local`.
    pub fn handle(&mut self, input: In, local: &dyn Local, now: Timestamp) -> Vec<Out> {
        let mut out = Vec::new();
        if self.phase == Phase::Over {
            return out;
        }
        match input {
            In::Connected => self.hello(local, &mut out),
            In::Tick => {
                let limit =
                    if self.phase == Phase::New { self.config.hello_timeout_ms } else { self.config.idle_timeout_ms };
                if now.0.saturating_sub(self.last_heard.0) > limit {
                    self.finish(Outcome::TimedOut, &mut out);
                }
                return out;
            }
            In::Frame(bytes) => {
                self.last_heard = now;
                self.summary.frames_received += 1;
                self.summary.bytes_received += bytes.len() as u64;
                match Message::decode(&bytes) {
                    Ok(message) => self.receive(message, local, now, &mut out),
                    Err(e) => self.refuse(format!("malformed {} byte frame: {e}", bytes.len()), &mut out),
                }
            }
        }
        if self.phase == Phase::Syncing {
            self.progress(local, &mut out);
        }
        out
    }

    fn send(&mut self, message: &Message, out: &mut Vec<Out>) {
        let frame = message.encode();
        self.summary.frames_sent += 1;
        self.summary.bytes_sent += frame.len() as u64;
        out.push(Out::Send(frame));
    }

    fn finish(&mut self, outcome: Outcome, out: &mut Vec<Out>) {
        self.phase = Phase::Over;
        self.summary.outcome = outcome;
        out.push(Out::Finished(self.summary.clone()));
    }

    fn refuse(&mut self, reason: String, out: &mut Vec<Out>) {
        self.send(&Message::Refuse { reason: reason.clone() }, out);
        self.finish(Outcome::Refused(reason), out);
    }

    /// Says who this node is, and nothing more: what it knows and holds waits for the peer's
    /// certificate ([`Session::welcome`]).
    fn hello(&mut self, local: &dyn Local, out: &mut Vec<Out>) {
        let message =
            Message::Hello { version: VERSION, chain: local.chain(), keep_registers: self.config.keep_registers };
        self.send(&message, out);
    }

    /// What this node tells a peer whose certificate counts: the revocations it knows, and its
    /// own documents that want receipts.
    fn welcome(&mut self, local: &dyn Local, now: Timestamp, out: &mut Vec<Out>) {
        let revocations: Vec<Revocation> = local.trust().revocations().take(MAX_TRUST_RECORDS).cloned().collect();
        if !revocations.is_empty() {
            self.send(&Message::Trust { certificates: Vec::new(), revocations }, out);
        }
        let want_receipts = wanting_receipts(local, now);
        if !want_receipts.is_empty() {
            self.send(&Message::WantReceipts(want_receipts), out);
        }
    }

    fn receive(&mut self, message: Message, local: &dyn Local, now: Timestamp, out: &mut Vec<Out>) {
        match (self.phase, message) {
            (_, Message::Refuse { reason }) => self.finish(Outcome::RefusedByPeer(reason), out),
            (Phase::New, hello @ Message::Hello { .. }) => self.start(hello, local, now, out),
            (Phase::New, other) => self.refuse(format!("expected hello, got {}", other.name()), out),
            (Phase::Syncing, Message::Hello { .. }) => self.refuse("a second hello".into(), out),
            (Phase::Syncing, Message::Fingerprints(list)) => self.on_fingerprints(list, out),
            (Phase::Syncing, Message::Items { prefix, entries }) => self.on_items(prefix, entries, local, out),
            (Phase::Syncing, Message::Heads(docs)) => self.on_heads(docs, local),
            (Phase::Syncing, Message::Offer(docs)) => self.on_offer(docs, local, out),
            (Phase::Syncing, Message::Want(docs)) => self.on_want(docs, local),
            (Phase::Syncing, Message::Trust { certificates, revocations }) => {
                self.learn(certificates, revocations, local, out);
            }
            (Phase::Syncing, Message::WantReceipts(docs)) => {
                // At most MAX_WANT_RECEIPTS in a contact, however many such messages come.
                let (mine, theirs) = (&self.mine, &self.theirs);
                let room = MAX_WANT_RECEIPTS.saturating_sub(self.wants_receipts.len());
                let wanted = docs.into_iter().filter(|d| policy::shared(mine, theirs, d)).take(room);
                self.wants_receipts.extend(wanted);
            }
            (Phase::Syncing, Message::Changes(changes)) => self.on_changes(changes, local, out),
            (Phase::Syncing, Message::Done) => {
                // Frames arrive in order and each batch of changes was delivered (stored) before
                // this one was handled: everything the peer sent is safe here.
                self.peer_done = true;
                self.issue_receipts(local, now, out);
                self.send(&Message::Ack, out);
            }
            (Phase::Syncing, Message::Ack) => self.peer_acked = true,
            (Phase::Syncing, Message::Receipts(receipts)) => self.on_receipts(receipts, local, out),
            (Phase::Over, _) => {}
        }
    }

    /// The session's view of what is trusted (see `learnt`).
    fn trust<'a>(learnt: &'a Option<TrustStore>, local: &'a dyn Local) -> &'a TrustStore {
        learnt.as_ref().unwrap_or_else(|| local.trust())
    }

    /// Takes the peer's certificates and revocations into this session's trust view, and asks
    /// the driver to store what was new.
    fn learn(
        &mut self,
        certificates: Vec<Certificate>,
        revocations: Vec<Revocation>,
        local: &dyn Local,
        out: &mut Vec<Out>,
    ) {
        if let Some(new) = self.learn_into_view(certificates, revocations, local) {
            out.push(new);
        }
    }

    /// Takes the peer's certificates and revocations into this session's trust view; returns
    /// what was new, for the driver to store.
    fn learn_into_view(
        &mut self,
        certificates: Vec<Certificate>,
        revocations: Vec<Revocation>,
        local: &dyn Local,
    ) -> Option<Out> {
        let known = Session::trust(&self.learnt, local);
        let certificates: Vec<Certificate> = certificates.into_iter().filter(|c| !known.knows_certificate(c)).collect();
        let revocations: Vec<Revocation> = revocations.into_iter().filter(|r| !known.knows_revocation(r)).collect();
        if certificates.is_empty() && revocations.is_empty() {
            return None;
        }
        let trust = self.learnt.get_or_insert_with(|| local.trust().clone());
        let certificates: Vec<Certificate> =
            certificates.into_iter().filter(|c| trust.add_certificate(c.clone()).unwrap_or(false)).collect();
        let revocations: Vec<Revocation> =
            revocations.into_iter().filter(|r| trust.add_revocation(r.clone()).unwrap_or(false)).collect();
        (!certificates.is_empty() || !revocations.is_empty()).then_some(Out::LearnTrust { certificates, revocations })
    }

    /// Answers the peer's hello: checks it, then starts reconciling and offering.
    fn start(&mut self, hello: Message, local: &dyn Local, now: Timestamp, out: &mut Vec<Out>) {
        let Message::Hello { version, chain, keep_registers: their_keep_registers } = hello else {
            return;
        };
        if version != VERSION {
            return self
                .refuse(format!("protocol version {version} is not supported; this node speaks {VERSION}"), out);
        }
        let now = local.clock(now);
        self.phase = Phase::Syncing;
        // What a peer teaches is stored only once its own certificate is found to count: a
        // stranger's certificates from another root must not fill the node's store.
        let learnt = self.learn_into_view(chain, Vec::new(), local);
        let trust = Session::trust(&self.learnt, local);
        let mine = Side { grants: trust.grants(&local.key(), now), keep_registers: self.config.keep_registers };
        let theirs = Side { grants: trust.grants(&self.peer, now), keep_registers: their_keep_registers };
        if theirs.grants.is_empty() {
            self.learnt = None;
            return self.refuse(format!("{} has no valid certificate", self.peer.short()), out);
        }
        out.extend(learnt);
        if mine.grants.is_empty() {
            return self.refuse("this node has no valid certificate; enrol it first".into(), out);
        }
        self.peer_knows.insert(self.peer);
        self.welcome(local, now, out);
        self.now = now;
        // A relay's receipts for the documents it vouches for itself that the peer keeps too: a
        // phone that took them before their author was revoked then keeps them as well.
        if let Some(signer) = &self.signer {
            let vouched = local.own_vouched_docs();
            let receipts =
                sign_receipts(signer, vouched.iter().filter(|d| policy::shared(&mine, &theirs, d)), local, now);
            if !receipts.is_empty() {
                self.send(&Message::Receipts(receipts), out);
            }
        }
        let (shared, others): (Vec<_>, Vec<_>) = local
            .documents()
            .into_iter()
            .filter(|(d, _)| !retired(&mine, &theirs, d, local, now))
            .partition(|(d, _)| policy::shared(&mine, &theirs, d));
        self.index = Index::new(shared);
        let root = Prefix::root();
        let fingerprint = self.index.fingerprint(&root);
        self.send(&Message::Fingerprints(vec![(root, fingerprint)]), out);
        self.awaiting_fingerprints.insert(root);
        let offer: Vec<DocHeads> = others
            .into_iter()
            .filter(|(d, _)| policy::takes(&theirs, &mine, d))
            .filter(|(d, _)| !upstream_has(local, d))
            .take(MAX_DOCS)
            // The receiver decides on the heads alone; its Want carries its own recent changes.
            .map(|(doc, heads)| DocHeads { recent: Vec::new(), doc, heads })
            .collect();
        self.offered = offer.iter().map(|d| d.doc.clone()).collect();
        // An empty offer needs no answer: the peer sends a Want only for a non-empty one.
        self.awaiting_want = !offer.is_empty();
        self.send(&Message::Offer(offer), out);
        self.awaiting_offer = true;
        self.mine = mine;
        self.theirs = theirs;
    }

    fn on_fingerprints(&mut self, list: Vec<(Prefix, super::reconcile::Fingerprint)>, out: &mut Vec<Out>) {
        let mut children = Vec::new();
        let mut answered = false;
        for (prefix, theirs) in list {
            if !self.awaiting_fingerprints.remove(&prefix) {
                continue;
            }
            answered = true;
            let mine = self.index.fingerprint(&prefix);
            match step(&prefix, mine, theirs) {
                Step::Same => {}
                Step::SendItems => {
                    let entries = self.index.range(&prefix).iter().map(|e| e.short()).collect();
                    self.send(&Message::Items { prefix, entries }, out);
                    self.awaiting_items.insert(prefix);
                }
                Step::Split => {
                    for child in prefix.children() {
                        children.push((child, self.index.fingerprint(&child)));
                        self.awaiting_fingerprints.insert(child);
                    }
                }
            }
        }
        for chunk in children.chunks(MAX_PREFIXES) {
            self.send(&Message::Fingerprints(chunk.to_vec()), out);
        }
        if answered {
            self.summary.rounds += 1;
        }
    }

    /// Compares the peer's short entries under `prefix` with this side's: a document the peer
    /// lacks is queued whole; one both hold in different versions gets this side's heads sent
    /// (the peer does the same, and each then sends what the other lacks).
    fn on_items(&mut self, prefix: Prefix, entries: Vec<ShortEntry>, local: &dyn Local, out: &mut Vec<Out>) {
        if !self.awaiting_items.remove(&prefix) {
            return;
        }
        let theirs: BTreeMap<[u8; 8], [u8; 8]> = entries.iter().copied().collect();
        let mut heads = Vec::new();
        let mut they_lack = 0u64;
        for entry in self.index.range(&prefix) {
            let (key, digest) = entry.short();
            match theirs.get(&key) {
                Some(d) if *d == digest => {}
                Some(_) => {
                    heads.push(DocHeads {
                        doc: entry.doc.clone(),
                        heads: entry.heads.clone(),
                        recent: short_recent(local, &entry.doc),
                    });
                    self.awaiting_heads.insert(key);
                }
                None => {
                    they_lack += 1;
                    self.pending.insert(entry.doc.clone(), Pending { doc: entry.doc.clone(), their_heads: Vec::new() });
                }
            }
        }
        let mine: BTreeSet<[u8; 8]> = self.index.range(&prefix).iter().map(|e| e.short().0).collect();
        self.summary.docs_differing += heads.len() as u64 + they_lack;
        self.summary.docs_differing += theirs.keys().filter(|k| !mine.contains(*k)).count() as u64;
        if !heads.is_empty() {
            self.send(&Message::Heads(heads), out);
        }
    }

    fn on_heads(&mut self, docs: Vec<DocHeads>, local: &dyn Local) {
        for d in docs {
            let key = super::reconcile::key_of(&d.doc);
            let mut short = [0u8; 8];
            short.copy_from_slice(key.get(..8).unwrap_or(&[0; 8]));
            if self.awaiting_heads.remove(&short) && self.index.get(&d.doc).is_some() {
                self.queue(d, local);
            }
        }
    }

    /// Queues what a holder of `theirs` lacks of a document, if anything (see [`lacks`]).
    fn queue(&mut self, theirs: DocHeads, local: &dyn Local) {
        if let Some(their_heads) = lacks(&theirs, local) {
            self.pending.insert(theirs.doc.clone(), Pending { doc: theirs.doc, their_heads });
        }
    }

    fn on_offer(&mut self, docs: Vec<DocHeads>, local: &dyn Local, out: &mut Vec<Out>) {
        if !self.awaiting_offer {
            return;
        }
        self.awaiting_offer = false;
        // Only receipts naming some of the offered heads: they tell the offerer that what it
        // offers (or part of it) arrived. An older one it had its chance to learn at an earlier
        // contact; sent at every contact, such receipts were most of the bytes phones exchanged.
        let receipts: Vec<Receipt> = docs
            .iter()
            .flat_map(|d| local.receipts(&d.doc).into_iter().filter(|r| d.heads.iter().any(|h| r.heads.contains(h))))
            .take(MAX_RECEIPTS)
            .collect();
        if !receipts.is_empty() {
            self.send(&Message::Receipts(receipts), out);
        }
        if docs.is_empty() {
            return;
        }
        self.offered_to_me = docs.iter().map(|d| d.doc.clone()).collect();
        let want: Vec<DocHeads> = docs
            .into_iter()
            .filter(|d| policy::takes(&self.mine, &self.theirs, &d.doc))
            .filter(|d| !retired(&self.mine, &self.theirs, &d.doc, local, self.now))
            .filter(|d| !d.heads.iter().all(|h| local.has_change(&d.doc, h)))
            .filter(|d| !local.receipts(&d.doc).iter().any(|r| d.heads.iter().all(|h| r.heads.contains(h))))
            .map(|d| DocHeads {
                heads: local.heads(&d.doc).unwrap_or_default(),
                recent: short_recent(local, &d.doc),
                doc: d.doc,
            })
            .collect();
        self.send(&Message::Want(want), out);
        self.summary.rounds += 1;
    }

    fn on_want(&mut self, docs: Vec<DocHeads>, local: &dyn Local) {
        if !self.awaiting_want {
            return;
        }
        self.awaiting_want = false;
        let wanted: Vec<DocHeads> = docs.into_iter().filter(|d| self.offered.contains(&d.doc)).collect();
        for d in wanted {
            self.queue(d, local);
        }
    }

    fn on_changes(&mut self, changes: Vec<SignedChange>, local: &dyn Local, out: &mut Vec<Out>) {
        let trust = Session::trust(&self.learnt, local);
        let mut accepted = Vec::new();
        for signed in changes {
            if retired(&self.mine, &self.theirs, &signed.doc, local, self.now) {
                continue;
            }
            if !policy::takes(&self.mine, &self.theirs, &signed.doc) {
                self.summary.refused(format!("{} is not a document this node takes from this peer", signed.doc));
                continue;
            }
            let verified = if local.checked_before(&signed) {
                verify_checked_before(&signed, trust)
            } else {
                verify(&signed, trust)
            };
            match verified {
                Ok(v) if local.has_change(&signed.doc, &v.change.hash()) => {}
                Ok(v) if second_raising(&signed.doc, &v, local, &accepted) => self.summary.refused(format!(
                    "{} raised {} twice, with different contents, in one slot of the day: only the version \
                     this node took first is kept",
                    v.author.short(),
                    signed.doc
                )),
                Ok(v) => {
                    self.received_docs.insert(signed.doc.clone());
                    accepted.push((signed, v));
                }
                Err(e) => self.summary.refused(e.to_string()),
            }
        }
        self.summary.changes_received += accepted.len() as u64;
        if !accepted.is_empty() {
            out.push(Out::Deliver(accepted));
        }
    }

    /// Keeps the receipts that verify (signed by a relay over the document at the time).
    /// A receipt this node already holds, identical, was verified when it was learnt: it is not
    /// verified again (phones answering offers send the same receipts at contact after contact).
    fn on_receipts(&mut self, receipts: Vec<Receipt>, local: &dyn Local, out: &mut Vec<Out>) {
        let trust = Session::trust(&self.learnt, local);
        let valid: Vec<Receipt> = receipts
            .into_iter()
            .filter(|r| !local.receipts(&r.doc).contains(r))
            .filter(|r| {
                if local.receipt_checked_before(r) { r.verify_checked_before(trust) } else { r.verify(trust) }.is_ok()
            })
            .collect();
        if !valid.is_empty() {
            // The driver vouches in the node's trust store; this session's own copy, if it has
            // one, must see the same before the changes that follow.
            if let Some(learnt) = self.learnt.as_mut() {
                valid.iter().for_each(|r| r.vouch(learnt));
            }
            out.push(Out::LearnReceipts(valid));
        }
    }

    /// A relay's receipts for what the peer sent or offered in this contact, now stored here.
    fn issue_receipts(&mut self, local: &dyn Local, now: Timestamp, out: &mut Vec<Out>) {
        let Some(signer) = self.signer.as_ref() else { return };
        let docs: BTreeSet<&DocId> =
            self.received_docs.union(&self.offered_to_me).chain(self.wants_receipts.iter()).collect();
        let receipts = sign_receipts(signer, docs, local, now);
        if !receipts.is_empty() {
            self.send(&Message::Receipts(receipts), out);
        }
    }

    /// Once reconciliation has settled, sends what the peer lacks (most urgent first), then
    /// "done"; finishes when both sides are done.
    fn progress(&mut self, local: &dyn Local, out: &mut Vec<Out>) {
        let settled = self.awaiting_fingerprints.is_empty()
            && self.awaiting_items.is_empty()
            && self.awaiting_heads.is_empty()
            && !self.awaiting_offer
            && !self.awaiting_want;
        if settled && !self.sent_done {
            if self.send_pending(local, out) == Outcome::BudgetExhausted {
                self.summary.outcome = Outcome::BudgetExhausted;
            }
            self.send(&Message::Done, out);
            self.sent_done = true;
        }
        if self.sent_done && self.peer_done && self.peer_acked {
            let outcome = match &self.summary.outcome {
                Outcome::Running => Outcome::Complete,
                other => other.clone(),
            };
            self.finish(outcome, out);
        }
    }

    fn send_pending(&mut self, local: &dyn Local, out: &mut Vec<Out>) -> Outcome {
        let mut queue: Vec<(u8, i64, Vec<SignedChange>)> = std::mem::take(&mut self.pending)
            .into_values()
            .map(|p| {
                let changes = local.missing(&p.doc, &p.their_heads);
                let newest = changes
                    .iter()
                    .filter_map(|c| automerge::Change::from_bytes(c.change.clone()).ok())
                    .map(|c| c.timestamp())
                    .max();
                (policy::urgency(&p.doc), newest.unwrap_or(0), changes)
            })
            .filter(|(_, _, changes)| !changes.is_empty())
            .collect();
        queue.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut batch: Vec<SignedChange> = Vec::new();
        let mut batch_bytes = 0usize;
        for (_, _, changes) in queue {
            self.summary.docs_sent += 1;
            for change in changes {
                let size = change.encode().len() + 4;
                let over_budget =
                    self.config.budget_bytes.is_some_and(|b| self.summary.bytes_sent + (batch_bytes + size) as u64 > b);
                if over_budget {
                    self.flush_batch(&mut batch, local, out);
                    return Outcome::BudgetExhausted;
                }
                if batch_bytes + size > self.config.batch_bytes.min(MAX_FRAME - 1024) || batch.len() == MAX_CHANGES {
                    self.flush_batch(&mut batch, local, out);
                    batch_bytes = 0;
                }
                batch_bytes += size;
                batch.push(change);
            }
        }
        self.flush_batch(&mut batch, local, out);
        Outcome::Complete
    }

    /// Sends the certificates the peer needs for `batch`'s authors, then the batch.
    fn flush_batch(&mut self, batch: &mut Vec<SignedChange>, local: &dyn Local, out: &mut Vec<Out>) {
        if batch.is_empty() {
            return;
        }
        // Each change's hash and author, read from its header once.
        let headers: Vec<(&DocId, ChangeHash, PublicKey)> = batch
            .iter()
            .filter_map(|c| {
                let h = sampark_crdt::verify::header(&c.change).ok()?;
                Some((&c.doc, h.hash, PublicKey::of_actor(&automerge::ActorId::from(h.actor.as_slice()))?))
            })
            .collect();
        let authors: BTreeSet<PublicKey> =
            headers.iter().map(|(_, _, k)| *k).filter(|k| !self.peer_knows.contains(k)).collect();
        if !authors.is_empty() {
            let mut certificates: Vec<Certificate> = Vec::new();
            for author in &authors {
                for c in local.trust().chain_of(author) {
                    if !certificates.contains(&c) {
                        certificates.push(c);
                    }
                }
            }
            certificates.truncate(MAX_TRUST_RECORDS);
            self.send(&Message::Trust { certificates, revocations: Vec::new() }, out);
            self.peer_knows.extend(authors);
        }
        // A relay vouches for a revoked key's changes it held before it learnt of the revocation:
        // its own receipt goes first, so the receiver vouches for them too (`sampark_crdt::trust`).
        if let Some(signer) = &self.signer {
            let trust = local.trust();
            let docs: BTreeSet<&DocId> = headers
                .iter()
                .filter(|(_, hash, author)| trust.is_vouched_change(hash) && trust.revoked_from(author).is_some())
                .map(|(doc, _, _)| *doc)
                .collect();
            let receipts = sign_receipts(signer, docs, local, self.now);
            if !receipts.is_empty() {
                self.send(&Message::Receipts(receipts), out);
            }
        }
        self.summary.changes_sent += batch.len() as u64;
        let message = Message::Changes(std::mem::take(batch));
        self.send(&message, out);
    }
}

/// This relay's receipts, signed at `now`, for `docs` (at most [`MAX_RECEIPTS`]; those not held
/// are skipped).
fn sign_receipts<'a>(
    signer: &Keypair,
    docs: impl IntoIterator<Item = &'a DocId>,
    local: &dyn Local,
    now: Timestamp,
) -> Vec<Receipt> {
    docs.into_iter()
        .filter_map(|doc| Some(Receipt::sign(signer, doc.clone(), receipt_heads(local, doc)?, now)))
        .take(MAX_RECEIPTS)
        .collect()
}

/// True when either side has retired `doc` (a closed ticket of another centre of its sector,
/// see [`policy::retires`]), judged from this node's copy: it is neither reconciled, offered
/// nor taken.
/// True when `v` is the first change of a ticket, one of whose other first changes this node
/// holds or takes in this batch: its raiser signed two raised events for one daily slot
/// (`sampark_crdt::ticket::event`). Every node keeps only the version it took first, so one
/// author's tickets a day stay bounded on every node, however many versions she signs.
fn second_raising(doc: &DocId, v: &Verified, local: &dyn Local, batch: &[(SignedChange, Verified)]) -> bool {
    let first = |v: &Verified| v.change.deps().is_empty();
    doc.kind.is_ticket()
        && first(v)
        && (local.heads(doc).is_some() || batch.iter().any(|(s, b)| &s.doc == doc && first(b)))
}

fn retired(mine: &Side, theirs: &Side, doc: &DocId, local: &dyn Local, now: Timestamp) -> bool {
    [mine, theirs].iter().any(|side| policy::retires(&side.grants, doc, || local.closed_at(doc), now))
}

/// The first 8 bytes of the hashes of `doc`'s latest changes.
fn short_recent(local: &dyn Local, doc: &DocId) -> Vec<[u8; 8]> {
    local.recent(doc, MAX_RECENT).iter().map(short_hash).collect()
}

fn short_hash(h: &ChangeHash) -> [u8; 8] {
    let mut s = [0u8; 8];
    s.copy_from_slice(h.0.get(..8).unwrap_or(&[0; 8]));
    s
}

/// What a holder of `theirs` lacks of a document, as the heads to compute the missing changes
/// from, or `None` if it lacks nothing:
///
/// - this side knows all their heads: they lack exactly what is not an ancestor of those;
/// - their heads or latest changes include every head of this side: they have everything;
/// - otherwise the histories have diverged (or they are far ahead): send what is not an
///   ancestor of their heads and latest changes that this side knows. This sends changes they
///   have only when the common history lies further back than their latest changes.
fn lacks(theirs: &DocHeads, local: &dyn Local) -> Option<Vec<ChangeHash>> {
    let known: Vec<ChangeHash> = theirs.heads.iter().filter(|h| local.has_change(&theirs.doc, h)).copied().collect();
    if known.len() == theirs.heads.len() {
        return Some(known);
    }
    let seen: BTreeSet<[u8; 8]> = theirs.heads.iter().map(short_hash).chain(theirs.recent.iter().copied()).collect();
    let mine = local.heads(&theirs.doc).unwrap_or_default();
    if mine.iter().all(|h| seen.contains(&short_hash(h))) {
        return None;
    }
    // Diverged: changes of mine among their latest are common ground; send what follows them.
    let mut have = known;
    have.extend(local.recent(&theirs.doc, 4 * MAX_RECENT).into_iter().filter(|h| seen.contains(&short_hash(h))));
    Some(have)
}

/// A phone's own documents that no relay's receipt covers yet, most urgent first (what its
/// hello asks receipts for). A relay asks for none.
fn wanting_receipts(local: &dyn Local, now: Timestamp) -> Vec<DocId> {
    let grants = local.trust().grants(&local.key(), now);
    if grants.is_empty() || policy::is_relay(&grants) {
        return Vec::new();
    }
    let mut docs: Vec<DocId> = local
        .documents()
        .into_iter()
        .map(|(doc, _)| doc)
        .filter(|doc| policy::owns(&grants, doc) && !upstream_has(local, doc))
        .collect();
    docs.sort_by_key(policy::urgency);
    docs.truncate(MAX_WANT_RECEIPTS);
    docs
}

/// What a receipt for `doc` names: its heads; for a ticket, every change (up to
/// [`sampark_crdt::receipt::MAX_HEADS`], the newest). A phone that carried a ticket adds its own
/// signed "carried" event, which the raiser never holds; a receipt naming only the relay's heads
/// would then name nothing the raiser knows, and the raiser could not tell that its own events
/// arrived. Naming every change of a ticket (a few dozen at most) lets it.
fn receipt_heads(local: &dyn Local, doc: &DocId) -> Option<Vec<ChangeHash>> {
    let mut heads = local.heads(doc)?;
    if doc.kind.is_ticket() {
        let room = sampark_crdt::receipt::MAX_HEADS.saturating_sub(heads.len());
        let older: Vec<ChangeHash> =
            local.recent(doc, room + heads.len()).into_iter().filter(|h| !heads.contains(h)).collect();
        heads.extend(older.into_iter().rev().take(room));
    }
    Some(heads)
}
