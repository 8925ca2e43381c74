//! Documents: snapshots, rebuilding a [`Document`] from what is stored, and compaction.
//!
//! A document is stored as an optional snapshot (its compacted Automerge save) plus the signed
//! change records not yet folded into it. [`Store::document`] loads the snapshot followed by
//! every stored change in one Automerge load, which takes time linear in the document. Only when
//! that fails, or leaves a change out (one waits for a missing dependency), does it go change by
//! change, to find and remove what cannot be used; [`Document::apply_verified`] copies the
//! document for each change, so that path takes time quadratic in the number of changes.
//!
//! Stored changes are applied without verifying their signatures again. They were verified when
//! they arrived (the caller's contract with [`Store::insert_changes`]), and what is read back is
//! bit for bit what was stored: its checksum holds and its hash is the one in its key, and the
//! signature covers exactly that hash. Verifying again would cost a signature check per change
//! at every load and would add nothing against damage; worse, judged against a trust store that
//! has since learned of a revocation, it would silently drop a change every peer accepted, and
//! strand the changes that depend on it. What to do about changes of a key revoked after the
//! fact is a policy of the node, not of loading.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::ChangeHash;
use sampark_crdt::verify::{Verified, parse_change};
use sampark_crdt::{DocId, Document, PublicKey, SignedChange, Timestamp};
use sled::Batch;

use super::keys::{Key, change_prefix};
use super::record::{decode_snapshot, seal};
use super::{Checked, CompactReport, Damaged, Store, StoreError, pack};

/// A stored (so already verified) change, in the form [`Document::apply_verified`] takes.
/// `events` is left empty: applying uses only the change.
fn stored_change(doc: &DocId, change: automerge::Change) -> Verified {
    let author = PublicKey::of_actor(change.actor_id()).unwrap_or(PublicKey([0; 32]));
    let at = Timestamp(change.timestamp());
    Verified { doc: doc.clone(), change, author, at, events: Vec::new() }
}

/// Applies a stored change to `document`.
fn apply_stored(document: &mut Document, signed: &SignedChange) -> Result<(), String> {
    let change = parse_change(&signed.change).map_err(|e| format!("the change does not parse: {e}"))?;
    let verified = stored_change(document.id(), change);
    document.apply_verified(verified).map(drop).map_err(|e| format!("the document refuses it: {e}"))
}

/// The snapshot and every stored change in one Automerge load; `None` when that fails or leaves
/// a change out. Automerge's loader is guarded against panics as the crdt crate guards applying.
fn load_whole(doc: &DocId, snapshot: Option<&[u8]>, changes: &[(ChangeHash, SignedChange)]) -> Option<Document> {
    let mut bytes = snapshot.map(<[u8]>::to_vec).unwrap_or_default();
    for (_, signed) in changes {
        bytes.extend_from_slice(&signed.change);
    }
    let document = catch_unwind(AssertUnwindSafe(|| Document::load(doc.clone(), &bytes))).ok()?.ok()?;
    changes.iter().all(|(hash, _)| document.has_change(hash)).then_some(document)
}

impl Store {
    /// Stores `document`'s compacted Automerge save as its snapshot, durably. Change records
    /// stay; see [`Store::compact`] to fold them in.
    pub fn put_snapshot(&self, document: &Document) -> Result<(), StoreError> {
        self.put(&Key::Snapshot(document.id().clone()), &pack::inline(&document.save()), "store a snapshot")
    }

    /// The save a snapshot record's payload holds or points at in the pack file, checked.
    pub(super) fn snapshot_save(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        pack::resolve(payload, self.pack.as_ref())
    }

    /// The stored snapshot of `doc` (checksum checked), and the report if it was damaged.
    fn snapshot(&self, doc: &DocId) -> Result<(Option<Vec<u8>>, Option<Damaged>), StoreError> {
        match self.get(&Key::Snapshot(doc.clone()), |p| self.snapshot_save(p)) {
            Ok(found) => Ok((found, None)),
            Err(StoreError::Damaged(d)) => Ok((None, Some(d))),
            Err(e) => Err(e),
        }
    }

    /// The document rebuilt from its snapshot (if any) and every stored change not in it; an
    /// empty document when nothing is stored. Damaged records are left out, removed and listed;
    /// so are a snapshot that does not load and a stored change the document refuses (it cannot
    /// have been applied when it arrived). Changes whose dependencies are missing stay queued
    /// inside the document, as on arrival.
    pub fn document(&self, doc: &DocId) -> Result<Checked<Document>, StoreError> {
        let (snapshot, snapshot_damage) = self.snapshot(doc)?;
        let read = self.hashed_changes(doc)?;
        let mut damaged: Vec<Damaged> = snapshot_damage.into_iter().chain(read.damaged).collect();
        if let Some(document) = load_whole(doc, snapshot.as_deref(), &read.value) {
            return Ok(Checked { value: document, damaged });
        }
        let mut unusable = Vec::new();
        let mut document = match snapshot.as_deref().map(|s| decode_snapshot(doc, s)) {
            Some(Ok(document)) => document,
            Some(Err(why)) => {
                let key = Key::Snapshot(doc.clone()).encode();
                unusable.push((super::damaged(&key, why), key));
                Document::new(doc.clone())
            }
            None => Document::new(doc.clone()),
        };
        for (hash, signed) in read.value {
            if document.has_change(&hash) {
                continue;
            }
            if let Err(why) = apply_stored(&mut document, &signed) {
                let key = Key::Change(doc.clone(), hash).encode();
                unusable.push((super::damaged(&key, why), key));
            }
        }
        damaged.extend(self.remove_unusable(unusable)?);
        Ok(Checked { value: document, damaged })
    }

    /// Removes records whose checksum held but that cannot be used.
    fn remove_unusable(&self, unusable: Vec<(Damaged, Vec<u8>)>) -> Result<Vec<Damaged>, StoreError> {
        let mut found = Vec::new();
        for (report, key) in unusable {
            if let Some(value) = self.tree.get(&key).map_err(self.fail("read a record"))? {
                found.push((report, sled::IVec::from(key), value));
            }
        }
        self.remove_damaged(found)
    }

    /// Compacts `doc`: writes its compacted Automerge save as its snapshot and deletes the change
    /// records for which `keep` returns false (the caller keeps those it must still forward,
    /// e.g. not yet receipted upstream), in one atomic batch, durably. The document rebuilt
    /// afterwards equals the one before.
    ///
    /// A deleted change survives only inside the snapshot, which carries no signatures: this node
    /// can no longer send it to a peer that verifies. Keep what anyone may still need from here.
    /// Records of changes not in the document (waiting for dependencies) are always kept. When
    /// `keep` keeps every record and a snapshot exists, nothing is written.
    pub fn compact(&self, doc: &DocId, keep: impl Fn(&ChangeHash) -> bool) -> Result<CompactReport, StoreError> {
        let snapshot_key = Key::Snapshot(doc.clone()).encode();
        let hashes = self.change_keys(doc)?;
        let has_snapshot = self.tree.contains_key(&snapshot_key).map_err(self.fail("read a snapshot"))?;
        if has_snapshot && hashes.iter().all(|(_, h)| keep(h)) {
            // Nothing to fold in: the snapshot stands as it is.
            return Ok(CompactReport { kept: hashes.len(), ..CompactReport::default() });
        }
        let read = self.document(doc)?;
        let document = read.value;
        let mut report = CompactReport { damaged: read.damaged, ..CompactReport::default() };
        if document.heads().is_empty() && hashes.is_empty() {
            return Ok(report);
        }
        let save = document.save();
        let mut batch = Batch::default();
        batch.insert(snapshot_key.clone(), seal(&snapshot_key, &pack::inline(&save)));
        for (key, hash) in hashes {
            if document.has_change(&hash) && !keep(&hash) {
                batch.remove(key);
                report.removed += 1;
            } else {
                report.kept += 1;
            }
        }
        self.write(batch, "compact a document")?;
        report.snapshot_len = save.len();
        Ok(report)
    }

    /// The raw keys and hashes of `doc`'s change records (keys that do not parse are skipped;
    /// [`Store::check`] reports them).
    fn change_keys(&self, doc: &DocId) -> Result<Vec<(sled::IVec, ChangeHash)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(change_prefix(doc)).keys() {
            let raw = item.map_err(self.fail("read a change"))?;
            if let Ok(Key::Change(_, hash)) = Key::parse(&raw) {
                out.push((raw, hash));
            }
        }
        Ok(out)
    }
}
