//! A centre's monthly progress report, end to end: the registers are recorded on a real phone's
//! store (each batch by a phone whose clock says when) and carried to the block's; the phone
//! prints the report with the real `sampark-node mpr` command, in Hindi and as JSON, and the
//! block relay serves the same report at `GET /api/mpr`.
//!
//! Centre A0412, March 2026 (26 working days), worked by hand:
//!
//! | who | in March |
//! |---|---|
//! | Asha, girl, born 2024-01-10 (26 months) | registered 2 March; ration 12 + 13 days; weighed only after the month closed |
//! | Binu, boy, born 2022-09-01 (42 months) | registered 2 March; present with a hot meal 22 days; weighed |
//! | Sunita | pregnant, registered 16 March; ration 25 days; referred |
//! | Meena | delivers Gudiya (2,300 g) on 8 March |
//! | Gudiya | dies on 25 March, 17 days old (registered on the 26th) |
//!
//! The household is ST. Births and deaths: one live birth (a girl), weighed, of low weight; one
//! neonatal death. New registrations: Sunita; Gudiya as a live birth; Asha (0-3) and Binu
//! (3-6). Nutrition for 21 or more days: Asha (ration), Binu (hot meal), Sunita (ration), all
//! ST; Meena is a lactating mother given nothing. Pre-school: Binu, 22 days. Growth: Gudiya,
//! Asha, Binu under 5; Binu weighed by the close, Asha's weighing late (shown beside).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{AWC, BIN, Chain, Relay, add_operator};
use sampark_crdt::Timestamp;
use sampark_crdt::due::Day;
use serde_json::{Value, json};

const PASSWORD: &str = "mpr-pass-p07";

/// Noon in India on `day`.
fn noon(day: &str) -> Timestamp {
    Timestamp(Day::parse(day).unwrap().number() * 86_400_000 - 330 * 60_000 + 12 * 3_600_000)
}

fn member(name: &str, dob: &str, sex: &str) -> Value {
    json!({"register": "member", "household": "#0", "name": name, "dob": dob, "sex": sex, "relation": "other",
           "migration": "resident", "sms_opt_out": false})
}

/// Runs the phone's command; (succeeded, stdout, stderr).
fn phone(chain: &Chain, args: &[&str]) -> (bool, String, String) {
    let home = chain.path("phone");
    let mut all = vec!["phone"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--home", home.to_str().unwrap()]);
    let out = std::process::Command::new(BIN).args(&all).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// The cells of row `id` (as JSON numbers or nulls).
fn cells(report: &Value, id: &str) -> Value {
    let rows = report["sections"].as_array().unwrap().iter().flat_map(|s| s["rows"].as_array().unwrap().iter());
    rows.clone().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no row {id} in {report}"))["cells"].clone()
}

fn current(report: &Value, id: &str) -> Value {
    let rows = report["sections"].as_array().unwrap().iter().flat_map(|s| s["rows"].as_array().unwrap().iter());
    rows.clone().find(|r| r["id"] == id).unwrap()["current"].clone()
}

#[test]
fn the_phone_and_the_block_relay_give_the_same_hand_worked_report() {
    let chain = Chain::since(noon("2026-03-01"));
    let people = chain.record_at_block_on(
        "phone",
        noon("2026-03-02"),
        &[
            json!({"register": "household", "number": "7", "head_name": "Ramesh Oraon", "caste": "st",
                   "religion": "hindu", "minority": false, "bpl": true}),
            member("Asha", "2024-01-10", "female"),
            member("Binu", "2022-09-01", "male"),
            member("Sunita", "2000-02-02", "female"),
            member("Meena", "1999-05-05", "female"),
        ],
    );
    let [asha, binu, sunita, meena] = [1, 2, 3, 4].map(|i| people[i].clone());
    let gudiya = chain.record_at_block_on(
        "phone",
        noon("2026-03-26"),
        &[json!({"register": "member", "household": people[0], "name": "Gudiya", "dob": "2026-03-08",
                 "sex": "female", "relation": "other", "migration": "resident", "sms_opt_out": false,
                 "death_date": "2026-03-25", "death_cause": "sepsis"})],
    )[0]
    .clone();
    let first = Day::parse("2026-03-01").unwrap();
    let working: Vec<Day> = (0..31).map(|i| first.plus_days(i)).filter(|d| !d.is_sunday()).collect();
    let mut march = vec![
        json!({"register": "birth", "mother": meena, "child": gudiya, "delivery_date": "2026-03-08",
               "place": "institution", "delivery_type": "normal", "outcome": "live-birth", "birth_weight_grams": 2300}),
        json!({"register": "thr", "beneficiary": asha, "month": "2026-03", "days_given": 12}),
        json!({"register": "thr", "beneficiary": asha, "month": "2026-03", "days_given": 13}),
        json!({"register": "growth", "child": binu, "date": "2026-03-05", "weight_kg": 14.0, "oedema": false}),
        json!({"register": "pregnancy", "member": sunita, "lmp": "2026-01-05", "high_risk": false,
               "registered": "2026-03-16"}),
        json!({"register": "thr", "beneficiary": sunita, "month": "2026-03", "days_given": 25}),
        json!({"register": "referral", "member": sunita, "date": "2026-03-20", "place": "PHC Baheri",
               "reason": "swelling of feet"}),
    ];
    for day in &working[..22] {
        march.push(json!({"register": "attendance", "child": binu, "date": day.to_string(), "present": true,
                          "hot_meal": true}));
    }
    chain.record_at_block_on("phone", noon("2026-03-31"), &march);
    // Asha's March weighing, written up today, after March closed on 5 April: late.
    chain.record_at_block(
        "phone",
        &[json!({"register": "growth", "child": asha, "date": "2026-03-28", "weight_kg": 11.2, "oedema": false})],
    );

    let (ok, out, err) = phone(&chain, &["mpr", "--month", "2026-03", "--json"]);
    assert!(ok, "{err}");
    let on_phone: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((on_phone["centre"].as_str(), on_phone["month"].as_str()), (Some(AWC), Some("2026-03")));
    assert_eq!(on_phone["closed"], true);
    let expected = [
        ("1a", json!([1, 0, 1])),
        ("1c", json!([1, 0, 1])),
        ("1d", json!([1, 0, 1])),
        ("1e", json!([1, 0, 1])),
        ("1h", json!([0, 0, 0])),
        ("2a", json!([1, null, 1])),
        ("2b", json!([1, 0, 1])),
        ("2c", json!([1, 0, 1])),
        ("2d", json!([0, 1, 1])),
        ("3a", json!([26])),
        ("3b", json!([22])),
        ("4a", json!([1, 0, 0, 1, 1, 0])),
        ("4d", json!([1, 0, 0, 1, 1, 0])),
        ("4f", json!([1, 0, 0, 1, 1, 1])),
        ("4g", json!([1, 0, 0, 1, 1, 0])),
        ("5d", json!([0, 1, 1])),
        ("5h", json!([0, 22, 22])),
        ("6a", json!([1, 0, 1])),
        ("6b", json!([1, 0, 1])),
        ("6c", json!([0, 1, 1])),
        ("6g", json!([0, 1, 1])),
        ("8b", json!([1])),
    ];
    let got: Vec<(&str, Value)> = expected.iter().map(|(id, _)| (*id, cells(&on_phone, id))).collect();
    assert_eq!(got, expected, "March 2026 at {AWC}, as reported at its close");
    // The late weighing is beside the reported figure, not folded into it.
    assert_eq!(current(&on_phone, "6g"), json!([1, 1, 2]));
    assert_eq!(current(&on_phone, "1a"), Value::Null);

    // In Hindi, as a sevika reads it.
    let (ok, text, err) = phone(&chain, &["mpr", "--month", "2026-03"]);
    assert!(ok, "{err}");
    for line in [
        "मासिक प्रगति प्रतिवेदन",
        "1e  नवजात मृत्यु (जन्म के 28 दिन के भीतर): 1 · 0 · 1",
        "2a  गर्भवती महिलाएँ: 1 · — · 1",
        "6g  कुल वज़न लिया गया: 0 · 1 · 1  [बाद में: 1 · 1 · 2]",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    // A month that does not read is refused in words.
    let (ok, _, err) = phone(&chain, &["mpr", "--month", "March"]);
    assert!(!ok && err.contains("YYYY-MM"), "{err}");

    let block = chain.path("block");
    add_operator(&block, "asha", PASSWORD);
    let relay = Relay::start(&block, &[]);
    let mut client = relay.client();
    assert_eq!(client.login("asha", PASSWORD).status, 200);
    let (status, at_block) = client.get(&format!("/api/mpr?month=2026-03&centre={AWC}"));
    assert_eq!(status, 200, "{at_block}");
    assert_eq!(at_block, on_phone, "the block relay and the phone give one report");
    for bad in ["/api/mpr?month=2026-03", "/api/mpr?month=2026-13&centre=X", "/api/mpr?centre=BR/DBG/P07"] {
        assert_eq!(client.get(bad).0, 400, "{bad}");
    }
    assert_eq!(client.get("/api/mpr?centre=BR/PAT/P01/S01/A0001").0, 400, "outside the relay's block");
    relay.stop();
}
