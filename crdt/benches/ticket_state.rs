//! What deriving ticket states costs a relay, which does it for every ticket it holds at every
//! duty cycle: the first derivation of a replica checks every event's signature, later ones only
//! those of new events (`Document` remembers the good ones). Prints both, and their ratio, and
//! what such a ticket weighs as signed changes (what a phone holding it stores and sends).
//!
//! `cargo bench -p sampark-crdt --bench ticket_state`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use sampark_crdt::ticket::{self, Action, Category, Deadlines};
use sampark_crdt::{Author, CertificateBody, Hlc, Keypair, PublicKey, Role, Scope, Timestamp, TrustStore};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const TICKETS: usize = 200;
const COMMENTS: usize = 7;

fn main() {
    let root = Keypair::from_secret([1; 32]);
    let district = Keypair::from_secret([2; 32]);
    let block = Keypair::from_secret([3; 32]);
    let sevika = Author::new(Keypair::from_secret([20; 32]), [20; 8]);
    let operator = Author::new(Keypair::from_secret([10; 32]), [10; 8]);
    let cert = |issuer: &Keypair, subject: PublicKey, role, scope: &str| {
        CertificateBody {
            subject,
            role,
            scope: Scope::parse(scope).unwrap(),
            not_before: T0,
            not_after: T0.plus_days(365),
            programme: Default::default(),
        }
        .sign(issuer)
        .unwrap()
    };
    let mut trust = TrustStore::new(root.public());
    for c in [
        cert(&root, root.public(), Role::StateHub, "BR"),
        cert(&root, district.public(), Role::DistrictRelay, "BR/DBG"),
        cert(&district, block.public(), Role::BlockRelay, "BR/DBG/P07"),
        cert(&block, operator.public(), Role::Operator, "BR/DBG/P07"),
        cert(&block, sevika.public(), Role::Sevika, "BR/DBG/P07/S03/A0412"),
    ] {
        trust.add_certificate(c).unwrap();
    }
    let at = |minutes: i64| Hlc { wall: T0.0 + minutes * 60_000, logical: 0 };
    let mut docs = Vec::with_capacity(TICKETS);
    let mut signed_bytes = 0;
    for i in 0..TICKETS {
        let text = format!("टिकट {i}");
        // One author raises at most eight tickets a day: eight slots, one every three hours.
        let (slot, minute) = ((i % 8) as u8, i as i64 * 180);
        let scope = Scope::parse("BR/DBG/P07/S03/A0412").unwrap();
        let (mut doc, raised) =
            ticket::raise(&sevika, scope, Category::Sync, &text, vec![], slot, at(minute), &trust).unwrap();
        signed_bytes += raised.encode().len();
        for k in 0..COMMENTS {
            let action = Action::Commented { text: format!("टिप्पणी {k}") };
            let signed =
                ticket::append(&mut doc, &operator, action, at(10_000 + (i * COMMENTS + k) as i64), &trust).unwrap();
            signed_bytes += signed.encode().len();
        }
        docs.push(doc);
    }
    // Fresh replicas, as a relay has after loading its store.
    let fresh: Vec<_> = docs.iter().map(|d| sampark_crdt::Document::load(d.id().clone(), &d.save()).unwrap()).collect();
    let deadlines = Deadlines::default();
    let derive_all = |docs: &[sampark_crdt::Document]| {
        let started = Instant::now();
        for d in docs.iter() {
            let state = ticket::state_of(d, &trust, &deadlines).unwrap();
            assert_eq!(state.timeline.len(), COMMENTS + 1);
        }
        started.elapsed()
    };
    let first = derive_all(&fresh);
    let again = derive_all(&fresh);
    let events = TICKETS * (COMMENTS + 1);
    println!("ticket states: {TICKETS} tickets, {events} signed events");
    println!("  a ticket of {} events as signed changes: {} bytes", COMMENTS + 1, signed_bytes / TICKETS);
    println!("  first derivation (every signature checked): {:>8.1} ms", first.as_secs_f64() * 1e3);
    println!("  again (signatures remembered):              {:>8.1} ms", again.as_secs_f64() * 1e3);
    println!("  ratio: {:.1}x", first.as_secs_f64() / again.as_secs_f64().max(1e-9));
}
