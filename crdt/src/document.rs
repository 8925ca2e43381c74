//! A replica of one document: an Automerge document that only ever takes verified changes.
//!
//! [`Document::apply`] runs [`crate::verify::verify`] first and applies nothing of a change that
//! fails. [`Document::edit`] makes a local change as an [`Author`] and returns it signed, ready to
//! store and send. Reading is through [`Document::automerge`] (read-only) and the typed views in
//! [`crate::register`] and [`crate::ticket`].
//!
//! Changes whose dependencies have not arrived yet are held by Automerge until they do
//! ([`Applied::Queued`]); they are already verified. The caller keeps the signed change
//! (the node stores every signed change it accepts), so a crash loses nothing.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use automerge::transaction::{CommitOptions, Transaction};
use automerge::{Automerge, AutomergeError, ChangeHash};
use thiserror::Error;

use crate::docid::DocId;
use crate::identity::{Keypair, PublicKey};
use crate::signed::SignedChange;
use crate::time::Timestamp;
use crate::trust::TrustStore;
use crate::verify::{Rejection, Verified, verify};

/// A key pair and the install nonce that, together, make an Automerge actor.
#[derive(Debug)]
pub struct Author {
    /// The signing key.
    pub keypair: Keypair,
    /// Chosen at random once per install, so a reinstalled phone is a new actor.
    pub install_nonce: [u8; 8],
}

impl Author {
    /// An author from a key and an install nonce.
    pub fn new(keypair: Keypair, install_nonce: [u8; 8]) -> Author {
        Author { keypair, install_nonce }
    }

    /// The author's public key.
    pub fn public(&self) -> PublicKey {
        self.keypair.public()
    }

    /// The Automerge actor bound to this author.
    pub fn actor(&self) -> automerge::ActorId {
        self.public().actor(self.install_nonce)
    }
}

/// What [`Document::apply`] did with a verified change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The change is now part of the document.
    New,
    /// The document already had it.
    Duplicate,
    /// Verified, but waiting for changes it depends on.
    Queued,
}

/// Why a change could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The change belongs to another document.
    #[error("change for {got} offered to {expected}")]
    WrongDocument {
        /// This document.
        expected: String,
        /// The change's document.
        got: String,
    },
    /// Verification refused it.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Automerge refused it (e.g. it contradicts the history).
    #[error("the document refused the change: {0}")]
    Automerge(String),
}

/// Why a local edit failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EditError {
    /// The edit itself failed.
    #[error("edit failed: {0}")]
    Automerge(#[from] AutomergeError),
    /// The edit changed nothing.
    #[error("the edit changed nothing")]
    Empty,
    /// The edit would not pass verification here (a bug or a missing certificate).
    #[error("the edit would be refused: {0}")]
    Refused(#[from] ApplyError),
}

/// One document's replica.
pub struct Document {
    id: DocId,
    doc: Automerge,
    /// SHA-256 digests of the encoded ticket events whose signatures were found good in this
    /// replica ([`crate::ticket::events`]), so that deriving a ticket's state again, as relays do
    /// every duty cycle, checks only the signatures of events that are new. Keyed by content, so
    /// it is never stale.
    events_checked: Mutex<HashSet<[u8; 32]>>,
}

impl Clone for Document {
    fn clone(&self) -> Self {
        let checked = self.events_checked.lock().map(|set| set.clone()).unwrap_or_default();
        Document { id: self.id.clone(), doc: self.doc.clone(), events_checked: Mutex::new(checked) }
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("id", &self.id).field("heads", &self.doc.get_heads()).finish_non_exhaustive()
    }
}

impl Document {
    /// An empty document.
    pub fn new(id: DocId) -> Document {
        Document::from_automerge(id, Automerge::new())
    }

    /// Loads a document saved by [`Document::save`] from this node's own store.
    pub fn load(id: DocId, bytes: &[u8]) -> Result<Document, AutomergeError> {
        Ok(Document::from_automerge(id, Automerge::load(bytes)?))
    }

    fn from_automerge(id: DocId, doc: Automerge) -> Document {
        Document { id, doc, events_checked: Mutex::new(HashSet::new()) }
    }

    /// True when a ticket event with this digest was found correctly signed in this replica.
    pub(crate) fn event_checked(&self, digest: &[u8; 32]) -> bool {
        self.events_checked.lock().is_ok_and(|set| set.contains(digest))
    }

    /// Notes that the ticket event with this digest is correctly signed.
    pub(crate) fn note_event_checked(&self, digest: [u8; 32]) {
        if let Ok(mut set) = self.events_checked.lock() {
            set.insert(digest);
        }
    }

    /// The compacted Automerge save.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The document's ID.
    pub fn id(&self) -> &DocId {
        &self.id
    }

    /// Read-only access to the Automerge document.
    pub fn automerge(&self) -> &Automerge {
        &self.doc
    }

    /// The current heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// True when the change with this hash has been applied.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Verifies `signed` against `trust` and applies it if it passes.
    pub fn apply(&mut self, signed: &SignedChange, trust: &TrustStore) -> Result<Applied, ApplyError> {
        if signed.doc != self.id {
            return Err(ApplyError::WrongDocument { expected: self.id.to_string(), got: signed.doc.to_string() });
        }
        let verified = verify(signed, trust)?;
        self.apply_verified(verified)
    }

    /// Applies a change that already passed [`verify`] for this document.
    pub fn apply_verified(&mut self, verified: Verified) -> Result<Applied, ApplyError> {
        let hash = verified.change.hash();
        if self.has_change(&hash) {
            return Ok(Applied::Duplicate);
        }
        let ready = verified.change.deps().iter().all(|d| self.has_change(d));
        // Automerge 0.12 panics on some malformed changes while applying them (found by
        // fuzzing; see crdt/tests/fuzz-crashers). A change gets here only once its author is
        // verified, but a certified key can still sign garbage: apply to a copy, behind
        // `catch_unwind`, and keep the copy only if all went well.
        let mut next = self.doc.clone();
        let change = verified.change;
        match catch_unwind(AssertUnwindSafe(move || next.apply_changes([change]).map(|()| next))) {
            Ok(Ok(next)) => self.doc = next,
            Ok(Err(e)) => return Err(ApplyError::Automerge(e.to_string())),
            Err(_) => return Err(ApplyError::Automerge("the change cannot be applied (malformed)".into())),
        }
        Ok(if ready && self.has_change(&hash) { Applied::New } else { Applied::Queued })
    }

    /// Makes a local change as `author` at time `at`, checks it as a receiver would, and returns
    /// it signed. On any error the document is left as it was.
    pub fn edit<F>(
        &mut self,
        author: &Author,
        at: Timestamp,
        trust: &TrustStore,
        f: F,
    ) -> Result<SignedChange, EditError>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    {
        let mut scratch = self.doc.fork();
        scratch.set_actor(author.actor());
        let mut tx = scratch.transaction();
        if let Err(e) = f(&mut tx) {
            tx.rollback();
            return Err(e.into());
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(at.0));
        let hash = hash.ok_or(EditError::Empty)?;
        let change = scratch
            .get_changes(&self.doc.get_heads())
            .into_iter()
            .find(|c| c.hash() == hash)
            .ok_or(EditError::Empty)?;
        let signed = SignedChange::sign(self.id.clone(), &change, &author.keypair);
        self.apply(&signed, trust)?;
        Ok(signed)
    }

    /// Every change in causal order (for sending to a peer that has nothing).
    pub fn changes(&self) -> Vec<automerge::Change> {
        self.doc.get_changes(&[])
    }

    /// The document as it stood before `at`: only the changes made (by their authors' clocks)
    /// before then, and only those whose every dependency is also in (an author whose clock ran
    /// backwards cannot pull a later change in). A month's reported figures are read from this
    /// view, so what is written after the month closed (a late entry, a correction, a void) is
    /// seen as late, never as a silent rewrite.
    pub fn as_of(&self, at: Timestamp) -> Document {
        let mut kept: HashSet<ChangeHash> = HashSet::new();
        let mut depended: HashSet<ChangeHash> = HashSet::new();
        for change in self.doc.get_changes(&[]) {
            if change.timestamp() < at.0 && change.deps().iter().all(|d| kept.contains(d)) {
                kept.insert(change.hash());
                depended.extend(change.deps().iter().copied());
            }
        }
        let heads: Vec<ChangeHash> = kept.difference(&depended).copied().collect();
        let doc = if heads.is_empty() {
            Automerge::new()
        } else {
            self.doc.fork_at(&heads).unwrap_or_else(|_| Automerge::new())
        };
        Document { id: self.id.clone(), doc, events_checked: Mutex::new(HashSet::new()) }
    }
}
