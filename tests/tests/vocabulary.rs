//! One vocabulary in everything a sevika, a supervisor or a family reads: the phone's output,
//! the dashboard, the SMS alerts and the demo's words use the programme's terms
//! (`sampark_crdt::words`), never the words it says not to use, and write dates as DD-MM-YYYY.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use sampark_crdt::words::{self, NOT_SAID};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The files whose words reach people.
const READ_BY_PEOPLE: &[&str] = &[
    "node/src/ops/text.rs",
    "relay/src/alerts/text.rs",
    "relay/src/alerts/golden/sms.txt",
    "relay/src/http/dashboard/app.js",
    "relay/src/http/dashboard/reports.js",
    "relay/src/http/dashboard/index.html",
    "relay/src/demo/acts.rs",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn nothing_people_read_uses_a_word_the_programme_does_not() {
    for path in READ_BY_PEOPLE {
        let text = read(path);
        for (n, line) in text.lines().enumerate() {
            for word in NOT_SAID {
                assert!(!line.contains(word), "{path}:{}: {word:?} in {line:?}", n + 1);
            }
        }
    }
}

#[test]
fn the_dashboard_says_what_the_phone_and_the_sms_say() {
    let app = read("relay/src/http/dashboard/app.js");
    for (key, word) in [
        ("tier.block", words::BLOCK),
        ("tier.district", words::DISTRICT),
        ("tier.state", words::STATE),
        ("role.sevika", words::SEVIKA),
        ("role.supervisor", words::SUPERVISOR),
        ("recipient.supervisor", words::SUPERVISOR),
        ("role.block-relay", words::BLOCK_RELAY),
        ("role.district-relay", words::DISTRICT_RELAY),
        ("role.state-hub", words::STATE_HUB),
    ] {
        let entry = format!("'{key}': '{}'", word.hi);
        assert!(app.contains(&entry), "the dashboard's {key} is not {:?}", word.hi);
    }
}

#[test]
fn dates_people_read_are_day_month_year() {
    // The SMS texts as sent (the golden file) carry DD-MM-YYYY dates and no ISO ones.
    let sms = read("relay/src/alerts/golden/sms.txt");
    assert!(sms.contains("04-12-2026"), "{sms}");
    assert!(!sms.contains("2026-12-04"), "{sms}");
    // The dashboard formats dates by hand as DD-MM-YYYY, not by the browser's locale.
    let app = read("relay/src/http/dashboard/app.js");
    assert!(app.contains("${parts.day}-${parts.month}-${parts.year}"));
}
