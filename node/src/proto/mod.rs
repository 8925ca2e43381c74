//! The contact sync protocol, as a pure state machine (sans-IO).
//!
//! A [`Session`] is one contact with one peer whose key the transport has authenticated. The
//! driver (the libp2p transport in the daemon, or the simulator) feeds it [`In`]puts — the
//! connection came up, a frame arrived, time passed — together with the current time and a
//! read-only view of the node ([`Local`]), and carries out its [`Out`]puts: send a frame, store
//! certificates, apply and store verified changes, close. Nothing in here touches a socket, a
//! disk or a clock, so the same engine runs over libp2p and in the simulator.
//!
//! A contact goes:
//!
//! 1. **Hello** each way: protocol version, certificate chain, known revocations. A peer
//!    without a valid certificate, or speaking another version, is refused with a reason.
//! 2. **Reconcile** the documents both sides keep ([`policy::shared`]): fingerprints over a hash
//!    trie of document IDs ([`reconcile`]) until every differing document is found. With
//!    nothing new this is one fingerprint each way, whatever the number of documents.
//! 3. **Offer** what one side carries or holds for the other (e.g. another centre's data a phone
//!    carries to the relay); the other side answers with what it **wants** and its heads.
//! 4. **Changes**: the signed changes the peer lacks, tickets first, then the registers the due
//!    list reads, then the rest, most recently changed documents first, within a byte budget.
//!    Every change received is verified before it is delivered to the driver; a change the
//!    receiver has no use for, or that fails verification, is refused and counted.
//! 5. **Done** each way, and the session finishes with a [`Summary`].
//!
//! An interrupted contact loses nothing already delivered (the driver stores each batch as it
//! arrives); the next contact's reconciliation finds only what is still missing.
//!
//! The wire format is specified in `docs/protocol.md`.

pub mod local;
pub mod message;
pub mod policy;
pub mod reconcile;
mod session;

pub use local::{Local, MemoryNode};
pub use message::Message;
pub use session::{Config, In, Out, Outcome, Session, Summary};
