//! Floods of half-sent requests against a real `sampark-relay run` on loopback: the helpdesk
//! closes them within its header timeout and serves its operators meanwhile; and a relay short
//! of file descriptors (`prlimit --nofile=256:256`) still serves its helpdesk and syncs a phone
//! while 300 connections from one address try to hold it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use http_support::{Chain, Relay, add_operator, connect_from, free_port, relay_cmd};

const PASSWORD: &str = "धीरे-धीरे 2024";
const FLOODER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const FLOOD: usize = 300;

/// `n` connections from `from`, each sending half a request head and then nothing.
fn half_sent(from: IpAddr, to: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            let mut s = connect_from(from, to);
            // The relay may already have closed it (over a cap): the write may fail.
            let _ = s.write_all(format!("GET /api/tickets HTTP/1.1\r\nHost: relay\r\nX-Part: {i}").as_bytes());
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect()
}

/// How many of `streams` the other side has not closed (nothing to read yet, no end of file).
fn still_open(streams: &mut [TcpStream]) -> usize {
    streams.iter_mut().filter(|s| is_open(s)).count()
}

fn is_open(mut s: &TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}

fn operator_works(relay: &Relay) {
    let mut asha = relay.client();
    let login = asha.login("asha", PASSWORD);
    assert_eq!(login.status, 200, "login during the flood: {}", login.body);
    let (status, body) = asha.get("/api/tickets");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tickets"].as_array().unwrap().len(), 1, "{body}");
}

#[test]
fn half_sent_requests_are_closed_within_the_header_timeout_while_operators_work() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    chain.raise_at_block(&[("sync", "डेटा सिंक नहीं हो रहा")]);
    let relay = Relay::start(&chain.path("block"), &["--http-header-timeout", "2s"]);
    let started = Instant::now();
    let mut flood = half_sent(FLOODER, relay.http, FLOOD);
    operator_works(&relay);
    let open_during = still_open(&mut flood);
    // All closed by the relay within the 2 s header timeout (with room for a slow machine).
    let deadline = started + Duration::from_secs(8);
    let mut open = open_during;
    while open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        open = still_open(&mut flood);
    }
    let took = started.elapsed();
    println!("{FLOOD} half-sent requests: {open_during} open after the operator's work, all closed after {took:?}");
    assert_eq!(open, 0, "{open} of {FLOOD} half-sent requests still open after {took:?}");
    assert!(open_during > 0, "the flood was on while the operator worked");
    operator_works(&relay);
}

#[test]
fn a_relay_short_of_descriptors_still_serves_and_syncs_during_a_flood() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    chain.raise_at_block(&[("sync", "डेटा सिंक नहीं हो रहा")]);
    let http = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // 256 descriptors: 64 for HTTP (16 for the local API, 48 for the helpdesk, 12 of them for
    // one address), 128 for libp2p. The header timeout is long, so the flood holds what it gets.
    let relay = Relay::start_under(
        &["prlimit", "--nofile=256:256", "--"],
        &chain.path("block"),
        http,
        &["--http-header-timeout", "60s"],
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", relay.child.id())).unwrap();
    assert!(limits.lines().any(|l| l.starts_with("Max open files") && l.contains(" 256 ")), "{limits}");
    let mut flood = half_sent(FLOODER, relay.http, FLOOD);
    std::thread::sleep(Duration::from_millis(500));
    let held = still_open(&mut flood);
    println!("{FLOOD} half-sent requests from one address: the relay holds {held}");
    assert!(held <= 12, "one address holds {held} connections");

    // The helpdesk serves others; the transport accepts; a phone syncs.
    assert_eq!(relay.client().get("/healthz").0, 200);
    operator_works(&relay);
    let tcp = relay.addr();
    let port: u16 = tcp.split('/').nth(4).unwrap().parse().unwrap();
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(5))
        .expect("the transport accepts connections");
    let phone = chain.path("phone");
    let sync = relay_cmd(&["phone", "sync", "--home", phone.to_str().unwrap(), "--peer", &tcp, "--json"], "");
    assert_eq!(sync.code, 0, "the phone could not sync: {}{}", sync.stdout, sync.stderr);
    assert!(sync.stdout.contains("\"peer\""), "{}", sync.stdout);
    drop(flood);
    assert_eq!(relay.stop(), 0);
}
