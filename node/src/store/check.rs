//! The integrity scan: every record's checksum and content, all at once.

use super::keys::Key;
use super::record::{check_content, decode_snapshot, unseal};
use super::{IntegrityReport, Store, StoreError, damaged};

impl Store {
    /// Reads every record, checks its checksum and its content against its key (changes parse
    /// and hash to their key, snapshots load, certificates and revocations decode to their ID,
    /// keys parse), removes the damaged ones durably, and reports them with their documents, so
    /// the caller knows which documents to fetch again from a peer.
    ///
    /// Loading every snapshot makes this the slowest read; run it at start-up or on demand.
    pub fn check(&self) -> Result<IntegrityReport, StoreError> {
        let mut records = 0;
        let mut found = Vec::new();
        for item in self.tree.iter() {
            let (raw, value) = item.map_err(self.fail("read"))?;
            records += 1;
            let verdict = Key::parse(&raw).and_then(|key| {
                let payload = unseal(&raw, &value)?;
                check_content(&key, payload)?;
                match &key {
                    Key::Snapshot(doc) => decode_snapshot(doc, &self.snapshot_save(payload)?).map(drop),
                    _ => Ok(()),
                }
            });
            if let Err(why) = verdict {
                found.push((damaged(&raw, why), raw, value));
            }
        }
        let damaged = self.remove_damaged(found)?;
        Ok(IntegrityReport { records, damaged })
    }
}
