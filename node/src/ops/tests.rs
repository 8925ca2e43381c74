//! `ops::Node` in-process: the clock, enrolment, delivery and receipts.

use sampark_crdt::{Certificate, CertificateBody, Keypair, PublicKey, Receipt, Role, Scope, Timestamp, TrustStore};

use super::enrol::{EnrolFile, enroll_home};
use super::{Node, Request, Response};
use crate::home::Home;
use crate::net::contact::Node as _;
use crate::proto::Local;

const T0: Timestamp = Timestamp(1_800_000_000_000);

fn at_t0() -> Timestamp {
    T0
}

fn long_ago() -> Timestamp {
    Timestamp(1_000)
}

fn cert(issuer: &Keypair, subject: PublicKey, role: Role, scope: &str) -> Certificate {
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
}

/// A root, a district and a block relay, all keys in memory.
struct Block {
    trust: TrustStore,
    relay: Keypair,
    dir: tempfile::TempDir,
}

impl Block {
    fn new() -> Block {
        let root = Keypair::from_secret([1; 32]);
        let district = Keypair::from_secret([2; 32]);
        let relay = Keypair::from_secret([3; 32]);
        let mut trust = TrustStore::new(root.public());
        trust.add_certificate(cert(&root, root.public(), Role::StateHub, "BR")).unwrap();
        trust.add_certificate(cert(&root, district.public(), Role::DistrictRelay, "BR/DBG")).unwrap();
        trust.add_certificate(cert(&district, relay.public(), Role::BlockRelay, "BR/DBG/P07")).unwrap();
        Block { trust, relay, dir: tempfile::tempdir().unwrap() }
    }

    /// A sevika's node of `awc`, enrolled at `now`, opened with `clock`.
    fn phone(&mut self, name: &str, awc: &str, now: Timestamp, clock: fn() -> Timestamp) -> Node {
        let home = Home::new(self.dir.path().join(name));
        let key = home.init().unwrap();
        self.trust.add_certificate(cert(&self.relay, key, Role::Sevika, awc)).unwrap();
        enroll_home(&home, &EnrolFile::for_key(&self.trust, &key), now).unwrap();
        Node::open(&home).unwrap().with_clock(clock)
    }
}

fn raise(node: &mut Node, text: &str) -> String {
    let Response::Ticket(t) = node.handle(Request::Raise { category: "sync".into(), text: text.into() }).unwrap()
    else {
        panic!("not a ticket")
    };
    t.id
}

#[test]
fn the_clock_moves_up_to_the_certificate_and_never_back() {
    let mut block = Block::new();
    // Enrolled a day before the certificate starts, on a phone whose clock then reads 1970.
    let mut phone = block.phone("phone", "BR/DBG/P07/S03/A0412", T0.plus_days(-1), long_ago);
    assert_eq!(phone.hlc().wall, T0.0, "enrolment moved the clock up to the certificate's start");
    raise(&mut phone, "पहला");
    let first = phone.hlc();
    assert!(first.wall >= T0.0);
    let home = phone.home().clone();
    drop(phone);
    let mut phone = Node::open(&home).unwrap().with_clock(long_ago);
    assert_eq!(phone.hlc(), first, "the clock reading was persisted");
    raise(&mut phone, "दूसरा");
    assert!(phone.hlc() > first);
    let rows = phone.tickets();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.status == "open"), "both raises count: {rows:?}");
}

#[test]
fn a_full_aadhaar_number_in_a_ticket_is_masked_before_it_is_signed() {
    let mut block = Block::new();
    let mut phone = block.phone("phone", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let raised = phone.raise("data-correction", "लाभार्थी का आधार 2345 6789 0123 गलत दर्ज है").unwrap();
    assert!(raised.aadhaar_masked);
    assert_eq!(raised.text, "लाभार्थी का आधार XXXX XXXX 0123 गलत दर्ज है");
    let stored = phone.store().changes(&phone.find_ticket(&raised.id).unwrap()).unwrap().value;
    assert!(stored.iter().all(|c| !String::from_utf8_lossy(&c.change).contains("6789")), "never signed in full");
    let commented = phone.comment(&raised.id, "सही नंबर 345678901234").unwrap();
    assert!(commented.aadhaar_masked);
    assert!(commented.timeline.iter().any(|e| e.text.as_deref() == Some("सही नंबर XXXXXXXX1234")));
    let plain = phone.comment(&raised.id, "मोबाइल 9876543210").unwrap();
    assert!(!plain.aadhaar_masked, "a phone number is not an Aadhaar number");
    assert!(super::text::render(&Response::Ticket(Box::new(raised)), super::Lang::Hi).contains("अंतिम 4 अंक"));
    // What a phone typed reaches the terminal without escapes, breaks or bidi overrides.
    let hostile = phone.raise("other", "साफ़\u{1b}[2J\u{1b}]0;owned\u{7}\nनई पंक्ति\u{202E}").unwrap();
    let shown = super::text::render(&Response::Ticket(Box::new(hostile)), super::Lang::Hi);
    assert!(!shown.chars().any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202E}'), "{shown:?}");
    assert!(shown.contains("साफ़[2J]0;owned नई पंक्ति"), "{shown}");
}

#[test]
fn carried_tickets_are_dropped_once_a_receipt_shows_them_upstream() {
    let mut block = Block::new();
    let mut a = block.phone("a", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let mut b = block.phone("b", "BR/DBG/P07/S05/A0500", T0, at_t0);
    let id = raise(&mut a, "सिंक नहीं");
    let doc = a.documents().into_iter().next().unwrap().0;

    // B meets A: learns A's chain, takes A's ticket to carry.
    b.learn(block.trust.chain_of(&a.public()), vec![]).unwrap();
    let signed = a.store().changes(&doc).unwrap().value;
    let batch = signed.into_iter().map(|s| (s.clone(), sampark_crdt::verify(&s, b.trust_store()).unwrap())).collect();
    b.deliver(batch).unwrap();
    let status = b.status().unwrap();
    assert_eq!((status.carrying.documents, status.kept.documents), (1, 0));
    assert!(b.tickets()[0].carried);

    // B noted, signed, that it carried the ticket.
    assert_eq!(b.ticket(&id).unwrap().carried_by[0].phone, b.public().to_hex());
    // The relay's receipt reaches B: B drops its copy, for good, and keeps the receipt. For a
    // ticket a relay names every change it holds (B's note too, which A never sees).
    let receipt = Receipt::sign(&block.relay, doc.clone(), b.recent(&doc, 64), T0.plus_hours(1));
    b.learn_receipts(vec![receipt.clone()]).unwrap();
    assert!(b.document(&doc).is_none());
    let home_b = b.home().clone();
    drop(b);
    let b = Node::open(&home_b).unwrap();
    assert!(b.document(&doc).is_none(), "the carried copy is gone from the store");
    assert_eq!(b.receipts(&doc), vec![receipt.clone()], "the receipt is kept to pass on to A");

    // The receipt reaches A: A keeps its ticket, and knows it arrived.
    assert_eq!(a.status().unwrap().waiting_upward, 1);
    a.learn_receipts(b.receipts(&doc)).unwrap();
    assert!(a.document(&doc).is_some(), "a node never drops its own centre's documents");
    assert_eq!(a.status().unwrap().waiting_upward, 0);
    let shown = a.ticket(&id).unwrap();
    assert_eq!(shown.hops.len(), 1);
    assert_eq!((shown.hops[0].relay.clone(), shown.hops[0].complete), (block.relay.public().to_hex(), true));

    // An older receipt of the same relay changes nothing.
    let older = Receipt::sign(&block.relay, doc.clone(), vec![], T0);
    a.learn_receipts(vec![older]).unwrap();
    assert_eq!(a.receipts(&doc), vec![receipt]);
}

#[test]
fn delivery_is_durable_and_stale_duplicates_are_skipped() {
    let mut block = Block::new();
    let mut a = block.phone("a", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let mut a2 = block.phone("a2", "BR/DBG/P07/S03/A0412", T0, at_t0);
    raise(&mut a, "एक");
    let doc = a.documents().into_iter().next().unwrap().0;
    a2.learn(block.trust.chain_of(&a.public()), vec![]).unwrap();
    let signed = a.store().changes(&doc).unwrap().value;
    let batch: Vec<_> =
        signed.iter().map(|s| (s.clone(), sampark_crdt::verify(s, a2.trust_store()).unwrap())).collect();
    a2.deliver(batch.clone()).unwrap();
    a2.deliver(batch).unwrap();
    assert_eq!(a2.store().changes(&doc).unwrap().value.len(), 1);
    let home = a2.home().clone();
    drop(a2);
    let a2 = Node::open(&home).unwrap();
    assert_eq!(a2.heads(&doc), a.heads(&doc));
    assert!(!a2.tickets()[0].carried, "a second phone of the same centre keeps it");
}

#[test]
fn the_raiser_reopens_and_confirms_a_resolution() {
    use sampark_crdt::ticket::{self, Action};
    use sampark_crdt::{Author, Hlc};

    let mut block = Block::new();
    let mut phone = block.phone("phone", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let operator = Author::new(Keypair::from_secret([40; 32]), [40; 8]);
    block.trust.add_certificate(cert(&block.relay, operator.public(), Role::Operator, "BR/DBG/P07")).unwrap();
    phone.learn(block.trust.chain_of(&operator.public()), vec![]).unwrap();
    let id = raise(&mut phone, "लॉगिन नहीं");
    let prefix = id[..8].to_string();
    let doc = phone.documents().into_iter().next().unwrap().0;

    // The block operator resolves it on the relay's replica; the resolution comes back down.
    let resolve = |phone: &mut Node, minute: i64| {
        let mut replica = phone.document(&doc).unwrap().clone();
        let hlc = Hlc { wall: T0.0 + minute * 60_000, logical: 0 };
        let text = "नया पासवर्ड भेजा".to_string();
        let signed = ticket::append(&mut replica, &operator, Action::Resolved { text }, hlc, &block.trust).unwrap();
        let verified = sampark_crdt::verify(&signed, phone.trust_store()).unwrap();
        phone.deliver(vec![(signed, verified)]).unwrap();
    };
    resolve(&mut phone, 10);
    assert_eq!(phone.ticket(&prefix).unwrap().status, "resolved");

    let reopened = phone.handle(Request::Reopen { ticket: prefix.clone(), text: None }).unwrap();
    let Response::Ticket(t) = reopened else { panic!("not a ticket") };
    assert_eq!((t.status.as_str(), t.resolution.as_deref()), ("open", None));
    assert_eq!(t.timeline.last().unwrap().action, "reopened");

    resolve(&mut phone, 20);
    let Response::Ticket(t) = phone.handle(Request::Confirm { ticket: prefix.clone() }).unwrap() else {
        panic!("not a ticket")
    };
    assert_eq!(t.status, "closed");
    assert_eq!(
        t.timeline.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["raised", "resolved", "reopened", "resolved", "confirmed"]
    );
    assert_eq!(t.timeline[1].capacity, "operator at block");

    let refused = phone.comment(&prefix, "फिर से?").unwrap_err();
    assert_eq!(refused.kind(), super::ErrorKind::Refused);
    assert!(refused.to_string().contains("closed"), "{refused}");
    let changes = phone.store().changes(&doc).unwrap().value.len();
    assert_eq!(changes, 5, "the refused comment was not stored");
}

fn after_retention() -> Timestamp {
    T0.plus_days(91)
}

#[test]
fn a_sector_mate_lets_a_ticket_closed_long_ago_go_and_no_contact_brings_it_back() {
    use sampark_crdt::ticket::{self, Action};
    use sampark_crdt::{Author, Hlc};

    let mut block = Block::new();
    let mut raiser = block.phone("raiser", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let mut mate = block.phone("mate", "BR/DBG/P07/S03/A0413", T0, at_t0);
    let operator = Author::new(Keypair::from_secret([40; 32]), [40; 8]);
    block.trust.add_certificate(cert(&block.relay, operator.public(), Role::Operator, "BR/DBG/P07")).unwrap();
    for node in [&mut raiser, &mut mate] {
        node.learn(block.trust.chain_of(&operator.public()), vec![]).unwrap();
    }
    // One ticket resolved by the block's operator and confirmed (closed); one still open.
    let closed = raise(&mut raiser, "लॉगिन नहीं");
    let still_open = raise(&mut raiser, "सिंक धीमा");
    let doc = raiser.find_ticket(&closed).unwrap();
    let mut replica = raiser.document(&doc).unwrap().clone();
    let hlc = Hlc { wall: T0.0 + 60_000, logical: 0 };
    let resolution = Action::Resolved { text: "नया पासवर्ड भेजा".into() };
    let signed = ticket::append(&mut replica, &operator, resolution, hlc, &block.trust).unwrap();
    let verified = sampark_crdt::verify(&signed, raiser.trust_store()).unwrap();
    raiser.deliver(vec![(signed, verified)]).unwrap();
    assert_eq!(raiser.confirm(&closed).unwrap().status, "closed");

    // The mate keeps both (her sector's), and compaction today lets neither go.
    meet(&mut raiser, &mut mate, T0);
    let held = |n: &Node| n.tickets().iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    assert_eq!(held(&mate).len(), 2);
    assert_eq!(mate.compact().unwrap().tickets_retired, 0);

    // 91 days later the closed one goes; the open one stays; the raiser keeps both.
    let home = mate.home().clone();
    drop(mate);
    let mut mate = Node::open(&home).unwrap().with_clock(after_retention);
    let compacted = mate.compact().unwrap();
    assert_eq!(compacted.tickets_retired, 1);
    assert_eq!(held(&mate), vec![still_open.clone()]);
    assert!(mate.store().changes(&doc).unwrap().value.is_empty(), "nothing of it is left in the store");

    // Meeting the raiser again brings nothing back: both judge it retired from their copies.
    let (to_raiser, to_mate) = meet(&mut raiser, &mut mate, after_retention());
    assert_eq!((to_raiser, to_mate), (0, 0));
    assert_eq!(held(&mate), vec![still_open]);
    assert_eq!(held(&raiser).len(), 2, "the raiser keeps her own for good");
}

#[test]
fn a_supervisor_names_the_centre_and_a_relay_records_nothing() {
    let mut block = Block::new();
    let home = Home::new(block.dir.path().join("supervisor"));
    let key = home.init().unwrap();
    block.trust.add_certificate(cert(&block.relay, key, Role::Supervisor, "BR/DBG/P07/S03")).unwrap();
    enroll_home(&home, &EnrolFile::for_key(&block.trust, &key), T0).unwrap();
    let mut supervisor = Node::open(&home).unwrap().with_clock(at_t0);
    let entry = serde_json::json!({"register": "vhsnd", "date": "2026-11-05", "held": true});

    let err = supervisor.record(entry.clone(), None).unwrap_err();
    assert!(err.to_string().contains("--centre BR/DBG/P07/S03/"), "{err}");
    let err = supervisor.record(entry.clone(), Some("BR/DBG/P07/S04/A0001")).unwrap_err();
    assert!(err.to_string().contains("not a centre of this supervisor's sector"), "{err}");
    let done = supervisor.record(entry, Some("BR/DBG/P07/S03/A0412")).unwrap();
    assert_eq!(done.doc, "BR/DBG/P07/S03/A0412:immunisation/2026-11");
    let ticket = supervisor.raise("other", "सेक्टर की बैठक").unwrap();
    assert_eq!(ticket.scope, "BR/DBG/P07/S03", "a supervisor's ticket belongs to her sector");

    // A block relay's node keeps the block, and neither records nor raises.
    let relay_home = Home::new(block.dir.path().join("relay"));
    let relay_key = relay_home.init().unwrap();
    let district = Keypair::from_secret([2; 32]);
    block.trust.add_certificate(cert(&district, relay_key, Role::BlockRelay, "BR/DBG/P07")).unwrap();
    enroll_home(&relay_home, &EnrolFile::for_key(&block.trust, &relay_key), T0).unwrap();
    let mut relay = Node::open(&relay_home).unwrap().with_clock(at_t0);
    let err = relay.raise("sync", "x").unwrap_err();
    assert!(err.to_string().contains("only a sevika's or a supervisor's node"), "{err}");
    let status = relay.status().unwrap();
    assert_eq!((status.role.as_str(), status.scope.as_str()), ("block-relay", "BR/DBG/P07"));
}

#[test]
fn enrolment_refuses_what_does_not_hold() {
    let mut block = Block::new();
    let home = Home::new(block.dir.path().join("phone"));
    let key = home.init().unwrap();
    // Not yet enrolled: the node does not open.
    let err = Node::open(&home).unwrap_err();
    assert!(err.to_string().contains("not enrolled yet"), "{err}");
    // A sevika certificate issued by another sevika does not hold.
    let sevika = Keypair::from_secret([50; 32]);
    block.trust.add_certificate(cert(&block.relay, sevika.public(), Role::Sevika, "BR/DBG/P07/S03/A0412")).unwrap();
    block.trust.add_certificate(cert(&sevika, key, Role::Sevika, "BR/DBG/P07/S03/A0412")).unwrap();
    let err = enroll_home(&home, &EnrolFile::for_key(&block.trust, &key), T0).unwrap_err();
    assert!(err.to_string().contains("the chain does not hold"), "{err}");
    // An expired certificate.
    let err = enroll_home(&home, &EnrolFile::for_key(&block.trust, &key), T0.plus_days(400)).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    // Another root.
    let mut other = EnrolFile::for_key(&block.trust, &key);
    other.root = Keypair::from_secret([9; 32]).public().to_hex();
    let err = enroll_home(&home, &other, T0).unwrap_err();
    assert!(err.to_string().contains("root"), "{err}");
    assert!(Node::open(&home).is_err(), "nothing was installed");
}

#[test]
fn a_full_carrier_drops_the_least_urgent_oldest_first() {
    let mut block = Block::new();
    let mut a = block.phone("a", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let b = block.phone("b", "BR/DBG/P07/S05/A0500", T0, at_t0);
    // A has a ticket and a daily-register entry; both go to B to carry.
    raise(&mut a, "सिंक नहीं");
    let entry = serde_json::json!({"register": "attendance", "child": "0a0b0c0d-1-0", "date": "2030-01-15",
        "present": true, "hot_meal": true});
    a.handle(Request::Record { entry, centre: None }).unwrap();
    let docs: Vec<_> = a.documents().into_iter().map(|(d, _)| d).collect();
    assert_eq!(docs.len(), 2);
    let ticket_bytes = {
        let mut probe = block.phone("probe", "BR/DBG/P07/S06/A0600", T0, at_t0);
        probe.learn(block.trust.chain_of(&a.public()), vec![]).unwrap();
        let t = docs.iter().find(|d| d.kind.is_ticket()).unwrap();
        let signed = a.store().changes(t).unwrap().value;
        let batch =
            signed.into_iter().map(|s| (s.clone(), sampark_crdt::verify(&s, probe.trust_store()).unwrap())).collect();
        probe.deliver(batch).unwrap();
        probe.carried_bytes()
    };
    // B's quota holds the ticket but not both.
    let mut b = b.with_carry_quota(ticket_bytes);
    b.learn(block.trust.chain_of(&a.public()), vec![]).unwrap();
    let mut batch = Vec::new();
    for d in &docs {
        for s in a.store().changes(d).unwrap().value {
            batch.push((s.clone(), sampark_crdt::verify(&s, b.trust_store()).unwrap()));
        }
    }
    b.deliver(batch).unwrap();
    assert!(b.carried_bytes() <= ticket_bytes);
    let held: Vec<_> = b.documents().into_iter().map(|(d, _)| d).collect();
    assert_eq!(held.len(), 1);
    assert!(held[0].kind.is_ticket(), "the ticket is kept, the daily register dropped");
}

#[test]
fn an_operator_acts_through_the_node_with_their_own_key() {
    use sampark_crdt::Author;
    use sampark_crdt::ticket::Action;

    let mut block = Block::new();
    let mut node = block.phone("phone", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let operator = Author::new(Keypair::from_secret([41; 32]), [41; 8]);
    let stranger = Author::new(Keypair::from_secret([42; 32]), [42; 8]);
    block.trust.add_certificate(cert(&block.relay, operator.public(), Role::Operator, "BR/DBG/P07")).unwrap();
    node.learn(block.trust.chain_of(&operator.public()), vec![]).unwrap();
    let id = raise(&mut node, "सिंक नहीं");
    let doc = node.find_ticket(&id).unwrap();

    let refused = node.act_as(&stranger, &doc, Action::Commented { text: "?".into() }).unwrap_err();
    assert_eq!(refused.kind(), super::ErrorKind::Refused, "{refused}");
    let t = node.act_as(&operator, &doc, Action::Commented { text: "देख रहे हैं".into() }).unwrap();
    let event = t.timeline.last().unwrap();
    assert_eq!(
        (event.by.as_str(), event.capacity.as_str()),
        (operator.public().to_hex().as_str(), "operator at block")
    );
    let authors: Vec<PublicKey> = node
        .store()
        .changes(&doc)
        .unwrap()
        .value
        .iter()
        .map(|c| sampark_crdt::verify(c, node.trust_store()).unwrap().author)
        .collect();
    assert_eq!(
        authors.iter().filter(|a| **a == operator.public()).count(),
        1,
        "the comment's change is the operator's"
    );
    assert_eq!(authors.len(), 2, "the raise and the comment");

    // Escalated by the block's operator, the ticket is no longer the block's to resolve.
    node.act_as(&operator, &doc, Action::Escalated { text: String::new() }).unwrap();
    let refused = node.act_as(&operator, &doc, Action::Resolved { text: "हो गया".into() }).unwrap_err();
    assert!(refused.to_string().contains("only the holding tier's operators resolve"), "{refused}");
    assert_eq!(node.store().changes(&doc).unwrap().value.len(), 3, "the refused resolution was not stored");
}

#[test]
fn the_due_list_comes_from_the_registers_and_a_wrong_clock_is_named() {
    let mut block = Block::new();
    let child = serde_json::json!({"register": "member", "household": "0a1b2c3d-1767225600000-0", "name": "Anjali",
        "dob": "2027-01-10", "sex": "female", "relation": "daughter", "migration": "resident", "sms_opt_out": false});

    let mut phone = block.phone("phone", "BR/DBG/P07/S03/A0412", T0, at_t0);
    phone.handle(Request::Record { entry: child.clone(), centre: None }).unwrap();
    let today = phone.due(None).unwrap();
    assert_eq!(today.clock.to_string(), "2027-01-15");
    assert!(!today.clock_looks_wrong);
    let services: Vec<&str> = today.list.households[0].items.iter().map(|i| i.service.as_str()).collect();
    assert!(services.contains(&"BCG") && services.contains(&"OPV-0") && !services.contains(&"HEPB-0"), "{services:?}");
    assert_eq!(today.list.households[0].items[0].name, "Anjali");

    // A phone whose clock reset to 1970: the list says so, and a given date still works.
    let mut reset = block.phone("reset", "BR/DBG/P07/S03/A0413", T0, long_ago);
    reset.handle(Request::Record { entry: child, centre: None }).unwrap();
    let wrong = reset.due(None).unwrap();
    assert!(wrong.clock_looks_wrong && wrong.list.households.is_empty());
    let given = reset.due(Some("2027-01-15")).unwrap();
    assert_eq!(given.list.households[0].items.len(), today.list.households[0].items.len());
    let err = reset.due(Some("15/01/2027")).unwrap_err().to_string();
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// Runs a contact between two nodes in lockstep (every frame in flight delivered each trip) and
/// returns what each side received, in changes.
fn meet(a: &mut Node, b: &mut Node, now: Timestamp) -> (u64, u64) {
    use crate::net::contact::Node as Contact;
    use crate::proto::{Config, In, Out, Session};
    fn step(node: &mut Node, outs: Vec<Out>, queue: &mut Vec<Vec<u8>>, received: &mut u64) {
        for o in outs {
            match o {
                Out::Send(frame) => queue.push(frame),
                Out::LearnTrust { certificates, revocations } => node.learn(certificates, revocations).unwrap(),
                Out::Deliver(batch) => {
                    *received += batch.len() as u64;
                    Contact::deliver(node, batch).unwrap();
                }
                Out::LearnReceipts(receipts) => Contact::learn_receipts(node, receipts).unwrap(),
                Out::Finished(_) => {}
            }
        }
    }
    let (mut sa, mut sb) =
        (Session::new(b.public(), Config::default(), now), Session::new(a.public(), Config::default(), now));
    let (mut to_a, mut to_b, mut got_a, mut got_b) = (Vec::new(), Vec::new(), 0, 0);
    let outs = sa.handle(In::Connected, &*a, now);
    step(a, outs, &mut to_b, &mut got_a);
    let outs = sb.handle(In::Connected, &*b, now);
    step(b, outs, &mut to_a, &mut got_b);
    for _ in 0..100 {
        if to_a.is_empty() && to_b.is_empty() {
            return (got_a, got_b);
        }
        for frame in std::mem::take(&mut to_b) {
            let outs = sb.handle(In::Frame(frame), &*b, now);
            step(b, outs, &mut to_a, &mut got_b);
        }
        for frame in std::mem::take(&mut to_a) {
            let outs = sa.handle(In::Frame(frame), &*a, now);
            step(a, outs, &mut to_b, &mut got_a);
        }
    }
    panic!("the contact does not end");
}

fn attendance(node: &mut Node, date: &str) {
    let entry = serde_json::json!({"register": "attendance", "child": "0a0b0c0d-1-0", "date": date,
        "present": true, "hot_meal": true});
    node.handle(Request::Record { entry, centre: None }).unwrap();
}

#[test]
fn a_carried_register_is_folded_on_its_receipt_and_taken_again_only_for_what_is_new() {
    let mut block = Block::new();
    let mut a = block.phone("a", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let mut b = block.phone("b", "BR/DBG/P07/S05/A0500", T0, at_t0);
    for day in 12..=15 {
        attendance(&mut a, &format!("2030-01-{day}"));
    }
    let doc = a.documents().into_iter().next().unwrap().0;
    let made = a.store().changes(&doc).unwrap().value.len() as u64;
    assert!(made >= 4);

    // B meets A and takes the register to carry.
    assert_eq!(meet(&mut a, &mut b, T0.plus_hours(1)).1, made);
    assert_eq!(b.status().unwrap().carrying.documents, 1);

    // The relay's receipt reaches B: the register stays, folded, with nothing signed left.
    let receipt = Receipt::sign(&block.relay, doc.clone(), b.heads(&doc).unwrap(), T0.plus_hours(2));
    b.learn_receipts(vec![receipt.clone()]).unwrap();
    assert!(b.document(&doc).is_some() && b.is_folded(&doc));
    assert!(b.store().changes(&doc).unwrap().value.is_empty(), "the signed changes are folded");
    assert_eq!(b.status().unwrap().carrying.documents, 0, "what arrived is not counted as carried");

    // A records one more entry; meeting again, B takes only that one.
    attendance(&mut a, "2030-01-16");
    let now_made = a.store().changes(&doc).unwrap().value.len() as u64;
    assert_eq!(meet(&mut a, &mut b, T0.plus_hours(3)).1, now_made - made, "only the new change travels");
    assert_eq!(b.status().unwrap().carrying.documents, 1);

    // B gives the relay (which holds the receipted heads) the new change, and a phone with
    // none of the register nothing: it could not apply the rest without what B folded.
    assert_eq!(b.missing(&doc, &receipt.heads).len() as u64, now_made - made);
    assert!(b.missing(&doc, &[]).is_empty());

    // All of this survives a restart.
    let home_b = b.home().clone();
    drop(b);
    let b = Node::open(&home_b).unwrap();
    assert!(b.is_folded(&doc));
    assert_eq!(b.store().changes(&doc).unwrap().value.len() as u64, now_made - made);
    assert!(b.missing(&doc, &[]).is_empty());
}

#[test]
fn a_sevika_keeps_her_sector_s_tickets_and_hands_their_answers_on() {
    use sampark_crdt::ticket::{self, Action};
    use sampark_crdt::{Author, Hlc};

    let mut block = Block::new();
    let mut a = block.phone("a", "BR/DBG/P07/S03/A0412", T0, at_t0);
    let mut mate = block.phone("mate", "BR/DBG/P07/S03/A0413", T0, at_t0);
    let id = raise(&mut a, "लॉगिन नहीं");
    let doc = a.find_ticket(&id).unwrap();

    // The sector-mate keeps A's ticket: not carried, not hers to wait receipts for, no
    // "carried" event of hers.
    assert_eq!(meet(&mut a, &mut mate, T0.plus_hours(1)).1, 1);
    let row = &mate.tickets()[0];
    assert!(row.sector && !row.carried, "{row:?}");
    let status = mate.status().unwrap();
    assert_eq!((status.kept.documents, status.carrying.documents, status.waiting_upward), (1, 0, 0));
    assert_eq!(status.tickets, 0, "her status counts her own tickets, not her sector's");
    assert!(mate.ticket(&id).unwrap().carried_by.is_empty());
    assert!(!a.tickets()[0].sector, "the raiser's own ticket");
    let refused = mate.comment(&id, "मैं भी").unwrap_err();
    assert_eq!(refused.kind(), super::ErrorKind::Refused, "she reads it but may not comment: {refused}");

    // A relay's receipt does not make her drop it.
    let receipt = Receipt::sign(&block.relay, doc.clone(), mate.recent(&doc, 64), T0.plus_hours(2));
    mate.learn_receipts(vec![receipt]).unwrap();
    assert!(mate.document(&doc).is_some());

    // The block's operator resolves it; she takes the answer at the block office (delivered
    // here as her session would), and it survives a restart.
    let operator = Author::new(Keypair::from_secret([40; 32]), [40; 8]);
    block.trust.add_certificate(cert(&block.relay, operator.public(), Role::Operator, "BR/DBG/P07")).unwrap();
    mate.learn(block.trust.chain_of(&operator.public()), vec![]).unwrap();
    let mut replica = mate.document(&doc).unwrap().clone();
    let hlc = Hlc { wall: T0.0 + 3 * 3_600_000, logical: 0 };
    let resolve = Action::Resolved { text: "नया पासवर्ड भेजा".into() };
    let signed = ticket::append(&mut replica, &operator, resolve, hlc, &block.trust).unwrap();
    let verified = sampark_crdt::verify(&signed, mate.trust_store()).unwrap();
    mate.deliver(vec![(signed, verified)]).unwrap();
    let home = mate.home().clone();
    drop(mate);
    let mut mate = Node::open(&home).unwrap().with_clock(at_t0);

    // Meeting A again, she hands it on: A sees her ticket resolved.
    assert_eq!(meet(&mut a, &mut mate, T0.plus_hours(4)).0, 1);
    assert_eq!(a.ticket(&id).unwrap().status, "resolved");
}
