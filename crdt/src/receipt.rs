//! Receipts: a relay's signed word that it holds a document at some heads.
//!
//! "Relay R holds document D with (at least) the changes up to heads H, as of time T", signed by
//! R. Receipts travel back down like any data: a phone carrying D for another centre drops its
//! copy once a receipt shows the data arrived upstream (an anti-packet), and the phone that made
//! the changes learns that they are safe at the relay. A receipt counts only if its signer holds
//! a relay certificate whose scope contains the document's, at the receipt's time.

use automerge::ChangeHash;

use crate::codec::{DecodeError, Reader, Writer};
use crate::docid::{DocId, MAX_DOC_ID_LEN};
use crate::identity::{Keypair, PublicKey, Signature};
use crate::time::Timestamp;
use crate::trust::TrustStore;

const RECEIPT_TAG: &[u8] = b"sampark/receipt/v1\0";
const FORMAT_VERSION: u8 = 1;
/// Most heads in one receipt.
pub const MAX_HEADS: usize = 64;

/// A relay's signed statement that it holds a document at some heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The relay.
    pub relay: PublicKey,
    /// The document.
    pub doc: DocId,
    /// The relay's heads of the document (sorted).
    pub heads: Vec<ChangeHash>,
    /// When, by the relay's clock.
    pub at: Timestamp,
    /// The relay's signature.
    pub signature: Signature,
}

/// Why a receipt does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The signature does not verify.
    #[error("the receipt's signature does not verify")]
    BadSignature,
    /// The signer is not a relay over the document at the receipt's time.
    #[error("{0} is not a relay over the document at that time")]
    NotARelay(String),
}

impl Receipt {
    /// Signs a receipt for `doc` at `heads` (at most [`MAX_HEADS`] are kept) at time `at`.
    pub fn sign(relay: &Keypair, doc: DocId, mut heads: Vec<ChangeHash>, at: Timestamp) -> Receipt {
        heads.sort();
        heads.dedup();
        heads.truncate(MAX_HEADS);
        let mut r = Receipt { relay: relay.public(), doc, heads, at, signature: Signature([0; 64]) };
        r.signature = relay.sign(RECEIPT_TAG, &r.body_bytes());
        r
    }

    fn body_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(FORMAT_VERSION).fixed(&self.relay.0).str(&self.doc.to_string()).i64(self.at.0);
        w.u32(u32::try_from(self.heads.len()).unwrap_or(u32::MAX));
        for h in &self.heads {
            w.fixed(&h.0);
        }
        w.finish()
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        bytes.extend_from_slice(&self.signature.0);
        bytes
    }

    /// Longest encoded receipt.
    pub const MAX_LEN: usize = 1 + 32 + 4 + MAX_DOC_ID_LEN + 8 + 4 + 32 * MAX_HEADS + 64;

    /// Decodes a receipt (the signature is checked by [`Receipt::verify`]).
    pub fn decode(bytes: &[u8]) -> Result<Receipt, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("receipt version")?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::invalid("receipt version", format!("{version}")));
        }
        let relay = PublicKey(r.array("relay")?);
        let doc = DocId::parse(r.str(MAX_DOC_ID_LEN, "document id")?)?;
        let at = Timestamp(r.i64("time")?);
        let n = usize::try_from(r.u32("heads")?).unwrap_or(usize::MAX);
        if n > MAX_HEADS {
            return Err(DecodeError::TooLong { what: "heads", len: n, max: MAX_HEADS });
        }
        let heads: Vec<ChangeHash> = (0..n).map(|_| r.array("head").map(ChangeHash)).collect::<Result<_, _>>()?;
        if !heads.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            return Err(DecodeError::invalid("heads", "not strictly sorted"));
        }
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        Ok(Receipt { relay, doc, heads, at, signature })
    }

    /// Checks the signature and that the signer was a relay over the document at the time.
    pub fn verify(&self, trust: &TrustStore) -> Result<(), ReceiptError> {
        self.relay.verify(RECEIPT_TAG, &self.body_bytes(), &self.signature).map_err(|_| ReceiptError::BadSignature)?;
        self.verify_checked_before(trust)
    }

    /// [`Receipt::verify`] for a receipt whose exact bytes the caller verified before: only
    /// whether the signer was a relay over the document at the time is checked again, against
    /// `trust` (see [`crate::verify::verify_checked_before`], which is for the simulator too).
    pub fn verify_checked_before(&self, trust: &TrustStore) -> Result<(), ReceiptError> {
        let is_relay =
            trust.grants(&self.relay, self.at).iter().any(|g| g.role.is_relay() && g.scope.contains(&self.doc.scope));
        if is_relay { Ok(()) } else { Err(ReceiptError::NotARelay(self.relay.short())) }
    }
}

impl Receipt {
    /// Vouches in `trust` for every change this receipt names (see [`crate::trust`]: what a relay
    /// held stands whatever revocation comes later). Call it only for a receipt that verified.
    pub fn vouch(&self, trust: &mut TrustStore) {
        for h in &self.heads {
            trust.vouch_change(*h);
        }
    }
}

/// Vouches in `trust` for the statements of the changes among `hashes` that `doc` holds and
/// `trust` vouches for: each one's author at its time, so that deriving a ticket's state judges
/// their events as the receipt's relay did.
pub fn vouch_held(trust: &mut TrustStore, doc: &crate::Document, hashes: impl IntoIterator<Item = ChangeHash>) {
    for h in hashes {
        if !trust.is_vouched_change(&h) {
            continue;
        }
        if let Some(meta) = doc.automerge().get_change_meta_by_hash(&h)
            && let Some(author) = PublicKey::of_actor(&meta.actor)
        {
            trust.vouch_statement(author, Timestamp(meta.timestamp));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{CertificateBody, Role};
    use crate::scope::Scope;

    #[test]
    fn receipts_round_trip_and_only_relays_count() {
        let root = Keypair::from_secret([1; 32]);
        let relay = Keypair::from_secret([3; 32]);
        let phone = Keypair::from_secret([20; 32]);
        let mut trust = TrustStore::new(root.public());
        let cert = |subject: PublicKey, role, scope: &str| {
            CertificateBody {
                subject,
                role,
                scope: Scope::parse(scope).unwrap(),
                not_before: Timestamp(0),
                not_after: Timestamp(1000),
                programme: Default::default(),
            }
            .sign(&root)
            .unwrap()
        };
        trust.add_certificate(cert(root.public(), Role::StateHub, "BR")).unwrap();
        trust.add_certificate(cert(relay.public(), Role::BlockRelay, "BR/DBG/P07")).unwrap();
        trust.add_certificate(cert(phone.public(), Role::Sevika, "BR/DBG/P07/S03/A0412")).unwrap();
        let doc = DocId::parse("BR/DBG/P07/S03/A0412:families").unwrap();
        let r = Receipt::sign(&relay, doc.clone(), vec![ChangeHash([2; 32]), ChangeHash([1; 32])], Timestamp(5));
        let back = Receipt::decode(&r.encode()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.verify(&trust), Ok(()));
        let by_phone = Receipt::sign(&phone, doc.clone(), vec![], Timestamp(5));
        assert!(matches!(by_phone.verify(&trust), Err(ReceiptError::NotARelay(_))));
        let mut forged = r.clone();
        forged.at = Timestamp(6);
        assert_eq!(forged.verify(&trust), Err(ReceiptError::BadSignature));
        let late = Receipt::sign(&relay, doc, vec![], Timestamp(2000));
        assert!(late.verify(&trust).is_err(), "after the relay's certificate expired");
        // Checked before: the signer's role and time are still checked.
        assert_eq!(back.verify_checked_before(&trust), Ok(()));
        assert!(matches!(by_phone.verify_checked_before(&trust), Err(ReceiptError::NotARelay(_))));
        assert!(late.verify_checked_before(&trust).is_err());
    }
}
