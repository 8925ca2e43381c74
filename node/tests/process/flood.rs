//! A hostile crowd around one relay, for tests and the flood benchmark: raw sockets that stay
//! silent or send garbage, and libp2p peers whose keys are certified by another root (they finish
//! the handshake, say hello, are refused, and try again at once, as long as the crowd runs).
//!
//! Everything runs on its own thread and tokio runtime, targets only loopback addresses the
//! caller gives, holds a bounded number of sockets, and stops when [`Crowd::stop`] is called or
//! after [`MAX_RUN`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::swarm::SwarmEvent;
use sampark_crdt::{Keypair, PublicKey, Role, TrustStore};
use sampark_node::net::{NetConfig, PROTOCOL, contact, swarm};
use sampark_node::proto::{Config, MemoryNode, Outcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The crowd stops by itself after this long.
pub const MAX_RUN: Duration = Duration::from_secs(180);

/// What the crowd is made of.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The relay's TCP port on 127.0.0.1 (for raw sockets).
    pub tcp: SocketAddr,
    /// Raw sockets, half silent and half sending garbage, spread over `addresses` source
    /// addresses 127.0.0.2, 127.0.0.3, ...
    pub sockets: usize,
    /// How many source addresses the raw sockets come from.
    pub addresses: u8,
    /// The relay's libp2p address for the strangers (TCP or QUIC).
    pub relay: Multiaddr,
    /// The relay's key (the strangers' sessions need it).
    pub relay_key: PublicKey,
    /// libp2p peers with certificates of another root, spread over 8 source addresses
    /// 127.0.0.100, ... (each listens there, so its dials leave from there).
    pub strangers: usize,
}

/// What the crowd saw, so far.
#[derive(Debug, Default)]
pub struct Counts {
    /// Raw sockets connected (each reconnection counts).
    pub sockets_opened: AtomicU64,
    /// Raw sockets the relay closed.
    pub sockets_closed: AtomicU64,
    /// Stranger connections established.
    pub strangers_connected: AtomicU64,
    /// Stranger connections the relay closed.
    pub strangers_dropped: AtomicU64,
    /// Stranger contacts the relay refused.
    pub strangers_refused: AtomicU64,
}

/// A running crowd.
pub struct Crowd {
    stop: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Crowd {
    /// Starts the crowd of `plan`; returns once every raw socket has been opened once.
    pub fn start(plan: Plan) -> Crowd {
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let (s, c) = (Arc::clone(&stop), Arc::clone(&counts));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            rt.block_on(run(plan, s, c));
        });
        let crowd = Crowd { stop, counts, thread: Some(thread) };
        let started = Instant::now();
        while crowd.counts.sockets_opened.load(Ordering::Relaxed) == 0 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        crowd
    }

    /// Stops the crowd and closes every socket.
    pub fn stop(mut self) -> Arc<Counts> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Arc::clone(&self.counts)
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn run(plan: Plan, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let started = Instant::now();
    let done = {
        let stop = Arc::clone(&stop);
        move || stop.load(Ordering::Relaxed) || started.elapsed() > MAX_RUN
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..plan.sockets {
        let from = Ipv4Addr::new(127, 0, 0, 2 + (i % usize::from(plan.addresses.max(1))) as u8);
        let (done, counts, target) = (done.clone(), Arc::clone(&counts), plan.tcp);
        tasks.spawn(raw_socket(from, target, i % 2 == 1, done, counts));
    }
    let foreign = ForeignRoot::new();
    for i in 0..plan.strangers {
        let (done, counts, plan) = (done.clone(), Arc::clone(&counts), plan.clone());
        let node = foreign.sevika(i);
        let from = Ipv4Addr::new(127, 0, 0, 100 + (i % 8) as u8);
        tasks.spawn(stranger(node, from, plan, done, counts));
    }
    while tasks.join_next().await.is_some() {}
}

/// One raw socket from `from`: connects, then stays silent or sends garbage, and reconnects
/// whenever the relay closes it.
async fn raw_socket(from: Ipv4Addr, target: SocketAddr, garbage: bool, done: impl Fn() -> bool, counts: Arc<Counts>) {
    let mut junk = [0u8; 64];
    for (i, b) in junk.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    while !done() {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if socket.bind(SocketAddr::new(from.into(), 0)).is_err() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(5), socket.connect(target)).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        counts.sockets_opened.fetch_add(1, Ordering::Relaxed);
        let mut buf = [0u8; 256];
        loop {
            if done() {
                return;
            }
            if garbage && stream.write_all(&junk).await.is_err() {
                break;
            }
            match tokio::time::timeout(Duration::from_millis(250), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                _ => {}
            }
        }
        counts.sockets_closed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One libp2p peer of another root: dials, says hello in a contact (refused), keeps its
/// connection open with a stream it never uses, and dials again when dropped.
async fn stranger(
    node: (Keypair, MemoryNode),
    from: Ipv4Addr,
    plan: Plan,
    done: impl Fn() -> bool,
    counts: Arc<Counts>,
) {
    let (key, node) = node;
    let node = Arc::new(std::sync::Mutex::new(node));
    let config = NetConfig { mdns: false, ..NetConfig::default() };
    let mut swarm = swarm(&key, &config).unwrap();
    for listen in [format!("/ip4/{from}/tcp/0"), format!("/ip4/{from}/udp/0/quic-v1")] {
        swarm.listen_on(listen.parse().unwrap()).unwrap();
    }
    let mut control = swarm.behaviour().stream_control();
    let mut held = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    // Dial once listening, so that dials leave from the listening address.
    let mut listening = 0;
    let mut next_dial = None::<Instant>;
    while !done() {
        tokio::select! {
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { .. } => {
                    listening += 1;
                    if listening == 2 {
                        let _ = swarm.dial(plan.relay.clone());
                    }
                }
                SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                    counts.strangers_connected.fetch_add(1, Ordering::Relaxed);
                    if let Ok(stream) = control.open_stream(peer_id, PROTOCOL).await {
                        let summary = contact::run(stream, plan.relay_key, Arc::clone(&node), Config::default(), None).await;
                        if matches!(summary.outcome, Outcome::RefusedByPeer(_) | Outcome::Refused(_)) {
                            counts.strangers_refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if let Ok(idle) = control.open_stream(peer_id, PROTOCOL).await {
                        held.push(idle);
                    }
                }
                SwarmEvent::ConnectionClosed { num_established: 0, .. } => {
                    counts.strangers_dropped.fetch_add(1, Ordering::Relaxed);
                    held.clear();
                    next_dial = Some(Instant::now() + Duration::from_millis(200));
                }
                SwarmEvent::OutgoingConnectionError { .. } => {
                    next_dial = Some(Instant::now() + Duration::from_millis(500));
                }
                _ => {}
            },
            _ = tick.tick() => {
                if next_dial.is_some_and(|t| Instant::now() >= t) {
                    next_dial = None;
                    let _ = swarm.dial(plan.relay.clone());
                }
            }
        }
    }
}

/// A state root that is not ours, with sevikas of the same centre names.
struct ForeignRoot {
    root: Keypair,
    trust: TrustStore,
}

impl ForeignRoot {
    fn new() -> ForeignRoot {
        let root = Keypair::from_secret([200; 32]);
        let trust = TrustStore::new(root.public());
        ForeignRoot { root, trust }
    }

    fn cert(&self, subject: PublicKey, role: Role, scope: &str) -> sampark_crdt::Certificate {
        super::cert(&self.root, subject, role, scope)
    }

    /// The `i`th sevika of the foreign root: a key and a node holding its chain.
    fn sevika(&self, i: usize) -> (Keypair, MemoryNode) {
        let mut secret = [201u8; 32];
        secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let key = Keypair::from_secret(secret);
        let chain = vec![
            self.cert(self.root.public(), Role::StateHub, "BR"),
            self.cert(key.public(), Role::Sevika, "BR/DBG/P07/S03/A0412"),
        ];
        let mut trust = self.trust.clone();
        for c in &chain {
            let _ = trust.add_certificate(c.clone());
        }
        let node = MemoryNode::new(key.public(), chain, trust);
        (key, node)
    }
}
