//! What happens after a signature verifies, for a change a certified key could have signed:
//! expanding its operations and applying it to documents must fail cleanly, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sampark_crdt::verify::{Verified, operations, parse_change};
use sampark_crdt::{DocId, Document, PublicKey, Timestamp, ticket};

fuzz_target!(|data: &[u8]| {
    let Ok(change) = parse_change(data) else { return };
    let _ = operations(&change);
    for id in ["BR/DBG/P07/S03/A0412:families", "BR/DBG/P07/S03/A0412:ticket/00112233445566778899aabbccddeeff"] {
        let id = DocId::parse(id).expect("valid id");
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
});
