//! The libp2p transport that drives the contact protocol.
//!
//! TCP and QUIC, Noise (with the node's own ed25519 key, so the transport authenticates the key
//! whose signatures the node checks), yamux on TCP; mDNS finds phones on the same Wi-Fi or
//! hotspot; identify; relays and other known peers are dialled by address, again and again with
//! backoff while they are unreachable. A contact is one libp2p stream of the `/sampark/sync/1`
//! protocol carrying length-prefixed frames ([`frame`]), driven by [`contact::run`].
//!
//! One event loop ([`Net::run`]) owns the swarm; each contact runs in its own task and reaches
//! the node's data through [`contact::Node`]. Who starts a contact: the side that dialled the
//! connection; on mDNS discovery only the side with the smaller peer ID dials, so two phones
//! that find each other hold one contact, not two. While connected, the dialler starts a new
//! contact every `resync` interval, so data made during a long visit still moves.
//!
//! Who may hold a connection is decided by [`admission`]: keys the node knows to hold a
//! certificate, and strangers in a smaller, per-address share. A stranger must start a contact
//! within [`STRANGER_GRACE`]; a peer whose contact ends while its key still holds no certificate
//! that counts is disconnected at once, and banned for a while if it was refused (no valid
//! certificate, malformed) or fell silent.

pub mod admission;
pub mod contact;
pub mod frame;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder, identify, mdns, noise, tcp, yamux};
use thiserror::Error;
use tokio::task::JoinSet;

use crate::identity::{key_of_peer, libp2p_keypair};
use crate::proto::{Config as SessionConfig, Outcome, Summary};
use contact::Node;
use sampark_crdt::Keypair;

/// The stream protocol of a contact.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/sampark/sync/1");

mod behaviour {
    //! The derived behaviour (its generated event type has no docs of its own).
    #![allow(missing_docs)]

    use libp2p::swarm::NetworkBehaviour;
    use libp2p::swarm::behaviour::toggle::Toggle;
    use libp2p::{identify, mdns};

    /// The network behaviours of a node.
    #[derive(NetworkBehaviour)]
    pub struct Behaviour {
        pub(super) admission: super::admission::Admission,
        pub(super) stream: libp2p_stream::Behaviour,
        pub(super) identify: identify::Behaviour,
        pub(super) mdns: Toggle<mdns::tokio::Behaviour>,
    }
}

pub use behaviour::{Behaviour, BehaviourEvent};

impl Behaviour {
    /// A handle to open and accept streams (for tools and tests that drive a swarm themselves).
    pub fn stream_control(&self) -> libp2p_stream::Control {
        self.stream.new_control()
    }
}

/// How the transport behaves.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/0`, `/ip4/0.0.0.0/udp/0/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers (relays) to dial and keep dialling.
    pub peers: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    pub mdns: bool,
    /// Settings of each contact.
    pub session: SessionConfig,
    /// While connected, start a new contact this often.
    pub resync: Duration,
    /// Most connections at once.
    pub max_connections: u32,
    /// Sign receipts for what peers bring (relays do; phones do not).
    pub issue_receipts: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            listen: Vec::new(),
            peers: Vec::new(),
            mdns: true,
            session: SessionConfig::default(),
            resync: Duration::from_secs(60),
            max_connections: default_max_connections(),
            issue_receipts: false,
        }
    }
}

/// The default for [`NetConfig::max_connections`], from the process's file-descriptor budget
/// ([`crate::httpd::fd_budget`]): its libp2p share covers the connections, up to four times as
/// many handshakes (see [`admission::Limits`]) and the listeners, so a sixth of it, between 16
/// and 1024.
pub fn default_max_connections() -> u32 {
    let share = crate::httpd::fd_budget().p2p / 6;
    u32::try_from(share.clamp(16, 1024)).unwrap_or(64)
}

/// Why the transport could not start or reach a peer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// The key could not become a libp2p identity.
    #[error("the node key cannot be used by the transport: {0}")]
    Key(String),
    /// Building the swarm failed.
    #[error("the network could not start: {0}")]
    Start(String),
    /// Listening on an address failed.
    #[error("cannot listen on {addr}: {why}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        why: String,
    },
    /// The peer could not be reached.
    #[error("could not reach {addr}: {why}")]
    Unreachable {
        /// The address.
        addr: Multiaddr,
        /// Why.
        why: String,
    },
}

/// What the transport reports as it goes (one event a contact: their size does not matter).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// Listening on an address.
    Listening(Multiaddr),
    /// A contact ended.
    Contact {
        /// The peer.
        peer: PeerId,
        /// What moved.
        summary: Summary,
    },
}

/// Builds the swarm for `key`.
pub fn swarm(key: &Keypair, config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let keypair = libp2p_keypair(key).map_err(|e| NetError::Key(e.to_string()))?;
    let limits = admission::Limits::for_connections(usize::try_from(config.max_connections).unwrap_or(64));
    let with_mdns = config.mdns;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Start(e.to_string()))?
        .with_quic()
        .with_behaviour(|key| {
            let mdns = if with_mdns {
                Some(mdns::tokio::Behaviour::new(mdns::Config::default(), key.public().to_peer_id())?)
            } else {
                None
            };
            Ok(Behaviour {
                admission: admission::Admission::new(limits),
                stream: libp2p_stream::Behaviour::new(),
                identify: identify::Behaviour::new(identify::Config::new("/sampark/1".into(), key.public())),
                mdns: Toggle::from(mdns),
            })
        })
        .map_err(|e| NetError::Start(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
        .with_connection_timeout(HANDSHAKE_TIMEOUT)
        .build();
    Ok(swarm)
}

/// A peer dialled by address, with its backoff.
#[derive(Debug)]
struct Dialled {
    addr: Multiaddr,
    next: Instant,
    backoff: Duration,
    connected: Option<PeerId>,
}

/// Longest a connection may take from its first byte to an authenticated, multiplexed link
/// (Noise and yamux over TCP are about four round trips: a few seconds on 2G).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a connection of a key without a known certificate may stay without starting a
/// contact.
pub const STRANGER_GRACE: Duration = Duration::from_secs(10);
/// How long after refusing a peer its connection is closed (time for the refusal to arrive).
const CLOSE_AFTER_REFUSAL: Duration = Duration::from_secs(1);

const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The node's network event loop.
pub struct Net<N: Node + 'static> {
    swarm: Swarm<Behaviour>,
    control: libp2p_stream::Control,
    node: Arc<Mutex<N>>,
    config: NetConfig,
    active: HashSet<PeerId>,
    last_contact: HashMap<PeerId, Instant>,
    dialled_by_us: HashSet<PeerId>,
    dialled: Vec<Dialled>,
    /// Connections of keys without a known certificate, since when.
    strangers: HashMap<PeerId, Instant>,
    /// Peers refused, to be disconnected at the time given.
    closing: HashMap<PeerId, Instant>,
    contacts: JoinSet<(PeerId, Summary)>,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    receipt_secret: Option<[u8; 32]>,
}

impl<N: Node + 'static> Net<N> {
    /// A transport for `node` with key `key`; starts listening on `config.listen`.
    pub fn new(key: &Keypair, node: Arc<Mutex<N>>, config: NetConfig) -> Result<Net<N>, NetError> {
        let mut swarm = swarm(key, &config)?;
        for addr in &config.listen {
            swarm.listen_on(addr.clone()).map_err(|e| NetError::Listen { addr: addr.clone(), why: e.to_string() })?;
        }
        let control = swarm.behaviour().stream.new_control();
        let receipt_secret = config.issue_receipts.then(|| key.secret());
        let now = Instant::now();
        let dialled = config
            .peers
            .iter()
            .map(|addr| Dialled { addr: addr.clone(), next: now, backoff: FIRST_BACKOFF, connected: None })
            .collect();
        Ok(Net {
            swarm,
            control,
            node,
            config,
            active: HashSet::new(),
            last_contact: HashMap::new(),
            dialled_by_us: HashSet::new(),
            dialled,
            strangers: HashMap::new(),
            closing: HashMap::new(),
            contacts: JoinSet::new(),
            events: None,
            receipt_secret,
        })
    }

    /// Reports listening addresses and finished contacts to `events`.
    pub fn with_events(mut self, events: tokio::sync::mpsc::UnboundedSender<Event>) -> Self {
        self.events = Some(events);
        self
    }

    /// This node's peer ID.
    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Runs until `shutdown` completes; contacts in progress are ended (what they delivered is
    /// already stored).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut incoming = match self.control.accept(PROTOCOL) {
            Ok(incoming) => incoming,
            Err(_) => return,
        };
        let mut timer = tokio::time::interval(Duration::from_secs(1));
        self.refresh_known();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(done) = self.contacts.join_next() => {
                    if let Ok((peer, summary)) = done {
                        self.active.remove(&peer);
                        self.last_contact.insert(peer, Instant::now());
                        self.after_contact(peer, &summary);
                        self.emit(Event::Contact { peer, summary });
                    }
                }
                Some((peer, stream)) = incoming.next() => {
                    // A peer may start a new contact before this side has reaped its last one:
                    // take it; contacts are idempotent.
                    self.active.insert(peer);
                    self.spawn_contact(peer, Some(stream));
                }
                event = self.swarm.select_next_some() => self.on_swarm(event),
                _ = timer.tick() => self.on_timer(),
            }
        }
        self.contacts.abort_all();
    }

    /// Tells admission which keys hold a certificate that counts now, by the node's trust store.
    fn refresh_known(&mut self) {
        let known = match self.node.lock() {
            Ok(node) => {
                let trust = node.trust();
                let now = node.clock(contact::now());
                trust
                    .certificates()
                    .map(|c| c.subject)
                    .filter(|k| !trust.grants(k, now).is_empty())
                    .filter_map(|k| crate::identity::peer_id(&k))
                    .collect()
            }
            Err(_) => return,
        };
        self.swarm.behaviour_mut().admission.set_known(known);
    }

    /// After a contact: the peer taught its certificate, or it is dropped and banned.
    /// After a contact: a peer whose key now holds a certificate that counts is known; any other
    /// is disconnected, and banned if this side refused it or it fell silent (a link that broke
    /// is no fault of a new phone on 2G, which may try again at once).
    fn after_contact(&mut self, peer: PeerId, summary: &Summary) {
        self.refresh_known();
        self.strangers.remove(&peer);
        if self.swarm.behaviour().admission.is_known(&peer) {
            return;
        }
        let misbehaved = matches!(summary.outcome, Outcome::Refused(_) | Outcome::TimedOut);
        let ban = misbehaved.then(|| self.swarm.behaviour_mut().admission.ban(peer, Instant::now()));
        let ban_s = ban.map(|b| b.as_secs());
        tracing::info!(%peer, outcome = ?summary.outcome, ?ban_s, "peer without a valid certificate: disconnecting");
        // A moment later, so that the refusal's words reach the peer before the connection goes.
        self.closing.insert(peer, Instant::now() + CLOSE_AFTER_REFUSAL);
    }

    fn emit(&self, event: Event) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }

    fn spawn_contact(&mut self, peer: PeerId, stream: Option<libp2p::Stream>) {
        let Some(key) = key_of_peer(&peer) else {
            tracing::warn!(%peer, "peer without an ed25519 key: no contact");
            self.active.remove(&peer);
            return;
        };
        let mut control = self.control.clone();
        let node = Arc::clone(&self.node);
        let config = self.config.session;
        let signer = self.receipt_secret.map(Keypair::from_secret);
        self.contacts.spawn(async move {
            let stream = match stream {
                Some(s) => s,
                None => match control.open_stream(peer, PROTOCOL).await {
                    Ok(s) => s,
                    Err(e) => {
                        let mut summary = Summary { peer: key.short(), ..Summary::default() };
                        summary.outcome = crate::proto::Outcome::Interrupted(format!("no stream: {e}"));
                        return (peer, summary);
                    }
                },
            };
            (peer, contact::run(stream, key, node, config, signer).await)
        });
    }

    fn on_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                self.emit(Event::Listening(address));
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint: ConnectedPoint::Dialer { address, .. }, .. } => {
                self.dialled_by_us.insert(peer_id);
                for d in self.dialled.iter_mut().filter(|d| same_host(&d.addr, &address)) {
                    d.connected = Some(peer_id);
                    d.backoff = FIRST_BACKOFF;
                }
                if self.active.insert(peer_id) {
                    self.spawn_contact(peer_id, None);
                }
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint: ConnectedPoint::Listener { .. }, .. }
                if !self.swarm.behaviour().admission.is_known(&peer_id) =>
            {
                self.strangers.entry(peer_id).or_insert_with(Instant::now);
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                self.dialled_by_us.remove(&peer_id);
                self.strangers.remove(&peer_id);
                self.closing.remove(&peer_id);
                for d in self.dialled.iter_mut().filter(|d| d.connected == Some(peer_id)) {
                    d.connected = None;
                    d.next = Instant::now() + d.backoff;
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(?peer_id, %error, "dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                let me = *self.swarm.local_peer_id();
                for (peer, addr) in found {
                    let connected = self.swarm.is_connected(&peer);
                    if !connected && me.to_bytes() < peer.to_bytes() {
                        tracing::info!(%peer, %addr, "discovered on the local network; dialling");
                        let _ = self.swarm.dial(addr);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        self.swarm.behaviour_mut().admission.tick(now);
        let due: Vec<PeerId> = self.closing.iter().filter(|(_, at)| **at <= now).map(|(p, _)| *p).collect();
        for peer in due {
            self.closing.remove(&peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let silent: Vec<PeerId> = self
            .strangers
            .iter()
            .filter(|(p, since)| now.duration_since(**since) >= STRANGER_GRACE && !self.active.contains(*p))
            .map(|(p, _)| *p)
            .collect();
        for peer in silent {
            let ban = self.swarm.behaviour_mut().admission.ban(peer, now);
            tracing::info!(%peer, ban_s = ban.as_secs(), "a key without a known certificate started no contact: disconnected");
            self.strangers.remove(&peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        for d in self.dialled.iter_mut().filter(|d| d.connected.is_none() && d.next <= now) {
            tracing::debug!(addr = %d.addr, "dialling");
            if let Err(e) = self.swarm.dial(d.addr.clone()) {
                tracing::debug!(addr = %d.addr, %e, "dial refused");
            }
            d.next = now + d.backoff;
            d.backoff = (d.backoff * 2).min(MAX_BACKOFF);
        }
        let due: Vec<PeerId> = self
            .dialled_by_us
            .iter()
            .filter(|p| !self.active.contains(*p))
            .filter(|p| self.last_contact.get(*p).is_none_or(|t| now.duration_since(*t) >= self.config.resync))
            .copied()
            .collect();
        for peer in due {
            if self.swarm.is_connected(&peer) {
                self.active.insert(peer);
                self.spawn_contact(peer, None);
            }
        }
    }
}

/// True when two addresses name the same host and port (ignoring a trailing `/p2p/...`).
fn same_host(a: &Multiaddr, b: &Multiaddr) -> bool {
    let strip = |m: &Multiaddr| -> Multiaddr {
        m.iter().filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_))).collect()
    };
    strip(a) == strip(b)
}

/// One contact with the peer at `addr`: dial, sync, and return what moved.
pub async fn sync_once<N: Node + 'static>(
    key: &Keypair,
    node: Arc<Mutex<N>>,
    addr: Multiaddr,
    session: SessionConfig,
    connect_timeout: Duration,
) -> Result<Summary, NetError> {
    let config = NetConfig { mdns: false, session, ..NetConfig::default() };
    let mut swarm = swarm(key, &config)?;
    swarm.dial(addr.clone()).map_err(|e| NetError::Unreachable { addr: addr.clone(), why: e.to_string() })?;
    let deadline = tokio::time::sleep(connect_timeout);
    tokio::pin!(deadline);
    let peer = loop {
        tokio::select! {
            () = &mut deadline => {
                return Err(NetError::Unreachable { addr, why: format!("no answer in {} s", connect_timeout.as_secs()) });
            }
            event = swarm.select_next_some() => match event {
                SwarmEvent::ConnectionEstablished { peer_id, .. } => break peer_id,
                SwarmEvent::OutgoingConnectionError { error, .. } => {
                    return Err(NetError::Unreachable { addr, why: error.to_string() });
                }
                _ => {}
            },
        }
    };
    let key_of = key_of_peer(&peer)
        .ok_or_else(|| NetError::Unreachable { addr: addr.clone(), why: "the peer's key is not ed25519".into() })?;
    let mut control = swarm.behaviour().stream.new_control();
    let task = tokio::spawn(async move {
        let stream = control.open_stream(peer, PROTOCOL).await.map_err(|e| e.to_string())?;
        Ok::<Summary, String>(contact::run(stream, key_of, node, session, None).await)
    });
    tokio::pin!(task);
    loop {
        tokio::select! {
            done = &mut task => {
                return match done {
                    Ok(Ok(summary)) => Ok(summary),
                    Ok(Err(why)) => Err(NetError::Unreachable { addr, why }),
                    Err(e) => Err(NetError::Unreachable { addr, why: e.to_string() }),
                };
            }
            _ = swarm.select_next_some() => {}
        }
    }
}
