//! A block relay under a flood: 200 raw sockets (half silent, half sending garbage) from 20
//! addresses, and 64 libp2p peers whose certificates come from another root, all reconnecting
//! as soon as they are dropped. An enrolled phone's `sync` must still complete, over TCP and
//! QUIC, every time; the strangers are refused and dropped; the relay's memory stays bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod process;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use process::flood::{Crowd, Plan};
use process::{Block, Daemon, on, rss_kib};
use sampark_node::home::Home;

const AWC: &str = "BR/DBG/P07/S03/A0412";

/// How much the relay's resident memory may grow under the flood. 200 sockets in handshake or
/// refused, and up to 32 stranger connections with a yamux window each, cost a few MiB; the
/// bound leaves room for allocator slack, far below what unbounded buffering would take.
const RSS_GROWTH_BOUND_KIB: u64 = 64 * 1024;

#[test]
fn an_enrolled_phone_syncs_through_a_flood_of_sockets_and_strangers() {
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC);
    let relay = Daemon::start(
        &block.home("relay"),
        &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/udp/0/quic-v1"],
    );
    let (tcp, quic) = (relay.addr("tcp"), relay.addr("quic-v1"));
    let sync = |peer: &str| on(&phone, &["sync", "--peer", peer, "--json"]);
    // The phone has met its relay before (the relay knows its certificate).
    let first = sync(&tcp).ok().json();
    assert_eq!(first["outcome"], "complete", "{first}");
    let before = rss_kib(relay.child.id());

    let port: u16 = tcp.split('/').nth(4).unwrap().parse().unwrap();
    let relay_key = Home::new(block.home("relay")).key().unwrap().public();
    let crowd = Crowd::start(Plan {
        tcp: ([127, 0, 0, 1], port).into(),
        sockets: 200,
        addresses: 20,
        relay: tcp.parse().unwrap(),
        relay_key,
        strangers: 64,
    });
    std::thread::sleep(Duration::from_secs(3));

    let mut peak = before;
    for round in 0..3 {
        for peer in [&tcp, &quic] {
            on(&phone, &["ticket", "raise", "--category", "sync", "--text", &format!("round {round}")]).ok();
            let started = Instant::now();
            let out = sync(peer);
            if out.code != 0 {
                let log = std::fs::read_to_string(block.home("relay").with_extension("log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().filter(|l| !l.contains("InvalidMessage")).take(40).collect();
                panic!(
                    "round {round} over {peer}: {}\nthe relay's log, newest first:\n{}",
                    out.stderr,
                    tail.join("\n")
                );
            }
            let report = out.json();
            assert_eq!(report["outcome"], "complete", "round {round} over {peer}: {report}");
            assert!(report["changes_sent"].as_u64().unwrap() >= 1, "{report}");
            eprintln!("round {round} over {peer}: synced in {} ms", started.elapsed().as_millis());
            peak = peak.max(rss_kib(relay.child.id()));
        }
    }
    let counts = crowd.stop();
    let c = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
    eprintln!(
        "relay RSS {before} KiB before, peak {peak} KiB during; sockets opened {}, closed by the relay {}; \
         stranger connections {}, refused {}, dropped {}",
        c(&counts.sockets_opened),
        c(&counts.sockets_closed),
        c(&counts.strangers_connected),
        c(&counts.strangers_refused),
        c(&counts.strangers_dropped)
    );
    assert!(peak - before < RSS_GROWTH_BOUND_KIB, "the relay grew from {before} KiB to {peak} KiB");
    assert!(c(&counts.strangers_refused) > 0, "the strangers reached the relay and were refused");
    assert!(c(&counts.strangers_dropped) > 0, "refused strangers were disconnected");
    let status = on(&phone, &["status", "--json"]).ok().json();
    assert_eq!(status["waiting_upward"], 0, "everything reached the relay: {status}");
}
