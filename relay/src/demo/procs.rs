//! Real processes for the demo and the end-to-end tests: one-shot commands of the
//! `sampark-relay` binary ([`Bin`]) and its daemons, relays and phones ([`Daemon`], [`stop_all`]).
//!
//! Assumes a Unix system with a `kill` command (a daemon is stopped as an operator would stop
//! it: SIGTERM, so it shuts down cleanly and removes its `daemon.json`; SIGKILL only if it has not
//! stopped after [`STOP_GRACE`]). Children stay in the caller's process group, so a Ctrl-C at the
//! terminal reaches them too and `kill -- -PGID` stops the lot; a [`Daemon`] stops its child when
//! dropped. Every wait polls with a deadline ([`until`]) and says what did not
//! happen; Ctrl-C or SIGTERM, once [`watch_signals`] runs, ends waits early with
//! [`DemoError::Interrupted`].

use std::fmt::Display;
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sampark_node::daemon::DaemonFile;
use sampark_node::home::Home;
use serde_json::Value;

use super::DemoError;

/// How long a daemon has to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a daemon has to write its addresses after it starts.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often [`until`] looks again.
const POLL: Duration = Duration::from_millis(150);

static STOP: AtomicBool = AtomicBool::new(false);

/// Catches Ctrl-C and SIGTERM from now on: the first makes [`interrupted`] true (waits end, the
/// caller cleans up); a second exits at once with 130.
pub fn watch_signals() -> Result<(), DemoError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DemoError::Failed(format!("could not start the signal watcher: {e}")))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async {
                let first = tokio::spawn(sampark_node::daemon::shutdown_signal());
                tokio::task::yield_now().await;
                let _ = ready_tx.send(());
                let _ = first.await;
                STOP.store(true, Ordering::SeqCst);
                sampark_node::daemon::shutdown_signal().await;
                std::process::exit(130);
            });
        })
        .map_err(|e| DemoError::Failed(format!("could not start the signal watcher: {e}")))?;
    let _ = ready_rx.recv_timeout(Duration::from_secs(5));
    Ok(())
}

/// True once Ctrl-C or SIGTERM arrived (after [`watch_signals`]).
pub fn interrupted() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Polls `probe` until it gives a value, for at most `timeout`; the error names `what` did not
/// happen and adds what the last probe said (`Err` from a probe ends the wait at once).
pub fn until<T>(
    what: impl Display,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>, DemoError>,
) -> Result<T, DemoError> {
    let started = Instant::now();
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if interrupted() {
            return Err(DemoError::Interrupted);
        }
        if started.elapsed() > timeout {
            return Err(DemoError::Timeout { what: what.to_string(), secs: timeout.as_secs() });
        }
        std::thread::sleep(POLL);
    }
}

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Standard output as JSON.
    pub fn json(&self) -> Result<Value, DemoError> {
        serde_json::from_str(&self.stdout)
            .map_err(|e| DemoError::Failed(format!("expected JSON ({e}), got: {}", self.stdout.trim())))
    }
}

/// The `sampark-relay` binary: relays, and phones through its `phone` command.
#[derive(Debug, Clone)]
pub struct Bin {
    path: PathBuf,
}

impl Bin {
    /// The binary at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Bin {
        Bin { path: path.into() }
    }

    /// The binary this process runs.
    pub fn current() -> Result<Bin, DemoError> {
        std::env::current_exe()
            .map(Bin::new)
            .map_err(|e| DemoError::Failed(format!("cannot find this program's own binary: {e}")))
    }

    /// A command for the binary, with `RUST_LOG` cleared so children log at their defaults.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command.env_remove("RUST_LOG");
        command
    }

    /// Runs `sampark-relay ARGS` to its end, feeding `stdin` if given; any exit code.
    pub fn output(&self, args: &[&str], stdin: Option<&str>) -> Result<Output, DemoError> {
        let what = || format!("sampark-relay {}", args.join(" "));
        let mut child = self
            .command()
            .args(args)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| DemoError::Spawn { what: what(), source })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(text.as_bytes());
        }
        let out = child.wait_with_output().map_err(|source| DemoError::Spawn { what: what(), source })?;
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Runs `sampark-relay ARGS`; anything but exit 0 is an error carrying its message.
    pub fn run(&self, args: &[&str]) -> Result<Output, DemoError> {
        self.run_with(args, None)
    }

    /// As [`Bin::run`], feeding `stdin`.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Result<Output, DemoError> {
        let out = self.output(args, stdin)?;
        if out.code == 0 {
            Ok(out)
        } else {
            Err(DemoError::Command {
                what: format!("sampark-relay {}", args.join(" ")),
                code: out.code,
                stderr: out.stderr.trim().to_string(),
            })
        }
    }

    /// Runs `sampark-relay ARGS` (which should include `--json`) and reads its JSON.
    pub fn json(&self, args: &[&str]) -> Result<Value, DemoError> {
        self.run(args)?.json()
    }
}

/// A running daemon (`sampark-relay run` or `sampark-relay phone run`), stopped when dropped.
#[derive(Debug)]
pub struct Daemon {
    /// Who it is, for messages ("block relay", "Sunita's phone").
    pub name: String,
    /// Its home.
    pub home: PathBuf,
    /// What it wrote into `daemon.json` once it was up.
    pub file: DaemonFile,
    /// Where its standard error (its log) goes.
    pub log: PathBuf,
    /// A relay's helpdesk HTTP API, if it was started with one.
    pub http: Option<SocketAddr>,
    child: Option<Child>,
}

impl Daemon {
    /// Starts `sampark-relay ARGS` (a `run` command serving `home`), its log in `HOME.log`, and
    /// waits until its `daemon.json` names it and a listen address.
    pub fn start(bin: &Bin, name: &str, home: &Path, args: &[String]) -> Result<Daemon, DemoError> {
        let log = home.with_extension("log");
        let err = fs::File::create(&log).map_err(|source| DemoError::Spawn { what: name.to_string(), source })?;
        let child = bin
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|source| DemoError::Spawn { what: name.to_string(), source })?;
        let pid = child.id();
        let mut daemon = Daemon {
            name: name.to_string(),
            home: home.to_path_buf(),
            file: DaemonFile {
                pid,
                key: String::new(),
                peer_id: String::new(),
                api: ([127, 0, 0, 1], 0).into(),
                listen: vec![],
            },
            log,
            http: None,
            child: Some(child),
        };
        let home = Home::new(home);
        daemon.file = until(format!("{name} to start (log: {})", daemon.log.display()), START_TIMEOUT, || {
            if let Some(Ok(Some(status))) = daemon.child.as_mut().map(Child::try_wait) {
                return Err(DemoError::Failed(format!("{name} exited at start ({status}): {}", daemon.log_tail())));
            }
            Ok(DaemonFile::read(&home).filter(|f| f.pid == pid && !f.listen.is_empty()))
        })?;
        Ok(daemon)
    }

    /// Its first TCP listen address (with `/p2p/<peer id>`).
    pub fn tcp(&self) -> Result<String, DemoError> {
        self.file
            .listen
            .iter()
            .find(|a| a.contains("/tcp/"))
            .cloned()
            .ok_or_else(|| DemoError::Failed(format!("{} listens on no TCP address", self.name)))
    }

    /// Its local API address.
    pub fn api(&self) -> SocketAddr {
        self.file.api
    }

    /// The process ID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last lines of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines.iter().skip(lines.len().saturating_sub(15)).copied().collect::<Vec<_>>().join("\n")
    }

    /// Asks it to stop (SIGTERM) without waiting.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Stops it: SIGTERM, then SIGKILL if it has not exited after [`STOP_GRACE`]; returns its
    /// exit code (`None` if it had to be killed or was already stopped).
    pub fn stop(&mut self) -> Option<i32> {
        self.terminate();
        self.reap()
    }

    /// Waits for it to exit after [`Daemon::terminate`] (SIGKILL after [`STOP_GRACE`]).
    fn reap(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        while started.elapsed() < STOP_GRACE {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Stops daemons together: all are sent SIGTERM first, then each is waited for (SIGKILL after
/// [`STOP_GRACE`]); returns how many exited cleanly (code 0).
pub fn stop_all(daemons: &mut [&mut Daemon]) -> usize {
    for d in daemons.iter() {
        d.terminate();
    }
    daemons.iter_mut().filter_map(|d| d.reap()).filter(|c| *c == 0).count()
}

/// A free TCP port on 127.0.0.1 (bound, then released for the caller to use).
pub fn free_port() -> Result<SocketAddr, DemoError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| DemoError::Failed(format!("no free port on 127.0.0.1: {e}")))
}
