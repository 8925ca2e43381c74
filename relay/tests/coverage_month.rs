//! A month of one centre worked by hand, through the block relay's coverage API
//! (`GET /api/coverage`) on a real `sampark-relay run --http`, the registers recorded on a real
//! phone's store and carried to the block's.
//!
//! Centre A0412, March 2026 (31 days, 5 Sundays: 26 working days), as CAS counts (S14 of the
//! schedule's sources):
//!
//! | who | born / registered | in March |
//! |---|---|---|
//! | Asha | 2024-01-10 (26 months) | ration in two fortnightly hand-outs, 12 + 13 days; weighed and measured |
//! | Binu | 2022-09-01 (42 months) | present 22 working days, hot meal each; weighed only |
//! | Chanda | 2022-06-01 (45 months) | present 18 days, absent 8; hot meal on the 18 |
//! | Dolly | 2025-03-20 (12 months on 20 March) | left for a while on 10 March, not back |
//! | Esha | 2024-01-01 | left for good on 10 February |
//! | Sunita | pregnant, LMP 2026-01-05, registered 16 March | ration 10 days; folic acid 30 tablets |
//!
//! Worked by hand: weighing due to Asha, Binu, Chanda, Dolly (4; she counts in the month she
//! leaves), done for 2; height due to the same 4, done for Asha (1); child ration due to Asha and
//! Dolly (2; Binu and Chanda are past 36 months, Esha is gone), served to Asha (25 days summed
//! ≥ 21): 1; feeding visits due to Dolly (1, 6–24 months), done 0; pre-school due to Binu and
//! Chanda, served to Binu (22 ≥ 21; Chanda's 18 present, the absences count nothing): 1; hot meal
//! likewise 2 and 1; MR-1: Dolly's window closes on 20 March, after she left: due to nobody;
//! the pregnant woman counts from her registration in March: ration due 1, served 0 (10 days);
//! folic acid due 1, given 1. February still counts Esha (she left on the 10th) and Dolly: child
//! ration due to 3; April no longer counts Dolly: due to 1.
//!
//! Each batch is written by a phone whose clock says when (the survey in January, Esha's leaving
//! in February, March by its last day), and Chanda's March weighing is written today: March
//! closed on 5 April, so its figures stay as reported and the weighing shows as late (+1
//! delivered), beside them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{AWC, Chain, Relay, add_operator};
use sampark_crdt::Timestamp;
use sampark_crdt::due::Day;
use serde_json::{Value, json};

const PASSWORD: &str = "coverage-pass-p07";

fn member(household: &str, name: &str, dob: &str, sex: &str, relation: &str) -> Value {
    json!({"register": "member", "household": household, "name": name, "dob": dob, "sex": sex,
           "relation": relation, "migration": "resident", "sms_opt_out": false})
}

fn household(number: &str) -> Value {
    json!({"register": "household", "number": number, "head_name": "Ramesh Paswan", "caste": "sc",
           "religion": "hindu", "minority": false, "bpl": true})
}

/// (eligible, delivered) of `service` at the centre in `coverage`.
fn counts(coverage: &Value, service: &str) -> (u64, u64) {
    let centre = coverage["scopes"].as_array().unwrap().iter().find(|s| s["scope"] == AWC).unwrap();
    let row = centre["services"].as_array().unwrap().iter().find(|r| r["service"] == service).unwrap();
    (row["eligible"].as_u64().unwrap(), row["delivered"].as_u64().unwrap())
}

/// Noon in India on `day`.
fn noon(day: &str) -> Timestamp {
    Timestamp(Day::parse(day).unwrap().number() * 86_400_000 - 330 * 60_000 + 12 * 3_600_000)
}

#[test]
fn a_hand_worked_month_of_a_centre_through_the_coverage_api() {
    let chain = Chain::since(noon("2026-01-01"));
    let first = Day::parse("2026-03-01").unwrap();
    let working: Vec<Day> = (0..31).map(|i| first.plus_days(i)).filter(|d| !d.is_sunday()).collect();
    assert_eq!(working.len(), 26);

    // The family survey, written in January.
    let people = chain.record_at_block_on(
        "phone",
        noon("2026-01-20"),
        &[
            household("1"),                                                    // 0
            member("#0", "Asha", "2024-01-10", "female", "daughter"),          // 1
            member("#0", "Binu", "2022-09-01", "male", "son"),                 // 2
            member("#0", "Sunita", "2000-02-02", "female", "daughter-in-law"), // 3
            household("2"),                                                    // 4
            member("#4", "Chanda", "2022-06-01", "female", "daughter"),        // 5
            member("#4", "Dolly", "2025-03-20", "female", "daughter"),         // 6
            member("#4", "Esha", "2024-01-01", "female", "daughter"),          // 7
        ],
    );
    let [asha, binu, sunita, chanda, dolly, esha] = [1, 2, 3, 5, 6, 7].map(|i| people[i].clone());
    // Esha leaves for good in February; written then.
    chain.record_at_block_on(
        "phone",
        noon("2026-02-12"),
        &[json!({"register": "migration", "member": esha, "date": "2026-02-10", "event": "left-permanently",
                 "place": "BR/PAT/P01/S01/A0001"})],
    );
    // March, written by its last day.
    let mut march = vec![
        json!({"register": "migration", "member": dolly, "date": "2026-03-10", "event": "left-temporarily",
               "place": "Delhi"}),
        json!({"register": "thr", "beneficiary": asha, "month": "2026-03", "days_given": 12}),
        json!({"register": "thr", "beneficiary": asha, "month": "2026-03", "days_given": 13}),
        json!({"register": "growth", "child": asha, "date": "2026-03-05", "weight_kg": 11.2, "height_cm": 86.0,
               "position": "standing", "oedema": false}),
        json!({"register": "growth", "child": binu, "date": "2026-03-05", "weight_kg": 14.0, "oedema": false}),
        json!({"register": "pregnancy", "member": sunita, "lmp": "2026-01-05", "high_risk": false,
               "registered": "2026-03-16"}),
        json!({"register": "thr", "beneficiary": sunita, "month": "2026-03", "days_given": 10}),
        json!({"register": "ifa", "beneficiary": sunita, "date": "2026-03-16", "kind": "folic-acid", "tablets": 30}),
    ];
    for (i, day) in working.iter().enumerate() {
        let date = day.to_string();
        if i < 22 {
            march.push(
                json!({"register": "attendance", "child": binu, "date": date, "present": true, "hot_meal": true}),
            );
        }
        let here = i < 18;
        march.push(json!({"register": "attendance", "child": chanda, "date": date, "present": here, "hot_meal": here}));
    }
    chain.record_at_block_on("phone", noon("2026-03-31"), &march);
    // Chanda's March weighing, written up today, long after March closed on 5 April: late.
    chain.record_at_block(
        "phone",
        &[json!({"register": "growth", "child": chanda, "date": "2026-03-28", "weight_kg": 13.1, "oedema": false})],
    );

    let block = chain.path("block");
    add_operator(&block, "asha", PASSWORD);
    let relay = Relay::start(&block, &[]);
    let mut client = relay.client();
    assert_eq!(client.login("asha", PASSWORD).status, 200);
    let month = |m: &str| {
        let (status, body) = client.get(&format!("/api/coverage?month={m}&scope={AWC}"));
        assert_eq!(status, 200, "{body}");
        body
    };
    let march = month("2026-03");
    assert_eq!((march["partial"].as_bool(), march["closed"].as_bool()), (Some(false), Some(true)));
    assert_eq!(march["closes_on"], "2026-04-05");
    let expected = [
        ("WEIGHING", (4, 2)),
        ("HEIGHT", (4, 1)),
        ("THR-CHILD", (2, 1)),
        ("CF-VISIT", (1, 0)),
        ("PSE", (2, 1)),
        ("HOT-MEAL", (2, 1)),
        ("MR-1", (0, 0)),
        ("THR-PREGNANT", (1, 0)),
        ("FOLIC-ACID", (1, 1)),
    ];
    let got: Vec<(&str, (u64, u64))> = expected.iter().map(|(s, _)| (*s, counts(&march, s))).collect();
    assert_eq!(got, expected, "March 2026 at {AWC}, as reported at its close");
    // The late weighing is shown beside the reported figure, not folded into it.
    assert_eq!(late(&march, "WEIGHING"), (0, 1));
    assert_eq!(late(&march, "PSE"), (0, 0));
    assert_eq!(counts(&month("2026-02"), "THR-CHILD").0, 3, "February still counts Esha and Dolly");
    assert_eq!(counts(&month("2026-04"), "THR-CHILD").0, 1, "April no longer counts Dolly");
    // The outcome indicators of the same month, and the month before for the trend: under-fives
    // living here some day of March are Asha, Binu, Chanda and Dolly; two weighed by the close
    // (Chanda's late weighing makes three, shown as `current`); Asha's height measured of the 4
    // aged 6-60 months; Dolly's first birthday fell while she was away. February also had Esha.
    let (status, n) = client.get(&format!("/api/nutrition?month=2026-03&scope={AWC}"));
    assert_eq!(status, 200, "{n}");
    assert_eq!((n["month"].as_str(), n["previous_month"].as_str()), (Some("2026-03"), Some("2026-02")));
    let centre = n["scopes"].as_array().unwrap().iter().find(|s| s["scope"] == AWC).unwrap();
    let get = |k: &str| centre[k].as_u64().unwrap();
    let got = ["children", "weighed", "waz", "height_eligible", "height_measured", "turned_one"].map(get);
    assert_eq!(got, [4, 2, 2, 4, 1, 0], "{centre}");
    assert_eq!((n["closed"].as_bool(), centre["current"]["weighed"].as_u64()), (Some(true), Some(3)), "{centre}");
    assert_eq!((centre["previous"]["children"].as_u64(), centre["previous"]["weighed"].as_u64()), (Some(5), Some(0)));
    relay.stop();
}

/// (late_eligible, late_delivered) of `service` at the centre in `coverage`.
fn late(coverage: &Value, service: &str) -> (i64, i64) {
    let centre = coverage["scopes"].as_array().unwrap().iter().find(|s| s["scope"] == AWC).unwrap();
    let row = centre["services"].as_array().unwrap().iter().find(|r| r["service"] == service).unwrap();
    (row["late_eligible"].as_i64().unwrap(), row["late_delivered"].as_i64().unwrap())
}
