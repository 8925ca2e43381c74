//! Helpdesk tickets: one Automerge document per ticket, holding an append-only list of signed
//! events ([`event`]); the ticket's state is derived from those events ([`state`]).
//!
//! The document's root has one key, `events`, a list of byte strings, each a signed [`Event`].
//! The ticket's first change creates the list and appends the "raised" event; every later change
//! only appends events (enforced by [`crate::verify`](mod@crate::verify)). Automerge merges concurrent appends
//! without loss, so the document is simply the set of events; their order is decided by
//! [`state::derive`], never by list position.
//!
//! ```
//! use sampark_crdt::{Author, CertificateBody, Hlc, Keypair, Role, Scope, Timestamp, TrustStore};
//! use sampark_crdt::ticket::{self, Category, Deadlines, Status};
//!
//! let root = Keypair::from_secret([1; 32]);
//! let sevika = Author::new(Keypair::from_secret([2; 32]), [0; 8]);
//! let mut trust = TrustStore::new(root.public());
//! let (t0, t1) = (Timestamp(0), Timestamp(1 << 40));
//! let awc = Scope::parse("BR/DBG/P07/S03/A0412").unwrap();
//! let cert = |subject, role, scope: &str| CertificateBody {
//!     subject, role, scope: Scope::parse(scope).unwrap(), not_before: t0, not_after: t1,
//!     programme: Default::default(),
//! };
//! trust.add_certificate(cert(root.public(), Role::StateHub, "BR").sign(&root).unwrap()).unwrap();
//! trust.add_certificate(cert(sevika.public(), Role::Sevika, awc.as_str()).sign(&root).unwrap()).unwrap();
//!
//! let now = Hlc::default().tick(Timestamp(1_000));
//! let (doc, _change) =
//!     ticket::raise(&sevika, awc, Category::Sync, "डेटा सिंक नहीं हो रहा", vec![], 0, now, &trust).unwrap();
//! let state = ticket::state_of(&doc, &trust, &Deadlines::default()).unwrap();
//! assert_eq!(state.status, Status::Open);
//! ```

pub mod event;
pub mod state;

use std::collections::BTreeSet;

use automerge::{ObjType, ROOT, ReadDoc, ScalarValue, Value};

pub use event::{Action, Category, Event, EventError, EventId, MAX_TICKETS_PER_DAY};
pub use state::{Deadlines, DeriveError, Outcome, Status, TicketState, Tier, TimelineEntry, derive};

use crate::docid::{DocId, DocKind, TicketId};
use crate::document::{Author, Document, EditError};
use crate::identity::PublicKey;
use crate::scope::Scope;
use crate::signed::SignedChange;
use crate::time::Hlc;
use crate::trust::TrustStore;
use crate::verify::TICKET_EVENTS_KEY;

/// Why a ticket operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TicketError {
    /// The event cannot be made.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The ticket's scope is not a centre or sector.
    #[error("a ticket belongs to a centre or a sector: {0}")]
    Scope(String),
    /// The document is not a ticket.
    #[error("{0} is not a ticket")]
    NotATicket(String),
    /// The change could not be made or would be refused.
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// The first of `author`'s slots of the day of `hlc` whose ticket `held` says the node does not
/// hold, or `None` when all [`MAX_TICKETS_PER_DAY`] are taken (see [`event`]).
pub fn free_slot<E>(
    author: &PublicKey,
    hlc: Hlc,
    mut held: impl FnMut(TicketId) -> Result<bool, E>,
) -> Result<Option<u8>, E> {
    for slot in 0..MAX_TICKETS_PER_DAY {
        if !held(event::ticket_id_of_slot(author, hlc.wall, slot))? {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}

/// Raises a ticket in `slot` of the day (see [`free_slot`]): signs the "raised" event and makes
/// the ticket's first change.
#[allow(clippy::too_many_arguments)]
pub fn raise(
    author: &Author,
    scope: Scope,
    category: Category,
    text: &str,
    attachments: Vec<[u8; 32]>,
    slot: u8,
    hlc: Hlc,
    trust: &TrustStore,
) -> Result<(Document, SignedChange), TicketError> {
    let action = Action::Raised { scope: scope.clone(), category, text: text.to_owned(), attachments, slot };
    let raised = Event::sign(&author.keypair, None, action, vec![], hlc)?;
    let id = DocId::new(scope, DocKind::Ticket(raised.ticket_id())).map_err(|e| TicketError::Scope(e.to_string()))?;
    let mut doc = Document::new(id);
    let bytes = raised.encode();
    let change = doc.edit(author, hlc.timestamp(), trust, |tx| {
        use automerge::transaction::Transactable;
        let list = tx.put_object(ROOT, TICKET_EVENTS_KEY, ObjType::List)?;
        tx.insert(&list, 0, ScalarValue::Bytes(bytes))
    })?;
    Ok((doc, change))
}

/// Appends an event by `author` at `hlc`, naming the current event heads as its predecessors.
pub fn append(
    doc: &mut Document,
    author: &Author,
    action: Action,
    hlc: Hlc,
    trust: &TrustStore,
) -> Result<SignedChange, TicketError> {
    let DocKind::Ticket(ticket) = doc.id().kind else {
        return Err(TicketError::NotATicket(doc.id().to_string()));
    };
    let event = Event::sign(&author.keypair, Some(ticket), action, heads(&events(doc)), hlc)?;
    let list = event_lists(doc).into_iter().next().ok_or_else(|| TicketError::NotATicket(doc.id().to_string()))?;
    let bytes = event.encode();
    let change = doc.edit(author, hlc.timestamp(), trust, |tx| {
        use automerge::transaction::Transactable;
        let end = tx.length(&list);
        tx.insert(&list, end, ScalarValue::Bytes(bytes))
    })?;
    Ok(change)
}

/// Every event list under the root key (normally one; more only if a raiser signed two first
/// changes for one slot, which nodes refuse to hold together, in which case all are read).
fn event_lists(doc: &Document) -> Vec<automerge::ObjId> {
    let am = doc.automerge();
    am.get_all(ROOT, TICKET_EVENTS_KEY)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::List)).then_some(id))
        .collect()
}

/// True when `event` (encoded as `bytes`) is correctly signed: checked once per replica, then
/// remembered by the digest of its bytes.
fn signed_well(doc: &Document, bytes: &[u8], event: &Event) -> bool {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(bytes).into();
    if doc.event_checked(&digest) {
        return true;
    }
    let good = event.verify_signature().is_ok();
    if good {
        doc.note_event_checked(digest);
    }
    good
}

/// The events in `doc`: decoded, signature-checked, without repeats, in ID order.
pub fn events(doc: &Document) -> Vec<Event> {
    let am = doc.automerge();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for list in event_lists(doc) {
        for i in 0..am.length(&list) {
            if let Ok(Some((Value::Scalar(v), _))) = am.get(&list, i)
                && let ScalarValue::Bytes(bytes) = v.as_ref()
                && let Ok(event) = Event::decode(bytes)
                && signed_well(doc, bytes, &event)
                && seen.insert(event.id())
            {
                out.push(event);
            }
        }
    }
    out.sort_by_key(Event::id);
    out
}

/// The events no other event names as a predecessor, among the *complete* events (those whose
/// predecessors are all present, recursively). An event naming a predecessor that never arrives
/// (lost, or invented by a faulty writer) is never a head, so it cannot hold back later events.
pub fn heads(events: &[Event]) -> Vec<EventId> {
    let mut complete: BTreeSet<EventId> = BTreeSet::new();
    loop {
        let before = complete.len();
        for e in events {
            if e.prev.iter().all(|p| complete.contains(p)) {
                complete.insert(e.id());
            }
        }
        if complete.len() == before {
            break;
        }
    }
    let named: BTreeSet<EventId> =
        events.iter().filter(|e| complete.contains(&e.id())).flat_map(|e| e.prev.iter().copied()).collect();
    complete.into_iter().filter(|id| !named.contains(id)).collect()
}

/// The derived state of a ticket document.
pub fn state_of(doc: &Document, trust: &TrustStore, deadlines: &Deadlines) -> Result<TicketState, TicketStateError> {
    let DocKind::Ticket(id) = doc.id().kind else {
        return Err(TicketStateError::NotATicket(doc.id().to_string()));
    };
    Ok(state::derive_checked(id, &events(doc), trust, deadlines)?)
}

/// Why [`state_of`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TicketStateError {
    /// The document is not a ticket.
    #[error("{0} is not a ticket")]
    NotATicket(String),
    /// See [`DeriveError`].
    #[error(transparent)]
    Derive(#[from] DeriveError),
}

/// The ticket ID of a document, if it is a ticket.
pub fn ticket_id(doc: &Document) -> Option<TicketId> {
    match doc.id().kind {
        DocKind::Ticket(id) => Some(id),
        _ => None,
    }
}
