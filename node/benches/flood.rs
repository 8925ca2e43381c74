//! A block relay's sync capacity with and without a hostile crowd around it: how many complete
//! contacts of one enrolled phone (a ticket raised, then `sampark-node sync`, as real processes
//! over loopback TCP) the relay serves per second, first alone, then under the crowd of the
//! flood test (200 raw sockets from 20 addresses, half silent and half sending garbage, and 64
//! libp2p peers certified by another root, reconnecting as soon as they are dropped). Prints
//! one JSON object with both rates, their ratio and the relay's peak memory in each phase.
//!
//! Run: `cargo bench -p sampark-node --bench flood`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/process/mod.rs"]
mod process;

use std::path::Path;
use std::time::Instant;

use process::flood::{Crowd, Plan};
use process::{Block, Daemon, on, rss_kib};
use sampark_node::home::Home;

const SYNCS: usize = 30;

/// `SYNCS` contacts of `phone` with the relay at `peer`; returns contacts per second and the
/// relay's peak resident memory (KiB).
fn phase(phone: &Path, peer: &str, relay: &Daemon) -> (f64, u64) {
    let started = Instant::now();
    let mut peak = 0;
    for i in 0..SYNCS {
        on(phone, &["ticket", "raise", "--category", "sync", "--text", &format!("bench {i}")]).ok();
        let report = on(phone, &["sync", "--peer", peer, "--json"]).ok().json();
        assert_eq!(report["outcome"], "complete", "{report}");
        peak = peak.max(rss_kib(relay.child.id()));
    }
    (SYNCS as f64 / started.elapsed().as_secs_f64(), peak)
}

fn main() {
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", "BR/DBG/P07/S03/A0412");
    let relay = Daemon::start(&block.home("relay"), &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    let tcp = relay.addr("tcp");
    on(&phone, &["sync", "--peer", &tcp]).ok();
    let (alone, alone_rss) = phase(&phone, &tcp, &relay);

    let port: u16 = tcp.split('/').nth(4).unwrap().parse().unwrap();
    let crowd = Crowd::start(Plan {
        tcp: ([127, 0, 0, 1], port).into(),
        sockets: 200,
        addresses: 20,
        relay: tcp.parse().unwrap(),
        relay_key: Home::new(block.home("relay")).key().unwrap().public(),
        strangers: 64,
    });
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (flooded, flooded_rss) = phase(&phone, &tcp, &relay);
    drop(crowd);
    println!(
        "{}",
        serde_json::json!({
            "bench": "relay_sync_capacity",
            "syncs_per_phase": SYNCS,
            "alone_per_s": (alone * 100.0).round() / 100.0,
            "flooded_per_s": (flooded * 100.0).round() / 100.0,
            "ratio_flooded_to_alone": (flooded / alone * 1000.0).round() / 1000.0,
            "relay_peak_rss_kib_alone": alone_rss,
            "relay_peak_rss_kib_flooded": flooded_rss,
        })
    );
}
