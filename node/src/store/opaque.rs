//! Records whose contents the store does not interpret: metadata, per-peer sync state and
//! receipts. They get the same checksum and durability as everything else.

use sampark_crdt::PublicKey;

use super::keys::{self, Key};
use super::report::RecordKind;
use super::{Checked, Store, StoreError};

/// One peer's stored sync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    /// The peer's key.
    pub peer: PublicKey,
    /// The state, as the caller stored it.
    pub state: Vec<u8>,
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The key the caller stored it under.
    pub key: Vec<u8>,
    /// The receipt, as the caller stored it.
    pub receipt: Vec<u8>,
}

impl Store {
    /// Stores small metadata under `name` (e.g. the node's hybrid logical clock, its install
    /// nonce), durably.
    pub fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.put(&Key::Meta(name.as_bytes().to_vec()), value, "store metadata")
    }

    /// The metadata stored under `name`. A damaged record is removed and reported as
    /// [`StoreError::Damaged`].
    pub fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(&Key::Meta(name.as_bytes().to_vec()), |p| Ok(p.to_vec()))
    }

    /// Stores the sync state kept for `peer`, durably.
    pub fn put_peer_state(&self, peer: &PublicKey, state: &[u8]) -> Result<(), StoreError> {
        self.put(&Key::Peer(*peer), state, "store a peer's state")
    }

    /// The sync state kept for `peer`. A damaged record is removed and reported as
    /// [`StoreError::Damaged`].
    pub fn peer_state(&self, peer: &PublicKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(&Key::Peer(*peer), |p| Ok(p.to_vec()))
    }

    /// The sync state of every peer, in key order; damaged records are removed and listed.
    pub fn peer_states(&self) -> Result<Checked<Vec<PeerState>>, StoreError> {
        self.scan(keys::prefix(RecordKind::PeerState), |key, payload| match key {
            Key::Peer(peer) => Ok(PeerState { peer: *peer, state: payload.to_vec() }),
            _ => Err("not a peer key".into()),
        })
    }

    /// Stores a receipt under the caller's `key` (which should sort usefully, e.g. document ID
    /// then receipt ID), durably.
    pub fn put_receipt(&self, key: &[u8], receipt: &[u8]) -> Result<(), StoreError> {
        self.put(&Key::Receipt(key.to_vec()), receipt, "store a receipt")
    }

    /// Every receipt, in key order; damaged records are removed and listed.
    pub fn receipts(&self) -> Result<Checked<Vec<Receipt>>, StoreError> {
        self.scan(keys::prefix(RecordKind::Receipt), |key, payload| match key {
            Key::Receipt(k) => Ok(Receipt { key: k.clone(), receipt: payload.to_vec() }),
            _ => Err("not a receipt key".into()),
        })
    }

    /// Removes the receipt under `key`, durably. Returns whether one was stored.
    pub fn remove_receipt(&self, key: &[u8]) -> Result<bool, StoreError> {
        let raw = Key::Receipt(key.to_vec()).encode();
        let old = self.tree.remove(raw).map_err(self.fail("remove a receipt"))?;
        self.durable()?;
        Ok(old.is_some())
    }
}
