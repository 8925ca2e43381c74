//! The demo's story, step by step, told as it happens: who does what, what moved, how long it
//! took. Each step waits for what it needs by polling with a deadline ([`procs::until`]) and
//! stops with an error naming what did not happen.
//!
//! The cast: five sevikas of block P07 (Darbhanga) in sectors S03 and S05, and one helpdesk
//! operator at each of the block, the district and the state. Three tickets: Sunita's is
//! resolved at the block; Rekha's is escalated to the district and resolved there; Meena's is
//! escalated to the district, then the state, and resolved there. Anita and Pushpa carry the
//! others' tickets (data mules); the relays sync with the tier above every second (`--resync 1`)
//! and do their duties every second, so each hop takes a second or two.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::acts::{self, Cast, STEP};
use super::chain::{self, Chain, Phone, RelayOptions};
use super::helpdesk;
use super::procs::{self, Bin, Daemon, until};
use super::{DemoError, Options};

/// The sevikas: name, home folder, centre.
pub const SEVIKAS: [(&str, &str, &str); 5] = [
    ("Sunita Devi", "sunita", "BR/DBG/P07/S03/A0412"),
    ("Rekha Kumari", "rekha", "BR/DBG/P07/S03/A0415"),
    ("Meena Devi", "meena", "BR/DBG/P07/S05/A0501"),
    ("Anita Kumari", "anita", "BR/DBG/P07/S03/A0418"),
    ("Pushpa Devi", "pushpa", "BR/DBG/P07/S05/A0503"),
];

/// Prints the story with the time since it started.
pub struct Narrator {
    started: Instant,
}

impl Narrator {
    /// Seconds since the story started.
    pub fn secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// A step's title.
    pub fn step(&self, title: &str) {
        println!("\n[{:5.1} s] {title}", self.secs());
    }

    /// A line of the story.
    pub fn say(&self, text: &str) {
        println!("          {text}");
    }

    /// Runs `wait`, saying what it waits for and how long it took.
    pub fn wait<T>(&self, what: &str, wait: impl FnOnce() -> Result<T, DemoError>) -> Result<T, DemoError> {
        use std::io::Write;
        print!("          … {what}");
        let _ = std::io::stdout().flush();
        let started = Instant::now();
        let value = wait();
        println!(" ({:.1} s)", started.elapsed().as_secs_f64());
        value
    }
}

/// The running processes; all are stopped together when this is dropped.
pub struct Running {
    /// State, district and block relays, in that order.
    pub relays: Vec<Daemon>,
    /// The phones.
    pub phones: Vec<Daemon>,
}

impl Running {
    /// Stops everything; returns (clean exits, processes).
    pub fn stop(&mut self) -> (usize, usize) {
        let mut all: Vec<&mut Daemon> = self.relays.iter_mut().chain(self.phones.iter_mut()).collect();
        let n = all.len();
        (procs::stop_all(&mut all), n)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Today's date, `YYYY-MM-DD` (UTC), for register entries.
pub fn today() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    sampark_crdt::due::Day::from_number(i64::try_from(days).unwrap_or(0)).to_string()
}

/// The short form of a key or ticket ID (8 hex digits).
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Tells the whole story in `dir`.
pub fn tell(dir: &Path, options: &Options) -> Result<(), DemoError> {
    let bin = Bin::current()?;
    let n = Narrator { started: Instant::now() };
    println!("Sampark demo: helpdesk tickets from villages with no signal, up to the state and back.");
    println!("Everything runs here as real processes on 127.0.0.1, in {}", dir.display());

    n.step("1. The chain of trust (sampark-relay init, certify, enroll, operator add)");
    let (chain, phones) = provision(&bin, dir, &n)?;

    n.step("2. The relays and the phones start (real processes; the phones have no link to any relay)");
    let mut running = start(&bin, &chain, &phones, &n)?;

    let cast = Cast::of(&phones)?;
    n.step("3. A day's work in the villages, offline");
    let tickets = acts::village_day(&bin, &cast, &n)?;
    n.step("4. The phones meet each other; Anita's phone ends up with the others' tickets");
    acts::mules(&bin, &cast, &running, &tickets, &n)?;
    n.step("5. Anita reaches the block office: her phone meets the block relay");
    acts::reach_block(&bin, &chain, &cast, &running, &tickets, &n)?;

    let desks = acts::log_in(&chain, &running)?;
    n.step("6. The block helpdesk works its queue");
    acts::block_desk(&desks, &tickets, &n)?;
    n.step("7. The district helpdesk");
    acts::district_desk(&desks, &tickets, &n)?;
    n.step("8. The state helpdesk");
    acts::state_desk(&desks, &tickets, &n)?;
    n.step("9. The answers come back down to the block relay");
    acts::down_to_block(&bin, &chain, &tickets, &n)?;
    n.step("10. The answers reach the phones: Anita brings her sector's, Meena meets the relay");
    acts::back_to_phones(&bin, &cast, &running, &tickets, &n)?;

    println!("\nAll three tickets are resolved on the phones that raised them, in {:.1} s.", n.secs());
    print_access(&chain, &running);
    if options.exit_when_done {
        let (clean, all) = running.stop();
        println!("\nstopped {clean} of {all} processes cleanly");
        return Ok(());
    }
    println!("\nThe relays and phones keep running: open the dashboards above. Ctrl-C stops everything.");
    let wait = until("Ctrl-C", Duration::MAX, || Ok(procs::interrupted().then_some(())));
    let (clean, all) = running.stop();
    println!("\nstopped {clean} of {all} processes cleanly");
    match wait {
        Err(DemoError::Interrupted) | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The three relays, the phones, and an operator at each relay.
fn provision(bin: &Bin, dir: &Path, n: &Narrator) -> Result<(Chain, Vec<Phone>), DemoError> {
    let mut chain = chain::provision(bin, dir)?;
    n.say(&format!("state hub {}: root key {}…", chain.state.scope, short(&chain.state.key)));
    n.say(&format!(
        "district relay {}: key {}…, certified by the state",
        chain.district.scope,
        short(&chain.district.key)
    ));
    n.say(&format!("block relay {}: key {}…, certified by the district", chain.block.scope, short(&chain.block.key)));
    let mut phones = Vec::new();
    for (name, home, awc) in SEVIKAS {
        let p = chain::phone(bin, dir, &chain.block, home, name, awc)?;
        n.say(&format!("{name}'s phone ({awc}): key {}…, certified by the block", short(&p.key)));
        phones.push(p);
    }
    for (relay, user) in
        [(&mut chain.block, "p07-helpdesk"), (&mut chain.district, "dbg-helpdesk"), (&mut chain.state, "br-helpdesk")]
    {
        chain::operator(bin, relay, user)?;
        n.say(&format!("helpdesk operator {user:?} at the {} relay", relay.tier));
    }
    Ok((chain, phones))
}

/// Starts the relays (state first, each dialling the one above) and the phones.
fn start(bin: &Bin, chain: &Chain, phones: &[Phone], n: &Narrator) -> Result<Running, DemoError> {
    let mut running = Running { relays: Vec::new(), phones: Vec::new() };
    let mut upstream: Option<usize> = None;
    for relay in [&chain.state, &chain.district, &chain.block] {
        let options = RelayOptions::default().with_http()?;
        let above = upstream.and_then(|i| running.relays.get(i));
        let daemon = chain::start_relay(bin, relay, above, &options)?;
        n.say(&format!(
            "{} {}: pid {}, listening on {}",
            label(relay.tier),
            relay.scope,
            daemon.file.pid,
            plain(&daemon.tcp()?)
        ));
        upstream = Some(running.relays.len());
        running.relays.push(daemon);
    }
    for (relay, daemon) in [&chain.state, &chain.district, &chain.block].iter().zip(&running.relays) {
        let http = http_of(daemon)?;
        n.wait(&format!("the {}'s helpdesk at http://{http}/ answers", label(relay.tier)), || {
            until(format!("the {} relay's HTTP API at {http}", relay.tier), STEP, || Ok(helpdesk::health(http)))
        })?;
    }
    for p in phones {
        let daemon = chain::start_phone(bin, p)?;
        n.say(&format!("{}'s phone: pid {}, listening on {}", p.name, daemon.file.pid, plain(&daemon.tcp()?)));
        running.phones.push(daemon);
    }
    Ok(running)
}

/// "state hub", "district relay", "block relay".
fn label(tier: &str) -> String {
    if tier == "state" { "state hub".into() } else { format!("{tier} relay") }
}

/// A listen address without its `/p2p/<peer id>`.
fn plain(addr: &str) -> &str {
    addr.split("/p2p/").next().unwrap_or(addr)
}

/// The helpdesk HTTP address of a relay daemon.
fn http_of(daemon: &Daemon) -> Result<SocketAddr, DemoError> {
    daemon.http.ok_or_else(|| DemoError::Failed(format!("{} has no helpdesk HTTP API", daemon.name)))
}

/// The dashboards and the operators' logins.
fn print_access(chain: &Chain, running: &Running) {
    println!("\nDashboards and helpdesk logins:");
    for (relay, daemon) in [&chain.state, &chain.district, &chain.block].iter().zip(&running.relays) {
        let http = daemon.http.map_or_else(|| "(no HTTP API)".to_string(), |h| format!("http://{h}/"));
        let login =
            relay.operator.as_ref().map_or_else(String::new, |o| format!("user {}  password {}", o.user, o.password));
        println!("  {:<8} {:<11} {http:<28} {login}", relay.tier, relay.scope);
    }
    println!("Homes and logs: one folder and one .log per relay and phone, next to each other.");
}
