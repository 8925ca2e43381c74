//! The `sampark-node` command line: argument parsing and dispatch, as a library so that other
//! binaries can run it too (`sampark-relay phone ...` is exactly `sampark-node ...`).
//!
//! [`main_with`] only parses arguments, calls the library ([`crate::api::client::execute`],
//! [`crate::daemon::run`], [`crate::home::Home::init`]) and prints what comes back. It sets up
//! `tracing` on standard error unless the process already has a subscriber.
//! Exit codes: 0 done; 1 the input or the rules refused it; 2 the command line is wrong; 3 the
//! node is not set up, busy, or failed; 4 the peer could not be reached or the contact did not
//! finish. Every command is described in `docs/node.md`.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::api::client::execute;
use crate::daemon::{self, DaemonError};
use crate::home::Home;
use crate::ops::entries::EntryQuery;
use crate::ops::record::with_register;
use crate::ops::{ErrorKind, Lang, OpError, Request, text};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use libp2p::Multiaddr;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

/// Peer-to-peer sync for Anganwadi registers and helpdesk tickets, offline first.
///
/// Each phone runs a node that keeps its centre's registers and tickets as signed documents in
/// a home directory, and syncs them with other phones and the block relay whenever they meet.
/// Commands that change data work whether or not `run` is serving the same home: while it is,
/// they go through its local API.
#[derive(Debug, Parser)]
#[command(name = "sampark-node", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
struct Common {
    /// The node's home directory (its key, its store, its state).
    #[arg(long, value_name = "DIR")]
    home: PathBuf,
    /// Print machine-readable JSON (the same JSON as the local API) instead of text.
    #[arg(long)]
    json: bool,
    /// Language of the text output: hi (Hindi) or en (English).
    #[arg(long, value_enum, default_value = "hi")]
    lang: Lang,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new node: its key (from the system's random source) and an empty store.
    ///
    /// Prints the public key: give it to the block relay, which issues the enrolment file.
    /// Refuses to touch a home that already has a key.
    Init(Common),
    /// Install the certificate chain the block relay issued for this node.
    ///
    /// The file pins the state's root key and holds the node's certificates, root first (see
    /// docs/node.md). Everything is checked before anything is stored. Run it again with a new
    /// file to renew an expired certificate.
    Enroll {
        #[command(flatten)]
        common: Common,
        /// The enrolment file.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
    },
    /// Run the node: listen, find phones nearby (mDNS), dial relays, sync at every contact, and
    /// serve the local JSON API for the phone app. Stops cleanly on Ctrl-C or SIGTERM.
    ///
    /// Logs go to standard error; set RUST_LOG (e.g. RUST_LOG=debug) for more.
    Run {
        #[command(flatten)]
        common: Common,
        /// Address to listen on, e.g. /ip4/0.0.0.0/tcp/4001 or /ip4/0.0.0.0/udp/4001/quic-v1.
        #[arg(long, value_name = "MULTIADDR", required = true, num_args = 1..)]
        listen: Vec<Multiaddr>,
        /// A peer (usually the block relay) to dial, and dial again with backoff while it is away.
        #[arg(long, value_name = "MULTIADDR")]
        peer: Vec<Multiaddr>,
        /// Where the local API listens; 127.0.0.1 only. Port 0 picks a free port (see daemon.json).
        #[arg(long, value_name = "ADDR", default_value = daemon::DEFAULT_API)]
        api: SocketAddr,
        /// Do not look for peers on the local network.
        #[arg(long)]
        no_mdns: bool,
        /// While connected to a dialled peer, sync again this often (seconds).
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        resync: u64,
        /// Carry at most this many megabytes of other centres' data toward the relay; when full,
        /// the least urgent, longest unchanged is dropped first (tickets last).
        #[arg(long, value_name = "MB", default_value_t = 32)]
        carry_quota: u64,
    },
    /// Meet one peer now: dial it, sync once, and print what moved each way.
    ///
    /// Exits with 4 if the peer cannot be reached, refuses, or the contact breaks off.
    Sync {
        #[command(flatten)]
        common: Common,
        /// The peer's address, e.g. /ip4/192.168.43.1/tcp/4001.
        #[arg(long, value_name = "MULTIADDR")]
        peer: String,
    },
    /// Add a register entry (a household, a member, a weighing, a vaccine dose, ...).
    ///
    /// The entry is JSON with the register's fields, e.g.
    /// '{"child":"0a1b2c3d-1767225600000-0","date":"2026-11-03","weight_kg":9.4,"oedema":false}'
    /// with --register growth. The node picks the document from the register and the date.
    Record {
        #[command(flatten)]
        common: Common,
        /// The register: household, member, pregnancy, anc-visit, birth, growth, immunisation,
        /// vitamin-a, vhsnd, thr, attendance, home-visit, referral, stock. May be left out when
        /// the entry has a "register" field; when both are given they must agree.
        #[arg(long, value_name = "NAME")]
        register: Option<String>,
        /// The entry as JSON, or @FILE to read it from a file.
        #[arg(long, value_name = "JSON")]
        entry: String,
        /// The centre the entry belongs to (supervisors only), e.g. BR/DBG/P07/S03/A0412.
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// Record a beneficiary who came from another centre with her history: her doses, weighings,
    /// pregnancies and check-ups, as the block relay exported them (`GET /api/history/ID` on the
    /// relay's helpdesk). She joins the household given; every entry is recorded again here,
    /// validated like any entry.
    ImportHistory {
        #[command(flatten)]
        common: Common,
        /// The history file (JSON, sampark-history/1).
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
        /// Her household here: its entry ID.
        #[arg(long, value_name = "ID")]
        household: String,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// Helpdesk tickets: raise one, follow it, confirm its resolution.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// What the node holds, what waits to go to the relay, what it carries for other centres,
    /// and when it last met each peer.
    Status(Common),
    /// Today's and overdue services for the centre, by household: vaccinations, check-ups,
    /// visits, weighing, rations. Works offline, from the registers this phone holds.
    ///
    /// Give --date when the phone's clock is wrong (the list says so when it looks wrong).
    Due {
        #[command(flatten)]
        common: Common,
        /// The day, YYYY-MM-DD (default: today by the phone's clock).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
    /// The centre's monthly progress report (MPR), from the registers this phone holds: births
    /// and deaths, new registrations, days services were given, nutrition for 21 or more days
    /// by category, pre-school, growth, immunisation, referrals. Works offline.
    ///
    /// A month not over is counted up to today; a closed month is shown as it stood at its
    /// close, with what was written later beside it.
    Mpr {
        #[command(flatten)]
        common: Common,
        /// The month, YYYY-MM (default: this month by the phone's clock).
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// The centre's register entries: one register (--register), one beneficiary's (--about:
    /// her entry and every entry about her), or those whose name, household number or phone
    /// number has a text (--text). Voided entries are shown marked, and a field two phones
    /// wrote differently at once says what was kept and what else was written.
    Entries {
        #[command(flatten)]
        common: Common,
        /// One register: member, household, growth, immunisation, ...
        #[arg(long, value_name = "NAME")]
        register: Option<String>,
        /// An entry ID: that entry and the entries that name it.
        #[arg(long, value_name = "ID")]
        about: Option<String>,
        /// Text in a name or household number, or 4 or more digits of a phone number.
        #[arg(long, value_name = "TEXT")]
        text: Option<String>,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// Correct fields of an entry, e.g. a weight written wrong: --set weight_kg=7.4. The entry
    /// as corrected must still be valid. A field two phones wrote differently is settled by
    /// correcting it.
    Correct {
        #[command(flatten)]
        common: Common,
        /// The entry's ID (see `entries`).
        id: String,
        /// FIELD=VALUE, as often as needed. VALUE is read as JSON when it reads as JSON (7.4,
        /// true, null to clear an optional field), otherwise as text.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// Void an entry written by mistake or twice: it stays in the register, marked, with the
    /// reason, and no longer counts.
    Void {
        #[command(flatten)]
        common: Common,
        /// The entry's ID (see `entries`).
        id: String,
        /// Why, in your own words.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// Members that may be one person written twice (same name and date of birth, e.g. added
    /// on two phones), to review and void one.
    Duplicates {
        #[command(flatten)]
        common: Common,
        /// The centre (supervisors only).
        #[arg(long, value_name = "SCOPE")]
        centre: Option<String>,
    },
    /// The address of the sevika's app served by this home's running daemon, with its key:
    /// open it in a browser on this computer (the phone's app opens it itself). Keep it to
    /// yourself: whoever has it can read and write the registers.
    App(Common),
    /// Give disk space back: a phone folds the changes a relay's receipts show upstream into
    /// snapshots (the relay keeps them signed), then the store is rewritten. A relay keeps
    /// every signed change and is only rewritten. Safe to interrupt.
    Compact(Common),
}

#[derive(Debug, Subcommand)]
enum TicketCommand {
    /// Raise a ticket about a problem (works offline; it travels to the block helpdesk).
    Raise {
        #[command(flatten)]
        common: Common,
        /// The problem area: login-enrolment, sync, app-error, data-correction, phone-hardware, other.
        #[arg(long, value_name = "C")]
        category: String,
        /// The problem, in your own words (Hindi or English).
        #[arg(long, value_name = "T")]
        text: String,
    },
    /// Add a comment to a ticket.
    Comment {
        #[command(flatten)]
        common: Common,
        /// The ticket's ID, or its first 8 or more hex digits.
        id: String,
        /// The comment.
        #[arg(long, value_name = "T")]
        text: String,
    },
    /// Reopen a resolved ticket that is not solved (only the person who raised it).
    Reopen {
        #[command(flatten)]
        common: Common,
        /// The ticket's ID, or its first 8 or more hex digits.
        id: String,
        /// Why it is not solved.
        #[arg(long, value_name = "T")]
        text: Option<String>,
    },
    /// Confirm that a resolved ticket is solved; it is closed (only the person who raised it).
    Confirm {
        #[command(flatten)]
        common: Common,
        /// The ticket's ID, or its first 8 or more hex digits.
        id: String,
    },
    /// List the tickets on this node, newest first.
    List(Common),
    /// Show a ticket: status, tier, deadline, and every step with who did it, as what, and when.
    Show {
        #[command(flatten)]
        common: Common,
        /// The ticket's ID, or its first 8 or more hex digits.
        id: String,
    },
}

/// Runs `sampark-node` with `args` (the first is the program's name, as in `std::env::args_os`)
/// and returns its exit code: clap's own for `--help`, `--version` and usage errors (2).
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let daemon = matches!(cli.command, Command::Run { .. });
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(if daemon { "info" } else { "warn" }));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    match cli.command {
        Command::Init(common) => init(&common),
        Command::App(common) => app(&common),
        Command::Run { common, listen, peer, api, no_mdns, resync, carry_quota } => {
            let config = daemon::Config {
                home: Home::new(common.home),
                listen,
                peers: peer,
                api,
                mdns: !no_mdns,
                resync: Duration::from_secs(resync.max(1)),
                carry_quota: carry_quota.saturating_mul(1024 * 1024),
                duties: None,
                keep_registers: false,
                deadlines: sampark_crdt::ticket::Deadlines::default(),
            };
            run(config)
        }
        command => match request(command) {
            (common, Ok(request)) => perform(&common, request),
            (common, Err(e)) => fail(&common, &e),
        },
    }
}

/// `FIELD=VALUE` pairs as fields: a value that reads as JSON is taken as JSON, anything else as
/// text.
fn field_values(pairs: &[String]) -> Result<serde_json::Map<String, Value>, OpError> {
    let mut fields = serde_json::Map::new();
    for pair in pairs {
        let Some((field, value)) = pair.split_once('=') else {
            return Err(OpError::Invalid(format!("--set {pair:?}: write FIELD=VALUE, e.g. --set weight_kg=7.4")));
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(OpError::Invalid(format!("--set {pair:?}: the field name is missing")));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        if fields.insert(field.to_owned(), value).is_some() {
            return Err(OpError::Invalid(format!("--set names {field} twice")));
        }
    }
    Ok(fields)
}

/// The options and the request a data command stands for (or why it cannot be made).
fn request(command: Command) -> (Common, Result<Request, OpError>) {
    match command {
        Command::Enroll { common, cert } => {
            (common, crate::ops::EnrolFile::read(&cert).map(|file| Request::Enroll { file }))
        }
        Command::Sync { common, peer } => (common, Ok(Request::Sync { peer })),
        Command::Record { common, register, entry, centre } => {
            let entry = entry_json(&entry, register.as_deref()).map_err(|e| OpError::Invalid(format!("{e:#}")));
            (common, entry.map(|entry| Request::Record { entry, centre }))
        }
        Command::ImportHistory { common, file, household, centre } => {
            let history = history_json(&file).map_err(|e| OpError::Invalid(format!("{e:#}")));
            (common, history.map(|history| Request::ImportHistory { history, household, centre }))
        }
        Command::Status(common) => (common, Ok(Request::Status)),
        Command::Compact(common) => (common, Ok(Request::Compact)),
        Command::Due { common, date } => (common, Ok(Request::Due { date })),
        Command::Mpr { common, month, centre } => (common, Ok(Request::Mpr { month, centre })),
        Command::Entries { common, register, about, text, centre } => {
            (common, Ok(Request::Entries { query: EntryQuery { register, about, text, centre } }))
        }
        Command::Correct { common, id, set, centre } => {
            (common, field_values(&set).map(|fields| Request::Correct { entry: id, fields, centre }))
        }
        Command::Void { common, id, reason, centre } => (common, Ok(Request::Void { entry: id, reason, centre })),
        Command::Duplicates { common, centre } => (common, Ok(Request::Duplicates { centre })),
        Command::Ticket(t) => match t {
            TicketCommand::Raise { common, category, text } => (common, Ok(Request::Raise { category, text })),
            TicketCommand::Comment { common, id, text } => (common, Ok(Request::Comment { ticket: id, text })),
            TicketCommand::Reopen { common, id, text } => (common, Ok(Request::Reopen { ticket: id, text })),
            TicketCommand::Confirm { common, id } => (common, Ok(Request::Confirm { ticket: id })),
            TicketCommand::List(common) => (common, Ok(Request::Tickets)),
            TicketCommand::Show { common, id } => (common, Ok(Request::Ticket { ticket: id })),
        },
        Command::Init(common) | Command::App(common) | Command::Run { common, .. } => {
            (common, Err(OpError::Failed("internal error: this command is not a request".into())))
        }
    }
}

/// The entry given on the command line (JSON, or @FILE), with `--register` put in or checked.
/// Largest history file read, in bytes (5,000 entries of about 300 bytes, with room).
const MAX_HISTORY_FILE: u64 = 4 * 1024 * 1024;

fn history_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let len =
        std::fs::metadata(path).with_context(|| format!("cannot read the history file {}", path.display()))?.len();
    if len > MAX_HISTORY_FILE {
        anyhow::bail!("{} is {len} bytes; a history file is at most {MAX_HISTORY_FILE}", path.display());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the history file {}", path.display()))?;
    serde_json::from_str(&text).context("the history file is not valid JSON")
}

fn entry_json(entry: &str, register: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let text = match entry.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read the entry file {path}"))?,
        None => entry.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(&text).context("--entry is not valid JSON")?;
    match register {
        Some(name) => Ok(with_register(value, name)?),
        None => Ok(value),
    }
}

fn app(common: &Common) -> ExitCode {
    let home = Home::new(&common.home);
    let running = crate::api::client::running_daemon(&home).and_then(|_| daemon::DaemonFile::read(&home));
    let Some(file) = running else {
        let why = format!(
            "no daemon serves {}: start `sampark-node run --home {}` first; the app is served by it",
            common.home.display(),
            common.home.display()
        );
        return fail(common, &OpError::Remote { kind: ErrorKind::NotReady, message: why });
    };
    match home.api_token() {
        Ok(token) => {
            let url = format!("http://127.0.0.1:{}/#t={token}", file.api.port());
            if common.json {
                println!("{}", serde_json::json!({ "url": url }));
            } else {
                println!("{url}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(common, &OpError::from(e)),
    }
}

fn init(common: &Common) -> ExitCode {
    match Home::new(&common.home).init() {
        Ok(key) if common.json => {
            let home = common.home.display().to_string();
            println!("{}", serde_json::json!({ "key": key.to_hex(), "home": home }));
            ExitCode::SUCCESS
        }
        Ok(key) => {
            print!("{}", text::initialised(&key.to_hex(), common.lang));
            ExitCode::SUCCESS
        }
        Err(e) => fail(common, &OpError::from(e)),
    }
}

fn run(config: daemon::Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(daemon::run(config, daemon::shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let code = match &e {
                DaemonError::Node(op) => op.kind().exit_code(),
                _ => 3,
            };
            ExitCode::from(code)
        }
    }
}

fn perform(common: &Common, request: Request) -> ExitCode {
    match execute(&common.home, request) {
        Ok(response) => {
            if common.json {
                println!("{}", response.to_json());
            } else {
                print!("{}", text::render(&response, common.lang));
            }
            ExitCode::from(response.exit_code())
        }
        Err(e) => fail(common, &e),
    }
}

fn fail(common: &Common, e: &OpError) -> ExitCode {
    let kind: ErrorKind = e.kind();
    if common.json {
        eprintln!("{}", serde_json::json!({ "error": e.to_string(), "kind": kind }));
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(kind.exit_code())
}
