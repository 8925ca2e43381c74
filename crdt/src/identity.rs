//! Keys: every device and relay is an ed25519 key pair, and the public key is its identity.
//!
//! The same 32-byte secret is the node's libp2p identity (libp2p's ed25519 keys are ed25519 too),
//! so the peer that the transport authenticates is the key whose signatures this crate checks.
//!
//! Automerge actor IDs are bound to keys: an actor is the 32-byte public key followed by an
//! 8-byte per-install nonce. A verifier reads the author's key straight out of a change's actor,
//! and a reinstalled phone (new nonce) never reuses sequence numbers of its old actor.
//!
//! Signatures always cover a domain-separation tag plus canonical bytes (see [`crate::codec`]),
//! and are checked with `verify_strict`, which refuses malleable and small-order encodings.
//! Key generation takes the 32 random bytes as a parameter: this crate has no randomness source.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::codec::{DecodeError, hex, unhex};

/// Length of an actor ID: public key then install nonce.
pub const ACTOR_LEN: usize = 32 + 8;

/// An ed25519 public key: the identity of a device, a relay or an operator.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

/// A signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("signature does not verify")]
pub struct BadSignature;

impl PublicKey {
    /// The first 8 hex digits, for logs and screens.
    pub fn short(&self) -> String {
        hex(self.0.get(..4).unwrap_or_default())
    }

    /// All 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Checks `sig` over `tag || msg` with `verify_strict`.
    pub fn verify(&self, tag: &[u8], msg: &[u8], sig: &Signature) -> Result<(), BadSignature> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| BadSignature)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        key.verify_strict(&tagged(tag, msg), &sig).map_err(|_| BadSignature)
    }

    /// The Automerge actor for this key and install nonce.
    pub fn actor(&self, install_nonce: [u8; 8]) -> automerge::ActorId {
        let mut bytes = [0u8; ACTOR_LEN];
        let (key, nonce) = bytes.split_at_mut(32);
        key.copy_from_slice(&self.0);
        nonce.copy_from_slice(&install_nonce);
        automerge::ActorId::from(&bytes[..])
    }

    /// The key an actor ID is bound to, or `None` if the actor is not of Sampark's form.
    pub fn of_actor(actor: &automerge::ActorId) -> Option<PublicKey> {
        let bytes = actor.to_bytes();
        if bytes.len() != ACTOR_LEN {
            return None;
        }
        bytes.get(..32)?.try_into().ok().map(PublicKey)
    }
}

fn tagged(tag: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(tag.len() + msg.len());
    v.extend_from_slice(tag);
    v.extend_from_slice(msg);
    v
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.short())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for PublicKey {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = unhex::<32>(s.trim())?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| DecodeError::invalid("public key", "not a curve point"))?;
        Ok(PublicKey(bytes))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex(self.0.get(..6).unwrap_or_default()))
    }
}

/// A signing key pair. The secret never leaves this type except through [`Keypair::secret`],
/// which the node uses to write its key file and derive its libp2p identity.
pub struct Keypair(SigningKey);

impl Keypair {
    /// The key pair for a 32-byte secret (from a CSPRNG, or fixed in tests).
    pub fn from_secret(secret: [u8; 32]) -> Keypair {
        Keypair(SigningKey::from_bytes(&secret))
    }

    /// The secret bytes.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `tag || msg`.
    pub fn sign(&self, tag: &[u8], msg: &[u8]) -> Signature {
        Signature(self.0.sign(&tagged(tag, msg)).to_bytes())
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.public().short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_domain_separation() {
        let k = Keypair::from_secret([7; 32]);
        let sig = k.sign(b"a", b"msg");
        assert!(k.public().verify(b"a", b"msg", &sig).is_ok());
        assert!(k.public().verify(b"b", b"msg", &sig).is_err());
        assert!(k.public().verify(b"a", b"msh", &sig).is_err());
        let other = Keypair::from_secret([8; 32]);
        assert!(other.public().verify(b"a", b"msg", &sig).is_err());
    }

    #[test]
    fn actor_binds_key() {
        let k = Keypair::from_secret([1; 32]).public();
        let actor = k.actor([9; 8]);
        assert_eq!(PublicKey::of_actor(&actor), Some(k));
        assert_ne!(k.actor([9; 8]), k.actor([10; 8]));
        assert_eq!(PublicKey::of_actor(&automerge::ActorId::from(&[1u8; 16][..])), None);
    }

    #[test]
    fn hex_form_round_trips() {
        let k = Keypair::from_secret([3; 32]).public();
        assert_eq!(k.to_hex().parse::<PublicKey>(), Ok(k));
        assert!("00".parse::<PublicKey>().is_err());
    }
}
