//! Who may hold a connection, before and after the contact protocol has checked their
//! certificate: a [`NetworkBehaviour`] that only admits or denies connections.
//!
//! Anybody can open a socket to a relay, and anybody can make a key and finish the Noise
//! handshake with it; only the contact's hello shows whether the key holds a certificate of
//! this state's chain. So connections are admitted in two pools:
//!
//! - **known** peers: keys that hold a certificate that counts now in the node's trust store
//!   (they met this node before, or were certified by it). They are limited only by the total,
//!   [`Limits::max_established`];
//! - **strangers**: every other key. At most [`Limits::max_strangers`] at once, and at most
//!   [`Limits::max_strangers_per_ip`] from one address, so strangers can never take the room
//!   kept for known peers, and one address cannot take all the strangers' room.
//!
//! Before the handshake ends the key is not known at all, only the address: at most
//! [`Limits::max_pending_per_ip`] handshakes run at once from one address, and each is cut after
//! the swarm's connection timeout. Addresses a known key connected from in the last
//! [`RECENT_IP`] have handshake room of their own; all other addresses share
//! [`Limits::max_pending`], and all handshakes together are at most twice that. So a flood from many addresses can fill the strangers' room, but a
//! phone that met this node before, from where it met it, still gets through. A key whose contact this node refused (no valid
//! certificate, a malformed or silent peer) is [`Admission::ban`]ned: its connections are
//! closed and new ones denied for a time that doubles with each refusal, up to [`MAX_BAN`].
//!
//! The node's driver ([`super::Net`]) tells this behaviour which keys are known
//! ([`Admission::set_known`]) and whom to ban; the behaviour itself reads no clock but
//! [`Instant`] values handed to it, and holds state bounded by the connection limits plus one
//! entry per banned key (expired bans are forgotten; at most [`MAX_BANNED`] are kept).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::IpAddr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use libp2p::core::transport::PortUse;
use libp2p::core::{ConnectedPoint, Endpoint, Multiaddr};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::behaviour::{ConnectionEstablished, ListenFailure};
use libp2p::swarm::{
    ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm, dummy,
};

/// The first ban of a refused key.
pub const FIRST_BAN: Duration = Duration::from_secs(60);
/// The longest ban.
pub const MAX_BAN: Duration = Duration::from_secs(3600);
/// Most banned keys remembered (the oldest ban is forgotten first).
pub const MAX_BANNED: usize = 4096;
/// How long an address a known key connected from keeps its own handshake room.
pub const RECENT_IP: Duration = Duration::from_secs(7 * 24 * 3600);
/// Most such addresses remembered (the oldest is forgotten first).
pub const MAX_RECENT_IPS: usize = 4096;

/// How many connections of each kind are admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Handshakes in progress from addresses no known key connected from recently, in all.
    pub max_pending: usize,
    /// Handshakes in progress from one IP address.
    pub max_pending_per_ip: usize,
    /// Established connections, in all.
    pub max_established: usize,
    /// Established connections of keys not known to hold a certificate.
    pub max_strangers: usize,
    /// The same, from one IP address.
    pub max_strangers_per_ip: usize,
    /// Established connections of one key.
    pub max_per_peer: usize,
}

impl Limits {
    /// Limits for a node that may hold `max_established` connections: strangers get at most half
    /// of them, a quarter of that from one address; twice as many handshakes as connections.
    pub fn for_connections(max_established: usize) -> Limits {
        let max_established = max_established.max(4);
        let max_strangers = (max_established / 2).max(2);
        Limits {
            max_pending: max_established * 2,
            max_pending_per_ip: (max_established / 8).max(4),
            max_established,
            max_strangers,
            max_strangers_per_ip: (max_strangers / 4).max(2),
            max_per_peer: 2,
        }
    }
}

#[derive(Debug)]
struct Ban {
    until: Instant,
    length: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Established {
    peer: PeerId,
    ip: Option<IpAddr>,
    stranger: bool,
}

/// The admission behaviour (see the module docs).
#[derive(Debug)]
pub struct Admission {
    limits: Limits,
    known: HashSet<PeerId>,
    banned: HashMap<PeerId, Ban>,
    /// Handshakes in progress: their address, and whether it is a recent address of a known key.
    pending: HashMap<ConnectionId, (Option<IpAddr>, bool)>,
    recent_ips: HashMap<IpAddr, Instant>,
    established: HashMap<ConnectionId, Established>,
    now: Instant,
}

/// Why a connection was denied (the swarm logs it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Denied(&'static str);

fn deny(why: &'static str) -> ConnectionDenied {
    ConnectionDenied::new(Denied(why))
}

/// The IP address of a multiaddr, if it has one.
fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

impl Admission {
    /// Admission under `limits`, knowing no key yet.
    pub fn new(limits: Limits) -> Admission {
        Admission {
            limits,
            known: HashSet::new(),
            banned: HashMap::new(),
            pending: HashMap::new(),
            recent_ips: HashMap::new(),
            established: HashMap::new(),
            now: Instant::now(),
        }
    }

    /// The keys that hold a certificate that counts now; the connections of those that were
    /// strangers until now leave the strangers' room, and their addresses become recent.
    pub fn set_known(&mut self, known: HashSet<PeerId>) {
        self.known = known;
        let mut promoted = Vec::new();
        for e in self.established.values_mut().filter(|e| e.stranger && self.known.contains(&e.peer)) {
            e.stranger = false;
            promoted.extend(e.ip);
        }
        for ip in promoted {
            self.remember_ip(ip);
        }
    }

    /// True when `peer` is known.
    pub fn is_known(&self, peer: &PeerId) -> bool {
        self.known.contains(peer)
    }

    /// Bans `peer` from `now`: for [`FIRST_BAN`], or twice its last ban if that ended less than
    /// [`MAX_BAN`] ago. Returns how long.
    pub fn ban(&mut self, peer: PeerId, now: Instant) -> Duration {
        self.now = now;
        self.banned.retain(|_, b| now < b.until + MAX_BAN);
        if self.banned.len() >= MAX_BANNED
            && let Some(oldest) = self.banned.iter().min_by_key(|(_, b)| b.until).map(|(p, _)| *p)
        {
            self.banned.remove(&oldest);
        }
        let length = match self.banned.get(&peer) {
            Some(last) => (last.length * 2).min(MAX_BAN),
            None => FIRST_BAN,
        };
        self.banned.insert(peer, Ban { until: now + length, length });
        length
    }

    /// True when `peer` is banned at `now`.
    pub fn is_banned(&self, peer: &PeerId, now: Instant) -> bool {
        self.banned.get(peer).is_some_and(|b| now < b.until)
    }

    /// Moves the behaviour's clock (the driver calls it every tick).
    pub fn tick(&mut self, now: Instant) {
        self.now = now;
    }

    /// True when a known key connected from `ip` within [`RECENT_IP`].
    fn is_recent(&self, ip: Option<IpAddr>) -> bool {
        ip.and_then(|ip| self.recent_ips.get(&ip)).is_some_and(|t| self.now.saturating_duration_since(*t) < RECENT_IP)
    }

    /// Remembers that a known key connected from `ip`.
    fn remember_ip(&mut self, ip: IpAddr) {
        if self.recent_ips.len() >= MAX_RECENT_IPS
            && !self.recent_ips.contains_key(&ip)
            && let Some(oldest) = self.recent_ips.iter().min_by_key(|(_, t)| **t).map(|(ip, _)| *ip)
        {
            self.recent_ips.remove(&oldest);
        }
        self.recent_ips.insert(ip, self.now);
    }

    /// Established connections of strangers, in all and from `ip`.
    fn strangers(&self, ip: Option<IpAddr>) -> (usize, usize) {
        let strangers = self.established.values().filter(|e| e.stranger);
        let (mut all, mut from_ip) = (0, 0);
        for e in strangers {
            all += 1;
            if ip.is_some() && e.ip == ip {
                from_ip += 1;
            }
        }
        (all, from_ip)
    }

    /// Admits an established connection of `peer` from `ip`, or says why not.
    fn admit(&self, peer: &PeerId, ip: Option<IpAddr>) -> Result<(), ConnectionDenied> {
        if self.is_banned(peer, self.now) {
            return Err(deny("the key was refused recently"));
        }
        if self.established.values().filter(|e| e.peer == *peer).count() >= self.limits.max_per_peer {
            return Err(deny("too many connections of this key"));
        }
        if self.established.len() >= self.limits.max_established {
            return Err(deny("no room for another connection"));
        }
        if !self.known.contains(peer) {
            let (all, from_ip) = self.strangers(ip);
            if all >= self.limits.max_strangers {
                return Err(deny("no room for another key without a known certificate"));
            }
            if from_ip >= self.limits.max_strangers_per_ip {
                return Err(deny("too many keys without a known certificate from this address"));
            }
        }
        Ok(())
    }
}

impl NetworkBehaviour for Admission {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        let ip = ip_of(remote);
        let recent = self.is_recent(ip);
        if self.pending.len() >= self.limits.max_pending * 2 {
            return Err(deny("too many handshakes in progress, even from known addresses"));
        }
        if !recent && self.pending.values().filter(|(_, r)| !r).count() >= self.limits.max_pending {
            return Err(deny("too many handshakes in progress"));
        }
        if ip.is_some() && self.pending.values().filter(|(p, _)| *p == ip).count() >= self.limits.max_pending_per_ip {
            return Err(deny("too many handshakes in progress from this address"));
        }
        self.pending.insert(connection_id, (ip, recent));
        Ok(())
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        peer: PeerId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.pending.remove(&connection_id);
        self.admit(&peer, ip_of(remote))?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        // This node chose to dial: only the ban and the totals apply.
        if self.is_banned(&peer, self.now) {
            return Err(deny("the key was refused recently"));
        }
        let _ = addr;
        if self.established.len() >= self.limits.max_established {
            return Err(deny("no room for another connection"));
        }
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(ConnectionEstablished { peer_id, connection_id, endpoint, .. }) => {
                let (ip, stranger) = match endpoint {
                    ConnectedPoint::Listener { send_back_addr, .. } => {
                        (ip_of(send_back_addr), !self.known.contains(&peer_id))
                    }
                    ConnectedPoint::Dialer { address, .. } => (ip_of(address), false),
                };
                self.pending.remove(&connection_id);
                if let Some(ip) = ip.filter(|_| self.known.contains(&peer_id)) {
                    self.remember_ip(ip);
                }
                self.established.insert(connection_id, Established { peer: peer_id, ip, stranger });
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.established.remove(&connection_id);
            }
            FromSwarm::ListenFailure(ListenFailure { connection_id, .. }) => {
                self.pending.remove(&connection_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(&mut self, _peer: PeerId, _connection: ConnectionId, event: THandlerOutEvent<Self>) {
        match event {}
    }

    fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_double_and_end() {
        let mut a = Admission::new(Limits::for_connections(64));
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert_eq!(a.ban(peer, t0), FIRST_BAN);
        assert!(a.is_banned(&peer, t0 + FIRST_BAN / 2));
        assert!(!a.is_banned(&peer, t0 + FIRST_BAN));
        assert_eq!(a.ban(peer, t0 + FIRST_BAN), FIRST_BAN * 2);
        let mut length = FIRST_BAN * 2;
        for _ in 0..10 {
            length = a.ban(peer, t0 + FIRST_BAN);
        }
        assert_eq!(length, MAX_BAN);
    }

    #[test]
    fn strangers_never_take_the_room_of_known_peers() {
        let limits = Limits::for_connections(8);
        let mut a = Admission::new(limits);
        let ip: Option<IpAddr> = Some([127, 0, 0, 2].into());
        let mut admitted = 0;
        for i in 0..20u32 {
            let peer = PeerId::random();
            let from = if i % 2 == 0 { ip } else { Some(IpAddr::from([10, 0, 0, i as u8])) };
            if a.admit(&peer, from).is_ok() {
                a.established
                    .insert(ConnectionId::new_unchecked(i as usize), Established { peer, ip: from, stranger: true });
                admitted += 1;
            }
        }
        assert_eq!(admitted, limits.max_strangers);
        assert!(a.strangers(ip).1 <= limits.max_strangers_per_ip);
        let known = PeerId::random();
        a.set_known(HashSet::from([known]));
        assert!(a.admit(&known, ip).is_ok(), "a known key is admitted while strangers fill their room");
        assert!(a.admit(&PeerId::random(), Some([10, 9, 9, 9].into())).is_err());
    }
}
