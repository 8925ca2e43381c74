//! `sampark-node`: the phone's node.
//!
//! It will keep the documents of `sampark-crdt` on disk (sled), run the contact sync protocol as
//! a sans-IO state machine, drive it over libp2p, and offer the `sampark-node` command line and
//! local API. Today it only re-exports the data layer it builds on.

pub use sampark_crdt as crdt;
