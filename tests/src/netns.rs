//! Test hosts in Linux network namespaces, joined by a bridge: a village's Wi-Fi or a phone's
//! hotspot, on one machine.
//!
//! [`Lan::new`] creates a bridge and, per host, a namespace with a veth pair whose outer end is
//! on the bridge and whose inner end gets `10.77.<lan>.<n>/24` (addresses this test assigns
//! itself, inside its own namespaces; no traffic leaves them). Dropping the [`Lan`] deletes the
//! namespaces and the bridge. Links can be cut and restored ([`Lan::cut`], [`Lan::restore`]) and
//! slowed ([`Lan::limit`], `tc tbf`).
//!
//! Needs root and `iproute2` (CI runs as root and installs it). Tests that use it check
//! [`available`] first and say plainly why they cannot run.

use std::process::{Command, Output};

/// Why a namespace operation failed.
#[derive(Debug, thiserror::Error)]
#[error("{command}: {why}")]
pub struct NetnsError {
    command: String,
    why: String,
}

fn run(args: &[&str]) -> Result<Output, NetnsError> {
    let command = args.join(" ");
    let (program, rest) =
        args.split_first().ok_or_else(|| NetnsError { command: command.clone(), why: "empty".into() })?;
    let output = Command::new(program)
        .args(rest)
        .output()
        .map_err(|e| NetnsError { command: command.clone(), why: e.to_string() })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(NetnsError { command, why: String::from_utf8_lossy(&output.stderr).trim().to_owned() })
    }
}

/// `Ok(())` when network namespaces can be made here (root and `ip` present), else why not.
pub fn available() -> Result<(), String> {
    let probe = format!("sampark-probe-{}", std::process::id());
    run(&["ip", "netns", "add", &probe]).map_err(|e| format!("network namespaces are not available: {e}"))?;
    run(&["ip", "netns", "del", &probe]).map_err(|e| e.to_string())?;
    Ok(())
}

/// A bridge and the hosts on it.
#[derive(Debug)]
pub struct Lan {
    bridge: String,
    hosts: Vec<Host>,
    subnet: u8,
}

/// One host: a namespace with one interface on the bridge.
#[derive(Debug, Clone)]
pub struct Host {
    /// The namespace's name.
    pub ns: String,
    /// The host's IPv4 address.
    pub ip: String,
    /// The bridge-side end of its veth pair.
    outer: String,
}

impl Host {
    /// A command that runs `program` inside this host's namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns, program]);
        c
    }
}

impl Lan {
    /// Creates a bridge and `n` hosts on it. `tag` keeps names unique between tests (at most 4
    /// characters); `subnet` picks `10.77.<subnet>.0/24`.
    pub fn new(tag: &str, subnet: u8, n: usize) -> Result<Lan, NetnsError> {
        let pid = std::process::id() % 10_000;
        let bridge = format!("sb{tag}{pid}");
        run(&["ip", "link", "add", &bridge, "type", "bridge"])?;
        let mut lan = Lan { bridge: bridge.clone(), hosts: Vec::new(), subnet };
        run(&["ip", "link", "set", &bridge, "up"])?;
        for i in 1..=n {
            lan.add_host(tag, pid, i)?;
        }
        Ok(lan)
    }

    fn add_host(&mut self, tag: &str, pid: u32, i: usize) -> Result<(), NetnsError> {
        let ns = format!("sampark-{tag}-{pid}-{i}");
        let outer = format!("so{tag}{pid}{i}");
        let inner = format!("si{tag}{pid}{i}");
        let ip = format!("10.77.{}.{}", self.subnet, i);
        run(&["ip", "netns", "add", &ns])?;
        self.hosts.push(Host { ns: ns.clone(), ip: ip.clone(), outer: outer.clone() });
        run(&["ip", "link", "add", &outer, "type", "veth", "peer", "name", &inner])?;
        run(&["ip", "link", "set", &inner, "netns", &ns])?;
        run(&["ip", "link", "set", &outer, "master", &self.bridge])?;
        run(&["ip", "link", "set", &outer, "up"])?;
        run(&["ip", "-n", &ns, "addr", "add", &format!("{ip}/24"), "dev", &inner])?;
        run(&["ip", "-n", &ns, "link", "set", &inner, "up"])?;
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"])?;
        // mDNS needs a multicast route on the interface.
        run(&["ip", "-n", &ns, "route", "add", "224.0.0.0/4", "dev", &inner])?;
        Ok(())
    }

    /// The hosts, in order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// Takes host `i`'s link down (a phone walks out of range).
    pub fn cut(&self, i: usize) -> Result<(), NetnsError> {
        let h = self.host(i)?;
        run(&["ip", "link", "set", &h.outer, "down"]).map(|_| ())
    }

    /// Brings host `i`'s link back up.
    pub fn restore(&self, i: usize) -> Result<(), NetnsError> {
        let h = self.host(i)?;
        run(&["ip", "link", "set", &h.outer, "up"]).map(|_| ())
    }

    /// Limits traffic towards host `i` to `rate` (e.g. `64kbit`), like a 2G link.
    pub fn limit(&self, i: usize, rate: &str) -> Result<(), NetnsError> {
        let h = self.host(i)?;
        run(&[
            "tc", "qdisc", "replace", "dev", &h.outer, "root", "tbf", "rate", rate, "burst", "8kbit", "latency",
            "400ms",
        ])
        .map(|_| ())
    }

    fn host(&self, i: usize) -> Result<&Host, NetnsError> {
        self.hosts.get(i).ok_or_else(|| NetnsError { command: format!("host {i}"), why: "no such host".into() })
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for h in &self.hosts {
            let _ = run(&["ip", "netns", "del", &h.ns]);
            let _ = run(&["ip", "link", "del", &h.outer]);
        }
        let _ = run(&["ip", "link", "del", &self.bridge]);
    }
}
