//! The dashboard's reports in a real headless Chromium (WebDriver, chromedriver) on a real
//! `sampark-relay run --http`: service coverage and the SMS outbox.
//!
//! Two sevikas' phones record registers that reach the block relay: at centre A0412 (sector
//! S03) two children born ten weeks before the 15th of last month, one given Pentavalent-1
//! within its window and one three days late, and a child six weeks old tomorrow; at A0519
//! (sector S04) one child given it on time. In the browser, the coverage of this month says it
//! is partial; last month's shows Pentavalent-1 due to 3 and given within the window to 2 at the
//! block (66%, rounded down), with its Hindi name; the sectors are listed weakest first; S03 and
//! then A0412 show 2 and 1 (50%, with a bar half full), the crumbs lead back, and services under
//! half are marked in words; beside them the nutrition outcomes (four children, none weighed),
//! and under the centre's coverage its monthly progress report, every cell as the API gives it,
//! printable alone. Then the SMS screen: the relay runs without a gateway, so the
//! family's "due tomorrow" and the sevika's "overdue" messages are queued, with masked numbers
//! (no whole number anywhere on the page), counts per state and a filter. Restarted with a
//! stand-in Kannel `sendsms` that accepts every number but the sevika's, the family's message
//! shows as sent and the sevika's as failed, with its next try and the gateway's answer.
//!
//! Needs Chromium and chromedriver, like `dashboard.rs`; `SAMPARK_SKIP_BROWSER=1` skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod browser_support;
mod http_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use browser_support::{PATIENCE, api, browser, click, js, launch, shot, text, type_into, wait_text};
use fantoccini::Client;
use http_support::{AWC, Chain, Relay, add_operator};
use sampark_crdt::Timestamp;
use sampark_crdt::due::Day;
use sampark_node::ops::wall_clock;
use serde_json::{Value, json};

const OTHER_AWC: &str = "BR/DBG/P07/S04/A0519";
const USER: &str = "asha";
const PASSWORD: &str = "helpdesk-p07-pass";
/// The family of the child due tomorrow, and the sevika of A0412 (who reads English).
const FAMILY: &str = "9876543210";
const SEVIKA: &str = "9123456780";

fn household(number: &str, phone: &str) -> Value {
    json!({"register": "household", "number": number, "head_name": "Ramesh", "caste": "obc",
           "religion": "hindu", "minority": false, "bpl": true, "phone": phone})
}

fn child(household: &str, name: &str, dob: Day) -> Value {
    json!({"register": "member", "household": household, "name": name, "dob": dob.to_string(), "sex": "female",
           "relation": "daughter", "migration": "resident", "sms_opt_out": false})
}

fn dose(child: &str, vaccine: &str, date: Day) -> Value {
    json!({"register": "immunisation", "beneficiary": child, "vaccine": vaccine, "date": date.to_string()})
}

/// A stand-in for Kannel's `sendsms`: accepts every message (`202`, `0: Accepted for
/// delivery`) except those to `refuse`, which get `503` and Kannel's "Sending failed".
fn gateway(refuse: &str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = format!("to=%2B91{refuse}");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            let (status, body) = if line.contains(&refused) {
                ("503 Service Unavailable", "Sending failed.")
            } else {
                ("202 Accepted", "0: Accepted for delivery")
            };
            let answer = format!(
                "HTTP/1.0 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// Waits until `script` returns true in the page.
async fn wait_js(c: &Client, script: &str, what: &str) {
    let started = Instant::now();
    while js(c, script).await != true {
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}: the page shows {}", text(c, "body").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element `id` is shown.
async fn shown(c: &Client, id: &str) {
    wait_js(c, &format!("const e = document.getElementById('{id}'); return !!e && !e.hidden"), id).await;
}

/// Logs in with the keyboard (Enter submits); waits for the navigation.
async fn log_in(c: &Client) {
    shown(c, "login-view").await;
    type_into(c, "#login-user", USER).await;
    type_into(c, "#login-password", &format!("{PASSWORD}\u{E007}")).await;
    wait_text(c, "#who-name", "the operator's name", |t| t.contains(USER)).await;
}

/// The cells of the services table's row for `service`: [name, eligible, delivered, share].
async fn service_row(c: &Client, service: &str) -> Vec<String> {
    let row = format!("#cov-services-body tr[data-service='{service}']");
    wait_text(c, &row, service, |t| !t.is_empty()).await;
    let cells = js(
        c,
        &format!(
            "return [...document.querySelector(\"{row}\").children].map(e => e.innerText.replace(/\\s+/g, ' ').trim())"
        ),
    )
    .await;
    cells.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// The shares shown in the services table, top to bottom (`None` for "nobody due").
async fn shares_shown(c: &Client) -> Vec<Option<u64>> {
    let v = js(
        c,
        "return [...document.querySelectorAll('#cov-services-body tr')].map(r => {
           const p = r.querySelector('.pct'); return p ? parseInt(p.textContent, 10) : null; })",
    )
    .await;
    v.as_array().unwrap().iter().map(Value::as_u64).collect()
}

/// The relay's outbox once `done` holds for it, asked by the page with its session.
async fn outbox(c: &Client, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let body = api(c, "/api/alerts").await;
        if let Some(a) = body["alerts"].as_array().filter(|a| done(a)) {
            return a.clone();
        }
        assert!(started.elapsed() < PATIENCE, "waited for {what}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_and_sms_alerts_in_a_real_browser() {
    let Some(tools) = browser() else { return };
    let started = Instant::now();
    // Certified 80 days ago: last month's registers are written by a phone whose clock is in
    // last month, so the month is as reported whenever the test runs (a closed month shows
    // what was written after its close as late, not in its figures).
    let chain = Chain::since(Timestamp(wall_clock().0 - 80 * 86_400_000));
    chain.enrol_phone("phone2", OTHER_AWC);

    // Pentavalent-1 is due from 6 weeks and overdue after 10: born 70 days before the 15th of
    // last month, its window closes then, so it counts in last month.
    let today = Day::of_millis_ist(wall_clock().0);
    let closes = today.month_start().plus_days(-1).month_start().plus_days(14);
    let dob = closes.plus_days(-70);
    let due_tomorrow = today.plus_days(1).plus_days(-42);
    let written = Timestamp(today.month_start().number() * 86_400_000 - 86_400_000 / 2);
    chain.record_at_block_on(
        "phone",
        written,
        &[
            household("1", "9000000010"),
            child("#0", "आशा", dob),
            dose("#1", "PENTA-1", closes.plus_days(-10)),
            household("2", "9000000011"),
            child("#3", "बीनू", dob),
            dose("#4", "PENTA-1", closes.plus_days(3)),
        ],
    );
    chain.record_at_block("phone", &[household("3", FAMILY), child("#0", "चंदा", due_tomorrow)]);
    chain.record_at_block_on(
        "phone2",
        written,
        &[household("1", "9000000020"), child("#0", "चिनू", dob), dose("#1", "PENTA-1", closes.plus_days(-10))],
    );
    let contacts = json!({"centres": {AWC: {"phone": SEVIKA, "name": "Anita", "lang": "en"}}});
    let block = chain.path("block");
    std::fs::write(block.join("contacts.json"), contacts.to_string()).unwrap();
    add_operator(&block, USER, PASSWORD);

    // Without --sms-gateway: alerts are computed and queued, not sent.
    let relay = Relay::start(&block, &["--alerts-every", "1s"]);
    let (http, base) = (relay.http, format!("http://{}", relay.http));
    let (c, _driver) = launch(tools, chain.dir.path()).await;
    c.goto(&format!("{base}/#/coverage")).await.unwrap();
    log_in(&c).await;

    // This month: partial while it is not over (as the relay says).
    wait_text(&c, "#coverage-title", "the coverage screen", |t| t == "सेवाओं का कवरेज").await;
    assert_eq!(text(&c, "#nav-coverage").await, "सेवा कवरेज");
    let now = api(&c, "/api/coverage").await;
    let status = wait_text(&c, "#cov-status", "this month's status", |t| t.contains("टीकाकरण सूची")).await;
    if now["partial"] == true {
        assert!(status.contains("आंशिक") && status.contains("अभी पूरा नहीं हुआ"), "{status}");
    } else {
        assert!(status.contains("पूरा महीना"), "{status}");
    }
    assert_eq!(js(&c, "return document.querySelector('#cov-month').value").await, now["month"]);

    // Last month, whole: Pentavalent-1 due to 3 at the block, given within the window to 2.
    click(&c, "#cov-prev").await;
    let last_month = closes.month_text();
    wait_text(&c, "#cov-status", "last month's status", |t| t.contains("पूरा महीना")).await;
    assert_eq!(js(&c, "return document.querySelector('#cov-month').value").await, last_month.as_str());
    wait_text(&c, "#cov-services-title", "the block's services", |t| t.contains("प्रखंड BR/DBG/P07")).await;
    let penta = service_row(&c, "PENTA-1").await;
    assert_eq!(penta, ["पेंटावैलेंट-1 PENTA-1", "3", "2", "66%"], "{penta:?}");
    // Weakest first; services under half marked in words.
    let shares = shares_shown(&c).await;
    assert!(shares.windows(2).all(|w| w[0] <= w[1]), "not weakest first: {shares:?}");
    let opv = service_row(&c, "OPV-1").await;
    assert_eq!(&opv[1..], ["3", "0", "0% ⚠ आधे से कम"], "{opv:?}");
    // The sectors, weakest first: S03 (one dose late) before S04.
    let sectors = wait_text(&c, "#cov-children-body", "the sectors", |t| t.contains("S04")).await;
    assert!(sectors.find("S03").unwrap() < sectors.find("S04").unwrap(), "{sectors}");
    assert_eq!(text(&c, "#cov-children-title").await, "सेक्टर, सबसे कमज़ोर पहले");
    // Beside them, the nutrition outcomes: four children under five last month, none weighed.
    wait_text(&c, "#cov-nutrition-title", "the nutrition box", |t| t.contains("पोषण और टीकाकरण")).await;
    let weighed = text(&c, "#cov-nutrition-body tr[data-indicator='weighed'] td.now").await;
    assert_eq!(weighed, "0 / 4 (0%)");
    let wasted = text(&c, "#cov-nutrition-body tr[data-indicator='wasted'] td.now").await;
    assert_eq!(wasted, "—", "no weighing, no wasting figure");
    shot(&c, "r1-coverage-block-hi").await;
    // The 5-6-year-olds' rows, after the under-fives' (none here).
    let thin = text(&c, "#cov-nutrition-body tr[data-indicator='thin_5_6'] th").await;
    assert_eq!(thin, "दुबलापन (5–6 वर्ष, उम्र के हिसाब से BMI कम)");
    assert_eq!(text(&c, "#cov-nutrition-body tr[data-indicator='thin_5_6'] td.now").await, "—");
    js(&c, "document.querySelector('#cov-nutrition-box').scrollIntoView(); return true").await;
    shot(&c, "r1b-nutrition-block-hi").await;
    js(&c, "window.scrollTo(0, 0); return true").await;

    // Down to the sector and the centre: 2 due, 1 within the window, 50%, the bar half full.
    click(&c, "#cov-children-body tr[data-scope='BR/DBG/P07/S03'] a").await;
    wait_text(&c, "#cov-services-title", "the sector's services", |t| t.contains("सेक्टर BR/DBG/P07/S03")).await;
    assert_eq!(service_row(&c, "PENTA-1").await[1..], ["2", "1", "50%"]);
    assert_eq!(js(&c, "return document.activeElement.id").await, "cov-services-title", "the focus follows");
    click(&c, &format!("#cov-children-body tr[data-scope='{AWC}'] a")).await;
    wait_text(&c, "#cov-services-title", "the centre's services", |t| t.contains(&format!("केंद्र {AWC}"))).await;
    assert_eq!(service_row(&c, "PENTA-1").await[1..], ["2", "1", "50%"]);
    let fill = js(
        &c,
        "const r = document.querySelector(\"#cov-services-body tr[data-service='PENTA-1']\");
         return Math.round(100 * r.querySelector('.bar-fill').getBoundingClientRect().width
                           / r.querySelector('.bar').clientWidth)",
    )
    .await;
    assert_eq!(fill, 50, "the bar is drawn (under the page's policy) half full");
    let crumbs = text(&c, "#cov-crumbs").await;
    assert!(crumbs.contains("प्रखंड BR/DBG/P07") && crumbs.contains("सेक्टर BR/DBG/P07/S03"), "{crumbs}");
    let hash = js(&c, "return decodeURIComponent(location.hash)").await;
    assert_eq!(hash, format!("#/coverage?month={last_month}&scope={AWC}"), "the address keeps the place");
    shot(&c, "r2-coverage-centre-hi").await;

    // Under the centre's coverage, its monthly progress report: every cell the API gives, on
    // the page, in Hindi; printed alone.
    wait_text(&c, "#cov-mpr-title", "the centre's report", |t| t.contains("मासिक प्रगति प्रतिवेदन")).await;
    let report = api(&c, &format!("/api/mpr?month={last_month}&centre={AWC}")).await;
    let expected: Vec<Value> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rows"].as_array().unwrap().clone())
        .map(|r| {
            let per_mille = r["unit"] == "per-mille";
            let show = |c: &Value| match c.as_u64() {
                None => "—".to_owned(),
                Some(n) if per_mille => format!("{}.{}%", n / 10, n % 10),
                Some(n) => n.to_string(),
            };
            // A closed month: what was written after the close, beside the figure it changes.
            let cells: Vec<String> = r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, c)| match r["current"].get(i) {
                    Some(later) if later != c => format!("{} [बाद में: {}]", show(c), show(later)),
                    _ => show(c),
                })
                .collect();
            json!([r["id"], cells])
        })
        .collect();
    wait_text(&c, "#cov-mpr-body", "the report's tables", |t| t.contains("जीवित जन्म")).await;
    let on_page = js(
        &c,
        "return [...document.querySelectorAll('#cov-mpr-body tr[data-row]')]
           .map(r => [r.dataset.row, [...r.querySelectorAll('td')].map(td => td.textContent)])",
    )
    .await;
    assert_eq!(on_page, Value::Array(expected), "the page shows the report the API gives");
    let title = text(&c, "#cov-mpr-body table[data-section='6'] caption").await;
    assert!(title.starts_with("6. वृद्धि निगरानी"), "{title}");
    let printed = js(
        &c,
        "window.print = () => { window.printedAlone = document.body.classList.contains('printing-mpr'); };
         document.querySelector('#cov-mpr-print').click();
         return window.printedAlone === true",
    )
    .await;
    assert_eq!(printed, true, "the report is printed alone");
    js(&c, "document.querySelector('#cov-mpr-box').scrollIntoView(); return true").await;
    shot(&c, "r2b-mpr-centre-hi").await;

    // In English: the schedule's English names; back up to the block by the crumbs.
    click(&c, ".lang-button[data-lang='en']").await;
    let penta = service_row(&c, "PENTA-1").await;
    assert_eq!(penta[0], "Pentavalent-1 PENTA-1");
    click(&c, "#cov-crumb-list a").await;
    wait_text(&c, "#cov-services-title", "the block again", |t| t.starts_with("Block BR/DBG/P07")).await;
    assert_eq!(service_row(&c, "PENTA-1").await[1..], ["3", "2", "66%"]);
    assert!(text(&c, "#cov-status").await.contains("the whole month"));
    shot(&c, "r3-coverage-block-en").await;
    click(&c, ".lang-button[data-lang='hi']").await;

    // The SMS screen: the family's and the sevika's messages queued, numbers masked.
    outbox(&c, "two queued alerts", |a| {
        a.iter().any(|m| m["phone"] == FAMILY) && a.iter().any(|m| m["phone"] == SEVIKA)
    })
    .await;
    // The rest of the relay's round, if any, queued too.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let queued = outbox(&c, "the alerts", |_| true).await;
    assert!(queued.iter().all(|m| m["state"] == "queued"), "{queued:?}");
    click(&c, "#nav-sms").await;
    wait_text(&c, "#sms-title", "the SMS screen", |t| t == "SMS संदेश").await;
    let n = queued.len();
    let counts = wait_text(&c, "#sms-counts", "the counts", |t| t.contains(&format!("सभी: {n}"))).await;
    assert!(counts.contains(&format!("◷ कतार में: {n}")) && counts.contains("✓ भेजा गया: 0"), "{counts}");
    let rows = text(&c, "#sms-body").await;
    assert!(rows.contains("98xxxxx210") && rows.contains("91xxxxx780"), "{rows}");
    assert!(rows.contains("कल सेवा देय") && rows.contains("बकाया सेवाएँ"), "{rows}");
    assert!(rows.contains("लाभार्थी") && rows.contains("सेविका") && rows.contains("अंग्रेज़ी"), "{rows}");
    let page = js(&c, "return document.body.textContent").await;
    let page = page.as_str().unwrap();
    assert!(!page.contains(FAMILY) && !page.contains(SEVIKA), "a whole number is in the page: {page}");
    shot(&c, "r4-sms-queued-hi").await;
    click(&c, "#sms-counts button[data-state='sent']").await;
    shown(&c, "sms-empty").await;
    assert_eq!(text(&c, "#sms-empty").await, "इस स्थिति में कोई संदेश नहीं है।");
    assert!(js(&c, "return document.getElementById('sms-table').hidden").await == true);
    assert_eq!(js(&c, "return document.activeElement.dataset.state").await, "sent", "the focus stays on the filter");

    // Restarted with a gateway that refuses the sevika's number: the family's message is sent,
    // the sevika's failed, with its next try and the gateway's answer.
    assert_eq!(relay.stop(), 0);
    let port = gateway(SEVIKA);
    let password = chain.path("sms-password");
    std::fs::write(&password, "s3cret\n").unwrap();
    std::fs::set_permissions(&password, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let args = ["--alerts-every", "1s", "--sms-gateway", &url, "--sms-password-file", password.to_str().unwrap()];
    let relay = Relay::start_on(&block, http, &[&args[..], &["--sms-retry", "1h"]].concat());
    c.goto(&format!("{base}/#/sms?state=failed")).await.unwrap();
    log_in(&c).await;
    let after = outbox(&c, "sent and failed", |a| {
        a.iter().any(|m| m["phone"] == FAMILY && m["state"] == "sent")
            && a.iter().any(|m| m["phone"] == SEVIKA && m["state"] == "failed")
            && a.iter().all(|m| m["state"] == "sent" || m["state"] == "failed")
    })
    .await;
    let count = |state: &str| after.iter().filter(|m| m["state"] == state).count();
    let (sent, failed) = (count("sent"), count("failed"));
    assert_eq!(sent + failed, n, "{after:?}");
    click(&c, "#sms-refresh").await;
    let counts = wait_text(&c, "#sms-counts", "the new counts", |t| t.contains(&format!("✓ भेजा गया: {sent}"))).await;
    assert!(counts.contains(&format!("✗ नहीं गया: {failed}")) && counts.contains("◷ कतार में: 0"), "{counts}");
    let row = wait_text(&c, "#sms-body", "the failed message", |t| t.contains("91xxxxx780")).await;
    assert!(row.contains("✗ नहीं गया") && row.contains("फिर कोशिश:") && row.contains("बाद"), "{row}");
    assert!(row.contains("the gateway refused: HTTP 503: Sending failed."), "{row}");
    assert!(!row.contains("98xxxxx210"), "only failed messages are shown: {row}");
    shot(&c, "r5-sms-failed-hi").await;
    click(&c, "#sms-counts button[data-state='all']").await;
    let rows = wait_text(&c, "#sms-body", "every message", |t| t.contains("98xxxxx210")).await;
    assert!(rows.contains("✓ भेजा गया") && rows.contains("भेजा:"), "{rows}");

    c.close().await.unwrap();
    assert_eq!(relay.stop(), 0);
    println!("dashboard reports test: {:.1} s", started.elapsed().as_secs_f64());
}
