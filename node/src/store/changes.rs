//! Signed changes and heads: batched durable inserts, reads that check every record, and
//! removal of what the node no longer needs to hold.

use std::collections::{BTreeMap, HashSet};

use automerge::ChangeHash;
use sampark_crdt::verify::header;
use sampark_crdt::{DocId, SignedChange};
use sled::Batch;

use super::keys::{self, Key, change_prefix};
use super::record::{decode_change, decode_heads, encode_heads, seal, unseal};
use super::report::RecordKind;
use super::{Checked, Store, StoreError, damaged};

/// The key a change of `doc` is stored under, after checking it belongs there and its header
/// reads (which gives its hash without running Automerge's parser).
fn change_key(doc: &DocId, signed: &SignedChange) -> Result<Key, StoreError> {
    if &signed.doc != doc {
        return Err(StoreError::WrongDocument { expected: doc.clone(), got: signed.doc.clone() });
    }
    let header = header(&signed.change).map_err(|e| StoreError::Malformed { doc: doc.clone(), why: e.to_string() })?;
    Ok(Key::Change(doc.clone(), header.hash))
}

/// A key that sorts after every change key of `doc` and before any other document's:
/// `c\0<doc>\x01` (document IDs hold no byte below `\x01`).
fn after_document(doc: &DocId) -> Vec<u8> {
    let mut key = change_prefix(doc);
    key.pop();
    key.push(1);
    key
}

impl Store {
    /// Stores verified signed changes of `doc` and its new `heads`, in one atomic batch and one
    /// flush, and returns how many of the changes were new. Changes already stored are skipped
    /// (a damaged stored copy is replaced). Returns `Ok` only once the batch is durable.
    ///
    /// The store does not verify signatures: the caller must have verified every change (with
    /// [`sampark_crdt::verify()`]) before storing it. Changes that are not for `doc`, or whose
    /// Automerge header does not read, are refused and nothing is written.
    ///
    /// A change folded into the snapshot by [`Store::compact`] and then offered again is stored
    /// again as a record: apply changes to the [`sampark_crdt::Document`] first and store those
    /// it did not already have.
    pub fn insert_changes(
        &self,
        doc: &DocId,
        changes: &[SignedChange],
        heads: &[ChangeHash],
    ) -> Result<usize, StoreError> {
        let mut batch = Batch::default();
        let mut new = HashSet::new();
        for signed in changes {
            let key = change_key(doc, signed)?.encode();
            if new.contains(&key) || self.holds_good(&key)? {
                continue;
            }
            batch.insert(key.clone(), seal(&key, &signed.encode()));
            new.insert(key);
        }
        let heads_key = Key::Heads(doc.clone()).encode();
        batch.insert(heads_key.clone(), seal(&heads_key, &encode_heads(heads)));
        self.write(batch, "store changes")?;
        Ok(new.len())
    }

    /// True when a record is stored under `raw` and its checksum holds.
    fn holds_good(&self, raw: &[u8]) -> Result<bool, StoreError> {
        let value = self.tree.get(raw).map_err(self.fail("read a change"))?;
        Ok(value.is_some_and(|v| unseal(raw, &v).is_ok()))
    }

    /// Every stored change of `doc`, in hash order (not causal order), each checked against its
    /// key; damaged ones are removed and listed. Changes folded into the snapshot by
    /// [`Store::compact`] are not here.
    pub fn changes(&self, doc: &DocId) -> Result<Checked<Vec<SignedChange>>, StoreError> {
        let read = self.hashed_changes(doc)?;
        Ok(Checked { value: read.value.into_iter().map(|(_, signed)| signed).collect(), damaged: read.damaged })
    }

    /// Every stored change of `doc` with its hash, checked as [`Store::changes`] does.
    pub(crate) fn hashed_changes(&self, doc: &DocId) -> Result<Checked<Vec<(ChangeHash, SignedChange)>>, StoreError> {
        self.scan(&change_prefix(doc), |key, payload| match key {
            Key::Change(doc, hash) => Ok((*hash, decode_change(doc, hash, payload)?)),
            _ => Err("not a change key".into()),
        })
    }

    /// The hashes of every stored change of `doc` (checksums checked, changes not parsed).
    pub fn change_hashes(&self, doc: &DocId) -> Result<Checked<Vec<ChangeHash>>, StoreError> {
        self.scan(&change_prefix(doc), |key, _| match key {
            Key::Change(_, hash) => Ok(*hash),
            _ => Err("not a change key".into()),
        })
    }

    /// The stored change of `doc` with this hash. A damaged record is removed and reported as
    /// [`StoreError::Damaged`].
    pub fn change(&self, doc: &DocId, hash: &ChangeHash) -> Result<Option<SignedChange>, StoreError> {
        self.get(&Key::Change(doc.clone(), *hash), |p| decode_change(doc, hash, p))
    }

    /// True when the change is stored as a record (its checksum checked; a damaged record is
    /// removed and reported as [`StoreError::Damaged`]). A change folded into the snapshot by
    /// [`Store::compact`] is answered by [`Store::document`] instead.
    pub fn has_change(&self, doc: &DocId, hash: &ChangeHash) -> Result<bool, StoreError> {
        Ok(self.get(&Key::Change(doc.clone(), *hash), |_| Ok(()))?.is_some())
    }

    /// The heads last stored for `doc` by [`Store::insert_changes`], if any. A damaged record is
    /// removed and reported as [`StoreError::Damaged`].
    pub fn heads(&self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        self.get(&Key::Heads(doc.clone()), decode_heads)
    }

    /// How many signed change records are stored (reads keys only).
    pub fn change_count(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        for key in self.tree.scan_prefix(super::keys::prefix(RecordKind::Change)).keys() {
            key.map_err(self.fail("count the changes"))?;
            count += 1;
        }
        Ok(count)
    }

    /// Every document with stored changes, heads or a snapshot, sorted by ID. Reads keys only
    /// (one seek per document for changes); keys that do not parse are removed and listed.
    pub fn doc_ids(&self) -> Result<Checked<Vec<DocId>>, StoreError> {
        let mut docs = BTreeMap::new();
        let mut found = Vec::new();
        for kind in [RecordKind::Heads, RecordKind::Snapshot] {
            for item in self.tree.scan_prefix(keys::prefix(kind)) {
                let (raw, value) = item.map_err(self.fail("list documents"))?;
                match Key::parse(&raw) {
                    Ok(key) => docs.extend(key.doc().map(|d| (d.to_string(), d.clone()))),
                    Err(why) => found.push((damaged(&raw, why), raw, value)),
                }
            }
        }
        self.change_documents(&mut docs, &mut found)?;
        let damaged = self.remove_damaged(found)?;
        Ok(Checked { value: docs.into_values().collect(), damaged })
    }

    /// Adds the documents that have change records, seeking past each document's changes.
    fn change_documents(
        &self,
        docs: &mut BTreeMap<String, DocId>,
        found: &mut Vec<(super::Damaged, sled::IVec, sled::IVec)>,
    ) -> Result<(), StoreError> {
        let prefix = keys::prefix(RecordKind::Change);
        let mut start = prefix.to_vec();
        while let Some(item) = self.tree.range(start.clone()..).next() {
            let (raw, value) = item.map_err(self.fail("list documents"))?;
            if !raw.starts_with(prefix) {
                break;
            }
            match Key::parse(&raw) {
                Ok(Key::Change(doc, _)) => {
                    start = after_document(&doc);
                    docs.insert(doc.to_string(), doc);
                }
                parsed => {
                    start = raw.to_vec();
                    start.push(0);
                    let why = parsed.err().unwrap_or_else(|| "not a change key".into());
                    found.push((damaged(&raw, why), raw, value));
                }
            }
        }
        Ok(())
    }

    /// Removes the stored changes of `doc` with these hashes (e.g. carried changes a receipt
    /// shows arrived upstream), durably. Returns how many were stored.
    pub fn remove_changes(&self, doc: &DocId, hashes: &[ChangeHash]) -> Result<usize, StoreError> {
        let mut batch = Batch::default();
        let mut removed = 0;
        for hash in hashes {
            let key = Key::Change(doc.clone(), *hash).encode();
            if self.tree.contains_key(&key).map_err(self.fail("read a change"))? {
                batch.remove(key);
                removed += 1;
            }
        }
        self.write(batch, "remove changes")?;
        Ok(removed)
    }

    /// Removes everything stored for `doc` (changes, heads, snapshot), durably, in one batch.
    /// Returns how many records were removed.
    pub fn remove_document(&self, doc: &DocId) -> Result<usize, StoreError> {
        let mut batch = Batch::default();
        let mut removed = 0;
        for item in self.tree.scan_prefix(change_prefix(doc)).keys() {
            batch.remove(item.map_err(self.fail("read a change"))?);
            removed += 1;
        }
        for key in [Key::Heads(doc.clone()), Key::Snapshot(doc.clone())] {
            let key = key.encode();
            if self.tree.contains_key(&key).map_err(self.fail("read a document"))? {
                batch.remove(key);
                removed += 1;
            }
        }
        self.write(batch, "remove a document")?;
        Ok(removed)
    }
}
