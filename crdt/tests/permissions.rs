//! Every permission rule, allowed and forbidden: who may certify whom, who may write which
//! document, and who may do what to a ticket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use automerge::ROOT;
use automerge::transaction::Transactable;
use common::*;
use sampark_crdt::ticket::{Action, Outcome, Status, Tier};
use sampark_crdt::trust::TrustError;
use sampark_crdt::{
    ApplyError, CertificateBody, DocId, Document, EditError, Rejection, Revocation, Role, Timestamp, TrustStore,
};

fn last_outcome(w: &World, doc: &Document) -> Outcome {
    state(w, doc).timeline.last().unwrap().outcome.clone()
}

fn refused(o: &Outcome) -> bool {
    matches!(o, Outcome::Refused(_))
}

// ---- certificates -------------------------------------------------------------------------

#[test]
fn the_chain_grants_roles_within_their_windows() {
    let w = World::new();
    let g = w.trust.grants(&w.sevika.public(), T0);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].role, Role::Sevika);
    assert!(w.trust.grants(&w.sevika.public(), Timestamp(T0.0 - 1)).is_empty(), "before not_before");
    assert!(w.trust.grants(&w.sevika.public(), T0.plus_days(365)).is_empty(), "at not_after");
    assert!(w.trust.grants(&common::keypair(99).public(), T0).is_empty(), "unknown key");
}

#[test]
fn an_issuer_cannot_grant_above_itself_or_outside_its_scope() {
    let mut w = World::new();
    let (a, b, c) = (common::keypair(50), common::keypair(51), common::keypair(52));
    // A block relay certifying a district relay, a block relay, and a sevika of another block.
    w.trust.add_certificate(cert(&w.block.keypair, a.public(), Role::DistrictRelay, DISTRICT)).unwrap();
    w.trust.add_certificate(cert(&w.block.keypair, b.public(), Role::BlockRelay, BLOCK)).unwrap();
    w.trust.add_certificate(cert(&w.block.keypair, c.public(), Role::Sevika, "BR/DBG/P08/S01/A0001")).unwrap();
    for k in [a, b, c] {
        assert!(w.trust.grants(&k.public(), T0).is_empty());
    }
    // A sevika or an operator certifying anyone.
    let d = common::keypair(53);
    w.trust.add_certificate(cert(&w.sevika.keypair, d.public(), Role::Sevika, AWC)).unwrap();
    w.trust.add_certificate(cert(&w.block_op.keypair, d.public(), Role::Sevika, AWC2)).unwrap();
    assert!(w.trust.grants(&d.public(), T0).is_empty());
    // The district relay may certify a sevika directly.
    let e = common::keypair(54);
    w.trust.add_certificate(cert(&w.district.keypair, e.public(), Role::Sevika, AWC)).unwrap();
    assert_eq!(w.trust.grants(&e.public(), T0).len(), 1);
}

#[test]
fn a_certificate_outlives_nothing_in_its_chain() {
    let mut w = World::new();
    let short = common::keypair(60);
    let body = CertificateBody {
        subject: short.public(),
        role: Role::BlockRelay,
        scope: scope("BR/DBG/P09"),
        not_before: T0,
        not_after: T0.plus_days(1),
        programme: Default::default(),
    };
    w.trust.add_certificate(body.sign(&w.district.keypair).unwrap()).unwrap();
    let leaf = common::keypair(61);
    w.trust.add_certificate(cert(&short, leaf.public(), Role::Sevika, "BR/DBG/P09/S01/A0001")).unwrap();
    assert_eq!(w.trust.grants(&leaf.public(), T0.plus_hours(1)).len(), 1);
    assert!(w.trust.grants(&leaf.public(), T0.plus_days(2)).is_empty(), "issuer expired");
}

#[test]
fn forged_and_fake_root_certificates_are_not_taken() {
    let mut w = World::new();
    let mut forged = cert(&w.block.keypair, common::keypair(70).public(), Role::Sevika, AWC);
    forged.role = Role::Supervisor;
    assert_eq!(w.trust.add_certificate(forged), Err(TrustError::BadSignature("certificate")));
    let mallory = common::keypair(71);
    let fake_root = cert(&mallory, mallory.public(), Role::StateHub, "BR");
    assert!(matches!(w.trust.add_certificate(fake_root), Err(TrustError::NotRoot(_))));
}

#[test]
fn revocation_cuts_a_key_and_what_it_issued_from_its_time() {
    let mut w = World::new();
    let revoked_at = T0.plus_hours(10);
    let rev = Revocation::sign(&w.district.keypair, w.block.public(), revoked_at, "laptop stolen");
    assert!(w.trust.add_revocation(rev).unwrap());
    assert_eq!(w.trust.revoked_from(&w.block.public()), Some(revoked_at));
    assert!(!w.trust.grants(&w.block.public(), T0.plus_hours(9)).is_empty());
    assert!(w.trust.grants(&w.block.public(), revoked_at).is_empty());
    // The sevika's certificate was issued by the block relay: it counts before, not after.
    assert!(!w.trust.grants(&w.sevika.public(), T0.plus_hours(9)).is_empty());
    assert!(w.trust.grants(&w.sevika.public(), T0.plus_hours(11)).is_empty());
}

#[test]
fn only_a_key_above_may_revoke() {
    let mut w = World::new();
    // A sevika "revoking" her block relay, another block's relay revoking this block's sevika.
    w.trust.add_revocation(Revocation::sign(&w.sevika.keypair, w.block.public(), T0, "x")).unwrap();
    w.trust.add_revocation(Revocation::sign(&w.other_block.keypair, w.sevika.public(), T0, "x")).unwrap();
    assert_eq!(w.trust.revoked_from(&w.block.public()), None);
    assert_eq!(w.trust.revoked_from(&w.sevika.public()), None);
    // Her own block relay may, and so may the root.
    w.trust.add_revocation(Revocation::sign(&w.block.keypair, w.sevika.public(), T0.plus_hours(5), "lost")).unwrap();
    assert_eq!(w.trust.revoked_from(&w.sevika.public()), Some(T0.plus_hours(5)));
    w.trust.add_revocation(Revocation::sign(&w.root, w.sevika.public(), T0.plus_hours(2), "lost")).unwrap();
    assert_eq!(w.trust.revoked_from(&w.sevika.public()), Some(T0.plus_hours(2)));
    // Nobody revokes the root.
    let rev = Revocation::sign(&w.root, w.root.public(), T0, "x");
    assert_eq!(w.trust.add_revocation(rev), Err(TrustError::RevokesRoot));
}

// ---- documents ----------------------------------------------------------------------------

/// Creates an entry (an empty map under a fresh ID of the writer's own) in `doc` as `who`.
fn write(w: &World, who: &sampark_crdt::Author, doc: &str) -> Result<(), EditError> {
    let mut d = Document::new(DocId::parse(doc).unwrap());
    let key = sampark_crdt::register::entry_id(&who.public(), at(1));
    d.edit(who, T0.plus_hours(1), &w.trust, |tx| tx.put_object(ROOT, key, automerge::ObjType::Map).map(|_| ()))
        .map(|_| ())
}

fn refused_with(r: Result<(), EditError>, check: fn(&Rejection) -> bool) -> bool {
    matches!(r, Err(EditError::Refused(ApplyError::Rejected(ref rej))) if check(rej))
}

#[test]
fn registers_are_written_by_their_sevika_and_supervisor_only() {
    let w = World::new();
    let own = format!("{AWC}:growth/2023-11");
    assert!(write(&w, &w.sevika, &own).is_ok());
    assert!(write(&w, &w.supervisor, &own).is_ok());
    for who in [&w.sevika2, &w.block_op, &w.block, &w.district_op, &w.other_block_op] {
        assert!(refused_with(write(&w, who, &own), |r| matches!(r, Rejection::NotPermitted { .. })));
    }
    let outside = "BR/DBG/P07/S04/A0500:families";
    assert!(refused_with(write(&w, &w.supervisor, outside), |r| matches!(r, Rejection::NotPermitted { .. })));
}

#[test]
fn register_changes_keep_to_the_layout() {
    let w = World::new();
    let doc = format!("{AWC}:growth/2023-11");
    let forbidden =
        |f: fn(&mut automerge::transaction::Transaction<'_>, String) -> Result<(), automerge::AutomergeError>,
         key: String| {
            let mut d = Document::new(DocId::parse(&doc).unwrap());
            let r = d.edit(&w.sevika, T0.plus_hours(1), &w.trust, |tx| f(tx, key)).map(|_| ());
            refused_with(r, |r| matches!(r, Rejection::Forbidden { .. }))
        };
    let own = sampark_crdt::register::entry_id(&w.sevika.public(), at(1));
    let someone_elses = sampark_crdt::register::entry_id(&w.supervisor.public(), at(1));
    // An entry under somebody else's ID, or under a made-up key; a scalar at the root; a list.
    assert!(forbidden(|tx, k| tx.put_object(ROOT, k, automerge::ObjType::Map).map(|_| ()), someone_elses));
    assert!(forbidden(|tx, _| tx.put_object(ROOT, "entries", automerge::ObjType::Map).map(|_| ()), own.clone()));
    assert!(forbidden(|tx, k| tx.put(ROOT, k, 1).map(|_| ()), own.clone()));
    assert!(forbidden(|tx, k| tx.put_object(ROOT, k, automerge::ObjType::List).map(|_| ()), own.clone()));
    // Nested objects inside an entry.
    assert!(forbidden(
        |tx, k| {
            let e = tx.put_object(ROOT, k, automerge::ObjType::Map)?;
            tx.put_object(&e, "nested", automerge::ObjType::Map).map(|_| ())
        },
        own.clone()
    ));
    // What the layout allows: an entry of one's own with scalar fields, and the schema version.
    assert!(write(&w, &w.sevika, &doc).is_ok());
    let mut d = Document::new(DocId::parse(&doc).unwrap());
    let ok = d.edit(&w.sevika, T0.plus_hours(1), &w.trust, |tx| {
        tx.put(ROOT, "schema", automerge::ScalarValue::Uint(1))?;
        let e = tx.put_object(ROOT, own, automerge::ObjType::Map)?;
        tx.put(&e, "weight_kg", 7.5)
    });
    assert!(ok.is_ok());
}

#[test]
fn a_key_without_certificate_writes_nothing() {
    let w = World::new();
    let stranger = common::author(90);
    let r = write(&w, &stranger, &format!("{AWC}:families"));
    assert!(refused_with(r, |r| matches!(r, Rejection::NoCertificate { .. })));
}

#[test]
fn a_revoked_key_writes_nothing_after_its_revocation() {
    let mut w = World::new();
    w.trust.add_revocation(Revocation::sign(&w.block.keypair, w.sevika.public(), T0, "lost phone")).unwrap();
    let r = write(&w, &w.sevika, &format!("{AWC}:families"));
    assert!(refused_with(r, |r| matches!(r, Rejection::Revoked { .. })));
}

#[test]
fn a_revocation_dated_back_does_not_undo_what_a_relay_receipted() {
    use sampark_crdt::receipt::vouch_held;
    use sampark_crdt::{Receipt, ticket, verify};
    let mut w = World::new();
    let (doc, signed) = raise(&w, &w.sevika, AWC);
    let hash = verify(&signed, &w.trust).unwrap().change.hash();
    // The block relay receipted the ticket; then the phone is revoked from the moment it was raised.
    let receipt = Receipt::sign(&w.block.keypair, doc.id().clone(), vec![hash], T0.plus_hours(1));
    receipt.verify(&w.trust).unwrap();
    w.trust.add_revocation(Revocation::sign(&w.block.keypair, w.sevika.public(), T0, "lost")).unwrap();
    assert!(matches!(verify(&signed, &w.trust), Err(Rejection::Revoked { .. })), "unvouched, it is refused");
    assert!(ticket::state_of(&doc, &w.trust, &Default::default()).is_err(), "and its state cannot be derived");

    // A replica that knows the receipt accepts the change and derives the ticket, the same way.
    let mut knows = w.trust.clone();
    receipt.vouch(&mut knows);
    assert!(verify(&signed, &knows).is_ok());
    vouch_held(&mut knows, &doc, [hash]);
    assert_eq!(ticket::state_of(&doc, &knows, &Default::default()).unwrap().status, Status::Open);
    // What the phone signs after the revocation is still refused, receipt or not.
    let later = write(&World { trust: knows.clone(), ..World::new() }, &w.sevika, &format!("{AWC}:families"));
    assert!(refused_with(later, |r| matches!(r, Rejection::Revoked { .. })));
}

#[test]
fn a_change_checked_before_still_meets_every_rule_but_the_signature() {
    use sampark_crdt::verify::{verify, verify_checked_before};
    let mut w = World::new();
    let (_, signed) = raise(&w, &w.sevika, AWC);
    assert!(verify(&signed, &w.trust).is_ok() && verify_checked_before(&signed, &w.trust).is_ok());
    let bare = TrustStore::new(w.root.public());
    assert!(matches!(verify_checked_before(&signed, &bare), Err(Rejection::NoCertificate { .. })));
    w.trust.add_revocation(Revocation::sign(&w.block.keypair, w.sevika.public(), T0, "lost phone")).unwrap();
    assert!(matches!(verify_checked_before(&signed, &w.trust), Err(Rejection::Revoked { .. })));
}

#[test]
fn a_ticket_of_another_block_cannot_be_touched() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    let r = sampark_crdt::ticket::append(
        &mut doc,
        &w.other_block_op,
        Action::Commented { text: text("x") },
        at(1),
        &w.trust,
    );
    assert!(r.is_err(), "the change itself is refused");
    assert_eq!(state(&w, &doc).timeline.len(), 1);
}

// ---- tickets ------------------------------------------------------------------------------

#[test]
fn who_may_raise() {
    let w = World::new();
    let s = |who: &sampark_crdt::Author, at_: &str| {
        sampark_crdt::ticket::raise(
            who,
            scope(at_),
            sampark_crdt::ticket::Category::Other,
            "x",
            vec![],
            0,
            at(0),
            &w.trust,
        )
    };
    assert!(s(&w.sevika, AWC).is_ok());
    assert!(s(&w.supervisor, SECTOR).is_ok());
    assert!(s(&w.supervisor, AWC).is_err(), "a supervisor raises in her sector: one set of daily slots");
    assert!(s(&w.sevika, AWC2).is_err(), "another centre");
    assert!(s(&w.sevika, SECTOR).is_err(), "a sevika's scope is her centre");
    // An operator may write the ticket (comment, resolve) but not raise it.
    assert!(s(&w.block_op, AWC).is_err());
}

#[test]
fn a_raiser_has_eight_ticket_slots_a_day_and_a_short_description() {
    use sampark_crdt::ticket::{self, Category, Event, MAX_TICKETS_PER_DAY};
    let w = World::new();
    let raise = |slot: u8, hours: i64, text: &str| {
        ticket::raise(&w.sevika, scope(AWC), Category::Sync, text, vec![], slot, at(hours), &w.trust)
    };
    let (first, g1) = raise(0, 0, "पहला").unwrap();
    // The same slot an hour later, with other words: the same ticket document, another version.
    let (again, g2) = raise(0, 1, "दूसरा").unwrap();
    assert_eq!(first.id(), again.id());
    assert_ne!(g1.change, g2.change);
    assert_ne!(raise(1, 0, "x").unwrap().0.id(), first.id(), "another slot");
    assert_ne!(raise(0, 24, "x").unwrap().0.id(), first.id(), "the next day");
    assert!(raise(MAX_TICKETS_PER_DAY - 1, 0, "x").is_ok());
    assert!(raise(MAX_TICKETS_PER_DAY, 0, "x").is_err(), "no ninth slot");
    // A hand-made raised event naming a ninth slot does not even decode.
    let event = ticket::events(&raise(MAX_TICKETS_PER_DAY - 1, 0, "x").unwrap().0).remove(0);
    let mut bytes = event.encode();
    let slot_at = bytes.len() - 64 - 4 - 8 - 32 - 1 - 1;
    assert_eq!(bytes[slot_at], MAX_TICKETS_PER_DAY - 1);
    bytes[slot_at] = MAX_TICKETS_PER_DAY;
    assert!(Event::decode(&bytes).is_err());
    // A description is at most 2,000 bytes; a comment or resolution may be longer.
    assert!(raise(2, 0, &"क".repeat(666)).is_ok());
    assert!(raise(2, 0, &"क".repeat(667)).is_err());
    let (mut doc, _) = raise(3, 0, "x").unwrap();
    ticket::append(&mut doc, &w.sevika, Action::Commented { text: "क".repeat(1300) }, at(1), &w.trust).unwrap();
    // Once all eight are held, no slot is left that day; the next day has eight again.
    let all = |_| Ok::<_, ()>(true);
    assert_eq!(ticket::free_slot(&w.sevika.public(), at(0), all), Ok(None));
    let held = first.id().clone();
    let free = |t| Ok::<_, ()>(DocId::new(scope(AWC), sampark_crdt::DocKind::Ticket(t)).unwrap() == held);
    assert_eq!(ticket::free_slot(&w.sevika.public(), at(0), free), Ok(Some(1)));
}

#[test]
fn two_versions_of_one_slot_read_the_same_on_every_replica() {
    use sampark_crdt::ticket::{self, Category};
    let w = World::new();
    // The same key under another install nonce (one actor's seq 1 twice Automerge refuses).
    let twin = sampark_crdt::Author::new(common::keypair(20), [9; 8]);
    let raise = |who: &sampark_crdt::Author, hours: i64, text: &str| {
        ticket::raise(who, scope(AWC), Category::Sync, text, vec![], 0, at(hours), &w.trust).unwrap()
    };
    let ((mut a, ga), (mut b, gb)) = (raise(&w.sevika, 0, "पहला"), raise(&twin, 1, "दूसरा"));
    a.apply(&gb, &w.trust).unwrap();
    b.apply(&ga, &w.trust).unwrap();
    let (sa, sb) = (state(&w, &a), state(&w, &b));
    assert_eq!(sa.text, sb.text, "one raised event counts, the same on both");
    assert_eq!(sa.timeline.len(), 1);
}

#[test]
fn the_raiser_comments_reopens_and_confirms() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.sevika, Action::Commented { text: text("अभी भी") }, 1);
    assert_eq!(last_outcome(&w, &doc), Outcome::Accepted);
    act(&w, &mut doc, &w.sevika, Action::Reopened { text: text("x") }, 2);
    assert!(refused(&last_outcome(&w, &doc)), "cannot reopen an open ticket");
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("app updated") }, 3);
    act(&w, &mut doc, &w.sevika, Action::Reopened { text: text("still failing") }, 4);
    assert_eq!(state(&w, &doc).status, Status::Open);
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("cache cleared") }, 5);
    act(&w, &mut doc, &w.sevika, Action::Confirmed, 6);
    let s = state(&w, &doc);
    assert_eq!(s.status, Status::Closed);
    assert_eq!(s.resolution.as_deref(), Some("cache cleared"));
    act(&w, &mut doc, &w.sevika, Action::Commented { text: text("late") }, 7);
    assert!(refused(&last_outcome(&w, &doc)), "closed tickets take no comments");
}

#[test]
fn another_phone_carries_once_until_a_relay_has_it() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.sevika, Action::Carried, 1);
    assert!(refused(&last_outcome(&w, &doc)), "the raiser does not carry her own ticket");
    act(&w, &mut doc, &w.block_op, Action::Carried, 2);
    assert!(refused(&last_outcome(&w, &doc)), "an operator is not a phone");
    act(&w, &mut doc, &w.sevika2, Action::Carried, 3);
    assert_eq!(last_outcome(&w, &doc), Outcome::Accepted);
    act(&w, &mut doc, &w.sevika2, Action::Carried, 4);
    assert!(refused(&last_outcome(&w, &doc)), "once per phone");
    act(&w, &mut doc, &w.supervisor, Action::Carried, 5);
    assert_eq!(last_outcome(&w, &doc), Outcome::Accepted);
    act(&w, &mut doc, &w.block, Action::Received, 6);
    act(&w, &mut doc, &w.sevika2, Action::Carried, 7);
    assert!(refused(&last_outcome(&w, &doc)), "the relay has it now");
    let s = state(&w, &doc);
    let carriers: Vec<_> = s.carried_by.iter().map(|(k, _)| *k).collect();
    assert_eq!(carriers, vec![w.sevika2.public(), w.supervisor.public()]);
    assert_eq!((s.status, s.tier), (Status::Open, Tier::Block), "carrying changes nothing else");
    // A carrier may write nothing else into the ticket: verification refuses the change itself.
    let comment = Action::Commented { text: text("x") };
    let err = sampark_crdt::ticket::append(&mut doc, &w.sevika2, comment, at(8), &w.trust).unwrap_err();
    assert!(err.to_string().contains("only notes that it carried"), "{err}");
}

#[test]
fn nobody_else_speaks_for_the_raiser() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("done") }, 1);
    for who in [&w.supervisor, &w.block_op] {
        act(&w, &mut doc, who, Action::Confirmed, 2);
        assert!(refused(&last_outcome(&w, &doc)));
        act(&w, &mut doc, who, Action::Reopened { text: text("x") }, 3);
        assert!(refused(&last_outcome(&w, &doc)));
    }
    act(&w, &mut doc, &w.supervisor, Action::Commented { text: text("x") }, 4);
    assert!(refused(&last_outcome(&w, &doc)), "the supervisor did not raise it");
    assert_eq!(state(&w, &doc).status, Status::Resolved);
}

#[test]
fn the_holding_tier_assigns_comments_resolves_and_escalates() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    // Not yet held by the district: it may not assign, comment or resolve.
    for action in [Action::Assigned { to: w.district_op.public() }, Action::Commented { text: text("x") }] {
        act(&w, &mut doc, &w.district_op, action, 1);
        assert!(refused(&last_outcome(&w, &doc)));
    }
    act(&w, &mut doc, &w.block_op, Action::Assigned { to: w.sevika.public() }, 1);
    assert!(refused(&last_outcome(&w, &doc)), "only an operator of the tier can be assigned");
    act(&w, &mut doc, &w.block_op, Action::Assigned { to: w.block_op.public() }, 1);
    assert_eq!(state(&w, &doc).assignee, Some(w.block_op.public()));
    act(&w, &mut doc, &w.block_op, Action::Escalated { text: text("needs district") }, 2);
    let s = state(&w, &doc);
    assert_eq!((s.tier, s.assignee), (Tier::District, None));
    // Now the block no longer holds it.
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("x") }, 3);
    assert!(refused(&last_outcome(&w, &doc)));
    act(&w, &mut doc, &w.district_op, Action::Escalated { text: text("needs state") }, 4);
    act(&w, &mut doc, &w.state_op, Action::Escalated { text: text("x") }, 5);
    assert!(refused(&last_outcome(&w, &doc)), "nothing above the state");
    act(&w, &mut doc, &w.state_op, Action::Resolved { text: text("fixed at state") }, 6);
    let s = state(&w, &doc);
    assert_eq!((s.tier, s.status), (Tier::State, Status::Resolved));
}

#[test]
fn relays_escalate_and_stamp_receipt_but_do_not_resolve() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.block, Action::Received, 1);
    assert_eq!(state(&w, &doc).deadline, Some(T0.plus_hours(1 + 48)));
    act(&w, &mut doc, &w.block, Action::Resolved { text: text("x") }, 2);
    assert!(refused(&last_outcome(&w, &doc)));
    act(&w, &mut doc, &w.block, Action::Escalated { text: text("deadline passed") }, 49);
    let s = state(&w, &doc);
    assert_eq!((s.tier, s.deadline), (Tier::District, None));
    act(&w, &mut doc, &w.district, Action::Received, 50);
    assert_eq!(state(&w, &doc).deadline, Some(T0.plus_hours(50 + 72)));
    act(&w, &mut doc, &w.sevika, Action::Received, 51);
    assert!(refused(&last_outcome(&w, &doc)), "a phone stamps no receipts");
}

#[test]
fn a_higher_tier_pulls_up_and_a_lower_one_cannot() {
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.block_op, Action::PulledUp { text: text("x") }, 1);
    assert!(refused(&last_outcome(&w, &doc)), "the block already holds it");
    act(&w, &mut doc, &w.state_op, Action::PulledUp { text: text("state-wide outage") }, 2);
    let s = state(&w, &doc);
    assert_eq!(s.tier, Tier::State);
    assert_eq!(s.received.get(&Tier::State), Some(&T0.plus_hours(2)));
    act(&w, &mut doc, &w.district_op, Action::PulledUp { text: text("x") }, 3);
    assert!(refused(&last_outcome(&w, &doc)), "the district is below the state");
}

#[test]
fn a_revoked_operator_is_refused_after_revocation_only() {
    let mut w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    act(&w, &mut doc, &w.block_op, Action::Commented { text: text("looking") }, 1);
    // Revoked at hour 2; the change at hour 3 is refused at the door by anyone who knows.
    let rev = Revocation::sign(&w.block.keypair, w.block_op.public(), T0.plus_hours(2), "left the job");
    w.trust.add_revocation(rev).unwrap();
    let r = sampark_crdt::ticket::append(&mut doc, &w.block_op, Action::Resolved { text: text("x") }, at(3), &w.trust);
    assert!(r.is_err());
    let s = state(&w, &doc);
    assert_eq!(s.timeline.len(), 2);
    assert_eq!(s.timeline[1].outcome, Outcome::Accepted, "made before the revocation");
}

#[test]
fn a_fresh_trust_store_knows_nothing() {
    let w = World::new();
    let (_, change) = raise(&w, &w.sevika, AWC);
    let empty = TrustStore::new(w.root.public());
    assert!(matches!(sampark_crdt::verify(&change, &empty), Err(Rejection::NoCertificate { .. })));
}
