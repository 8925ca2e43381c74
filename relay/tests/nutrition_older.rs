//! Children of 5 to 6 years through the block relay's `GET /api/nutrition` on a real
//! `sampark-relay run --http`, the registers recorded on a real phone's store (whose clock says
//! when) and carried to the block's. In its own test binary: the phones' clock is one per
//! process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{AWC, Chain, Relay, add_operator};
use sampark_crdt::Timestamp;
use sampark_crdt::due::Day;
use serde_json::{Value, json};

const PASSWORD: &str = "nutrition-pass-p07";

fn member(household: &str, name: &str, dob: &str, sex: &str, relation: &str) -> Value {
    json!({"register": "member", "household": household, "name": name, "dob": dob, "sex": sex,
           "relation": relation, "migration": "resident", "sms_opt_out": false})
}

fn household(number: &str) -> Value {
    json!({"register": "household", "number": number, "head_name": "Ramesh Paswan", "caste": "sc",
           "religion": "hindu", "minority": false, "bpl": true})
}

/// Noon in India on `day`.
fn noon(day: &str) -> Timestamp {
    Timestamp(Day::parse(day).unwrap().number() * 86_400_000 - 330 * 60_000 + 12 * 3_600_000)
}

/// Children of 5 to 6 years through the block relay's `GET /api/nutrition`, against the WHO 2007
/// references (MWCD's 2021 protocol measures every child to 6 years; WHO's indicators past 5 are
/// height-for-age and BMI-for-age). Girls born 1 September 2020, measured standing on 10 March
/// 2026 (66.23 months), worked by hand from WHO's rows for 66 and 67 months: Gita 13.0 kg and
/// 100.0 cm, HAZ −2.49 (stunted), BAZ −1.74; Hema 16.0 kg and 118.0 cm, HAZ +1.15, BAZ −3.26
/// (severely thin, WHO's restricted rule); Isha not measured. Jaya, six on 1 January, is past
/// the programme's ages.
#[test]
fn children_of_five_to_six_through_the_nutrition_api() {
    let chain = Chain::since(noon("2026-01-01"));
    let people = chain.record_at_block_on(
        "phone",
        noon("2026-01-20"),
        &[
            household("1"),
            member("#0", "Gita", "2020-09-01", "female", "daughter"),
            member("#0", "Hema", "2020-09-01", "female", "daughter"),
            member("#0", "Isha", "2020-09-01", "female", "daughter"),
            member("#0", "Jaya", "2020-01-01", "female", "daughter"),
        ],
    );
    let measured = |child: &str, kg: f64, cm: f64| {
        json!({"register": "growth", "child": child, "date": "2026-03-10", "weight_kg": kg, "height_cm": cm,
               "position": "standing", "oedema": false})
    };
    chain.record_at_block_on(
        "phone",
        noon("2026-03-10"),
        &[measured(&people[1], 13.0, 100.0), measured(&people[2], 16.0, 118.0), measured(&people[4], 19.0, 115.0)],
    );
    let block = chain.path("block");
    add_operator(&block, "asha", PASSWORD);
    let relay = Relay::start(&block, &[]);
    let mut client = relay.client();
    assert_eq!(client.login("asha", PASSWORD).status, 200);
    let (status, n) = client.get(&format!("/api/nutrition?month=2026-03&scope={AWC}"));
    assert_eq!(status, 200, "{n}");
    let centre = n["scopes"].as_array().unwrap().iter().find(|s| s["scope"] == AWC).unwrap();
    let get = |k: &str| centre[k].as_u64().unwrap();
    let older = ["children_5_6", "weighed_5_6", "haz_5_6", "stunted_5_6", "baz_5_6", "thin_5_6", "severely_thin_5_6"];
    assert_eq!(older.map(get), [3, 2, 2, 1, 2, 1, 1], "{centre}");
    assert_eq!(["children", "waz", "whz"].map(get), [0, 0, 0], "no under-fives: {centre}");
    relay.stop();
}
