//! The oracle and the baselines on small hand-made traces, against times worked out by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use sampark_sim::contacts::{self, Contact, LinkKind};
use sampark_sim::oracle::{Message, epidemic, foremost, spray_and_wait};
use sampark_sim::population::Population;

fn c(a: u32, b: u32, start: i64, end: i64) -> Contact {
    Contact { start, end, a: a.min(b), b: a.max(b), link: LinkKind::Phone }
}

fn msg(source: u32, created: i64, targets: &[u32]) -> Message {
    Message { source, created, targets: targets.to_vec(), size: 100 }
}

#[test]
fn foremost_journeys_by_hand() {
    // 0–1 [0,10), 2–3 [5,25), 1–2 [20,30), 3–4 [26,40), 0–4 [50,60).
    let trace = vec![c(0, 1, 0, 10), c(2, 3, 5, 25), c(1, 2, 20, 30), c(3, 4, 26, 40), c(0, 4, 50, 60)];
    let msgs = vec![
        // At 0 from t=2: 1 at 2; 2 at 20 (1–2 opens); 3 at 20 (2–3 is open then); 4 at 26.
        msg(0, 2, &[1, 2, 3, 4]),
        // At 0 from t=10: 0–1 has just ended; only 0–4 at 50 remains.
        msg(0, 10, &[1, 4]),
        // At 3 from t=0: 2 at 5; 1 at 20; 0 never after 10... until 0–4 carries it at 50 via 4 (at 26).
        msg(3, 0, &[2, 1, 4, 0]),
        // At 4 from t=41: only 0–4 at 50.
        msg(4, 41, &[0, 3]),
    ];
    let got = foremost(&trace, 5, &msgs);
    assert_eq!(got[0], vec![Some(2), Some(20), Some(20), Some(26)]);
    assert_eq!(got[1], vec![None, Some(50)]);
    assert_eq!(got[2], vec![Some(5), Some(20), Some(26), Some(50)]);
    assert_eq!(got[3], vec![Some(50), None]);
}

#[test]
fn foremost_over_a_one_trace_file() {
    let s = common::tiny(1, "");
    let start = s.start_millis().unwrap();
    let pop = Population::new(&s, 1, start).unwrap();
    // Phones 8 and 9 meet at 60 s; 9 meets the block relay (node 2) from 100 s to 130 s;
    // the relay's uplink to the district relay (1) is up from 120 s; the district and state (0)
    // meet at 200 s.
    let text = "60 CONN 8 9 up\n90 CONN 8 9 down\n100 CONN 9 2 up\n120 CONN 2 1 up\n130 CONN 9 2 down\n\
                200 CONN 1 0 up\n300 CONN 1 0 down\n";
    let trace = contacts::read_one(text, 1.0, &pop, start, start + 86_400_000).unwrap();
    assert_eq!(trace.len(), 4);
    assert_eq!(
        trace.iter().map(|c| c.link).collect::<Vec<_>>(),
        vec![LinkKind::Phone, LinkKind::Office, LinkKind::Uplink, LinkKind::Backbone]
    );
    let got = foremost(&trace, pop.nodes.len(), &[msg(8, start + 10_000, &[2, 1, 0])]);
    let secs: Vec<Option<i64>> = got[0].iter().map(|t| t.map(|t| (t - start) / 1000)).collect();
    assert_eq!(secs, vec![Some(100), Some(120), Some(200)]);
}

#[test]
fn baselines_by_hand() {
    // Capacity 150 bytes each way per contact: one 100-byte message per contact and direction.
    let cap = |_: &Contact| 150.0;
    let trace = vec![c(0, 1, 10, 20), c(1, 2, 30, 40), c(0, 2, 50, 60)];
    let msgs = vec![msg(0, 0, &[2]), msg(0, 1, &[2])];
    let e = epidemic(&trace, 3, &msgs, &cap);
    // The older message goes first at each contact; the newer follows on 0–2 at 50.
    assert_eq!(e.arrivals, vec![vec![Some(30)], vec![Some(50)]]);
    assert_eq!(e.transmissions, 3);
    // Spray and wait with 2 copies: 0 gives one copy of each to 1 (one per contact: the first);
    // 1, with one copy, waits for the target 2 (at 30); 0 delivers the second at 50.
    let sw = spray_and_wait(&trace, 3, &msgs, 2, &cap);
    assert_eq!(sw.arrivals, vec![vec![Some(30)], vec![Some(50)]]);
    assert_eq!(sw.transmissions, 3);
    // With one copy, the source waits to meet the target itself.
    let direct = spray_and_wait(&trace, 3, &msgs, 1, &|_| 1000.0);
    assert_eq!(direct.arrivals, vec![vec![Some(50)], vec![Some(50)]]);
    assert_eq!(direct.transmissions, 2);
}
