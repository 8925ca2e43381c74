//! Helpers for the helpdesk tests: a provisioned chain (state, district, two blocks, a phone),
//! operators added with the real binary, tickets raised on the phone and carried to the block,
//! running `sampark-relay run` processes, and an HTTP client that keeps a session.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicI64, Ordering};

use sampark_crdt::{PublicKey, Role, Scope, Timestamp};
use sampark_node::daemon::DaemonFile;
use sampark_node::home::Home;
use sampark_node::net::contact::Node as _;
use sampark_node::ops::enrol::enroll_home;
use sampark_node::ops::{Node, Request, Response, wall_clock};
use sampark_relay::provision::{self, Tier};
use serde_json::{Value, json};

/// The clock of the phone of [`Chain::record_at_block_on`].
static PHONE_CLOCK: AtomicI64 = AtomicI64::new(0);

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sampark-relay");
/// The sevika's centre.
pub const AWC: &str = "BR/DBG/P07/S03/A0412";

/// A provisioned chain in a temporary directory.
pub struct Chain {
    pub dir: tempfile::TempDir,
    /// When its certificates start.
    pub since: Timestamp,
}

impl Chain {
    /// State hub BR, district BR/DBG, blocks BR/DBG/P07 ("block") and BR/DBG/P08 ("other"),
    /// and a sevika's phone at [`AWC`], certified now by the wall clock.
    pub fn new() -> Chain {
        Chain::since(wall_clock())
    }

    /// As [`Chain::new`], with every certificate starting at `now` (in the past, for registers
    /// written in a month gone by: see [`Chain::record_at_block_on`]).
    pub fn since(now: Timestamp) -> Chain {
        let chain = Chain { dir: tempfile::tempdir().unwrap(), since: now };
        let scope = |s: &str| Scope::parse(s).unwrap();
        provision::init(&chain.home("state"), Tier::State, &scope("BR"), 3650, now).unwrap();
        let enrol = |issuer: &str, name: &str, key: PublicKey, role: Role, at: &str| {
            let (file, _) = provision::certify(&chain.home(issuer), key, role, &scope(at), 3650, now).unwrap();
            enroll_home(&chain.home(name), &file, now).unwrap();
        };
        let relay = |name: &str, tier: Tier, at: &str| -> PublicKey {
            provision::init(&chain.home(name), tier, &scope(at), 0, now).unwrap().key.parse().unwrap()
        };
        enrol("state", "district", relay("district", Tier::District, "BR/DBG"), Role::DistrictRelay, "BR/DBG");
        enrol("district", "block", relay("block", Tier::Block, "BR/DBG/P07"), Role::BlockRelay, "BR/DBG/P07");
        enrol("district", "other", relay("other", Tier::Block, "BR/DBG/P08"), Role::BlockRelay, "BR/DBG/P08");
        let phone = chain.home("phone").init().unwrap();
        enrol("block", "phone", phone, Role::Sevika, AWC);
        chain
    }

    /// The home called `name`.
    pub fn home(&self, name: &str) -> Home {
        Home::new(self.dir.path().join(name))
    }

    /// The directory of the home called `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Raises tickets `(category, text)` on the phone and carries them (with the certificates
    /// the phone knows) into the block relay's store, as a contact would; returns their IDs.
    pub fn raise_at_block(&self, tickets: &[(&str, &str)]) -> Vec<String> {
        let mut phone = Node::open(&self.home("phone")).unwrap();
        let mut ids = Vec::new();
        for (category, text) in tickets {
            let raised = phone.handle(Request::Raise { category: (*category).into(), text: (*text).into() }).unwrap();
            let Response::Ticket(t) = raised else { panic!("not a ticket: {raised:?}") };
            ids.push(t.id);
        }
        self.carry_to_block(&phone);
        ids
    }
}

impl Chain {
    /// Delivers every document of `phone` (and the certificates it knows) into the block relay's
    /// store, verified, as a contact would; the block relay must be stopped.
    fn carry_to_block(&self, phone: &Node) {
        let mut block = Node::open(&self.home("block")).unwrap();
        block.learn(phone.trust_store().certificates().cloned().collect(), vec![]).unwrap();
        for doc in phone.documents_held().map(|d| d.id().clone()).collect::<Vec<_>>() {
            let signed = phone.store().changes(&doc).unwrap().value;
            let batch = signed
                .into_iter()
                .map(|s| (s.clone(), sampark_crdt::verify(&s, block.trust_store()).unwrap()))
                .collect();
            block.deliver(batch).unwrap();
        }
    }

    /// A sevika's phone called `name`, certified by the block for the centre `awc` from the
    /// chain's start.
    pub fn enrol_phone(&self, name: &str, awc: &str) {
        let now = self.since;
        let key = self.home(name).init().unwrap();
        let scope = Scope::parse(awc).unwrap();
        let (file, _) = provision::certify(&self.home("block"), key, Role::Sevika, &scope, 365, now).unwrap();
        enroll_home(&self.home(name), &file, now).unwrap();
    }

    /// Records `entries` (serde form) on the phone called `phone` and carries its documents into
    /// the block's store, as a contact would (the block relay must be stopped); returns the entry
    /// IDs. An entry refers to an earlier one of the same call as `"#0"`, `"#1"`, ... in its
    /// `household`, `beneficiary`, `child` or `member` field.
    pub fn record_at_block(&self, phone: &str, entries: &[Value]) -> Vec<String> {
        self.record_with(Node::open(&self.home(phone)).unwrap(), entries)
    }

    /// As [`Chain::record_at_block`], written by a phone whose clock says `at` (the chain must
    /// have been certified by then: [`Chain::since`]). One such phone at a time per process.
    pub fn record_at_block_on(&self, phone: &str, at: Timestamp, entries: &[Value]) -> Vec<String> {
        PHONE_CLOCK.store(at.0, Ordering::SeqCst);
        let node = Node::open(&self.home(phone)).unwrap().with_clock(|| Timestamp(PHONE_CLOCK.load(Ordering::SeqCst)));
        self.record_with(node, entries)
    }

    fn record_with(&self, mut phone: Node, entries: &[Value]) -> Vec<String> {
        let mut ids = Vec::new();
        for entry in entries {
            let mut entry = entry.clone();
            for field in ["household", "beneficiary", "child", "member"] {
                if let Some(r) = entry[field].as_str().and_then(|s| s.strip_prefix('#')) {
                    entry[field] = json!(ids[r.parse::<usize>().unwrap()]);
                }
            }
            let done = phone.handle(Request::Record { entry, centre: None }).unwrap();
            let Response::Recorded(r) = done else { panic!("not recorded: {done:?}") };
            ids.push(r.entry_id);
        }
        self.carry_to_block(&phone);
        ids
    }
}

/// What a finished command printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `sampark-relay ARGS` with `stdin` on its standard input.
pub fn relay_cmd(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sampark-relay operator add --home HOME --user USER --json` with `password`; must succeed.
pub fn add_operator(home: &Path, user: &str, password: &str) -> Value {
    let run = relay_cmd(
        &["operator", "add", "--home", home.to_str().unwrap(), "--user", user, "--json"],
        &format!("{password}\n"),
    );
    assert_eq!(run.code, 0, "operator add {user}: {}", run.stderr);
    run.json()
}

/// A free port on loopback (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `sampark-relay run`, killed when dropped.
pub struct Relay {
    pub child: Child,
    pub home: PathBuf,
    pub file: DaemonFile,
    pub http: SocketAddr,
}

impl Relay {
    /// `sampark-relay run --home HOME` on loopback with a free helpdesk port and `args`; waits
    /// until its transport listens and its helpdesk answers.
    pub fn start(home: &Path, args: &[&str]) -> Relay {
        Relay::start_on(home, format!("127.0.0.1:{}", free_port()).parse().unwrap(), args)
    }

    /// The same, with the helpdesk on `http` (e.g. the address of a relay stopped before).
    pub fn start_on(home: &Path, http: SocketAddr, args: &[&str]) -> Relay {
        Relay::start_under(&[], home, http, args)
    }

    /// The same, run by the command `wrapper` (e.g. `prlimit --nofile=256:256 --`, which execs
    /// the relay in its own process, so the process ID stays the relay's).
    #[allow(clippy::zombie_processes)]
    pub fn start_under(wrapper: &[&str], home: &Path, http: SocketAddr, args: &[&str]) -> Relay {
        let log = std::fs::File::create(home.with_extension("log")).unwrap();
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = command
            .args(["run", "--home", home.to_str().unwrap(), "--api", "127.0.0.1:0", "--no-mdns"])
            .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--http", &http.to_string()])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let client = Client::new(http);
        loop {
            if let Some(file) = DaemonFile::read(&Home::new(home))
                && !file.listen.is_empty()
                && file.pid == child.id()
                && client.get("/healthz").0 == 200
            {
                return Relay { child, home: home.to_path_buf(), file, http };
            }
            if started.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the relay did not start: {}",
                    std::fs::read_to_string(home.with_extension("log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The transport's TCP address.
    pub fn addr(&self) -> String {
        self.file.listen.iter().find(|a| a.contains("/tcp/")).unwrap().clone()
    }

    /// A client of this relay's helpdesk.
    pub fn client(&self) -> Client {
        Client::new(self.http)
    }

    /// The relay's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.with_extension("log")).unwrap_or_default()
    }

    /// Stops the relay with SIGTERM and returns its exit code.
    pub fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the relay did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, JSON body (or the text as a JSON string), headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A helpdesk client that keeps the session cookie and the CSRF token once logged in.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

impl Client {
    /// A client of the helpdesk at `addr`.
    pub fn new(addr: SocketAddr) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(2)))
            .timeout_global(Some(Duration::from_secs(20)))
            .build();
        Client { base: format!("http://{addr}"), agent: config.into(), cookie: None, csrf: None }
    }

    fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let Ok(mut response) = result else {
            return Answer { status: 0, body: Value::Null, text: String::new(), headers: vec![] };
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, text, headers }
    }

    /// GETs `path` with the session cookie, if any.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let a = self.get_full(path);
        (a.status, a.body)
    }

    /// GETs `path`, with headers.
    pub fn get_full(&self, path: &str) -> Answer {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            request = request.header("cookie", format!("sampark_session={c}"));
        }
        Client::answer(request.call())
    }

    /// POSTs `body` to `path` with the session cookie and the CSRF token, if any.
    pub fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let a = self.post_with(path, body, self.csrf.as_deref());
        (a.status, a.body)
    }

    /// POSTs `body` to `path` with the session cookie and `csrf` as the CSRF token.
    pub fn post_with(&self, path: &str, body: &str, csrf: Option<&str>) -> Answer {
        let mut request = self.agent.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(c) = &self.cookie {
            request = request.header("cookie", format!("sampark_session={c}"));
        }
        if let Some(t) = csrf {
            request = request.header("x-csrf-token", t);
        }
        Client::answer(request.send(body.to_owned()))
    }

    /// Logs in; keeps the cookie and CSRF token; returns the answer.
    pub fn login(&mut self, user: &str, password: &str) -> Answer {
        let body = json!({ "user": user, "password": password }).to_string();
        let a = self.post_with("/api/login", &body, None);
        if a.status == 200 {
            let cookie = a.header("set-cookie").unwrap();
            let value = cookie.strip_prefix("sampark_session=").unwrap().split(';').next().unwrap();
            self.cookie = Some(value.to_owned());
            self.csrf = a.body["csrf"].as_str().map(str::to_owned);
        }
        a
    }

    /// GETs `path` until `done` holds for the answer (at most 20 s); returns it.
    pub fn wait_for(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(path);
            if status == 200 && done(&body) {
                return body;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "waited 20 s for {what}: {status} {body}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A TCP connection to `to` from the loopback address `from` (any of 127.0.0.0/8), blocking.
pub fn connect_from(from: std::net::IpAddr, to: SocketAddr) -> std::net::TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(from, 0))?;
            socket.connect(to).await
        })
        .unwrap();
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}

/// One request written by hand from the loopback address `from`: `POST path` with the headers
/// `headers` (`Name: value` lines) and `body`; returns the status, the headers (names in lower
/// case) and the body.
pub fn raw_post(from: std::net::IpAddr, to: SocketAddr, path: &str, headers: &[&str], body: &str) -> Answer {
    use std::io::Read;
    let mut stream = connect_from(from, to);
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer { status, body: serde_json::from_str(body).unwrap_or(Value::Null), text: body.to_owned(), headers }
}

/// A login written by hand from `from` (JSON, `Content-Type: application/json`).
pub fn login_from(from: std::net::IpAddr, to: SocketAddr, user: &str, password: &str) -> Answer {
    let body = json!({ "user": user, "password": password }).to_string();
    raw_post(from, to, "/api/login", &["Content-Type: application/json"], &body)
}

/// A field of `/proc/PID/status` in KiB, e.g. `VmRSS` or `VmHWM`.
pub fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}
