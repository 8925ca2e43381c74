//! Tamper test: valid signed changes, each mutated or re-signed in the ways an attacker or a
//! damaged link would, must be refused every time, without a panic and without anything being
//! applied; the unmodified changes must all be accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use automerge::ROOT;
use automerge::transaction::Transactable;
use common::*;
use sampark_crdt::ticket::Action;
use sampark_crdt::{Author, DocId, Document, Revocation, SignedChange, Timestamp, TrustStore, verify};

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn register_changes(w: &World, who: &Author, doc_id: &str, n: usize, start_hour: i64) -> Vec<SignedChange> {
    let mut doc = Document::new(DocId::parse(doc_id).unwrap());
    (0..n)
        .map(|i| {
            let at = T0.plus_hours(start_hour + i as i64);
            let id = sampark_crdt::register::entry_id(&who.public(), sampark_crdt::Hlc { wall: at.0, logical: 0 });
            doc.edit(who, at, &w.trust, |tx| {
                let entry = tx.put_object(ROOT, id, automerge::ObjType::Map)?;
                tx.put(&entry, "weight_kg", 7.5 + i as f64 / 10.0)?;
                tx.put(&entry, "child", format!("c{}", i % 7))
            })
            .unwrap()
        })
        .collect()
}

fn ticket_changes(w: &World, n: usize) -> Vec<SignedChange> {
    let (mut doc, first) = raise(w, &w.sevika, AWC);
    let mut out = vec![first];
    for i in 1..n {
        let (who, action) = match i % 3 {
            0 => (&w.sevika, Action::Commented { text: format!("टिप्पणी {i}") }),
            1 => (&w.block_op, Action::Commented { text: format!("comment {i}") }),
            _ => (&w.block, Action::Received),
        };
        out.push(act(w, &mut doc, who, action, i as i64));
    }
    out
}

fn valid_changes(w: &World) -> Vec<SignedChange> {
    let mut all = register_changes(w, &w.sevika, &format!("{AWC}:growth/2023-11"), 60, 0);
    all.extend(register_changes(w, &w.supervisor, &format!("{AWC2}:daily/2023-11"), 40, 0));
    all.extend(register_changes(w, &w.sevika2, &format!("{AWC2}:families"), 50, 0));
    all.extend(ticket_changes(w, 60));
    all
}

/// The same change claiming another author: its actor bytes replaced by `who`'s, and the header
/// checksum recomputed so that it still parses. Only the signature can catch it.
fn with_actor_of(c: &SignedChange, who: &Author) -> SignedChange {
    use sha2::Digest;
    let original = automerge::Change::from_bytes(c.change.clone()).unwrap();
    let (from, to) = (original.actor_id().to_bytes().to_vec(), who.actor().to_bytes().to_vec());
    let at = c.change.windows(from.len()).position(|w| w == from.as_slice()).expect("actor bytes in the change");
    let mut m = c.clone();
    m.change[at..at + to.len()].copy_from_slice(&to);
    let hash = sha2::Sha256::digest(&m.change[8..]);
    m.change[4..8].copy_from_slice(&hash[..4]);
    let parsed = automerge::Change::from_bytes(m.change.clone()).unwrap();
    assert_eq!(parsed.actor_id(), &who.actor(), "the forgery parses with the new actor");
    m
}

/// Verifies `c`, checking a fresh replica applies nothing when it is refused.
fn refused(trust: &TrustStore, c: &SignedChange) -> bool {
    let result = verify(c, trust);
    let mut doc = Document::new(c.doc.clone());
    let applied = doc.apply(c, trust);
    assert_eq!(result.is_err(), applied.is_err());
    if applied.is_err() {
        assert!(doc.heads().is_empty() && doc.changes().is_empty(), "a refused change left a trace");
    }
    result.is_err()
}

#[test]
fn every_tampered_change_is_refused_and_every_original_accepted() {
    let w = World::new();
    let valid = valid_changes(&w);
    assert!(valid.len() >= 200);
    for c in &valid {
        verify(c, &w.trust).unwrap_or_else(|e| panic!("original refused: {e}"));
    }

    let mut rng = Rng(0x5a4d_4152_4b00_0001);
    let forger = keypair(88); // any key but the author's.
    let mut mutated: Vec<(String, SignedChange)> = Vec::new();
    for c in &valid {
        for _ in 0..3 {
            let mut m = c.clone();
            let i = rng.below(m.change.len());
            m.change[i] ^= 1 << rng.below(8);
            mutated.push(("body byte".into(), m));
        }
        let mut m = c.clone();
        m.change.truncate(rng.below(c.change.len()));
        mutated.push(("truncated body".into(), m));
        let mut m = c.clone();
        m.signature.0[rng.below(64)] ^= 1 << rng.below(8);
        mutated.push(("signature bit".into(), m));
        let mut m = c.clone();
        let change = automerge::Change::from_bytes(c.change.clone()).unwrap();
        m.signature = SignedChange::sign(c.doc.clone(), &change, &forger).signature;
        mutated.push(("signed by another key".into(), m));
        mutated.push(("actor replaced, checksum fixed".into(), with_actor_of(c, &author(88))));
        let mut m = c.clone();
        m.doc = DocId::parse(&format!("{AWC}:growth/2023-12")).unwrap();
        mutated.push(("replayed into another document".into(), m));
    }

    // Validly signed, but by keys that may not: out of scope, uncertified, expired, revoked.
    let stranger = author(77);
    let mut revoked_world = World::new();
    let rev = Revocation::sign(&w.block.keypair, w.sevika.public(), T0.plus_hours(100), "phone lost");
    revoked_world.trust.add_revocation(rev).unwrap();
    let after_revocation = register_changes(&w, &w.sevika, &format!("{AWC}:stock/2023-11"), 60, 100);
    // Changes that Document::edit refuses to make have to be made by hand: sign raw Automerge.
    let raw = |who: &Author, doc: &str, at: Timestamp, n: usize| -> Vec<SignedChange> {
        let mut am = automerge::Automerge::new().with_actor(who.actor());
        (0..n)
            .map(|i| {
                let mut tx = am.transaction();
                let id = sampark_crdt::register::entry_id(
                    &who.public(),
                    sampark_crdt::Hlc { wall: at.0, logical: i as u32 },
                );
                let entry = tx.put_object(ROOT, id, automerge::ObjType::Map).unwrap();
                tx.put(&entry, "weight_kg", i as f64).unwrap();
                tx.commit_with(automerge::transaction::CommitOptions::default().with_time(at.0 + i as i64));
                let change = am.get_last_local_change().unwrap();
                SignedChange::sign(DocId::parse(doc).unwrap(), &change, &who.keypair)
            })
            .collect()
    };
    let mut total = mutated.len();
    let mut failures = Vec::new();
    for (what, c) in &mutated {
        if !refused(&w.trust, c) {
            failures.push(what.clone());
        }
    }
    let crafted = [
        ("out of scope", raw(&w.sevika2, &format!("{AWC}:growth/2023-11"), T0, 60), &w.trust),
        ("uncertified key", raw(&stranger, &format!("{AWC}:growth/2023-11"), T0, 60), &w.trust),
        ("after expiry", raw(&w.sevika, &format!("{AWC}:growth/2024-11"), T0.plus_days(366), 60), &w.trust),
        ("after revocation", after_revocation, &revoked_world.trust),
        (
            "revoked, made by hand",
            raw(&w.sevika, &format!("{AWC}:thr/2023-11"), T0.plus_hours(200), 60),
            &revoked_world.trust,
        ),
    ];
    for (what, changes, trust) in crafted {
        assert!(!changes.is_empty());
        for c in &changes {
            total += 1;
            if !refused(trust, c) {
                failures.push(what.to_string());
            }
        }
    }
    assert!(total >= 1000, "only {total} mutated changes");
    assert!(failures.is_empty(), "{} of {total} tampered changes accepted: {:?}", failures.len(), failures);
    println!("tamper: {total} tampered changes refused, {} originals accepted", valid.len());
}
