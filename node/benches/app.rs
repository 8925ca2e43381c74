//! What the sevika's app costs a phone: the page's weight, the time to its first screen and the
//! node's memory while serving it, for a centre of 40 households and 160 members, each member
//! weighed, against the budgets of `docs/node.md` and against baselines measured in the same run
//! (the `/due` request the first screen waits for; the idle daemon's memory). A real
//! `sampark-node run` and a real headless Chromium at 360×640. Prints one JSON object.
//!
//! Run: `cargo bench -p sampark-node --bench app` (needs Chromium and chromedriver).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../../relay/tests/browser_support/mod.rs"]
mod browser_support;
#[path = "../tests/process/mod.rs"]
mod process;

use std::time::Duration;

use browser_support::{browser, js, launch, wait_text};
use process::{Block, Daemon, on, rss_kib};
use serde_json::{Value, json};

const AWC: &str = "BR/DBG/P07/S03/A0412";
const HOUSEHOLDS: usize = 40;
const MEMBERS: usize = 4;
/// The page and its files (bytes), and the node's memory while serving it (KiB): the budgets.
const WEIGHT_BUDGET: u64 = 100_000;
const RSS_BUDGET_KIB: u64 = 150 * 1024;

#[tokio::main]
async fn main() {
    let Some(tools) = browser() else { return };
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC);
    let node = Daemon::start(&phone, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    let record = |entry: Value| -> String {
        on(&phone, &["record", "--entry", &entry.to_string(), "--json"]).ok().json()["entry_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for h in 0..HOUSEHOLDS {
        let household = record(json!({"register": "household", "number": (h + 1).to_string(),
            "head_name": format!("Head {h}"), "caste": "sc", "religion": "hindu", "minority": false, "bpl": true}));
        for m in 0..MEMBERS {
            let dob = format!("20{:02}-0{}-1{}", 20 + m, 1 + m, m);
            let member =
                record(json!({"register": "member", "household": household, "name": format!("Member {h}-{m}"),
                "dob": dob, "sex": "female", "relation": "daughter", "migration": "resident", "sms_opt_out": false}));
            record(json!({"register": "growth", "child": member, "date": "2026-11-03", "weight_kg": 9.0 + m as f64,
                "oedema": false}));
        }
    }
    let idle = rss_kib(node.child.id());
    let url = on(&phone, &["app"]).ok().stdout.trim().to_owned();
    let (c, _driver) = launch(tools, block.dir.path()).await;
    c.set_window_size(360, 640).await.unwrap();
    c.goto(&url).await.unwrap();
    wait_text(&c, "#home-summary", "the first screen", |t| !t.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let serving = rss_kib(node.child.id());
    let timing = js(
        &c,
        "const nav = performance.getEntriesByType('navigation')[0];
         const files = performance.getEntriesByType('resource');
         const due = files.filter(r => r.name.endsWith('/due')).map(r => r.duration);
         const page = [nav, ...files.filter(r => r.name.includes('/app/'))];
         return {
           page_bytes: page.reduce((n, r) => n + r.decodedBodySize, 0),
           due_ms: due.length ? due[due.length - 1] : null,
           dom_ms: nav.domContentLoadedEventEnd,
         }",
    )
    .await;
    // The first screen is drawn when the due list's answer is: its end, from navigation start.
    let drawn = js(
        &c,
        "const due = performance.getEntriesByType('resource').filter(r => r.name.endsWith('/due'));
         return due.length ? due[due.length - 1].responseEnd : null",
    )
    .await;
    let page_bytes = timing["page_bytes"].as_u64().unwrap();
    let due_ms = timing["due_ms"].as_f64().unwrap();
    let first_ms = drawn.as_f64().unwrap();
    println!(
        "{}",
        json!({
            "bench": "app",
            "members": HOUSEHOLDS * MEMBERS,
            "page_bytes": page_bytes,
            "page_bytes_of_budget": page_bytes as f64 / WEIGHT_BUDGET as f64,
            "first_screen_ms": first_ms,
            "due_request_ms": due_ms,
            "first_screen_over_due_request": first_ms / due_ms,
            "dom_ready_ms": timing["dom_ms"],
            "rss_idle_kib": idle,
            "rss_serving_kib": serving,
            "rss_serving_over_idle": serving as f64 / idle as f64,
            "rss_serving_of_budget": serving as f64 / RSS_BUDGET_KIB as f64,
        })
    );
    let _ = c.close().await;
}
