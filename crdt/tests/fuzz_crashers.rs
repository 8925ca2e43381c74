//! Every input a fuzz target ever crashed on (`tests/fuzz-crashers/`) is replayed through the
//! same steps as the targets, and must now fail cleanly, without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use sampark_crdt::verify::{Verified, operations, parse_change};
use sampark_crdt::{Certificate, DocId, Document, PublicKey, Revocation, SignedChange, Timestamp, ticket};

fn replay(data: &[u8]) {
    let _ = Certificate::decode(data);
    let _ = Revocation::decode(data);
    let _ = ticket::Event::decode(data);
    let _ = SignedChange::decode(data);
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
        let outcome = std::panic::catch_unwind(|| replay(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        n += 1;
    }
    assert!(n > 0, "no fixtures found in {}", dir.display());
}
