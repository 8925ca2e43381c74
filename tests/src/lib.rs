//! `sampark-tests`: tests that cross crate, process and host boundaries. The tests live in
//! `tests/tests/*.rs`; this library holds what they share: test hosts in network namespaces
//! ([`netns`]).

pub mod netns;

pub use sampark_crdt as crdt;
