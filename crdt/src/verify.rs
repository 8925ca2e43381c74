//! Verification: the gate every change passes before it is applied, stored or carried.
//!
//! [`verify`] checks, in order, and stops at the first failure:
//!
//! 1. the change's header reads ([`header`]: an uncompressed change chunk within
//!    [`crate::signed::MAX_CHANGE_LEN`], whose length and checksum match), giving its hash and
//!    actor without running Automerge's parser on unsigned bytes;
//! 2. the actor is bound to a key (32-byte key + 8-byte install nonce): that key is the author;
//! 3. the signature verifies (`verify_strict`) over the document ID and the change hash; then
//!    Automerge parses the change, and its hash and actor must match the header's;
//! 4. the author is not revoked at the change's time (unless a relay vouched for the change:
//!    see [`crate::trust`]), and holds a certificate that counts at that time;
//! 5. one of the author's roles may write this document ([`may_write`]);
//! 6. the change's operations are allowed in this kind of document: registers only create entries
//!    under IDs of the author's own and put scalar fields, and never delete (a mistaken entry is
//!    corrected or voided, never removed; see [`crate::register`]); tickets only append signed
//!    events by the change's author, with the change's time (see [`crate::ticket`]); a ticket is
//!    raised only by the sevika of its centre or the supervisor of its sector, in one of her
//!    daily slots ([`crate::ticket::event::MAX_TICKETS_PER_DAY`]).
//!
//! The change's time is the timestamp its author put in it. Verification is a pure function of
//! the signed change and the trust store, so two replicas that know the same certificates and
//! revocations decide the same way.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ObjType, ScalarValue};
use thiserror::Error;

use crate::cert::Role;
use crate::docid::{DocId, DocKind};
use crate::identity::PublicKey;
use crate::signed::{SignedChange, signing_bytes};
use crate::ticket::event::{Action, Event};
use crate::time::Timestamp;
use crate::trust::{Grant, TrustStore};

/// Most ticket events one change may append.
pub const MAX_EVENTS_PER_CHANGE: usize = 16;
/// The root key of a ticket document that holds its list of events.
pub const TICKET_EVENTS_KEY: &str = "events";

/// Why a change was refused. Nothing of a refused change is applied or stored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The bytes are not an Automerge change.
    #[error("not a valid change: {0}")]
    Malformed(String),
    /// The actor ID is not bound to a key.
    #[error("the change's actor is not a Sampark key")]
    UnboundActor,
    /// The signature does not verify for the author's key.
    #[error("the signature of {author} does not verify")]
    BadSignature {
        /// Short form of the claimed author.
        author: String,
    },
    /// The author's key was revoked before the change was made.
    #[error("{author} was revoked at {from}, before this change ({at})")]
    Revoked {
        /// Short form of the author.
        author: String,
        /// When the revocation took effect.
        from: Timestamp,
        /// The change's time.
        at: Timestamp,
    },
    /// No certificate of the author's counts at the change's time.
    #[error("{author} has no valid certificate at {at} (unknown, expired, not yet valid or its issuer revoked)")]
    NoCertificate {
        /// Short form of the author.
        author: String,
        /// The change's time.
        at: Timestamp,
    },
    /// The author's roles do not allow writing this document.
    #[error("{author} may not write {doc}")]
    NotPermitted {
        /// Short form of the author.
        author: String,
        /// The document.
        doc: String,
    },
    /// The change does something this kind of document does not allow.
    #[error("not allowed in {doc}: {why}")]
    Forbidden {
        /// The document.
        doc: String,
        /// What is wrong.
        why: String,
    },
}

/// A change that passed [`verify`].
#[derive(Debug, Clone)]
pub struct Verified {
    /// The document.
    pub doc: DocId,
    /// The parsed change.
    pub change: automerge::Change,
    /// Its author.
    pub author: PublicKey,
    /// Its time (the author's claim).
    pub at: Timestamp,
    /// For ticket documents, the events it appends.
    pub events: Vec<Event>,
}

/// What a change's header says, read without Automerge: its hash and its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The change hash: SHA-256 of the chunk from its type byte on.
    pub hash: automerge::ChangeHash,
    /// The actor ID bytes.
    pub actor: Vec<u8>,
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE_CHUNK: u8 = 1;

/// Reads an unsigned LEB128 number of at most 64 bits.
fn uleb(r: &mut crate::codec::Reader<'_>, what: &'static str) -> Result<u64, Rejection> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = r.u8(what).map_err(|e| Rejection::Malformed(e.to_string()))?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Rejection::Malformed(format!("{what}: number too long")))
}

/// Reads a change's header (magic, checksum, chunk type and length, dependencies, actor) and
/// computes its hash, with bounded work and no allocation beyond the actor's bytes. This runs
/// before the signature check, so Automerge's own parser, which can be made to allocate
/// gigabytes by a few hundred bytes (found by fuzzing), only ever sees signed changes.
/// Compressed change chunks are refused: Sampark never makes them.
pub fn header(bytes: &[u8]) -> Result<Header, Rejection> {
    use sha2::Digest;
    let bad = |why: &str| Rejection::Malformed(why.to_owned());
    let mut r = crate::codec::Reader::new(bytes);
    let magic: [u8; 4] = r.array("magic").map_err(|_| bad("too short"))?;
    if magic != MAGIC {
        return Err(bad("not an Automerge chunk"));
    }
    let checksum: [u8; 4] = r.array("checksum").map_err(|_| bad("too short"))?;
    let chunk = bytes.get(8..).unwrap_or_default();
    if r.u8("chunk type").map_err(|_| bad("too short"))? != CHANGE_CHUNK {
        return Err(bad("not an uncompressed change"));
    }
    let len = uleb(&mut r, "chunk length")?;
    if usize::try_from(len).ok() != Some(r.remaining()) {
        return Err(bad("chunk length does not match"));
    }
    let hash: [u8; 32] = sha2::Sha256::digest(chunk).into();
    if hash.get(..4) != Some(&checksum[..]) {
        return Err(bad("the header checksum does not match the change"));
    }
    let deps = uleb(&mut r, "dependency count")?;
    let deps = usize::try_from(deps).map_err(|_| bad("too many dependencies"))?;
    r.take(deps.checked_mul(32).ok_or_else(|| bad("too many dependencies"))?, "dependencies")
        .map_err(|_| bad("dependencies run past the end"))?;
    let actor_len = usize::try_from(uleb(&mut r, "actor length")?).map_err(|_| bad("actor too long"))?;
    if actor_len > 64 {
        return Err(bad("actor too long"));
    }
    let actor = r.take(actor_len, "actor").map_err(|_| bad("actor runs past the end"))?.to_vec();
    Ok(Header { hash: automerge::ChangeHash(hash), actor })
}

/// Parses an Automerge change, accepting it only in exactly the bytes that were signed.
///
/// Automerge's parser is third-party code fed untrusted bytes, so a panic inside it is caught and
/// reported as malformed input rather than taking the node down.
pub fn parse_change(bytes: &[u8]) -> Result<automerge::Change, Rejection> {
    match catch_unwind(AssertUnwindSafe(|| automerge::Change::from_bytes(bytes.to_vec()))) {
        // Automerge does not check the header checksum (bytes 4..8, the first four bytes of the
        // change hash), which the hash and so the signature do not cover: check it here.
        Ok(Ok(change)) if bytes.get(4..8) == change.hash().0.get(..4) => Ok(change),
        Ok(Ok(_)) => Err(Rejection::Malformed("the header checksum does not match the change".into())),
        Ok(Err(e)) => Err(Rejection::Malformed(e.to_string())),
        Err(_) => Err(Rejection::Malformed("the change decoder failed".into())),
    }
}

/// The change's operations. Called only on changes whose signature and author were verified,
/// and guarded like [`parse_change`]: Automerge's expansion panics on some malformed changes.
pub fn operations(change: &automerge::Change) -> Result<automerge::ExpandedChange, Rejection> {
    catch_unwind(AssertUnwindSafe(|| change.decode()))
        .map_err(|_| Rejection::Malformed("the change's operations cannot be decoded".into()))
}

/// True when a key holding `grants` may write document `doc` at all. Registers: the centre's
/// sevika and the sector's supervisor. Tickets: anyone whose scope contains the ticket's (its
/// raiser, the sector supervisor, and the block, district and state relays and operators above
/// it), and any phone of the ticket's block as a carrier ([`only_carries`]); what each may do
/// inside a ticket is decided per event by `ticket::state`.
pub fn may_write(doc: &DocId, grants: &[Grant]) -> bool {
    grants.iter().any(|g| match doc.kind {
        DocKind::Ticket(_) => g.scope.contains(&doc.scope) || carrier_of(doc, g),
        _ => match g.role {
            Role::Sevika => g.scope == doc.scope,
            Role::Supervisor => g.scope.contains(&doc.scope),
            _ => false,
        },
    })
}

/// A sevika's or supervisor's phone of the ticket's block: it may write the ticket only to say it
/// carried it.
fn carrier_of(doc: &DocId, g: &Grant) -> bool {
    let block = |s: &crate::scope::Scope| s.ancestor(crate::scope::Level::Block);
    matches!(g.role, Role::Sevika | Role::Supervisor)
        && block(&g.scope).is_some()
        && block(&g.scope) == block(&doc.scope)
}

/// True when `grants` let their key raise ticket `doc`: a sevika in her centre, a supervisor in
/// her sector (exactly: one scope per person, so that her daily ticket slots are one set; see
/// [`crate::ticket::event`]).
pub fn raises_in(doc: &DocId, grants: &[Grant]) -> bool {
    grants.iter().any(|g| matches!(g.role, Role::Sevika | Role::Supervisor) && g.scope == doc.scope)
}

/// True when `grants` let their key write ticket `doc` only as a carrier.
pub fn only_carries(doc: &DocId, grants: &[Grant]) -> bool {
    !grants.iter().any(|g| g.scope.contains(&doc.scope))
}

/// Checks a signed change against the trust store (see the module docs).
pub fn verify(signed: &SignedChange, trust: &TrustStore) -> Result<Verified, Rejection> {
    verify_inner(signed, trust, Signature::Check)
}

/// [`verify`] for a signed change whose exact bytes (document, change and signature) the caller
/// checked with [`verify`] before: everything is checked again against `trust` (the actor's
/// binding, certificates and revocations at the change's time, permission, layout) except the
/// ed25519 signatures (the change's, and a ticket event's own), which are pure functions of
/// those same bytes. The phone and relay never use it; the simulator does, so that a change
/// carried by many simulated phones costs one signature check in the run rather than one per
/// phone, with the same outcome everywhere.
pub fn verify_checked_before(signed: &SignedChange, trust: &TrustStore) -> Result<Verified, Rejection> {
    verify_inner(signed, trust, Signature::CheckedBefore)
}

/// Whether [`verify_inner`] checks the ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signature {
    Check,
    CheckedBefore,
}

fn verify_inner(signed: &SignedChange, trust: &TrustStore, signature: Signature) -> Result<Verified, Rejection> {
    let header = header(&signed.change)?;
    let author =
        PublicKey::of_actor(&automerge::ActorId::from(header.actor.as_slice())).ok_or(Rejection::UnboundActor)?;
    if signature == Signature::Check {
        author
            .verify(SignedChange::tag(), &signing_bytes(&signed.doc, &header.hash), &signed.signature)
            .map_err(|_| Rejection::BadSignature { author: author.short() })?;
    }
    let change = parse_change(&signed.change)?;
    if change.hash() != header.hash || change.actor_id().to_bytes() != header.actor.as_slice() {
        return Err(Rejection::Malformed("the change does not match its header".into()));
    }
    let at = Timestamp(change.timestamp());
    // A change a relay vouched for stands whatever revocation came later (see `trust`).
    let vouched = trust.is_vouched_change(&header.hash) || trust.is_vouched(&author, at);
    if let Some(from) = trust.revoked_from(&author).filter(|from| *from <= at && !vouched) {
        return Err(Rejection::Revoked { author: author.short(), from, at });
    }
    let grants = if vouched { trust.grants_vouched(&author, at) } else { trust.grants(&author, at) };
    if grants.is_empty() {
        return Err(Rejection::NoCertificate { author: author.short(), at });
    }
    if !may_write(&signed.doc, &grants) {
        return Err(Rejection::NotPermitted { author: author.short(), doc: signed.doc.to_string() });
    }
    let expanded = operations(&change)?;
    let forbidden = |why: String| Rejection::Forbidden { doc: signed.doc.to_string(), why };
    let events = match signed.doc.kind {
        DocKind::Ticket(_) => {
            let events = ticket_events(&signed.doc, &change, &expanded, author, at, signature).map_err(forbidden)?;
            if events.iter().any(|e| matches!(e.action, Action::Raised { .. })) && !raises_in(&signed.doc, &grants) {
                return Err(forbidden(
                    "a ticket is raised by the sevika of its centre or the supervisor of its sector".into(),
                ));
            }
            if only_carries(&signed.doc, &grants) && events.iter().any(|e| e.action != Action::Carried) {
                return Err(forbidden("a phone of another centre only notes that it carried the ticket".into()));
            }
            events
        }
        _ => {
            register_operations(&expanded, &author).map_err(forbidden)?;
            Vec::new()
        }
    };
    Ok(Verified { doc: signed.doc.clone(), change, author, at, events })
}

/// Checks that a register change only does what the register layout allows (see
/// [`crate::register`]): at the root, the schema version, or a new entry map under an ID that
/// starts with the author's own key, so nobody can write an entry under somebody else's ID; inside
/// an entry, scalar fields only. Nothing is ever deleted.
fn register_operations(expanded: &automerge::ExpandedChange, author: &PublicKey) -> Result<(), String> {
    use crate::register::{SCHEMA_KEY, is_entry_id};
    let own_prefix = format!("{}-", author.short());
    for op in &expanded.operations {
        let Key::Map(key) = &op.key else { return Err("registers hold no lists".into()) };
        match (&op.obj, &op.action) {
            (_, OpType::Delete) => return Err("register entries are never deleted; void or correct them".into()),
            (ObjectId::Root, OpType::Put(ScalarValue::Uint(_))) if key == SCHEMA_KEY => {}
            (ObjectId::Root, OpType::Make(ObjType::Map)) => {
                if !is_entry_id(key) || !key.starts_with(&own_prefix) || !op.pred.is_empty() {
                    return Err(format!("a new entry needs a fresh ID of the author's own, not {key:?}"));
                }
            }
            (ObjectId::Root, _) => return Err(format!("unexpected value at the root key {key:?}")),
            (ObjectId::Id(_), OpType::Put(_)) if !op.insert => {}
            (ObjectId::Id(_), action) => return Err(format!("entries hold scalar fields only, not {action:?}")),
        }
    }
    Ok(())
}

/// The events a ticket change appends, after checking that it does nothing else.
fn ticket_events(
    doc: &DocId,
    change: &automerge::Change,
    expanded: &automerge::ExpandedChange,
    author: PublicKey,
    at: Timestamp,
    signature: Signature,
) -> Result<Vec<Event>, String> {
    let DocKind::Ticket(ticket) = doc.kind else { return Err("not a ticket".into()) };
    let genesis = change.deps().is_empty();
    let mut ops = expanded.operations.iter();
    let list = if genesis {
        let first = ops.next().ok_or("the first change of a ticket is empty")?;
        let makes_list = first.action == OpType::Make(ObjType::List)
            && first.obj == ObjectId::Root
            && first.key == Key::Map(TICKET_EVENTS_KEY.into())
            && !first.insert
            && first.pred.is_empty();
        if !makes_list {
            return Err("the first change of a ticket must create its event list".into());
        }
        Some(ObjectId::Id(OpId(change.start_op().get(), change.actor_id().clone())))
    } else {
        None
    };
    let mut events = Vec::new();
    for op in ops {
        let OpType::Put(ScalarValue::Bytes(bytes)) = &op.action else {
            return Err(format!("only events may be appended, not a {:?}", op.action));
        };
        let into_list = list.as_ref().map_or(op.obj != ObjectId::Root, |l| &op.obj == l);
        if !op.insert || !op.pred.is_empty() || !into_list {
            return Err("events may only be appended to the event list".into());
        }
        if events.len() == MAX_EVENTS_PER_CHANGE {
            return Err(format!("more than {MAX_EVENTS_PER_CHANGE} events in one change"));
        }
        let event = Event::decode(bytes).map_err(|e| format!("bad event: {e}"))?;
        if signature == Signature::Check {
            event.verify_signature().map_err(|_| "an event's signature does not verify".to_string())?;
        }
        if event.author != author || event.hlc.wall != at.0 {
            return Err("an event must be signed by the change's author, at the change's time".into());
        }
        if event.ticket_id() != ticket {
            return Err("an event of another ticket".into());
        }
        let is_raised = matches!(event.action, Action::Raised { .. });
        if is_raised != (genesis && events.is_empty()) {
            return Err("the raised event comes first, once, in the ticket's first change".into());
        }
        if let Action::Raised { scope, .. } = &event.action
            && scope != &doc.scope
        {
            return Err("the raised event's scope differs from the document's".into());
        }
        events.push(event);
    }
    if events.is_empty() {
        return Err("a ticket change must append at least one event".into());
    }
    Ok(events)
}
