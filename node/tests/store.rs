#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The sled store: round trips across reopen, idempotent batched inserts, damage detected and
//! removed, compaction that preserves documents, and the disk use compaction reaches.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use automerge::ChangeHash;
use sampark_crdt::register::{self, Attendance, Entry, GrowthMeasurement, Household, Position};
use sampark_crdt::ticket::{self, Action, Category};
use sampark_crdt::{
    Author, Certificate, CertificateBody, DocId, Document, Hlc, Keypair, PublicKey, Revocation, Role, Scope,
    SignedChange, Timestamp, TrustStore,
};
use sampark_node::store::{self, RecordKind, Store, StoreError};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const AWC: &str = "BR/DBG/P07/S03/A0412";
const AWC2: &str = "BR/DBG/P07/S03/A0413";
const BLOCK: &str = "BR/DBG/P07";

/// A provisioned state: a root state hub, a block relay, two sevikas.
struct World {
    trust: TrustStore,
    root: Keypair,
    block: Author,
    sevika: Author,
    sevika2: Author,
    certs: Vec<Certificate>,
    /// The next HLC reading to hand out.
    clock: Hlc,
}

fn author(seed: u8) -> Author {
    Author::new(Keypair::from_secret([seed; 32]), [seed; 8])
}

fn cert(issuer: &Keypair, subject: PublicKey, role: Role, scope: &str) -> Certificate {
    let scope = Scope::parse(scope).unwrap();
    CertificateBody {
        subject,
        role,
        scope,
        not_before: T0,
        not_after: T0.plus_days(365),
        programme: Default::default(),
    }
    .sign(issuer)
    .unwrap()
}

impl World {
    fn new() -> World {
        let root = Keypair::from_secret([1; 32]);
        let (block, sevika, sevika2) = (author(3), author(20), author(21));
        let certs = vec![
            cert(&root, root.public(), Role::StateHub, "BR"),
            cert(&root, block.public(), Role::BlockRelay, BLOCK),
            cert(&block.keypair, sevika.public(), Role::Sevika, AWC),
            cert(&block.keypair, sevika2.public(), Role::Sevika, AWC2),
        ];
        let mut trust = TrustStore::new(root.public());
        for c in &certs {
            trust.add_certificate(c.clone()).unwrap();
        }
        World { trust, root, block, sevika, sevika2, certs, clock: Hlc::default().tick(T0) }
    }

    fn tick(&mut self) -> Hlc {
        self.clock = self.clock.tick(self.clock.timestamp().plus_millis(1_000));
        self.clock
    }
}

fn child(k: usize) -> String {
    format!("0a1b2c3d-1767225600000-{k}")
}

fn growth(month: &str, k: usize) -> Entry {
    Entry::Growth(GrowthMeasurement {
        child: child(k),
        date: format!("{month}-05"),
        weight_kg: 7.0 + (k % 40) as f64 / 10.0,
        height_cm: Some(70.0 + (k % 20) as f64),
        position: Some(Position::Lying),
        muac_mm: Some(115 + (k % 20) as u16),
        oedema: false,
    })
}

fn attendance(month: &str, k: usize) -> Entry {
    let day = 1 + k % 28;
    Entry::Attendance(Attendance {
        child: child(k % 20),
        date: format!("{month}-{day:02}"),
        present: !k.is_multiple_of(3),
        hot_meal: true,
    })
}

fn doc(s: &str) -> DocId {
    DocId::parse(s).unwrap()
}

/// A register document of `awc` with `n` entries made by `entry`, and its signed changes.
fn register_doc(
    w: &mut World,
    who: usize,
    id: &str,
    n: usize,
    entry: impl Fn(usize) -> Entry,
) -> (Document, Vec<SignedChange>) {
    let mut d = Document::new(doc(id));
    let mut changes = Vec::new();
    for k in 0..n {
        let hlc = w.tick();
        let author = if who == 0 { &w.sevika } else { &w.sevika2 };
        changes.push(register::record(&mut d, author, hlc, &entry(k), &w.trust).unwrap().1);
    }
    (d, changes)
}

/// A ticket raised by the sevika with `comments` comments, and its signed changes.
fn ticket_doc(w: &mut World, comments: usize) -> (Document, Vec<SignedChange>) {
    // A day apart, so that each takes the first of the day's ticket slots.
    w.clock.wall += Timestamp::DAY;
    let hlc = w.tick();
    let (mut d, first) = ticket::raise(
        &w.sevika,
        Scope::parse(AWC).unwrap(),
        Category::Sync,
        "सिंक नहीं हो रहा, रजिस्टर नहीं खुल रहा",
        vec![],
        0,
        hlc,
        &w.trust,
    )
    .unwrap();
    let mut changes = vec![first];
    for i in 0..comments {
        let hlc = w.tick();
        let text = format!("टिप्पणी {i}: अभी भी वही समस्या है");
        changes.push(ticket::append(&mut d, &w.sevika, Action::Commented { text }, hlc, &w.trust).unwrap());
    }
    (d, changes)
}

fn sorted(mut hashes: Vec<ChangeHash>) -> Vec<ChangeHash> {
    hashes.sort();
    hashes
}

/// Two replicas hold the same changes and read the same.
fn assert_same(a: &Document, b: &Document) {
    assert_eq!(a.id(), b.id());
    assert_eq!(sorted(a.heads()), sorted(b.heads()));
    let hashes = |d: &Document| d.changes().iter().map(|c| c.hash()).collect::<BTreeSet<_>>();
    assert_eq!(hashes(a), hashes(b));
    assert_eq!(register::read(a), register::read(b));
    assert_eq!(ticket::events(a), ticket::events(b));
}

fn open(dir: &Path) -> Store {
    Store::open(dir).unwrap()
}

/// Writes a raw value into the store's tree, bypassing the store, then closes it.
fn write_raw(dir: &Path, key: &[u8], value: &[u8]) {
    let store = open(dir);
    store.raw_tree().insert(key, value).unwrap();
    store.raw_tree().flush().unwrap();
}

fn raw_value(dir: &Path, key: &[u8]) -> Option<Vec<u8>> {
    open(dir).raw_tree().get(key).unwrap().map(|v| v.to_vec())
}

fn change_key(doc: &DocId, hash: &ChangeHash) -> Vec<u8> {
    let mut key = format!("c\0{doc}\0").into_bytes();
    key.extend_from_slice(&hash.0);
    key
}

fn hash_of(c: &SignedChange) -> ChangeHash {
    sampark_crdt::verify::parse_change(&c.change).unwrap().hash()
}

#[test]
fn every_record_kind_round_trips_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (growth_doc, growth_changes) =
        register_doc(&mut w, 0, &format!("{AWC}:growth/2026-11"), 5, |k| growth("2026-11", k));
    let (ticket_doc, ticket_changes) = ticket_doc(&mut w, 3);
    let household = Entry::Household(Household {
        number: "H-017".into(),
        head_name: "Ramesh Paswan".into(),
        caste: register::Caste::Sc,
        religion: register::Religion::Hindu,
        minority: false,
        bpl: true,
        phone: None,
        address: Some("Near the primary school".into()),
        ward: None,
    });
    let (families, families_changes) = register_doc(&mut w, 1, &format!("{AWC2}:families"), 1, |_| household.clone());
    let revocation = Revocation::sign(&w.block.keypair, w.sevika2.public(), T0.plus_days(30), "phone lost");
    let peer = Keypair::from_secret([77; 32]).public();
    {
        let store = open(dir.path());
        assert_eq!(store.insert_changes(growth_doc.id(), &growth_changes, &growth_doc.heads()).unwrap(), 5);
        assert_eq!(store.insert_changes(ticket_doc.id(), &ticket_changes, &ticket_doc.heads()).unwrap(), 4);
        store.put_snapshot(&families).unwrap();
        assert_eq!(store.insert_changes(families.id(), &families_changes, &families.heads()).unwrap(), 1);
        for c in &w.certs {
            store.put_certificate(c).unwrap();
        }
        store.put_revocation(&revocation).unwrap();
        store.put_meta("hlc", b"\x01\x02").unwrap();
        store.put_meta("install-nonce", &[9; 8]).unwrap();
        store.put_peer_state(&peer, b"peer state v1").unwrap();
        store.put_receipt(b"receipt/1", b"signed receipt bytes").unwrap();
    }
    let store = open(dir.path());
    let ids = store.doc_ids().unwrap();
    assert!(ids.is_clean());
    let mut expected = vec![growth_doc.id().clone(), ticket_doc.id().clone(), families.id().clone()];
    expected.sort_by_key(|d| d.to_string());
    assert_eq!(ids.value, expected);

    for (original, changes) in
        [(&growth_doc, &growth_changes), (&ticket_doc, &ticket_changes), (&families, &families_changes)]
    {
        let id = original.id();
        let mut stored = store.changes(id).unwrap().value;
        stored.sort_by_key(hash_of);
        let mut want = changes.clone();
        want.sort_by_key(hash_of);
        assert_eq!(stored, want);
        for c in changes {
            assert_eq!(store.change(id, &hash_of(c)).unwrap().as_ref(), Some(c));
            assert!(store.has_change(id, &hash_of(c)).unwrap());
        }
        assert_eq!(sorted(store.heads(id).unwrap().unwrap()), sorted(original.heads()));
        assert_same(&store.document(id).unwrap().value, original);
    }
    assert!(!store.has_change(growth_doc.id(), &ChangeHash([0; 32])).unwrap());
    assert_eq!(store.change(growth_doc.id(), &ChangeHash([0; 32])).unwrap(), None);

    let certs = store.certificates().unwrap().value;
    assert_eq!(
        certs.iter().map(Certificate::id).collect::<BTreeSet<_>>(),
        w.certs.iter().map(Certificate::id).collect()
    );
    assert_eq!(store.revocations().unwrap().value, vec![revocation.clone()]);
    let trust = store.trust(w.root.public()).unwrap().value;
    assert_eq!(trust.grants(&w.sevika.public(), T0.plus_days(1)).len(), 1);
    assert_eq!(trust.revoked_from(&w.sevika2.public()), Some(T0.plus_days(30)));

    assert_eq!(store.meta("hlc").unwrap(), Some(b"\x01\x02".to_vec()));
    assert_eq!(store.meta("install-nonce").unwrap(), Some(vec![9; 8]));
    assert_eq!(store.meta("absent").unwrap(), None);
    assert_eq!(store.peer_state(&peer).unwrap(), Some(b"peer state v1".to_vec()));
    assert_eq!(store.peer_states().unwrap().value, vec![store::PeerState { peer, state: b"peer state v1".to_vec() }]);
    let receipts = store.receipts().unwrap().value;
    assert_eq!(
        receipts,
        vec![store::Receipt { key: b"receipt/1".to_vec(), receipt: b"signed receipt bytes".to_vec() }]
    );
    assert!(store.remove_receipt(b"receipt/1").unwrap());
    assert!(store.receipts().unwrap().value.is_empty());

    let report = store.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.damaged);
    assert!(report.records > 20);
}

#[test]
fn batched_inserts_are_idempotent_and_refuse_foreign_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = register_doc(&mut w, 0, &format!("{AWC}:growth/2026-10"), 6, |k| growth("2026-10", k));
    let store = open(dir.path());
    assert_eq!(store.insert_changes(d.id(), &changes[..3], &d.heads()).unwrap(), 3);
    assert_eq!(store.insert_changes(d.id(), &changes[..3], &d.heads()).unwrap(), 0);
    // Overlap with what is stored, and a repeat inside the batch: each new change counts once.
    let batch = [changes[2].clone(), changes[3].clone(), changes[3].clone(), changes[4].clone()];
    assert_eq!(store.insert_changes(d.id(), &batch, &d.heads()).unwrap(), 2);
    assert_eq!(store.changes(d.id()).unwrap().value.len(), 5);

    let (t, ticket_changes) = ticket_doc(&mut w, 0);
    let mixed = [changes[5].clone(), ticket_changes[0].clone()];
    let e = store.insert_changes(d.id(), &mixed, &d.heads()).unwrap_err();
    assert!(matches!(e, StoreError::WrongDocument { .. }), "{e}");
    assert!(e.to_string().contains(&t.id().to_string()));
    let mut garbage = changes[5].clone();
    garbage.change = b"not an automerge change".to_vec();
    let e = store.insert_changes(d.id(), &[changes[5].clone(), garbage], &d.heads()).unwrap_err();
    assert!(matches!(e, StoreError::Malformed { .. }), "{e}");
    // Nothing of a refused batch was written.
    assert!(!store.has_change(d.id(), &hash_of(&changes[5])).unwrap());
    assert_eq!(store.changes(d.id()).unwrap().value.len(), 5);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let e = Store::open(dir.path()).unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e}");
    let message = e.to_string();
    assert!(message.contains(&dir.path().display().to_string()) && message.contains("in use"), "{message}");
    drop(store);
    open(dir.path());

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let e = Store::open(&file).unwrap_err();
    assert!(e.to_string().contains("a-file"), "{e}");
}

#[test]
fn damaged_records_are_reported_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = register_doc(&mut w, 0, &format!("{AWC}:growth/2026-09"), 6, |k| growth("2026-09", k));
    let id = d.id().clone();
    {
        let store = open(dir.path());
        store.insert_changes(&id, &changes, &d.heads()).unwrap();
        for c in &w.certs {
            store.put_certificate(c).unwrap();
        }
        store.put_meta("hlc", b"clock").unwrap();
    }
    // 1. A flipped bit in a change.
    let flipped_key = change_key(&id, &hash_of(&changes[0]));
    let mut value = raw_value(dir.path(), &flipped_key).unwrap();
    let last = value.len() - 1;
    value[last] ^= 0x10;
    write_raw(dir.path(), &flipped_key, &value);
    // 2. A change stored under another change's hash, with a checksum that holds for that key:
    // only the content check can tell.
    let wrong_key = change_key(&id, &hash_of(&changes[1]));
    write_raw(dir.path(), &wrong_key, &store::sealed(&wrong_key, &changes[2].encode()));
    // 3. A truncated certificate, and one truncated and sealed again (it fails to decode).
    let cert_key = |c: &Certificate| format!("t\0c\0{}", c.id()).into_bytes();
    let truncated = raw_value(dir.path(), &cert_key(&w.certs[0])).unwrap();
    write_raw(dir.path(), &cert_key(&w.certs[0]), &truncated[..truncated.len() - 7]);
    let resealed = store::sealed(&cert_key(&w.certs[1]), &w.certs[1].encode()[..50]);
    write_raw(dir.path(), &cert_key(&w.certs[1]), &resealed);
    // 4. Damaged metadata, and a key in no namespace.
    write_raw(dir.path(), b"m\0hlc", b"\0\0\0\0\0\0\0\0clock");
    write_raw(dir.path(), b"z\0stray", b"whatever");

    let store = open(dir.path());
    // Reads never hand out damaged data, and say what they removed.
    let read = store.changes(&id).unwrap();
    assert_eq!(read.value.len(), 4);
    assert!(read.value.iter().all(|c| c == &changes[2] || changes[3..].contains(c)));
    assert_eq!(read.damaged.len(), 2, "{:?}", read.damaged);
    assert_eq!(read.damaged_documents(), BTreeSet::from([id.clone()]));
    let whys: Vec<String> = read.damaged.iter().map(ToString::to_string).collect();
    assert!(whys.iter().any(|m| m.contains("checksum")), "{whys:?}");
    assert!(whys.iter().any(|m| m.contains("hash")), "{whys:?}");
    assert!(whys.iter().all(|m| m.contains("fetch BR/DBG/P07/S03/A0412:growth/2026-09 again")), "{whys:?}");
    assert!(store.changes(&id).unwrap().is_clean());
    let certs = store.certificates().unwrap();
    assert_eq!(certs.value.len(), w.certs.len() - 2);
    assert_eq!(certs.damaged.len(), 2);
    assert!(certs.damaged.iter().all(|d| d.kind == RecordKind::Certificate && d.doc.is_none()));
    match store.meta("hlc") {
        Err(StoreError::Damaged(d)) => assert_eq!(d.kind, RecordKind::Meta),
        other => panic!("damaged metadata read as {other:?}"),
    }
    assert_eq!(store.meta("hlc").unwrap(), None);

    // The scan finds what the reads did not touch, and removes it.
    let report = store.check().unwrap();
    assert_eq!(report.damaged.len(), 1, "{:?}", report.damaged);
    assert_eq!(report.damaged[0].kind, RecordKind::Unknown);
    assert!(store.check().unwrap().is_clean());
    // The document rebuilds from what is left: each change depends on the one before, so the
    // four left wait inside it for the two damaged ones, which the node fetches again.
    let rebuilt = store.document(&id).unwrap();
    assert!(rebuilt.is_clean());
    assert!(register::entries(&rebuilt.value).is_empty());
    store.insert_changes(&id, &changes, &d.heads()).unwrap();
    assert_same(&store.document(&id).unwrap().value, &d);
}

#[test]
fn check_reports_damage_with_documents_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (a, a_changes) = register_doc(&mut w, 0, &format!("{AWC}:daily/2026-08"), 4, |k| attendance("2026-08", k));
    let (t, t_changes) = ticket_doc(&mut w, 2);
    {
        let store = open(dir.path());
        store.insert_changes(a.id(), &a_changes, &a.heads()).unwrap();
        store.insert_changes(t.id(), &t_changes, &t.heads()).unwrap();
        store.put_snapshot(&t).unwrap();
    }
    let snapshot_key = format!("s\0{}", t.id()).into_bytes();
    let mut snapshot = raw_value(dir.path(), &snapshot_key).unwrap();
    snapshot[20] ^= 1;
    write_raw(dir.path(), &snapshot_key, &snapshot);
    let heads_key = format!("h\0{}", a.id()).into_bytes();
    write_raw(dir.path(), &heads_key, &store::sealed(&heads_key, &[7; 33]));
    let mut bad_hash_key = change_key(a.id(), &ChangeHash([5; 32]));
    bad_hash_key.pop();
    write_raw(dir.path(), &bad_hash_key, b"x");

    let store = open(dir.path());
    let report = store.check().unwrap();
    assert_eq!(report.damaged.len(), 3, "{:?}", report.damaged);
    assert_eq!(report.damaged_documents(), BTreeSet::from([a.id().clone(), t.id().clone()]));
    let kinds: BTreeSet<_> = report.damaged.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, BTreeSet::from([RecordKind::Change, RecordKind::Heads, RecordKind::Snapshot]));
    drop(store);
    let store = open(dir.path());
    assert!(store.check().unwrap().is_clean());
    // The ticket's changes are still stored: it rebuilds without its snapshot.
    assert_same(&store.document(t.id()).unwrap().value, &t);
    assert_eq!(store.heads(a.id()).unwrap(), None);
}

#[test]
fn compaction_preserves_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = register_doc(&mut w, 0, &format!("{AWC}:growth/2026-07"), 12, |k| growth("2026-07", k));
    let (t, t_changes) = ticket_doc(&mut w, 4);
    let keep: BTreeSet<ChangeHash> = changes[8..].iter().map(hash_of).collect();
    {
        let store = open(dir.path());
        store.insert_changes(d.id(), &changes, &d.heads()).unwrap();
        store.insert_changes(t.id(), &t_changes, &t.heads()).unwrap();
        let before = store.document(d.id()).unwrap().value;
        let report = store.compact(d.id(), |h| keep.contains(h)).unwrap();
        assert_eq!((report.removed, report.kept), (8, 4));
        assert!(report.snapshot_len > 0 && report.damaged.is_empty());
        assert_same(&store.document(d.id()).unwrap().value, &before);
        let report = store.compact(t.id(), |_| false).unwrap();
        assert_eq!((report.removed, report.kept), (5, 0));
        // Compacting again changes nothing, and an empty document writes nothing.
        let report = store.compact(d.id(), |h| keep.contains(h)).unwrap();
        assert_eq!((report.removed, report.kept), (0, 4));
        let empty = doc(&format!("{AWC}:growth/2026-01"));
        assert_eq!(store.compact(&empty, |_| false).unwrap().snapshot_len, 0);
        assert!(!store.doc_ids().unwrap().value.contains(&empty));
    }
    let store = open(dir.path());
    assert_same(&store.document(d.id()).unwrap().value, &d);
    assert_same(&store.document(t.id()).unwrap().value, &t);
    let stored: BTreeSet<ChangeHash> = store.changes(d.id()).unwrap().value.iter().map(hash_of).collect();
    assert_eq!(stored, keep);
    assert!(store.changes(t.id()).unwrap().value.is_empty());
    // A new change after compaction joins the snapshot's history.
    let mut live = store.document(t.id()).unwrap().value;
    let hlc = w.tick();
    let more = ticket::append(&mut live, &w.sevika, Action::Commented { text: "फिर से".into() }, hlc, &w.trust).unwrap();
    assert_eq!(store.insert_changes(t.id(), &[more], &live.heads()).unwrap(), 1);
    assert_same(&store.document(t.id()).unwrap().value, &live);
    assert!(store.check().unwrap().is_clean());
    assert_eq!(store.remove_document(d.id()).unwrap(), 4 + 2);
    assert!(!store.doc_ids().unwrap().value.contains(d.id()));
}

/// Rewriting keeps every record (snapshots move into the pack file), survives reopening,
/// takes new writes, and a damaged pack is found like any damaged record.
#[test]
fn rewriting_keeps_every_record_and_finds_a_damaged_pack() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = register_doc(&mut w, 0, &format!("{AWC}:growth/2026-07"), 12, |k| growth("2026-07", k));
    let (t, t_changes) = ticket_doc(&mut w, 3);
    let records =
        |store: &Store| -> Vec<Vec<u8>> { store.raw_tree().iter().keys().map(|k| k.unwrap().to_vec()).collect() };
    let mut store = open(dir.path());
    store.insert_changes(d.id(), &changes, &d.heads()).unwrap();
    store.insert_changes(t.id(), &t_changes, &t.heads()).unwrap();
    store.put_meta("clock", b"12345").unwrap();
    store.compact(d.id(), |_| false).unwrap();
    let before = records(&store);
    let rewritten = store.rewrite().unwrap();
    assert_eq!(rewritten.records, before.len());
    assert!(rewritten.damaged.is_empty());
    assert_eq!(records(&store), before);
    assert_same(&store.document(d.id()).unwrap().value, &d);
    // The store works on in the new generation, across a reopen, and can rewrite again.
    let mut live = store.document(t.id()).unwrap().value;
    let hlc = w.tick();
    let more = ticket::append(&mut live, &w.sevika, Action::Commented { text: "ठीक है".into() }, hlc, &w.trust).unwrap();
    store.insert_changes(t.id(), &[more], &live.heads()).unwrap();
    store.rewrite().unwrap();
    drop(store);
    let store = open(dir.path());
    assert_same(&store.document(d.id()).unwrap().value, &d);
    assert_same(&store.document(t.id()).unwrap().value, &live);
    assert_eq!(store.meta("clock").unwrap().as_deref(), Some(&b"12345"[..]));
    assert!(store.check().unwrap().is_clean());
    drop(store);

    // One flipped byte in the pack: the snapshot is reported damaged, with its document.
    let generation = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    let pack = dir.path().join(generation.trim()).join("snapshots.pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[5] ^= 1;
    std::fs::write(&pack, bytes).unwrap();
    let store = open(dir.path());
    let report = store.check().unwrap();
    assert_eq!(report.damaged_documents(), BTreeSet::from([d.id().clone()]), "{:?}", report.damaged);
    assert_eq!(report.damaged[0].kind, RecordKind::Snapshot);
}

/// Fills a store with 200 realistic documents, compacts everything, rewrites the store and
/// prints how the disk use compares with the documents' compacted saves; checks the 2x goal.
#[test]
fn compaction_brings_disk_use_near_the_compacted_saves() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let started = Instant::now();
    let mut docs = Vec::new();
    for i in 0..200 {
        let month = format!("{}-{:02}", 2010 + i / 12, i % 12 + 1);
        docs.push(match i % 4 {
            0 | 1 => register_doc(&mut w, i % 2, &format!("{}:growth/{month}", [AWC, AWC2][i % 2]), 30, |k| {
                growth(&month, k)
            }),
            2 => register_doc(&mut w, 0, &format!("{AWC}:daily/{month}"), 40, |k| attendance(&month, k)),
            _ => ticket_doc(&mut w, 5),
        });
    }
    let made = started.elapsed();
    let mut store = open(dir.path());
    let started = Instant::now();
    let mut change_bytes = 0;
    for (d, changes) in &docs {
        for batch in changes.chunks(5) {
            store.insert_changes(d.id(), batch, &d.heads()).unwrap();
            change_bytes += batch.iter().map(|c| c.encode().len()).sum::<usize>();
        }
    }
    let inserted = started.elapsed();
    let before = store.disk_usage().unwrap();
    let started = Instant::now();
    let mut saves = 0;
    for (d, _) in &docs {
        let report = store.compact(d.id(), |_| false).unwrap();
        saves += report.snapshot_len;
    }
    let compacted = started.elapsed();
    let just_after = store.disk_usage().unwrap();
    let started = Instant::now();
    let rewritten = store.rewrite().unwrap();
    let rewrite_time = started.elapsed();
    assert_eq!(rewritten.before, just_after);
    drop(store);
    let store = open(dir.path());
    let reopened = store.disk_usage().unwrap();
    let files = dir_size(dir.path());
    for (d, _) in docs.iter().step_by(17) {
        assert_same(&store.document(d.id()).unwrap().value, d);
    }
    assert!(store.check().unwrap().is_clean());
    let changes: usize = docs.iter().map(|(_, c)| c.len()).sum();
    let ratio = |bytes: u64| bytes as f64 / saves as f64;
    println!(
        "{{\"documents\": {}, \"changes\": {changes}, \"signed_change_bytes\": {change_bytes}, \
         \"compacted_saves\": {saves}, \"disk_before\": {before}, \"disk_compacted\": {just_after}, \
         \"disk_rewritten\": {}, \"disk_reopened\": {reopened}, \"dir_files\": {files}, \
         \"ratio_before\": {:.2}, \"ratio_compacted\": {:.2}, \"ratio_rewritten\": {:.2}, \
         \"ratio_dir_files\": {:.2}, \"make_ms\": {}, \"insert_ms\": {}, \"compact_ms\": {}, \"rewrite_ms\": {}}}",
        docs.len(),
        rewritten.after,
        ratio(before),
        ratio(just_after),
        ratio(rewritten.after),
        ratio(files),
        made.as_millis(),
        inserted.as_millis(),
        compacted.as_millis(),
        rewrite_time.as_millis(),
    );
    assert!(ratio(files) <= 2.0, "the whole store directory takes {:.2}x the compacted saves", ratio(files));
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() { dir_size(&e.path()) } else { meta.len() }
        })
        .sum()
}

/// A month of attendance, 1,000 changes, rebuilds from its change records in one Automerge load
/// and from its snapshot after compaction; prints both times.
#[test]
fn a_large_document_rebuilds_from_changes_and_from_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = register_doc(&mut w, 0, &format!("{AWC}:daily/2026-03"), 1000, |k| attendance("2026-03", k));
    let store = open(dir.path());
    store.insert_changes(d.id(), &changes, &d.heads()).unwrap();
    let started = Instant::now();
    let from_changes = store.document(d.id()).unwrap();
    let changes_ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(from_changes.is_clean());
    assert_same(&from_changes.value, &d);
    store.compact(d.id(), |_| false).unwrap();
    let started = Instant::now();
    let from_snapshot = store.document(d.id()).unwrap();
    let snapshot_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_same(&from_snapshot.value, &d);
    println!(
        "{{\"changes\": 1000, \"rebuild_from_changes_ms\": {changes_ms:.1}, \"load_snapshot_ms\": {snapshot_ms:.1}}}"
    );
}

#[test]
fn a_snapshot_that_does_not_load_is_dropped_and_the_changes_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (t, t_changes) = ticket_doc(&mut w, 2);
    {
        let store = open(dir.path());
        store.insert_changes(t.id(), &t_changes, &t.heads()).unwrap();
    }
    let snapshot_key = format!("s\0{}", t.id()).into_bytes();
    write_raw(dir.path(), &snapshot_key, &store::sealed(&snapshot_key, b"not an automerge document"));
    let store = open(dir.path());
    let read = store.document(t.id()).unwrap();
    assert_eq!(read.damaged.len(), 1, "{:?}", read.damaged);
    assert_eq!(read.damaged[0].kind, RecordKind::Snapshot);
    assert_eq!(read.damaged[0].doc.as_ref(), Some(t.id()));
    assert_same(&read.value, &t);
    assert!(store.check().unwrap().is_clean());
}

/// sled 0.34 reads its newest `snap.*` file when it opens, an unfinished `.generating` one
/// included: a process killed while sled wrote one left a store sled refused as corrupt.
#[test]
fn a_snapshot_sled_left_unfinished_does_not_stop_the_store_opening() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = World::new();
    let (d, changes) = ticket_doc(&mut w, 3);
    {
        let store = open(dir.path());
        store.insert_changes(d.id(), &changes, &d.heads()).unwrap();
    }
    let generation = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("gen-")))
        .unwrap();
    let unfinished = generation.join("snap.FFFFFFFFFFFFFFFF.generating");
    std::fs::write(&unfinished, b"cut short by a kill").unwrap();
    let store = open(dir.path());
    assert!(!unfinished.exists());
    assert_eq!(store.changes(d.id()).unwrap().value.len(), changes.len());
}
