//! The daemon (`sampark-node run`): the node's transport and its local API, until shutdown.
//!
//! [`run`] opens the home's node once and shares it as `Arc<Mutex<ops::Node>>` between:
//!
//! - the transport ([`Net`]): listens, dials the given peers again and again with backoff, finds
//!   phones on the same Wi-Fi or hotspot with mDNS, and syncs at each contact;
//! - the local JSON HTTP API ([`crate::api`]) on 127.0.0.1, for the phone app and for CLI
//!   commands run while the daemon holds the store.
//!
//! A relay adds its own task beside these with [`run_with`] (its helpdesk HTTP server), which
//! gets the same node and stops with the daemon.
//!
//! The daemon's own loop owns neither: it waits for shutdown (a future passed in; the binary
//! passes Ctrl-C or SIGTERM, [`shutdown_signal`]), records each finished contact in the store's
//! peer state, compacts the store once a day ([`COMPACT_EVERY`], [`ops::compact`]), and keeps `HOME/daemon.json` ([`DaemonFile`]) up to date with the API address
//! and the addresses the transport listens on, so other commands find it. The file is removed on
//! a clean exit; a stale one (after a kill) is recognised because its API does not answer.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libp2p::Multiaddr;
use sampark_crdt::Keypair;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::{mpsc, watch};

use crate::home::Home;
use crate::identity::key_of_peer;
use crate::net::{Event, Net, NetConfig, NetError, sync_once};
use crate::ops::{self, OpError, SyncReport};
use crate::proto::Config as SessionConfig;

/// The API address used when `--api` is not given.
pub const DEFAULT_API: &str = "127.0.0.1:7600";
/// How often the daemon compacts its store (the first time one period after it starts).
pub const COMPACT_EVERY: Duration = Duration::from_secs(24 * 3600);
/// How long `sync` waits for the peer to answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// How to run the daemon.
#[derive(Debug, Clone)]
pub struct Config {
    /// The node's home.
    pub home: Home,
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers (relays) to dial and keep dialling.
    pub peers: Vec<Multiaddr>,
    /// Where the local API listens (a loopback address; port 0 picks one).
    pub api: SocketAddr,
    /// Discover peers on the local network.
    pub mdns: bool,
    /// While connected to a dialled peer, start a new contact this often.
    pub resync: Duration,
    /// Most bytes of other centres' data to carry.
    pub carry_quota: u64,
    /// Work the node does on its own, on a timer and after each contact (a relay's duties).
    pub duties: Option<Duties>,
    /// As a district relay or the state hub, keep registers as well as tickets.
    pub keep_registers: bool,
    /// How long each tier has before its relay escalates (a relay's configuration; phones use
    /// the default to show deadlines).
    pub deadlines: sampark_crdt::ticket::Deadlines,
}

/// Work a node does on its own: `run` is called every `every` and after each contact, with the
/// node locked, off the async threads.
#[derive(Clone)]
pub struct Duties {
    /// How often.
    pub every: Duration,
    /// What.
    pub run: fn(&mut ops::Node),
}

impl std::fmt::Debug for Duties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Duties").field("every", &self.every).finish_non_exhaustive()
    }
}

/// Why the daemon could not start or stopped early.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The node could not be opened.
    #[error(transparent)]
    Node(#[from] OpError),
    /// The API address is not on this machine's loopback.
    #[error("the local API serves this machine only: give --api 127.0.0.1:PORT, not {0}")]
    NotLoopback(SocketAddr),
    /// The API could not listen.
    #[error(
        "cannot serve the local API on {addr}: {source}; is another daemon using that port? Choose another with --api"
    )]
    Api {
        /// The address.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The transport could not start.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The daemon file could not be written.
    #[error("could not write {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// What a running daemon writes into `HOME/daemon.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonFile {
    /// The daemon's process ID.
    pub pid: u32,
    /// The node's public key.
    pub key: String,
    /// The node's libp2p peer ID.
    pub peer_id: String,
    /// Where the local API listens.
    pub api: SocketAddr,
    /// The addresses the transport listens on (each ends in `/p2p/<peer id>`).
    pub listen: Vec<String>,
}

impl DaemonFile {
    /// The daemon file of `home`, if one is there and reads.
    pub fn read(home: &Home) -> Option<DaemonFile> {
        let text = std::fs::read_to_string(home.daemon_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the file atomically (a temporary file renamed over it).
    pub fn write(&self, home: &Home) -> Result<(), DaemonError> {
        let path = home.daemon_file();
        let tmp = path.with_extension("json.new");
        let fail = |source| DaemonError::File { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }

    /// Removes the daemon file of `home`.
    pub fn remove(home: &Home) {
        let _ = std::fs::remove_file(home.daemon_file());
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// A future that completes when the daemon stops, handed to an [`Extra`] task.
pub type Stopping = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A task run beside the daemon, sharing its node (a relay's helpdesk HTTP server): called once
/// the node is open, with the node and a future that completes when the daemon stops; the task
/// must finish soon after that future does (the daemon waits 5 s for it).
pub type Extra = Box<dyn FnOnce(Arc<Mutex<ops::Node>>, Stopping) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Runs the daemon until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
    run_with(config, shutdown, None).await
}

/// Runs the daemon until `shutdown` completes, with `extra` (if any) beside it, stopped with it.
pub async fn run_with(
    config: Config,
    shutdown: impl Future<Output = ()>,
    extra: Option<Extra>,
) -> Result<(), DaemonError> {
    if !config.api.ip().is_loopback() {
        return Err(DaemonError::NotLoopback(config.api));
    }
    let home = config.home.clone();
    let key = home.key().map_err(OpError::from)?;
    home.make_private().map_err(OpError::from)?;
    let token = home.api_token().map_err(OpError::from)?;
    let node = Arc::new(Mutex::new(
        ops::Node::open(&home)?.with_carry_quota(config.carry_quota).with_deadlines(config.deadlines),
    ));
    let listener = tokio::net::TcpListener::bind(config.api)
        .await
        .map_err(|source| DaemonError::Api { addr: config.api, source })?;
    let api = listener.local_addr().map_err(|source| DaemonError::Api { addr: config.api, source })?;
    let is_relay = node.lock().map(|n| crate::proto::policy::is_relay(&n.scope_grants())).unwrap_or(false);
    let net_config = NetConfig {
        listen: config.listen.clone(),
        peers: config.peers.clone(),
        mdns: config.mdns,
        resync: config.resync,
        issue_receipts: is_relay,
        session: SessionConfig { keep_registers: config.keep_registers, ..SessionConfig::default() },
        ..NetConfig::default()
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let net = Net::new(&key, Arc::clone(&node), net_config)?.with_events(events_tx);
    let mut file = DaemonFile {
        pid: std::process::id(),
        key: key.public().to_hex(),
        peer_id: net.peer_id().to_string(),
        api,
        listen: Vec::new(),
    };
    file.write(&home)?;
    tracing::info!(%api, key = %key.public().short(), peer_id = %file.peer_id, "daemon started");

    let (stop_tx, stop_rx) = watch::channel(false);
    let net_task = tokio::spawn(net.run(stopped(stop_rx.clone())));
    let state = crate::api::State::new(Arc::clone(&node), key, api, token);
    let api_task = tokio::spawn(crate::api::serve(listener, state, stopped(stop_rx.clone())));
    let extra_task = extra.map(|task| tokio::spawn(task(Arc::clone(&node), Box::pin(stopped(stop_rx)))));
    let result = event_loop(&home, &node, &mut file, events, config.duties.clone(), shutdown).await;

    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), net_task).await;
    match tokio::time::timeout(Duration::from_secs(5), api_task).await {
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the local API stopped with an error"),
        Err(_) => tracing::warn!("the local API did not stop in 5 s"),
        _ => {}
    }
    if let Some(task) = extra_task
        && tokio::time::timeout(Duration::from_secs(5), task).await.is_err()
    {
        tracing::warn!("the daemon's extra task did not stop in 5 s");
    }
    DaemonFile::remove(&home);
    tracing::info!("daemon stopped");
    result
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Waits for shutdown, keeping the daemon file and the peers' last contacts up to date.
async fn event_loop(
    home: &Home,
    node: &Arc<Mutex<ops::Node>>,
    file: &mut DaemonFile,
    mut events: mpsc::UnboundedReceiver<Event>,
    duties: Option<Duties>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    tokio::pin!(shutdown);
    let every = duties.as_ref().map_or(Duration::from_secs(3600), |d| d.every);
    let mut timer = tokio::time::interval(every);
    let mut compaction = tokio::time::interval_at(tokio::time::Instant::now() + COMPACT_EVERY, COMPACT_EVERY);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            _ = timer.tick(), if duties.is_some() => perform(node, duties.as_ref()).await,
            _ = compaction.tick() => compact(node).await,
            event = events.recv() => match event {
                Some(Event::Listening(addr)) => {
                    file.listen.push(format!("{addr}/p2p/{}", file.peer_id));
                    file.write(home)?;
                }
                Some(Event::Contact { peer, summary }) => {
                    let report = SyncReport::new(&summary, peer.to_string(), String::new(), 0);
                    if let Some(key) = key_of_peer(&peer) {
                        record(node, key, report).await;
                    }
                    perform(node, duties.as_ref()).await;
                }
                None => {
                    tracing::error!("the transport stopped");
                    return Ok(());
                }
            },
        }
    }
}

/// Runs the node's duties, if it has any, off the async threads.
async fn perform(node: &Arc<Mutex<ops::Node>>, duties: Option<&Duties>) {
    let Some(duties) = duties.cloned() else { return };
    let node = Arc::clone(node);
    let _ = tokio::task::spawn_blocking(move || {
        if let Ok(mut n) = node.lock() {
            (duties.run)(&mut n);
        }
    })
    .await;
}

/// Compacts the node's store (see [`ops::compact`]), off the async threads, and logs what it did.
async fn compact(node: &Arc<Mutex<ops::Node>>) {
    let node = Arc::clone(node);
    let done = tokio::task::spawn_blocking(move || match node.lock() {
        Ok(mut n) => n.compact(),
        Err(_) => Err(OpError::Failed("the node's state is unavailable".into())),
    })
    .await;
    match done {
        Ok(Ok(c)) => tracing::info!(
            folded = c.changes_folded,
            kept = c.changes_kept,
            bytes_before = c.bytes_before,
            bytes_after = c.bytes_after,
            "store compacted"
        ),
        Ok(Err(e)) => tracing::warn!(error = %e, "could not compact the store"),
        Err(e) => tracing::warn!(error = %e, "compaction stopped"),
    }
}

/// Records a finished contact in the node's store, off the async threads.
async fn record(node: &Arc<Mutex<ops::Node>>, peer: sampark_crdt::PublicKey, report: SyncReport) {
    let node = Arc::clone(node);
    let done = tokio::task::spawn_blocking(move || match node.lock() {
        Ok(mut n) => n.record_contact(peer, &report),
        Err(_) => Err(OpError::Failed("the node's state is unavailable".into())),
    })
    .await;
    if let Ok(Err(e)) = done {
        tracing::warn!(error = %e, "could not record a contact");
    }
}

/// One contact with the peer at `peer`, through `node` (shared with the transport or the API):
/// dials, syncs, records the contact in the store and reports what moved.
pub async fn sync(node: Arc<Mutex<ops::Node>>, key: &Keypair, peer: &str) -> Result<SyncReport, OpError> {
    let addr: Multiaddr = peer.parse().map_err(|e| OpError::Invalid(format!("{peer:?} is not a multiaddress: {e}")))?;
    let started = Instant::now();
    let summary = sync_once(key, Arc::clone(&node), addr.clone(), SessionConfig::default(), CONNECT_TIMEOUT)
        .await
        .map_err(|e| OpError::Unreachable(e.to_string()))?;
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let full = node.lock().ok().and_then(|n| n.peer_by_short(&summary.peer));
    let peer_name = full.map(|k| k.to_hex()).unwrap_or_else(|| summary.peer.clone());
    let report = SyncReport::new(&summary, peer_name, addr.to_string(), millis);
    if let Some(key) = full {
        record(&node, key, report.clone()).await;
    }
    Ok(report)
}

/// One contact from a home no daemon is running on: opens the node, syncs, closes it.
pub fn sync_home(home: &Path, peer: &str) -> Result<SyncReport, OpError> {
    let home = Home::new(home);
    let key = home.key()?;
    let node = Arc::new(Mutex::new(ops::Node::open(&home)?));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| OpError::Failed(format!("could not start the network runtime: {e}")))?;
    runtime.block_on(sync(node, &key, peer))
}
