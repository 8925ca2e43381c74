//! `sampark-relay`: a node with duties: the block helpdesk's laptop, the district office, the
//! state data hub.
//!
//! A relay runs the same node as a phone (`sampark_node`: store, protocol, transport); enrolled
//! with a relay certificate it keeps its whole subtree and signs receipts for what arrives. This
//! crate adds the relay's own duties: provisioning the trust chain ([`provision`]) and, on the
//! tickets it holds, receipt stamps and escalation when a tier's deadline passes ([`duties`]).
//! Its helpdesk operators ([`operators`]) work the queue through the HTTP API and dashboard
//! ([`http`]), signing with their own keys. SMS alerts to beneficiaries and workers are
//! computed from the registers the block relay holds and sent through a Kannel gateway ([`alerts`]).

pub mod alerts;
pub mod demo;
pub mod duties;
pub mod http;
pub mod operators;
pub mod provision;
pub mod secret_file;

pub use sampark_crdt as crdt;
