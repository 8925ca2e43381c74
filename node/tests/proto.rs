//! The contact protocol between in-memory nodes: what moves, what is refused, what it costs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod fixture;

use fixture::*;
use sampark_crdt::ticket::{self, Deadlines, Status};
use sampark_crdt::{DocId, Revocation, Timestamp};
use sampark_node::proto::{Config, In, Local, Message, Out, Outcome, Session};

fn held(node: &sampark_node::proto::MemoryNode) -> Vec<DocId> {
    node.documents().into_iter().map(|(d, _)| d).collect()
}

#[test]
fn a_phone_syncs_its_centre_with_the_relay_and_back() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut relay = block.node(&block.relay);
    weigh(&mut phone, &block.sevika, AWC, 5, 0);
    let t = raise(&mut phone, &block.sevika, AWC, 10);
    let c = contact(&mut phone, &mut relay);
    assert_eq!((c.a.outcome.clone(), c.b.outcome.clone()), (Outcome::Complete, Outcome::Complete));
    assert_eq!(c.a.changes_sent, 6);
    assert_eq!(c.b.changes_received, 6);
    assert_eq!(held(&relay), held(&phone));
    let state = ticket::state_of(relay.document(&t).unwrap(), relay.trust(), &Deadlines::default()).unwrap();
    assert_eq!(state.status, Status::Open);

    // A replaced phone (same person, new install, empty store) restores from the relay.
    let mut new_phone = block.node(&block.sevika);
    contact(&mut new_phone, &mut relay);
    assert_eq!(held(&new_phone), held(&phone));
    assert_eq!(new_phone.change_count(), 6);
}

#[test]
fn nothing_new_costs_one_fingerprint_each_way() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut relay = block.node(&block.relay);
    weigh(&mut phone, &block.sevika, AWC, 20, 0);
    raise(&mut phone, &block.sevika, AWC, 30);
    contact(&mut phone, &mut relay);
    let again = contact(&mut phone, &mut relay);
    assert_eq!(again.a.changes_sent + again.b.changes_sent, 0);
    let bytes = again.a.bytes_sent + again.b.bytes_sent;
    println!("nothing new: {bytes} bytes both ways, {} one-way trips", again.trips);
    assert!(bytes < 2048, "{bytes} bytes");
    assert!(again.trips <= 4, "{} trips", again.trips);
}

#[test]
fn a_ticket_travels_by_mule_and_only_verified() {
    let block = Block::new();
    let mut a = block.node(&block.sevika);
    let mut b = block.node(&block.sevika2);
    let mut relay = block.node(&block.relay);
    weigh(&mut a, &block.sevika, AWC, 3, 0);
    let t = raise(&mut a, &block.sevika, AWC, 5);
    // A and B are phones of different centres of the same block: B carries A's data.
    let ab = contact(&mut a, &mut b);
    assert_eq!(ab.b.changes_received, 4, "B takes A's centre's data to carry");
    assert!(b.document(&t).is_some());
    // B meets the relay; A never does.
    let br = contact(&mut b, &mut relay);
    assert_eq!(br.b.changes_received, 4);
    let state = ticket::state_of(relay.document(&t).unwrap(), relay.trust(), &Deadlines::default()).unwrap();
    assert_eq!(state.raised_by, block.sevika.public());
    // The relay learnt A's certificate chain from B, so it could verify A's changes.
    assert!(!relay.trust().grants(&block.sevika.public(), T0.plus_hours(1)).is_empty());
    // The relay does not hand other centres' data to a phone.
    let mut c = block.node(&block.sevika2);
    contact(&mut c, &mut relay);
    assert!(c.document(&t).is_none());
}

#[test]
fn a_raiser_who_signs_one_slot_many_times_gets_one_ticket_on_every_node() {
    use sampark_crdt::{Author, Keypair, Scope};
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut mate = block.node(&block.sevika2);
    let mut relay = block.node(&block.relay);
    let t = raise(&mut phone, &block.sevika, AWC, 0);
    contact(&mut phone, &mut relay);
    // A copy of the same key (another install nonce each time) signs 20 other versions of the
    // day's first slot and hands them all to a sector-mate, then the relay.
    let mut hostile = block.node(&block.sevika);
    for i in 0..20u8 {
        let twin = Author::new(Keypair::from_secret([20; 32]), [100 + i; 8]);
        let (doc, change) = ticket::raise(
            &twin,
            Scope::parse(AWC).unwrap(),
            ticket::Category::Other,
            &format!("नकली {i}"),
            vec![],
            0,
            at(1 + i64::from(i)),
            hostile.trust(),
        )
        .unwrap();
        assert_eq!(doc.id(), &t, "one slot, one ticket document");
        if i == 0 {
            *hostile.document_mut(&t) = doc;
        } else {
            let trust = hostile.trust().clone();
            hostile.document_mut(&t).apply(&change, &trust).unwrap();
        }
        hostile.record_own(change);
    }
    assert_eq!(hostile.missing(&t, &[]).len(), 20);
    let to_mate = contact(&mut hostile, &mut mate);
    assert_eq!(to_mate.b.changes_received, 1, "the mate keeps the first version it is given");
    assert_eq!(to_mate.b.changes_refused, 19);
    assert!(to_mate.b.refusals.iter().any(|r| r.contains("twice")), "{:?}", to_mate.b.refusals);
    let to_relay = contact(&mut mate, &mut relay);
    assert_eq!(to_relay.b.changes_received, 0, "the relay already holds the phone's version");
    assert!(to_relay.b.refusals.iter().any(|r| r.contains("twice")), "{:?}", to_relay.b.refusals);
    let state = |n: &sampark_node::proto::MemoryNode| {
        ticket::state_of(n.document(&t).unwrap(), n.trust(), &Deadlines::default()).unwrap()
    };
    assert_eq!(state(&relay).text, "सिंक नहीं");
    assert_eq!(relay.missing(&t, &[]).len(), 1, "one first change at the relay");
    assert_eq!(mate.missing(&t, &[]).len(), 1);
}

#[test]
fn an_interrupted_contact_resumes_without_resending() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut relay = block.node(&block.relay);
    weigh(&mut phone, &block.sevika, AWC, 40, 0);
    raise(&mut phone, &block.sevika, AWC, 50);
    // A small byte budget: the contact ends before everything moved.
    let config = Config { budget_bytes: Some(6_000), batch_bytes: 2_000, ..Config::default() };
    let first = contact_with(&mut phone, &mut relay, config, T0.plus_hours(1), None);
    assert_eq!(first.a.outcome, Outcome::BudgetExhausted);
    let got = relay.change_count();
    assert!(got > 0 && got < 41, "{got} of 41 moved");
    // The ticket went first.
    let ticket_docs = relay.documents().into_iter().filter(|(d, _)| d.kind.is_ticket()).count();
    assert_eq!(ticket_docs, 1);
    let second = contact(&mut phone, &mut relay);
    assert_eq!(second.a.outcome, Outcome::Complete);
    assert_eq!(relay.change_count(), 41);
    assert_eq!(second.a.changes_sent as usize, 41 - got, "only what was missing is sent again");
}

#[test]
fn a_cut_link_loses_nothing_delivered() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut relay = block.node(&block.relay);
    weigh(&mut phone, &block.sevika, AWC, 30, 0);
    let config = Config { batch_bytes: 1_500, ..Config::default() };
    contact_with(&mut phone, &mut relay, config, T0.plus_hours(1), Some(4));
    let got = relay.change_count();
    let second = contact(&mut phone, &mut relay);
    assert_eq!(relay.change_count(), 30);
    assert_eq!(second.a.changes_sent as usize, 30 - got);
}

#[test]
fn peers_without_certificates_or_speaking_another_version_are_refused() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut stranger = sampark_node::proto::MemoryNode::new(
        block.stranger.public(),
        vec![],
        sampark_crdt::TrustStore::new(block.root.public()),
    );
    weigh(&mut phone, &block.sevika, AWC, 2, 0);
    let c = contact(&mut phone, &mut stranger);
    assert!(matches!(c.a.outcome, Outcome::Refused(ref r) if r.contains("no valid certificate")), "{:?}", c.a.outcome);
    assert_eq!(stranger.change_count(), 0);

    let now = T0.plus_hours(1);
    let relay = block.node(&block.relay);
    let mut s = Session::new(block.sevika.public(), Config::default(), now);
    let hello = Message::Hello { version: 99, chain: vec![], keep_registers: false };
    let outs = s.handle(In::Frame(hello.encode()), &relay, now);
    let refusal = outs.iter().find_map(|o| match o {
        Out::Send(f) => Message::decode(f).ok(),
        _ => None,
    });
    assert!(matches!(refusal, Some(Message::Refuse { ref reason }) if reason.contains("version 99")));
    assert!(s.is_over());
}

#[test]
fn garbage_frames_end_the_session_cleanly() {
    let block = Block::new();
    let relay = block.node(&block.relay);
    let now = T0.plus_hours(1);
    for frame in [vec![], vec![0xff; 10], vec![1, 0, 0], vec![3, 255, 255, 255, 255]] {
        let mut s = Session::new(block.sevika.public(), Config::default(), now);
        let outs = s.handle(In::Frame(frame), &relay, now);
        assert!(s.is_over());
        assert!(outs.iter().any(|o| matches!(o, Out::Finished(sum) if matches!(sum.outcome, Outcome::Refused(_)))));
    }
}

#[test]
fn a_silent_peer_times_out() {
    let block = Block::new();
    let relay = block.node(&block.relay);
    let now = T0.plus_hours(1);
    let mut s = Session::new(block.sevika.public(), Config::default(), now);
    s.handle(In::Connected, &relay, now);
    // Once the hello has come, only silence for the idle timeout ends the contact.
    let hello = Message::Hello {
        version: sampark_node::proto::message::VERSION,
        chain: block.node(&block.sevika).chain(),
        keep_registers: false,
    };
    s.handle(In::Frame(hello.encode()), &relay, now);
    assert!(s.handle(In::Tick, &relay, Timestamp(now.0 + 30_000)).is_empty());
    let outs = s.handle(In::Tick, &relay, Timestamp(now.0 + 61_000));
    assert!(outs.iter().any(|o| matches!(o, Out::Finished(sum) if sum.outcome == Outcome::TimedOut)));
}

#[test]
fn before_the_peer_is_checked_a_node_says_only_who_it_is() {
    let block = Block::new();
    // A phone that knows a revocation (with its reason) and holds a ticket no receipt covers.
    let mut phone = block.node(&block.sevika);
    raise(&mut phone, &block.sevika, AWC, 0);
    let revoked = Revocation::sign(&block.relay.keypair, block.sevika2.public(), T0, "फ़ोन खो गया");
    phone.trust_mut().add_revocation(revoked).unwrap();
    let now = T0.plus_hours(1);
    let frames = |outs: &[Out]| -> Vec<Message> {
        outs.iter()
            .filter_map(|o| match o {
                Out::Send(f) => Some(Message::decode(f).unwrap()),
                _ => None,
            })
            .collect()
    };

    // Its first words are its hello: chain and version, no revocation, no document.
    let mut s = Session::new(block.stranger.public(), Config::default(), now);
    let first = frames(&s.handle(In::Connected, &phone, now));
    assert!(matches!(first.as_slice(), [Message::Hello { .. }]), "{first:?}");
    let Message::Hello { chain, .. } = &first[0] else { unreachable!() };
    assert_eq!(chain, &phone.chain());

    // A stranger's hello (no certificate here) gets a refusal and nothing else.
    let stranger =
        Message::Hello { version: sampark_node::proto::message::VERSION, chain: vec![], keep_registers: false };
    let answer = frames(&s.handle(In::Frame(stranger.encode()), &phone, now));
    assert!(matches!(answer.as_slice(), [Message::Refuse { .. }]), "{answer:?}");

    // The relay's hello, whose chain counts: now the revocation and the receipts wanted follow.
    let relay = block.node(&block.relay);
    let mut s = Session::new(block.relay.public(), Config::default(), now);
    s.handle(In::Connected, &phone, now);
    let relay_hello =
        Message::Hello { version: sampark_node::proto::message::VERSION, chain: relay.chain(), keep_registers: false };
    let answer = frames(&s.handle(In::Frame(relay_hello.encode()), &phone, now));
    assert!(
        answer.iter().any(|m| matches!(m, Message::Trust { revocations, .. } if revocations.len() == 1)),
        "{answer:?}"
    );
    assert!(answer.iter().any(|m| matches!(m, Message::WantReceipts(docs) if docs.len() == 1)), "{answer:?}");
}

#[test]
fn a_peer_that_never_says_hello_times_out_sooner() {
    let block = Block::new();
    let relay = block.node(&block.relay);
    let now = T0.plus_hours(1);
    let config = Config::default();
    let mut s = Session::new(block.sevika.public(), config, now);
    s.handle(In::Connected, &relay, now);
    assert!(s.handle(In::Tick, &relay, Timestamp(now.0 + config.hello_timeout_ms)).is_empty());
    let outs = s.handle(In::Tick, &relay, Timestamp(now.0 + config.hello_timeout_ms + 1_000));
    assert!(outs.iter().any(|o| matches!(o, Out::Finished(sum) if sum.outcome == Outcome::TimedOut)));
}

#[test]
fn the_side_that_is_behind_sends_nothing_back() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    let mut relay = block.node(&block.relay);
    let t = raise(&mut phone, &block.sevika, AWC, 0);
    contact(&mut phone, &mut relay);
    // The relay moves on: it stamps receipt and its operator... here the relay key comments.
    for minute in 1..=3 {
        let trust = relay.trust().clone();
        let change = sampark_crdt::ticket::append(
            relay.document_mut(&t),
            &block.relay,
            sampark_crdt::ticket::Action::Received,
            at(minute),
            &trust,
        )
        .unwrap();
        relay.record_own(change);
    }
    let c = contact(&mut phone, &mut relay);
    assert_eq!((c.a.changes_sent, c.b.changes_sent), (0, 3), "exactly the three new changes, one way");
}

#[test]
fn diverged_replicas_exchange_both_ways() {
    let block = Block::new();
    let mut sevika = block.node(&block.sevika);
    let mut supervisor = block.node(&block.supervisor);
    weigh(&mut sevika, &block.sevika, AWC, 2, 0);
    contact(&mut sevika, &mut supervisor);
    // Both edit the same register offline, then meet.
    weigh(&mut sevika, &block.sevika, AWC, 3, 10);
    weigh(&mut supervisor, &block.supervisor, AWC, 4, 20);
    let c = contact(&mut sevika, &mut supervisor);
    assert_eq!((c.a.changes_sent, c.b.changes_sent), (3, 4));
    let id = DocId::parse(&format!("{AWC}:growth/2023-11")).unwrap();
    let (a, b) = (sevika.document(&id).unwrap(), supervisor.document(&id).unwrap());
    let (mut ha, mut hb) = (a.heads(), b.heads());
    ha.sort();
    hb.sort();
    assert_eq!(ha, hb);
    assert_eq!(sampark_crdt::register::entries(a).len(), 9);
}

#[test]
fn a_receipt_comes_back_by_mule_and_the_carrier_drops_its_copy() {
    let block = Block::new();
    let mut a = block.node(&block.sevika);
    let mut b = block.node(&block.sevika2);
    let mut relay = block.node(&block.relay);
    let t = raise(&mut a, &block.sevika, AWC, 0);
    contact(&mut a, &mut b);
    assert!(b.document(&t).is_some(), "B carries A's ticket");
    // B reaches the relay: the relay stores the ticket and gives B a signed receipt; B drops
    // what it carried, keeping the receipt.
    let br = contact(&mut b, &mut relay);
    assert_eq!(br.b.changes_received, 1);
    assert!(b.document(&t).is_none(), "B dropped its carried copy");
    assert_eq!(b.receipts(&t).len(), 1);
    // B meets A again: A learns its ticket is at the relay and stops offering it; B does not
    // take it again.
    let ab = contact(&mut a, &mut b);
    assert_eq!(ab.a.changes_sent, 0);
    assert_eq!(a.receipts(&t).len(), 1);
    assert!(sampark_node::proto::local::upstream_has(&a, &t));
    assert!(b.document(&t).is_none());
    // Once A changes the ticket again, the new change needs carrying again.
    let trust = a.trust().clone();
    let change = sampark_crdt::ticket::append(
        a.document_mut(&t),
        &block.sevika,
        sampark_crdt::ticket::Action::Commented { text: "अभी भी".into() },
        at(30),
        &trust,
    )
    .unwrap();
    a.record_own(change);
    assert!(!sampark_node::proto::local::upstream_has(&a, &t));
    let again = contact(&mut a, &mut b);
    assert!(again.a.changes_sent >= 1);
}

/// A sevika keeps the tickets of her sector's other centres: she takes the block helpdesk's
/// answer from the relay and hands it to the phone that raised the ticket, which never met the
/// relay.
#[test]
fn an_answer_comes_down_through_a_phone_of_the_same_sector() {
    let block = Block::new();
    let mut a = block.node(&block.sevika);
    let mut mate = block.node(&block.sevika3);
    let mut relay = block.node(&block.relay);
    weigh(&mut a, &block.sevika, AWC, 2, 0);
    let t = raise(&mut a, &block.sevika, AWC, 5);

    // The sector-mate keeps A's ticket (and carries its register), and takes both to the relay.
    contact(&mut a, &mut mate);
    contact(&mut mate, &mut relay);
    assert!(relay.document(&t).is_some());
    assert!(mate.document(&t).is_some(), "a sector's ticket is kept, not dropped on its receipt");
    let state = ticket::state_of(mate.document(&t).unwrap(), mate.trust(), &Deadlines::default()).unwrap();
    assert!(state.carried_by.is_empty(), "a sector-mate signs no carried event");

    // The block's operator resolves it on the relay.
    let chain = relay.trust().clone();
    let mut trust = chain;
    for c in &block.certs {
        trust.add_certificate(c.clone()).unwrap();
    }
    *relay.trust_mut() = trust.clone();
    let resolve =
        sampark_crdt::ticket::Action::Resolved { text: "नया पासवर्ड भेजा".into() };
    let change = ticket::append(relay.document_mut(&t), &block.operator, resolve, at(60), &trust).unwrap();
    relay.record_own(change);

    // The sector-mate visits the block office and takes the answer (the operator's certificate
    // comes with it); the relay hands her nothing else: she holds A's ticket and A's register,
    // folded since the relay's receipt.
    let down = contact(&mut mate, &mut relay);
    assert_eq!(down.a.changes_received, 1);
    assert_eq!(held(&mate).len(), 2);

    // She meets A, who has the answer.
    contact(&mut a, &mut mate);
    let state = ticket::state_of(a.document(&t).unwrap(), a.trust(), &Deadlines::default()).unwrap();
    assert_eq!(state.status, Status::Resolved);

    // A phone of another sector still only carries A's ticket up, never takes it down.
    let mut other = block.node(&block.sevika2);
    contact(&mut other, &mut relay);
    assert!(other.document(&t).is_none());
}

/// Registers grow every working day: a carrier folds one on the relay's receipt (keeps the
/// document, drops the signatures) so that next time only the new entries travel.
#[test]
fn a_carried_register_is_folded_and_taken_again_only_for_what_is_new() {
    let block = Block::new();
    let mut a = block.node(&block.sevika);
    let mut b = block.node(&block.sevika2);
    let mut relay = block.node(&block.relay);
    weigh(&mut a, &block.sevika, AWC, 10, 0);
    let doc = a.documents()[0].0.clone();
    assert_eq!(contact(&mut a, &mut b).b.changes_received, 10);
    assert_eq!(contact(&mut b, &mut relay).b.changes_received, 10);
    assert!(b.document(&doc).is_some() && b.is_folded(&doc), "B keeps the register, folded");
    // Two more entries: B takes only those, and brings them to the relay.
    weigh(&mut a, &block.sevika, AWC, 2, 100);
    assert_eq!(contact(&mut a, &mut b).b.changes_received, 2, "only what is new");
    assert_eq!(contact(&mut b, &mut relay).a.changes_sent, 2);
    assert_eq!(relay.heads(&doc), a.heads(&doc), "the relay has the whole register");
    // A phone with none of the register would get none of it from B: it could not apply the
    // rest without what B folded.
    assert!(b.missing(&doc, &[]).is_empty());
}

/// A phone whose ticket another phone carried meets the relay later with nothing new: its
/// hello asks receipts for its own documents no receipt covers, and the relay answers.
#[test]
fn a_phone_with_nothing_new_still_gets_the_relay_s_receipts() {
    let block = Block::new();
    let mut a = block.node(&block.sevika);
    let mut b = block.node(&block.sevika2);
    let mut relay = block.node(&block.relay);
    let t = raise(&mut a, &block.sevika, AWC, 0);
    contact(&mut a, &mut b);
    contact(&mut b, &mut relay);
    assert!(a.receipts(&t).is_empty(), "A has not met anyone since");
    let met = contact(&mut a, &mut relay);
    assert_eq!((met.a.changes_sent, met.a.changes_received), (0, 0), "nothing moves");
    assert_eq!(a.receipts(&t).len(), 1, "but the relay's receipt comes");
    assert!(sampark_node::proto::local::upstream_has(&a, &t));
    // Covered now, so the next hello asks for nothing.
    let again = contact(&mut a, &mut relay);
    assert_eq!(again.a.changes_sent, 0);
}

#[test]
fn a_district_keeps_registers_only_by_policy() {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    weigh(&mut phone, &block.sevika, AWC, 3, 0);
    let t = raise(&mut phone, &block.sevika, AWC, 5);
    let mut relay = block.node(&block.relay);
    contact(&mut phone, &mut relay);
    let district = sampark_crdt::Author::new(sampark_crdt::Keypair::from_secret([2; 32]), [2; 8]);
    // By default a district keeps its blocks' tickets, not their registers.
    let mut lean = block.node(&district);
    let c = contact(&mut relay, &mut lean);
    assert_eq!(c.b.changes_received, 1);
    assert_eq!(held(&lean), vec![t.clone()]);
    // Configured to keep registers, it takes them too.
    let mut full = block.node(&district);
    let config = Config { keep_registers: true, ..Config::default() };
    let c = contact_with(&mut relay, &mut full, config, T0.plus_hours(1), None);
    assert_eq!(c.b.changes_received, 4);
    assert_eq!(held(&full), held(&relay));
}
