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
//! figures below), including kills in the middle of a rewrite. A power cut is covered as far
//! as `fdatasync` reaches; sled puts a value over a quarter of a segment (16 KiB) in a separate
//! blob file that it never syncs, so the store syncs those files too (there are few).
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
//! - sled 0.34 writes a snapshot of its page table as `snap.<lsn>.generating`, syncs it and
//!   renames it; but when it opens, it reads the newest `snap.*` file, that one included. A
//!   process killed while sled was writing one left a database sled then refused as corrupt
//!   (found by `tests/store_crash.rs`). A snapshot only speeds up sled's start (it replays its
//!   log from the newest complete one), so [`Store::open`] removes an unfinished one first.
//! - The caller verifies. The store checks that a change parses and belongs to its document,
//!   never its signature or its author's rights: only changes that passed
//!   [`sampark_crdt::verify()`] may be given to [`Store::insert_changes`], and certificates and
//!   revocations the caller's trust store accepted.
//! - One writer at a time (the node's actor). Concurrent writers lose nothing, but may miscount
//!   what [`Store::insert_changes`] reports as new.
//!
//! # Directory and space
//!
//! The directory holds a lock file, a `CURRENT` file naming the live generation, and the
//! generation itself: a sled database (zstd compression on, 64 KiB segments) and, once the
//! store has been rewritten, a pack file of snapshots ([`pack`]). See [`generation`].
//!
//! [`Store::compact`] folds a document's changes into its snapshot and deletes the change
//! records the caller no longer needs; [`Store::rewrite`] then copies what is live into a new
//! generation and switches to it. Both are needed: sled 0.34 reuses the space of deleted records
//! but rarely shrinks its file, so compaction alone leaves the files as large as before, and
//! sled keeps a large value in about twice its size (its log holds several versions of a tree
//! node until the segment is cleaned), which is why the rewrite moves snapshots into the pack.
//! Measured with `cargo test -p sampark-node --test store compaction_brings -- --nocapture`
//! (200 documents: 100 growth registers of 30 entries, 50 attendance registers of 40, 50
//! tickets of 6 events; 5,300 signed changes, 2.06 MB; compacted saves 185 KB in all), with
//! every change folded in (as on a phone once a relay's receipts cover them):
//!
//! | | disk use | ÷ compacted saves |
//! |---|---|---|
//! | every signed change stored | 2.6–2.9 MB | 14–16x |
//! | after compaction (snapshots written, changes deleted) | 2.9–3.0 MB | 16x |
//! | after the rewrite, and reopened (every file of the directory) | 0.25 MB | 1.36x |
//!
//! Before the generations, the pack and compression (one sled database with its defaults), the
//! same data took 40–43x after compaction, and 3.4x copied into a fresh database.
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
//!     programme: Default::default(),
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
mod generation;
mod keys;
mod opaque;
mod pack;
mod record;
mod report;
mod trust;

use std::fs::File;
use std::path::{Path, PathBuf};

use sled::{Batch, IVec};

pub use error::StoreError;
pub use opaque::{PeerState, Receipt};
pub use report::{Checked, CompactReport, Damaged, IntegrityReport, RecordKind, Rewritten};

use generation::Layout;
use keys::Key;
use record::{seal, unseal};

/// The store format this build writes and reads.
pub const FORMAT: u32 = 1;
/// The name of the sled tree that holds every record.
const TREE: &[u8] = b"sampark";
/// Records per batch when rewriting.
const REWRITE_BATCH: usize = 1000;

/// The node's store: one sled database (the live generation of its directory), every record in
/// one tree.
///
/// Every method that writes returns `Ok` only once the write is durable (see the module docs).
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    /// sled's data file, opened again so that a flush can end with `fdatasync` (sled 0.34's own
    /// flush uses `sync_file_range` on Linux, which neither syncs metadata nor the disk's cache).
    data_file: File,
    dir: PathBuf,
    layout: Layout,
    /// The live generation's pack file of snapshots, if a rewrite made one (see [`pack`]).
    pack: Option<File>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// sled's configuration for a generation: zstd compression on, and 64 KiB segments (sled's
/// default is 512 KiB, and its data file grows a whole segment at a time, which for a phone's
/// few hundred kilobytes would be most of the store). See "Space" in the module docs.
fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir).use_compression(true).compression_factor(COMPRESSION).segment_size(SEGMENT)
}

/// sled's segment size. Values over about a quarter of it go to sled's separate blob files.
const SEGMENT: usize = 64 * 1024;

/// zstd's level: 3 is zstd's own default, a balance of speed and size.
const COMPRESSION: i32 = 3;

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

/// How long [`Store::open`] waits for sled's own lock on a database just closed in this process,
/// and how often it looks.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The pack file of the generation in `dir`, if it has one.
fn open_pack(dir: &Path) -> Result<Option<File>, StoreError> {
    match File::open(dir.join(pack::PACK)) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Open { dir: dir.to_path_buf(), source: sled::Error::Io(e) }),
    }
}

/// Removes the snapshot files sled left unfinished in `dir` (see the module docs).
fn remove_unfinished_snapshots(dir: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Open { dir: dir.to_path_buf(), source: sled::Error::Io(e) }),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path())
                .map_err(|e| StoreError::Open { dir: dir.to_path_buf(), source: sled::Error::Io(e) })?;
            tracing::warn!(file = %entry.path().display(), "removed a snapshot sled left unfinished when it stopped");
        }
    }
    Ok(())
}

/// Opens the sled database in `dir` (a generation), its tree and its data file.
fn open_sled(dir: &Path) -> Result<(sled::Db, sled::Tree, File), StoreError> {
    remove_unfinished_snapshots(dir)?;
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
    Ok((db, tree, data_file))
}

impl Store {
    /// Opens (or creates) the store in `dir`. Fails with [`StoreError::Locked`] while another
    /// `Store` has the same directory open, in this process or another.
    ///
    /// The lock is released when the store is dropped, but a store closed and reopened at once
    /// can find it (or sled's own, released from a background thread) still held for a moment:
    /// a held lock is waited for, up to 2 s, before [`StoreError::Locked`] is reported.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let layout = Layout::open(dir)?;
        let (db, tree, data_file) = open_sled(&layout.live_dir())?;
        let pack = open_pack(&layout.live_dir())?;
        let store = Store { db, tree, data_file, dir: dir.to_path_buf(), layout, pack };
        store.check_format()?;
        Ok(store)
    }

    /// Copies every record into a fresh sled database and switches to it (see
    /// [`generation`](self) in the module docs), giving back the space sled kept after deletes.
    /// Atomic and durable: whenever it stops, the store opens with every record, in the old
    /// database or the new. Run it after [`Store::compact`]; it takes time linear in what is
    /// stored, and holds the store for that time (it takes `&mut self`).
    pub fn rewrite(&mut self) -> Result<Rewritten, StoreError> {
        let before = self.disk_usage()?;
        self.durable()?;
        let next = self.layout.next_dir()?;
        let (db, tree, data_file) = open_sled(&next)?;
        let pack_path = next.join(pack::PACK);
        let pack_file =
            File::create_new(&pack_path).map_err(|e| self.fail("create a pack file")(sled::Error::Io(e)))?;
        let mut pack_out = std::io::BufWriter::new(pack_file);
        let (mut records, mut offset, mut damaged) = (0, 0u64, Vec::new());
        let mut batch = Batch::default();
        for item in self.tree.iter() {
            let (key, value) = item.map_err(self.fail("read a record to rewrite"))?;
            if key.starts_with(keys::prefix(RecordKind::Snapshot)) {
                let save = unseal(&key, &value).and_then(|p| self.snapshot_save(p));
                let reference = save.and_then(|save| Ok((pack::packed(offset, &save)?, save)));
                match reference {
                    Ok((reference, save)) => {
                        std::io::Write::write_all(&mut pack_out, &save)
                            .map_err(|e| self.fail("write the pack file")(sled::Error::Io(e)))?;
                        offset += save.len() as u64;
                        batch.insert(key.clone(), seal(&key, &reference));
                    }
                    Err(why) => {
                        damaged.push(self::damaged(&key, why));
                        continue;
                    }
                }
            } else {
                batch.insert(key, value);
            }
            records += 1;
            if records % REWRITE_BATCH == 0 {
                tree.apply_batch(std::mem::take(&mut batch)).map_err(self.fail("rewrite"))?;
            }
        }
        tree.apply_batch(batch).map_err(self.fail("rewrite"))?;
        let pack_file =
            pack_out.into_inner().map_err(|e| self.fail("write the pack file")(sled::Error::Io(e.into_error())))?;
        pack_file.sync_all().map_err(|e| self.fail("sync the pack file")(sled::Error::Io(e)))?;
        db.flush().map_err(self.fail("flush the rewritten store"))?;
        data_file.sync_data().map_err(|e| self.fail("sync the rewritten store")(sled::Error::Io(e)))?;
        self.layout.switch()?;
        self.db = db;
        self.tree = tree;
        self.data_file = data_file;
        self.pack = Some(pack_file);
        self.layout.remove_others()?;
        Ok(Rewritten { records, before, after: self.disk_usage()?, damaged })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes the store's files take on disk: every file of the live generation (sled's data
    /// file, blobs, configuration and page-table snapshots).
    pub fn disk_usage(&self) -> Result<u64, StoreError> {
        self.layout.live_bytes()
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
        self.data_file.sync_data().map_err(|e| self.fail("sync")(sled::Error::Io(e)))?;
        self.sync_blobs().map_err(|e| self.fail("sync")(sled::Error::Io(e)))
    }

    /// Syncs sled's separate files for large values (`<generation>/blobs/`), which sled writes
    /// but never syncs. There are few: only values over a quarter of a segment go there.
    fn sync_blobs(&self) -> std::io::Result<()> {
        let blobs = self.layout.live_dir().join("blobs");
        let entries = match std::fs::read_dir(&blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut any = false;
        for entry in entries {
            let path = entry?.path();
            match File::open(&path) {
                Ok(file) => file.sync_data()?,
                // sled removed it meanwhile (the value was rewritten or deleted).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            any = true;
        }
        if any { File::open(&blobs)?.sync_all() } else { Ok(()) }
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
