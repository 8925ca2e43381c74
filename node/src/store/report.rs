//! What the store tells its caller about damage: [`Damaged`] records, the [`Checked`] result of
//! every read that scans, and the reports of [`Store::check`](super::Store::check) and
//! [`Store::compact`](super::Store::compact).
//!
//! A damaged record is never handed out as good data. It is removed when it is found, so the
//! node can fetch it again from a peer at its next contact; the report names the document it
//! belonged to (when its key still shows one) so the caller knows what to ask for.

use std::collections::BTreeSet;
use std::fmt;

use sampark_crdt::DocId;

use super::keys::printable;

/// The kinds of record the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RecordKind {
    /// The store's format version.
    Format,
    /// A signed change of a document.
    Change,
    /// A document's current heads.
    Heads,
    /// A document's compacted Automerge save.
    Snapshot,
    /// A certificate.
    Certificate,
    /// A revocation.
    Revocation,
    /// Small metadata under a name.
    Meta,
    /// One peer's sync state.
    PeerState,
    /// A receipt.
    Receipt,
    /// A key in no namespace this store writes.
    Unknown,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 10] = [
        RecordKind::Format,
        RecordKind::Change,
        RecordKind::Heads,
        RecordKind::Snapshot,
        RecordKind::Certificate,
        RecordKind::Revocation,
        RecordKind::Meta,
        RecordKind::PeerState,
        RecordKind::Receipt,
        RecordKind::Unknown,
    ];

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Format => "format",
            RecordKind::Change => "change",
            RecordKind::Heads => "heads",
            RecordKind::Snapshot => "snapshot",
            RecordKind::Certificate => "certificate",
            RecordKind::Revocation => "revocation",
            RecordKind::Meta => "metadata",
            RecordKind::PeerState => "peer state",
            RecordKind::Receipt => "receipt",
            RecordKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A record that failed its checksum or whose content does not match its key. It has been
/// removed from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The raw sled key of the record.
    pub key: Vec<u8>,
    /// What kind of record the key's namespace says it was.
    pub kind: RecordKind,
    /// The document it belonged to, when the key still names one.
    pub doc: Option<DocId>,
    /// What was wrong.
    pub why: String,
}

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "damaged {} record {}: {} (removed", self.kind, printable(&self.key), self.why)?;
        match &self.doc {
            Some(doc) => write!(f, "; fetch {doc} again from a peer)"),
            None => f.write_str(")"),
        }
    }
}

/// The result of a read that scans several records: what was good, and what was damaged (and
/// has been removed). A caller that ignores `damaged` still never sees damaged data, but should
/// ask a peer for the documents named there.
#[derive(Debug, Clone)]
#[must_use = "a read may have found damaged records that need fetching again"]
pub struct Checked<T> {
    /// The good records.
    pub value: T,
    /// The damaged records found and removed.
    pub damaged: Vec<Damaged>,
}

impl<T> Checked<T> {
    /// True when nothing damaged was found.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }

    /// The documents some damaged record belonged to.
    pub fn damaged_documents(&self) -> BTreeSet<DocId> {
        documents(&self.damaged)
    }
}

fn documents(damaged: &[Damaged]) -> BTreeSet<DocId> {
    damaged.iter().filter_map(|d| d.doc.clone()).collect()
}

/// What [`Store::check`](super::Store::check) found.
#[derive(Debug, Clone, Default)]
pub struct IntegrityReport {
    /// How many records were read.
    pub records: u64,
    /// The damaged records found (and removed).
    pub damaged: Vec<Damaged>,
}

impl IntegrityReport {
    /// True when nothing damaged was found.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }

    /// The documents to fetch again from a peer.
    pub fn damaged_documents(&self) -> BTreeSet<DocId> {
        documents(&self.damaged)
    }
}

/// What [`Store::compact`](super::Store::compact) did to one document.
#[derive(Debug, Clone, Default)]
pub struct CompactReport {
    /// Size of the snapshot written (the compacted Automerge save), in bytes; 0 when the
    /// document was empty and nothing was written.
    pub snapshot_len: usize,
    /// Change records deleted (their changes are in the snapshot).
    pub removed: usize,
    /// Change records kept (the caller still needs them, or they are not in the document yet).
    pub kept: usize,
    /// Damaged records found (and removed) while the document was rebuilt.
    pub damaged: Vec<Damaged>,
}

/// What [`Store::rewrite`](super::Store::rewrite) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Records copied into the new generation.
    pub records: usize,
    /// Bytes on disk before.
    pub before: u64,
    /// Bytes on disk after.
    pub after: u64,
    /// Snapshots found damaged on the way, left out (fetch their documents again).
    pub damaged: Vec<Damaged>,
}
