//! Every canonical decoder: never panics, and whatever decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sampark_crdt::ticket::Event;
use sampark_crdt::{Certificate, DocId, Receipt, Revocation, Scope, SignedChange};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::decode(data) {
        assert_eq!(c.encode(), data);
        let _ = c.verify_signature();
    }
    if let Ok(r) = Revocation::decode(data) {
        assert_eq!(r.encode(), data);
        let _ = r.verify_signature();
    }
    if let Ok(e) = Event::decode(data) {
        assert_eq!(e.encode(), data);
        let _ = e.verify_signature();
    }
    if let Ok(s) = SignedChange::decode(data) {
        assert_eq!(s.encode(), data);
    }
    if let Ok(r) = Receipt::decode(data) {
        assert_eq!(r.encode(), data);
    }
    let _ = sampark_crdt::verify::header(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = DocId::parse(s);
        let _ = Scope::parse(s);
    }
});
