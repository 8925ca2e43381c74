//! Operators at two tiers, real `sampark-relay run` processes syncing over loopback TCP: a block
//! operator escalates a ticket; the district relay receives it with the operator's certificate
//! (so the escalation verifies and counts there), a district operator resolves it, and the
//! resolution, signed with the district operator's key, comes back down to the block. Another
//! ticket still at the block is pulled up by the district.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{Chain, Relay, add_operator};
use serde_json::Value;

fn step<'a>(ticket: &'a Value, action: &str) -> &'a Value {
    ticket["timeline"].as_array().unwrap().iter().find(|s| s["action"] == action).unwrap()
}

#[test]
fn an_escalated_ticket_is_resolved_at_the_district_and_the_answer_comes_down() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", "block-password");
    add_operator(&chain.path("district"), "dev", "district-password");
    let ids = chain.raise_at_block(&[("sync", "सिंक नहीं हो रहा"), ("other", "टैबलेट की स्क्रीन टूटी")]);
    let fast = ["--duty-every", "1", "--resync", "1"];
    let district = Relay::start(&chain.path("district"), &fast);
    let upstream = district.addr();
    let block = Relay::start(&chain.path("block"), &[&fast[..], &["--upstream", &upstream]].concat());

    let mut asha = block.client();
    assert_eq!(asha.login("asha", "block-password").status, 200);
    let mut dev = district.client();
    let login = dev.login("dev", "district-password");
    assert_eq!((login.status, login.body["tier"].as_str()), (200, Some("district")));
    assert_eq!(dev.login("asha", "block-password").status, 401, "a block operator is not a district operator");
    assert_eq!(dev.login("dev", "district-password").status, 200);

    // The block's operator escalates the first ticket once the block has stamped its receipt.
    let (first, second) = (&ids[0], &ids[1]);
    asha.wait_for(&format!("/api/tickets/{first}"), "the block's receipt", |b| b["ticket"]["tiers"]["block"].is_i64());
    let (status, up) = asha.post(&format!("/api/tickets/{first}/escalate"), r#"{"text":"प्रखंड पर हल नहीं हुआ"}"#);
    assert_eq!(status, 200, "{up}");
    let asha_key = step(&up["ticket"], "escalated")["by"]["key"].clone();

    // At the district: the escalation counts (the operator's certificate came with it), and the
    // district's relay stamps its own receipt.
    let there = dev.wait_for(&format!("/api/tickets/{first}"), "the escalated ticket at the district", |b| {
        b["ticket"]["tier"] == "district" && b["ticket"]["tiers"]["district"].is_i64()
    });
    let escalated = step(&there["ticket"], "escalated");
    assert_eq!((&escalated["by"]["key"], escalated["by"]["role"].as_str()), (&asha_key, Some("operator")));
    assert_eq!(escalated["by"]["tier"], "block");
    assert!(escalated.get("refused").is_none() && escalated["by"].get("user").is_none(), "{escalated}");
    assert!(there["ticket"]["tiers"]["block"].is_i64());
    let queue = dev.get("/api/tickets?tier=district").1;
    assert_eq!(queue["tickets"].as_array().unwrap().len(), 1, "{queue}");

    // The district's operator resolves it; the answer reaches the block, signed by her key.
    let (status, done) = dev.post(&format!("/api/tickets/{first}/resolve"), r#"{"text":"नया संस्करण भेजा गया"}"#);
    assert_eq!(status, 200, "{done}");
    let dev_key = step(&done["ticket"], "resolved")["by"]["key"].clone();
    assert_eq!(step(&done["ticket"], "resolved")["by"]["user"], "dev");
    let back = asha.wait_for(&format!("/api/tickets/{first}"), "the resolution at the block", |b| {
        b["ticket"]["status"] == "resolved"
    });
    let resolved = step(&back["ticket"], "resolved");
    assert_eq!((&resolved["by"]["key"], resolved["by"]["tier"].as_str()), (&dev_key, Some("district")));
    assert_eq!(back["ticket"]["resolution"], "नया संस्करण भेजा गया");
    assert!(
        back["ticket"]["path"].as_array().unwrap().iter().any(|h| h["role"] == "district-relay"),
        "the district's receipt shows the hop: {}",
        back["ticket"]["path"]
    );

    // The second ticket is still the block's; the district pulls it up.
    dev.wait_for(&format!("/api/tickets/{second}"), "the second ticket at the district", |b| {
        b["ticket"]["tier"] == "block"
    });
    let (status, pulled) = dev.post(&format!("/api/tickets/{second}/pullup"), r#"{"text":"हम देखेंगे"}"#);
    assert_eq!((status, pulled["ticket"]["tier"].as_str()), (200, Some("district")), "{pulled}");
    asha.wait_for(&format!("/api/tickets/{second}"), "the pull-up at the block", |b| b["ticket"]["tier"] == "district");
    let (status, refused) = asha.post(&format!("/api/tickets/{second}/comment"), r#"{"text":"ठीक है"}"#);
    assert_eq!((status, refused["kind"].as_str()), (409, Some("refused")), "{refused}");

    assert_eq!(block.stop(), 0);
    assert_eq!(district.stop(), 0);
}
