//! `sampark-crdt`: Sampark's data layer.
//!
//! Who may write what, what the ICDS registers and the helpdesk tickets look like as Automerge
//! documents, and how every change is signed and verified before any replica accepts it.
//!
//! This crate is pure: no network, no disk, no clock, no randomness. Time and random bytes are
//! parameters, so every rule here is deterministic and testable, and the node, the relay and the
//! simulator all run the same code.
//!
//! - [`identity`]: ed25519 keys, signatures, actor IDs bound to keys.
//! - [`scope`], [`docid`]: the ICDS hierarchy and document IDs that carry their scope.
//! - [`cert`], [`trust`]: certificates, revocations, and which chains count when.
//! - [`signed`], [`verify`](mod@verify): signed changes and the checks every change passes.
//! - [`receipt`]: a relay's signed word that it holds a document, so carriers can drop it.
//! - [`document`]: a replica that only takes verified changes.
//! - [`register`]: the registers as typed entries.
//! - [`due`]: due lists: the service schedule as data, and who needs what on a given day.
//! - [`growth`]: WHO 2006 growth standards: z-scores, grades, SAM/MAM, weight gain.
//! - [`ticket`]: helpdesk tickets as signed events and the state derived from them.
//! - [`codec`], [`time`]: canonical encoding; timestamps and hybrid logical clocks.
//! - [`printable`](mod@printable): text from phones made safe for terminals and SMS.
//! - [`words`]: the words people read (प्रखंड, महिला पर्यवेक्षिका, `DD-MM-YYYY`), one per thing.
//!
//! A two-replica walk-through (provision, raise a ticket offline, carry it, derive its state) is
//! `cargo run -p sampark-crdt --example walkthrough`.

pub mod cert;
pub mod codec;
pub mod docid;
pub mod document;
pub mod due;
pub mod growth;
pub mod identity;
pub mod printable;
pub mod receipt;
pub mod register;
pub mod scope;
pub mod signed;
pub mod ticket;
pub mod time;
pub mod trust;
pub mod verify;
pub mod words;

pub use cert::{Certificate, CertificateBody, Programme, Revocation, Role};
pub use docid::{DocId, DocKind, Month, TicketId};
pub use document::{Applied, ApplyError, Author, Document, EditError};
pub use identity::{Keypair, PublicKey, Signature};
pub use printable::printable;
pub use receipt::Receipt;
pub use scope::{Level, Scope};
pub use signed::SignedChange;
pub use time::{Hlc, Timestamp};
pub use trust::{Grant, TrustStore};
pub use verify::{Rejection, Verified, verify};
