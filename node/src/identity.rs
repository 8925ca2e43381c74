//! The node's key is its libp2p identity.
//!
//! A device has one ed25519 key. Its 32-byte secret makes both the [`sampark_crdt::Keypair`]
//! that signs changes and the libp2p keypair that authenticates the transport (Noise), so the
//! peer a connection authenticates is the key whose signatures the node checks, and a peer's
//! certificate chain can be looked up from its `PeerId`.

use libp2p::PeerId;
use libp2p::identity::{self, ed25519};
use sampark_crdt::{Keypair, PublicKey};

/// The libp2p keypair for the same ed25519 secret as `key`.
pub fn libp2p_keypair(key: &Keypair) -> Result<identity::Keypair, identity::DecodingError> {
    let mut secret = key.secret();
    let secret = ed25519::SecretKey::try_from_bytes(&mut secret)?;
    Ok(identity::Keypair::from(ed25519::Keypair::from(secret)))
}

/// The `PeerId` of the node whose key is `key`.
pub fn peer_id(key: &PublicKey) -> Option<PeerId> {
    let public = ed25519::PublicKey::try_from_bytes(&key.0).ok()?;
    Some(PeerId::from_public_key(&identity::PublicKey::from(public)))
}

/// The Sampark key of a peer, read from its `PeerId` (ed25519 peer IDs embed the public key).
pub fn key_of_peer(peer: &PeerId) -> Option<PublicKey> {
    let multihash = peer.as_ref();
    if multihash.code() != 0 {
        return None;
    }
    let public = identity::PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    sampark_key(&public)
}

/// The Sampark key behind a libp2p public key, if it is ed25519.
pub fn sampark_key(public: &identity::PublicKey) -> Option<PublicKey> {
    let ed = public.clone().try_into_ed25519().ok()?;
    Some(PublicKey(ed.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_secret_one_identity() {
        let key = Keypair::from_secret([42; 32]);
        let p2p = libp2p_keypair(&key).unwrap();
        assert_eq!(sampark_key(&p2p.public()), Some(key.public()));
        assert_eq!(peer_id(&key.public()), Some(p2p.public().to_peer_id()));
        assert_eq!(key_of_peer(&p2p.public().to_peer_id()), Some(key.public()));
        // And a signature made through libp2p verifies as a Sampark signature of the same key.
        let msg = b"sampark";
        let sig = p2p.sign(msg).unwrap();
        let sig = sampark_crdt::Signature(sig.try_into().unwrap());
        assert!(key.public().verify(b"", msg, &sig).is_ok());
    }
}
