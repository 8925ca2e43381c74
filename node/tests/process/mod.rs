//! Running the real `sampark-node` binary from tests: one-shot commands and daemons.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sampark_crdt::{Certificate, CertificateBody, Keypair, PublicKey, Role, Scope, TrustStore};
use sampark_node::daemon::DaemonFile;
use sampark_node::home::Home;
use sampark_node::ops::EnrolFile;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sampark-node");

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

    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

/// Runs `command` to its end.
pub fn output(command: &mut Command) -> Run {
    let out = command.env_remove("RUST_LOG").output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `sampark-node ARGS`.
pub fn cli(args: &[&str]) -> Run {
    output(Command::new(BIN).args(args))
}

/// Runs `sampark-node ARGS --home HOME`.
pub fn on(home: &Path, args: &[&str]) -> Run {
    output(Command::new(BIN).args(args).args(["--home", home.to_str().unwrap()]))
}

/// Runs `sampark-node ARGS --home HOME` inside `host`'s namespace (where its daemon's API is).
pub fn on_in(host: &sampark_tests::netns::Host, home: &Path, args: &[&str]) -> Run {
    output(host.command(BIN).args(args).args(["--home", home.to_str().unwrap()]))
}

/// A running `sampark-node run`, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub home: PathBuf,
    pub file: DaemonFile,
}

impl Daemon {
    /// `sampark-node run --home HOME --api 127.0.0.1:0` with `args`, on this host.
    pub fn start(home: &Path, args: &[&str]) -> Daemon {
        Daemon::spawn(Command::new(BIN), home, args)
    }

    /// The same inside `host`'s network namespace.
    pub fn start_in(host: &sampark_tests::netns::Host, home: &Path, args: &[&str]) -> Daemon {
        Daemon::spawn(host.command(BIN), home, args)
    }

    /// Starts `command run ...` and waits until its daemon file names it and an address. The
    /// child is killed and reaped on timeout, and otherwise owned by the returned `Daemon`, which
    /// kills and reaps it when dropped.
    #[allow(clippy::zombie_processes)]
    fn spawn(mut command: Command, home: &Path, args: &[&str]) -> Daemon {
        let log = fs::File::create(home.with_extension("log")).unwrap();
        let mut child = command
            .args(["run", "--home", home.to_str().unwrap(), "--api", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(file) = DaemonFile::read(&Home::new(home))
                && !file.listen.is_empty()
                && file.pid == child.id()
            {
                return Daemon { child, home: home.to_path_buf(), file };
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the daemon did not start: {}",
                    fs::read_to_string(home.with_extension("log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The listen address of `transport` ("tcp" or "quic-v1").
    pub fn addr(&self, transport: &str) -> String {
        self.file.listen.iter().find(|a| a.contains(&format!("/{transport}"))).unwrap().clone()
    }

    /// A URL of the daemon's local API.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.file.api)
    }

    /// Stops the daemon with SIGTERM and returns its exit code.
    pub fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the daemon did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn cert(issuer: &Keypair, subject: PublicKey, role: Role, scope: &str) -> Certificate {
    let now = sampark_node::ops::wall_clock();
    CertificateBody {
        subject,
        role,
        scope: Scope::parse(scope).unwrap(),
        not_before: now.plus_hours(-1),
        not_after: now.plus_days(365),
        programme: Default::default(),
    }
    .sign(issuer)
    .unwrap()
}

/// Homes made with `init` and enrolled: root → district relay → block relay → sevikas.
pub struct Block {
    pub dir: tempfile::TempDir,
    pub trust: TrustStore,
    pub relay: Keypair,
}

impl Block {
    pub fn new() -> Block {
        let dir = tempfile::tempdir().unwrap();
        let root = Keypair::from_secret([1; 32]);
        let district = Keypair::from_secret([2; 32]);
        let mut trust = TrustStore::new(root.public());
        trust.add_certificate(cert(&root, root.public(), Role::StateHub, "BR")).unwrap();
        trust.add_certificate(cert(&root, district.public(), Role::DistrictRelay, "BR/DBG")).unwrap();
        let home = dir.path().join("relay");
        let key = init(&home);
        trust.add_certificate(cert(&district, key, Role::BlockRelay, "BR/DBG/P07")).unwrap();
        enroll(&home, &trust, key);
        let relay = Home::new(&home).key().unwrap();
        Block { dir, trust, relay }
    }

    pub fn home(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// A sevika's phone of `awc`, certified by the block relay.
    pub fn phone(&mut self, name: &str, awc: &str) -> (std::path::PathBuf, PublicKey) {
        let home = self.home(name);
        let key = init(&home);
        self.trust.add_certificate(cert(&self.relay, key, Role::Sevika, awc)).unwrap();
        enroll(&home, &self.trust, key);
        (home, key)
    }
}

pub fn init(home: &Path) -> PublicKey {
    on(home, &["init", "--json"]).ok().json()["key"].as_str().unwrap().parse().unwrap()
}

pub fn enroll(home: &Path, trust: &TrustStore, key: PublicKey) {
    let file = home.with_extension("enrol.json");
    fs::write(&file, EnrolFile::for_key(trust, &key).to_json()).unwrap();
    on(home, &["enroll", "--cert", file.to_str().unwrap()]).ok();
}

pub mod flood;

/// The resident memory of process `pid`, in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
