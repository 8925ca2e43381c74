//! End to end, with real processes on 127.0.0.1: every relay and phone is the real
//! `sampark-relay` binary (`run`, and `phone ...` for the phones), provisioned with the real
//! commands; operators act through the relays' HTTP API.
//!
//! - a ticket raised offline is carried phone to phone to the block, escalated block → district
//!   by operators, resolved by the state, and the resolution reaches the raising phone;
//! - with deadlines of seconds, the relays escalate on their own, block → district → state;
//! - once the block revokes a phone, the relay refuses the phone's new changes (and keeps what
//!   it sent before).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use sampark_relay::demo::chain::{self, Chain, Phone, RelayOptions};
use sampark_relay::demo::helpdesk::Helpdesk;
use sampark_relay::demo::phone;
use sampark_relay::demo::procs::{Bin, Daemon, until};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sampark-relay");
const AWC_A: &str = "BR/DBG/P07/S03/A0412";
const AWC_B: &str = "BR/DBG/P07/S05/A0500";
const WAIT: Duration = Duration::from_secs(45);

fn bin() -> Bin {
    Bin::new(BIN)
}

/// The chain and two phones (A raises, B carries) provisioned in `dir`, with an operator at
/// each relay when `operators`.
fn provision(dir: &Path, operators: bool) -> (Chain, Phone, Phone) {
    let bin = bin();
    let mut c = chain::provision(&bin, dir).unwrap();
    if operators {
        chain::operator(&bin, &mut c.block, "p07-desk").unwrap();
        chain::operator(&bin, &mut c.district, "dbg-desk").unwrap();
        chain::operator(&bin, &mut c.state, "br-desk").unwrap();
    }
    let a = chain::phone(&bin, dir, &c.block, "phone-a", "Sunita", AWC_A).unwrap();
    let b = chain::phone(&bin, dir, &c.block, "phone-b", "Anita", AWC_B).unwrap();
    (c, a, b)
}

/// State, district and block relays, each dialling the one above, with the helpdesk HTTP API
/// when `http`.
fn start_relays(c: &Chain, http: bool, options: &RelayOptions) -> (Daemon, Daemon, Daemon) {
    let bin = bin();
    let with = || if http { options.clone().with_http().unwrap() } else { options.clone() };
    let state = chain::start_relay(&bin, &c.state, None, &with()).unwrap();
    let district = chain::start_relay(&bin, &c.district, Some(&state), &with()).unwrap();
    let block = chain::start_relay(&bin, &c.block, Some(&district), &with()).unwrap();
    (state, district, block)
}

/// The ticket on the node at `home`, once `ready` holds for it.
fn ticket_when(home: &Path, id: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    until(what, WAIT, || Ok(phone::ticket(&bin(), home, id)?.filter(|t| ready(t)))).unwrap()
}

/// `phone`'s contact with the relay `relay`, which must refuse it; the report.
fn refused_contact(bin: &Bin, phone: &Phone, relay: &Daemon) -> Value {
    let home = phone.home.to_str().unwrap();
    let out = bin.output(&["phone", "sync", "--home", home, "--peer", &relay.tcp().unwrap(), "--json"], None).unwrap();
    let report = out.json().unwrap();
    assert!(report["outcome"].as_str().unwrap().starts_with("refused"), "{report}");
    report
}

fn login(relay: &Daemon, c: &chain::Relay) -> Helpdesk {
    let op = c.operator.as_ref().unwrap();
    Helpdesk::login(relay.http.unwrap(), &op.user, &op.password).unwrap()
}

/// The ticket once `desk`'s relay holds it at `tier`, its receipt stamped.
fn queued_at(desk: &Helpdesk, id: &str, tier: &str) -> Value {
    until(format!("{id} in the {tier} queue"), WAIT, || desk.arrived(id, tier)).unwrap()
}

fn actions(t: &Value) -> Vec<(String, String)> {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["capacity"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_ticket_raised_offline_climbs_to_the_state_and_its_resolution_comes_back() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let bin = bin();
    let (c, a, b) = provision(dir.path(), true);
    let (state, district, block) = start_relays(&c, true, &RelayOptions::default());
    let _a_run = chain::start_phone(&bin, &a).unwrap();
    let b_run = chain::start_phone(&bin, &b).unwrap();

    // A raises offline; B carries it to the block relay.
    let id = phone::raise(&bin, &a, "sync", "डेटा सिंक नहीं हो रहा").unwrap();
    phone::sync(&bin, &a, &b_run.tcp().unwrap()).unwrap();
    assert!(phone::ticket(&bin, &b.home, &id).unwrap().unwrap()["carried"] == true);
    phone::sync(&bin, &b, &block.tcp().unwrap()).unwrap();
    let at_block = ticket_when(&c.block.home, &id, "the block's receipt", |t| t["received"].get("block").is_some());
    assert_eq!(at_block["raised_by"], a.key, "raised by A, only carried by B");

    // Operators: the block escalates, the district escalates, the state resolves.
    let block_desk = login(&block, &c.block);
    queued_at(&block_desk, &id, "block");
    block_desk.act(&id, "escalate", "needs the district").unwrap();
    let district_desk = login(&district, &c.district);
    queued_at(&district_desk, &id, "district");
    district_desk.act(&id, "escalate", "needs the state").unwrap();
    let state_desk = login(&state, &c.state);
    queued_at(&state_desk, &id, "state");
    state_desk.act(&id, "resolve", "नया संस्करण डालें").unwrap();
    let detail = state_desk.ticket(&id).unwrap();
    assert_eq!(detail["status"], "resolved", "{detail}");

    // Down to the block, then A meets the block relay: A's phone shows it resolved, with the tiers.
    ticket_when(&c.block.home, &id, "the resolution at the block", |t| t["status"] == "resolved");
    phone::sync(&bin, &a, &block.tcp().unwrap()).unwrap();
    let t = phone::ticket(&bin, &a.home, &id).unwrap().unwrap();
    assert_eq!((t["status"].as_str(), t["tier"].as_str()), (Some("resolved"), Some("state")), "{t}");
    assert_eq!(t["resolution"], "नया संस्करण डालें");
    for tier in ["block", "district", "state"] {
        assert!(t["received"].get(tier).is_some(), "no {tier} receipt on the phone: {t}");
    }
    // The tiers' steps in order (other events, such as a carrier's note, may come between).
    let tier_steps = ["raised", "received", "escalated", "resolved"];
    let steps: Vec<String> =
        actions(&t).into_iter().map(|(a, _)| a).filter(|a| tier_steps.contains(&a.as_str())).collect();
    assert_eq!(steps, ["raised", "received", "escalated", "received", "escalated", "received", "resolved"], "{t}");
    assert!(t["timeline"].as_array().unwrap().iter().all(|e| e["refused"].is_null()), "{t}");
    let text = phone::ticket_text(&bin, &a.home, &id, "en").unwrap();
    assert!(text.contains("[resolved]") && text.contains("tier: state"), "{text}");
    println!("offline → block → district → state → phone in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn relays_escalate_on_their_own_when_a_tiers_deadline_passes() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let bin = bin();
    let (c, a, _) = provision(dir.path(), false);
    let quick = RelayOptions { deadlines: Some(("2s".into(), "2s".into())), ..RelayOptions::default() };
    let (_state, _district, block) = start_relays(&c, false, &quick);

    let id = phone::raise(&bin, &a, "app-error", "ऐप बंद हो जाता है").unwrap();
    phone::sync(&bin, &a, &block.tcp().unwrap()).unwrap();
    let at_block = ticket_when(&c.block.home, &id, "the block's receipt", |t| t["received"].get("block").is_some());
    let deadline = at_block["deadline"].as_i64().expect("the block's deadline runs");
    assert_eq!(deadline - at_block["received"]["block"].as_i64().unwrap(), 2000);

    // Nobody acts: the block relay escalates after 2 s, the district relay 2 s after its receipt.
    let at_state = ticket_when(&c.state.home, &id, "the ticket to reach the state on deadlines", |t| {
        t["tier"] == "state" && t["received"].get("state").is_some()
    });
    assert_eq!(at_state["status"], "open");
    assert!(at_state["deadline"].is_null(), "the state has no deadline: {at_state}");
    let relays: Vec<(String, String)> =
        actions(&at_state).into_iter().filter(|(a, _)| a == "escalated" || a == "received").collect();
    assert_eq!(relays.len(), 5, "{at_state}");
    let escalations: Vec<&Value> =
        at_state["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "escalated").collect();
    assert_eq!(escalations.len(), 2);
    assert_eq!(escalations[0]["by"], c.block.key);
    assert_eq!(escalations[1]["by"], c.district.key);
    assert!(escalations[0]["text"].as_str().unwrap().contains("deadline passed"), "{at_state}");

    // The escalations come down to the block, and to the phone at its next contact.
    ticket_when(&c.block.home, &id, "the state's receipt at the block", |t| t["received"].get("state").is_some());
    phone::sync(&bin, &a, &block.tcp().unwrap()).unwrap();
    let t = phone::ticket(&bin, &a.home, &id).unwrap().unwrap();
    assert_eq!(t["tier"], "state", "{t}");
    println!("escalated block → district → state on deadlines in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_revoked_phones_new_changes_are_refused_by_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let bin = bin();
    let (c, a, b) = provision(dir.path(), true);
    let options = RelayOptions::default();
    let block_home = c.block.home.to_str().unwrap().to_string();
    let held = || bin.json(&["phone", "ticket", "list", "--home", &block_home, "--json"]).unwrap();

    // Before: A's ticket reaches the block relay.
    let before = phone::raise(&bin, &a, "sync", "पहला टिकट").unwrap();
    let mut block = chain::start_relay(&bin, &c.block, None, &options).unwrap();
    phone::sync(&bin, &a, &block.tcp().unwrap()).unwrap();
    assert!(phone::ticket(&bin, &c.block.home, &before).unwrap().is_some());

    // The phone is lost: the block revokes it (with the relay stopped: the store is its).
    assert_eq!(block.stop(), Some(0));
    bin.run(&["revoke", "--home", &block_home, "--subject", &a.key, "--reason", "फ़ोन खो गया"]).unwrap();
    let block = chain::start_relay(&bin, &c.block, None, &options.clone().with_http().unwrap()).unwrap();

    // Whoever has the phone raises a ticket; B, who has not heard of the revocation, carries it
    // to the relay, which verifies it and does not keep it.
    let after = phone::raise(&bin, &a, "other", "revoked phone's ticket").unwrap();
    let b_run = chain::start_phone(&bin, &b).unwrap();
    phone::sync(&bin, &a, &b_run.tcp().unwrap()).unwrap();
    assert!(phone::ticket(&bin, &b.home, &after).unwrap().is_some(), "B carries it");
    let carried = phone::sync(&bin, &b, &block.tcp().unwrap()).unwrap();
    assert!(phone::ticket(&bin, &c.block.home, &after).unwrap().is_none(), "B's contact: {carried}");

    // The phone itself meets the relay: the contact is refused.
    let report = refused_contact(&bin, &a, &block);
    assert!(phone::ticket(&bin, &c.block.home, &after).unwrap().is_none());

    // Work done before the revocation stays; of the revoked phone's new ticket the relay holds
    // nothing that can be shown (at most what others signed about it, waiting for a first event
    // that will never be accepted).
    assert!(phone::ticket(&bin, &c.block.home, &before).unwrap().is_some());
    let list = held();
    let shown: Vec<&Value> = list.as_array().unwrap().iter().filter(|t| t["status"] != "incomplete").collect();
    assert_eq!(shown.len(), 1, "{list}");
    assert_eq!(shown[0]["id"], before.as_str());
    println!("B carried the revoked phone's ticket: {carried}\nthe revoked phone's own contact: {report}");

    // The helpdesk sees both refusals, who and why; the refused contact is not the centre's
    // last contact.
    let operator = c.block.operator.as_ref().unwrap();
    let desk = Helpdesk::login(block.http.unwrap(), &operator.user, &operator.password).unwrap();
    let refusals = desk.get("/api/refusals").unwrap();
    let row = |key: &str| {
        refusals["refusals"].as_array().unwrap().iter().find(|r| r["peer"] == key).cloned().unwrap_or_else(|| {
            panic!("no refusal of {key}: {refusals}");
        })
    };
    let of_a = row(&a.key);
    assert_eq!((of_a["outcome"].as_str(), of_a["role"].as_str()), (Some("refused"), Some("sevika")), "{of_a}");
    assert_eq!(of_a["scope"], a.awc.as_str());
    assert!(of_a["reason"].as_str().unwrap().contains("no valid certificate"), "{of_a}");
    let of_b = row(&b.key);
    assert!(of_b["changes_refused"].as_u64().unwrap() >= 1, "{of_b}");
    assert!(of_b["refusals"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("revoked")), "{of_b}");
    let centres = desk.get("/api/centres").unwrap();
    let centre = centres["centres"].as_array().unwrap().iter().find(|c| c["awc"] == a.awc.as_str()).unwrap().clone();
    assert!(
        centre["last_contact"].as_i64().is_some_and(|t| t < of_a["at"].as_i64().unwrap()),
        "the refused contact is not the centre's last: {centre}"
    );
}

#[test]
fn a_revocation_dated_back_leaves_what_a_relay_receipted_intact_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let bin = bin();
    let (c, a, _b) = provision(dir.path(), false);
    let mate = chain::phone(&bin, dir.path(), &c.block, "phone-m", "Meena", "BR/DBG/P07/S03/A0413").unwrap();
    let early = chain::phone(&bin, dir.path(), &c.block, "phone-r", "Rina", "BR/DBG/P07/S03/A0414").unwrap();
    let options = RelayOptions::default();
    let block_home = c.block.home.to_str().unwrap().to_string();

    // A's ticket reaches the block relay, which receipts it. (The moment before it is raised,
    // after the chain's certificates began, is when the revocation will be dated from.)
    std::thread::sleep(Duration::from_millis(1100));
    let before = sampark_node::ops::wall_clock().0 + 5 * 3_600_000 + 30 * 60_000;
    std::thread::sleep(Duration::from_millis(1100));
    let id = phone::raise(&bin, &a, "sync", "रिले तक पहुँचा टिकट").unwrap();
    let mut block = chain::start_relay(&bin, &c.block, None, &options).unwrap();
    phone::sync(&bin, &a, &block.tcp().unwrap()).unwrap();
    let status = bin.json(&["phone", "status", "--home", a.home.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(status["waiting_upward"], 0, "the relay's receipt came back: {status}");
    // Another sector-mate takes it from the relay before anything happens (with no receipt).
    phone::sync(&bin, &early, &block.tcp().unwrap()).unwrap();
    assert!(phone::ticket(&bin, &early.home, &id).unwrap().is_some());

    // Later the phone is reported lost, and the block revokes it from before the ticket was
    // raised (`--from` is IST, to the second).
    assert_eq!(block.stop(), Some(0));
    let day = sampark_crdt::due::Day::of_millis_ist(before - 5 * 3_600_000 - 30 * 60_000);
    let (y, m, d) = day.civil();
    let secs = before.rem_euclid(86_400_000) / 1000;
    let from = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let revoked = bin
        .json(&[
            "revoke",
            "--home",
            &block_home,
            "--subject",
            &a.key,
            "--reason",
            "फ़ोन खो गया",
            "--from",
            &from,
            "--json",
        ])
        .unwrap();
    let raised_at = phone::ticket(&bin, &a.home, &id).unwrap().unwrap()["raised_at"].as_i64().unwrap();
    assert!(revoked["from"].as_i64().unwrap() < raised_at, "dated back before the ticket: {revoked}");

    // The ticket stands at the block; the district, which learns of the revocation from the block
    // before it is sent the ticket, takes it; a sector-mate who never had it takes it too.
    let (_state, district, block) = start_relays(&c, false, &options);
    let open = |t: &Value| t["status"] == "open";
    let at_block = phone::ticket(&bin, &c.block.home, &id).unwrap().expect("the block still shows the ticket");
    assert!(open(&at_block), "{at_block}");
    let at_district = ticket_when(&c.district.home, &id, "the ticket at the district", open);
    assert_eq!(at_district["raised_by"], a.key.as_str());
    let mate_run = phone::sync(&bin, &mate, &block.tcp().unwrap()).unwrap();
    let at_mate =
        phone::ticket(&bin, &mate.home, &id).unwrap().unwrap_or_else(|| panic!("the mate took it: {mate_run}"));
    assert!(open(&at_mate), "{at_mate}");
    // The mate who had it before the revocation learns of the revocation and keeps it.
    phone::sync(&bin, &early, &block.tcp().unwrap()).unwrap();
    let status = bin.json(&["phone", "status", "--home", early.home.to_str().unwrap(), "--json"]).unwrap();
    let at_early = phone::ticket(&bin, &early.home, &id).unwrap().expect("the early mate keeps it");
    assert!(open(&at_early), "{at_early} {status}");

    // What the revoked phone signs now is still refused.
    let after = phone::raise(&bin, &a, "other", "after the revocation").unwrap();
    refused_contact(&bin, &a, &block);
    assert!(phone::ticket(&bin, &c.block.home, &after).unwrap().is_none());
    drop(district);
}
