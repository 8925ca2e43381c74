//! Snapshots: kept inside their record, or packed into the generation's pack file.
//!
//! A snapshot record's payload starts with a tag byte:
//!
//! | tag | then |
//! |---|---|
//! | 0 | the compacted Automerge save itself (what [`Store::compact`](super::Store::compact) writes) |
//! | 1 | offset (u64, big-endian), length (u32) and an 8-byte digest of a save in `snapshots.pack` |
//!
//! [`Store::rewrite`](super::Store::rewrite) moves every snapshot into `<generation>/snapshots.pack`,
//! one save after another, and leaves a short reference in its record. sled stores large values
//! with about twice their size on disk (its log keeps several versions of a tree node until it
//! cleans the segment), while the pack file takes exactly the bytes of the saves; and the pack is
//! synced with `fsync` before the rewrite commits, unlike sled's separate files for large values.
//! The pack is written once, by the rewrite, and only read afterwards; a snapshot written later
//! goes inline into its record and replaces the reference (the packed bytes then lie unused
//! until the next rewrite).
//!
//! The digest (the first 8 bytes of SHA-256 over a domain tag, the offset, the length and the
//! save) is checked at every read, so a damaged pack is found and reported like a damaged record.

use std::fs::File;
use std::os::unix::fs::FileExt;

use sha2::{Digest, Sha256};

/// The pack file's name inside a generation.
pub(super) const PACK: &str = "snapshots.pack";
const INLINE: u8 = 0;
const PACKED: u8 = 1;
const DOMAIN: &[u8] = b"sampark/pack/v1\0";
/// Bytes of a packed reference, tag included.
const REFERENCE_LEN: usize = 1 + 8 + 4 + 8;

/// A snapshot record's payload, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Snapshot<'a> {
    /// The save.
    Inline(&'a [u8]),
    /// Where the save lies in the pack file.
    Packed { offset: u64, len: u32, digest: [u8; 8] },
}

/// The payload of a snapshot record holding `save` itself.
pub(super) fn inline(save: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + save.len());
    out.push(INLINE);
    out.extend_from_slice(save);
    out
}

/// The payload of a snapshot record pointing at `save`, written at `offset` of the pack.
pub(super) fn packed(offset: u64, save: &[u8]) -> Result<Vec<u8>, String> {
    let len = u32::try_from(save.len()).map_err(|_| "a snapshot over 4 GiB cannot be packed".to_string())?;
    let mut out = Vec::with_capacity(REFERENCE_LEN);
    out.push(PACKED);
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&digest(offset, save));
    Ok(out)
}

fn digest(offset: u64, save: &[u8]) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(offset.to_be_bytes());
    hasher.update((save.len() as u64).to_be_bytes());
    hasher.update(save);
    let mut out = [0; 8];
    out.copy_from_slice(hasher.finalize().get(..8).unwrap_or(&[0; 8]));
    out
}

/// Reads a snapshot record's payload (its structure only).
pub(super) fn parse(payload: &[u8]) -> Result<Snapshot<'_>, String> {
    match payload.split_first() {
        Some((&INLINE, save)) => Ok(Snapshot::Inline(save)),
        Some((&PACKED, rest)) => {
            let bytes: [u8; REFERENCE_LEN - 1] =
                rest.try_into().map_err(|_| format!("a packed snapshot reference of {} bytes", payload.len()))?;
            let (offset, rest) = bytes.split_at(8);
            let (len, sum) = rest.split_at(4);
            Ok(Snapshot::Packed {
                offset: u64::from_be_bytes(offset.try_into().map_err(|_| "offset")?),
                len: u32::from_be_bytes(len.try_into().map_err(|_| "length")?),
                digest: sum.try_into().map_err(|_| "digest")?,
            })
        }
        Some((tag, _)) => Err(format!("unknown snapshot tag {tag}")),
        None => Err("an empty snapshot record".into()),
    }
}

/// The save a snapshot record holds or points at, read from `pack` and checked.
pub(super) fn resolve(payload: &[u8], pack: Option<&File>) -> Result<Vec<u8>, String> {
    match parse(payload)? {
        Snapshot::Inline(save) => Ok(save.to_vec()),
        Snapshot::Packed { offset, len, digest: expected } => {
            let pack = pack.ok_or("the snapshot is packed, and this generation has no pack file")?;
            let mut save = vec![0; len as usize];
            pack.read_exact_at(&mut save, offset)
                .map_err(|e| format!("the packed snapshot at {offset} (+{len}) cannot be read: {e}"))?;
            if digest(offset, &save) != expected {
                return Err(format!("the packed snapshot at {offset} (+{len}) is damaged (digest mismatch)"));
            }
            Ok(save)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn inline_and_packed_round_trip_and_damage_is_found() {
        assert_eq!(resolve(&inline(b"save"), None).unwrap(), b"save");
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"xxsave-bytes").unwrap();
        let reference = packed(2, b"save-bytes").unwrap();
        assert_eq!(resolve(&reference, Some(&file)).unwrap(), b"save-bytes");
        assert!(resolve(&reference, None).is_err());
        let wrong_place = packed(1, b"save-bytes").unwrap();
        assert!(resolve(&wrong_place, Some(&file)).unwrap_err().contains("damaged"));
        let mut beyond = packed(100, b"save-bytes").unwrap();
        assert!(resolve(&beyond, Some(&file)).unwrap_err().contains("cannot be read"));
        beyond.pop();
        assert!(parse(&beyond).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&[7, 1, 2]).is_err());
    }
}
