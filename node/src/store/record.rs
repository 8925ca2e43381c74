//! Stored values: a checksum, then the payload; and the content checks of each record kind.
//!
//! A stored value is `checksum (8 bytes) || payload`, where the checksum is the first 8 bytes of
//! SHA-256 over a domain tag, the key's length and bytes, and the payload. Covering the key
//! means a record copied or written under the wrong key fails too, not only a flipped bit.
//!
//! Content checks go beyond the checksum: a change must decode, belong to the document in its
//! key and hash to the hash in its key; a certificate or revocation must decode and have the ID
//! in its key; heads must be whole 32-byte hashes; a snapshot record must read (whether its
//! snapshot loads is checked where the pack file is at hand, in [`Store::check`](super::Store::check)).

use automerge::ChangeHash;
use sampark_crdt::codec::hex;
use sampark_crdt::verify::header;
use sampark_crdt::{Certificate, DocId, Document, Revocation, SignedChange};
use sha2::{Digest, Sha256};

use super::keys::Key;

/// Bytes of checksum in front of every stored value.
pub(crate) const CHECKSUM_LEN: usize = 8;
const DOMAIN: &[u8] = b"sampark/store/v1\0";

fn checksum(key: &[u8], payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update((key.len() as u64).to_be_bytes());
    hasher.update(key);
    hasher.update(payload);
    let digest = hasher.finalize();
    let mut out = [0; CHECKSUM_LEN];
    out.copy_from_slice(digest.get(..CHECKSUM_LEN).unwrap_or(&[0; CHECKSUM_LEN]));
    out
}

/// The stored form of `payload` under `key`.
pub(crate) fn seal(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(CHECKSUM_LEN + payload.len());
    value.extend_from_slice(&checksum(key, payload));
    value.extend_from_slice(payload);
    value
}

/// The payload of a stored value, if its checksum holds.
pub(crate) fn unseal<'a>(key: &[u8], value: &'a [u8]) -> Result<&'a [u8], String> {
    let (sum, payload) = value.split_at_checked(CHECKSUM_LEN).ok_or("the value is shorter than its checksum")?;
    if sum != checksum(key, payload) {
        return Err("checksum mismatch".into());
    }
    Ok(payload)
}

/// A stored change, checked against its key: it belongs to the key's document and its hash,
/// read from its header without running Automerge's parser, is the key's.
pub(crate) fn decode_change(doc: &DocId, hash: &ChangeHash, payload: &[u8]) -> Result<SignedChange, String> {
    let signed = SignedChange::decode(payload).map_err(|e| format!("the signed change does not decode: {e}"))?;
    if &signed.doc != doc {
        return Err(format!("the change belongs to {}", signed.doc));
    }
    let found = header(&signed.change).map_err(|e| format!("the change's header does not read: {e}"))?.hash;
    if &found != hash {
        return Err(format!("the change's hash is {found}, not the one in its key"));
    }
    Ok(signed)
}

/// Heads as stored: the 32-byte hashes, one after another.
pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Stored heads.
pub(crate) fn decode_heads(payload: &[u8]) -> Result<Vec<ChangeHash>, String> {
    let chunks = payload.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return Err(format!("{} bytes are not whole 32-byte hashes", payload.len()));
    }
    chunks.map(|c| ChangeHash::try_from(c).map_err(|e| e.to_string())).collect()
}

/// A stored snapshot, loaded.
pub(crate) fn decode_snapshot(doc: &DocId, payload: &[u8]) -> Result<Document, String> {
    Document::load(doc.clone(), payload).map_err(|e| format!("the snapshot does not load: {e}"))
}

/// A stored certificate, checked against the ID in its key.
pub(crate) fn decode_certificate(id: &str, payload: &[u8]) -> Result<Certificate, String> {
    let cert = Certificate::decode(payload).map_err(|e| format!("the certificate does not decode: {e}"))?;
    if cert.id() != id {
        return Err(format!("the certificate's ID is {}, not the one in its key", cert.id()));
    }
    Ok(cert)
}

/// The ID a revocation is stored under: hex of the first 8 bytes of SHA-256 of its encoding,
/// as [`Certificate::id`] is for certificates.
pub(crate) fn revocation_id(rev: &Revocation) -> String {
    let digest = Sha256::digest(rev.encode());
    hex(digest.get(..8).unwrap_or_default())
}

/// A stored revocation, checked against the ID in its key.
pub(crate) fn decode_revocation(id: &str, payload: &[u8]) -> Result<Revocation, String> {
    let rev = Revocation::decode(payload).map_err(|e| format!("the revocation does not decode: {e}"))?;
    if revocation_id(&rev) != id {
        return Err(format!("the revocation's ID is {}, not the one in its key", revocation_id(&rev)));
    }
    Ok(rev)
}

/// The stored format version.
pub(crate) fn decode_format(payload: &[u8]) -> Result<u32, String> {
    let bytes: [u8; 4] = payload.try_into().map_err(|_| "the format record is not 4 bytes".to_string())?;
    Ok(u32::from_be_bytes(bytes))
}

/// Checks a record's content against its key (the checksum already held).
pub(crate) fn check_content(key: &Key, payload: &[u8]) -> Result<(), String> {
    match key {
        Key::Format => decode_format(payload).map(drop),
        Key::Change(doc, hash) => decode_change(doc, hash, payload).map(drop),
        Key::Heads(_) => decode_heads(payload).map(drop),
        Key::Snapshot(_) => super::pack::parse(payload).map(drop),
        Key::Certificate(id) => decode_certificate(id, payload).map(drop),
        Key::Revocation(id) => decode_revocation(id, payload).map(drop),
        Key::Meta(_) | Key::Peer(_) | Key::Receipt(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_checks_value_and_key() {
        let value = seal(b"m\0a", b"payload");
        assert_eq!(unseal(b"m\0a", &value).unwrap(), b"payload");
        assert!(unseal(b"m\0b", &value).is_err());
        let mut flipped = value.clone();
        flipped[10] ^= 1;
        assert!(unseal(b"m\0a", &flipped).is_err());
        assert!(unseal(b"m\0a", &value[..5]).is_err());
    }

    #[test]
    fn heads_round_trip_and_refuse_partial_hashes() {
        let heads = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        assert_eq!(decode_heads(&encode_heads(&heads)).unwrap(), heads);
        assert!(decode_heads(&[0; 33]).is_err());
    }
}
