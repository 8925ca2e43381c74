//! The key layout of the store's one sled tree (see the table in [`crate::store`]).
//!
//! Every key starts with a one-letter namespace and a `\0`. Document IDs never contain `\0`
//! (they are validated scope strings), so `c\0<doc>\0` is a prefix of exactly one document's
//! changes and a prefix scan never strays into another document whose ID starts the same way.

use automerge::ChangeHash;
use sampark_crdt::codec::{hex, unhex};
use sampark_crdt::{DocId, PublicKey};

use super::report::RecordKind;

/// Length of a certificate or revocation ID in hex digits.
const ID_LEN: usize = 16;

/// A parsed key of the store's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// `v\0`: the store's format version.
    Format,
    /// `c\0<doc>\0<32-byte hash>`: one signed change.
    Change(DocId, ChangeHash),
    /// `h\0<doc>`: the document's current heads.
    Heads(DocId),
    /// `s\0<doc>`: the document's compacted Automerge save.
    Snapshot(DocId),
    /// `t\0c\0<id>`: a certificate, under [`sampark_crdt::Certificate::id`].
    Certificate(String),
    /// `t\0r\0<id>`: a revocation, under the same kind of ID.
    Revocation(String),
    /// `m\0<name>`: small metadata.
    Meta(Vec<u8>),
    /// `p\0<peer key hex>`: per-peer sync state.
    Peer(PublicKey),
    /// `r\0<caller's key>`: a receipt.
    Receipt(Vec<u8>),
}

/// The namespace prefix of each record kind.
pub(crate) fn prefix(kind: RecordKind) -> &'static [u8] {
    match kind {
        RecordKind::Format => b"v\0",
        RecordKind::Change => b"c\0",
        RecordKind::Heads => b"h\0",
        RecordKind::Snapshot => b"s\0",
        RecordKind::Certificate => b"t\0c\0",
        RecordKind::Revocation => b"t\0r\0",
        RecordKind::Meta => b"m\0",
        RecordKind::PeerState => b"p\0",
        RecordKind::Receipt => b"r\0",
        RecordKind::Unknown => b"",
    }
}

/// The prefix of every change of `doc`: `c\0<doc>\0`.
pub(crate) fn change_prefix(doc: &DocId) -> Vec<u8> {
    let mut key = joined(RecordKind::Change, doc.to_string().as_bytes());
    key.push(0);
    key
}

fn joined(kind: RecordKind, rest: &[u8]) -> Vec<u8> {
    let mut key = prefix(kind).to_vec();
    key.extend_from_slice(rest);
    key
}

/// The record kind a raw key's namespace names, even when the rest does not parse.
pub(crate) fn kind_of(key: &[u8]) -> RecordKind {
    RecordKind::ALL
        .into_iter()
        .find(|&kind| kind != RecordKind::Unknown && key.starts_with(prefix(kind)))
        .unwrap_or(RecordKind::Unknown)
}

/// The document a raw key names, if it names one that parses.
pub(crate) fn doc_of(key: &[u8]) -> Option<DocId> {
    Key::parse(key).ok().and_then(|k| k.doc().cloned()).or_else(|| {
        // A change key whose hash part is damaged may still name its document.
        let rest = key.strip_prefix(prefix(RecordKind::Change))?;
        let end = rest.iter().position(|&b| b == 0)?;
        parse_doc(rest.get(..end)?).ok()
    })
}

fn parse_doc(bytes: &[u8]) -> Result<DocId, String> {
    let s = std::str::from_utf8(bytes).map_err(|_| "the document ID is not UTF-8".to_string())?;
    DocId::parse(s).map_err(|e| format!("bad document ID in key: {e}"))
}

fn parse_id(bytes: &[u8]) -> Result<String, String> {
    let ok = bytes.len() == ID_LEN && bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !ok {
        return Err("the record ID is not 16 lower-case hex digits".into());
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| "the record ID is not UTF-8".into())
}

fn parse_change(rest: &[u8]) -> Result<Key, String> {
    let split = rest.len().checked_sub(33).ok_or("the change key is too short")?;
    let (doc, tail) = rest.split_at_checked(split).ok_or("the change key is too short")?;
    let (sep, hash) = tail.split_first().ok_or("the change key is too short")?;
    if *sep != 0 {
        return Err("the change key has no separator before its hash".into());
    }
    let hash = ChangeHash::try_from(hash).map_err(|_| "the change key's hash is not 32 bytes".to_string())?;
    Ok(Key::Change(parse_doc(doc)?, hash))
}

fn parse_peer(rest: &[u8]) -> Result<Key, String> {
    let s = std::str::from_utf8(rest).map_err(|_| "the peer key is not hex".to_string())?;
    let key = unhex::<32>(s).map_err(|e| format!("bad peer key: {e}"))?;
    Ok(Key::Peer(PublicKey(key)))
}

impl Key {
    /// The raw key.
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Key::Format => prefix(RecordKind::Format).to_vec(),
            Key::Change(doc, hash) => {
                let mut key = change_prefix(doc);
                key.extend_from_slice(&hash.0);
                key
            }
            Key::Heads(doc) => joined(RecordKind::Heads, doc.to_string().as_bytes()),
            Key::Snapshot(doc) => joined(RecordKind::Snapshot, doc.to_string().as_bytes()),
            Key::Certificate(id) => joined(RecordKind::Certificate, id.as_bytes()),
            Key::Revocation(id) => joined(RecordKind::Revocation, id.as_bytes()),
            Key::Meta(name) => joined(RecordKind::Meta, name),
            Key::Peer(key) => joined(RecordKind::PeerState, hex(&key.0).as_bytes()),
            Key::Receipt(key) => joined(RecordKind::Receipt, key),
        }
    }

    /// Parses a raw key; the error says what is wrong with it.
    pub(crate) fn parse(key: &[u8]) -> Result<Key, String> {
        let kind = kind_of(key);
        let rest = key.strip_prefix(prefix(kind)).unwrap_or_default();
        match kind {
            RecordKind::Format if rest.is_empty() => Ok(Key::Format),
            RecordKind::Format => Err("the format key has trailing bytes".into()),
            RecordKind::Change => parse_change(rest),
            RecordKind::Heads => Ok(Key::Heads(parse_doc(rest)?)),
            RecordKind::Snapshot => Ok(Key::Snapshot(parse_doc(rest)?)),
            RecordKind::Certificate => Ok(Key::Certificate(parse_id(rest)?)),
            RecordKind::Revocation => Ok(Key::Revocation(parse_id(rest)?)),
            RecordKind::Meta => Ok(Key::Meta(rest.to_vec())),
            RecordKind::PeerState => parse_peer(rest),
            RecordKind::Receipt => Ok(Key::Receipt(rest.to_vec())),
            RecordKind::Unknown => Err("the key is in no namespace this store writes".into()),
        }
    }

    /// The kind of record this key holds.
    pub(crate) fn kind(&self) -> RecordKind {
        match self {
            Key::Format => RecordKind::Format,
            Key::Change(..) => RecordKind::Change,
            Key::Heads(_) => RecordKind::Heads,
            Key::Snapshot(_) => RecordKind::Snapshot,
            Key::Certificate(_) => RecordKind::Certificate,
            Key::Revocation(_) => RecordKind::Revocation,
            Key::Meta(_) => RecordKind::Meta,
            Key::Peer(_) => RecordKind::PeerState,
            Key::Receipt(_) => RecordKind::Receipt,
        }
    }

    /// The document the record belongs to, if any.
    pub(crate) fn doc(&self) -> Option<&DocId> {
        match self {
            Key::Change(doc, _) | Key::Heads(doc) | Key::Snapshot(doc) => Some(doc),
            _ => None,
        }
    }
}

/// A printable form of a raw key: `\0` shows as `|`, a change's hash in hex, and any other key
/// as printable ASCII up to its first other byte, then hex.
pub(crate) fn printable(key: &[u8]) -> String {
    if let Ok(Key::Change(doc, hash)) = Key::parse(key) {
        return format!("c|{doc}|{}", hex(&hash.0));
    }
    let text_end = key.iter().position(|&b| b != 0 && !(b.is_ascii_graphic() || b == b' ')).unwrap_or(key.len());
    let (text, binary) = key.split_at_checked(text_end).unwrap_or((key, &[]));
    let text: String = text.iter().map(|&b| if b == 0 { '|' } else { char::from(b) }).collect();
    text + &hex(binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> DocId {
        DocId::parse("BR/DBG/P07/S03/A0412:growth/2026-11").unwrap()
    }

    #[test]
    fn keys_round_trip() {
        let keys = [
            Key::Format,
            Key::Change(doc(), ChangeHash([7; 32])),
            Key::Heads(doc()),
            Key::Snapshot(doc()),
            Key::Certificate("0011223344556677".into()),
            Key::Revocation("8899aabbccddeeff".into()),
            Key::Meta(b"hlc".to_vec()),
            Key::Peer(PublicKey([9; 32])),
            Key::Receipt(vec![0, 1, 2, 255]),
        ];
        for key in keys {
            assert_eq!(Key::parse(&key.encode()).unwrap(), key);
            assert_eq!(kind_of(&key.encode()), key.kind());
        }
    }

    #[test]
    fn damaged_keys_are_refused_but_name_their_document() {
        let mut key = Key::Change(doc(), ChangeHash([7; 32])).encode();
        key.pop();
        assert!(Key::parse(&key).is_err());
        assert_eq!(doc_of(&key), Some(doc()));
        let mut key = change_prefix(&doc());
        key.extend_from_slice(&[1; 31]);
        assert!(Key::parse(&key).is_err());
        assert_eq!(doc_of(&key), Some(doc()));
        assert!(Key::parse(b"x\0what").is_err());
        assert!(Key::parse(b"t\0c\0ABCDEF0011223344").is_err());
    }
}
