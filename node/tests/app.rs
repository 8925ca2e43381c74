//! The sevika's app in a real headless Chromium at 360×640 (WebDriver, chromedriver), served by a
//! real `sampark-node run` on loopback, used as a new sevika would: without its key the page
//! says so and the API refuses; with the address `sampark-node app` gives, she registers a
//! household and a child, writes the child twice by mistake, finds her by name, records a
//! weighing and corrects it, voids the duplicate, sees the child on today's due list and records
//! a dose from it, raises a ticket, and after a sync with the block relay sees the contact on
//! the sync screen. Each step is checked against the registers through the CLI, and saved as a
//! screenshot for people to look at.
//!
//! Needs Chromium and chromedriver (`.ci/run` installs them); `SAMPARK_SKIP_BROWSER=1` skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../../relay/tests/browser_support/mod.rs"]
mod browser_support;
mod process;

use std::time::Duration;

use browser_support::{PATIENCE, browser, js, launch, shot, text, wait_text};
use fantoccini::Client;
use process::{Block, Daemon, on};
use serde_json::{Value, json};

const AWC: &str = "BR/DBG/P07/S03/A0412";

/// Today in India, `YYYY-MM-DD`, `days` from now.
fn day(days: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let d = sampark_crdt::due::Day::of_millis_ist((now + days * 86_400) * 1000);
    d.to_string()
}

/// `YYYY-MM-DD` as `DD-MM-YYYY`.
fn date_text(iso: &str) -> String {
    iso.split('-').rev().collect::<Vec<_>>().join("-")
}

/// Sets a form field by script (date inputs read their locale's format from the keyboard).
async fn set(c: &Client, css: &str, value: &str) {
    let done = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; e.value = arguments[1]; return true;",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
    assert_eq!(done, true, "no field {css}");
}

/// Taps what `css` names, scrolled to the middle of the screen first as a person would (the
/// bottom bar stays over the screen's last lines).
async fn click(c: &Client, css: &str) {
    let _ = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
            vec![json!(css)],
        )
        .await;
    browser_support::click(c, css).await;
}

/// Types `keys` into the field `css` names, again if the page redrew it meanwhile.
async fn type_into(c: &Client, css: &str, keys: &str) {
    let started = std::time::Instant::now();
    loop {
        let typed = match c.find(fantoccini::Locator::Css(css)).await {
            Ok(field) => match field.clear().await {
                Ok(()) => field.send_keys(keys).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match typed {
            Ok(()) => return,
            Err(e) if started.elapsed() > PATIENCE => panic!("could not type into {css}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn saved(c: &Client) {
    wait_text(c, "#notice", "the saved notice", |t| t.contains("सहेजा गया")).await;
}

async fn new_member(c: &Client, name: &str, dob: &str) {
    click(c, "#new-member").await;
    type_into(c, "#in-member-name", name).await;
    set(c, "#in-member-dob", dob).await;
    set(c, "#in-member-relation", "daughter").await;
    click(c, "#form-member .save").await;
    saved(c).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_sevika_works_her_registers_in_the_app() {
    let Some(tools) = browser() else { return };
    let mut block = Block::new();
    let (phone, _) = block.phone("phone", AWC);
    let relay = Daemon::start(&block.home("relay"), &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    let node = Daemon::start(&phone, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    let url = on(&phone, &["app"]).ok().stdout.trim().to_owned();
    assert!(url.starts_with(&format!("http://127.0.0.1:{}/#t=", node.file.api.port())), "{url}");
    let (c, _driver) = launch(tools, block.dir.path()).await;
    // A 360×640 screen: the window is made as much taller as the browser's own bars take.
    c.set_window_size(360, 640).await.unwrap();
    let inner = js(&c, "return window.innerHeight").await.as_i64().unwrap();
    c.set_window_size(360, u32::try_from(640 + (640 - inner)).unwrap()).await.unwrap();

    // Without the key: the page says where to open it, and the API refuses the page.
    c.goto(&node.url("/")).await.unwrap();
    wait_text(&c, "#notice", "the missing key", |t| t.contains("बिना चाबी")).await;
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch('/status').then(r => done(r.status), e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    shot(&c, "app-0-no-key-hi").await;

    // With it: the key leaves the address bar; today's list is empty.
    c.goto(&url).await.unwrap();
    wait_text(&c, "#home-list", "an empty due list", |t| t.contains("आज कोई सेवा देय नहीं")).await;
    assert!(!c.current_url().await.unwrap().as_str().contains("#t="), "the key stays out of the address");
    assert_eq!(
        (js(&c, "return window.innerWidth").await, js(&c, "return window.innerHeight").await),
        (json!(360), json!(640))
    );
    shot(&c, "app-1-home-empty-hi").await;

    // A household, then a member without a name: refused at the field, in Hindi.
    click(&c, "#nav-registers").await;
    click(&c, "#new-household").await;
    type_into(&c, "#in-household-number", "12").await;
    click(&c, "#form-household .save").await;
    let error = wait_text(&c, "#in-household-head_name-error", "the missing name", |t| !t.is_empty()).await;
    assert_eq!(error, "यह भरना ज़रूरी है");
    shot(&c, "app-2-field-error-hi").await;
    type_into(&c, "#in-household-head_name", "Rameshwar Yadav").await;
    set(&c, "#in-household-caste", "obc").await;
    click(&c, "#form-household .save").await;
    saved(&c).await;

    // The child, written twice by mistake.
    let dob = day(-45);
    new_member(&c, "Anjali Kumari", &dob).await;
    new_member(&c, "Anjali Kumari", &dob).await;
    let members = on(&phone, &["entries", "--register", "member", "--json"]).ok().json();
    assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
    assert_eq!(members[0]["fields"]["dob"], dob.as_str());

    // Found by name; her profile; a weighing, written wrong, corrected.
    type_into(&c, "#search", "anjali").await;
    click(&c, "#search-form button").await;
    wait_text(&c, "#results", "the search", |t| t.contains("2 मिले")).await;
    click(&c, "#results .open").await;
    wait_text(&c, "#profile", "her profile", |t| t.contains("Anjali Kumari की सारी प्रविष्टियाँ")).await;
    click(&c, "#weigh").await;
    type_into(&c, "#in-growth-weight_kg", "3.2").await;
    click(&c, "#form-growth .save").await;
    wait_text(&c, "#profile", "the weighing", |t| t.contains("3.2 किलो")).await;
    set(&c, "#profile [data-register='growth'] .new-weight", "3.8").await;
    click(&c, "#profile [data-register='growth'] .correct").await;
    wait_text(&c, "#profile", "the corrected weight", |t| t.contains("3.8 किलो")).await;
    shot(&c, "app-3-profile-corrected-hi").await;
    let growth = on(&phone, &["entries", "--register", "growth", "--json"]).ok().json();
    assert_eq!(growth[0]["fields"]["weight_kg"], 3.8);

    // The duplicate, reviewed and voided: it stays in the register, marked.
    click(&c, "#nav-home").await;
    click(&c, "#nav-registers").await;
    wait_text(&c, "#duplicates", "the duplicate", |t| t.contains("दो प्रविष्टियाँ")).await;
    shot(&c, "app-4-duplicate-hi").await;
    click(&c, "#duplicates .void-second").await;
    wait_text(&c, "#duplicates", "no duplicate", |t| t.contains("दो बार लिखा कोई व्यक्ति नहीं मिला")).await;
    let members = on(&phone, &["entries", "--register", "member", "--json"]).ok().json();
    let voided: Vec<bool> = members.as_array().unwrap().iter().map(|m| m["voided"].as_bool().unwrap()).collect();
    assert_eq!(voided, [false, true], "{members}");

    // Today's list at 45 days: BCG (due to 1 year) and her six-week doses; a dose recorded from
    // the list leaves it.
    click(&c, "#nav-home").await;
    let list = wait_text(&c, "#home-list", "her services", |t| t.contains("Anjali Kumari")).await;
    assert!(list.contains("घर 12 — Rameshwar Yadav"), "{list}");
    let bcg = "#home-list .item[data-service='BCG']";
    assert!(text(&c, bcg).await.contains("बीसीजी"), "{list}");
    shot(&c, "app-5-due-hi").await;
    click(&c, &format!("{bcg} .give")).await;
    saved(&c).await;
    wait_text(&c, "#home-list", "BCG given", |_| true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(text(&c, bcg).await, "", "BCG left the list");
    let doses = on(&phone, &["entries", "--register", "immunisation", "--json"]).ok().json();
    assert_eq!(
        (doses[0]["fields"]["vaccine"].as_str(), doses[0]["fields"]["date"].as_str()),
        (Some("BCG"), Some(day(0).as_str()))
    );

    // A ticket, then a sync with the block relay, shown on the sync screen.
    click(&c, "#nav-tickets").await;
    type_into(&c, "#ticket-text", "वज़न की मशीन खराब है").await;
    click(&c, "#ticket-raise").await;
    wait_text(&c, "#ticket-list", "the ticket", |t| t.contains("वज़न की मशीन खराब है") && t.contains("खुला")).await;
    click(&c, "#ticket-list .open").await;
    wait_text(&c, "#ticket-timeline", "its timeline", |t| t.contains("सेविका दर्ज किया: वज़न की मशीन खराब है")).await;
    shot(&c, "app-6-ticket-hi").await;
    let report: Value = on(&phone, &["sync", "--peer", &relay.addr("tcp"), "--json"]).ok().json();
    assert_eq!(report["outcome"], "complete", "{report}");
    click(&c, "#nav-sync").await;
    let met = wait_text(&c, "#sync-peers", "the contact", |t| t.contains("पूरा हुआ") && t.contains("भेजे")).await;
    assert!(met.contains(&format!("{} ", date_text(&day(0)))) && met.contains(" IST"), "{met}");
    assert!(text(&c, "#sync-waiting").await.contains("रिले तक जाना बाकी"));
    shot(&c, "app-7-sync-hi").await;

    // A second phone of the centre and this one write the household's head differently at
    // once; after both meet the relay, her profile of the household says what was kept, and
    // "keep this" settles it for both.
    let (second, _) = block.phone("second", AWC);
    let household =
        on(&phone, &["entries", "--register", "household", "--json"]).ok().json()[0]["id"].as_str().unwrap().to_owned();
    let meet = |home: &std::path::Path| {
        let report = on(home, &["sync", "--peer", &relay.addr("tcp"), "--json"]).ok().json();
        assert_eq!(report["outcome"], "complete", "{report}");
    };
    meet(&second);
    on(&phone, &["correct", &household, "--set", "head_name=Rameshwar Prasad Yadav"]).ok();
    on(&second, &["correct", &household, "--set", "head_name=Rameshwar Yadav (Mukhiya)"]).ok();
    meet(&phone);
    meet(&second);
    meet(&phone);
    click(&c, "#nav-registers").await;
    type_into(&c, "#search", "12").await;
    click(&c, "#search-form button").await;
    wait_text(&c, "#results", "the household", |t| t.contains("1 मिले")).await;
    click(&c, "#results .open").await;
    let conflict =
        wait_text(&c, "#profile .conflict", "the conflict", |t| t.contains("दो फ़ोनों ने एक साथ अलग लिखा")).await;
    assert!(conflict.contains("मुखिया का नाम") && conflict.contains("रखा गया"), "{conflict}");
    shot(&c, "app-7b-conflict-hi").await;
    // She keeps the value that was not shown.
    let before = on(&phone, &["entries", "--about", &household, "--json"]).ok().json();
    let other = before[0]["conflicts"][0]["also_written"][0].as_str().unwrap().to_owned();
    click(&c, "#profile .conflict .keep-other").await;
    wait_text(&c, "#profile", "settled", |t| !t.contains("दो फ़ोनों ने")).await;
    meet(&phone);
    meet(&second);
    let there = on(&second, &["entries", "--about", &household, "--json"]).ok().json();
    assert!(there[0].get("conflicts").is_none(), "settled on the other phone too: {there}");
    assert_eq!(there[0]["fields"]["head_name"], other.as_str());

    // In English, by the switch.
    click(&c, "#lang").await;
    wait_text(&c, "#nav-home", "English", |t| t == "Today").await;
    click(&c, "#nav-home").await;
    wait_text(&c, "#home-summary", "the English summary", |t| t.contains("services")).await;
    shot(&c, "app-8-home-en").await;
    let _ = c.close().await;
}
