//! `sampark-relay`: a node with duties: the block helpdesk's laptop, the district office, the
//! state data hub.
//!
//! A relay runs the same node as a phone (`sampark_node`: store, protocol, transport); enrolled
//! with a relay certificate it keeps its whole subtree and signs receipts for what arrives. This
//! crate adds the relay's own duties: provisioning the trust chain ([`provision`]). Tiers,
//! escalation deadlines, the helpdesk API and dashboard and SMS alerts come next.

pub mod provision;

pub use sampark_crdt as crdt;
