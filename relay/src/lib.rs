//! `sampark-relay`: a node with duties (block, district and state tiers, uplink, escalation
//! deadlines, helpdesk API and dashboard, SMS alerts). Built on `sampark-node`; today it only
//! re-exports the data layer it builds on.

pub use sampark_crdt as crdt;
