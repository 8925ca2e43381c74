//! `sampark-relay`: the block, district and state relays' command line.
//!
//! This file parses arguments and prints results; the work is in `sampark_relay` and
//! `sampark_node`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use libp2p::Multiaddr;
use sampark_crdt::{Programme, PublicKey, Role, Scope, Timestamp};
use sampark_node::daemon;
use sampark_node::home::Home;
use sampark_node::ops::EnrolFile;
use sampark_node::ops::enrol::enroll_home;
use sampark_relay::provision::{self, Tier};
use sampark_relay::{alerts, duties};

/// Sampark's relays: the block helpdesk's laptop, the district office, the state data hub.
///
/// A relay is a node with duties. Set one up with `init` (the state hub makes the root of trust
/// here), have the tier above `certify` its key, `enroll` it with the file you get back, then
/// `run` it. A relay certifies the relays, operators, supervisors and sevikas' phones below it,
/// and revokes them (a lost phone, a worker who left).
#[derive(Parser)]
#[command(name = "sampark-relay", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the `run` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Make a relay's home and key. With `--tier state`, also the state's root of trust.
    ///
    /// Prints the new key: give it to the tier above, which certifies it with `certify`.
    Init {
        /// The relay's home directory (created).
        #[arg(long)]
        home: PathBuf,
        /// state, district or block.
        #[arg(long)]
        tier: Tier,
        /// The scope it serves, e.g. BR (state), BR/DBG (district), BR/DBG/P07 (block).
        #[arg(long)]
        scope: Scope,
        /// For the state hub: how many days the root certificate is valid.
        #[arg(long, default_value_t = 3650)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Certify a key (a relay, an operator, a supervisor or a sevika's phone) inside this
    /// relay's scope, and write the enrolment file the key's owner installs with `enroll`.
    Certify {
        /// The issuing relay's home.
        #[arg(long)]
        home: PathBuf,
        /// The key to certify, 64 hex digits (printed by its `init`).
        #[arg(long)]
        subject: PublicKey,
        /// district-relay, block-relay, operator, supervisor or sevika.
        #[arg(long)]
        role: Role,
        /// Where it works: a district, block, sector (supervisor) or centre (sevika) code path.
        #[arg(long)]
        scope: Scope,
        /// Days the certificate is valid (never past this relay's own).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// For a district relay (certified by the state): the district gives Japanese
        /// Encephalitis vaccine routinely, so its phones list JE-1 and JE-2 and its coverage
        /// and alerts count them. To change it later, certify the district relay again.
        #[arg(long)]
        je_vaccine: bool,
        /// Where to write the enrolment file.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Install this relay's certificate from the file the tier above wrote with `certify`.
    Enroll {
        /// The relay's home.
        #[arg(long)]
        home: PathBuf,
        /// The enrolment file.
        #[arg(long)]
        cert: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key below this relay (a lost or stolen phone, a worker who left). The revocation
    /// spreads to every node at its next contacts; changes the key makes from now are refused.
    Revoke {
        /// The revoking relay's home.
        #[arg(long)]
        home: PathBuf,
        /// The key to revoke, 64 hex digits.
        #[arg(long)]
        subject: PublicKey,
        /// Why, in a few words.
        #[arg(long)]
        reason: String,
        /// From when the key's statements are refused, in IST: YYYY-MM-DD (midnight) or
        /// YYYY-MM-DDTHH:MM[:SS], when the loss was found late; by default from now. What a relay
        /// accepted before it learnt of the revocation stands whatever the date
        /// (docs/threat-model.md).
        #[arg(long, value_name = "WHEN")]
        from: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the relay: accept phones and lower relays, keep dialling the relay above, sync, and
    /// sign receipts for what arrives.
    Run {
        /// The relay's home.
        #[arg(long)]
        home: PathBuf,
        /// An address to listen on, e.g. /ip4/0.0.0.0/tcp/4001 or /ip4/0.0.0.0/udp/4001/quic-v1.
        #[arg(long, required = true, value_name = "MULTIADDR")]
        listen: Vec<Multiaddr>,
        /// The relay above (district for a block, state for a district), dialled with backoff.
        #[arg(long, value_name = "MULTIADDR")]
        upstream: Vec<Multiaddr>,
        /// The local JSON API (loopback only).
        #[arg(long, default_value = daemon::DEFAULT_API)]
        api: SocketAddr,
        /// Do not look for peers on the local network.
        #[arg(long)]
        no_mdns: bool,
        /// How often to stamp receipts and escalate overdue tickets (seconds).
        #[arg(long, default_value_t = 30)]
        duty_every: u64,
        /// While connected to the relay above, sync with it again this often (seconds): how soon
        /// escalations go up and resolutions come down.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        resync: u64,
        /// For a district relay or the state hub: keep the registers of the blocks below as well
        /// as their tickets (a block relay always keeps its block's registers).
        #[arg(long)]
        keep_registers: bool,
        /// How long the block helpdesk has from a ticket's arrival before its relay escalates it
        /// to the district, e.g. 48h, 90m, 30s (a district relay or the state hub shows it).
        #[arg(long, value_name = "SPAN", default_value = "48h", value_parser = duties::parse_span)]
        block_deadline: Duration,
        /// How long the district helpdesk has before its relay escalates to the state.
        #[arg(long, value_name = "SPAN", default_value = "72h", value_parser = duties::parse_span)]
        district_deadline: Duration,
        /// Where the helpdesk HTTP API and dashboard listen; a LAN address lets the helpdesk's
        /// other computers in (plain HTTP: see docs/operations.md). Port 0 picks a free port.
        #[arg(long, value_name = "ADDR", default_value = sampark_relay::http::DEFAULT_ADDR)]
        http: SocketAddr,
        /// Do not serve the helpdesk HTTP API.
        #[arg(long)]
        no_http: bool,
        #[command(flatten)]
        http_limits: HttpLimitArgs,
        #[command(flatten)]
        sms: SmsArgs,
    },
    /// Add, list or remove the helpdesk operators who log in to this relay's dashboard.
    Operator {
        #[command(subcommand)]
        command: sampark_relay::operators::cli::Command,
    },
    /// Show the whole system at work on this machine, as real processes.
    ///
    /// Provisions a state hub, a district, a block, five sevikas' phones and a helpdesk operator
    /// at each relay in a temporary folder (printed), starts them all as real processes on
    /// 127.0.0.1, and tells how three tickets raised offline travel phone to phone to the block,
    /// are escalated to the district and the state, resolved, and come back to the phones. Then
    /// prints the dashboards' addresses and the operators' logins and runs until Ctrl-C or
    /// SIGTERM, when it stops everything and removes the folder. The relays and phones are in the
    /// demo's process group: `kill -- -PGID` stops them all.
    Demo(sampark_relay::demo::Options),
    /// Run the phone's node command (`sampark-node`) with the rest of the arguments, e.g.
    /// `sampark-relay phone ticket show ID --home H`: one binary for the demo's phones too.
    #[command(hide = true, disable_help_flag = true, disable_version_flag = true)]
    Phone {
        /// The `sampark-node` arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<std::ffi::OsString>,
    },
}

/// The helpdesk server's limits (see docs/operations.md).
#[derive(clap::Args)]
struct HttpLimitArgs {
    /// How long a request's head may take, and a kept-alive connection may stay idle.
    #[arg(long, value_name = "SPAN", default_value = "10s", value_parser = duties::parse_span)]
    http_header_timeout: Duration,
    /// How long a request's body may take after its head.
    #[arg(long, value_name = "SPAN", default_value = "30s", value_parser = duties::parse_span)]
    http_body_timeout: Duration,
    /// Most helpdesk connections open at once (default: from the file descriptor limit, see
    /// docs/operations.md); one address may hold a quarter of them.
    #[arg(long, value_name = "N")]
    http_max_connections: Option<usize>,
}

impl HttpLimitArgs {
    fn limits(&self) -> sampark_node::httpd::Limits {
        let shared = sampark_node::httpd::Limits::shared();
        let base = match self.http_max_connections {
            Some(n) => sampark_node::httpd::Limits::new(n, (n / 4).max(4)),
            None => shared,
        };
        sampark_node::httpd::Limits { header_read: self.http_header_timeout, body_read: self.http_body_timeout, ..base }
    }
}

/// SMS alerts (a block relay computes them; see docs/operations.md).
#[derive(clap::Args)]
struct SmsArgs {
    /// Kannel's sendsms interface (the smsbox), e.g. http://127.0.0.1:13013; without it alerts
    /// are computed and queued but not sent.
    #[arg(long, value_name = "URL")]
    sms_gateway: Option<String>,
    /// The Kannel sendsms-user's username.
    #[arg(long, value_name = "USER", default_value = "sampark")]
    sms_user: String,
    /// A file whose first line is the sendsms-user's password.
    #[arg(long, value_name = "FILE")]
    sms_password_file: Option<PathBuf>,
    /// The sender ID the messages come from.
    #[arg(long, value_name = "ID", default_value = "ICDSBR")]
    sms_from: String,
    /// How often to compute alerts and send what is ready.
    #[arg(long, value_name = "SPAN", default_value = "60s", value_parser = duties::parse_span)]
    alerts_every: Duration,
    /// The wait before retrying a failed message, doubled at each failure.
    #[arg(long, value_name = "SPAN", default_value = "30s", value_parser = duties::parse_span)]
    sms_retry: Duration,
    /// The longest wait between retries.
    #[arg(long, value_name = "SPAN", default_value = "1h", value_parser = duties::parse_span)]
    sms_retry_max: Duration,
}

impl SmsArgs {
    /// The alerts' options; fails when the password file does not read or others may read it.
    fn options(&self) -> Result<alerts::Options, String> {
        let gateway = match &self.sms_gateway {
            None => None,
            Some(url) => {
                let password = match &self.sms_password_file {
                    Some(file) => alerts::read_password_file(file)?,
                    None => String::new(),
                };
                Some(alerts::Gateway {
                    url: url.clone(),
                    user: self.sms_user.clone(),
                    password,
                    from: self.sms_from.clone(),
                })
            }
        };
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let backoff = alerts::Backoff {
            first_ms: ms(self.sms_retry),
            cap_ms: ms(self.sms_retry_max),
            ..alerts::Backoff::default()
        };
        Ok(alerts::Options { gateway, every: self.alerts_every, backoff })
    }
}

/// The relay's duties on its tickets (receipts, escalation on deadline), logged as they happen.
fn run_duties(node: &mut sampark_node::ops::Node) {
    if let Err(e) = duties::perform(node) {
        eprintln!("error: relay duties: {e}");
    }
}

/// A revocation's start, `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM[:SS]`, in IST.
fn revocation_start(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("--from {text:?}: give a date and time in IST, e.g. 2026-11-28 or 2026-11-28T14:30");
    let (day, time) = text.split_once('T').unwrap_or((text, "00:00"));
    let day = sampark_crdt::due::Day::parse(day).map_err(|e| format!("--from: {e}"))?;
    let parts: Vec<i64> = time.split(':').map(|p| p.parse::<i64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, sec] => (*h, *m, *sec),
        _ => return Err(bad()),
    };
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&sec) {
        return Err(bad());
    }
    let ist = 5 * Timestamp::HOUR + 30 * 60_000;
    Ok(Timestamp(day.number() * Timestamp::DAY - ist + ((h * 60 + m) * 60 + sec) * 1000))
}

fn now() -> Timestamp {
    sampark_node::ops::wall_clock()
}

fn show(json: bool, value: &impl serde::Serialize, text: String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        println!("{text}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Phone { args } => {
            return sampark_node::cli::main_with(std::iter::once("sampark-relay phone".into()).chain(args));
        }
        Command::Demo(options) => return sampark_relay::demo::main(&options),
        _ => {}
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let result: Result<(), String> = match cli.command {
        Command::Init { home, tier, scope, days, json } => {
            provision::init(&Home::new(home), tier, &scope, days, now()).map_err(|e| e.to_string()).map(|c| {
                let text = match &c.enrolled {
                    Some(_) => format!("state hub for {} created; root key {}", c.scope, c.key),
                    None => format!(
                        "{} relay for {} created; key {}\nhave the tier above certify it",
                        c.tier, c.scope, c.key
                    ),
                };
                show(json, &c, text);
            })
        }
        Command::Certify { home, subject, role, scope, days, je_vaccine, out, json } => {
            let programme = Programme { je_vaccine };
            provision::certify_with(&Home::new(home), subject, role, &scope, programme, days, now())
                .map_err(|e| e.to_string())
                .and_then(|(file, cert)| {
                    std::fs::write(&out, file.to_json())
                        .map_err(|e| format!("could not write {}: {e}", out.display()))
                        .map(|()| {
                            let summary = serde_json::json!({
                                "subject": subject.to_hex(), "role": role.to_string(), "scope": scope.to_string(),
                                "valid_until": cert.not_after.0, "file": out.display().to_string(),
                                "je_vaccine": cert.programme.je_vaccine,
                            });
                            show(
                                json,
                                &summary,
                                format!(
                                    "certified {} as {role} over {scope}; wrote {}",
                                    subject.short(),
                                    out.display()
                                ),
                            );
                        })
                })
        }
        Command::Enroll { home, cert, json } => EnrolFile::read(&cert)
            .and_then(|file| enroll_home(&Home::new(home), &file, now()))
            .map_err(|e| e.to_string())
            .map(|e| show(json, &e, format!("enrolled as {} over {}", e.role, e.scope))),
        Command::Revoke { home, subject, reason, from, json } => from
            .as_deref()
            .map(revocation_start)
            .transpose()
            .and_then(|from| {
                let from = from.unwrap_or_else(now);
                provision::revoke(&Home::new(home), subject, &reason, from).map_err(|e| e.to_string())
            })
            .map(|r| {
                let summary =
                    serde_json::json!({"subject": r.subject.to_hex(), "from": r.revoked_at.0, "reason": r.reason});
                show(
                    json,
                    &summary,
                    format!("revoked {}; the revocation spreads at the next contacts", subject.short()),
                );
            }),
        Command::Run {
            home,
            listen,
            upstream,
            api,
            no_mdns,
            duty_every,
            resync,
            keep_registers,
            block_deadline,
            district_deadline,
            http,
            no_http,
            http_limits,
            sms,
        } => {
            let config = daemon::Config {
                home: Home::new(home),
                listen,
                peers: upstream,
                api,
                mdns: !no_mdns,
                resync: Duration::from_secs(resync.max(1)),
                carry_quota: 0,
                duties: Some(daemon::Duties { every: Duration::from_secs(duty_every.max(1)), run: run_duties }),
                keep_registers,
                deadlines: duties::deadlines(block_deadline, district_deadline),
            };
            let http = (!no_http).then(|| (http, http_limits.limits()));
            sms.options().and_then(|options| run(config, http, options))
        }
        Command::Operator { command } => sampark_relay::operators::cli::run(command, now()),
        Command::Phone { .. } | Command::Demo(_) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs the relay's daemon, with the helpdesk HTTP API on `http` (its address and limits) unless
/// it is `None`, and its SMS alerts.
fn run(
    config: daemon::Config,
    http: Option<(SocketAddr, sampark_node::httpd::Limits)>,
    sms: alerts::Options,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the runtime: {e}"))?;
    runtime.block_on(async {
        let (outbox, alerts_task) = alerts::start(&config.home, sms)?;
        let extra = match http {
            Some((addr, limits)) => {
                let helpdesk = sampark_relay::http::start_with(addr, &config.home, Some(outbox), limits).await?;
                alerts::together(helpdesk, alerts_task)
            }
            None => alerts_task,
        };
        daemon::run_with(config, daemon::shutdown_signal(), Some(extra)).await.map_err(|e| e.to_string())
    })
}
