//! One contact over one stream: drives a [`Session`] with frames read from the peer and time.
//!
//! Reading runs in its own task, so a peer that sends while this side is still writing never
//! blocks either side. Received changes are handed to [`Node::deliver`], which returns only once
//! they are durable, before the session sees its next input: whatever a cut link interrupts, what
//! was delivered stays.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use sampark_crdt::verify::Verified;
use sampark_crdt::{Certificate, Keypair, PublicKey, Receipt, Revocation, SignedChange, Timestamp};

use super::frame;
use crate::proto::{Config, In, Local, Out, Outcome, Session, Summary};

/// What a contact needs of its node besides reading it.
pub trait Node: Local + Send {
    /// Keeps certificates and revocations a peer sent (their signatures are checked).
    fn learn(&mut self, certificates: Vec<Certificate>, revocations: Vec<Revocation>) -> Result<(), String>;
    /// Applies and stores verified changes; returns once they are durable.
    fn deliver(&mut self, batch: Vec<(SignedChange, Verified)>) -> Result<(), String>;
    /// Keeps verified relay receipts, and drops carried documents they show arrived upstream.
    fn learn_receipts(&mut self, receipts: Vec<Receipt>) -> Result<(), String> {
        let _ = receipts;
        Ok(())
    }
}

/// The wall clock as a [`Timestamp`].
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp(ms)
}

/// Runs a contact with `peer` over `stream` to its end and returns what moved.
///
/// With `signer` (a relay's key), the session signs receipts for what the peer brought.
pub async fn run<S, N>(
    stream: S,
    peer: PublicKey,
    node: Arc<Mutex<N>>,
    config: Config,
    signer: Option<Keypair>,
) -> Summary
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    N: Node + 'static,
{
    let started = Instant::now();
    let (mut reader, mut writer) = stream.split();
    let (frames_tx, mut frames) = tokio::sync::mpsc::channel(8);
    let reading = tokio::spawn(async move {
        loop {
            let next = frame::read(&mut reader).await;
            let more = matches!(next, Ok(Some(_)));
            if frames_tx.send(next).await.is_err() || !more {
                break;
            }
        }
    });
    let mut session = Session::new(peer, config, now());
    if let Some(signer) = signer {
        session = session.with_receipts(signer);
    }
    let mut outs = step(&node, &mut session, In::Connected);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let summary = loop {
        match carry_out(&node, &mut writer, outs).await {
            Ok(Some(summary)) => break summary,
            Ok(None) => {}
            Err(why) => break session.abort(why),
        }
        outs = tokio::select! {
            next = frames.recv() => match next {
                Some(Ok(Some(bytes))) => step(&node, &mut session, In::Frame(bytes)),
                Some(Ok(None)) | None => break session.abort("the peer closed the connection".into()),
                Some(Err(e)) => break session.abort(format!("reading from the peer failed: {e}")),
            },
            _ = tick.tick() => step(&node, &mut session, In::Tick),
        };
    };
    let _ = writer.close().await;
    reading.abort();
    tracing::info!(
        peer = %summary.peer,
        outcome = ?summary.outcome,
        changes_sent = summary.changes_sent,
        changes_received = summary.changes_received,
        changes_refused = summary.changes_refused,
        bytes_sent = summary.bytes_sent,
        bytes_received = summary.bytes_received,
        docs_differing = summary.docs_differing,
        millis = started.elapsed().as_millis() as u64,
        "contact"
    );
    summary
}

fn step<N: Node>(node: &Arc<Mutex<N>>, session: &mut Session, input: In) -> Vec<Out> {
    match node.lock() {
        Ok(guard) => session.handle(input, &*guard, now()),
        Err(_) => vec![Out::Finished(session.abort("the node's state is unavailable".into()))],
    }
}

/// Does what the session asked; returns its summary once it has finished.
async fn carry_out<N, W>(node: &Arc<Mutex<N>>, writer: &mut W, outs: Vec<Out>) -> Result<Option<Summary>, String>
where
    N: Node,
    W: AsyncWrite + Unpin,
{
    let mut finished = None;
    for out in outs {
        match out {
            Out::Send(bytes) => {
                frame::write(writer, &bytes).await.map_err(|e| format!("writing to the peer failed: {e}"))?;
            }
            Out::LearnTrust { certificates, revocations } => {
                node.lock().map_err(|_| "node state unavailable".to_string())?.learn(certificates, revocations)?;
            }
            Out::Deliver(batch) => {
                node.lock().map_err(|_| "node state unavailable".to_string())?.deliver(batch)?;
            }
            Out::LearnReceipts(receipts) => {
                node.lock().map_err(|_| "node state unavailable".to_string())?.learn_receipts(receipts)?;
            }
            Out::Finished(summary) => finished = Some(summary),
        }
    }
    Ok(finished.filter(|s| s.outcome != Outcome::Running))
}

impl Node for crate::proto::MemoryNode {
    fn learn(&mut self, certificates: Vec<Certificate>, revocations: Vec<Revocation>) -> Result<(), String> {
        for c in certificates {
            self.trust_mut().add_certificate(c).map_err(|e| e.to_string())?;
        }
        for r in revocations {
            self.trust_mut().add_revocation(r).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn deliver(&mut self, batch: Vec<(SignedChange, Verified)>) -> Result<(), String> {
        for (signed, verified) in batch {
            crate::proto::MemoryNode::deliver(self, signed, verified).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn learn_receipts(&mut self, receipts: Vec<Receipt>) -> Result<(), String> {
        crate::proto::MemoryNode::learn_receipts(self, receipts);
        Ok(())
    }
}
