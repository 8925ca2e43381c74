//! What happens after a signature verifies, for a change a certified key could have signed:
//! expanding its operations and applying it to documents must fail cleanly, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sampark_crdt::verify::{Verified, operations, parse_change};
use sampark_crdt::{DocId, Document, PublicKey, Timestamp, ticket};

fuzz_target!(|data: &[u8]| {
    quiet_caught_panics();
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

/// Automerge 0.12 panics on some malformed changes; Sampark catches those panics
/// (`verify::parse_change`) and reports the input as malformed. libFuzzer's panic hook would
/// abort even on a caught panic, so it is replaced by one that only counts: a panic that is *not*
/// caught still reaches libfuzzer-sys's own handler and is reported as a crash.
fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
