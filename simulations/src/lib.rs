//! `sampark-sim`: a deterministic discrete-event simulator that drives the real protocol engines
//! and real documents over simulated contacts. Today it only re-exports the data layer it builds on.

pub use sampark_crdt as crdt;
