//! Attacks on the helpdesk's login, against a real `sampark-relay run` on loopback: wrong
//! passwords in parallel cannot slip a guess past the lockout; logins in parallel with made-up
//! names cannot make the relay take memory without bound; a guesser at one address locks the
//! name out only there; and no form on another site can log a browser in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use http_support::{Chain, Relay, add_operator, login_from, proc_kib, raw_post};
use serde_json::json;

const PASSWORD: &str = "धीरे-धीरे 2024";
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const GUESSER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// Failed logins in a row for one name at one address before it is locked there.
const MAX_FAILURES: usize = 5;

fn relay_with_asha() -> (Chain, Relay) {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    let relay = Relay::start(&chain.path("block"), &[]);
    (chain, relay)
}

/// `n` logins at once (from threads released together), each `(user, password)` of `who(i)`;
/// their statuses.
fn logins_at_once(
    relay: &Relay,
    n: usize,
    who: impl Fn(usize) -> (String, String),
) -> Vec<std::thread::JoinHandle<u16>> {
    let barrier = Arc::new(Barrier::new(n));
    (0..n)
        .map(|i| {
            let (user, password) = who(i);
            let barrier = Arc::clone(&barrier);
            let http = relay.http;
            std::thread::spawn(move || {
                barrier.wait();
                login_from(HOME, http, &user, &password).status
            })
        })
        .collect()
}

#[test]
fn wrong_passwords_in_parallel_cannot_slip_a_guess_past_the_lockout() {
    let (_chain, relay) = relay_with_asha();
    let wrong = logins_at_once(&relay, 100, |i| ("asha".into(), format!("wrong guess {i}")));
    // While those are being checked (100 Argon2 checks take seconds on two cores), the right
    // password: the attempts were counted as they came, so it is refused. Before the fix the
    // failures were counted only once checked, so this got in.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        let a = login_from(HOME, relay.http, "asha", PASSWORD);
        assert_eq!((a.status, a.body["kind"].as_str()), (429, Some("throttled")), "{}", a.text);
        let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
    }
    let statuses: Vec<u16> = wrong.into_iter().map(|t| t.join().unwrap()).collect();
    let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
    assert_eq!(count(200), 0, "a wrong guess got in: {statuses:?}");
    assert!(count(401) <= MAX_FAILURES, "{} of 100 wrong guesses were checked: {statuses:?}", count(401));
    assert_eq!(count(401) + count(429), 100, "{statuses:?}");
    // And after all of them, still refused.
    assert_eq!(login_from(HOME, relay.http, "asha", PASSWORD).status, 429);
}

#[test]
fn logins_with_made_up_names_in_parallel_do_not_take_memory_without_bound() {
    let (_chain, relay) = relay_with_asha();
    let pid = relay.child.id();
    // One check first, so that what any check needs once (Argon2's first block, threads) is in
    // the figure before.
    assert_eq!(login_from(HOME, relay.http, "nobody", "not a password").status, 401);
    let (rss_before, peak_before) = (proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM"));
    let n = 64;
    let threads = logins_at_once(&relay, n, |i| (format!("made-up-{i}"), "not a password".into()));
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let (rss_after, peak_after) = (proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM"));
    println!(
        "{n} logins at once: VmRSS {} -> {} MiB, VmHWM {} -> {} MiB; answers {statuses:?}",
        rss_before / 1024,
        rss_after / 1024,
        peak_before / 1024,
        peak_after / 1024
    );
    assert!(statuses.iter().all(|s| [401, 503].contains(s)), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 401).count() >= n / 2, "most are checked: {statuses:?}");
    // Each Argon2 check works in 19 MiB, kept by the thread that checked for its next check.
    // Checks run on 2 threads, one of which has checked already: so the other's 19 MiB more,
    // and 48 MiB leaves room for the allocator and 64 connections' buffers. Before the fix all
    // 64 ran at once, each allocating its own 19 MiB, and the allocator kept it: over 1 GiB.
    let bound_kib = 48 * 1024;
    assert!(
        peak_after.saturating_sub(peak_before) < bound_kib,
        "peak RSS grew by {} MiB",
        (peak_after - peak_before) / 1024
    );
    assert!(rss_after.saturating_sub(rss_before) < bound_kib, "RSS grew by {} MiB", (rss_after - rss_before) / 1024);
}

#[test]
fn a_guesser_locks_the_name_out_only_at_their_own_address() {
    let (_chain, relay) = relay_with_asha();
    for i in 0..MAX_FAILURES {
        assert_eq!(login_from(GUESSER, relay.http, "asha", &format!("guess {i}")).status, 401);
    }
    let locked = login_from(GUESSER, relay.http, "asha", PASSWORD);
    assert_eq!((locked.status, locked.body["kind"].as_str()), (429, Some("throttled")), "{}", locked.text);
    // Asha at her own computer (another address) is not locked out.
    let asha = login_from(HOME, relay.http, "asha", PASSWORD);
    assert_eq!(asha.status, 200, "{}", asha.text);
    assert!(asha.header("set-cookie").unwrap().starts_with("sampark_session="));
    // And her success does not unlock the guesser's address.
    assert_eq!(login_from(GUESSER, relay.http, "asha", PASSWORD).status, 429);
}

#[test]
fn a_login_or_an_action_sent_as_a_form_is_refused() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    let ids = chain.raise_at_block(&[("sync", "डेटा सिंक नहीं हो रहा")]);
    let relay = Relay::start(&chain.path("block"), &[]);
    let to = relay.http;
    // A form with enctype="text/plain" can carry a JSON text: that is what a page elsewhere
    // would send to log the browser in to the sender's account. Before the fix it got in.
    let as_json = json!({"user": "asha", "password": PASSWORD}).to_string();
    for content_type in ["Content-Type: text/plain", "Content-Type: multipart/form-data; boundary=x"] {
        let a = raw_post(HOME, to, "/api/login", &[content_type], &as_json);
        assert_eq!(a.status, 415, "{content_type}: {}", a.text);
        assert!(a.header("set-cookie").is_none());
    }
    let form = format!("user=asha&password={}", "x".repeat(10));
    let a = raw_post(HOME, to, "/api/login", &["Content-Type: application/x-www-form-urlencoded"], &form);
    assert_eq!((a.status, a.body["kind"].as_str()), (415, Some("invalid")), "{}", a.text);
    let a = raw_post(HOME, to, "/api/login", &[], &as_json);
    assert_eq!(a.status, 415, "no Content-Type: {}", a.text);
    let ok = raw_post(HOME, to, "/api/login", &["Content-Type: application/json; charset=utf-8"], &as_json);
    assert_eq!(ok.status, 200, "{}", ok.text);
    // Ticket actions with a body take JSON only too, session and CSRF token or not.
    let cookie = ok.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let csrf = ok.body["csrf"].as_str().unwrap().to_owned();
    let session = [format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")];
    let comment = format!("/api/tickets/{}/comment", ids[0]);
    let body = json!({"text": "देख रहे हैं"}).to_string();
    let plain = raw_post(HOME, to, &comment, &[&session[0], &session[1], "Content-Type: text/plain"], &body);
    assert_eq!(plain.status, 415, "{}", plain.text);
    let json = raw_post(HOME, to, &comment, &[&session[0], &session[1], "Content-Type: application/json"], &body);
    assert_eq!(json.status, 200, "{}", json.text);
    // An action without a body needs no Content-Type.
    let escalate = format!("/api/tickets/{}/escalate", ids[0]);
    assert_eq!(raw_post(HOME, to, &escalate, &[&session[0], &session[1]], "").status, 200);
}
