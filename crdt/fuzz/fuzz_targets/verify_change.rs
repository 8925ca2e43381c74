//! Arbitrary bytes as the change inside a signed change, checked against a provisioned trust
//! store: verification returns a rejection and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sampark_crdt::{
    CertificateBody, DocId, Keypair, Role, Scope, Signature, SignedChange, Timestamp, TrustStore, verify,
};

fuzz_target!(|data: &[u8]| {
    quiet_caught_panics();
    let root = Keypair::from_secret([1; 32]);
    let mut trust = TrustStore::new(root.public());
    let cert = CertificateBody {
        subject: root.public(),
        role: Role::StateHub,
        scope: Scope::parse("BR").expect("valid scope"),
        not_before: Timestamp(0),
        not_after: Timestamp(i64::MAX), programme: Default::default(),
    }
    .sign(&root)
    .expect("valid certificate");
    trust.add_certificate(cert).expect("root certificate");
    for doc in ["BR/DBG/P07/S03/A0412:families", "BR/DBG/P07/S03/A0412:ticket/00112233445566778899aabbccddeeff"] {
        let signed = SignedChange {
            doc: DocId::parse(doc).expect("valid id"),
            change: data.to_vec(),
            signature: Signature([0; 64]),
        };
        assert!(verify(&signed, &trust).is_err());
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
