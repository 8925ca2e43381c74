//! Every input a fuzz target ever crashed on (`tests/fuzz-crashers/`) is replayed through the
//! same steps as the targets, and must now fail cleanly, without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use sampark_crdt::verify::{Verified, operations, parse_change};
use sampark_crdt::{Certificate, DocId, Document, PublicKey, Revocation, SignedChange, Timestamp, ticket};

/// Replays `data` as every target does. Inputs that made Automerge's parser allocate without
/// bound (`oom-*`) are only replayed through verification, which must refuse them before
/// Automerge sees them: after verification only certified keys can reach that parser.
fn replay(data: &[u8], oom: bool) {
    let _ = Certificate::decode(data);
    let _ = Revocation::decode(data);
    let _ = ticket::Event::decode(data);
    let _ = SignedChange::decode(data);
    let doc = DocId::parse("BR/DBG/P07/S03/A0412:families").unwrap();
    let signed = SignedChange { doc, change: data.to_vec(), signature: sampark_crdt::Signature([0; 64]) };
    let trust = sampark_crdt::TrustStore::new(PublicKey([0; 32]));
    assert!(sampark_crdt::verify(&signed, &trust).is_err());
    if oom {
        assert!(sampark_crdt::verify::header(data).is_err() || parse_change(data).is_err());
        return;
    }
    let Ok(change) = parse_change(data) else { return };
    let _ = operations(&change);
    for id in ["BR/DBG/P07/S03/A0412:families", "BR/DBG/P07/S03/A0412:ticket/00112233445566778899aabbccddeeff"] {
        let id = DocId::parse(id).unwrap();
        let mut doc = Document::new(id.clone());
        let verified = Verified {
            doc: id,
            change: change.clone(),
            author: PublicKey([0; 32]),
            at: Timestamp(change.timestamp()),
            events: Vec::new(),
        };
        if doc.apply_verified(verified).is_ok() {
            let _ = ticket::events(&doc);
            let _ = Document::load(doc.id().clone(), &doc.save());
        }
    }
}

#[test]
fn every_recorded_crasher_fails_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-crashers");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let oom = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("oom-"));
        let outcome = std::panic::catch_unwind(|| replay(&data, oom));
        assert!(outcome.is_ok(), "{} panics", path.display());
        n += 1;
    }
    assert!(n > 0, "no fixtures found in {}", dir.display());
}
