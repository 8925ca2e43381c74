//! `sampark-node`: the phone's node.
//!
//! It will keep the documents of `sampark-crdt` on disk (sled), run the contact sync protocol as
//! a sans-IO state machine, drive it over libp2p, and offer the `sampark-node` command line and
//! local API. So far it holds the binding between a device's key and its libp2p identity.

pub mod api;
pub mod cli;
pub mod daemon;
pub mod home;
pub mod httpd;
pub mod identity;
pub mod net;
pub mod ops;
pub mod proto;
pub mod store;

pub use sampark_crdt as crdt;
