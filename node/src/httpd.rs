//! A bounded HTTP/1.1 server for an axum [`Router`]: the phone's local API ([`crate::api`]) and
//! a relay's helpdesk both run on it, so that no client can hold the process's file descriptors
//! or memory by sending slowly or not at all.
//!
//! [`serve`] accepts connections itself and drives each with hyper's HTTP/1 connection, with:
//!
//! - **a header timeout** ([`Limits::header_read`], 10 s by default): a request's head must
//!   arrive whole within it, or the connection is closed. hyper 1.12 starts this timer whenever a
//!   connection waits for a request — when it opens and again after each answer — so it is also
//!   the **keep-alive idle timeout**: a kept-alive connection that sends nothing for that long is
//!   closed;
//! - **a body timeout** ([`Limits::body_read`], 30 s): the body must arrive whole within it of the
//!   head; a handler reading it then gets an error ([`is_timeout`] tells it apart), and the
//!   connection is closed after the answer;
//! - **a send timeout** ([`Limits::send_stall`], 30 s): an answer the client stops taking for
//!   that long is dropped with its connection (a client that reads slowly holds nothing);
//! - **a cap on connections** ([`Limits::max_connections`]) and on connections from one source
//!   address ([`Limits::per_address`]; IPv6 addresses by their /64, [`source`]): a connection
//!   over either cap is closed at once, never queued, so connections beyond the cap hold no file
//!   descriptor for longer than it takes to accept and close them;
//! - heads of at most [`MAX_HEAD`] bytes, so that each connection's buffer stays small;
//! - the client's address as axum's [`ConnectInfo<SocketAddr>`] in every request's extensions.
//!
//! When `shutdown` completes, the server stops accepting (the listening socket is closed),
//! closes idle connections, lets requests in progress finish and returns once every connection
//! has ended; callers bound that wait (the daemon waits 5 s).
//!
//! **The file descriptor budget** ([`fd_budget`]). A node's descriptors are its soft
//! `RLIMIT_NOFILE` (read with `getrlimit`; 1024 assumed if it cannot be read, and at most
//! [`LIMIT_CEILING`] counted when it is higher or unlimited). They are shared out so that HTTP
//! clients can never starve the transport:
//!
//! | share | of the soft limit | for |
//! |---|---|---|
//! | [`FdBudget::http`] | a quarter, at least 16 | every HTTP server of the process |
//! | [`FdBudget::p2p`] | a half, at least 16 | libp2p's connections and listeners |
//! | the rest | a quarter | sled's files, logs, the runtime, DNS, blocking threads |
//!
//! Of the HTTP share, the local API (loopback: one address, one app) takes a quarter, at least
//! 8 ([`Limits::local_api`]); a server other machines reach (a relay's helpdesk) takes the
//! rest, at least 8, and one source address at most a quarter of that, at least 4
//! ([`Limits::shared`]). With a limit of 256 that is 16 for the local API, 48 for the helpdesk
//! (12 per address) and 128 for libp2p.
//!
//! Assumptions: the clients speak HTTP/1.1 (no HTTP/2, no upgrades); the router's handlers read
//! bodies through axum's `Body` (so the body timeout reaches them).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};

/// How long a request's head may take, and how long a kept-alive connection may stay idle.
pub const HEADER_READ: Duration = Duration::from_secs(10);
/// How long a request's body may take after its head.
pub const BODY_READ: Duration = Duration::from_secs(30);
/// How long an answer may wait for the client to take more of it.
pub const SEND_STALL: Duration = Duration::from_secs(30);
/// Largest request head (request line and headers), in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// The soft descriptor limit assumed when it cannot be read.
pub const ASSUMED_LIMIT: u64 = 1024;
/// The most descriptors counted in the budget, however high the limit is.
pub const LIMIT_CEILING: u64 = 65_536;
/// How long the accept loop pauses after an error such as "too many open files".
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// How the process's file descriptors are shared out (see the module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft limit the shares come from (after [`ASSUMED_LIMIT`] and [`LIMIT_CEILING`]).
    pub limit: u64,
    /// For every HTTP server of the process together.
    pub http: usize,
    /// For libp2p's connections and listeners.
    pub p2p: usize,
}

impl FdBudget {
    /// The budget for a soft limit of `soft` descriptors (`None`: unlimited).
    pub fn of(soft: Option<u64>) -> FdBudget {
        let limit = soft.unwrap_or(LIMIT_CEILING).min(LIMIT_CEILING);
        let share = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        FdBudget { limit, http: share(limit / 4).max(16), p2p: share(limit / 2).max(16) }
    }

    /// The local API's part of the HTTP share: a quarter, at least 8.
    pub fn local_api(&self) -> usize {
        (self.http / 4).max(8)
    }

    /// The part of the HTTP share for a server other machines reach: the rest, at least 8.
    pub fn shared(&self) -> usize {
        self.http.saturating_sub(self.local_api()).max(8)
    }
}

/// The budget of this process, from its soft `RLIMIT_NOFILE`.
pub fn fd_budget() -> FdBudget {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    // `current: None` is RLIM_INFINITY; a zero would be a limit that could not be read.
    match limit.current {
        Some(0) => FdBudget::of(Some(ASSUMED_LIMIT)),
        soft => FdBudget::of(soft),
    }
}

/// What one server allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most connections open at once; more are closed as they come.
    pub max_connections: usize,
    /// Most connections open at once from one source address ([`source`]).
    pub per_address: usize,
    /// How long a request's head may take; also how long a kept-alive connection may be idle.
    pub header_read: Duration,
    /// How long a request's body may take, from its head.
    pub body_read: Duration,
    /// How long an answer may wait for the client to take more of it.
    pub send_stall: Duration,
}

impl Limits {
    /// `max_connections` connections, `per_address` from one address, and the default timeouts.
    pub fn new(max_connections: usize, per_address: usize) -> Limits {
        Limits {
            max_connections: max_connections.max(1),
            per_address: per_address.clamp(1, max_connections.max(1)),
            header_read: HEADER_READ,
            body_read: BODY_READ,
            send_stall: SEND_STALL,
        }
    }

    /// For the node's local API: its part of [`fd_budget`], all from one address (loopback).
    pub fn local_api() -> Limits {
        let n = fd_budget().local_api();
        Limits::new(n, n)
    }

    /// For a server other machines reach: its part of [`fd_budget`], a quarter (at least 4) from
    /// one address.
    pub fn shared() -> Limits {
        let n = fd_budget().shared();
        Limits::new(n, (n / 4).max(4))
    }
}

/// The address a client is counted under: itself for IPv4, its /64 for IPv6 (one host often
/// holds a whole /64); an IPv4-mapped IPv6 address counts as its IPv4 address.
pub fn source(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                let prefix = |i: usize| s.get(i).copied().unwrap_or(0);
                IpAddr::V6(Ipv6Addr::new(prefix(0), prefix(1), prefix(2), prefix(3), 0, 0, 0, 0))
            }
        },
    }
}

/// A request body that did not arrive within [`Limits::body_read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

/// True when `error`, or an error it wraps, is a [`BodyTimeout`].
pub fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<BodyTimeout>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets requests in progress finish and returns when every connection has ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = u32::try_from(limits.max_connections).unwrap_or(u32::MAX).max(1);
    let slots = Arc::new(Semaphore::new(usize::try_from(permits).unwrap_or(1)));
    let sources = Sources::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was taken: pause so that
                // a full table does not spin the loop, then go on.
                tracing::debug!(error = %e, "HTTP accept failed");
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_PAUSE) => continue,
                }
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::debug!(%peer, "HTTP connection refused: too many open");
            drop(stream);
            continue;
        };
        let Some(counted) = sources.take(source(peer.ip()), limits.per_address) else {
            tracing::debug!(%peer, "HTTP connection refused: too many from its address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, limits, stop).await;
            drop((slot, counted));
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _all_ended = slots.acquire_many(permits).await;
    Ok(())
}

/// Drives one connection until it ends, or until `stop` turns true and it has shut down.
async fn connection(stream: TcpStream, peer: SocketAddr, router: Router, limits: Limits, stop: watch::Receiver<bool>) {
    let body_read = limits.body_read;
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(|body| axum::body::Body::new(TimedBody::new(body, body_read)));
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        tower_service::Service::call(&mut router, request)
    });
    let io = TokioIo::new(Stalling::new(stream, limits.send_stall));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read.max(Duration::from_millis(1)))
        .max_buf_size(MAX_HEAD.max(8192))
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stop = stop;
    let stopping = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = stopping => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
}

/// Connections open per source address.
#[derive(Clone, Default)]
struct Sources(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address; uncounted when dropped.
struct Counted {
    sources: Sources,
    addr: IpAddr,
}

impl Sources {
    /// Counts a connection from `addr` unless it already has `most`.
    fn take(&self, addr: IpAddr, most: usize) -> Option<Counted> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(addr).or_insert(0);
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Counted { sources: self.clone(), addr })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.sources.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.addr) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.addr);
            }
        }
    }
}

/// A request body that fails with [`BodyTimeout`] once `limit` has passed since the head.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    fn new(inner: Incoming, limit: Duration) -> TimedBody {
        TimedBody { inner, deadline: Instant::now() + limit, timer: None }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Some(Err(Box::new(BodyTimeout))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A stream whose writes fail once one has waited `limit` for the client to take bytes.
struct Stalling {
    inner: TcpStream,
    limit: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Stalling {
    fn new(inner: TcpStream, limit: Duration) -> Stalling {
        Stalling { inner, limit, timer: None }
    }

    /// After a write-side poll: `Ready` clears the timer; `Pending` starts it, or fails once it
    /// has run out.
    fn watch<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.timer = None;
            return polled;
        }
        let limit = self.limit;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped taking the answer")))
    }
}

impl AsyncRead for Stalling {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stalling {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "httpd_tests.rs"]
mod tests;
