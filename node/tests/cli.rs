//! The `sampark-node` command line, as real processes: init, enroll, record, tickets and status,
//! first on a home no daemon runs on (each command opens the store itself), then while a daemon
//! serves the home (the same commands go through its local API); bad input gives a clear error
//! and exit code either way; the API itself refuses bad requests with JSON errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod process;

use std::fs;
use std::path::{Path, PathBuf};

use process::{Daemon, cli, on};
use sampark_crdt::{Certificate, CertificateBody, Keypair, PublicKey, Role, Scope, Timestamp, TrustStore};
use sampark_node::daemon::DaemonFile;
use sampark_node::home::Home;
use sampark_node::ops::EnrolFile;
use serde_json::{Value, json};

const AWC: &str = "BR/DBG/P07/S03/A0412";

fn now() -> Timestamp {
    sampark_node::ops::wall_clock()
}

/// A state root and a district relay, issuing certificates for homes made with `init`.
struct Provision {
    district: Keypair,
    trust: TrustStore,
}

fn cert(issuer: &Keypair, subject: PublicKey, role: Role, scope: &str) -> Certificate {
    CertificateBody {
        subject,
        role,
        scope: Scope::parse(scope).unwrap(),
        not_before: now().plus_hours(-1),
        not_after: now().plus_days(365),
        programme: Default::default(),
    }
    .sign(issuer)
    .unwrap()
}

impl Provision {
    fn new() -> Provision {
        let root = Keypair::from_secret([1; 32]);
        let district = Keypair::from_secret([2; 32]);
        let mut trust = TrustStore::new(root.public());
        trust.add_certificate(cert(&root, root.public(), Role::StateHub, "BR")).unwrap();
        trust.add_certificate(cert(&root, district.public(), Role::DistrictRelay, "BR/DBG")).unwrap();
        Provision { district, trust }
    }

    /// `init` a home; returns its key.
    fn init(&self, home: &Path) -> PublicKey {
        let out = on(home, &["init", "--json"]).ok();
        out.json()["key"].as_str().unwrap().parse().unwrap()
    }

    /// Certifies `key` as `role` over `scope` (issued by `issuer`) and writes its enrolment file.
    fn enrolment(&mut self, key: PublicKey, role: Role, scope: &str, issuer: &Keypair, file: &Path) {
        self.trust.add_certificate(cert(issuer, key, role, scope)).unwrap();
        fs::write(file, EnrolFile::for_key(&self.trust, &key).to_json()).unwrap();
    }

    /// `init` and enrol a block relay for BR/DBG/P07; returns its key pair (read from its home).
    fn relay(&mut self, home: &Path) -> Keypair {
        let key = self.init(home);
        let file = home.with_extension("enrol.json");
        let district = Keypair::from_secret(self.district.secret());
        self.enrolment(key, Role::BlockRelay, "BR/DBG/P07", &district, &file);
        on(home, &["enroll", "--cert", file.to_str().unwrap()]).ok();
        Home::new(home).key().unwrap()
    }

    /// `init` and enrol a sevika of `awc`, certified by the block relay `relay`.
    fn sevika(&mut self, home: &Path, awc: &str, relay: &Keypair) -> PublicKey {
        let key = self.init(home);
        let file = home.with_extension("enrol.json");
        self.enrolment(key, Role::Sevika, awc, relay, &file);
        on(home, &["enroll", "--cert", file.to_str().unwrap(), "--json"]).ok();
        key
    }
}

fn growth(child: &str, weight: f64) -> String {
    json!({"child": child, "date": "2026-11-03", "weight_kg": weight, "oedema": false}).to_string()
}

/// A provisioned sevika home in a fresh directory.
fn sevika_home() -> (tempfile::TempDir, PathBuf, PublicKey) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Provision::new();
    let relay = p.relay(&dir.path().join("relay"));
    let home = dir.path().join("phone");
    let key = p.sevika(&home, AWC, &relay);
    (dir, home, key)
}

/// Records, raises, comments, lists, shows and reports status on `home`, checking the answers;
/// returns the ticket ID. Works the same with or without a daemon.
fn exercise(home: &Path, key: &PublicKey, already: usize) -> String {
    let rec =
        on(home, &["record", "--register", "growth", "--entry", &growth("0a1b2c3d-1767225600000-0", 9.4), "--json"])
            .ok()
            .json();
    assert_eq!(rec["doc"], format!("{AWC}:growth/2026-11"));
    assert!(rec["entry_id"].as_str().unwrap().starts_with(&key.short()));

    let raised =
        on(home, &["ticket", "raise", "--category", "sync", "--text", "डेटा सिंक नहीं हो रहा", "--json"]).ok().json();
    let id = raised["id"].as_str().unwrap().to_string();
    assert_eq!((raised["status"].as_str(), raised["tier"].as_str()), (Some("open"), Some("block")));
    let prefix = &id[..8];

    let commented = on(home, &["ticket", "comment", prefix, "--text", "फ़ोन बदल कर देखा", "--json"]).ok().json();
    assert_eq!(commented["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(commented["timeline"][1]["action"], "commented");
    assert_eq!(commented["timeline"][1]["capacity"], "sevika");

    let list = on(home, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), already + 1);
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == id.as_str()));

    let shown = on(home, &["ticket", "show", &id]).ok().stdout;
    assert!(shown.contains("खुला") && shown.contains("प्रखंड") && shown.contains("सेविका"), "{shown}");
    assert!(shown.contains("डेटा सिंक नहीं हो रहा") && shown.contains("फ़ोन बदल कर देखा"), "{shown}");
    let english = on(home, &["ticket", "show", prefix, "--lang", "en"]).ok().stdout;
    assert!(english.contains("[open]") && english.contains("tier: block"), "{english}");

    let refused = on(home, &["ticket", "confirm", prefix]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("not done") && refused.stderr.contains("open"), "{}", refused.stderr);
    id
}

#[test]
fn commands_work_on_a_home_without_a_daemon() {
    let (_dir, home, key) = sevika_home();
    let status = on(&home, &["status", "--json"]).ok().json();
    assert_eq!((status["role"].as_str(), status["scope"].as_str()), (Some("sevika"), Some(AWC)));
    assert_eq!(status["documents"], 0);
    assert_eq!(status["certified"], true);

    exercise(&home, &key, 0);

    let status = on(&home, &["status", "--json"]).ok().json();
    assert_eq!(status["documents"], 2);
    assert_eq!(status["tickets"], 1);
    assert_eq!(status["tickets_open"], 1);
    assert_eq!(status["waiting_upward"], 3, "a record, a raise and a comment: {status}");
    assert_eq!(status["carrying"]["documents"], 0);
    let text = on(&home, &["status"]).ok().stdout;
    assert!(text.contains("सेविका") && text.contains("अभी तक कोई संपर्क नहीं"), "{text}");
}

#[test]
fn a_phone_raises_at_most_eight_tickets_a_day_each_with_a_short_description() {
    let (_dir, home, _key) = sevika_home();
    let long = "क".repeat(667);
    let out = on(&home, &["ticket", "raise", "--category", "other", "--text", &long]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("at most 2000 allowed"), "{}", out.stderr);
    let ist_day = |t: &Value| (t["timeline"][0]["at"].as_i64().unwrap() + 330 * 60_000).div_euclid(86_400_000);
    let mut days = Vec::new();
    for i in 0..8 {
        let text = format!("समस्या {i}");
        days.push(ist_day(
            &on(&home, &["ticket", "raise", "--category", "other", "--text", &text, "--json"]).ok().json(),
        ));
    }
    let ninth = on(&home, &["ticket", "raise", "--category", "other", "--text", "नौवीं", "--json"]);
    if days.first() == days.last() {
        assert_eq!(ninth.code, 1, "{}", ninth.stderr);
        assert!(ninth.stderr.contains("the most one phone may raise in a day"), "{}", ninth.stderr);
        let list = on(&home, &["ticket", "list", "--json"]).ok().json();
        assert_eq!(list.as_array().unwrap().len(), 8);
    } else {
        eprintln!("midnight (India Standard Time) fell inside the test: the ninth ticket took the new day's slot");
    }
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code() {
    let (dir, home, _key) = sevika_home();
    let cases: [(&[&str], i32, &str); 12] = [
        (&["record", "--register", "grwth", "--entry", "{}"], 1, "there is no register \"grwth\""),
        (&["record", "--register", "growth", "--entry", "{nope"], 1, "--entry is not valid JSON"),
        (&["record", "--register", "vhsnd", "--entry", r#"{"register":"growth"}"#], 1, "must agree"),
        (&["record", "--register", "growth", "--entry", &growth("0a1b2c3d-1767225600000-0", -3.0)], 1, "not valid"),
        (&["record", "--register", "growth", "--entry", r#"{"child": 5}"#], 1, "not a valid growth entry"),
        (&["ticket", "raise", "--category", "wifi", "--text", "x"], 1, "expected one of login-enrolment"),
        (&["ticket", "raise", "--category", "sync", "--text", "  "], 1, "the text is empty"),
        (&["ticket", "show", "abc"], 1, "is not a ticket ID"),
        (&["ticket", "show", "0123456789"], 1, "there is no ticket 0123456789"),
        (&["ticket", "comment", "zzzzzzzzzz", "--text", "x"], 1, "is not a ticket ID"),
        (&["sync", "--peer", "not-an-address"], 1, "is not a multiaddress"),
        (&["enroll", "--cert", "/nonexistent/file"], 1, "cannot read /nonexistent/file"),
    ];
    for (args, code, says) in cases {
        let out = on(&home, args);
        assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?} said: {}", out.stderr);
    }

    // JSON errors for machines.
    let out = on(&home, &["ticket", "show", "abc", "--json"]);
    let error: Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(error["kind"], "invalid");

    // Homes that are not ready.
    let empty = dir.path().join("empty");
    let out = on(&empty, &["status"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("no node here") && out.stderr.contains("sampark-node init"), "{}", out.stderr);
    let fresh = dir.path().join("fresh");
    Provision::new().init(&fresh);
    let out = on(&fresh, &["ticket", "list"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("not enrolled yet"), "{}", out.stderr);
    let out = on(&fresh, &["init"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("init never replaces a key"), "{}", out.stderr);

    // An enrolment file made for another node, or not an enrolment file at all.
    let other = dir.path().join("relay.enrol.json");
    let out = on(&fresh, &["enroll", "--cert", other.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("this enrolment file is for key"), "{}", out.stderr);
    let junk = dir.path().join("junk.json");
    fs::write(&junk, "[1, 2, 3]").unwrap();
    let out = on(&fresh, &["enroll", "--cert", junk.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not an enrolment file"), "{}", out.stderr);

    // A wrong command line is a usage error (clap's exit code 2).
    assert_eq!(cli(&["status"]).code, 2);
    assert_eq!(cli(&["ticket", "raise", "--home", "x"]).code, 2);
}

#[test]
fn commands_go_through_a_running_daemon() {
    let (_dir, home, key) = sevika_home();
    let daemon = Daemon::start(&home, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    assert_eq!(daemon.file.key, key.to_hex());

    // A second daemon on the same home, or an API off loopback, is refused with a reason.
    let run = |api: &str| on(&home, &["run", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--api", api]);
    let second = run("127.0.0.1:0");
    assert_eq!(second.code, 3, "{}", second.stderr);
    assert!(second.stderr.contains("in use by another process"), "{}", second.stderr);
    let open = run("0.0.0.0:0");
    assert_eq!(open.code, 3, "{}", open.stderr);
    assert!(open.stderr.contains("give --api 127.0.0.1:PORT"), "{}", open.stderr);
    assert_eq!(DaemonFile::read(&Home::new(&home)).unwrap().pid, daemon.child.id(), "the first daemon's file stays");

    // The daemon holds the store; these succeed only through its API.
    let id = exercise(&home, &key, 0);
    let out = on(&home, &["record", "--register", "grwth", "--entry", "{}"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("there is no register"), "{}", out.stderr);
    let out = on(&home, &["ticket", "show", "0123456789"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("there is no ticket"), "{}", out.stderr);

    // The API directly.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).proxy(None).build().into();
    let bearer = format!("Bearer {}", Home::new(&home).api_token().unwrap());
    let get = |path: &str| {
        let mut r = agent.get(&daemon.url(path)).header("authorization", &bearer).call().unwrap();
        (r.status().as_u16(), serde_json::from_str::<Value>(&r.body_mut().read_to_string().unwrap()).unwrap())
    };
    let post = |path: &str, body: &str| {
        let mut r = agent
            .post(&daemon.url(path))
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        (r.status().as_u16(), serde_json::from_str::<Value>(&r.body_mut().read_to_string().unwrap()).unwrap())
    };
    let (code, health) = get("/healthz");
    assert_eq!((code, health["key"].as_str()), (200, Some(key.to_hex().as_str())));
    assert_eq!(get(&format!("/tickets/{}", &id[..10])).1["id"], id.as_str());
    assert_eq!(get("/status").1["tickets"], 1);
    let (code, error) = post("/tickets", "{not json");
    assert_eq!((code, error["kind"].as_str()), (400, Some("invalid")));
    let (code, _) = post("/tickets", r#"{"category": "sync", "text": "x", "extra": 1}"#);
    assert_eq!(code, 400);
    let (code, error) = post("/tickets", &format!(r#"{{"category": "sync", "text": "{}"}}"#, "x".repeat(70_000)));
    assert_eq!(code, 413, "{error}");
    let (code, error) = post(&format!("/tickets/{id}/confirm"), "");
    assert_eq!(code, 409, "{error}");
    let (code, error) = post(&format!("/tickets/{id}/close"), "{}");
    assert_eq!(code, 404, "{error}");
    let (code, error) = get("/nowhere");
    assert_eq!(code, 404);
    assert!(error["error"].as_str().unwrap().contains("docs/node.md"));
    let (code, raised) = post("/tickets", r#"{"category": "app-error", "text": "ऐप बंद हो जाता है"}"#);
    assert_eq!((code, raised["status"].as_str()), (200, Some("open")));
    let (code, rec) = post("/record", r#"{"entry": {"register": "vhsnd", "date": "2026-11-05", "held": true}}"#);
    assert_eq!((code, rec["doc"].as_str()), (200, Some(format!("{AWC}:immunisation/2026-11").as_str())));

    // A clean stop removes the daemon file; everything acknowledged is in the store.
    assert_eq!(daemon.stop(), 0);
    assert!(!Home::new(&home).daemon_file().exists());
    let status = on(&home, &["status", "--json"]).ok().json();
    assert_eq!((status["documents"].as_u64(), status["tickets"].as_u64()), (Some(4), Some(2)));
}

/// Sends `request` (a whole HTTP/1.1 request, as a browser or another app would) to `addr` and
/// returns the status code and body of the answer.
fn raw_http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let code = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (code, body)
}

/// The header lines of the answer to `request`, lower-cased.
fn raw_headers(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_once("\r\n\r\n").map(|(h, _)| h.to_lowercase()).unwrap_or_default()
}

#[test]
fn the_local_api_serves_only_the_sevikas_own_software() {
    let (_dir, home, _key) = sevika_home();
    let token = Home::new(&home).api_token().unwrap();
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&Home::new(&home).token_path()), 0o600, "init made the token owner-only");
    let daemon = Daemon::start(&home, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let api = daemon.file.api;
    let host = format!("127.0.0.1:{}", api.port());
    let ticket = r#"{"category": "other", "text": "raised by a web page"}"#;
    let request = |headers: &str, body: &str| {
        format!(
            "POST /tickets HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let bearer = format!("Authorization: Bearer {token}\r\n");
    let json = "Content-Type: application/json\r\n";

    // What a page on another site can make the phone's browser send: a "simple" cross-origin
    // POST (text/plain or a form, no token), or with a guessed token.
    let attacks = [
        (request("Origin: http://evil.example\r\nContent-Type: text/plain\r\n", ticket), 403),
        (request("Content-Type: text/plain;charset=UTF-8\r\n", ticket), 401),
        (request(json, ticket), 401),
        (request(&format!("Authorization: Bearer {}\r\n{json}", "0".repeat(64)), ticket), 401),
        (request(&format!("Authorization: {token}\r\n{json}"), ticket), 401),
        // The right token, from a page of another origin (as if it had stolen it) or a rebound
        // DNS name, or as a form: still refused.
        (request(&format!("{bearer}Origin: http://evil.example\r\n{json}"), ticket), 403),
        (request(&format!("{bearer}Origin: null\r\n{json}"), ticket), 403),
        (
            request(&format!("{bearer}Content-Type: application/x-www-form-urlencoded\r\n"), "category=other&text=x"),
            415,
        ),
        (request(&format!("{bearer}Content-Type: text/plain\r\n"), ticket), 415),
        (request(&bearer, ticket), 415),
        (
            format!(
                "POST /tickets HTTP/1.1\r\nHost: evil.example:{}\r\n{bearer}{json}Content-Length: {}\r\nConnection: close\r\n\r\n{ticket}",
                api.port(),
                ticket.len()
            ),
            403,
        ),
        (format!("GET /status HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), 401),
        (format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), 401),
        (format!("GET /status HTTP/1.1\r\n{bearer}Connection: close\r\n\r\n"), 403),
    ];
    for (attack, expected) in &attacks {
        let (code, body) = raw_http(api, attack);
        assert_eq!(code, *expected, "{attack}\n{body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    let list = on(&home, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 0, "no request above raised a ticket: {list}");

    // The app's page and files need no token (they hold no data and no key) but still a Host
    // that names the API; the page forbids framing and anything from elsewhere.
    let get = |path: &str, host: &str| format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (code, page) = raw_http(api, &get("/", &host));
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("संपर्क") && !page.contains(&token), "the page, without the key");
    assert_eq!(raw_http(api, &get("/app/app.js", &host)).0, 200);
    assert!(!raw_http(api, &get("/app/app.js", &host)).1.contains(&token));
    assert_eq!(raw_http(api, &get("/app/secrets.txt", &host)).0, 404);
    assert_eq!(raw_http(api, &get("/", &format!("evil.example:{}", api.port()))).0, 403);
    let headers = raw_headers(api, &get("/", &host));
    assert!(headers.contains("content-security-policy: default-src 'self'"), "{headers}");
    assert!(headers.contains("x-frame-options: deny"), "{headers}");

    // The sevika's own software: the CLI (it reads the token from the home), the app served by
    // the node itself (its own origin), and a client naming the API as localhost.
    on(&home, &["ticket", "raise", "--category", "other", "--text", "from the command line"]).ok();
    for origin in [format!("Origin: http://{host}\r\n"), String::new()] {
        let (code, body) = raw_http(api, &request(&format!("{bearer}{origin}{json}"), ticket));
        assert_eq!(code, 200, "{body}");
    }
    let localhost =
        format!("GET /status HTTP/1.1\r\nHost: localhost:{}\r\n{bearer}Connection: close\r\n\r\n", api.port());
    assert_eq!(raw_http(api, &localhost).0, 200);
    let list = on(&home, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");

    // A token file others can read is refused, by the CLI as by the daemon at its next start.
    drop(daemon);
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(Home::new(&home).token_path(), fs::Permissions::from_mode(0o644)).unwrap();
    let out = on(&home, &["run", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--api", "127.0.0.1:0"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("can be read by other users"), "{}", out.stderr);
}

#[test]
fn a_killed_daemons_stale_file_is_ignored() {
    let (_dir, home, _key) = sevika_home();
    let mut daemon = Daemon::start(&home, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    on(&home, &["ticket", "raise", "--category", "other", "--text", "before the kill"]).ok();
    daemon.child.kill().unwrap();
    daemon.child.wait().unwrap();
    assert!(Home::new(&home).daemon_file().exists(), "kill -9 leaves the file behind");
    let list = on(&home, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(list[0]["text"], "before the kill");
}

/// The programme's rules through the `due` command of a real phone, each with its source (the
/// keys are those of the schedule's `sources`): what a sevika is shown is what the rule says.
#[test]
fn the_due_command_follows_the_programme_s_rules() {
    let (_dir, home, _) = sevika_home();
    let record = |entry: Value| -> String {
        let out = on(&home, &["record", "--entry", &entry.to_string(), "--json"]).ok().json();
        out["entry_id"].as_str().unwrap().to_owned()
    };
    let household = record(json!({"register": "household", "number": "7", "head_name": "Sita Devi", "caste": "sc",
        "religion": "hindu", "minority": false, "bpl": true}));
    let member = |name: &str, dob: &str, relation: &str| {
        record(json!({"register": "member", "household": household, "name": name, "dob": dob, "sex": "female",
            "relation": relation, "migration": "resident", "sms_opt_out": false}))
    };
    let due = |date: &str| -> Vec<(String, bool)> {
        let list = on(&home, &["due", "--date", date, "--json"]).ok().json();
        let mut items = Vec::new();
        for h in list["households"].as_array().unwrap() {
            for i in h["items"].as_array().unwrap() {
                items.push((i["service"].as_str().unwrap().to_owned(), i["overdue"].as_bool().unwrap()));
            }
        }
        items
    };
    let has = |items: &[(String, bool)], s: &str| items.iter().any(|(id, _)| id == s);
    let overdue = |items: &[(String, bool)], s: &str| items.iter().any(|(id, o)| id == s && *o);

    // S5, S21: fIPV-1 is not given after 1 year: an unvaccinated child of 18 months is not told
    // to come for it. S4: fIPV-3 at 9-12 months once the first two were given before 1 year.
    member("Rani", "2025-05-01", "daughter");
    let items = due("2026-11-02");
    assert!(!has(&items, "FIPV-1"), "{items:?}");
    assert!(has(&items, "DPT-1") && has(&items, "MR-1"), "S23: the catch-up route at 18 months: {items:?}");
    let infant = member("Asha", "2026-01-05", "daughter");
    for (vaccine, date) in [("FIPV-1", "2026-02-16"), ("FIPV-2", "2026-04-13")] {
        record(json!({"register": "immunisation", "beneficiary": infant, "vaccine": vaccine, "date": date}));
    }
    assert!(!has(&due("2026-10-04"), "FIPV-3"), "before 9 months");
    assert!(has(&due("2026-10-05"), "FIPV-3"), "from 9 months");

    // S1, S21: Td-1 early in pregnancy, not overdue on the day a pregnancy is registered at
    // 9 weeks; S6: ANC-2 at 14-26 weeks is not overdue at 20 weeks.
    let woman = member("Sunita", "2000-03-03", "daughter-in-law");
    let pregnancy = record(json!({"register": "pregnancy", "member": woman, "lmp": "2026-09-01",
        "registered": "2026-11-03", "high_risk": false}));
    let items = due("2026-11-03");
    assert!(has(&items, "TD-1") && !overdue(&items, "TD-1"), "{items:?}");
    assert!(has(&items, "ANC-1") && !overdue(&items, "ANC-1"), "{items:?}");
    assert!(!has(&due("2026-11-02"), "ANC-1"), "not before she was registered");
    let items = due("2027-01-19");
    assert!(has(&items, "ANC-2") && !overdue(&items, "ANC-2"), "20 weeks: {items:?}");

    // S6, S7: IFA handed out is counted in tablets and does not close a check-up.
    record(json!({"register": "ifa", "beneficiary": woman, "kind": "ifa", "date": "2027-01-19", "tablets": 30}));
    let list = on(&home, &["due", "--date", "2027-02-02", "--json"]).ok().json();
    let ifa =
        list["households"][0]["items"].as_array().unwrap().iter().find(|i| i["service"] == "IFA").unwrap().clone();
    assert_eq!((ifa["progress"]["given"].as_u64(), ifa["progress"]["target"].as_u64()), (Some(30), Some(180)));
    assert!(has(&due("2027-01-19"), "ANC-2"), "an IFA hand-out is not a check-up");
    record(json!({"register": "anc-visit", "pregnancy": pregnancy, "date": "2027-01-20", "visit_number": 2}));
    assert!(!has(&due("2027-01-20"), "ANC-2"));
    // S14, S24: the first birth-preparedness visit in the second trimester, overdue after 26
    // weeks (2027-03-02), closed by the home visit of its kind, not by another visit.
    assert!(has(&due("2027-01-20"), "BP-1") && !has(&due("2027-01-20"), "BP-2"));
    assert!(overdue(&due("2027-03-03"), "BP-1"), "after 26 weeks");
    record(json!({"register": "home-visit", "member": woman, "visit_type": "ebf", "date": "2027-03-03"}));
    assert!(has(&due("2027-03-03"), "BP-1"), "another kind of visit");
    record(
        json!({"register": "home-visit", "member": woman, "visit_type": "birth-preparedness-1", "date": "2027-03-04"}),
    );
    assert!(!has(&due("2027-03-04"), "BP-1"));
    assert!(has(&due("2027-03-09"), "BP-2"), "from 27 weeks");

    // S10, S14: pre-school for a child of 3-6 years on working days; an absence closes nothing.
    let school = member("Ravi", "2022-06-15", "son");
    record(
        json!({"register": "attendance", "child": school, "date": "2026-11-26", "present": false, "hot_meal": false}),
    );
    assert!(has(&due("2026-11-26"), "PSE"), "marked absent");
    assert!(!has(&due("2026-11-29"), "PSE"), "a Sunday");
    record(json!({"register": "closure", "date": "2026-11-27", "reason": "बाढ़"}));
    assert!(!has(&due("2026-11-27"), "PSE"), "the centre was closed");
}

/// Reads, corrects and voids register entries with the real commands, as the app does through
/// the same requests: the weight written wrong is corrected, the member written twice is found
/// and voided, a beneficiary's profile gathers every entry about her; bad input is refused in
/// words. Returns the member's ID.
fn edit_registers(home: &Path) -> String {
    let record = |entry: Value| -> String {
        on(home, &["record", "--entry", &entry.to_string(), "--json"]).ok().json()["entry_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let household = record(json!({"register": "household", "number": "12", "head_name": "Rameshwar Yadav",
        "caste": "obc", "religion": "hindu", "minority": false, "bpl": true}));
    let child = || {
        record(json!({"register": "member", "household": household, "name": "Anjali Kumari", "dob": "2026-09-20",
            "sex": "female", "relation": "daughter", "migration": "resident", "sms_opt_out": false,
            "phone": "9876543210"}))
    };
    let anjali = child();
    let again = child();
    let weighing = record(json!({"register": "growth", "child": anjali, "date": "2026-11-03", "weight_kg": 3.2,
        "oedema": false}));

    // One register; the text a sevika would type; a beneficiary's profile.
    let growth = on(home, &["entries", "--register", "growth", "--json"]).ok().json();
    assert_eq!(growth.as_array().unwrap().len(), 1, "{growth}");
    assert_eq!(growth[0]["fields"]["weight_kg"], 3.2);
    let found = on(home, &["entries", "--text", "  anjali  ", "--json"]).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 2, "both Anjalis: {found}");
    assert_eq!(on(home, &["entries", "--text", "43210", "--json"]).ok().json().as_array().unwrap().len(), 2);
    assert_eq!(on(home, &["entries", "--text", "12", "--json"]).ok().json()[0]["register"], "household");
    let profile = on(home, &["entries", "--about", &anjali, "--json"]).ok().json();
    let ids: Vec<&str> = profile.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [anjali.as_str(), weighing.as_str()], "her entry and her weighing");

    // The weight was 3.8, not 3.2.
    let corrected = on(home, &["correct", &weighing, "--set", "weight_kg=3.8", "--json"]).ok().json();
    assert_eq!(
        (corrected["id"].as_str(), corrected["fields"]["weight_kg"].as_f64()),
        (Some(weighing.as_str()), Some(3.8))
    );
    let text = on(home, &["entries", "--register", "growth"]).ok().stdout;
    assert!(text.contains("प्रविष्टियाँ: 1") && text.contains("weight_kg: 3.8"), "{text}");

    // Written twice: found, reviewed, one voided; it stays, marked.
    let pairs = on(home, &["duplicates", "--json"]).ok().json();
    assert_eq!(pairs.as_array().unwrap().len(), 1, "{pairs}");
    let pair = [pairs[0]["first"]["id"].as_str().unwrap(), pairs[0]["second"]["id"].as_str().unwrap()];
    let mut expected = [anjali.as_str(), again.as_str()];
    expected.sort_unstable();
    assert_eq!(pair, expected);
    assert!(on(home, &["duplicates"]).ok().stdout.contains("शायद एक ही व्यक्ति दो बार लिखा गया: 1"));
    let voided = on(home, &["void", &again, "--reason", "दो बार लिखा गया", "--json"]).ok().json();
    assert_eq!((voided["voided"].as_bool(), voided["void_reason"].as_str()), (Some(true), Some("दो बार लिखा गया")));
    assert!(on(home, &["duplicates"]).ok().stdout.contains("दो बार लिखा कोई व्यक्ति नहीं मिला"));
    let members = on(home, &["entries", "--register", "member"]).ok().stdout;
    assert!(members.contains("रद्द: दो बार लिखा गया"), "{members}");

    // Refused in words, nothing written.
    let refused = |args: &[&str], says: &str| {
        let run = on(home, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    };
    refused(&["correct", &weighing, "--set", "weight_kg=-1"], "not valid");
    refused(&["correct", &weighing, "--set", "weight=3.9"], "no field \"weight\"");
    refused(&["correct", &weighing, "--set", "weight_kg"], "FIELD=VALUE");
    refused(&["correct", &weighing, "--set", "register=member"], "cannot be corrected");
    refused(&["correct", "not-an-entry", "--set", "weight_kg=3.9"], "not an entry ID");
    refused(&["void", &weighing, "--reason", "  "], "reason");
    refused(&["entries", "--register", "grwth"], "there is no register \"grwth\"");
    let still = on(home, &["entries", "--about", &weighing, "--json"]).ok().json();
    assert_eq!((still[0]["fields"]["weight_kg"].as_f64(), still[0]["voided"].as_bool()), (Some(3.8), Some(false)));
    anjali
}

#[test]
fn registers_are_read_corrected_and_voided_with_or_without_a_daemon() {
    let (_dir, home, _) = sevika_home();
    edit_registers(&home);
    let (_dir, home, _) = sevika_home();
    let daemon = Daemon::start(&home, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let anjali = edit_registers(&home);
    drop(daemon);
    // What the daemon wrote is in the store.
    let profile = on(&home, &["entries", "--about", &anjali, "--json"]).ok().json();
    assert_eq!(profile.as_array().unwrap().len(), 2);
}
