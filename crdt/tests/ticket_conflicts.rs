//! The ticket conflict table (docs/data-model.md), one test per row. Each row builds the
//! concurrent events on separate replicas, then checks that every delivery order gives the same
//! derived state, and that the state is the one the table promises.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use sampark_crdt::ticket::{Action, Outcome, Status, TicketState, Tier};
use sampark_crdt::{Document, Revocation, SignedChange};

/// Applies `changes` to an empty replica in the order given by `order`.
fn replay(w: &World, id: &sampark_crdt::DocId, changes: &[SignedChange], order: &[usize]) -> TicketState {
    let mut doc = Document::new(id.clone());
    for i in order {
        doc.apply(&changes[*i], &w.trust).unwrap();
    }
    state(w, &doc)
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

/// Every delivery order of `changes` derives the same state; returns it.
fn converged(w: &World, doc: &Document, changes: &[SignedChange]) -> TicketState {
    let first = replay(w, doc.id(), changes, &(0..changes.len()).collect::<Vec<_>>());
    for order in permutations(changes.len()) {
        assert_eq!(replay(w, doc.id(), changes, &order), first, "order {order:?}");
    }
    first
}

fn outcome_of(s: &TicketState, action: &str) -> Vec<bool> {
    s.timeline.iter().filter(|e| e.action.name() == action).map(|e| e.outcome == Outcome::Accepted).collect()
}

#[test]
fn resolve_at_block_while_its_relay_escalates_on_deadline() {
    let w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let c1 = act(&w, &mut a, &w.block, Action::Received, 1);
    let mut b = a.clone();
    let c2 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("reinstalled the app") }, 48);
    let c3 = act(&w, &mut b, &w.block, Action::Escalated { text: text("deadline passed") }, 49);
    let s = converged(&w, &a, &[c0, c1, c2, c3]);
    assert_eq!((s.status, s.tier), (Status::Resolved, Tier::Block));
    assert_eq!(outcome_of(&s, "escalated"), vec![false]);
}

#[test]
fn resolve_at_block_while_the_district_pulls_it_up() {
    let w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let mut b = a.clone();
    let c1 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("done") }, 5);
    // The district's clock is earlier, but a resolution is judged before a pull-up.
    let c2 = act(&w, &mut b, &w.district_op, Action::PulledUp { text: text("district-wide issue") }, 4);
    let s = converged(&w, &a, &[c0, c1, c2]);
    assert_eq!((s.status, s.tier), (Status::Resolved, Tier::Block));
    assert_eq!(outcome_of(&s, "pulled-up"), vec![false]);
}

#[test]
fn a_second_resolution_while_the_raiser_reopens() {
    let w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let c1 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("first try") }, 1);
    let mut b = a.clone();
    let c2 = act(&w, &mut a, &w.sevika, Action::Reopened { text: text("still broken") }, 2);
    let c3 = act(&w, &mut b, &w.block_op, Action::Resolved { text: text("more detail") }, 3);
    let s = converged(&w, &a, &[c0, c1, c2, c3]);
    assert_eq!(s.status, Status::Open, "the reopen stands; the operator must resolve again");
    assert_eq!(outcome_of(&s, "resolved"), vec![true, false]);
}

#[test]
fn reopen_and_confirm_at_once_reopen_wins() {
    let w = World::new();
    // The raiser's phone was reinstalled: same key, new install nonce, two replicas.
    let reinstalled = sampark_crdt::Author::new(sampark_crdt::Keypair::from_secret([20; 32]), [99; 8]);
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let c1 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("done") }, 1);
    let mut b = a.clone();
    let c2 = act(&w, &mut a, &w.sevika, Action::Confirmed, 2);
    let c3 = act(&w, &mut b, &reinstalled, Action::Reopened { text: text("not fixed") }, 3);
    let s = converged(&w, &a, &[c0, c1, c2, c3]);
    assert_eq!(s.status, Status::Open);
    assert_eq!(outcome_of(&s, "confirmed"), vec![false]);
}

#[test]
fn two_tiers_resolving_the_first_judged_wins() {
    let w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let mut b = a.clone();
    let c1 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("block fix") }, 3);
    let c2 = act(&w, &mut b, &w.district_op, Action::PulledUp { text: text("ours") }, 1);
    let c3 = act(&w, &mut b, &w.district_op, Action::Resolved { text: text("district fix") }, 2);
    let s = converged(&w, &a, &[c0, c1, c2, c3]);
    assert_eq!((s.status, s.tier), (Status::Resolved, Tier::Block));
    assert_eq!(s.resolution.as_deref(), Some("block fix"));
    assert_eq!(outcome_of(&s, "resolved"), vec![true, false]);
}

#[test]
fn an_event_from_a_revoked_key_is_refused_once_the_revocation_is_known() {
    let mut w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    // Replica `a` accepts the operator's resolution before it hears of the revocation.
    let c1 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("closed by a thief") }, 3);
    assert_eq!(state(&w, &a).status, Status::Resolved);
    let rev = Revocation::sign(&w.block.keypair, w.block_op.public(), T0.plus_hours(2), "phone stolen");
    w.trust.add_revocation(rev).unwrap();
    // Now `a` and a replica that refused the change at the door show the same state.
    let mut b = Document::new(a.id().clone());
    b.apply(&c0, &w.trust).unwrap();
    assert!(b.apply(&c1, &w.trust).is_err());
    assert_eq!(state(&w, &a).status, Status::Open);
    assert_eq!(state(&w, &a).status, state(&w, &b).status);
    assert_eq!(outcome_of(&state(&w, &a), "resolved"), vec![false]);
}

#[test]
fn deadlines_follow_relay_stamps_not_the_phone_clock() {
    let w = World::new();
    let raise_at = |hours| {
        sampark_crdt::ticket::raise(
            &w.sevika,
            scope(AWC),
            sampark_crdt::ticket::Category::AppError,
            "ऐप बंद हो जाता है",
            vec![],
            0,
            at(hours),
            &w.trust,
        )
    };
    // A clock years behind predates the phone's certificate: refused, which is why the node
    // moves its clock up to the certificate's start when it enrols.
    assert!(raise_at(-24 * 365 * 3).is_err());
    // A clock 40 days ahead changes nothing: the deadline comes from the relay's stamp.
    let (mut doc, _) = raise_at(24 * 40).unwrap();
    assert_eq!(state(&w, &doc).deadline, None, "no relay has stamped it");
    act(&w, &mut doc, &w.block, Action::Received, 10);
    assert_eq!(state(&w, &doc).deadline, Some(T0.plus_hours(10 + 48)));
    assert!(state(&w, &doc).overdue(T0.plus_hours(58)));
    assert!(!state(&w, &doc).overdue(T0.plus_hours(57)));
    // A reopen stops the clock until the holding tier stamps it again.
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("x") }, 11);
    act(&w, &mut doc, &w.sevika, Action::Reopened { text: text("y") }, 12);
    let s = state(&w, &doc);
    assert!(s.deadline.is_none() && s.needs_receipt(Tier::Block));
    act(&w, &mut doc, &w.block, Action::Received, 13);
    assert_eq!(state(&w, &doc).deadline, Some(T0.plus_hours(13 + 48)));
}

#[test]
fn events_waiting_for_a_missing_predecessor_are_held_back() {
    let w = World::new();
    let (mut a, c0) = raise(&w, &w.sevika, AWC);
    let c1 = act(&w, &mut a, &w.block_op, Action::Commented { text: text("1") }, 1);
    let c2 = act(&w, &mut a, &w.block_op, Action::Resolved { text: text("2") }, 2);
    let mut b = Document::new(a.id().clone());
    b.apply(&c0, &w.trust).unwrap();
    assert_eq!(b.apply(&c2, &w.trust).unwrap(), sampark_crdt::Applied::Queued);
    assert_eq!(state(&w, &b).status, Status::Open);
    assert_eq!(b.apply(&c1, &w.trust).unwrap(), sampark_crdt::Applied::New);
    assert_eq!(state(&w, &b), state(&w, &a));
}

#[test]
fn an_event_naming_a_missing_predecessor_does_not_hold_back_later_ones() {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc, ScalarValue};
    use sampark_crdt::ticket::{Event, EventId};
    let w = World::new();
    let (mut doc, _) = raise(&w, &w.sevika, AWC);
    // A faulty phone appends a comment naming an event that does not exist.
    let ticket = sampark_crdt::ticket::ticket_id(&doc);
    let bogus =
        Event::sign(&w.sevika.keypair, ticket, Action::Commented { text: text("?") }, vec![EventId([9; 16])], at(1))
            .unwrap();
    doc.edit(&w.sevika, at(1).timestamp(), &w.trust, |tx| {
        let (_, list) = tx.get(ROOT, "events")?.expect("event list");
        let end = tx.length(&list);
        tx.insert(&list, end, ScalarValue::Bytes(bogus.encode()))
    })
    .unwrap();
    assert_eq!(state(&w, &doc).waiting, 1);
    act(&w, &mut doc, &w.block_op, Action::Resolved { text: text("done") }, 2);
    let s = state(&w, &doc);
    assert_eq!((s.status, s.waiting), (Status::Resolved, 1));
}
