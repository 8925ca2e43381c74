//! Provisioning a whole chain with the real `sampark-relay` binary: the state hub makes the
//! root, certifies a district relay, which certifies a block relay, which certifies a sevika's
//! phone; refusals for requests outside the hierarchy; revoking a lost phone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;
use std::process::Command;

use sampark_node::home::Home;
use sampark_node::ops::EnrolFile;
use sampark_node::ops::enrol::enroll_home;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sampark-relay");

fn relay(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(BIN).args(args).env_remove("RUST_LOG").output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ok(args: &[&str]) -> Value {
    let (code, json, err) = relay(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    json
}

fn refused(args: &[&str], says: &str) {
    let (code, _, err) = relay(args);
    assert_eq!(code, 1, "{args:?} should fail");
    assert!(err.contains(says), "{args:?}: {err:?} does not say {says:?}");
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_state_provisions_its_chain_down_to_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let (state, district, block) = (dir.path().join("state"), dir.path().join("district"), dir.path().join("block"));
    let root = ok(&["init", "--home", p(&state), "--tier", "state", "--scope", "BR", "--json"]);
    assert_eq!(root["enrolled"]["role"], "state-hub");

    let d = ok(&["init", "--home", p(&district), "--tier", "district", "--scope", "BR/DBG", "--json"]);
    let d_file = dir.path().join("district.json");
    let d_key = d["key"].as_str().unwrap();
    ok(&[
        "certify",
        "--home",
        p(&state),
        "--subject",
        d_key,
        "--role",
        "district-relay",
        "--scope",
        "BR/DBG",
        "--out",
        p(&d_file),
        "--json",
    ]);
    let enrolled = ok(&["enroll", "--home", p(&district), "--cert", p(&d_file), "--json"]);
    assert_eq!((enrolled["role"].as_str(), enrolled["chain"].as_u64()), (Some("district-relay"), Some(2)));

    let b = ok(&["init", "--home", p(&block), "--tier", "block", "--scope", "BR/DBG/P07", "--json"]);
    let b_file = dir.path().join("block.json");
    let b_key = b["key"].as_str().unwrap();
    ok(&[
        "certify",
        "--home",
        p(&district),
        "--subject",
        b_key,
        "--role",
        "block-relay",
        "--scope",
        "BR/DBG/P07",
        "--out",
        p(&b_file),
    ]);
    ok(&["enroll", "--home", p(&block), "--cert", p(&b_file)]);

    // A sevika's phone: its key is made by `sampark-node init`; the block certifies it.
    let phone = Home::new(dir.path().join("phone"));
    let phone_key = phone.init().unwrap().to_hex();
    let p_file = dir.path().join("phone.json");
    let awc = "BR/DBG/P07/S03/A0412";
    ok(&[
        "certify",
        "--home",
        p(&block),
        "--subject",
        &phone_key,
        "--role",
        "sevika",
        "--scope",
        awc,
        "--out",
        p(&p_file),
    ]);
    let enrolled = enroll_home(&phone, &EnrolFile::read(&p_file).unwrap(), sampark_node::ops::wall_clock()).unwrap();
    assert_eq!((enrolled.role.as_str(), enrolled.scope.as_str(), enrolled.chain), ("sevika", awc, 4));

    // Outside the hierarchy: refused, in plain words, before anything is signed.
    let other = Home::new(dir.path().join("other"));
    let other_key = other.init().unwrap().to_hex();
    let out = dir.path().join("x.json");
    refused(
        &[
            "certify",
            "--home",
            p(&block),
            "--subject",
            &other_key,
            "--role",
            "district-relay",
            "--scope",
            "BR/DBG",
            "--out",
            p(&out),
        ],
        "may not certify",
    );
    refused(
        &[
            "certify",
            "--home",
            p(&block),
            "--subject",
            &other_key,
            "--role",
            "sevika",
            "--scope",
            "BR/DBG/P08/S01/A0001",
            "--out",
            p(&out),
        ],
        "outside this relay's scope",
    );
    refused(
        &[
            "certify",
            "--home",
            p(&block),
            "--subject",
            &other_key,
            "--role",
            "sevika",
            "--scope",
            "BR/DBG/P07/S03",
            "--out",
            p(&out),
        ],
        "at its own level",
    );
    refused(
        &["init", "--home", p(&dir.path().join("bad")), "--tier", "block", "--scope", "BR/DBG"],
        "serves a block scope",
    );
    refused(&["revoke", "--home", p(&block), "--subject", &other_key, "--reason", "x"], "no certificate");
    assert!(!out.exists());

    // A lost phone: the block revokes it; the revocation is kept to spread at the next contacts.
    let r = ok(&["revoke", "--home", p(&block), "--subject", &phone_key, "--reason", "फ़ोन खो गया", "--json"]);
    assert_eq!(r["subject"], phone_key);
    let store = Home::new(&block).open_store().unwrap();
    assert_eq!(store.revocations().unwrap().value.len(), 1);
}

/// `init`s a relay or phone home under `dir` and returns its key.
fn init(dir: &Path, name: &str, tier: &str, scope: &str) -> String {
    let home = dir.join(name);
    ok(&["init", "--home", p(&home), "--tier", tier, "--scope", scope, "--json"])["key"].as_str().unwrap().to_owned()
}

/// `issuer` certifies `key` as `role` over `scope` (with `extra` flags) and `name` enrols with it.
fn certify(dir: &Path, issuer: &str, name: &str, key: &str, role: &str, scope: &str, extra: &[&str]) {
    let file = dir.join(format!("{name}.json"));
    let issuer = dir.join(issuer);
    let mut args = vec!["certify", "--home", p(&issuer), "--subject", key, "--role", role, "--scope", scope];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", p(&file)]);
    ok(&args);
    let home = dir.join(name);
    if role == "sevika" {
        ok(&["phone", "enroll", "--home", p(&home), "--cert", p(&file), "--json"]);
    } else {
        ok(&["enroll", "--home", p(&home), "--cert", p(&file)]);
    }
}

/// Source S4, S21 of the schedule: JE-1 at 9 months where the district gives JE. The state says
/// so once, when it certifies the district relay; every phone of that district lists JE from its
/// chain, and a phone of a district without JE does not.
#[test]
fn the_state_certifies_which_districts_give_je_and_their_phones_list_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&["init", "--home", p(&d.join("state")), "--tier", "state", "--scope", "BR", "--json"]);
    let phones = [("BR/DBG", true), ("BR/PAT", false)].map(|(district, je)| {
        let code = district.replace('/', "-");
        let key = init(d, &code, "district", district);
        let flags: &[&str] = if je { &["--je-vaccine"] } else { &[] };
        certify(d, "state", &code, &key, "district-relay", district, flags);
        let block = format!("{district}/P01");
        let key = init(d, &format!("{code}-block"), "block", &block);
        certify(d, &code, &format!("{code}-block"), &key, "block-relay", &block, &[]);
        let phone = d.join(format!("{code}-phone"));
        let key = ok(&["phone", "init", "--home", p(&phone), "--json"])["key"].as_str().unwrap().to_owned();
        let awc = format!("{block}/S01/A0001");
        certify(d, &format!("{code}-block"), &format!("{code}-phone"), &key, "sevika", &awc, &[]);
        phone
    });
    // Only a district relay's certificate says what the district gives.
    let key = ok(&["phone", "init", "--home", p(&d.join("x")), "--json"])["key"].as_str().unwrap().to_owned();
    refused(
        &[
            "certify",
            "--home",
            p(&d.join("BR-DBG-block")),
            "--subject",
            &key,
            "--role",
            "sevika",
            "--scope",
            "BR/DBG/P01/S01/A0002",
            "--je-vaccine",
            "--out",
            p(&d.join("x.json")),
        ],
        "certified on its district relay",
    );

    let mut listed = Vec::new();
    for phone in &phones {
        let record = |entry: Value| -> String {
            let entry = entry.to_string();
            let out = ok(&["phone", "record", "--home", p(phone), "--entry", &entry, "--json"]);
            out["entry_id"].as_str().unwrap().to_owned()
        };
        let household = record(serde_json::json!({"register": "household", "number": "1", "head_name": "Sita Devi",
            "caste": "sc", "religion": "hindu", "minority": false, "bpl": true}));
        record(serde_json::json!({"register": "member", "household": household, "name": "Rani", "dob": "2026-01-05",
            "sex": "female", "relation": "daughter", "migration": "resident", "sms_opt_out": false}));
        let due = ok(&["phone", "due", "--home", p(phone), "--date", "2026-10-05", "--json"]);
        let services: Vec<String> = due["households"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["service"].as_str().unwrap().to_owned())
            .collect();
        assert!(services.contains(&"MR-1".to_owned()), "{services:?}");
        listed.push((due["je_vaccine"].as_bool(), services.contains(&"JE-1".to_owned())));
    }
    assert_eq!(listed, [(Some(true), true), (Some(false), false)]);
    // The human list says it too.
    let out =
        Command::new(BIN).args(["phone", "due", "--home", p(&phones[0]), "--date", "2026-10-05"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("जापानी इंसेफेलाइटिस (JE) का टीका दिया जाता है") && text.contains("05-10-2026"), "{text}");
}
