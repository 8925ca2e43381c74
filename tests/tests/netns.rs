//! The test rig itself: hosts in network namespaces on a bridge reach each other, a cut link
//! cuts them off, and everything is removed afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::process::Stdio;
use std::time::Duration;

use sampark_tests::netns::{Lan, available};

const SERVER: &str = "import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7777)); s.listen(1); s.settimeout(20)
c,_=s.accept(); print(c.recv(16).decode())";
const CLIENT: &str = "import socket,sys
c=socket.create_connection((sys.argv[1], 7777), timeout=3); c.sendall(b'namaste')";

fn reach(lan: &Lan, from: usize, to: usize) -> bool {
    let (a, b) = (&lan.hosts()[from], &lan.hosts()[to]);
    let server = b.command("python3").args(["-c", SERVER, &b.ip]).stdout(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let client = a.command("python3").args(["-c", CLIENT, &b.ip]).stderr(Stdio::null()).status().unwrap();
    if !client.success() {
        let mut server = server;
        let _ = server.kill();
        let _ = server.wait();
        return false;
    }
    let out = server.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("namaste")
}

#[test]
fn hosts_on_a_bridge_reach_each_other_until_the_link_is_cut() {
    if let Err(why) = available() {
        if std::env::var_os("CI").is_some() {
            panic!("{why}");
        }
        eprintln!("skipped: {why}");
        return;
    }
    let names: Vec<String>;
    {
        let lan = Lan::new("rig", 1, 2).unwrap();
        names = lan.hosts().iter().map(|h| h.ns.clone()).collect();
        assert!(reach(&lan, 0, 1), "host 1 reaches host 2");
        lan.cut(1).unwrap();
        assert!(!reach(&lan, 0, 1), "a cut link cuts");
        lan.restore(1).unwrap();
        assert!(reach(&lan, 0, 1), "a restored link works again");
    }
    let left = std::process::Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&left.stdout);
    assert!(names.iter().all(|n| !left.contains(n.as_str())), "namespaces removed");
}
