//! The node's operations: one implementation behind the command line, the local API and the
//! transport.
//!
//! An [`ops::Node`](Node) owns everything of one enrolled home: the [`Store`], the
//! [`TrustStore`] (pinned root plus every certificate and revocation learned), the [`Author`]
//! (key and install nonce), the hybrid logical clock, a cache of every [`Document`] held, and the
//! relays' receipts it knows.
//! It is opened once per process ([`Node::open`]); the daemon shares it with the transport and
//! the API as `Arc<Mutex<ops::Node>>`.
//!
//! - [`enrol`]: the enrolment file (`{"root": ..., "chain": [...]}`) and installing it.
//! - [`record`](mod@record): register entries.
//! - [`tickets`]: raise, comment, reopen, confirm, list and show helpdesk tickets.
//! - [`status`]: what the node holds, what waits to go upward, what it carries, its peers.
//! - [`sync`]: the node as the transport sees it ([`crate::proto::Local`] and
//!   [`crate::net::contact::Node`]), and what a contact moved.
//! - [`request`]: every operation as a serialisable [`Request`] and its [`Response`], the form
//!   both the CLI and the API use.
//! - [`text`]: human-readable output, in Hindi or English.
//!
//! Durability: every operation that writes returns only after [`Store::insert_changes`] (or
//! `put_meta`) returned, i.e. after the write is flushed and synced; the reply (CLI output, API
//! response) is the acknowledgement. The clock reading a change uses is persisted before the
//! change is made. A change is applied to a copy of its document, stored, and only then does the
//! copy replace the cached document, so the cache never holds what the store lacks.
//!
//! Assumptions: every document the node holds fits in memory (a phone holds its centre's
//! registers and tickets and a little carried data: hundreds of small documents); they are all
//! loaded when the node opens.

pub mod compact;
pub mod due;
pub mod enrol;
pub mod entries;
pub mod mpr;
pub mod record;
pub mod request;
pub mod status;
pub mod sync;
pub mod text;
pub mod tickets;
mod vouch;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use sampark_crdt::ticket::Deadlines;
use sampark_crdt::{
    Author, DocId, Document, Grant, Hlc, PublicKey, Receipt, Role, Scope, SignedChange, Timestamp, TrustStore,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::home::{self, Enrolment, Home, HomeError};
use crate::store::{Store, StoreError};

pub use compact::Compacted;
pub use due::DueView;
pub use enrol::{EnrolFile, Enrolled};
pub use request::{Request, Response};
pub use status::StatusView;
pub use sync::SyncReport;
pub use text::Lang;
pub use tickets::{TicketRow, TicketView};

/// What kind of failure an [`OpError`] is: decides the HTTP status and the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The input is wrong (exit 1, HTTP 400).
    Invalid,
    /// No such ticket (exit 1, HTTP 404).
    NotFound,
    /// The rules do not allow it (exit 1, HTTP 409).
    Refused,
    /// The node is not set up, or busy (exit 3, HTTP 503).
    NotReady,
    /// Something failed on this machine: disk, store, daemon (exit 3, HTTP 500).
    Failed,
    /// The peer could not be reached (exit 4, HTTP 502).
    Unreachable,
    /// The local API was called without the home's token (exit 3, HTTP 401).
    Unauthorised,
    /// The local API was called from a foreign web page or host name (exit 3, HTTP 403).
    Forbidden,
}

impl ErrorKind {
    /// The process exit code for this kind of failure.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Invalid | ErrorKind::NotFound | ErrorKind::Refused => 1,
            ErrorKind::NotReady | ErrorKind::Failed | ErrorKind::Unauthorised | ErrorKind::Forbidden => 3,
            ErrorKind::Unreachable => 4,
        }
    }

    /// The HTTP status code for this kind of failure.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Invalid => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Refused => 409,
            ErrorKind::NotReady => 503,
            ErrorKind::Failed => 500,
            ErrorKind::Unreachable => 502,
            ErrorKind::Unauthorised => 401,
            ErrorKind::Forbidden => 403,
        }
    }
}

/// Why an operation failed, in words for the person who asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpError {
    /// The home is missing, not enrolled, or damaged.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The input is wrong.
    #[error("{0}")]
    Invalid(String),
    /// Nothing matches.
    #[error("{0}")]
    NotFound(String),
    /// The rules do not allow it.
    #[error("{0}")]
    Refused(String),
    /// The peer could not be reached.
    #[error("{0}")]
    Unreachable(String),
    /// Something else failed.
    #[error("{0}")]
    Failed(String),
    /// An error reported by a running daemon's API.
    #[error("{message}")]
    Remote {
        /// Its kind.
        kind: ErrorKind,
        /// Its message.
        message: String,
    },
}

impl OpError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpError::Home(HomeError::NoNode { .. } | HomeError::NotEnrolled { .. }) => ErrorKind::NotReady,
            OpError::Home(HomeError::Exists { .. }) => ErrorKind::Refused,
            OpError::Home(HomeError::Store(StoreError::Locked { .. })) | OpError::Store(StoreError::Locked { .. }) => {
                ErrorKind::NotReady
            }
            OpError::Home(_) | OpError::Store(_) | OpError::Failed(_) => ErrorKind::Failed,
            OpError::Invalid(_) => ErrorKind::Invalid,
            OpError::NotFound(_) => ErrorKind::NotFound,
            OpError::Refused(_) => ErrorKind::Refused,
            OpError::Unreachable(_) => ErrorKind::Unreachable,
            OpError::Remote { kind, .. } => *kind,
        }
    }
}

/// The wall clock, as the node reads it.
pub fn wall_clock() -> Timestamp {
    crate::net::contact::now()
}

/// An enrolled node, open: store, trust, author, clock and documents.
pub struct Node {
    home: Home,
    store: Store,
    author: Author,
    enrolment: Enrolment,
    trust: TrustStore,
    hlc: Hlc,
    docs: BTreeMap<DocId, Document>,
    receipts: BTreeMap<DocId, Vec<Receipt>>,
    deadlines: Deadlines,
    clock: fn() -> Timestamp,
    carry_quota: u64,
    /// Registers carried for others that are folded: a receipt showed them upstream and they
    /// hold no signed change here (see [`sync`]). Rebuilt as receipts arrive after a restart.
    folded: BTreeSet<DocId>,
    /// On a relay: authors whose latest change arrived dated more than the allowed skew ahead of
    /// the relay's clock, and by how much (ms). Kept in the store's `clock-ahead` meta record.
    clock_ahead: BTreeMap<PublicKey, i64>,
    /// On a relay: the changes it vouched for itself, by document (see [`vouch`]).
    own_vouched: BTreeMap<DocId, Vec<automerge::ChangeHash>>,
}

/// The meta record of [`Node::clock_ahead`].
const META_CLOCK_AHEAD: &str = "clock-ahead";

/// How many bytes of other centres' data a phone carries at most, by default.
pub const DEFAULT_CARRY_QUOTA: u64 = 32 * 1024 * 1024;

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("home", &self.home)
            .field("key", &self.author.public())
            .field("documents", &self.docs.len())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Opens the enrolled node in `home`: reads its key and state, loads its trust store and
    /// every document it holds. Damaged records found on the way are logged (the store has
    /// removed them; the next contact fetches them again).
    pub fn open(home: &Home) -> Result<Node, OpError> {
        let keypair = home.key()?;
        let store = home.open_store()?;
        let state = home::load_state(&store)?;
        let enrolment = state
            .enrolment
            .ok_or_else(|| HomeError::NotEnrolled { dir: home.dir().to_path_buf(), key: keypair.public().to_hex() })?;
        let read = store.trust(enrolment.root)?;
        log_damage(&read.damaged);
        let mut trust = read.value;
        for cert in &enrolment.chain {
            let _ = trust.add_certificate(cert.clone());
        }
        let docs = load_documents(&store)?;
        let receipts = sync::load_receipts(&store)?;
        let mut node = Node {
            home: home.clone(),
            store,
            author: Author::new(keypair, state.install_nonce),
            enrolment,
            trust,
            hlc: state.hlc,
            docs,
            receipts,
            deadlines: Deadlines::default(),
            clock: wall_clock,
            carry_quota: DEFAULT_CARRY_QUOTA,
            folded: BTreeSet::new(),
            clock_ahead: BTreeMap::new(),
            own_vouched: BTreeMap::new(),
        };
        node.clock_ahead = node.load_clock_ahead();
        node.vouch_from_store()?;
        node.find_folded()?;
        Ok(node)
    }

    /// Uses `deadlines` for the tiers' allowances (from the relay's configuration).
    pub fn with_deadlines(mut self, deadlines: Deadlines) -> Node {
        self.deadlines = deadlines;
        self
    }

    /// Carries at most `bytes` of other centres' data (see [`Node::carried_bytes`]).
    pub fn with_carry_quota(mut self, bytes: u64) -> Node {
        self.carry_quota = bytes;
        self
    }

    /// Uses `clock` instead of the wall clock (for tests).
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Node {
        self.clock = clock;
        self
    }

    /// The node's public key.
    pub fn public(&self) -> PublicKey {
        self.author.public()
    }

    /// The node's home.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// The node's store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The node's trust store.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    /// The cached replica of `doc`, if held.
    pub fn document(&self, doc: &DocId) -> Option<&Document> {
        self.docs.get(doc)
    }

    /// Every document held.
    pub fn documents_held(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }

    /// The last clock reading used.
    pub fn hlc(&self) -> Hlc {
        self.hlc
    }

    /// The time rules are judged at. A relay: its wall clock alone (its operator keeps it
    /// right; deadlines, escalation and certificate checks must not follow a peer's clock). A
    /// phone: the wall clock, or the node's clock if that is ahead (a phone whose clock was
    /// reset still acts at a time its certificate covers).
    pub fn now(&self) -> Timestamp {
        self.judging_time((self.clock)())
    }

    /// [`Node::now`] for the wall-clock reading `wall` (the transport's sessions pass theirs).
    pub(crate) fn judging_time(&self, wall: Timestamp) -> Timestamp {
        if self.is_relay() { wall } else { Timestamp(wall.0.max(self.hlc.wall)) }
    }

    /// On a relay: the authors whose latest change came dated ahead of the relay's clock by more
    /// than [`sampark_crdt::time::MAX_SKEW_MS`], with how far ahead (ms). Their work is kept and
    /// their time moves no clock; the helpdesk should have the phone's clock set.
    pub fn clock_ahead(&self) -> &BTreeMap<PublicKey, i64> {
        &self.clock_ahead
    }

    /// On a relay: notes how far ahead of its clock `author`'s change dated `at` came; stores
    /// the record when an author is flagged or cleared.
    fn note_clock(&mut self, author: PublicKey, at: Timestamp) {
        let ahead = at.0.saturating_sub((self.clock)().0);
        let changed = if ahead > sampark_crdt::time::MAX_SKEW_MS {
            self.clock_ahead.insert(author, ahead).is_none_or(|before| (before - ahead).abs() > Timestamp::HOUR)
        } else {
            self.clock_ahead.remove(&author).is_some()
        };
        if changed {
            let record: BTreeMap<String, i64> = self.clock_ahead.iter().map(|(k, v)| (k.to_hex(), *v)).collect();
            let saved = serde_json::to_vec(&record)
                .map_err(|e| e.to_string())
                .and_then(|bytes| self.store.put_meta(META_CLOCK_AHEAD, &bytes).map_err(|e| e.to_string()));
            if let Err(e) = saved {
                tracing::warn!(error = %e, "the record of phones whose clocks are ahead was not saved");
            }
            tracing::warn!(author = %author.short(), ahead_ms = ahead, "a change came dated ahead of this relay's clock");
        }
    }

    fn load_clock_ahead(&self) -> BTreeMap<PublicKey, i64> {
        let record: BTreeMap<String, i64> = match self.store.meta(META_CLOCK_AHEAD) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        record.into_iter().filter_map(|(k, v)| Some((k.parse().ok()?, v))).collect()
    }

    /// True when this node is enrolled as a relay (block, district or state).
    pub fn is_relay(&self) -> bool {
        crate::proto::policy::is_relay(&self.scope_grants())
    }

    /// The roles this node holds now.
    pub fn grants(&self) -> Vec<Grant> {
        self.trust.grants(&self.public(), self.now())
    }

    /// The roles this node's own certificates give, whether or not they count now: what it keeps
    /// (an expired certificate must not make the node treat its own centre's data as carried).
    pub fn scope_grants(&self) -> Vec<Grant> {
        self.trust.scope_grants(&self.public())
    }

    /// The roles this node holds now; refused when none (expired or revoked).
    fn acting_grants(&self) -> Result<Vec<Grant>, OpError> {
        let grants = self.grants();
        if grants.is_empty() {
            return Err(OpError::Refused(
                "this node's certificate is not valid now (expired, revoked, or not yet valid); \
                 ask the block relay for a new enrolment file"
                    .into(),
            ));
        }
        Ok(grants)
    }

    /// The next clock reading, persisted before it is returned.
    fn next_hlc(&mut self) -> Result<Hlc, OpError> {
        let next = self.hlc.tick((self.clock)());
        home::save_hlc(&self.store, next)?;
        self.hlc = next;
        Ok(next)
    }

    /// Moves the clock past `seen`, a reading signed by `author`, without persisting (`relay`:
    /// this node is one, see [`Node::is_relay`]). A phone's
    /// reading moves a phone's clock at most [`sampark_crdt::time::MAX_SKEW_MS`] ahead of its own
    /// time, and a relay's not past its wall clock; a relay's or an operator's reading moves it
    /// fully (see [`sampark_crdt::time`]).
    fn observe(&mut self, seen: Hlc, author: &PublicKey, relay: bool) {
        if seen <= self.hlc {
            return;
        }
        let authority = self.trust.scope_grants(author).iter().any(|g| g.role.is_relay() || g.role == Role::Operator);
        let wall = (self.clock)();
        self.hlc = if authority {
            self.hlc.observe(seen, wall)
        } else {
            // The node's own idea of now, not its clock: its clock may already hold what it
            // observed, and must not creep ahead by the skew at every observation. A phone whose
            // clock is behind its certificate's start judges from that start.
            // A relay takes none of it: its clock stamps the deadlines' start.
            let (floor, skew) =
                if relay { (None, 0) } else { (self.leaf().map(|c| c.not_before.0), sampark_crdt::time::MAX_SKEW_MS) };
            let base = Timestamp(wall.0.max(floor.unwrap_or(i64::MIN)));
            self.hlc.observe_bounded(seen, wall, base, skew)
        };
    }

    /// Stores `change` of `doc` (already applied to it) durably, then caches `doc`.
    fn commit(&mut self, doc: Document, change: SignedChange) -> Result<(), OpError> {
        self.store.insert_changes(doc.id(), &[change], &doc.heads())?;
        self.docs.insert(doc.id().clone(), doc);
        Ok(())
    }

    /// The node's own certificate.
    fn leaf(&self) -> Option<&sampark_crdt::Certificate> {
        self.enrolment.leaf()
    }
}

/// The scope a sevika's or supervisor's grant gives, for raising tickets and recording.
fn person_scope(grants: &[Grant]) -> Option<(Role, Scope)> {
    grants.iter().find(|g| matches!(g.role, Role::Sevika | Role::Supervisor)).map(|g| (g.role, g.scope.clone()))
}

/// Loads every stored document.
fn load_documents(store: &Store) -> Result<BTreeMap<DocId, Document>, OpError> {
    let ids = store.doc_ids()?;
    log_damage(&ids.damaged);
    let mut docs = BTreeMap::new();
    for id in ids.value {
        let read = store.document(&id)?;
        log_damage(&read.damaged);
        docs.insert(id, read.value);
    }
    Ok(docs)
}

fn log_damage(damaged: &[crate::store::Damaged]) {
    for d in damaged {
        tracing::warn!(record = %d, "damaged record removed from the store");
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    sampark_crdt::codec::hex(bytes)
}
