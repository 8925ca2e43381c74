//! A sevika's phone with its clock 300 days ahead (run under `faketime`) raises a ticket and
//! syncs with a real block relay; then a sector-mate's phone with a 30-day certificate and a
//! right clock syncs. The relay's clock, deadline, escalation and certificate checks follow its
//! own clock, not the phone's; neither the relay's clock nor the other phone's moves more than
//! the allowed skew; the dashboard's centre list flags the phone's centre, in the JSON API and
//! in a real browser (in Hindi, screenshot `clock-ahead.png`), beside a phone of another state's
//! chain that the relay refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod browser_support;
mod http_support;

use std::process::Command;

use http_support::*;
use sampark_crdt::time::MAX_SKEW_MS;
use sampark_crdt::{Role, Scope};
use sampark_node::ops::enrol::enroll_home;
use sampark_node::ops::wall_clock;
use sampark_relay::provision;
use serde_json::Value;

const MATE: &str = "BR/DBG/P07/S03/A0413";
const DAY: i64 = 86_400_000;

/// `sampark-relay phone ARGS --home HOME`, under `faketime` shifted by `shift` if given.
fn phone(shift: Option<&str>, home: &std::path::Path, args: &[&str]) -> Value {
    let mut command = match shift {
        Some(shift) => {
            let mut c = Command::new("faketime");
            c.args(["-f", shift, BIN]);
            c
        }
        None => Command::new(BIN),
    };
    let out = command.arg("phone").args(args).args(["--home", home.to_str().unwrap(), "--json"]).output();
    let out =
        out.unwrap_or_else(|e| panic!("cannot run the phone (is faketime installed? apt-get install faketime): {e}"));
    assert!(out.status.success(), "phone {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_phone_300_days_ahead_moves_no_clock_and_is_flagged() {
    let chain = Chain::new();
    // The sector-mate's certificate lasts 30 days: a relay that took the bad clock would refuse it.
    let now = wall_clock();
    let mate = chain.home("mate");
    let key = mate.init().unwrap();
    let (file, _) =
        provision::certify(&chain.home("block"), key, Role::Sevika, &Scope::parse(MATE).unwrap(), 30, now).unwrap();
    enroll_home(&mate, &file, now).unwrap();
    add_operator(&chain.path("block"), "asha", "correct horse battery");
    let relay = Relay::start(&chain.path("block"), &[]);
    let mut helpdesk = relay.client();
    assert_eq!(helpdesk.login("asha", "correct horse battery").status, 200);

    // The phone's clock says 300 days from now: its ticket and its sync carry that time.
    let ahead = Some("+300d");
    let raised = phone(ahead, &chain.path("phone"), &["ticket", "raise", "--category", "sync", "--text", "घड़ी आगे"]);
    let id = raised["id"].as_str().unwrap().to_owned();
    let sync = phone(ahead, &chain.path("phone"), &["sync", "--peer", &relay.addr()]);
    assert_eq!(sync["outcome"], "complete", "its work is kept: {sync}");

    // The relay holds the ticket, open at the block, with a deadline by its own clock.
    let ticket = helpdesk
        .wait_for(&format!("/api/tickets/{id}"), "the ticket at the block", |b| b["ticket"]["id"] == id.as_str());
    let ticket = &ticket["ticket"];
    assert_eq!((ticket["status"].as_str(), ticket["tier"].as_str()), (Some("open"), Some("block")), "{ticket}");
    let deadline = ticket["deadline"].as_i64().expect("a deadline");
    let by_relay_clock = wall_clock().0 + 2 * DAY;
    assert!(
        (deadline - by_relay_clock).abs() < 3_600_000,
        "the deadline is 48 h by the relay's clock: {deadline} vs {by_relay_clock}"
    );

    // Nobody's clock moved further than the skew: not the relay's, not a sector-mate's who then
    // takes the ticket from the relay; and the mate's 30-day certificate still counts there.
    let limit = |at: i64| at + MAX_SKEW_MS + 60_000;
    let mate_sync = phone(None, mate.dir(), &["sync", "--peer", &relay.addr()]);
    assert_eq!(mate_sync["outcome"], "complete", "{mate_sync}");
    let mate_tickets = phone(None, mate.dir(), &["ticket", "list"]);
    assert!(
        mate_tickets.as_array().unwrap().iter().any(|t| t["id"] == id.as_str()),
        "the mate keeps the sector's ticket"
    );
    let mate_status = phone(None, mate.dir(), &["status"]);
    assert!(mate_status["clock"].as_i64().unwrap() < limit(wall_clock().0), "the mate's clock: {mate_status}");
    let relay_status = phone(None, &chain.path("block"), &["status"]);
    assert!(relay_status["clock"].as_i64().unwrap() < limit(wall_clock().0), "the relay's clock: {relay_status}");

    // After the duties ran (they run after every contact), the ticket is still at the block.
    let ticket = &helpdesk.get(&format!("/api/tickets/{id}")).1["ticket"];
    assert_eq!(ticket["tier"], "block", "not escalated: {ticket}");

    // The dashboard flags the centre whose phone's clock is ahead, and only that one.
    let (_, centres) = helpdesk.get("/api/centres");
    let centre = |awc: &str| centres["centres"].as_array().unwrap().iter().find(|c| c["awc"] == awc).unwrap().clone();
    let flagged = centre(AWC)["clock_ahead_ms"].as_i64().expect("the centre is flagged");
    assert!((flagged - 300 * DAY).abs() < DAY, "{flagged}");
    assert!(centre(MATE)["clock_ahead_ms"].is_null(), "{centres}");

    // A phone of another state's chain is refused; the relay keeps none of its certificates.
    let other = Chain::new();
    let refused = Command::new(BIN)
        .args(["phone", "sync", "--peer", &relay.addr(), "--json", "--home", other.path("phone").to_str().unwrap()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&refused.stdout).unwrap_or_default();
    assert!(!refused.status.success(), "{report}");
    let (_, refusals) = helpdesk.get("/api/refusals");
    let row = &refusals["refusals"][0];
    assert!(
        row["reason"].as_str().is_some_and(|r| r.contains("no valid certificate")) && row["role"].is_null(),
        "{refusals}"
    );

    // The helpdesk sees both on the dashboard's centre page, in words.
    let Some(tools) = browser_support::browser() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let (c, _driver) = browser_support::launch(tools, chain.dir.path()).await;
        c.goto(&format!("http://{}/", relay.http)).await.unwrap();
        browser_support::type_into(&c, "#login-user", "asha").await;
        browser_support::type_into(&c, "#login-password", "correct horse battery\u{E007}").await;
        browser_support::wait_text(&c, "#queue-title", "the queue", |t| t == "टिकट कतार").await;
        c.goto(&format!("http://{}/#/centres", relay.http)).await.unwrap();
        let row = browser_support::wait_text(&c, "#centres-body", "the flagged centre", |t| t.contains("घड़ी")).await;
        assert!(row.contains("⚠ फ़ोन की घड़ी 300 दिन") || row.contains("⚠ फ़ोन की घड़ी 299 दिन 23 घंटे"), "{row}");
        let refused = browser_support::wait_text(&c, "#refusals-body", "the refusal", |t| t.contains("मना किया")).await;
        assert!(refused.contains("अनजान कुंजी") && refused.contains("no valid certificate"), "{refused}");
        browser_support::shot(&c, "clock-ahead").await;
        c.close().await.unwrap();
    });
}
