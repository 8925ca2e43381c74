//! Signed changes: an Automerge change with its author's signature, the unit that travels.
//!
//! Automerge changes are unsigned. Sampark wraps each one as `(document ID, change bytes,
//! signature)`, where the signature is the author's ed25519 signature over a domain tag, the
//! document ID and the change's hash. The author is not sent: it is read from the change's actor
//! ID, which is bound to the author's key (see [`crate::identity`]). Binding the document ID
//! stops a valid change from being replayed into another document.
//!
//! A signed change is self-contained: a phone can carry it for another centre, and a relay two
//! hops away can verify it without having seen the contact where it was made.

use crate::codec::{DecodeError, Reader, Writer};
use crate::docid::{DocId, MAX_DOC_ID_LEN};
use crate::identity::{Keypair, Signature};

const CHANGE_TAG: &[u8] = b"sampark/change/v1\0";
const FORMAT_VERSION: u8 = 1;

/// Largest Automerge change accepted, in bytes. Register entries and ticket events are small;
/// attachments travel by hash only.
pub const MAX_CHANGE_LEN: usize = 256 * 1024;

/// An Automerge change of one document, signed by its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedChange {
    /// The document the change belongs to.
    pub doc: DocId,
    /// The Automerge change, as Automerge encodes it.
    pub change: Vec<u8>,
    /// The author's signature over the document ID and the change hash.
    pub signature: Signature,
}

/// The bytes a change signature covers.
pub(crate) fn signing_bytes(doc: &DocId, hash: &automerge::ChangeHash) -> Vec<u8> {
    let mut w = Writer::new();
    w.str(&doc.to_string()).fixed(&hash.0);
    w.finish()
}

impl SignedChange {
    /// Longest encoded signed change.
    pub const MAX_LEN: usize = 1 + 4 + MAX_DOC_ID_LEN + 4 + MAX_CHANGE_LEN + 64;

    /// Signs `change` (made by an actor bound to `author`) for document `doc`.
    pub fn sign(doc: DocId, change: &automerge::Change, author: &Keypair) -> SignedChange {
        let signature = author.sign(CHANGE_TAG, &signing_bytes(&doc, &change.hash()));
        SignedChange { doc, change: change.raw_bytes().to_vec(), signature }
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(FORMAT_VERSION).str(&self.doc.to_string()).bytes(&self.change).fixed(&self.signature.0);
        w.finish()
    }

    /// Decodes the envelope. The change inside is parsed and everything checked by
    /// [`crate::verify::verify`].
    pub fn decode(bytes: &[u8]) -> Result<SignedChange, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("signed change version")?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::invalid("signed change version", format!("{version}")));
        }
        let doc = DocId::parse(r.str(MAX_DOC_ID_LEN, "document id")?)?;
        let change = r.bytes(MAX_CHANGE_LEN, "change")?.to_vec();
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        Ok(SignedChange { doc, change, signature })
    }

    /// The tag under which change signatures are made.
    pub(crate) fn tag() -> &'static [u8] {
        CHANGE_TAG
    }
}
