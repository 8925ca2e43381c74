//! The relay refuses to start with a secret file that others may read: the SMS gateway's
//! password file and an operator's file, with the real `sampark-relay run`; chmod 600 and it
//! starts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod http_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http_support::{BIN, Chain, Relay, add_operator};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `sampark-relay run` on the block with `args`, expected to refuse at once: its message. A
/// relay still running after 15 s did not refuse: it is killed and the test fails.
fn refused(chain: &Chain, args: &[&str]) -> String {
    let home = chain.path("block");
    let mut child = Command::new(BIN)
        .args(["run", "--home", home.to_str().unwrap(), "--listen", "/ip4/127.0.0.1/tcp/0"])
        .args(["--api", "127.0.0.1:0", "--http", "127.0.0.1:0", "--no-mdns"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the relay started with {args:?} instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn a_readable_sms_password_file_is_refused_and_a_private_one_taken() {
    let chain = Chain::new();
    let password = chain.path("sms-password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let file = password.to_str().unwrap();
    let args = ["--sms-gateway", "http://127.0.0.1:9", "--sms-password-file", file];
    for mode in [0o644, 0o640, 0o604] {
        chmod(&password, mode);
        let words = refused(&chain, &args);
        assert!(words.contains(&format!("mode {mode:04o}")) && words.contains(&format!("chmod 600 {file}")), "{words}");
    }
    chmod(&password, 0o600);
    let relay = Relay::start(&chain.path("block"), &args);
    assert_eq!(relay.client().get("/healthz").0, 200);
    assert_eq!(relay.stop(), 0);
}

#[test]
fn a_readable_operator_file_is_refused_and_a_private_one_taken() {
    let chain = Chain::new();
    add_operator(&chain.path("block"), "asha", "correct horse");
    let file = chain.path("block").join("operators").join("asha.json");
    chmod(&file, 0o644);
    let words = refused(&chain, &[]);
    assert!(words.contains("the operator file") && words.contains("chmod 600"), "{words}");
    chmod(&file, 0o600);
    let relay = Relay::start(&chain.path("block"), &[]);
    let mut asha = relay.client();
    assert_eq!(asha.login("asha", "correct horse").status, 200);
    assert_eq!(relay.stop(), 0);
}
