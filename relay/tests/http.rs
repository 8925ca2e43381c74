//! The block relay's helpdesk HTTP API, with the real `sampark-relay run` process on loopback:
//! health, metrics and the OpenAPI document; logins, sessions and CSRF; the queue and its
//! filters; an operator's comment, assignment and resolution signed with the operator's key; the
//! rules' refusals as 409; centres; the dashboard's headers; a graceful stop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use http_support::{AWC, Chain, Client, Relay, add_operator, relay_cmd};
use serde_json::{Value, json};

const PASSWORD: &str = "धीरे-धीरे 2024";

fn tickets(client: &Client, query: &str) -> Vec<Value> {
    let (status, body) = client.get(&format!("/api/tickets{query}"));
    assert_eq!(status, 200, "{query}: {body}");
    body["tickets"].as_array().unwrap().clone()
}

fn error_kind(answer: (u16, Value)) -> (u16, String) {
    (answer.0, answer.1["kind"].as_str().unwrap_or_default().to_owned())
}

/// Every route of the OpenAPI document is served: asked without a session, none answers the
/// "no such route" 404 or 405.
fn every_documented_route_answers(client: &Client) {
    let (status, doc) = client.get("/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete =
            path.replace("{id}", "0123456789abcdef").replace("{action}", "comment").replace("{file}", "app.js");
        for method in item.as_object().unwrap().keys() {
            let answer = match method.as_str() {
                "get" => client.get_full(&concrete),
                "post" => client.post_with(&concrete, "{}", None),
                other => panic!("unexpected method {other} for {path}"),
            };
            let words = answer.body["error"].as_str().unwrap_or_default();
            assert!(
                answer.status != 405 && !words.starts_with("there is no"),
                "{method} {path}: {} {words}",
                answer.status
            );
        }
    }
}

#[test]
fn a_block_operator_works_the_queue_over_http() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    add_operator(&chain.path("block"), "ravi", "ravi-password");
    add_operator(&chain.path("other"), "mohan", "mohan-password");
    let ids =
        chain.raise_at_block(&[("sync", "डेटा सिंक नहीं हो रहा\nदो दिन से"), ("app-error", "app crashes on the due list")]);
    let relay = Relay::start(&chain.path("block"), &["--duty-every", "1"]);
    let anon = relay.client();

    // Open to all: health, metrics, the OpenAPI document, the dashboard.
    let (status, health) = anon.get("/healthz");
    assert_eq!(status, 200);
    assert_eq!(
        (health["ok"].as_bool(), health["tier"].as_str(), health["scope"].as_str()),
        (Some(true), Some("block"), Some("BR/DBG/P07"))
    );
    assert_eq!(health["key"].as_str().unwrap().len(), 64);
    every_documented_route_answers(&anon);
    let page = anon.get_full("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-security-policy"), Some("default-src 'self'"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(anon.get_full("/assets/app.js").header("content-type").unwrap().contains("javascript"));
    assert!(anon.get_full("/assets/reports.js").header("content-type").unwrap().contains("javascript"));
    assert!(anon.get_full("/assets/style.css").header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(anon.get_full("/assets/nothing.js").status, 404);

    // Without a session, nothing under /api/ but login.
    let one = format!("/api/tickets/{}", ids[0]);
    for path in ["/api/me", "/api/tickets", "/api/centres", one.as_str()] {
        assert_eq!(error_kind(anon.get(path)), (401, "unauthorised".into()), "{path}");
    }
    assert_eq!(error_kind(anon.post("/api/logout", "")), (401, "unauthorised".into()));

    // Wrong password and unknown user: the same 401; an operator of another block is unknown here.
    let wrong = try_login(&anon, "asha", "wrong password");
    let unknown = try_login(&anon, "nobody", PASSWORD);
    let elsewhere = try_login(&anon, "mohan", "mohan-password");
    for a in [&wrong, &unknown, &elsewhere] {
        assert_eq!((a.status, a.body["kind"].as_str()), (401, Some("unauthorised")), "{}", a.body);
        assert_eq!(a.body, wrong.body);
        assert!(a.header("set-cookie").is_none());
    }
    assert_eq!(try_login(&anon, "asha", PASSWORD).status, 200, "a few failures do not lock a name out");
    let bad = anon.post_with("/api/login", r#"{"user":"asha","password":"x","remember":true}"#, None);
    assert_eq!((bad.status, bad.body["kind"].as_str()), (400, Some("invalid")), "unknown fields are refused");
    let huge = anon.post_with("/api/login", &format!(r#"{{"user":"asha","password":"{}"}}"#, "x".repeat(70_000)), None);
    assert_eq!(huge.status, 413);

    // Logged in.
    let mut asha = relay.client();
    let login = asha.login("asha", PASSWORD);
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert_eq!(asha.cookie.as_ref().unwrap().len(), 64);
    let me = login.body.clone();
    assert_eq!(
        (me["user"].as_str(), me["tier"].as_str(), me["scope"].as_str()),
        (Some("asha"), Some("block"), Some("BR/DBG/P07"))
    );
    assert_ne!(me["key"], health["key"], "the operator has a key of her own");
    let (status, again) = asha.get("/api/me");
    assert_eq!((status, &again), (200, &me));

    // The queue and its filters.
    let all = tickets(&asha, "");
    assert_eq!(all.len(), 2);
    let first = all.iter().find(|t| t["id"] == ids[0]).unwrap();
    assert_eq!(first["text"], "डेटा सिंक नहीं हो रहा", "the first line");
    assert_eq!(
        (first["status"].as_str(), first["tier"].as_str(), first["awc"].as_str()),
        (Some("open"), Some("block"), Some(AWC))
    );
    assert_eq!(first["short"].as_str().unwrap(), &ids[0][..8]);
    assert!(first["age_ms"].as_i64().unwrap() >= 0);
    assert_eq!(tickets(&asha, "?category=sync").len(), 1);
    assert_eq!(tickets(&asha, "?status=open&tier=block").len(), 2);
    assert_eq!(tickets(&asha, "?tier=district").len(), 0);
    assert_eq!(tickets(&asha, "?awc=BR/DBG/P07/S03").len(), 2);
    assert_eq!(tickets(&asha, "?awc=BR%2FDBG%2FP07%2FS03%2FA0412").len(), 2);
    assert_eq!(tickets(&asha, "?awc=BR/DBG/P08").len(), 0);
    assert_eq!(tickets(&asha, "?min_age_hours=0").len(), 2);
    assert_eq!(tickets(&asha, "?min_age_hours=1000").len(), 0);
    for bad in
        ["?status=pending", "?tier=village", "?category=weather", "?awc=bihar", "?min_age_hours=soon", "?sort=age"]
    {
        assert_eq!(error_kind(asha.get(&format!("/api/tickets{bad}"))), (400, "invalid".into()), "{bad}");
    }

    // The relay stamps its receipt by itself; the ticket shows when the block first had it.
    let id = &ids[0];
    let shown = asha.wait_for(&format!("/api/tickets/{}", &id[..10]), "the block's receipt", |b| {
        b["ticket"]["tiers"]["block"].is_i64()
    });
    assert_eq!(shown["ticket"]["id"], *id);
    assert!(shown["ticket"]["deadline"].is_i64());
    assert_eq!(shown["ticket"]["timeline"][0]["action"], "raised");
    assert_eq!(shown["ticket"]["timeline"][0]["by"]["role"], "sevika");
    assert_eq!(shown["ticket"]["timeline"][1]["action"], "received");
    assert_eq!(shown["ticket"]["timeline"][1]["by"]["key"], health["key"]);

    // CSRF: a POST without the token, or with another, is refused and does nothing.
    let comment = format!("/api/tickets/{id}/comment");
    let body = json!({"text": "देख रहे हैं"}).to_string();
    for token in [None, Some("0".repeat(64).as_str())] {
        let a = asha.post_with(&comment, &body, token);
        assert_eq!((a.status, a.body["kind"].as_str()), (403, Some("forbidden")), "{token:?}");
    }

    // Comment, assign to a colleague, resolve: each signed with asha's key.
    let (status, after) = asha.post(&comment, &body);
    assert_eq!(status, 200, "{after}");
    let (status, after) = asha.post(&format!("/api/tickets/{id}/assign"), r#"{"to":"ravi"}"#);
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["ticket"]["assigned_user"], "ravi");
    let (status, after) = asha.post(&format!("/api/tickets/{id}/resolve"), r#"{"text":"ऐप अपडेट करें"}"#);
    assert_eq!(status, 200, "{after}");
    let ticket = &after["ticket"];
    assert_eq!((ticket["status"].as_str(), ticket["resolution"].as_str()), (Some("resolved"), Some("ऐप अपडेट करें")));
    let steps = ticket["timeline"].as_array().unwrap();
    let actions: Vec<&str> = steps.iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["raised", "received", "commented", "assigned", "resolved"]);
    for step in &steps[2..] {
        let by = &step["by"];
        assert_eq!(
            (&by["key"], by["user"].as_str(), by["role"].as_str(), by["tier"].as_str()),
            (&me["key"], Some("asha"), Some("operator"), Some("block"))
        );
        assert!(step.get("refused").is_none(), "{step}");
    }
    assert_eq!(steps[3]["to"]["user"], "ravi");
    assert_eq!(tickets(&asha, "?status=resolved").len(), 1);

    // Rules: a block operator escalates the other ticket, then may no longer resolve it (409, the
    // rule's words, nothing stored); an empty comment and an unknown action are refused.
    let other = &ids[1];
    let (status, up) = asha.post(&format!("/api/tickets/{other}/escalate"), r#"{"text":"needs the district"}"#);
    assert_eq!((status, up["ticket"]["tier"].as_str()), (200, Some("district")), "{up}");
    let (status, refused) = asha.post(&format!("/api/tickets/{other}/resolve"), r#"{"text":"done"}"#);
    assert_eq!((status, refused["kind"].as_str()), (409, Some("refused")), "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("only the holding tier's operators resolve"), "{refused}");
    let (_, unchanged) = asha.get(&format!("/api/tickets/{other}"));
    assert_eq!(
        unchanged["ticket"]["timeline"].as_array().unwrap().len(),
        up["ticket"]["timeline"].as_array().unwrap().len()
    );
    assert_eq!(error_kind(asha.post(&format!("/api/tickets/{other}/pullup"), "{}")), (409, "refused".into()));
    assert_eq!(error_kind(asha.post(&comment, r#"{"text":"  "}"#)), (400, "invalid".into()));
    assert_eq!(error_kind(asha.post(&format!("/api/tickets/{id}/delete"), "{}")), (404, "not-found".into()));
    assert_eq!(
        error_kind(asha.post(&format!("/api/tickets/{id}/assign"), r#"{"to":"nobody"}"#)),
        (400, "invalid".into())
    );
    assert_eq!(error_kind(asha.get("/api/tickets/ffffffffff")), (404, "not-found".into()));
    assert_eq!(error_kind(asha.get("/api/tickets/xyz")), (400, "invalid".into()));

    // Centres: the sevika's centre, with its documents and what is still open.
    let (status, centres) = asha.get("/api/centres");
    assert_eq!(status, 200);
    let centre = centres["centres"].as_array().unwrap().iter().find(|c| c["awc"] == AWC).unwrap().clone();
    assert_eq!((centre["documents"].as_u64(), centre["pending"].as_u64()), (Some(2), Some(1)), "{centre}");
    assert!(centre["last_change"].is_i64() && centre["last_contact"].is_null() && centre["stale"] == false, "{centre}");

    // Metrics count what the relay holds and the answers it gave.
    let metrics = anon.get_full("/metrics");
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    for line in [
        "sampark_tickets{tier=\"block\",status=\"resolved\"} 1",
        "sampark_tickets{tier=\"district\",status=\"open\"} 1",
        "sampark_tickets_overdue 0",
        "sampark_documents 2",
        "sampark_centres_stale{days=\"7\"} 0",
        "sampark_http_requests_total{code=\"401\"}",
        "sampark_http_requests_total{code=\"409\"}",
        "# TYPE sampark_store_bytes gauge",
    ] {
        assert!(metrics.text.lines().any(|l| l.starts_with(line)), "no {line:?} in\n{}", metrics.text);
    }

    // While the relay runs, its store is in use: operators are added with the relay stopped.
    let busy = relay_cmd(
        &["operator", "add", "--home", chain.path("block").to_str().unwrap(), "--user", "late"],
        "late-password\n",
    );
    assert_eq!(busy.code, 1);
    assert!(busy.stderr.contains("in use"), "{}", busy.stderr);

    // Logout ends the session.
    assert_eq!(asha.post_with("/api/logout", "", None).status, 403);
    assert_eq!(asha.post("/api/logout", "").0, 204);
    assert_eq!(error_kind(asha.get("/api/me")), (401, "unauthorised".into()));

    // SIGTERM stops the daemon and its helpdesk cleanly.
    assert_eq!(relay.stop(), 0);
}

#[test]
fn repeated_failures_lock_a_user_name_out_for_a_while() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", PASSWORD);
    let relay = Relay::start(&chain.path("block"), &[]);
    let client = relay.client();
    for _ in 0..5 {
        assert_eq!(try_login(&client, "asha", "wrong password").status, 401);
    }
    let locked = try_login(&client, "asha", PASSWORD);
    assert_eq!((locked.status, locked.body["kind"].as_str()), (429, Some("throttled")), "{}", locked.body);
    assert!(locked.header("retry-after").is_some());
    assert_eq!(try_login(&client, "ravi", "whatever-else").status, 401, "other names are not locked");
}

/// Tries a login without keeping what it gives.
fn try_login(client: &Client, user: &str, password: &str) -> http_support::Answer {
    client.post_with("/api/login", &json!({"user": user, "password": password}).to_string(), None)
}
