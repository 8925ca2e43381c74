//! Provisioning a whole chain with the real commands, and starting its daemons: the state hub
//! `BR`, district `BR/DBG`, block `BR/DBG/P07`, sevikas' phones in the block's centres, and
//! helpdesk operators at each relay.
//!
//! Everything goes through the `sampark-relay` binary exactly as an operator would type it
//! (`init`, `certify`, `enroll`, `operator add`, `run`, and `phone init|enroll|run` for the
//! phones), each home a folder under one directory. Relays and phones listen on 127.0.0.1 only
//! and do not look for peers by mDNS: who meets whom is decided by the caller (a phone meets
//! another with `phone sync --peer`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::DemoError;
use super::procs::{Bin, Daemon, free_port};

/// The state's scope.
pub const STATE: &str = "BR";
/// The district's scope (Darbhanga).
pub const DISTRICT: &str = "BR/DBG";
/// The block's scope (ICDS project P07).
pub const BLOCK: &str = "BR/DBG/P07";

/// A relay's home and who works its helpdesk.
#[derive(Debug, Clone)]
pub struct Relay {
    /// `state`, `district` or `block`.
    pub tier: &'static str,
    /// The scope it serves.
    pub scope: &'static str,
    /// Its home.
    pub home: PathBuf,
    /// Its key, hex.
    pub key: String,
    /// Its helpdesk operator, once added.
    pub operator: Option<Operator>,
}

/// A helpdesk operator's login.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

/// A sevika's phone.
#[derive(Debug, Clone)]
pub struct Phone {
    /// The sevika's name.
    pub name: String,
    /// Her centre (AWC) scope.
    pub awc: String,
    /// The phone's home.
    pub home: PathBuf,
    /// The phone's key, hex.
    pub key: String,
}

/// The three relays of a chain.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The state hub.
    pub state: Relay,
    /// The district relay.
    pub district: Relay,
    /// The block relay.
    pub block: Relay,
}

fn path(p: &Path) -> Result<&str, DemoError> {
    p.to_str().ok_or_else(|| DemoError::Failed(format!("{} is not UTF-8", p.display())))
}

fn key_of(json: &serde_json::Value) -> Result<String, DemoError> {
    json["key"].as_str().map(str::to_string).ok_or_else(|| DemoError::Failed(format!("no key in {json}")))
}

/// `init`s the state hub, then a district certified by it and a block certified by the
/// district, in `dir/state`, `dir/district`, `dir/block`.
pub fn provision(bin: &Bin, dir: &Path) -> Result<Chain, DemoError> {
    let home = dir.join("state");
    let key = key_of(&bin.json(&["init", "--home", path(&home)?, "--tier", "state", "--scope", STATE, "--json"])?)?;
    let state = Relay { tier: "state", scope: STATE, home, key, operator: None };
    let district = relay_below(bin, dir, &state, "district", DISTRICT, "district-relay")?;
    let block = relay_below(bin, dir, &district, "block", BLOCK, "block-relay")?;
    Ok(Chain { state, district, block })
}

/// A relay of `tier` over `scope`, made with `init`, certified by `above` and enrolled.
fn relay_below(
    bin: &Bin,
    dir: &Path,
    above: &Relay,
    tier: &'static str,
    scope: &'static str,
    role: &str,
) -> Result<Relay, DemoError> {
    let home = dir.join(tier);
    let key = key_of(&bin.json(&["init", "--home", path(&home)?, "--tier", tier, "--scope", scope, "--json"])?)?;
    let file = dir.join(format!("{tier}.enrol.json"));
    bin.run(&[
        "certify",
        "--home",
        path(&above.home)?,
        "--subject",
        &key,
        "--role",
        role,
        "--scope",
        scope,
        "--out",
        path(&file)?,
    ])?;
    bin.run(&["enroll", "--home", path(&home)?, "--cert", path(&file)?])?;
    Ok(Relay { tier, scope, home, key, operator: None })
}

/// A sevika's phone in `dir/<home_name>`: `phone init`, certified by the block for `awc`,
/// `phone enroll`.
pub fn phone(bin: &Bin, dir: &Path, block: &Relay, home_name: &str, name: &str, awc: &str) -> Result<Phone, DemoError> {
    let home = dir.join(home_name);
    let key = key_of(&bin.json(&["phone", "init", "--home", path(&home)?, "--json"])?)?;
    let file = dir.join(format!("{home_name}.enrol.json"));
    bin.run(&[
        "certify",
        "--home",
        path(&block.home)?,
        "--subject",
        &key,
        "--role",
        "sevika",
        "--scope",
        awc,
        "--out",
        path(&file)?,
    ])?;
    bin.run(&["phone", "enroll", "--home", path(&home)?, "--cert", path(&file)?])?;
    Ok(Phone { name: name.to_string(), awc: awc.to_string(), home, key })
}

/// A random password for a demo operator (16 hex digits from the system's hasher seed, which
/// the standard library draws from the operating system's random source).
pub fn new_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    format!("{:016x}", hasher.finish())
}

/// Adds the helpdesk operator `user` to the (stopped) relay, with a new password.
pub fn operator(bin: &Bin, relay: &mut Relay, user: &str) -> Result<Operator, DemoError> {
    let password = new_password();
    bin.run_with(&["operator", "add", "--home", path(&relay.home)?, "--user", user], Some(&format!("{password}\n")))?;
    let op = Operator { user: user.to_string(), password };
    relay.operator = Some(op.clone());
    Ok(op)
}

/// How to run a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The helpdesk HTTP address (`--http`), if any (none: `--no-http`). Should it be taken by
    /// the time the relay starts, [`start_relay`] picks another.
    pub http: Option<SocketAddr>,
    /// `--resync` seconds.
    pub resync: u64,
    /// `--duty-every` seconds.
    pub duty_every: u64,
    /// `--block-deadline` and `--district-deadline`, if not the defaults.
    pub deadlines: Option<(String, String)>,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions { http: None, resync: 1, duty_every: 1, deadlines: None }
    }
}

impl RelayOptions {
    /// The same with the helpdesk HTTP API on a free loopback port.
    pub fn with_http(mut self) -> Result<RelayOptions, DemoError> {
        self.http = Some(free_port()?);
        Ok(self)
    }
}

/// Starts `sampark-relay run` for `relay`, dialling `upstream` (the relay above) if given.
pub fn start_relay(
    bin: &Bin,
    relay: &Relay,
    upstream: Option<&Daemon>,
    options: &RelayOptions,
) -> Result<Daemon, DemoError> {
    let mut args: Vec<String> = ["run", "--home", path(&relay.home)?, "--listen", "/ip4/127.0.0.1/tcp/0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--api".into(), "127.0.0.1:0".into(), "--no-mdns".into()]);
    args.extend(["--resync".into(), options.resync.to_string(), "--duty-every".into(), options.duty_every.to_string()]);
    if let Some(up) = upstream {
        args.extend(["--upstream".into(), up.tcp()?]);
    }
    if let Some((block, district)) = &options.deadlines {
        args.extend(["--block-deadline".into(), block.clone(), "--district-deadline".into(), district.clone()]);
    }
    let name = format!("the {} relay", relay.tier);
    let Some(mut http) = options.http else {
        args.push("--no-http".into());
        return Daemon::start(bin, &name, &relay.home, &args);
    };
    // The free port was released for the relay to take; should another process take it first,
    // try another.
    let mut tries = 0;
    loop {
        let with_http: Vec<String> = args.iter().cloned().chain(["--http".into(), http.to_string()]).collect();
        match Daemon::start(bin, &name, &relay.home, &with_http) {
            Ok(mut daemon) => {
                daemon.http = Some(http);
                return Ok(daemon);
            }
            Err(DemoError::Failed(why)) if why.contains("Address already in use") && tries < 3 => {
                tries += 1;
                http = free_port()?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Starts `sampark-relay phone run` for `phone`: listening on loopback, dialling no one.
pub fn start_phone(bin: &Bin, phone: &Phone) -> Result<Daemon, DemoError> {
    let args: Vec<String> = [
        "phone",
        "run",
        "--home",
        path(&phone.home)?,
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
        "--api",
        "127.0.0.1:0",
        "--no-mdns",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Daemon::start(bin, &format!("{}'s phone", phone.name), &phone.home, &args)
}
