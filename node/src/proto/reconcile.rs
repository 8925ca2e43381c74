//! Finding which documents differ, at a cost that grows with the differences, not the total.
//!
//! Each side puts the documents both sides keep into an [`Index`], ordered by the SHA-256 of the
//! document ID (so the order is uniform and the same on both sides). A [`Prefix`] of that hash
//! (some number of 4-bit nibbles) names the documents under it; a [`Fingerprint`] summarises them:
//! their count and a digest of the sum of their per-document digests (each the hash of the ID and
//! its heads). Two sides holding the same versions of the same documents under a prefix have the
//! same fingerprint.
//!
//! Both sides run the same steps at once (messages cross): send the fingerprint of the empty
//! prefix; for every prefix whose fingerprints differ, either list the documents under it with
//! their heads ([`Step::SendItems`], when either side has none there or both have few) or send
//! the fingerprints of its 16 children ([`Step::Split`]). Both sides see both fingerprints, so
//! both take the same step. This is range-based set reconciliation (Meyer, "Range-Based Set
//! Reconciliation", 2023; the negentropy protocol), over a hash trie instead of sorted ranges.
//! With nothing new it costs one fingerprint each way, whatever the number of documents.

use automerge::ChangeHash;
use sampark_crdt::DocId;
use sampark_crdt::codec::{DecodeError, Reader, Writer};
use sha2::{Digest, Sha256};

/// Documents under a prefix are listed when both sides hold at most this many there.
pub const ITEMS_THRESHOLD: u32 = 16;
/// Documents under a prefix are listed at once when the other side holds none there, up to
/// this many (so that one listing always fits in a frame); beyond it the prefix is split.
pub const MAX_LISTED: u32 = 1024;
/// Nibbles in a key (SHA-256).
const MAX_DEPTH: u8 = 64;

/// The first `depth` nibbles of a document key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    depth: u8,
    bits: [u8; 32],
}

impl Prefix {
    /// The empty prefix: every document.
    pub fn root() -> Prefix {
        Prefix { depth: 0, bits: [0; 32] }
    }

    /// How many nibbles this prefix fixes.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The 16 prefixes one nibble longer, or none at full depth.
    pub fn children(&self) -> Vec<Prefix> {
        if self.depth >= MAX_DEPTH {
            return Vec::new();
        }
        (0u8..16)
            .map(|nibble| {
                let mut bits = self.bits;
                let byte = usize::from(self.depth / 2);
                if let Some(b) = bits.get_mut(byte) {
                    *b |= if self.depth.is_multiple_of(2) { nibble << 4 } else { nibble };
                }
                Prefix { depth: self.depth + 1, bits }
            })
            .collect()
    }

    /// `key` with every nibble from `depth` on cleared.
    fn mask(key: &[u8; 32], depth: u8) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, (o, k)) in out.iter_mut().zip(key).enumerate() {
            let nibbles_before = 2 * i as u32;
            *o = match u32::from(depth).saturating_sub(nibbles_before) {
                0 => 0,
                1 => k & 0xf0,
                _ => *k,
            };
        }
        out
    }

    /// Writes the depth and the bytes that hold its nibbles.
    pub fn write(&self, w: &mut Writer) {
        let len = usize::from(self.depth).div_ceil(2);
        w.u8(self.depth).fixed(self.bits.get(..len).unwrap_or_default());
    }

    /// Reads a prefix; refuses depths past 64 and set bits past the depth (one encoding only).
    pub fn read(r: &mut Reader<'_>) -> Result<Prefix, DecodeError> {
        let depth = r.u8("prefix depth")?;
        if depth > MAX_DEPTH {
            return Err(DecodeError::invalid("prefix depth", format!("{depth}")));
        }
        let len = usize::from(depth).div_ceil(2);
        let mut bits = [0u8; 32];
        bits.get_mut(..len).unwrap_or_default().copy_from_slice(r.take(len, "prefix")?);
        if Prefix::mask(&bits, depth) != bits {
            return Err(DecodeError::invalid("prefix", "bits set past its depth"));
        }
        Ok(Prefix { depth, bits })
    }
}

/// A summary of the documents under a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// How many documents.
    pub count: u32,
    /// First 12 bytes of SHA-256 over the sum (mod 2^128) of their digests and the count.
    pub digest: [u8; 12],
}

impl Fingerprint {
    /// Writes the count and digest.
    pub fn write(&self, w: &mut Writer) {
        w.u32(self.count).fixed(&self.digest);
    }

    /// Reads a fingerprint.
    pub fn read(r: &mut Reader<'_>) -> Result<Fingerprint, DecodeError> {
        Ok(Fingerprint { count: r.u32("count")?, digest: r.array("fingerprint")? })
    }
}

/// One document in an [`Index`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// SHA-256 of the document ID.
    pub key: [u8; 32],
    /// The document.
    pub doc: DocId,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
    digest: u128,
}

impl Entry {
    /// The entry in short: the first 8 bytes of its key and of its digest.
    pub fn short(&self) -> ([u8; 8], [u8; 8]) {
        let mut key = [0u8; 8];
        key.copy_from_slice(self.key.get(..8).unwrap_or(&[0; 8]));
        let digest = self.digest.to_le_bytes();
        let mut d = [0u8; 8];
        d.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        (key, d)
    }
}

/// The key of a document in the trie.
pub fn key_of(doc: &DocId) -> [u8; 32] {
    Sha256::digest(doc.to_string().as_bytes()).into()
}

fn digest_of(doc: &DocId, heads: &[ChangeHash]) -> u128 {
    let mut h = Sha256::new();
    h.update(b"sampark/doc-digest/v1\0");
    h.update(doc.to_string().as_bytes());
    for head in heads {
        h.update(head.0);
    }
    let out = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(out.get(..16).unwrap_or(&[0; 16]));
    u128::from_le_bytes(first)
}

/// The documents one side keeps in common with the other, ordered by key.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: Vec<Entry>,
}

/// What both sides do about one prefix, given both fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Same documents, same versions: nothing to do.
    Same,
    /// List the documents under the prefix.
    SendItems,
    /// Send the fingerprints of the 16 children.
    Split,
}

/// The step for `prefix` (see the module docs). Symmetric in `mine` and `theirs`.
pub fn step(prefix: &Prefix, mine: Fingerprint, theirs: Fingerprint) -> Step {
    if mine == theirs {
        Step::Same
    } else if mine.count.max(theirs.count) <= ITEMS_THRESHOLD
        || (mine.count.min(theirs.count) == 0 && mine.count.max(theirs.count) <= MAX_LISTED)
        || prefix.depth >= MAX_DEPTH
    {
        Step::SendItems
    } else {
        Step::Split
    }
}

impl Index {
    /// An index of `docs` (document, heads); heads are sorted here.
    pub fn new(docs: impl IntoIterator<Item = (DocId, Vec<ChangeHash>)>) -> Index {
        let mut entries: Vec<Entry> = docs
            .into_iter()
            .map(|(doc, mut heads)| {
                heads.sort();
                Entry { key: key_of(&doc), digest: digest_of(&doc, &heads), doc, heads }
            })
            .collect();
        entries.sort_by_key(|e| e.key);
        Index { entries }
    }

    /// How many documents.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The documents under `prefix`.
    pub fn range(&self, prefix: &Prefix) -> &[Entry] {
        let start = self.entries.partition_point(|e| Prefix::mask(&e.key, prefix.depth) < prefix.bits);
        let end = self.entries.partition_point(|e| Prefix::mask(&e.key, prefix.depth) <= prefix.bits);
        self.entries.get(start..end).unwrap_or_default()
    }

    /// The fingerprint of the documents under `prefix`.
    pub fn fingerprint(&self, prefix: &Prefix) -> Fingerprint {
        let range = self.range(prefix);
        let sum = range.iter().fold(0u128, |acc, e| acc.wrapping_add(e.digest));
        let count = u32::try_from(range.len()).unwrap_or(u32::MAX);
        let mut h = Sha256::new();
        h.update(sum.to_le_bytes());
        h.update(count.to_le_bytes());
        let out = h.finalize();
        let mut digest = [0u8; 12];
        digest.copy_from_slice(out.get(..12).unwrap_or(&[0; 12]));
        Fingerprint { count, digest }
    }

    /// The entry of `doc`, if indexed.
    pub fn get(&self, doc: &DocId) -> Option<&Entry> {
        let key = key_of(doc);
        self.entries.binary_search_by(|e| e.key.cmp(&key)).ok().and_then(|i| self.entries.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(i: usize) -> DocId {
        DocId::parse(&format!("BR/DBG/P07/S03/A{:04}:families", i % 10_000)).unwrap()
    }

    fn index(n: usize, changed: &[usize]) -> Index {
        Index::new((0..n).map(|i| {
            let head = if changed.contains(&i) { [1u8; 32] } else { [0u8; 32] };
            (doc(i), vec![ChangeHash(head)])
        }))
    }

    /// Runs both sides' steps to the end; returns the prefixes whose items were exchanged and
    /// the number of message rounds.
    fn reconcile(a: &Index, b: &Index) -> (Vec<Prefix>, usize) {
        let mut frontier = vec![Prefix::root()];
        let mut items = Vec::new();
        let mut rounds = 0;
        while !frontier.is_empty() {
            rounds += 1;
            let mut next = Vec::new();
            for p in frontier {
                match step(&p, a.fingerprint(&p), b.fingerprint(&p)) {
                    Step::Same => {}
                    Step::SendItems => items.push(p),
                    Step::Split => next.extend(p.children()),
                }
            }
            frontier = next;
        }
        (items, rounds)
    }

    #[test]
    fn ranges_partition_the_index() {
        let idx = index(1000, &[]);
        let total: usize = Prefix::root().children().iter().map(|p| idx.range(p).len()).sum();
        assert_eq!(total, 1000);
        for p in Prefix::root().children() {
            for c in p.children() {
                assert!(idx.range(&c).iter().all(|e| Prefix::mask(&e.key, 2) == c.bits));
            }
        }
        assert_eq!(idx.range(&Prefix::root()).len(), 1000);
    }

    #[test]
    fn nothing_new_is_one_round() {
        let (items, rounds) = reconcile(&index(10_000, &[]), &index(10_000, &[]));
        assert!(items.is_empty());
        assert_eq!(rounds, 1);
    }

    #[test]
    fn every_difference_is_found() {
        let changed = [3, 77, 4096, 9999];
        let (a, b) = (index(10_000, &[]), index(10_000, &changed));
        let (items, _) = reconcile(&a, &b);
        let found: Vec<DocId> = items
            .iter()
            .flat_map(|p| {
                a.range(p).iter().zip(b.range(p)).filter(|(x, y)| x.heads != y.heads).map(|(x, _)| x.doc.clone())
            })
            .collect();
        let mut want: Vec<DocId> = changed.iter().map(|i| doc(*i)).collect();
        want.sort_by_key(key_of);
        let mut found = found;
        found.sort_by_key(key_of);
        assert_eq!(found, want);
    }

    #[test]
    fn a_missing_side_lists_at_once() {
        let (items, rounds) = reconcile(&index(500, &[]), &Index::default());
        assert_eq!((items, rounds), (vec![Prefix::root()], 1));
    }

    #[test]
    fn prefixes_encode_canonically() {
        let p = Prefix::root().children()[7].children()[12];
        let mut w = Writer::new();
        p.write(&mut w);
        let bytes = w.finish();
        assert_eq!(Prefix::read(&mut Reader::new(&bytes)), Ok(p));
        let mut bad = bytes.clone();
        bad[0] = 1; // depth 1 but the second nibble set
        assert!(Prefix::read(&mut Reader::new(&bad[..2])).is_err());
    }
}
