//! The bounded server on real loopback sockets: each timeout closes what it should, the caps
//! close extra connections at once, the client's address reaches handlers, and a shutdown lets a
//! request in progress finish.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::*;

/// An answer larger than the sockets' buffers on loopback.
const BIG: usize = 64 << 20;
const LOOPBACK_2: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/who", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "done"
            }),
        )
        .route("/big", get(|| async { vec![b'x'; BIG] }))
        .route(
            "/echo",
            post(|body: Body| async move {
                match axum::body::to_bytes(body, 1 << 16).await {
                    Ok(bytes) => (StatusCode::OK, bytes.len().to_string()),
                    Err(e) if is_timeout(&e) => (StatusCode::REQUEST_TIMEOUT, "late".to_owned()),
                    Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                }
            }),
        )
}

fn quick(max: usize, per_address: usize) -> Limits {
    Limits {
        header_read: Duration::from_millis(400),
        body_read: Duration::from_millis(400),
        send_stall: Duration::from_millis(400),
        ..Limits::new(max, per_address)
    }
}

/// A server on a free loopback port; the sender stops it; the handle ends when it has stopped.
async fn start(limits: Limits) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app(), limits, async {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(to).await.unwrap()
}

/// Reads until the server closes the connection (or `within` passes); returns what was read and
/// whether it closed.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// Sends one GET and reads its whole answer (the connection is kept alive).
async fn get_once(stream: &mut TcpStream, path: &str) -> String {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n") || !answer_complete(&got) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before the answer: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn answer_complete(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length
}

#[tokio::test]
async fn half_a_head_is_closed_after_the_header_timeout() {
    let (addr, _stop, _task) = start(quick(64, 64)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await.unwrap();
    let started = Instant::now();
    let (_, closed) = read_to_close(&mut stream, Duration::from_secs(3)).await;
    assert!(closed, "a half-sent head was kept open");
    assert!(started.elapsed() >= Duration::from_millis(300), "closed too soon: {:?}", started.elapsed());
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let (addr, _stop, _task) = start(quick(64, 64)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert!(get_once(&mut stream, "/").await.ends_with("hello"));
    assert!(get_once(&mut stream, "/").await.ends_with("hello"), "kept alive between requests");
    let (_, closed) = read_to_close(&mut stream, Duration::from_secs(3)).await;
    assert!(closed, "an idle connection was kept open");
}

#[tokio::test]
async fn a_body_that_trickles_gets_a_timeout_and_the_connection_closes() {
    let (addr, _stop, _task) = start(quick(64, 64)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789").await.unwrap();
    let (answer, closed) = read_to_close(&mut stream, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(closed);
}

#[tokio::test]
async fn an_answer_the_client_does_not_take_is_dropped_with_its_connection() {
    let (addr, _stop, _task) = start(Limits { header_read: Duration::from_secs(20), ..quick(64, 64) }).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection stayed open");
    assert!(got < BIG, "the whole answer waited for a client that did not read: {got} bytes");
}

#[tokio::test]
async fn connections_over_the_caps_are_closed_at_once() {
    let (addr, _stop, _task) = start(Limits { header_read: Duration::from_secs(20), ..quick(3, 2) }).await;
    // Two from 127.0.0.1 fill its share; a third from there is closed at once.
    let mut held = vec![TcpStream::connect(addr).await.unwrap(), TcpStream::connect(addr).await.unwrap()];
    for s in &mut held {
        assert!(get_once(s, "/").await.ends_with("hello"));
    }
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_to_close(&mut extra, Duration::from_secs(2)).await;
    assert!(closed && answer.is_empty(), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // Another address still gets the last place; then the server is full for everyone.
    let mut other = connect_from(LOOPBACK_2, addr).await;
    assert!(get_once(&mut other, "/who").await.ends_with("127.0.0.2"));
    let mut full = connect_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)), addr).await;
    let (answer, closed) = read_to_close(&mut full, Duration::from_secs(2)).await;
    assert!(closed && answer.is_empty(), "{answer:?}");
    // A place freed is a place again.
    drop(other);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from(LOOPBACK_2, addr).await;
    assert!(get_once(&mut again, "/who").await.ends_with("127.0.0.2"));
}

#[tokio::test]
async fn shutdown_lets_a_request_in_progress_finish() {
    let (addr, stop, task) = start(quick(64, 64)).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert!(get_once(&mut idle, "/").await.ends_with("hello"));
    let mut busy = TcpStream::connect(addr).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let (answer, closed) = read_to_close(&mut busy, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("done") && closed, "{answer}");
    let (_, closed) = read_to_close(&mut idle, Duration::from_secs(1)).await;
    assert!(closed, "the idle connection is closed at shutdown");
    tokio::time::timeout(Duration::from_secs(2), task).await.unwrap().unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

#[test]
fn the_descriptor_budget_gives_http_a_quarter_and_libp2p_a_half() {
    let b = FdBudget::of(Some(256));
    assert_eq!((b.limit, b.http, b.p2p, b.local_api(), b.shared()), (256, 64, 128, 16, 48));
    let b = FdBudget::of(Some(1024));
    assert_eq!((b.http, b.p2p, b.local_api(), b.shared()), (256, 512, 64, 192));
    let b = FdBudget::of(Some(20));
    assert_eq!((b.http, b.p2p, b.local_api(), b.shared()), (16, 16, 8, 8));
    assert_eq!(FdBudget::of(None).limit, LIMIT_CEILING);
    assert_eq!(FdBudget::of(Some(u64::MAX)).limit, LIMIT_CEILING);
    let own = fd_budget();
    assert!(own.http >= 16 && own.p2p >= 16 && own.limit >= 16, "{own:?}");
    let shared = Limits::shared();
    assert!(shared.per_address <= shared.max_connections && shared.per_address >= 4);
}

#[test]
fn clients_are_counted_by_address_and_ipv6_by_its_64() {
    let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:bbbb::7".parse().unwrap();
    let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(source(a), source(b));
    assert_ne!(source(a), source(c));
    assert_eq!(source("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(source(LOOPBACK_2), LOOPBACK_2);
}
