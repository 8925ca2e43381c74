//! What one contact costs on the wire: for N documents in scope and d of them differing, the
//! bytes each way and the trips, against the lower bound (the bytes of the signed changes that
//! had to move). Prints one JSON object per line.
//!
//! Run: `cargo bench -p sampark-node --bench contact`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use fixture::*;
use sampark_crdt::Author;
use sampark_crdt::Keypair;
use sampark_crdt::ticket::{self, Action};
use sampark_crdt::verify::verify;
use sampark_node::proto::{Local, MemoryNode};

fn main() {
    let block = Block::new();
    let district = Author::new(Keypair::from_secret([2; 32]), [2; 8]);
    for n in [100usize, 10_000] {
        // N tickets raised by the sevika, held by both the block relay and the district relay.
        let mut phone = block.node(&block.sevika);
        let ids: Vec<_> = (0..n).map(|i| raise(&mut phone, &block.sevika, AWC, i as i64)).collect();
        let mut relay = block.node(&block.relay);
        let mut upper = block.node(&district);
        for node in [&mut relay, &mut upper] {
            for c in &block.certs {
                node.trust_mut().add_certificate(c.clone()).unwrap();
            }
            for id in &ids {
                for signed in phone.missing(id, &[]) {
                    let v = verify(&signed, node.trust()).unwrap();
                    node.deliver(signed, v).unwrap();
                }
            }
        }
        for d in [0usize, 1, 10, 100, 1_000].into_iter().filter(|d| *d <= n) {
            let (mut a, mut b) = (relay.clone(), upper.clone());
            let mut lower_bound = 0usize;
            for id in ids.iter().take(d) {
                let trust = a.trust().clone();
                let doc = a.document_mut(id);
                let change = ticket::append(doc, &block.relay, Action::Received, at(n as i64 + 1), &trust).unwrap();
                lower_bound += change.encode().len();
                a.record_own(change);
            }
            let c = contact(&mut a, &mut b);
            assert_eq!(b.change_count(), a.change_count(), "everything moved");
            let total = c.a.bytes_sent + c.b.bytes_sent;
            println!(
                "{{\"documents\":{n},\"differing\":{d},\"bytes_relay_to_district\":{},\"bytes_district_to_relay\":{},\"one_way_trips\":{},\"round_trips\":{},\"lower_bound_bytes\":{lower_bound},\"bytes_over_lower_bound\":{}}}",
                c.a.bytes_sent,
                c.b.bytes_sent,
                c.trips,
                c.trips.div_ceil(2),
                total as i64 - lower_bound as i64,
            );
            let _: &MemoryNode = &a;
        }
    }
}
