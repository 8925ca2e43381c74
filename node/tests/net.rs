//! Two nodes sync over real libp2p connections on loopback: TCP and QUIC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod fixture;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fixture::*;
use libp2p::Multiaddr;
use sampark_crdt::Keypair;
use sampark_node::net::{Event, Net, NetConfig, sync_once};
use sampark_node::proto::{Config, Local, MemoryNode, Outcome};

fn keypair(seed: u8) -> Keypair {
    Keypair::from_secret([seed; 32])
}

/// Starts a relay node listening on `listen`; returns its address and a stop switch.
async fn start_relay(
    relay: Arc<Mutex<MemoryNode>>,
    listen: &str,
) -> (Multiaddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let config = NetConfig { listen: vec![listen.parse().unwrap()], mdns: false, ..NetConfig::default() };
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let net = Net::new(&keypair(3), relay, config).unwrap().with_events(events_tx);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(net.run(async move {
        let _ = stopped.await;
    }));
    let addr = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap() {
            Some(Event::Listening(a)) => break a,
            Some(_) => {}
            None => panic!("the relay stopped"),
        }
    };
    (addr, stop, task)
}

async fn sync_over(listen: &str) {
    let block = Block::new();
    let mut phone = block.node(&block.sevika);
    weigh(&mut phone, &block.sevika, AWC, 8, 0);
    raise(&mut phone, &block.sevika, AWC, 9);
    let phone = Arc::new(Mutex::new(phone));
    let relay = Arc::new(Mutex::new(block.node(&block.relay)));
    let (addr, stop, task) = start_relay(Arc::clone(&relay), listen).await;

    let summary = sync_once(&keypair(20), Arc::clone(&phone), addr.clone(), Config::default(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(summary.outcome, Outcome::Complete, "{summary:?}");
    assert_eq!(summary.changes_sent, 9);
    assert_eq!(relay.lock().unwrap().change_count(), 9);
    let docs = |n: &Arc<Mutex<MemoryNode>>| n.lock().unwrap().documents();
    assert_eq!(docs(&relay), docs(&phone));

    // Nothing new: a second contact moves nothing.
    let again =
        sync_once(&keypair(20), Arc::clone(&phone), addr, Config::default(), Duration::from_secs(10)).await.unwrap();
    assert_eq!((again.outcome, again.changes_sent, again.changes_received), (Outcome::Complete, 0, 0));
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_over_tcp() {
    sync_over("/ip4/127.0.0.1/tcp/0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_over_quic() {
    sync_over("/ip4/127.0.0.1/udp/0/quic-v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_peer_is_reported_clearly() {
    let block = Block::new();
    let phone = Arc::new(Mutex::new(block.node(&block.sevika)));
    let addr: Multiaddr = "/ip4/127.0.0.1/tcp/9".parse().unwrap();
    let err = sync_once(&keypair(20), phone, addr, Config::default(), Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("could not reach /ip4/127.0.0.1/tcp/9"), "{err}");
}

/// A raw client: a swarm driven in the background, and a stream of the sync protocol to `addr`.
async fn raw_stream(addr: Multiaddr, seed: u8) -> libp2p::Stream {
    let config = NetConfig { mdns: false, ..NetConfig::default() };
    let mut swarm = sampark_node::net::swarm(&keypair(seed), &config).unwrap();
    swarm.dial(addr).unwrap();
    let mut control = swarm.behaviour().stream_control();
    let peer = loop {
        if let libp2p::swarm::SwarmEvent::ConnectionEstablished { peer_id, .. } =
            futures::StreamExt::select_next_some(&mut swarm).await
        {
            break peer_id;
        }
    };
    tokio::spawn(async move {
        loop {
            let _ = futures::StreamExt::select_next_some(&mut swarm).await;
        }
    });
    control.open_stream(peer, sampark_node::net::PROTOCOL).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_a_peer_is_refused_and_the_node_keeps_serving() {
    use futures::{AsyncReadExt, AsyncWriteExt};
    use sampark_node::net::frame;
    use sampark_node::proto::Message;

    let block = Block::new();
    let relay = Arc::new(Mutex::new(block.node(&block.relay)));
    let (addr, stop, task) = start_relay(Arc::clone(&relay), "/ip4/127.0.0.1/tcp/0").await;

    // Garbage in a well-formed frame: the relay answers with a refusal and ends the contact.
    let mut s = raw_stream(addr.clone(), 77).await;
    frame::write(&mut s, &[0xde, 0xad, 0xbe, 0xef]).await.unwrap();
    let mut refused = false;
    while let Ok(Some(f)) = frame::read(&mut s).await {
        refused |= matches!(Message::decode(&f), Ok(Message::Refuse { .. }));
    }
    assert!(refused, "a refusal came back");

    // An oversized length prefix: refused before anything is read or allocated; stream closed.
    let mut s = raw_stream(addr.clone(), 78).await;
    s.write_all(&u32::MAX.to_le_bytes()).await.unwrap();
    s.flush().await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await.unwrap();

    // A truncated frame, then the client goes away.
    let mut s = raw_stream(addr.clone(), 79).await;
    s.write_all(&[100, 0, 0, 0, 1, 2, 3]).await.unwrap();
    s.close().await.unwrap();
    drop(s);

    // An honest phone is still served.
    let mut phone = block.node(&block.sevika);
    weigh(&mut phone, &block.sevika, AWC, 3, 0);
    let phone = Arc::new(Mutex::new(phone));
    let summary = sync_once(&keypair(20), phone, addr, Config::default(), Duration::from_secs(10)).await.unwrap();
    assert_eq!(summary.outcome, Outcome::Complete);
    assert_eq!(relay.lock().unwrap().change_count(), 3);
    stop.send(()).unwrap();
    task.await.unwrap();
}
