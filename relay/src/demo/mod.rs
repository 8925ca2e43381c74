//! `sampark-relay demo`: the whole system on one machine, with real processes.
//!
//! In a fresh folder it provisions the chain with the real commands (state hub `BR`, district
//! `BR/DBG`, block `BR/DBG/P07`, five sevikas' phones in the block's centres, a helpdesk
//! operator at each relay), starts the three relays and the five phones as child processes on
//! 127.0.0.1, and tells a story ([`story`]): the phones, with no link to any relay, fill
//! registers and raise tickets; they meet each other and one carries the others' tickets to the
//! block relay; the block resolves one and escalates two; the district resolves one and escalates
//! the last; the state resolves it; the answers travel back down and reach the phones that raised
//! the tickets. Then it prints the dashboards' addresses and the operators' logins and runs until
//! Ctrl-C or SIGTERM, when it stops its children and removes the folder.
//!
//! The building blocks are public so the end-to-end tests use the same ones: [`procs`]
//! (processes, waits), [`chain`] (provisioning, starting daemons), [`phone`] (a sevika's
//! commands), [`helpdesk`] (an operator through the HTTP API).

mod acts;
pub mod chain;
pub mod helpdesk;
pub mod phone;
pub mod procs;
pub mod story;

use std::path::PathBuf;
use std::process::ExitCode;

use thiserror::Error;

/// `sampark-relay demo` options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// Work in this folder (created if missing; kept afterwards) instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the temporary folder (homes, logs) when the demo ends.
    #[arg(long)]
    pub keep: bool,
    /// Exit once the story is told, instead of running until Ctrl-C (for tests and scripts).
    #[arg(long)]
    pub exit_when_done: bool,
}

/// Why the demo stopped early.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A command exited with an error.
    #[error("{what} failed (exit {code}): {stderr}")]
    Command {
        /// The command.
        what: String,
        /// Its exit code.
        code: i32,
        /// What it said.
        stderr: String,
    },
    /// A process could not be started.
    #[error("could not start {what}: {source}")]
    Spawn {
        /// What.
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// Something expected did not happen in time.
    #[error("timed out after {secs} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        secs: u64,
    },
    /// A relay's helpdesk API failed or refused.
    #[error("the helpdesk API at {url}: {why}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        why: String,
    },
    /// Ctrl-C or SIGTERM.
    #[error("interrupted")]
    Interrupted,
    /// Anything else, in plain words.
    #[error("{0}")]
    Failed(String),
}

/// The JSON value at `path` inside `value` (`null` where it is missing): `value["a"]["b"]`
/// without the indexing.
pub fn at<'a>(value: &'a serde_json::Value, path: &[&str]) -> &'a serde_json::Value {
    static NULL: serde_json::Value = serde_json::Value::Null;
    path.iter().try_fold(value, |v, key| v.get(*key)).unwrap_or(&NULL)
}

/// Runs the demo: tells the story, then waits for Ctrl-C (unless `exit_when_done`); stops every
/// child and removes the folder (unless `--dir` or `--keep`) however it ends.
pub fn main(options: &Options) -> ExitCode {
    if let Err(e) = procs::watch_signals() {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let (dir, temp) = match &options.dir {
        Some(dir) => match std::fs::create_dir_all(dir) {
            Ok(()) => (dir.clone(), None),
            Err(e) => {
                eprintln!("error: cannot create {}: {e}", dir.display());
                return ExitCode::from(1);
            }
        },
        None => match tempfile::Builder::new().prefix("sampark-demo-").tempdir() {
            Ok(t) => (t.path().to_path_buf(), Some(t)),
            Err(e) => {
                eprintln!("error: cannot make a temporary folder: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let (code, failed) = match story::tell(&dir, options) {
        Ok(()) => (ExitCode::SUCCESS, false),
        // Ctrl-C reaches the children too, so a command under way may fail with it.
        Err(_) if procs::interrupted() => {
            println!("\nstopped (Ctrl-C)");
            (ExitCode::SUCCESS, false)
        }
        Err(e) => {
            eprintln!("\nerror: {e}");
            (ExitCode::from(1), true)
        }
    };
    match temp {
        Some(t) if options.keep || failed => println!("the homes and logs are kept in {}", t.keep().display()),
        Some(t) => {
            let shown = t.path().display().to_string();
            match t.close() {
                Ok(()) => println!("removed {shown}"),
                Err(e) => eprintln!("could not remove {shown}: {e}"),
            }
        }
        None => println!("the homes and logs are in {}", dir.display()),
    }
    code
}
