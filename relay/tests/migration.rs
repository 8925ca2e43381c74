//! A child moves between centres with her history: recorded at A0412 (born, birth doses, a
//! weighing), she leaves for A0519; the block relay serves her history (`GET
//! /api/history/{member}`) and the new centre's phone imports it with the real `import-history`
//! command: at A0519 her next doses are due and the ones she had are not; at A0412 she is off the
//! list after the day she left; importing her twice is refused; a file that is not a history is
//! refused in words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{AWC, BIN, Chain, Relay, add_operator};
use sampark_crdt::due::Day;
use sampark_node::ops::wall_clock;
use serde_json::{Value, json};

const NEW_AWC: &str = "BR/DBG/P07/S04/A0519";

fn phone(chain: &Chain, name: &str, args: &[&str]) -> (bool, Value, String) {
    let home = chain.path(name);
    let mut all = vec!["phone"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--home", home.to_str().unwrap(), "--json"]);
    let out = std::process::Command::new(BIN).args(&all).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn services(due: &Value) -> Vec<String> {
    due["households"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["items"].as_array().unwrap().iter().map(|i| i["service"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_child_moves_to_another_centre_with_her_history() {
    let chain = Chain::new();
    chain.enrol_phone("phone2", NEW_AWC);
    // Born 60 days ago, she left at 20 days; her six-week doses are due now.
    let today = Day::of_millis_ist(wall_clock().0);
    let day = |n: i64| today.plus_days(n).to_string();
    let ids = chain.record_at_block(
        "phone",
        &[
            json!({"register": "household", "number": "4", "head_name": "Mohan Ram", "caste": "sc",
                   "religion": "hindu", "minority": false, "bpl": true}),
            json!({"register": "member", "household": "#0", "name": "Rani", "dob": day(-60), "sex": "female",
                   "relation": "daughter", "migration": "resident", "sms_opt_out": false}),
            json!({"register": "immunisation", "beneficiary": "#1", "vaccine": "BCG", "date": day(-59)}),
            json!({"register": "immunisation", "beneficiary": "#1", "vaccine": "OPV-0", "date": day(-59)}),
            json!({"register": "immunisation", "beneficiary": "#1", "vaccine": "HEPB-0", "date": day(-60)}),
            json!({"register": "growth", "child": "#1", "date": day(-45), "weight_kg": 4.1, "oedema": false}),
            json!({"register": "migration", "member": "#1", "date": day(-40), "event": "left-permanently",
                   "place": NEW_AWC}),
        ],
    );
    let rani = ids[1].clone();
    let (ok, old, err) = phone(&chain, "phone", &["due"]);
    assert!(ok, "{err}");
    assert!(services(&old).is_empty(), "gone from A0412 after she left: {old}");

    let block = chain.path("block");
    add_operator(&block, "asha", "history-pass-p07");
    let relay = Relay::start(&block, &[]);
    let mut client = relay.client();
    assert_eq!(client.login("asha", "history-pass-p07").status, 200);
    let (status, history) = client.get(&format!("/api/history/{rani}"));
    assert_eq!(status, 200, "{history}");
    assert_eq!((history["format"].as_str(), history["from"].as_str()), (Some("sampark-history/1"), Some(AWC)));
    let registers: Vec<&str> =
        history["entries"].as_array().unwrap().iter().map(|e| e["entry"]["register"].as_str().unwrap()).collect();
    assert_eq!(registers, ["member", "immunisation", "immunisation", "immunisation", "growth"], "{history}");
    assert_eq!(client.get("/api/history/0a1b2c3d-1767225600000-9").0, 404);
    assert_eq!(client.get("/api/history/not-an-id").0, 400);
    relay.stop();

    // At the new centre: her household there, then her history.
    let (ok, hh, err) = phone(
        &chain,
        "phone2",
        &[
            "record",
            "--entry",
            r#"{"register": "household", "number": "9", "head_name": "Mohan Ram", "caste": "sc", "religion": "hindu", "minority": false, "bpl": true}"#,
        ],
    );
    assert!(ok, "{err}");
    let household = hh["entry_id"].as_str().unwrap();
    let file = chain.dir.path().join("rani.history.json");
    std::fs::write(&file, history.to_string()).unwrap();
    let (ok, imported, err) =
        phone(&chain, "phone2", &["import-history", "--file", file.to_str().unwrap(), "--household", household]);
    assert!(ok, "{err}");
    assert_eq!((imported["entries"].as_u64(), imported["from"].as_str()), (Some(6), Some(AWC)), "{imported}");
    let (_, due, _) = phone(&chain, "phone2", &["due"]);
    let due = services(&due);
    assert!(due.contains(&"PENTA-1".to_owned()) && due.contains(&"OPV-1".to_owned()), "{due:?}");
    assert!(!due.iter().any(|s| s == "BCG" || s == "OPV-0"), "what she had does not come back: {due:?}");

    // Twice: refused; not a history: refused in words.
    let (ok, _, err) =
        phone(&chain, "phone2", &["import-history", "--file", file.to_str().unwrap(), "--household", household]);
    assert!(!ok && err.contains("imported here before"), "{err}");
    std::fs::write(&file, r#"{"format": "something-else"}"#).unwrap();
    let (ok, _, err) =
        phone(&chain, "phone2", &["import-history", "--file", file.to_str().unwrap(), "--household", household]);
    assert!(!ok && err.contains("not a history file"), "{err}");
}
