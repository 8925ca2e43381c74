//! Real `sampark-node` processes syncing over real sockets on 127.0.0.1: a sevika's phone and a
//! block relay over TCP and over QUIC (`run` on the relay, `sync --peer` from the phone), and the
//! mule chain: phone A raises a ticket, meets phone B of another centre of the block, B meets the
//! relay, and the relay has the ticket, verified, though A and the relay never met.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod process;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use process::{Block, Daemon, on, on_in};
use sampark_node::home::Home;
use serde_json::{Value, json};

const AWC_A: &str = "BR/DBG/P07/S03/A0412";
const AWC_B: &str = "BR/DBG/P07/S05/A0500";

/// A daemon on this host listening on TCP and QUIC on loopback, found by address only.
fn daemon(home: &Path) -> Daemon {
    Daemon::start(home, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/udp/0/quic-v1"])
}

fn sync(home: &Path, peer: &str) -> Value {
    on(home, &["sync", "--peer", peer, "--json"]).ok().json()
}

fn raise(home: &Path, text: &str) -> String {
    on(home, &["ticket", "raise", "--category", "sync", "--text", text, "--json"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn phone_and_relay(transport: &str) {
    let mut block = Block::new();
    let (phone, phone_key) = block.phone("phone", AWC_A);
    let id = raise(&phone, "रजिस्टर नहीं खुल रहा");
    let entry = json!({"child": "0a1b2c3d-1767225600000-0", "date": "2026-11-03", "weight_kg": 9.4, "oedema": false});
    on(&phone, &["record", "--register", "growth", "--entry", &entry.to_string()]).ok();
    let relay = daemon(&block.home("relay"));

    let started = Instant::now();
    let report = sync(&phone, &relay.addr(transport));
    let took = started.elapsed();
    assert_eq!(report["outcome"], "complete", "{report}");
    assert_eq!((report["changes_sent"].as_u64(), report["changes_received"].as_u64()), (Some(2), Some(0)));
    assert_eq!(report["peer"], block.relay.public().to_hex());
    println!(
        "{transport}: {} bytes sent, {} received, {} round trips, {} ms in the contact, {} ms with process start",
        report["bytes_sent"],
        report["bytes_received"],
        report["rounds"],
        report["millis"],
        took.as_millis()
    );

    // The relay (through its daemon's API) has the ticket, raised by the phone, verified.
    let relay_home = block.home("relay");
    let shown = on(&relay_home, &["ticket", "show", &id, "--json"]).ok().json();
    assert_eq!(
        (shown["status"].as_str(), shown["raised_by"].as_str()),
        (Some("open"), Some(phone_key.to_hex().as_str()))
    );
    assert_eq!(shown["timeline"][0]["capacity"], "sevika");
    let text = on(&relay_home, &["ticket", "show", &id[..8], "--lang", "en"]).ok().stdout;
    assert!(text.contains("रजिस्टर नहीं खुल रहा") && text.contains("[open]"), "{text}");
    let status = on(&relay_home, &["status", "--json"]).ok().json();
    assert_eq!((status["documents"].as_u64(), status["changes"].as_u64()), (Some(2), Some(2)));
    assert_eq!(status["peers"][0]["peer"], phone_key.to_hex());

    // The phone remembers the contact; a second contact moves nothing.
    let status = on(&phone, &["status", "--json"]).ok().json();
    assert_eq!(status["peers"][0]["peer"], block.relay.public().to_hex());
    assert_eq!(status["peers"][0]["outcome"], "complete");
    let again = sync(&phone, &relay.addr(transport));
    assert_eq!((again["changes_sent"].as_u64(), again["changes_received"].as_u64()), (Some(0), Some(0)));
}

#[test]
fn a_phone_syncs_with_the_relay_over_tcp() {
    phone_and_relay("tcp");
}

#[test]
fn a_phone_syncs_with_the_relay_over_quic() {
    phone_and_relay("quic-v1");
}

#[test]
fn a_ticket_travels_phone_to_phone_to_relay() {
    let mut block = Block::new();
    let (phone_a, key_a) = block.phone("phone-a", AWC_A);
    let (phone_b, key_b) = block.phone("phone-b", AWC_B);
    let id = raise(&phone_a, "ऐप में लॉगिन नहीं हो रहा");

    // A meets B (B's daemon runs): B takes A's ticket to carry it.
    let b = daemon(&phone_b);
    let met = sync(&phone_a, &b.addr("tcp"));
    assert_eq!((met["outcome"].as_str(), met["changes_sent"].as_u64()), (Some("complete"), Some(1)));
    let carried = on(&phone_b, &["status", "--json"]).ok().json();
    assert_eq!(carried["carrying"]["documents"], 1, "{carried}");
    let list = on(&phone_b, &["ticket", "list", "--json"]).ok().json();
    assert_eq!((list[0]["id"].as_str(), list[0]["carried"].as_bool()), (Some(id.as_str()), Some(true)));

    // B meets the relay (through B's daemon).
    let relay_home = block.home("relay");
    let relay = daemon(&relay_home);
    let up = sync(&phone_b, &relay.addr("quic-v1"));
    // A's raise, and B's own signed note that it carried the ticket.
    assert_eq!((up["outcome"].as_str(), up["changes_sent"].as_u64()), (Some("complete"), Some(2)), "{up}");

    // The relay has A's ticket, verified against A's certificate, which B carried too.
    let shown = on(&relay_home, &["ticket", "show", &id, "--json"]).ok().json();
    assert_eq!(shown["raised_by"], key_a.to_hex());
    assert_eq!(shown["scope"], AWC_A);
    assert_eq!(shown["timeline"][0]["capacity"], "sevika", "the raise counts: A's chain is known");
    assert_eq!(shown["carried"], false, "the relay keeps its block's tickets");
    assert_eq!(shown["carried_by"][0]["phone"], key_b.to_hex(), "the path shows the phone that carried it");
    assert_eq!(shown["timeline"][1]["action"], "carried");
    let text = on(&relay_home, &["ticket", "show", &id, "--lang", "en"]).ok().stdout;
    assert!(text.contains("carried by phones") && text.contains(&key_b.to_hex()[..8]), "{text}");
    let peers: Vec<String> = on(&relay_home, &["status", "--json"]).ok().json()["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["peer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(peers, vec![key_b.to_hex()], "A and the relay never met");

    // The relay signed a receipt; B dropped its carried copy and keeps the receipt.
    let carried = on(&phone_b, &["status", "--json"]).ok().json();
    assert_eq!(carried["carrying"]["documents"], 0, "{carried}");
    // The receipt reaches A through B: A's ticket shows where it arrived.
    drop(b);
    let b = daemon(&phone_b);
    sync(&phone_a, &b.addr("tcp"));
    let shown = on(&phone_a, &["ticket", "show", &id, "--json"]).ok().json();
    let hops = shown["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 1, "{shown}");
    assert_eq!(hops[0]["relay"], block.relay.public().to_hex());
    assert_eq!(hops[0]["complete"], true, "the receipt names A's events though B added its own: {shown}");
    assert_eq!(on(&phone_a, &["status", "--json"]).ok().json()["waiting_upward"], 0);
}

#[test]
fn an_unreachable_peer_exits_with_4() {
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC_A);
    let out = on(&phone, &["sync", "--peer", "/ip4/127.0.0.1/tcp/9"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("could not reach /ip4/127.0.0.1/tcp/9"), "{}", out.stderr);
}

#[test]
fn a_phone_and_the_relay_on_the_same_wifi_find_each_other_by_mdns() {
    if let Err(why) = sampark_tests::netns::available() {
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    // Two hosts on one bridge: the village Wi-Fi. Nobody is told the other's address.
    let lan = sampark_tests::netns::Lan::new("mdns", 2, 2).unwrap();
    let (phone_host, relay_host) = (&lan.hosts()[0], &lan.hosts()[1]);
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC_A);
    let id = raise(&phone, "रजिस्टर सिंक नहीं हो रहा");
    let relay_home = block.home("relay");
    let _phone = Daemon::start_in(phone_host, &phone, &["--listen", &format!("/ip4/{}/tcp/0", phone_host.ip)]);
    let _relay = Daemon::start_in(relay_host, &relay_home, &["--listen", &format!("/ip4/{}/tcp/0", relay_host.ip)]);
    let started = Instant::now();
    loop {
        let shown = on_in(relay_host, &relay_home, &["ticket", "show", &id, "--json"]);
        if shown.code == 0 {
            assert_eq!(shown.json()["scope"], AWC_A);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "the relay never got the ticket: {}\n{}",
            shown.stderr,
            fs::read_to_string(relay_home.with_extension("log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    println!("found by mDNS and synced in {:.2} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_damaged_record_is_repaired_from_the_relay_at_the_next_contact() {
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC_A);
    for (i, child) in ["0a0b0c0d-1-0", "0a0b0c0d-2-0", "0a0b0c0d-3-0"].iter().enumerate() {
        let entry = json!({"register": "growth", "child": child, "date": "2026-11-03",
            "weight_kg": 8.0 + i as f64, "oedema": false});
        on(&phone, &["record", "--entry", &entry.to_string(), "--json"]).ok();
    }
    let relay_home = block.home("relay");
    {
        let relay = daemon(&relay_home);
        sync(&phone, &relay.addr("tcp"));
    }
    // The phone's storage damages one change record (a flipped bit on the flash).
    {
        let store = sampark_node::store::Store::open(&Home::new(&phone).store_dir()).unwrap();
        let tree = store.raw_tree();
        let (key, value) = tree.iter().filter_map(Result::ok).find(|(k, _)| k.starts_with(b"c\0")).unwrap();
        let mut bad = value.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 0x10;
        tree.insert(key, bad).unwrap();
        tree.flush().unwrap();
    }
    // The node notices, drops the damaged record and, at the next contact, fetches it again.
    let before = on(&phone, &["status", "--json"]).ok().json();
    let relay = daemon(&relay_home);
    let report = sync(&phone, &relay.addr("tcp"));
    assert_eq!(report["outcome"], "complete", "{report}");
    // The damaged change came back, and whatever depended on it with it (which changes those
    // are depends on which record was hit).
    let received = report["changes_received"].as_u64().unwrap();
    assert!((1..=3).contains(&received), "{report} (before: {before})");
    let after = on(&phone, &["status", "--json"]).ok().json();
    assert_eq!(after["changes"], 3, "all three entries are whole again: {after}");
    drop(relay);
    let store = sampark_node::store::Store::open(&Home::new(&phone).store_dir()).unwrap();
    let check = store.check().unwrap();
    assert!(check.damaged.is_empty());
}

/// A phone folds what the relay's receipts cover into snapshots and gives the disk space back;
/// what is not yet receipted stays signed; a replaced phone still restores everything from the
/// relay; and the compacted phone keeps working and syncing.
#[test]
fn a_phone_compacts_what_the_relay_has_receipted() {
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC_A);
    for i in 0..20 {
        let entry = json!({"register": "growth", "child": format!("0a0b0c0d-{i}-0"), "date": "2026-11-03",
            "weight_kg": 8.0 + f64::from(i) / 10.0, "oedema": false});
        on(&phone, &["record", "--entry", &entry.to_string(), "--json"]).ok();
    }
    let id = raise(&phone, "वजन मशीन खराब है");
    let relay_home = block.home("relay");
    let relay = daemon(&relay_home);
    sync(&phone, &relay.addr("tcp"));
    // The receipts come back in the contact after the one that delivered.
    sync(&phone, &relay.addr("tcp"));

    let before = on(&phone, &["status", "--json"]).ok().json();
    let one_more = json!({"register": "growth", "child": "0a0b0c0d-99-0", "date": "2026-11-04",
        "weight_kg": 7.5, "oedema": false});
    on(&phone, &["record", "--entry", &one_more.to_string(), "--json"]).ok();
    let compacted = on(&phone, &["compact", "--json"]).ok().json();
    assert_eq!(compacted["changes_folded"], 21, "20 entries and the ticket were receipted: {compacted}");
    assert_eq!(compacted["changes_kept"], 1, "the newest entry is not receipted yet: {compacted}");
    assert!(compacted["bytes_after"].as_u64() < compacted["bytes_before"].as_u64(), "{compacted}");
    let text = on(&phone, &["compact", "--lang", "en"]).ok().stdout;
    assert!(text.contains("store compacted"), "{text}");

    // Everything is still there, and the phone works and syncs on.
    let after = on(&phone, &["status", "--json"]).ok().json();
    assert_eq!(after["changes"], before["changes"].as_u64().unwrap() + 1, "{after}");
    assert_eq!(on(&phone, &["ticket", "show", &id, "--json"]).ok().json()["text"], "वजन मशीन खराब है");
    let report = sync(&phone, &relay.addr("tcp"));
    assert_eq!((report["outcome"].as_str(), report["changes_sent"].as_u64()), (Some("complete"), Some(1)));

    // A replaced phone of the same centre restores every change, signed, from the relay.
    let (replacement, _) = block.phone("replacement", AWC_A);
    let restored = sync(&replacement, &relay.addr("tcp"));
    assert_eq!(restored["changes_received"], 22, "{restored}");
    assert_eq!(on(&replacement, &["status", "--json"]).ok().json()["changes"], after["changes"]);
}

/// The due list on two phones of one centre: a child registered on one appears on the other
/// after they meet; a dose recorded on the second leaves the list of the first after they meet
/// again.
#[test]
fn a_dose_recorded_on_one_phone_leaves_the_due_list_of_the_other() {
    let mut block = Block::new();
    let (first, _) = block.phone("first", AWC_A);
    let (second, _) = block.phone("second", AWC_A);
    let household = json!({"register": "household", "number": "12", "head_name": "Rameshwar Yadav", "caste": "obc",
        "religion": "hindu", "minority": false, "bpl": true});
    let household_id = on(&first, &["record", "--entry", &household.to_string(), "--json"]).ok().json()["entry_id"]
        .as_str()
        .unwrap()
        .to_string();
    let child = json!({"register": "member", "household": household_id, "name": "Anjali", "dob": "2026-11-20",
        "sex": "female", "relation": "daughter", "migration": "resident", "sms_opt_out": false});
    on(&first, &["record", "--entry", &child.to_string(), "--json"]).ok();
    let due = |home: &Path| on(home, &["due", "--date", "2026-11-26", "--json"]).ok().json();
    let services = |list: &Value| -> Vec<String> {
        list["households"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["service"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(services(&due(&first)).contains(&"BCG".to_string()));
    assert!(due(&second)["households"].as_array().unwrap().is_empty());

    let met = |a: &Path, b: &Path| {
        let d = daemon(a);
        assert_eq!(sync(b, &d.addr("tcp"))["outcome"], "complete");
    };
    met(&first, &second);
    let on_second = due(&second);
    assert_eq!(on_second["households"][0]["number"], "12");
    let bcg = on_second["households"][0]["items"].as_array().unwrap().iter().find(|i| i["service"] == "BCG").unwrap();
    // The item carries the entry that closes it: record it as it is.
    on(&second, &["record", "--entry", &bcg["closes"].to_string(), "--json"]).ok();
    assert!(!services(&due(&second)).contains(&"BCG".to_string()));
    assert!(services(&due(&first)).contains(&"BCG".to_string()), "not met yet");
    met(&second, &first);
    assert!(!services(&due(&first)).contains(&"BCG".to_string()));
    // In Hindi by default, by household.
    let text = on(&first, &["due", "--date", "2026-11-26"]).ok().stdout;
    assert!(text.contains("घर 12 — Rameshwar Yadav") && text.contains("Anjali: ओपीवी-0"), "{text}");
}

/// Two phones of one centre correct the same household at once, offline, then each meets the
/// block relay: both show the same head of household, and both say, in words, that two phones
/// wrote it differently, what was kept and what else was written; a correction settles it.
#[test]
fn two_phones_edit_one_household_and_both_show_what_was_kept() {
    let mut block = Block::new();
    let (first, _) = block.phone("first", AWC_A);
    let (second, _) = block.phone("second", AWC_A);
    let relay = daemon(&block.home("relay"));
    let entry = json!({"register": "household", "number": "12", "head_name": "Rameshwar Yadav", "caste": "obc",
        "religion": "hindu", "minority": false, "bpl": true});
    let id = on(&first, &["record", "--entry", &entry.to_string(), "--json"]).ok().json()["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let meet = |home: &Path| assert_eq!(sync(home, &relay.addr("tcp"))["outcome"], "complete");
    meet(&first);
    meet(&second);
    on(&first, &["correct", &id, "--set", "head_name=Rameshwar Prasad Yadav"]).ok();
    on(&second, &["correct", &id, "--set", "head_name=Rameshwar Yadav (Mukhiya)"]).ok();
    meet(&first);
    meet(&second);
    meet(&first);

    let read = |home: &Path| on(home, &["entries", "--about", &id, "--json"]).ok().json()[0].clone();
    let (a, b) = (read(&first), read(&second));
    assert_eq!(a, b, "both phones show the same");
    let conflict = &a["conflicts"][0];
    assert_eq!(conflict["field"], "head_name", "{a}");
    assert_eq!(a["fields"]["head_name"], conflict["kept"]);
    let mut written = vec![conflict["kept"].as_str().unwrap(), conflict["also_written"][0].as_str().unwrap()];
    written.sort_unstable();
    assert_eq!(written, ["Rameshwar Prasad Yadav", "Rameshwar Yadav (Mukhiya)"]);
    let text = on(&second, &["entries", "--about", &id]).ok().stdout;
    assert!(text.contains("दो फ़ोनों ने एक साथ अलग लिखा — head_name: रखा गया"), "{text}");

    // The sevika settles it; the other phone learns it at its next contact.
    on(&second, &["correct", &id, "--set", "head_name=Rameshwar Prasad Yadav"]).ok();
    meet(&second);
    meet(&first);
    let settled = read(&first);
    assert_eq!(settled["fields"]["head_name"], "Rameshwar Prasad Yadav");
    assert!(settled.get("conflicts").is_none(), "{settled}");
}
