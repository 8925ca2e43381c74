//! The node's durable storage, on sled 0.34.
//!
//! A [`Store`] keeps, in one directory, everything a node must not lose: the signed changes of
//! every document it holds or carries and each document's heads, compacted snapshots,
//! certificates and revocations, small metadata (the persisted hybrid logical clock, the install
//! nonce), each peer's sync state and receipts. It is one sled database with all records in one
//! tree, so that a logical write (changes plus heads, a snapshot plus the deletion of the changes
//! it folds in) is one atomic `sled::Batch`.
//!
//! # Durability
//!
//! **Every method that writes returns `Ok` only after the write is durable**: sled's `flush`
//! succeeded, followed by an `fdatasync` of sled's data file. A caller may acknowledge a write
//! (to a person, to the CLI or API, to a peer) as soon as the call returns, and not before.
//! [`Store::insert_changes`] takes many changes at once so that they cost one flush.
//!
//! What that covers: sled 0.34's flush writes its log with `pwrite` and, on Linux, waits with
//! `sync_file_range`, which syncs neither the file's size nor the disk's write cache; the added
//! `fdatasync` does both. A process crash (kill -9) loses nothing acknowledged:
//! `tests/store_crash.rs` kills a writer 200 times and finds every acknowledged change (see the
//! figures below). A power cut is covered as far as `fdatasync` reaches, with one gap that is
//! sled's: a page over a quarter of a segment (128 KiB by default; here only a very large
//! snapshot) goes to a separate blob file that sled never syncs.
//!
//! # Integrity
//!
//! Every value is stored as `checksum || payload`, the checksum being the first 8 bytes of
//! SHA-256 over a domain tag, the key and the payload. SHA-256 because `sha2` is already here
//! and 64 bits make an undetected random corruption a 2^-64 event against CRC32's 2^-32; and
//! because the key is hashed in, a record written under the wrong key fails too. The time it
//! takes is small beside the flush. sled checks its own log with CRC32; this checksum catches
//! what gets past that: a bug, a writer that went round the store, memory damage before a write.
//!
//! Beyond the checksum, each record's content must match its key: a change must decode, belong
//! to the document in its key and hash to the hash in its key; a certificate or revocation must
//! decode to the ID in its key; heads must be whole hashes; a snapshot must load.
//!
//! A damaged record is never returned as good data. Reads that scan return [`Checked`] (the good
//! records plus the [`Damaged`] ones); reads of one record return [`StoreError::Damaged`]. Either
//! way the damaged record has been removed (compare-and-swap, so a concurrent rewrite survives)
//! and the report names its document, so the node can fetch it again from a peer at its next
//! contact. [`Store::check`] scans everything this way.
//!
//! # Key layout
//!
//! | key | value (after the checksum) |
//! |---|---|
//! | `v\0` | the store format, [`FORMAT`], as a big-endian `u32` |
//! | `c\0<doc id>\0<32-byte change hash>` | a [`sampark_crdt::SignedChange`], encoded |
//! | `h\0<doc id>` | the document's heads, 32 bytes each |
//! | `s\0<doc id>` | the document's compacted Automerge save (snapshot) |
//! | `t\0c\0<certificate id>` | a [`sampark_crdt::Certificate`], encoded |
//! | `t\0r\0<revocation id>` | a [`sampark_crdt::Revocation`], encoded (ID: 8 bytes of SHA-256, hex) |
//! | `m\0<name>` | metadata, opaque |
//! | `p\0<peer key, 64 hex digits>` | a peer's sync state, opaque |
//! | `r\0<caller's key>` | a receipt, opaque |
//!
//! Document IDs contain no `\0`, so `c\0<doc id>\0` selects exactly one document's changes.
//!
//! # Assumptions
//!
//! - One process owns the directory. sled 0.34 takes an exclusive `flock` on `<dir>/db` when it
//!   opens (fs2's `try_lock_exclusive`) and refuses a second opener, in another process or in
//!   this one; [`Store::open`] reports that as [`StoreError::Locked`]. The lock goes with the
//!   process, so a killed node's store opens again at once.
//! - The caller verifies. The store checks that a change parses and belongs to its document,
//!   never its signature or its author's rights: only changes that passed
//!   [`sampark_crdt::verify()`] may be given to [`Store::insert_changes`], and certificates and
//!   revocations the caller's trust store accepted.
//! - One writer at a time (the node's actor). Concurrent writers lose nothing, but may miscount
//!   what [`Store::insert_changes`] reports as new.
//!
//! # Space
//!
//! [`Store::compact`] folds a document's changes into its snapshot and deletes the change
//! records the caller no longer needs. sled 0.34 gives little of that space back: it reuses
//! freed space for later writes but rarely shrinks its file, and its background cleaner barely
//! touches segments that are still partly live. Measured with
//! `cargo test -p sampark-node --test store compaction_brings -- --nocapture` (200 documents:
//! 100 growth registers of 30 entries, 50 attendance registers of 40, 50 tickets of 6 events;
//! 5,300 signed changes, 2.06 MB; compacted saves 185 KB in all):
//!
//! | | disk use | ÷ compacted saves |
//! |---|---|---|
//! | before compaction | 6.4–7.0 MB | 34–38x |
//! | after compaction, settled 3 s and reopened | 7.3–7.9 MB | 40–43x |
//! | the same records copied into a fresh sled database | 0.63 MB | 3.4x |
//!
//! (The first two vary from run to run with sled's background work.)
//! So sled 0.34 does not meet the goal of 2x. Automerge's saves are very small beside the
//! signed changes they fold in (here 1/11), so any store holding signed changes is far above
//! it until they are gone, and sled keeps the space they took. A side experiment with the same
//! data found: sled with its `compression` feature (zstd) in a fresh copy, 1.9–2.1x; redb 2
//! after `Database::compact`, 4–6x (4 KiB pages). What would reach 2x: rewriting the store into
//! a fresh directory after compaction (export/import, switched in by renaming a pointer file)
//! with sled's compression on, or keeping snapshots out of the key-value store in an
//! append-only pack file that compaction rewrites.
//!
//! # Example
//!
//! ```
//! use sampark_crdt::register::{self, Entry, GrowthMeasurement, Position};
//! use sampark_crdt::{Author, CertificateBody, DocId, Document, Hlc, Keypair, Role, Scope, Timestamp, TrustStore};
//! use sampark_node::store::Store;
//!
//! let root = Keypair::from_secret([1; 32]);
//! let sevika = Author::new(Keypair::from_secret([2; 32]), [0; 8]);
//! let mut trust = TrustStore::new(root.public());
//! let cert = |subject, role, scope: &str| CertificateBody {
//!     subject, role, scope: Scope::parse(scope).unwrap(), not_before: Timestamp(0), not_after: Timestamp(1 << 45),
//! };
//! trust.add_certificate(cert(root.public(), Role::StateHub, "BR").sign(&root).unwrap()).unwrap();
//! trust.add_certificate(cert(sevika.public(), Role::Sevika, "BR/DBG/P07/S03/A0412").sign(&root).unwrap()).unwrap();
//!
//! let id = DocId::parse("BR/DBG/P07/S03/A0412:growth/2026-11").unwrap();
//! let mut doc = Document::new(id.clone());
//! let weighed = Entry::Growth(GrowthMeasurement {
//!     child: "0a1b2c3d-1767225600000-0".into(), date: "2026-11-03".into(), weight_kg: 9.4,
//!     height_cm: Some(76.5), position: Some(Position::Lying), muac_mm: Some(128), oedema: false,
//! });
//! let hlc = Hlc::default().tick(Timestamp(1_793_700_000_000));
//! let (_, change) = register::record(&mut doc, &sevika, hlc, &weighed, &trust).unwrap();
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path()).unwrap();
//! assert_eq!(store.insert_changes(&id, &[change], &doc.heads()).unwrap(), 1);
//! // Durable now: acknowledge it. Closed and opened again, the document is all there.
//! drop(store);
//! let store = Store::open(dir.path()).unwrap();
//! let read = store.document(&id).unwrap();
//! assert!(read.is_clean());
//! assert_eq!(register::entries(&read.value)[0].entry, weighed);
//! assert!(store.check().unwrap().is_clean());
//! ```

mod changes;
mod check;
mod documents;
mod error;
mod keys;
mod opaque;
mod record;
mod report;
mod trust;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sled::{Batch, IVec};

pub use error::StoreError;
pub use opaque::{PeerState, Receipt};
pub use report::{Checked, CompactReport, Damaged, IntegrityReport, RecordKind};

use keys::Key;
use record::{seal, unseal};

/// The store format this build writes and reads.
pub const FORMAT: u32 = 1;
/// The name of the sled tree that holds every record.
const TREE: &[u8] = b"sampark";

/// The node's store: one sled database in one directory, every record in one tree.
///
/// Cloning is cheap and shares the database. Every method that writes returns `Ok` only once
/// the write is durable (see the module docs).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    /// sled's data file, opened again so that a flush can end with `fdatasync` (sled 0.34's own
    /// flush uses `sync_file_range` on Linux, which neither syncs metadata nor the disk's cache).
    data_file: Arc<File>,
    dir: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir)
}

fn open_error(dir: &Path, source: sled::Error) -> StoreError {
    let dir = dir.to_path_buf();
    match source {
        // sled 0.34 reports a held lock (fs2's `try_lock_exclusive`) as an `Io` error of kind
        // `Other` with this text.
        sled::Error::Io(ref e) if e.to_string().contains("could not acquire lock") => StoreError::Locked { dir },
        sled::Error::Corruption { .. } => StoreError::Corrupt { dir, source },
        source => StoreError::Open { dir, source },
    }
}

/// How long [`Store::open`] waits for a lock that is being released, and how often it looks.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(20);

impl Store {
    /// Opens (or creates) the store in `dir`. Fails with [`StoreError::Locked`] while another
    /// `Store` has the same directory open, in this process or another.
    ///
    /// sled releases its file lock from a background thread a moment after the last handle is
    /// dropped, so a store closed and reopened at once can find it still held: a held lock is
    /// waited for, up to 2 s, before [`StoreError::Locked`] is reported.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let mut waited = std::time::Duration::ZERO;
        let db = loop {
            match sled_config(dir).open().map_err(|e| open_error(dir, e)) {
                Err(StoreError::Locked { .. }) if waited < LOCK_WAIT => {
                    std::thread::sleep(LOCK_POLL);
                    waited += LOCK_POLL;
                }
                other => break other?,
            }
        };
        let tree = db.open_tree(TREE).map_err(|e| open_error(dir, e))?;
        let data_file = File::open(dir.join("db")).map_err(|e| open_error(dir, sled::Error::Io(e)))?;
        let store = Store { db, tree, data_file: Arc::new(data_file), dir: dir.to_path_buf() };
        store.check_format()?;
        Ok(store)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes the store's files take on disk, as sled counts them (`size_on_disk`: its data file
    /// and blobs, not its small `conf` and `snap.*` files).
    pub fn disk_usage(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(self.fail("measure disk use"))
    }

    /// The sled tree that holds every record, for tests that damage records on purpose.
    #[doc(hidden)]
    pub fn raw_tree(&self) -> &sled::Tree {
        &self.tree
    }

    /// Writes the format record into a new store, or checks the one found.
    fn check_format(&self) -> Result<(), StoreError> {
        let key = Key::Format.encode();
        let found = self.tree.get(&key).map_err(self.fail("read the format"))?;
        let version = found.as_deref().and_then(|v| unseal(&key, v).ok()).and_then(|p| record::decode_format(p).ok());
        match version {
            Some(FORMAT) => Ok(()),
            Some(found) => Err(StoreError::Format { dir: self.dir.clone(), found, expected: FORMAT }),
            // New, or the record was damaged: only one format exists, so write it (again).
            None => self.put(&Key::Format, &FORMAT.to_be_bytes(), "write the format"),
        }
    }

    /// Maps a sled error to a [`StoreError::Disk`] naming what was being done.
    fn fail(&self, action: &'static str) -> impl FnOnce(sled::Error) -> StoreError + '_ {
        move |source| StoreError::Disk { action, dir: self.dir.clone(), source }
    }

    /// Makes every write so far durable: sled's flush, then `fdatasync` of its data file.
    fn durable(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(self.fail("flush"))?;
        self.data_file.sync_data().map_err(|e| self.fail("sync")(sled::Error::Io(e)))
    }

    /// Applies `batch` atomically and makes it durable.
    fn write(&self, batch: Batch, action: &'static str) -> Result<(), StoreError> {
        self.tree.apply_batch(batch).map_err(self.fail(action))?;
        self.durable()
    }

    /// Writes one record and makes it durable.
    fn put(&self, key: &Key, payload: &[u8], action: &'static str) -> Result<(), StoreError> {
        let key = key.encode();
        let value = seal(&key, payload);
        self.tree.insert(key, value).map_err(self.fail(action))?;
        self.durable()
    }

    /// Reads one record and decodes it; a damaged one is removed and reported as
    /// [`StoreError::Damaged`].
    fn get<T>(&self, key: &Key, decode: impl FnOnce(&[u8]) -> Result<T, String>) -> Result<Option<T>, StoreError> {
        let raw = key.encode();
        let Some(value) = self.tree.get(&raw).map_err(self.fail("read"))? else { return Ok(None) };
        match unseal(&raw, &value).and_then(decode) {
            Ok(v) => Ok(Some(v)),
            Err(why) => {
                let damaged = Damaged { key: raw.clone(), kind: key.kind(), doc: key.doc().cloned(), why };
                self.discard(vec![(raw, value)])?;
                Err(StoreError::Damaged(damaged))
            }
        }
    }

    /// Reads every record under `prefix`, decoding each with its parsed key; damaged ones are
    /// removed and listed.
    fn scan<T>(
        &self,
        prefix: &[u8],
        mut decode: impl FnMut(&Key, &[u8]) -> Result<T, String>,
    ) -> Result<Checked<Vec<T>>, StoreError> {
        let mut value = Vec::new();
        let mut found = Vec::new();
        for item in self.tree.scan_prefix(prefix) {
            let (raw, stored) = item.map_err(self.fail("read"))?;
            match Key::parse(&raw).and_then(|key| decode(&key, unseal(&raw, &stored)?)) {
                Ok(v) => value.push(v),
                Err(why) => found.push((damaged(&raw, why), raw, stored)),
            }
        }
        let damaged = self.remove_damaged(found)?;
        Ok(Checked { value, damaged })
    }

    /// Removes damaged records found by a scan, and returns their reports.
    fn remove_damaged(&self, found: Vec<(Damaged, IVec, IVec)>) -> Result<Vec<Damaged>, StoreError> {
        let (reports, records): (Vec<_>, Vec<_>) = found.into_iter().map(|(d, k, v)| (d, (k.to_vec(), v))).unzip();
        self.discard(records)?;
        Ok(reports)
    }

    /// Removes records that were read damaged, unless they were rewritten since (compare and
    /// swap), and makes the removal durable.
    fn discard(&self, records: Vec<(Vec<u8>, IVec)>) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        for (key, old) in records {
            // Err(CompareAndSwapError): someone rewrote it meanwhile; leave their value.
            let _ = self.tree.compare_and_swap(key, Some(old), None::<&[u8]>).map_err(self.fail("remove"))?;
        }
        self.durable()
    }
}

/// The report for a damaged record under `raw`.
fn damaged(raw: &[u8], why: String) -> Damaged {
    Damaged { key: raw.to_vec(), kind: keys::kind_of(raw), doc: keys::doc_of(raw), why }
}

/// The stored form of `payload` under the raw key `key`, for tests that write records directly.
#[doc(hidden)]
pub fn sealed(key: &[u8], payload: &[u8]) -> Vec<u8> {
    seal(key, payload)
}
