//! A block relay stamps receipt when a ticket arrives and escalates it when the block's 48 hours
//! pass, by its own clock; the district then stamps its own receipt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::atomic::{AtomicI64, Ordering};

use sampark_crdt::ticket::{Action, Status, Tier};
use sampark_crdt::{PublicKey, Role, Scope, Timestamp};
use sampark_node::home::Home;
use sampark_node::net::contact::Node as _;
use sampark_node::ops::enrol::enroll_home;
use sampark_node::ops::{Node, Request, Response};
use sampark_relay::duties;
use sampark_relay::provision::{self, Tier as RelayTier};

const T0: Timestamp = Timestamp(1_800_000_000_000);
static CLOCK: AtomicI64 = AtomicI64::new(T0.0);

fn clock() -> Timestamp {
    Timestamp(CLOCK.load(Ordering::SeqCst))
}

fn advance_hours(h: i64) {
    CLOCK.fetch_add(h * 3_600_000, Ordering::SeqCst);
}

/// Copies every signed change of `from`'s documents into `to` (a contact, in short).
fn carry(from: &Node, to: &mut Node) {
    let chain: Vec<_> = from.trust_store().certificates().cloned().collect();
    to.learn(chain, vec![]).unwrap();
    for doc in from.documents_held().map(|d| d.id().clone()).collect::<Vec<_>>() {
        let signed = from.store().changes(&doc).unwrap().value;
        let batch =
            signed.into_iter().map(|s| (s.clone(), sampark_crdt::verify(&s, to.trust_store()).unwrap())).collect();
        to.deliver(batch).unwrap();
    }
}

#[test]
fn receipt_then_escalation_on_the_relays_clock() {
    let dir = tempfile::tempdir().unwrap();
    let home = |n: &str| Home::new(dir.path().join(n));
    let scope = |s: &str| Scope::parse(s).unwrap();
    provision::init(&home("state"), RelayTier::State, &scope("BR"), 3650, T0).unwrap();
    let enrol = |issuer: &str, name: &str, key: PublicKey, role: Role, at: &str| {
        let (file, _) = provision::certify(&home(issuer), key, role, &scope(at), 365, T0).unwrap();
        enroll_home(&home(name), &file, T0).unwrap();
    };
    let d = provision::init(&home("district"), RelayTier::District, &scope("BR/DBG"), 0, T0).unwrap();
    enrol("state", "district", d.key.parse().unwrap(), Role::DistrictRelay, "BR/DBG");
    let b = provision::init(&home("block"), RelayTier::Block, &scope("BR/DBG/P07"), 0, T0).unwrap();
    enrol("district", "block", b.key.parse().unwrap(), Role::BlockRelay, "BR/DBG/P07");
    let phone_key = home("phone").init().unwrap();
    enrol("block", "phone", phone_key, Role::Sevika, "BR/DBG/P07/S03/A0412");

    advance_hours(1);
    let mut phone = Node::open(&home("phone")).unwrap().with_clock(clock);
    let mut block = Node::open(&home("block")).unwrap().with_clock(clock);
    let mut district = Node::open(&home("district")).unwrap().with_clock(clock);
    let Response::Ticket(t) = phone.handle(Request::Raise { category: "sync".into(), text: "सिंक नहीं".into() }).unwrap()
    else {
        panic!("not a ticket")
    };
    assert_eq!(duties::tier_of(&phone), None);
    assert!(duties::perform(&mut phone).unwrap().is_empty(), "a phone has no duties");

    // The ticket reaches the block: the relay stamps receipt; the deadline runs from it.
    carry(&phone, &mut block);
    let done = duties::perform(&mut block).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].action, Action::Received);
    let id = done[0].doc.clone();
    let state = block.ticket_state(&id).unwrap();
    assert_eq!(state.deadline, Some(clock().plus_hours(48)));
    assert!(duties::perform(&mut block).unwrap().is_empty(), "nothing more until the deadline");

    // 47 hours on: still the block's. 2 more: escalated by the relay, to the district.
    advance_hours(47);
    assert!(duties::perform(&mut block).unwrap().is_empty());
    advance_hours(2);
    let done = duties::perform(&mut block).unwrap();
    assert!(matches!(done[..], [duties::Duty { action: Action::Escalated { .. }, .. }]));
    let state = block.ticket_state(&id).unwrap();
    assert_eq!((state.tier, state.status, state.deadline), (Tier::District, Status::Open, None));

    // The district gets it and stamps its own receipt: its 72 hours start now.
    carry(&block, &mut district);
    let done = duties::perform(&mut district).unwrap();
    assert_eq!(done.iter().map(|d| d.action.name()).collect::<Vec<_>>(), vec!["received"]);
    assert_eq!(district.ticket_state(&id).unwrap().deadline, Some(clock().plus_hours(72)));
    assert_eq!(t.id.len(), 32);
}
