//! `sampark-relay demo` as a user runs it: the story is told to the end (all three tickets
//! resolved back on the phones that raised them), it prints the dashboards and the operators'
//! logins, and it leaves nothing behind: no process of its group, no folder, whether it exits by
//! itself (`--exit-when-done`) or is stopped with SIGTERM while it waits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sampark-relay");
const TIMEOUT: Duration = Duration::from_secs(120);

/// The demo in a process group of its own, killed (the whole group) if the test fails.
struct Demo {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let mut child = Command::new(BIN)
            .arg("demo")
            .args(args)
            .env_remove("RUST_LOG")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().unwrap();
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        Demo { child, stdout, stderr }
    }

    fn pgid(&self) -> u32 {
        self.child.id()
    }

    fn output(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn says(&self, text: &str) -> bool {
        self.stdout.lock().unwrap().contains(text)
    }

    fn wait_for_output(&self, text: &str) {
        let started = Instant::now();
        while !self.says(text) {
            assert!(
                started.elapsed() < TIMEOUT,
                "the demo never said {text:?}:\n{}\n{}",
                self.output(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the demo to exit; its exit code.
    fn wait(&mut self) -> i32 {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100)); // let the readers drain
                return status.code().unwrap_or(-1);
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the demo did not finish:\n{}\n{}",
                self.output(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The folder the demo said it removed.
    fn removed_dir(&self) -> PathBuf {
        let out = self.output();
        let line = out.lines().find_map(|l| l.strip_prefix("removed ")).unwrap_or_else(|| panic!("{out}"));
        PathBuf::from(line.trim())
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.pgid())]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// Processes whose process group is `pgid` (from /proc), zombies aside.
fn group_members(pgid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            found.push(stat.clone());
        }
    }
    found
}

fn check_story(out: &str) {
    for said in [
        "1. The chain of trust",
        "Sunita Devi raises ticket",
        "Pushpa meets Anita at the market and passes Meena's ticket on",
        "Anita's phone now keeps Sunita's and Rekha's tickets",
        "p07-helpdesk resolves",
        "p07-helpdesk escalates",
        "dbg-helpdesk resolves",
        "dbg-helpdesk escalates",
        "br-helpdesk resolves",
        "सुनीता देवी के फ़ोन पर: टिकट",
        "Anita's phone syncs with the block relay again and takes her sector's answers",
        "Sunita Devi's phone syncs with Anita's phone",
        "मीना देवी के फ़ोन पर: टिकट",
        "All three tickets are resolved on the phones that raised them",
    ] {
        assert!(out.contains(said), "the demo did not say {said:?}:\n{out}");
    }
    let dashboards = out.lines().filter(|l| l.contains("http://127.0.0.1:") && l.contains("password")).count();
    assert_eq!(dashboards, 3, "a dashboard and a login per relay:\n{out}");
}

#[test]
fn the_demo_runs_to_the_end_and_exits_when_done() {
    let started = Instant::now();
    let mut demo = Demo::start(&["--exit-when-done"]);
    let code = demo.wait();
    let out = demo.output();
    assert_eq!(code, 0, "{out}\n{}", demo.stderr.lock().unwrap());
    check_story(&out);
    assert!(out.contains("stopped 8 of 8 processes cleanly"), "{out}");
    assert!(!demo.removed_dir().exists(), "the folder is removed");
    assert_eq!(group_members(demo.pgid()), Vec::<String>::new(), "no process is left behind");
    println!("the demo ran in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn the_demo_stops_everything_on_sigterm() {
    let mut demo = Demo::start(&[]);
    demo.wait_for_output("Ctrl-C stops everything");
    check_story(&demo.output());
    assert!(group_members(demo.pgid()).len() >= 9, "the demo, 3 relays and 5 phones run");
    Command::new("kill").args(["-TERM", &demo.child.id().to_string()]).status().unwrap();
    let code = demo.wait();
    let out = demo.output();
    assert_eq!(code, 0, "{out}\n{}", demo.stderr.lock().unwrap());
    assert!(out.contains("stopped 8 of 8 processes cleanly"), "{out}");
    assert!(!demo.removed_dir().exists(), "the folder is removed");
    assert_eq!(group_members(demo.pgid()), Vec::<String>::new(), "no process is left behind");
}
