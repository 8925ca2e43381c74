//! Convergence: 3-5 replicas make random register edits and ticket events, then merge pairwise
//! in random order with duplicated and reordered deliveries. Once everyone has met everyone,
//! every replica must have identical heads, identical documents and identical derived ticket
//! state, and save/load must give back the same document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use sampark_crdt::register::{self, Attendance, Entry, GrowthMeasurement};
use sampark_crdt::ticket::{self, Action, Deadlines, TicketState};
use sampark_crdt::{Author, DocId, Document, Hlc, SignedChange, Timestamp};

#[derive(Debug, Clone)]
enum Op {
    /// Replica edits field `field` of entry `entry` in register document `doc`.
    Register { replica: usize, doc: usize, entry: u8, field: u8, value: i64 },
    /// Replica appends a ticket event of kind `kind`.
    Ticket { replica: usize, kind: u8 },
    /// Replica `from` sends everything it has to `to`, shuffled by `seed`, some twice.
    Merge { from: usize, to: usize, seed: u64 },
}

fn op_strategy(replicas: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..replicas, 0..2usize, 0..4u8, 0..3u8, any::<i64>())
            .prop_map(|(replica, doc, entry, field, value)| Op::Register { replica, doc, entry, field, value }),
        (0..replicas, 0..8u8).prop_map(|(replica, kind)| Op::Ticket { replica, kind }),
        (0..replicas, 0..replicas, any::<u64>()).prop_map(|(from, to, seed)| Op::Merge { from, to, seed }),
    ]
}

/// One device: its documents, every signed change it holds, and its clock.
struct Replica {
    docs: BTreeMap<DocId, Document>,
    log: Vec<SignedChange>,
    hlc: Hlc,
}

impl Replica {
    fn tick(&mut self, step: usize) -> Hlc {
        self.hlc = self.hlc.tick(Timestamp(T0.0 + step as i64 * 60_000));
        self.hlc
    }

    fn take(&mut self, change: &SignedChange, w: &World) {
        let doc = self.docs.entry(change.doc.clone()).or_insert_with(|| Document::new(change.doc.clone()));
        doc.apply(change, &w.trust).unwrap();
        if !self.log.contains(change) {
            self.log.push(change.clone());
        }
    }
}

/// Who each replica is: phones write registers; everyone acts on the ticket in their capacity.
/// Keys are shared where one person has two devices, but every device has its own install nonce,
/// so no two replicas ever write as the same Automerge actor.
fn identities(i: usize) -> (Author, Author) {
    // Seeds as in `common::World`: sevika 20, supervisor 22, block 3, block operator 10,
    // district operator 11.
    let device = |seed: u8, role: u8| {
        Author::new(sampark_crdt::Keypair::from_secret([seed; 32]), [i as u8, role, 0, 0, 0, 0, 0, 1])
    };
    let (writer, actor) = match i {
        0 => (20, 20),
        1 => (22, 22),
        2 => (20, 10),
        3 => (22, 11),
        _ => (20, 3),
    };
    (device(writer, 0), device(actor, 1))
}

/// One register edit through the register API: record a new entry, correct one, or void one.
/// Document 0 is the growth register, document 1 the daily attendance register.
/// A correction or void that would change nothing makes no change (`None`).
fn register_op(
    d: &mut Document,
    who: &Author,
    hlc: Hlc,
    w: &World,
    entry: u8,
    field: u8,
    value: i64,
) -> Option<SignedChange> {
    let existing: Vec<String> = register::entries(d).into_iter().map(|e| e.id).collect();
    let child = format!("0a0b0c0d-{}-0", 1_600_000_000_000 + i64::from(entry));
    let is_growth = matches!(d.id().kind, sampark_crdt::DocKind::Growth(_));
    let pick = existing.get(usize::from(entry) % existing.len().max(1)).filter(|_| field > 0).cloned();
    match (pick, field) {
        (Some(id), 1) if is_growth => {
            let mut fields = serde_json::Map::new();
            fields.insert("weight_kg".into(), serde_json::json!(5.0 + (value.rem_euclid(100) as f64) / 10.0));
            nothing_to_do(register::correct(d, who, hlc, &id, &fields, &w.trust))
        }
        (Some(id), 1) => {
            let mut fields = serde_json::Map::new();
            fields.insert("present".into(), serde_json::json!(value % 2 == 0));
            nothing_to_do(register::correct(d, who, hlc, &id, &fields, &w.trust))
        }
        (Some(id), _) => nothing_to_do(register::void(d, who, hlc, &id, "entered twice", &w.trust)),
        (None, _) => {
            let e = if is_growth {
                Entry::Growth(GrowthMeasurement {
                    child,
                    date: "2023-11-14".into(),
                    weight_kg: 8.0 + f64::from(entry) / 10.0,
                    height_cm: None,
                    position: None,
                    muac_mm: Some(120 + u16::from(entry)),
                    oedema: false,
                })
            } else {
                Entry::Attendance(Attendance {
                    child,
                    date: "2023-11-14".into(),
                    present: value % 2 == 0,
                    hot_meal: true,
                })
            };
            Some(register::record(d, who, hlc, &e, &w.trust).unwrap().1)
        }
    }
}

fn nothing_to_do(r: Result<SignedChange, register::RegisterError>) -> Option<SignedChange> {
    match r {
        Ok(c) => Some(c),
        Err(register::RegisterError::Edit(sampark_crdt::EditError::Empty)) => None,
        Err(e) => panic!("register edit failed: {e}"),
    }
}

fn ticket_action(kind: u8, w: &World) -> Action {
    match kind {
        0 => Action::Commented { text: "टिप्पणी".into() },
        1 => Action::Received,
        2 => Action::Assigned { to: w.block_op.public() },
        3 => Action::Escalated { text: "up".into() },
        4 => Action::PulledUp { text: "ours".into() },
        5 => Action::Resolved { text: "done".into() },
        6 => Action::Reopened { text: "again".into() },
        7 => Action::Carried,
        _ => Action::Confirmed,
    }
}

fn shuffle_with_duplicates(items: &[SignedChange], mut seed: u64) -> Vec<SignedChange> {
    let mut out: Vec<SignedChange> = items.to_vec();
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for i in (1..out.len()).rev() {
        let j = next() % (i + 1);
        out.swap(i, j);
    }
    let dups: Vec<SignedChange> = out.iter().filter(|_| next() % 4 == 0).cloned().collect();
    out.extend(dups);
    out
}

fn run(n: usize, ops: &[Op]) -> Option<TicketState> {
    let w = World::new();
    let registers = [
        DocId::parse(&format!("{AWC}:growth/2023-11")).unwrap(),
        DocId::parse(&format!("{AWC}:daily/2023-11")).unwrap(),
    ];
    let (ticket_doc, raised) = raise(&w, &w.sevika, AWC);
    let ticket_id = ticket_doc.id().clone();
    let mut replicas: Vec<Replica> =
        (0..n).map(|_| Replica { docs: BTreeMap::new(), log: Vec::new(), hlc: Hlc::default() }).collect();
    replicas[0].take(&raised, &w);

    for (step, op) in ops.iter().enumerate() {
        match op.clone() {
            Op::Register { replica, doc, entry, field, value } => {
                let (writer, _) = identities(replica);
                let r = &mut replicas[replica];
                let hlc = r.tick(step);
                let d = r.docs.entry(registers[doc].clone()).or_insert_with(|| Document::new(registers[doc].clone()));
                if let Some(change) = register_op(d, &writer, hlc, &w, entry, field, value) {
                    r.log.push(change);
                }
            }
            Op::Ticket { replica, kind } => {
                let (_, actor) = identities(replica);
                let r = &mut replicas[replica];
                let hlc = r.tick(step);
                if let Some(doc) = r.docs.get_mut(&ticket_id) {
                    let change = ticket::append(doc, &actor, ticket_action(kind, &w), hlc, &w.trust).unwrap();
                    r.log.push(change);
                }
            }
            Op::Merge { from, to, seed } if from != to => {
                let sent = shuffle_with_duplicates(&replicas[from].log, seed);
                let hlc = replicas[from].hlc;
                let receiver = &mut replicas[to];
                receiver.hlc = receiver.hlc.observe(hlc, Timestamp(T0.0 + step as i64 * 60_000));
                for c in &sent {
                    receiver.take(c, &w);
                }
            }
            Op::Merge { .. } => {}
        }
    }

    // Everyone meets everyone, twice round, so every change reaches every replica.
    for _ in 0..2 {
        for from in 0..n {
            for to in 0..n {
                if from != to {
                    let sent = replicas[from].log.clone();
                    for c in &sent {
                        replicas[to].take(c, &w);
                    }
                }
            }
        }
    }

    let derived = |r: &Replica| -> Option<TicketState> {
        r.docs.get(&ticket_id).map(|d| ticket::state_of(d, &w.trust, &Deadlines::default()).unwrap())
    };
    let first = &replicas[0];
    for r in &replicas[1..] {
        assert_eq!(r.docs.keys().collect::<Vec<_>>(), first.docs.keys().collect::<Vec<_>>());
        for (id, doc) in &r.docs {
            let other = &first.docs[id];
            let mut a = doc.heads();
            let mut b = other.heads();
            a.sort();
            b.sort();
            assert_eq!(a, b, "heads of {id}");
            assert_eq!(doc.automerge().hydrate(None), other.automerge().hydrate(None), "content of {id}");
        }
        assert_eq!(derived(r), derived(first), "derived ticket state");
        for id in &registers {
            if let (Some(a), Some(b)) = (r.docs.get(id), first.docs.get(id)) {
                assert_eq!(register::read(a), register::read(b), "register view of {id}");
            }
        }
    }
    for (id, doc) in &first.docs {
        let loaded = Document::load(id.clone(), &doc.save()).unwrap();
        assert_eq!(loaded.heads(), doc.heads());
        assert_eq!(loaded.automerge().hydrate(None), doc.automerge().hydrate(None));
    }
    if let (Some(a), Some(doc)) = (derived(first), first.docs.get(&ticket_id)) {
        let loaded = Document::load(ticket_id.clone(), &doc.save()).unwrap();
        assert_eq!(ticket::state_of(&loaded, &w.trust, &Deadlines::default()).unwrap(), a);
    }
    derived(first)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge(
        (n, ops) in (3..=5usize).prop_flat_map(|n| (Just(n), prop::collection::vec(op_strategy(n), 1..60)))
    ) {
        run(n, &ops);
    }
}

#[test]
fn a_busy_fixed_history_converges() {
    // A long hand-picked run: every replica acts between merges.
    let mut ops = Vec::new();
    for round in 0..6u64 {
        for r in 0..5 {
            ops.push(Op::Register {
                replica: r,
                doc: r % 2,
                entry: (round % 4) as u8,
                field: (r % 3) as u8,
                value: round as i64,
            });
            ops.push(Op::Ticket { replica: r, kind: ((round as usize + r) % 8) as u8 });
            ops.push(Op::Merge { from: r, to: (r + 1) % 5, seed: round * 31 + r as u64 });
        }
    }
    let state = run(5, &ops).unwrap();
    let accepted = state.timeline.iter().filter(|e| e.outcome == sampark_crdt::ticket::Outcome::Accepted).count();
    assert!(state.timeline.len() >= 25 && accepted >= 5, "{} events, {accepted} accepted", state.timeline.len());
}
