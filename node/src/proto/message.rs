//! The messages of a contact, and their canonical encoding.
//!
//! Every message is one frame: a type byte, then fields encoded with `sampark_crdt::codec`
//! (fixed-width little-endian integers, length-prefixed bytes, every length checked against a
//! limit before anything is allocated). [`Message::decode`] never panics and refuses trailing
//! bytes. The transport frames messages with a length prefix and refuses frames longer than
//! [`MAX_FRAME`] before reading them.

use automerge::ChangeHash;
use sampark_crdt::codec::{DecodeError, Reader, Writer};
use sampark_crdt::docid::MAX_DOC_ID_LEN;
use sampark_crdt::{Certificate, DocId, Receipt, Revocation, SignedChange};

use super::reconcile::{Fingerprint, Prefix};

/// The protocol version this code speaks.
pub const VERSION: u16 = 3;
/// Largest frame either side sends or accepts, in bytes.
pub const MAX_FRAME: usize = 1024 * 1024;
/// Most certificates or revocations in one message.
pub const MAX_TRUST_RECORDS: usize = 512;
/// Most prefixes in one fingerprints message (16 children of up to 64 prefixes).
pub const MAX_PREFIXES: usize = 1024;
/// Most documents listed in one items, offer or want message.
pub const MAX_DOCS: usize = 4096;
/// Most documents a want-receipts message names.
pub const MAX_WANT_RECEIPTS: usize = 64;
/// Most heads of one document (concurrent writers not yet merged).
pub const MAX_HEADS: usize = 1024;
/// Most changes in one changes message (their bytes are bounded by [`MAX_FRAME`]).
pub const MAX_CHANGES: usize = 1024;
/// Most receipts in one message.
pub const MAX_RECEIPTS: usize = 4096;
/// Longest reason in a refusal.
pub const MAX_REASON: usize = 500;

/// Most recent change hashes sent with a document's heads.
pub const MAX_RECENT: usize = 32;

/// A document and the heads its sender holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocHeads {
    /// The document.
    pub doc: DocId,
    /// The sender's heads, sorted.
    pub heads: Vec<ChangeHash>,
    /// The first 8 bytes of the hashes of the sender's latest changes (up to [`MAX_RECENT`]), so
    /// that a receiver that does not know the sender's heads can still tell whether the sender
    /// already has everything the receiver has (see `docs/protocol.md`).
    pub recent: Vec<[u8; 8]>,
}

/// A document in short: the first 8 bytes of its key and of its digest.
pub type ShortEntry = ([u8; 8], [u8; 8]);

/// One message of a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// First message each way: who I am (my certificate chain), and only what a peer needs
    /// before it has checked that chain. What the sender knows and holds (revocations, its
    /// documents) follows only once it has found the receiver's certificate good.
    Hello {
        /// The sender's protocol version.
        version: u16,
        /// The sender's certificates, root first.
        chain: Vec<Certificate>,
        /// A district relay or state hub: it keeps registers as well as tickets.
        keep_registers: bool,
    },
    /// The sender's own documents that no relay's receipt covers yet (a phone's; at most
    /// [`MAX_WANT_RECEIPTS`]): a relay that holds them answers with its receipts even when
    /// nothing moves in the contact. Sent after the hellos, to a peer whose certificate counts.
    WantReceipts(Vec<DocId>),
    /// The sender will not go on, and why (read by people in logs and `sync` summaries).
    Refuse {
        /// Why.
        reason: String,
    },
    /// Fingerprints of the shared documents under some prefixes.
    Fingerprints(Vec<(Prefix, Fingerprint)>),
    /// Every shared document under a prefix, in short: the first 8 bytes of its key and of its
    /// digest (ID and heads).
    Items {
        /// The prefix.
        prefix: Prefix,
        /// The sender's documents under it.
        entries: Vec<ShortEntry>,
    },
    /// The sender's heads of documents both sides hold in different versions.
    Heads(Vec<DocHeads>),
    /// Documents the sender carries or holds for others that the receiver may take.
    Offer(Vec<DocHeads>),
    /// Answer to an offer: the documents wanted, with the wanter's heads (empty if it has none).
    Want(Vec<DocHeads>),
    /// Certificates and revocations the receiver needs to check changes that follow.
    Trust {
        /// Certificates.
        certificates: Vec<Certificate>,
        /// Revocations.
        revocations: Vec<Revocation>,
    },
    /// Signed changes, most urgent first.
    Changes(Vec<SignedChange>),
    /// The sender has nothing more to send in this contact.
    Done,
    /// The sender has received, and stored, everything the receiver sent before its Done.
    Ack,
    /// Relays' receipts for documents the receiver holds or offered.
    Receipts(Vec<Receipt>),
}

const HELLO: u8 = 1;
const REFUSE: u8 = 2;
const FINGERPRINTS: u8 = 3;
const ITEMS: u8 = 4;
const OFFER: u8 = 5;
const WANT: u8 = 6;
const TRUST: u8 = 7;
const CHANGES: u8 = 8;
const DONE: u8 = 9;
const HEADS: u8 = 10;
const ACK: u8 = 11;
const RECEIPTS: u8 = 12;
const WANT_RECEIPTS: u8 = 13;

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn read_count(r: &mut Reader<'_>, max: usize, what: &'static str) -> Result<usize, DecodeError> {
    let n = usize::try_from(r.u32(what)?).unwrap_or(usize::MAX);
    if n > max {
        return Err(DecodeError::TooLong { what, len: n, max });
    }
    Ok(n)
}

fn write_doc_heads(w: &mut Writer, docs: &[DocHeads]) {
    w.u32(count(docs.len()));
    for d in docs {
        w.str(&d.doc.to_string()).u32(count(d.heads.len()));
        for h in &d.heads {
            w.fixed(&h.0);
        }
        w.u32(count(d.recent.len()));
        for r in &d.recent {
            w.fixed(r);
        }
    }
}

fn read_doc_heads(r: &mut Reader<'_>) -> Result<Vec<DocHeads>, DecodeError> {
    let n = read_count(r, MAX_DOCS, "documents")?;
    let mut docs = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        let doc = DocId::parse(r.str(MAX_DOC_ID_LEN, "document id")?)?;
        let k = read_count(r, MAX_HEADS, "heads")?;
        let heads = (0..k).map(|_| r.array("head").map(ChangeHash)).collect::<Result<_, _>>()?;
        let k = read_count(r, MAX_RECENT, "recent changes")?;
        let recent = (0..k).map(|_| r.array("recent change")).collect::<Result<_, _>>()?;
        docs.push(DocHeads { doc, heads, recent });
    }
    Ok(docs)
}

fn write_trust(w: &mut Writer, certificates: &[Certificate], revocations: &[Revocation]) {
    w.u32(count(certificates.len()));
    for c in certificates {
        w.bytes(&c.encode());
    }
    w.u32(count(revocations.len()));
    for rv in revocations {
        w.bytes(&rv.encode());
    }
}

type TrustRecords = (Vec<Certificate>, Vec<Revocation>);

fn read_trust(r: &mut Reader<'_>) -> Result<TrustRecords, DecodeError> {
    let n = read_count(r, MAX_TRUST_RECORDS, "certificates")?;
    let certificates =
        (0..n).map(|_| Certificate::decode(r.bytes(Certificate::MAX_LEN, "certificate")?)).collect::<Result<_, _>>()?;
    let n = read_count(r, MAX_TRUST_RECORDS, "revocations")?;
    let revocations =
        (0..n).map(|_| Revocation::decode(r.bytes(Revocation::MAX_LEN, "revocation")?)).collect::<Result<_, _>>()?;
    Ok((certificates, revocations))
}

/// The name ([`Message::name`]) of the message an encoded frame holds, from its first byte
/// alone, without decoding the rest: for counting bytes by kind.
pub fn name_of_frame(frame: &[u8]) -> &'static str {
    match frame.first() {
        Some(&HELLO) => "hello",
        Some(&REFUSE) => "refuse",
        Some(&FINGERPRINTS) => "fingerprints",
        Some(&ITEMS) => "items",
        Some(&OFFER) => "offer",
        Some(&WANT) => "want",
        Some(&TRUST) => "trust",
        Some(&CHANGES) => "changes",
        Some(&DONE) => "done",
        Some(&HEADS) => "heads",
        Some(&ACK) => "ack",
        Some(&RECEIPTS) => "receipts",
        Some(&WANT_RECEIPTS) => "want-receipts",
        _ => "unknown",
    }
}

impl Message {
    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        name_of_frame(&[self.tag()])
    }

    /// The first byte of the encoding ([`Message::encode`] writes it), which says what the
    /// message is.
    fn tag(&self) -> u8 {
        match self {
            Message::Hello { .. } => HELLO,
            Message::Refuse { .. } => REFUSE,
            Message::Fingerprints(_) => FINGERPRINTS,
            Message::Items { .. } => ITEMS,
            Message::Heads(_) => HEADS,
            Message::Offer(_) => OFFER,
            Message::Want(_) => WANT,
            Message::Trust { .. } => TRUST,
            Message::Changes(_) => CHANGES,
            Message::Done => DONE,
            Message::Ack => ACK,
            Message::Receipts(_) => RECEIPTS,
            Message::WantReceipts(_) => WANT_RECEIPTS,
        }
    }

    /// The canonical encoding (one frame, without the transport's length prefix).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(self.tag());
        match self {
            Message::Hello { version, chain, keep_registers } => {
                w.u32(u32::from(*version));
                write_trust(&mut w, chain, &[]);
                w.bool(*keep_registers);
            }
            Message::WantReceipts(docs) => {
                w.u32(count(docs.len()));
                for doc in docs {
                    w.str(&doc.to_string());
                }
            }
            Message::Refuse { reason } => {
                w.str(reason);
            }
            Message::Fingerprints(list) => {
                w.u32(count(list.len()));
                for (p, f) in list {
                    p.write(&mut w);
                    f.write(&mut w);
                }
            }
            Message::Items { prefix, entries } => {
                prefix.write(&mut w);
                w.u32(count(entries.len()));
                for (key, digest) in entries {
                    w.fixed(key).fixed(digest);
                }
            }
            Message::Heads(docs) | Message::Offer(docs) | Message::Want(docs) => {
                write_doc_heads(&mut w, docs);
            }
            Message::Trust { certificates, revocations } => {
                write_trust(&mut w, certificates, revocations);
            }
            Message::Changes(changes) => {
                w.u32(count(changes.len()));
                for c in changes {
                    w.bytes(&c.encode());
                }
            }
            Message::Done | Message::Ack => {}
            Message::Receipts(receipts) => {
                w.u32(count(receipts.len()));
                for r in receipts {
                    w.bytes(&r.encode());
                }
            }
        }
        w.finish()
    }

    /// Decodes one frame.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        if bytes.len() > MAX_FRAME {
            return Err(DecodeError::TooLong { what: "frame", len: bytes.len(), max: MAX_FRAME });
        }
        let mut r = Reader::new(bytes);
        let message = match r.u8("message type")? {
            HELLO => {
                let version = u16::try_from(r.u32("version")?).unwrap_or(u16::MAX);
                if version != VERSION {
                    // Another version's hello may be laid out differently: read only its version,
                    // so that the session can say which it is.
                    return Ok(Message::Hello { version, chain: Vec::new(), keep_registers: false });
                }
                let (chain, revocations) = read_trust(&mut r)?;
                if !revocations.is_empty() {
                    return Err(DecodeError::invalid("hello", "a hello carries no revocations".to_string()));
                }
                let keep_registers = r.bool("keep registers")?;
                Message::Hello { version, chain, keep_registers }
            }
            WANT_RECEIPTS => {
                let n = read_count(&mut r, MAX_WANT_RECEIPTS, "documents wanting receipts")?;
                let docs = (0..n)
                    .map(|_| DocId::parse(r.str(MAX_DOC_ID_LEN, "document id")?))
                    .collect::<Result<_, DecodeError>>()?;
                Message::WantReceipts(docs)
            }
            REFUSE => Message::Refuse { reason: r.str(MAX_REASON, "reason")?.to_owned() },
            FINGERPRINTS => {
                let n = read_count(&mut r, MAX_PREFIXES, "prefixes")?;
                let list =
                    (0..n)
                        .map(|_| Ok((Prefix::read(&mut r)?, Fingerprint::read(&mut r)?)))
                        .collect::<Result<_, DecodeError>>()?;
                Message::Fingerprints(list)
            }
            ITEMS => {
                let prefix = Prefix::read(&mut r)?;
                let n = read_count(&mut r, MAX_DOCS, "entries")?;
                let entries =
                    (0..n).map(|_| Ok((r.array("key")?, r.array("digest")?))).collect::<Result<_, DecodeError>>()?;
                Message::Items { prefix, entries }
            }
            HEADS => Message::Heads(read_doc_heads(&mut r)?),
            OFFER => Message::Offer(read_doc_heads(&mut r)?),
            WANT => Message::Want(read_doc_heads(&mut r)?),
            TRUST => {
                let (certificates, revocations) = read_trust(&mut r)?;
                Message::Trust { certificates, revocations }
            }
            CHANGES => {
                let n = read_count(&mut r, MAX_CHANGES, "changes")?;
                let changes = (0..n)
                    .map(|_| SignedChange::decode(r.bytes(SignedChange::MAX_LEN, "signed change")?))
                    .collect::<Result<_, _>>()?;
                Message::Changes(changes)
            }
            DONE => Message::Done,
            ACK => Message::Ack,
            RECEIPTS => {
                let n = read_count(&mut r, MAX_RECEIPTS, "receipts")?;
                let receipts =
                    (0..n).map(|_| Receipt::decode(r.bytes(Receipt::MAX_LEN, "receipt")?)).collect::<Result<_, _>>()?;
                Message::Receipts(receipts)
            }
            other => return Err(DecodeError::invalid("message type", format!("{other}"))),
        };
        r.finish()?;
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_named_by_its_first_byte() {
        let messages = [
            Message::Offer(vec![]),
            Message::Want(vec![]),
            Message::Changes(vec![]),
            Message::Done,
            Message::Ack,
            Message::Receipts(vec![]),
            Message::Trust { certificates: vec![], revocations: vec![] },
            Message::WantReceipts(vec![]),
            Message::Hello { version: VERSION, chain: vec![], keep_registers: true },
        ];
        for m in messages {
            assert_eq!(name_of_frame(&m.encode()), m.name());
        }
        assert_eq!(name_of_frame(&[]), "unknown");
        assert_eq!(name_of_frame(&[200]), "unknown");
    }

    #[test]
    fn messages_round_trip_and_damaged_frames_are_refused() {
        let doc = DocId::parse("BR/DBG/P07/S03/A0412:growth/2026-11").unwrap();
        let messages = [
            Message::Hello { version: VERSION, chain: vec![], keep_registers: true },
            Message::WantReceipts(vec![doc.clone(), doc]),
            Message::Refuse { reason: "इस नोड का प्रमाणपत्र नहीं".into() },
            Message::Done,
        ];
        for m in messages {
            let bytes = m.encode();
            assert_eq!(Message::decode(&bytes).unwrap(), m);
            for cut in 0..bytes.len() {
                assert!(Message::decode(&bytes[..cut]).is_err(), "{m:?} cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Message::decode(&longer).is_err(), "{m:?} with a trailing byte");
        }
        // Another version's hello reads as that version only, so the session can name it.
        let mut old = vec![HELLO];
        old.extend_from_slice(&2u32.to_le_bytes());
        old.extend_from_slice(&[1, 2, 3]);
        assert_eq!(Message::decode(&old).unwrap(), Message::Hello { version: 2, chain: vec![], keep_registers: false });
    }

    #[test]
    fn decoding_random_bytes_never_panics() {
        // A fixed-seed xorshift walk over frames of every message type, cut and garbled.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 96) as usize;
            let mut frame: Vec<u8> = (0..len).map(|i| (x >> (i % 56)) as u8).collect();
            if let Some(first) = frame.first_mut() {
                *first = (x % 16) as u8;
            }
            let _ = Message::decode(&frame);
        }
    }
}
